"""Input checks shared by every module: dtype rules and clear errors."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def as_float_array(values: object, what: str = "inputs") -> np.ndarray:
    """Return `values` as a floating-point ndarray without needless copies.

    float32 and float64 arrays keep their dtype (float32 stays float32);
    booleans and integers become float64; other float widths (float16, long
    double) raise TypeError, as nnlite is written and tested for those two.
    Anything else (complex, strings, objects that are not numbers) raises
    TypeError naming `what`.
    """
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must be a real numeric array; got {type(values).__name__}: {exc}") from None
    kind = arr.dtype.kind
    if arr.dtype in (np.float32, np.float64):
        return arr
    if kind == "f":
        # float16 overflows at 65504 (exp(11.1), a PReLU alpha gradient) and long double
        # would be rounded to float64 by some paths: only the two widths nnlite is tested in
        raise TypeError(
            f"{what} has dtype {arr.dtype}; nnlite computes in float32 or float64 only: "
            f"convert with .astype(np.float32) or .astype(np.float64)"
        )
    if kind in "biu":
        return arr.astype(np.float64)
    # float(None) would quietly be NaN, so None is refused before the cast; object
    # arrays come from ragged Python data, never from a hot path
    if kind == "O" and not any(v is None for v in arr.ravel()):
        try:
            return arr.astype(np.float64)
        except (TypeError, ValueError):
            pass
    raise TypeError(
        f"{what} must be a real numeric array (float32, float64, int or bool); "
        f"got an array of dtype {arr.dtype}"
    )


def check_dvalues(owner: object, dvalues: object, output_attr: str = "output") -> np.ndarray:
    """Validate `dvalues` for `owner.backward`: forward ran, shapes match."""
    output = getattr(owner, output_attr, None)
    cls = type(owner).__name__
    if output is None:
        raise RuntimeError(f"{cls}.backward was called before forward: call forward(inputs) first")
    dvalues = as_float_array(dvalues, f"{cls}.backward dvalues")
    if dvalues.shape != np.shape(output):
        raise ValueError(
            f"{cls}.backward: dvalues has shape {dvalues.shape}, expected the shape of "
            f"the forward output {np.shape(output)}"
        )
    return dvalues


def check_finite(values: np.ndarray, what: str) -> np.ndarray:
    """Refuse NaN or infinite entries in data with a ValueError naming `what` and the first bad index."""
    finite = np.isfinite(values)
    if not finite.all():
        bad = np.argwhere(~finite)[0]
        where = f" (first at index {tuple(int(i) for i in bad)})" if np.ndim(values) else ""
        raise ValueError(
            f"{what} holds {np.count_nonzero(~finite)} NaN or infinite value(s){where}; "
            "expected finite numbers: clean the data first"
        )
    return values


def copy_state(owner: object, state: Mapping[str, np.ndarray]) -> None:
    """Copy saved `state` arrays into `owner.state`'s arrays, in place, after checking that the
    keys, shapes and dtypes are the same (the `set_state` of layers and activations)."""
    own = owner.state
    name = type(owner).__name__
    if set(state) != set(own):
        raise ValueError(f"{name} state has keys {sorted(own)}, got {sorted(state)}")
    for key, target in own.items():
        value = np.asarray(state[key])
        if value.shape != target.shape or value.dtype != target.dtype:
            raise ValueError(f"{name} state {key!r} is {target.dtype}{target.shape}, got {value.dtype}{value.shape}")
        target[...] = value
