"""Finite-difference gradient checks for anything with forward/backward/params.

For an object `obj`, inputs x and weights `dvalues` (random by default) the
check takes the scalar L = sum(dvalues * obj.forward(x)) and compares

    analytic:  obj.backward(dvalues)          (dL/dx, and obj.grads for each param)
    numeric:   (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)   for every entry i

of the inputs and of every array in `obj.params`. An entry passes when
|analytic - numeric| <= atol + rtol * |numeric| (PyTorch's gradcheck rule).
Activations that define `second_derivative(x, y)` get it checked against
central differences of `derivative` too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._arrays import as_float_array
from .activations import Activation

__all__ = ["gradcheck", "GradCheckResult", "GradCheckError"]


@dataclass
class GradCheckResult:
    """Outcome of `gradcheck`.

    `passed` is True when every checked entry is within tolerance. The worst
    entry (largest error relative to its tolerance) is described by
    `worst_tensor` ("inputs", a parameter name or "second_derivative"),
    `worst_index`, and its `analytic` and `numeric` values. `tensors` maps
    each checked tensor to its own max absolute error. `notes` says what was
    converted or skipped.
    """

    passed: bool
    max_abs_error: float
    max_rel_error: float
    worst_tensor: str | None = None
    worst_index: tuple[int, ...] | None = None
    analytic: float = float("nan")
    numeric: float = float("nan")
    tensors: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        lines = [
            f"gradcheck {verdict}: max abs error {self.max_abs_error:.3g}, "
            f"max rel error {self.max_rel_error:.3g}"
        ]
        if self.worst_tensor is not None:
            lines.append(
                f"  worst entry: {self.worst_tensor}{list(self.worst_index)} "
                f"analytic {self.analytic:.10g} vs numeric {self.numeric:.10g}"
            )
        lines += [f"  {name}: max abs error {err:.3g}" for name, err in self.tensors.items()]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


class GradCheckError(AssertionError):
    """Raised by `gradcheck(..., raise_exception=True)`; `.result` holds the details."""

    def __init__(self, result: GradCheckResult):
        super().__init__(str(result))
        self.result = result


class _Comparison:
    """Accumulates the worst entry over every tensor checked."""

    def __init__(self, atol: float, rtol: float):
        self.atol, self.rtol = atol, rtol
        self.result = GradCheckResult(passed=True, max_abs_error=0.0, max_rel_error=0.0)
        self._worst_ratio = -1.0

    def add(self, name: str, analytic: np.ndarray, numeric: np.ndarray) -> None:
        analytic = np.asarray(analytic, dtype=np.float64)
        numeric = np.asarray(numeric, dtype=np.float64)
        if analytic.shape != numeric.shape:
            raise ValueError(
                f"gradcheck: the analytic gradient of {name} has shape {analytic.shape}, "
                f"expected {numeric.shape}"
            )
        res = self.result
        if analytic.size == 0:
            res.tensors[name] = 0.0
            return
        err = np.atleast_1d(np.abs(analytic - numeric))
        analytic, numeric = np.atleast_1d(analytic), np.atleast_1d(numeric)
        err[np.isnan(err)] = np.inf
        ratio = err / (self.atol + self.rtol * np.abs(numeric))
        idx = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        res.tensors[name] = float(err.max())
        res.max_abs_error = max(res.max_abs_error, float(err.max()))
        rel = err / np.maximum(np.abs(numeric), self.atol)
        res.max_rel_error = max(res.max_rel_error, float(rel.max()))
        if ratio[idx] > 1:
            res.passed = False
        if ratio[idx] > self._worst_ratio:
            self._worst_ratio = float(ratio[idx])
            res.worst_tensor, res.worst_index = name, tuple(int(i) for i in idx)
            res.analytic, res.numeric = float(analytic[idx]), float(numeric[idx])


def _is_elementwise(obj: object) -> bool:
    cls = type(obj)
    return (
        isinstance(obj, Activation)
        and cls.forward is Activation.forward
        and cls.backward is Activation.backward
    )


def gradcheck(
    obj: Any,
    inputs: Any,
    dvalues: Any = None,
    *,
    targets: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = False,
    seed: int = 0,
) -> GradCheckResult:
    """Check `obj.backward` (and `obj.grads`) against central finite differences.

    Parameters
    ----------
    obj : an activation, layer, loss, network: anything with `forward`,
        `backward` and optionally `params`/`grads` (dicts with the same keys).
    inputs : the array to differentiate with respect to. It is copied to
        float64 (a note says so when it was float32).
    dvalues : dL/d(output) weights; by default standard normal draws (seeded
        by `seed`) for array outputs and 1.0 for scalar outputs (losses).
        Random weights matter: with all ones, softmax's gradient is zero.
    targets : passed as `obj.forward(inputs, targets)` when given (losses).
    eps, atol, rtol : step and tolerances (PyTorch's defaults).
    raise_exception : raise `GradCheckError` instead of returning a failed result.
    """
    x = np.array(as_float_array(inputs, "gradcheck inputs"), dtype=np.float64)
    params = dict(getattr(obj, "params", None) or {})
    notes = []
    if np.asarray(inputs).dtype != np.float64:
        notes.append(f"inputs were {np.asarray(inputs).dtype}; the check runs in float64")
    for name, p in params.items():
        if not isinstance(p, np.ndarray) or p.dtype != np.float64:
            raise TypeError(
                f"gradcheck needs float64 parameters to perturb; {name!r} is "
                f"{getattr(p, 'dtype', type(p).__name__)}. Build the object in float64 "
                f"(e.g. dtype=np.float64) to check it"
            )

    def forward(values: np.ndarray) -> np.ndarray:
        out = obj.forward(values) if targets is None else obj.forward(values, targets)
        return np.asarray(out, dtype=np.float64)

    output = forward(x)
    if dvalues is None:
        dvalues = (
            np.float64(1.0) if output.ndim == 0
            else np.random.default_rng(seed).standard_normal(output.shape)
        )
    dvalues = np.asarray(as_float_array(dvalues, "gradcheck dvalues"), dtype=np.float64)
    if dvalues.shape != output.shape:
        raise ValueError(f"gradcheck: dvalues has shape {dvalues.shape}, the output has shape {output.shape}")

    analytic_inputs = np.array(obj.backward(dvalues), dtype=np.float64)
    grads = getattr(obj, "grads", None) or {}
    missing = [name for name in params if name not in grads]
    if missing:
        raise ValueError(f"gradcheck: {type(obj).__name__}.params has {missing} but grads does not")
    analytic_params = {name: np.array(grads[name], dtype=np.float64) for name in params}

    def loss(values: np.ndarray) -> float:
        return float(np.sum(dvalues * forward(values)))

    compare = _Comparison(atol, rtol)
    compare.result.notes = notes
    if _is_elementwise(obj):
        numeric = dvalues * (forward(x + eps) - forward(x - eps)) / (2 * eps)
    else:
        numeric = _numeric_gradient(loss, x, x, eps)
    compare.add("inputs", analytic_inputs, numeric)
    for name, p in params.items():
        compare.add(name, analytic_params[name], _numeric_gradient(loss, p, x, eps))

    second = getattr(obj, "second_derivative", None)
    if isinstance(obj, Activation) and callable(second):
        xs = np.atleast_1d(x)  # function/derivative are elementwise formulas: they need an array, not 0-d
        try:
            analytic2 = second(xs, obj.function(xs))
        except NotImplementedError as exc:
            notes.append(f"second derivative skipped: {exc}")
        else:
            numeric2 = (
                obj.derivative(xs + eps, obj.function(xs + eps))
                - obj.derivative(xs - eps, obj.function(xs - eps))
            ) / (2 * eps)
            # a constant second derivative may come back as a scalar
            compare.add("second_derivative", np.broadcast_to(analytic2, numeric2.shape), numeric2)

    forward(x)  # leave the object holding the state of the unperturbed inputs
    result = compare.result
    if raise_exception and not result.passed:
        raise GradCheckError(result)
    return result


def _numeric_gradient(loss, tensor: np.ndarray, x: np.ndarray, eps: float) -> np.ndarray:
    """Central differences of loss(x) with respect to each entry of `tensor` (perturbed in place)."""
    grad = np.empty(tensor.shape, dtype=np.float64)
    for idx in np.ndindex(tensor.shape):
        original = tensor[idx]
        tensor[idx] = original + eps
        plus = loss(x)
        tensor[idx] = original - eps
        minus = loss(x)
        tensor[idx] = original
        grad[idx] = (plus - minus) / (2 * eps)
    return grad
