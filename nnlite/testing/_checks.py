"""The checks themselves: one function per property, each raising AssertionError with what
was expected and what was found, or `SkipCheck` when it does not apply.

Every check works on its own deep copy of the object, under
`np.errstate(over/divide/invalid="raise")`, so a numpy warning on finite
inputs fails the check that caused it.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._config import check_json
from ..activations import Activation
from ..gradcheck import GradCheckResult, _Comparison, _elementwise_estimate, gradcheck
from ..losses import Loss
from ._inputs import activation_shape, is_elementwise, layer_shape, smooth_array, smooth_points
from ._report import CheckResult, SkipCheck

EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3  # gradcheck's defaults: a derivative 1% off fails
EXTREME_64 = (0.0, 5e-324, 1e-300, 1e-10, 1.0, 40.0, 1e4, 1e20, 1e150, 1e300)
EXTREME_32 = (0.0, 1e-45, 1e-30, 1e-10, 1.0, 40.0, 1e4, 1e20, 1e30, 3e38)


@dataclass
class Subject:
    """The object under test and the inputs the checks start from."""

    kind: str  # "activation", "layer" or "loss"
    obj: Any
    inputs: np.ndarray  # float64
    targets: Any = None  # losses only
    given_inputs: bool = False

    def copy(self) -> Any:
        return copy.deepcopy(self.obj)

    def forward(self, obj: Any, x: np.ndarray) -> Any:
        return obj.forward(x) if self.kind != "loss" else obj.forward(x, self.targets)

    def dvalues(self, out: Any, rng: np.random.Generator, dtype: Any = np.float64) -> Any:
        if self.kind == "loss":
            return 1.0
        return rng.standard_normal(np.shape(out)).astype(dtype)

    def expected_dtype(self, obj: Any, dtype: Any) -> np.dtype:
        """float32 in gives float32 out; a layer's float64 parameters promote (never demote)."""
        if self.kind == "layer":
            return np.result_type(dtype, *[p.dtype for p in obj.params.values()])
        return np.dtype(dtype)


def subject_for(kind: str, obj: Any, inputs: Any, targets: Any, rng: np.random.Generator) -> Subject:
    if inputs is not None:
        x = np.array(inputs, dtype=np.float64)
        return Subject(kind, obj, x, _targets(obj, x, rng) if kind == "loss" and targets is None else targets, True)
    if kind == "activation":
        return Subject(kind, obj, rng.normal(0, 2, activation_shape(obj)))
    if kind == "loss":
        x = rng.uniform(0.05, 0.95, (8, 3))
        return Subject(kind, obj, x, _targets(obj, x, rng) if targets is None else targets)
    shape = layer_shape(obj)
    if shape is None:
        raise ValueError(
            f"check_layer cannot guess the input shape of {type(obj).__name__} (it has no n_inputs); "
            f"pass inputs=an array it accepts"
        )
    return Subject(kind, obj, rng.normal(0, 1, shape))


def _targets(loss: Any, y_pred: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Class indices where the loss takes them, else 0/1 targets (classification) or real ones."""
    if getattr(loss, "classification", False):
        indices = rng.integers(0, y_pred.shape[-1], len(y_pred))
        try:
            loss.prepare_targets(indices, y_pred.shape, y_pred.dtype)
            return indices
        except (TypeError, ValueError):
            return (rng.uniform(size=y_pred.shape) > 0.5).astype(np.float64)
    return rng.normal(0, 1, y_pred.shape)


class _FirstOrder:
    """The object as gradcheck sees it: without its second derivative (checked on its own),
    and for a layer with a penalty, with `regularization_loss()` appended to the output, so
    the checked scalar is sum(dvalues * output) + penalty, whose parameter gradient is the
    one backward fills in (it adds the penalty's gradient unscaled, as in training)."""

    def __init__(self, obj: Any, penalty: bool):
        self.obj, self.penalty, self._shape = obj, penalty, None

    @property
    def params(self):
        return self.obj.params

    @property
    def grads(self):
        return self.obj.grads

    def forward(self, *args):
        out = self.obj.forward(*args)
        if not self.penalty:
            return out
        self._shape = np.shape(out)
        return np.append(np.ravel(out), self.obj.regularization_loss())

    def backward(self, dvalues):
        if self.penalty:
            dvalues = np.asarray(dvalues)[:-1].reshape(self._shape)
        return self.obj.backward(dvalues)


class _Replayed:
    """The layer with its `state` put back before every forward: a layer that draws random numbers
    (Dropout's mask) draws the same ones at every call, so finite differences see one function."""

    def __init__(self, obj: Any):
        self.obj = obj
        self._saved = {k: np.array(v, copy=True) for k, v in obj.state.items()}

    def __getattr__(self, name: str) -> Any:
        if name in ("obj", "_saved"):  # not set yet (during copying): no recursion through self.obj
            raise AttributeError(name)
        return getattr(self.obj, name)

    def forward(self, *args, **kwargs):
        self.obj.set_state(self._saved)
        return self.obj.forward(*args, **kwargs)

    __call__ = forward

    def backward(self, dvalues):
        return self.obj.backward(dvalues)


def _replayed(obj: Any) -> Any:
    """`_Replayed(obj)` for a layer (not an activation: those are checked entry by entry as
    themselves) with state it can restore, else obj itself."""
    has_state = bool(getattr(obj, "state", None)) and callable(getattr(obj, "set_state", None))
    return _Replayed(obj) if has_state and not isinstance(obj, Activation) else obj


def _fail(what: str) -> None:
    raise AssertionError(what)


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


# ---------------------------------------------------------------- gradients


def check_gradient(s: Subject, rng: np.random.Generator) -> None:
    """backward (inputs and every param) agrees with central differences at kink-free points."""
    obj = _replayed(s.copy())
    for name, p in getattr(obj, "params", {}).items():
        if getattr(p, "dtype", None) != np.float64:
            raise SkipCheck(f"parameter {name!r} is {getattr(p, 'dtype', type(p).__name__)}; build it in float64")
    if s.kind == "loss":
        x = s.inputs
    elif is_elementwise(obj) and not s.given_inputs:
        x = smooth_points(obj, rng, s.inputs.shape, second=False)
    else:
        x = smooth_array(obj, rng, s.inputs.shape, s.inputs if s.given_inputs else None, s.targets)
    if is_elementwise(obj) and not getattr(obj, "params", None):
        result = _elementwise_gradcheck(obj, x, rng)
    else:
        result = _gradcheck(s, obj, x, rng)
    if not result.passed:
        _fail(
            f"backward disagrees with finite differences: at {result.worst_tensor}{list(result.worst_index)} "
            f"analytic {result.analytic:.10g}, numeric {result.numeric:.10g} "
            f"(tolerance {ATOL:g} + {RTOL:g} * |numeric|)"
        )


def _elementwise_gradcheck(obj: Any, x: np.ndarray, rng: np.random.Generator) -> GradCheckResult:
    """Central differences entry by entry, with no sum over the array that would drown them."""
    dvalues = rng.standard_normal(x.shape)
    obj.forward(x)
    analytic = obj.backward(dvalues)
    compare = _Comparison(ATOL, RTOL, EPS)
    compare.add("inputs", analytic, x, _elementwise_estimate(obj.forward, x, dvalues))
    return compare.result


def _gradcheck(s: Subject, obj: Any, x: np.ndarray, rng: np.random.Generator) -> GradCheckResult:
    penalty = s.kind == "layer" and callable(getattr(obj, "regularization_loss", None))
    wrapped = _FirstOrder(obj, penalty)
    dvalues = None
    if s.kind != "loss":
        dvalues = rng.standard_normal(np.shape(wrapped.forward(x)))
        if penalty:
            dvalues[-1] = 1.0
    return gradcheck(wrapped, x, dvalues, targets=s.targets, eps=EPS, atol=ATOL, rtol=RTOL)


def check_second_derivative(s: Subject, rng: np.random.Generator) -> None:
    """second_derivative(x, y) agrees with central differences of derivative, away from kinks of f'."""
    obj = s.copy()
    second = getattr(obj, "second_derivative", None)
    if not callable(second) or not is_elementwise(obj):
        raise SkipCheck("no second_derivative(x, y) defined")
    x = smooth_points(obj, rng, (60,), second=True)
    try:
        analytic = np.broadcast_to(np.asarray(second(x, obj.function(x)), dtype=np.float64), x.shape)
    except NotImplementedError as exc:
        raise SkipCheck(f"second_derivative is not implemented here: {exc}") from None
    ahead, behind = x + EPS, x - EPS
    numeric = (obj.derivative(ahead, obj.function(ahead)) - obj.derivative(behind, obj.function(behind))) / (2 * EPS)
    err = np.abs(analytic - numeric)
    bad = ~(err <= ATOL + RTOL * np.abs(numeric))
    if bad.any():
        i = int(np.argmax(np.where(bad, err, -1)))
        _fail(f"second_derivative at x = {x[i]!r}: analytic {analytic[i]:.10g}, numeric {numeric[i]:.10g}")


# ---------------------------------------------------------------- dtypes


def _check_dtype(s: Subject, rng: np.random.Generator, dtype: Any) -> None:
    obj = s.copy()
    x = s.inputs.astype(dtype)
    expected = s.expected_dtype(obj, dtype)
    out = s.forward(obj, x)
    if s.kind != "loss" and np.asarray(out).dtype != expected:
        _fail(f"{np.dtype(dtype).name} inputs: expected a {expected} output, got {np.asarray(out).dtype}")
    d = obj.backward(s.dvalues(out, rng, dtype))
    if np.asarray(d).dtype != expected:
        _fail(f"{np.dtype(dtype).name} inputs and dvalues: expected {expected} dinputs, got {np.asarray(d).dtype}")


def check_float32(s: Subject, rng: np.random.Generator) -> None:
    """float32 inputs give float32 outputs and dinputs (no silent up- or down-casting)."""
    _check_dtype(s, rng, np.float32)


def check_float64(s: Subject, rng: np.random.Generator) -> None:
    """float64 inputs give float64 outputs and dinputs."""
    _check_dtype(s, rng, np.float64)


def check_integer_inputs(s: Subject, rng: np.random.Generator) -> None:
    """Integer inputs are accepted and promoted to float64."""
    obj = s.copy()
    # a loss's predictions stay in its domain (BCE wants [0, 1]): round instead of scaling up
    x = np.round(s.inputs * (1 if s.kind == "loss" else 3)).astype(np.int64)
    expected = s.expected_dtype(obj, np.float64)
    out = s.forward(obj, x)
    if s.kind != "loss" and np.asarray(out).dtype != expected:
        _fail(f"int64 inputs: expected a {expected} output, got {np.asarray(out).dtype}")
    d = obj.backward(s.dvalues(out, rng))
    if np.asarray(d).dtype != expected:
        _fail(f"int64 inputs: expected {expected} dinputs, got {np.asarray(d).dtype}")


# ---------------------------------------------------------------- ownership


def check_inputs_not_mutated(s: Subject, rng: np.random.Generator) -> None:
    """forward and backward leave the caller's inputs, targets and dvalues unchanged."""
    obj = s.copy()
    x = s.inputs.copy()
    targets = copy.deepcopy(s.targets)
    out = s.forward(obj, x)
    if not _same(x, s.inputs):
        _fail("forward wrote into its inputs")
    dv = s.dvalues(out, rng)
    kept = copy.deepcopy(dv)
    obj.backward(dv)
    if not _same(x, s.inputs):
        _fail("backward wrote into the forward inputs")
    if not _same(dv, kept):
        _fail("backward wrote into its dvalues")
    if s.targets is not None and not _same(targets, s.targets):
        _fail("the targets were changed")


def check_outputs_not_aliased(s: Subject, rng: np.random.Generator) -> None:
    """The output is a new array, not the inputs (or a view of them); dinputs likewise."""
    obj = s.copy()
    x = s.inputs.copy()
    out = s.forward(obj, x)
    if isinstance(out, np.ndarray) and np.shares_memory(out, x):
        _fail("forward returned its inputs (or a view of them): the caller's array and the output are one")
    dv = s.dvalues(out, rng)
    d = obj.backward(dv)
    for what, other in (("the forward inputs", x), ("dvalues", dv), ("the output", out)):
        if isinstance(other, np.ndarray) and np.shares_memory(d, other):
            _fail(f"backward returned dinputs that share memory with {what}")


def check_results_kept(s: Subject, rng: np.random.Generator) -> None:
    """An output and dinputs the caller keeps are not overwritten by the next call."""
    obj = s.copy()
    x1 = s.inputs.copy()
    x2 = 1 - s.inputs[::-1] if s.kind == "loss" else s.inputs[::-1] + 0.5  # other values, same domain
    out1 = s.forward(obj, x1)
    out1_copy = copy.deepcopy(out1)
    d1 = obj.backward(s.dvalues(out1, rng))
    d1_copy = np.array(d1, copy=True)
    out2 = s.forward(obj, x2)
    obj.backward(s.dvalues(out2, rng))
    if not _same(out1, out1_copy):
        _fail("the output of one forward call was overwritten by the next call")
    if not _same(d1, d1_copy):
        _fail("the dinputs of one backward call were overwritten by the next call")


def check_backward_twice(s: Subject, rng: np.random.Generator) -> None:
    """backward twice with the same dvalues gives the same dinputs and grads (overwrite, not accumulate)."""
    obj = s.copy()
    out = s.forward(obj, s.inputs.copy())
    dv = s.dvalues(out, rng)
    first = np.array(obj.backward(dv), copy=True)
    grads = {k: np.array(g, copy=True) for k, g in getattr(obj, "grads", {}).items()}
    second = obj.backward(dv)
    if not _same(first, second):
        _fail("a second backward with the same dvalues gave other dinputs")
    for k, g in getattr(obj, "grads", {}).items():
        if not _same(grads[k], g):
            doubled = np.allclose(np.asarray(g), 2 * grads[k])
            how = " to twice its value: it accumulates" if doubled else ""
            _fail(f"a second backward changed grads[{k!r}]{how}")


# ---------------------------------------------------------------- non-finite and extreme inputs


def check_nan_propagates(s: Subject, rng: np.random.Generator) -> None:
    """NaN in the inputs gives NaN in the output where it belongs (never a plausible number).

    A loss may instead refuse NaN predictions with a ValueError, as nnlite's own do.
    """
    obj = s.copy()
    x = s.inputs.copy()
    mask = np.zeros(x.shape, dtype=bool)
    mask.flat[:: max(1, x.size // 3)] = True
    x[mask] = np.nan
    with np.errstate(all="ignore"):
        try:
            out = np.asarray(s.forward(obj, x))
        except ValueError:
            if s.kind == "loss":
                return
            raise
    if s.kind == "loss":
        if not np.isnan(out):
            _fail(f"NaN in y_pred gave the loss {out}, expected NaN")
    elif is_elementwise(obj):
        if not np.all(np.isnan(out[mask])):
            _fail(f"NaN inputs gave {out[mask][~np.isnan(out[mask])][:3]} instead of NaN")
    else:
        rows = mask.reshape(len(x), -1).any(axis=1)
        lost = rows & ~np.isnan(out.reshape(len(out), -1)).any(axis=1)
        if lost.any():
            _fail(f"samples {np.flatnonzero(lost).tolist()} have a NaN input but no NaN in their output")


def check_extreme_inputs(s: Subject, rng: np.random.Generator) -> None:
    """Finite inputs up to |x| = 1e300 (float32: its largest values) give no numpy warning and no NaN."""
    if s.kind != "activation":
        raise SkipCheck("activations only")
    for dtype, values in ((np.float64, EXTREME_64), (np.float32, EXTREME_32)):
        row = np.array([v for value in values for v in (value, -value)], dtype=dtype)
        shape = activation_shape(s.obj)
        x = np.resize(row, int(np.prod(shape))).reshape(shape)
        obj = s.copy()
        try:
            out = obj.forward(x)
            d = obj.backward(np.ones(np.shape(out), dtype=dtype))
        except FloatingPointError as exc:
            _fail(f"{dtype.__name__} inputs up to {values[-1]:g}: numpy warned: {exc}")
        for what, arr in (("output", out), ("dinputs", d)):
            if np.isnan(arr).any():
                where = np.isnan(arr)
                bad = x[where] if arr.shape == x.shape else x.ravel()[:3]
                _fail(f"{dtype.__name__}: NaN {what} for the finite inputs {np.unique(bad)[:4].tolist()}")


# ---------------------------------------------------------------- rebuilding


def _rebuild(obj: Any) -> Any:
    config = obj.get_config()
    check_json(type(obj), config)
    return type(obj)(**json.loads(json.dumps(config)))


def check_config_roundtrip(s: Subject, rng: np.random.Generator) -> None:
    """get_config() goes through JSON and rebuilds an object with the same outputs (same params)."""
    obj = s.copy()
    try:
        rebuilt = _rebuild(obj)
    except TypeError as exc:
        _fail(f"type(obj)(**obj.get_config()) failed: {exc}")
    for attr in ("params", "state"):
        mine, theirs = getattr(obj, attr, {}), getattr(rebuilt, attr, {})
        if set(mine) != set(theirs):
            _fail(f"the rebuilt object has {attr} {sorted(theirs)}, the original {sorted(mine)}")
        for k, p in mine.items():
            if np.shape(theirs[k]) != np.shape(p) or np.asarray(theirs[k]).dtype != np.asarray(p).dtype:
                _fail(f"the rebuilt object's {attr}[{k!r}] is {np.asarray(theirs[k]).dtype}{np.shape(theirs[k])}, "
                      f"the original's {np.asarray(p).dtype}{np.shape(p)}")
            theirs[k][...] = p
    if isinstance(getattr(obj, "training", None), bool):
        rebuilt.training = obj.training  # a mode, not a constructor argument
    if getattr(obj, "state", None) and callable(getattr(rebuilt, "set_state", None)):
        rebuilt.set_state(obj.state)  # a state computed on demand (Dropout's generator) is not a view to write into
    a, b = s.forward(obj, s.inputs.copy()), s.forward(rebuilt, s.inputs.copy())
    if not _same(a, b):
        _fail(f"type(obj)(**get_config()) = {rebuilt!r} gives other outputs than the original")


def check_save_load(s: Subject, rng: np.random.Generator) -> None:
    """Inside a Sequential, save and load give the same class and bit-identical predictions."""
    from ..activations import Linear
    from ..network import Sequential

    obj = s.copy()
    model = Sequential([Linear()]) if s.kind == "loss" else Sequential([obj])
    if s.kind == "loss":
        model.loss = obj
    with tempfile.TemporaryDirectory(prefix="nnlite-check-") as folder:
        path = os.path.join(folder, "model.npz")
        model.save(path)
        loaded = Sequential.load(path)
    if s.kind == "loss":
        if type(loaded.loss) is not type(obj):
            _fail(f"the loss came back as {type(loaded.loss).__qualname__}, not {type(obj).__qualname__}")
        if not _same(obj.forward(s.inputs, s.targets), loaded.loss.forward(s.inputs, s.targets)):
            _fail("the loaded loss gives another value")
        return
    if type(loaded.layers[0]) is not type(obj):
        _fail(f"it came back as {type(loaded.layers[0]).__qualname__}, not {type(obj).__qualname__}")
    dtypes = [p.dtype for p in getattr(obj, "params", {}).values()]
    x = s.inputs.astype(np.result_type(*dtypes)) if dtypes else s.inputs  # predict casts nothing
    if not _same(model.predict(x), loaded.predict(x)):
        _fail(f"the loaded copy ({loaded.layers[0]!r}) predicts differently from {obj!r}")


# ---------------------------------------------------------------- errors


def check_dvalues_shape_error(s: Subject, rng: np.random.Generator) -> None:
    """backward with dvalues of the wrong shape raises a ValueError that says so (not numpy's own)."""
    obj = s.copy()
    out = s.forward(obj, s.inputs.copy())
    shape = np.shape(out)
    wrong = [(3,)] if s.kind == "loss" else [(*shape[:-1], shape[-1] + 1), (2, *shape)]
    for bad in wrong:
        try:
            obj.backward(np.ones(bad))
        except ValueError as exc:
            if "dvalues" not in str(exc):
                _fail(f"dvalues of shape {bad}: the ValueError does not mention dvalues: {exc}")
        else:
            _fail(f"dvalues of shape {bad} for an output of shape {shape} were accepted")


def check_backward_before_forward(s: Subject, rng: np.random.Generator) -> None:
    """backward on a fresh object raises RuntimeError (there are no inputs to differentiate at)."""
    try:
        fresh = _rebuild(s.obj)
    except (TypeError, ValueError) as exc:
        raise SkipCheck(f"cannot build a fresh object: {exc}") from None
    dv = 1.0 if s.kind == "loss" else np.ones(np.shape(s.forward(s.copy(), s.inputs.copy())))
    try:
        fresh.backward(dv)
    except RuntimeError:
        return
    except Exception as exc:  # noqa: BLE001 - any other error is the finding
        _fail(f"raised {type(exc).__name__} instead of RuntimeError: {exc}")
    _fail("backward before forward returned without an error")


Check = Callable[[Subject, np.random.Generator], None]
_COMMON: list[tuple[str, Check]] = [
    ("gradient", check_gradient),
    ("float32", check_float32),
    ("float64", check_float64),
    ("integer_inputs", check_integer_inputs),
    ("inputs_not_mutated", check_inputs_not_mutated),
    ("outputs_not_aliased", check_outputs_not_aliased),
    ("results_kept", check_results_kept),
    ("backward_twice", check_backward_twice),
    ("nan_propagates", check_nan_propagates),
    ("config_roundtrip", check_config_roundtrip),
    ("save_load", check_save_load),
    ("dvalues_shape_error", check_dvalues_shape_error),
    ("backward_before_forward", check_backward_before_forward),
]
CHECKS: dict[str, list[tuple[str, Check]]] = {
    "activation": _COMMON[:1] + [("second_derivative", check_second_derivative)] + _COMMON[1:9]
    + [("extreme_inputs", check_extreme_inputs)] + _COMMON[9:],
    "layer": list(_COMMON),
    "loss": list(_COMMON),
}


def kind_of(obj: Any) -> str:
    if isinstance(obj, Activation):
        return "activation"
    if isinstance(obj, Loss):
        return "loss"
    if callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None)):
        return "layer"
    raise TypeError(f"expected an Activation, a Layer or a Loss, got {type(obj).__name__}")


def run_check(name: str, check: Check, subject: Subject, seed: int) -> CheckResult:
    """One check under numpy's raise mode; its own generator (seeded by the check's name)."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                check(subject, rng)
    except SkipCheck as exc:
        return CheckResult(name, None, str(exc))
    except AssertionError as exc:
        return CheckResult(name, False, str(exc))
    except Exception as exc:  # noqa: BLE001 - whatever the object raises is reported, by name
        return CheckResult(name, False, f"raised {type(exc).__name__}: {exc}")
    return CheckResult(name, True)
