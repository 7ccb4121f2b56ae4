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

A finite difference can be wrong for correct code, so an entry that
disagrees is never failed on one estimate:
- if the error lies within the rounding noise of the difference (a few ulps
  of L over the step: a bias of 0 next to outputs of 1e12), it is not judged;
- otherwise steps 16, 256, ... times smaller are tried, down to 16 ulp(x_i) or
  skipping those whose rounding noise exceeds the tolerance: the entry
  passes once one of them agrees (a kink just inside the first step), fails
  once two successive ones agree with each other (the difference has
  converged elsewhere), and is not judged if they keep changing (a kink, or
  sin at 1e15, whose period is a few ulps).
Entries not judged leave `passed` alone and are counted, with the reason, in
`notes`: never a false failure, never a silent skip.
Activations that define `second_derivative(x, y)` get it checked against
central differences of `derivative` too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._arrays import as_float_array
from .activations import Activation

__all__ = ["gradcheck", "GradCheckResult", "GradCheckError"]

# Rounding error of a computed output, in units of its magnitude: a few ulps of float64,
# with room for the handful of roundings inside a forward pass.
_ROUNDING = 8 * np.finfo(np.float64).eps
_LADDER = 24  # at most this many smaller steps (16x each: down to 1e-35 of the first) per entry


@dataclass
class GradCheckResult:
    """Outcome of `gradcheck`.

    `passed` is True when every checked entry is within tolerance, except
    entries that finite differences cannot judge (rounding noise, or
    estimates that change with the step: see the module doc); `notes` says
    how many and why. The worst
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


Estimate = Callable[[np.ndarray, "np.ndarray | None"], tuple[np.ndarray, np.ndarray]]


class _Comparison:
    """Accumulates the worst entry over every tensor checked.

    Each tensor comes with `estimate(steps, mask)`: central differences with a
    step per entry (only where `mask` is True, NaN elsewhere) and their
    rounding noise. An entry that disagrees with the analytic value is only
    failed on a stable estimate, one that a half step confirms; see `add`.
    """

    def __init__(self, atol: float, rtol: float, eps: float):
        self.atol, self.rtol, self.eps = atol, rtol, eps
        self.result = GradCheckResult(passed=True, max_abs_error=0.0, max_rel_error=0.0)
        self._worst_ratio = -1.0

    def add(self, name: str, analytic: np.ndarray, values: np.ndarray, raw_estimate: Estimate) -> None:
        """Compare one tensor's analytic gradient with finite differences around `values`.

        The step is eps * max(1, |value|). Where the analytic value
        disagrees by less than the rounding noise of the difference, the entry
        is not judged; beyond it, `_recheck` looks again with smaller steps.
        """
        analytic = np.atleast_1d(np.asarray(analytic, dtype=np.float64))
        values = np.atleast_1d(values)
        if analytic.shape != values.shape:
            raise ValueError(
                f"gradcheck: the analytic gradient of {name} has shape {analytic.shape}, "
                f"expected {values.shape}"
            )
        res = self.result
        if analytic.size == 0:
            res.tensors[name] = 0.0
            return

        def shaped(steps: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
            numeric, noise = raw_estimate(steps, mask)  # 0-d for a 0-d parameter
            return np.reshape(numeric, values.shape), np.array(np.broadcast_to(noise, values.shape))

        estimate = shaped
        numeric, noise = shaped(_step(values, self.eps), None)
        err = np.abs(analytic - numeric)
        err[np.isnan(err)] = np.inf
        tolerance = self.atol + self.rtol * np.abs(numeric)
        rounding = (err > tolerance) & (err <= tolerance + noise)
        suspect = (err > tolerance) & ~rounding
        unstable = np.zeros_like(suspect)
        if suspect.any():
            numeric, noise, err, unstable = self._recheck(analytic, values, estimate, suspect, numeric, noise, err)
            tolerance = self.atol + self.rtol * np.abs(numeric)
        self._note(name, int(np.count_nonzero(rounding)), int(np.count_nonzero(unstable)))
        with np.errstate(invalid="ignore"):
            ratio = np.where(rounding | unstable, 0.0, err / (tolerance + noise))
        ratio[np.isnan(ratio)] = np.inf
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

    def _recheck(self, analytic, values, estimate, suspect, numeric, noise, err):
        """Second looks at the suspect entries: (numeric, noise, err, unjudged), updated there.

        Steps 16, 256, ... times smaller are tried, down to 16 ulp(value); an
        estimate whose rounding noise exceeds its tolerance is not used. An
        entry passes as soon as a usable estimate agrees with the analytic
        value; it fails as soon as two successive usable estimates agree with
        each other to rtol (the difference has converged, and not to the
        analytic value); if neither happens (the estimates keep changing with
        the step: a kink, or a function that varies fast on the scale of the
        step) it is not judged.
        """
        numeric, noise, err = numeric.copy(), np.array(noise, dtype=np.float64), err.copy()
        with np.errstate(over="ignore"):  # the spacing at the float range's edge is inf: the floor is the step
            floor = 16 * np.spacing(np.abs(values.astype(np.float64)))
        steps = _step(values, self.eps)
        usable = suspect & (noise <= self.atol + self.rtol * np.abs(numeric))
        last, last_noise = np.where(usable, numeric, np.nan), np.where(usable, noise, np.inf)
        passes, converged = np.zeros_like(suspect), np.zeros_like(suspect)
        for _ in range(_LADDER):
            active = suspect & ~passes & ~converged & (steps > floor)
            if not active.any():
                break
            steps = np.where(active, np.maximum(steps / 16, floor), steps)
            smaller, smaller_noise = estimate(steps, active)
            with np.errstate(invalid="ignore"):  # NaN where not computed or no usable estimate yet
                smaller_err = np.abs(analytic - smaller)
                tolerance = self.atol + self.rtol * np.abs(smaller)
                usable = active & (smaller_noise <= tolerance)
                agrees = usable & (smaller_err <= tolerance)
                # relative agreement only: estimates near 0 from far too large steps must not count
                same = usable & ~agrees & (np.abs(smaller - last) <= self.rtol * np.abs(smaller)
                                           + smaller_noise + last_noise)
            numeric[agrees], noise[agrees], err[agrees] = smaller[agrees], smaller_noise[agrees], smaller_err[agrees]
            passes |= agrees
            converged |= same
            last[usable], last_noise[usable] = smaller[usable], smaller_noise[usable]
        fails = suspect & converged
        with np.errstate(invalid="ignore"):  # report the first step's estimate where the small steps confirm it
            confirmed = np.abs(numeric - last) <= self.atol + self.rtol * np.abs(last) + noise + last_noise
        replace = fails & ~confirmed
        numeric[replace], noise[replace] = last[replace], last_noise[replace]
        err[replace] = np.abs(analytic[replace] - last[replace])
        return numeric, noise, err, suspect & ~passes & ~converged

    def _note(self, name: str, rounding: int, unstable: int) -> None:
        def entries(k: int) -> str:
            return f"{k} entr{'y' if k == 1 else 'ies'} of {name}"

        if rounding:
            self.result.notes.append(
                f"{entries(rounding)} could not be judged: the finite-difference step changes the output by "
                "less than the output's rounding error (values of very different magnitudes); check them on "
                "smaller values"
            )
        if unstable:
            self.result.notes.append(
                f"{entries(unstable)} could not be judged: the finite differences change with the step (a kink "
                "within the step, or a function that varies fast on the scale of the step); check them away "
                "from kinks"
            )


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
    eps, atol, rtol : relative step (eps * max(1, |value|), smaller ones tried
        where it disagrees) and tolerances (PyTorch's defaults).
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

    compare = _Comparison(atol, rtol, eps)
    compare.result.notes = notes
    # rounding error of L = sum(dvalues * output): a few ulps of the sum of the magnitudes
    loss_rounding = float(np.sum(np.abs(_ROUNDING * dvalues) * np.abs(output)))
    if _is_elementwise(obj):
        compare.add("inputs", analytic_inputs, x, _elementwise_estimate(forward, x, dvalues))
    else:
        compare.add("inputs", analytic_inputs, x, _entry_estimate(loss, x, x, loss_rounding))
    for name, p in params.items():
        compare.add(name, analytic_params[name], p, _entry_estimate(loss, p, x, loss_rounding))

    second = getattr(obj, "second_derivative", None)
    if isinstance(obj, Activation) and callable(second):
        xs = np.atleast_1d(x)  # function/derivative are elementwise formulas: they need an array, not 0-d
        try:
            analytic2 = second(xs, obj.function(xs))
        except NotImplementedError as exc:
            notes.append(f"second derivative skipped: {exc}")
        else:
            # a constant second derivative may come back as a scalar
            compare.add("second_derivative", np.broadcast_to(analytic2, xs.shape), xs,
                        _elementwise_estimate(lambda v: obj.derivative(v, obj.function(v)), xs, 1.0))

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


def _step(values: np.ndarray, eps: float) -> np.ndarray:
    """eps * max(1, |value|): a fixed eps is lost in the rounding of a large value (1e10 + 1e-6 == 1e10);
    `_Comparison._recheck` tries smaller steps where this one is too coarse for the function."""
    return eps * np.maximum(1.0, np.abs(values))


def _shifted(values: np.ndarray, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """values +- steps, kept inside the finite float range."""
    big = np.finfo(np.float64).max
    with np.errstate(over="ignore"):  # past the float range the step stops at its edge
        return np.minimum(values + steps, big), np.maximum(values - steps, -big)


def _perturbed(values: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """values +- the step of `_step`, kept inside the finite float range."""
    return _shifted(values, _step(values, eps))


def _elementwise_estimate(function: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dvalues: Any) -> Estimate:
    """Central differences of an elementwise function, every entry at once (the mask is not needed)."""

    def estimate(steps: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        plus, minus = _shifted(x, steps)
        out_plus, out_minus = np.asarray(function(plus), np.float64), np.asarray(function(minus), np.float64)
        with np.errstate(over="ignore", invalid="ignore"):  # outputs near the float range: inf noise, not judged
            step = plus - minus
            numeric = dvalues * (out_plus - out_minus) / step
            noise = 2 * _ROUNDING * np.abs(dvalues) * np.maximum(np.abs(out_plus), np.abs(out_minus)) / step
        return numeric, noise

    return estimate


def _entry_estimate(loss: Callable[[np.ndarray], float], tensor: np.ndarray, x: np.ndarray,
                    loss_rounding: float) -> Estimate:
    """Central differences of loss(x) one entry of `tensor` at a time (perturbed in place)."""

    def estimate(steps: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        numeric, step_taken = _numeric_gradient(loss, tensor, x, steps, mask)
        with np.errstate(divide="ignore"):
            return numeric, loss_rounding / step_taken

    return estimate


def _numeric_gradient(loss: Callable[[np.ndarray], float], tensor: np.ndarray, x: np.ndarray,
                      steps: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of loss(x) with respect to each entry of `tensor` (perturbed in place,
    only where `mask` is True; NaN elsewhere), and the full step (x + h) - (x - h) taken."""
    grad = np.full(tensor.shape, np.nan)
    taken = np.full(tensor.shape, np.nan)
    steps = np.reshape(steps, tensor.shape)  # add() works on 1-d views of 0-d parameters
    for idx in np.ndindex(tensor.shape):
        if mask is not None and not mask.reshape(tensor.shape)[idx]:
            continue
        original = tensor[idx]
        plus_value, minus_value = _shifted(np.float64(original), steps[idx])
        tensor[idx] = plus_value
        plus = loss(x)
        tensor[idx] = minus_value
        minus = loss(x)
        tensor[idx] = original
        taken[idx] = plus_value - minus_value
        grad[idx] = (plus - minus) / taken[idx]
    return grad, taken
