"""Finite-difference gradient checks for anything with forward/backward/params.

For an object `obj`, inputs x and weights `dvalues` (random by default) the
check takes the scalar L = sum(dvalues * obj.forward(x)) and compares

    analytic:  obj.backward(dvalues)          (dL/dx, and obj.grads for each param)
    numeric:   (L(x + h_i e_i) - L(x - h_i e_i)) / (2 h_i),  h_i = eps * max(1, |x_i|)

for every entry i of the inputs and of every array in `obj.params`. The step
grows with |x_i| because a fixed eps is lost in the rounding of a large x_i
(1e8 + 1e-6 is not 1e-6 away from 1e8); the denominator is the step actually
taken, (x_i + h_i) - (x_i - h_i), and a step that would leave the float range
stops at its edge. An entry passes when
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

# Rounding error of a computed output, in units of its magnitude: a few ulps of float64,
# with room for the handful of roundings inside a forward pass.
_ROUNDING = 8 * np.finfo(np.float64).eps


@dataclass
class GradCheckResult:
    """Outcome of `gradcheck`.

    `passed` is True when every checked entry is within tolerance, except
    entries whose error lies within the rounding noise of their finite
    difference: those cannot be judged, and `notes` says how many. The worst
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

    def add(self, name: str, analytic: np.ndarray, numeric: np.ndarray, noise: Any = 0.0) -> None:
        """Compare one tensor; `noise` bounds the rounding error of `numeric` (per entry or scalar)."""
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
        tolerance = self.atol + self.rtol * np.abs(numeric)
        # An error inside the rounding noise of the finite difference is no evidence either way:
        # such entries are reported as not judged instead of failing correct code.
        unjudged = int(np.count_nonzero((err > tolerance) & (err <= tolerance + noise)))
        if unjudged:
            res.notes.append(
                f"{unjudged} entr{'y' if unjudged == 1 else 'ies'} of {name} could not be judged: the "
                "finite-difference step changes the output by less than the output's rounding error "
                "(values of very different magnitudes); check them on smaller values"
            )
        ratio = err / (tolerance + noise)
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
    eps, atol, rtol : relative step (eps * max(1, |value|)) and tolerances
        (PyTorch's defaults).
    raise_exception : raise `GradCheckError` instead of returning a failed result.
    """
    _check_arguments(obj, eps, atol, rtol)
    x = np.array(as_float_array(inputs, "gradcheck inputs"), dtype=np.float64)
    if x.size == 0:
        raise ValueError(f"gradcheck needs at least one input value; got inputs of shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("gradcheck inputs must be finite: a finite difference at NaN or inf judges nothing")
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
    if not np.all(np.isfinite(dvalues)):
        raise ValueError("gradcheck dvalues must be finite")
    if dvalues.shape != output.shape:
        raise ValueError(f"gradcheck: dvalues has shape {dvalues.shape}, the output has shape {output.shape}")

    dinputs = obj.backward(dvalues)
    if dinputs is None:
        raise TypeError(f"gradcheck: {type(obj).__name__}.backward returned None; it must return dL/d(inputs)")
    analytic_inputs = np.array(dinputs, dtype=np.float64)
    grads = getattr(obj, "grads", None) or {}
    missing = [name for name in params if name not in grads]
    if missing:
        raise ValueError(f"gradcheck: {type(obj).__name__}.params has {missing} but grads does not")
    analytic_params = {name: np.array(grads[name], dtype=np.float64) for name in params}

    def loss(values: np.ndarray) -> float:
        out = forward(values)
        with np.errstate(over="ignore"):  # an L past the float range is inf: no difference can be judged
            return float(np.sum(dvalues * out))

    compare = _Comparison(atol, rtol)
    compare.result.notes = notes
    # rounding error of L = sum(dvalues * output): a few ulps of the sum of the magnitudes
    loss_rounding = float(np.sum(np.abs(_ROUNDING * dvalues) * np.abs(output)))
    if _is_elementwise(obj):
        plus, minus = _perturbed(x, eps)
        out_plus, out_minus = forward(plus), forward(minus)
        with np.errstate(over="ignore", invalid="ignore"):  # outputs near the float range: inf noise, not judged
            numeric = dvalues * (out_plus - out_minus) / (plus - minus)
            magnitude = np.maximum(np.abs(out_plus), np.abs(out_minus))
            noise = 2 * _ROUNDING * np.abs(dvalues) * magnitude / (plus - minus)
        compare.add("inputs", analytic_inputs, numeric, noise)
    else:
        numeric, steps = _numeric_gradient(loss, x, x, eps)
        compare.add("inputs", analytic_inputs, numeric, loss_rounding / steps)
    for name, p in params.items():
        numeric, steps = _numeric_gradient(loss, p, x, eps)
        compare.add(name, analytic_params[name], numeric, loss_rounding / steps)

    second = getattr(obj, "second_derivative", None)
    if isinstance(obj, Activation) and callable(second):
        xs = np.atleast_1d(x)  # function/derivative are elementwise formulas: they need an array, not 0-d
        try:
            analytic2 = second(xs, obj.function(xs))
        except NotImplementedError as exc:
            notes.append(f"second derivative skipped: {exc}")
        else:
            plus, minus = _perturbed(xs, eps)
            numeric2 = (
                obj.derivative(plus, obj.function(plus)) - obj.derivative(minus, obj.function(minus))
            ) / (plus - minus)
            # a constant second derivative may come back as a scalar
            compare.add("second_derivative", np.broadcast_to(analytic2, numeric2.shape), numeric2)

    forward(x)  # leave the object holding the state of the unperturbed inputs
    result = compare.result
    if raise_exception and not result.passed:
        raise GradCheckError(result)
    return result


def _check_arguments(obj: Any, eps: float, atol: float, rtol: float) -> None:
    if not (callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None))):
        raise TypeError(
            "gradcheck checks an object with forward and backward methods (an activation, layer, loss, "
            f"Sequential or OneNeuron); got {obj!r}. A plain function has no hand-written backward to "
            "check: wrap it in an Activation subclass with function and derivative"
        )
    for name, value, low_ok in (("eps", eps, False), ("atol", atol, True), ("rtol", rtol, True)):
        if not (isinstance(value, (int, float, np.number)) and np.isfinite(value) and (value > 0 or
                                                                                      (low_ok and value == 0))):
            expected = "a finite number >= 0" if low_ok else "a finite number > 0"
            raise ValueError(f"gradcheck {name} must be {expected}, got {value!r}")


def _perturbed(values: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """values +- eps * max(1, |values|), kept inside the finite float range."""
    step = eps * np.maximum(1.0, np.abs(values))
    big = np.finfo(np.float64).max
    with np.errstate(over="ignore"):  # past the float range the step stops at its edge
        return np.minimum(values + step, big), np.maximum(values - step, -big)


def _numeric_gradient(loss, tensor: np.ndarray, x: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of loss(x) with respect to each entry of `tensor` (perturbed in place),
    and the full step (x + h) - (x - h) taken for each entry."""
    grad = np.empty(tensor.shape, dtype=np.float64)
    steps = np.empty(tensor.shape, dtype=np.float64)
    for idx in np.ndindex(tensor.shape):
        original = tensor[idx]
        plus_value, minus_value = _perturbed(np.float64(original), eps)
        tensor[idx] = plus_value
        plus = loss(x)
        tensor[idx] = minus_value
        minus = loss(x)
        tensor[idx] = original
        steps[idx] = plus_value - minus_value
        grad[idx] = (plus - minus) / steps[idx]
    return grad, steps
