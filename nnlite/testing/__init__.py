"""Check your own activation, layer or loss the way nnlite checks its own.

    from nnlite.testing import check_activation, parametrize_with_checks

    check_activation(SquarePlus(b=0.01))      # AssertionError listing every failed check

    @parametrize_with_checks([SquarePlus(), SquarePlus(b=0.01)])
    def test_square_plus(obj, check):         # one pytest test per (object, check)
        check(obj)

`check_activation(obj)`, `check_layer(obj, inputs=None)` and
`check_loss(obj, y_pred=None, y_true=None)` run every applicable check and
raise one AssertionError naming each failed check with what was expected and
what was found; with `raise_on_failure=False` they return a `CheckReport`.
The checks, by name:

- gradient: backward against central differences, for the inputs and every
  parameter, at random points away from kinks (found automatically: see
  `nnlite.testing._inputs`);
- second_derivative: `second_derivative(x, y)` against differences of
  `derivative`, where the activation defines it;
- float32, float64, integer_inputs: float32 in gives float32 out, float64 is
  kept, integers are accepted and promoted to float64 (a layer's float64
  parameters may promote float32 inputs, never the reverse);
- inputs_not_mutated, outputs_not_aliased, results_kept: the caller's arrays
  are neither written nor returned, and a result the caller keeps is not
  overwritten by the next call;
- backward_twice: grads are overwritten, not accumulated;
- nan_propagates; extreme_inputs (activations): no numpy warning and no NaN
  for finite inputs up to |x| = 1e300 (float32: up to 3e38);
- config_roundtrip: `type(obj)(**get_config())` (through JSON) gives the
  same outputs; save_load: inside a `Sequential`, `save`/`load` give the
  same class and bit-identical predictions;
- dvalues_shape_error, backward_before_forward: clear errors.

Every check runs on a deep copy of the object with numpy warnings turned
into errors. `nnlite.testing.strategies` has hypothesis strategies for
inputs (it needs hypothesis, a test extra: `pip install -e ".[test]"`);
`parametrize_with_checks` needs pytest.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable
from typing import Any

import numpy as np

from ._checks import CHECKS, kind_of, run_check, subject_for
from ._report import CheckReport, CheckResult, SkipCheck

__all__ = [
    "check_activation", "check_layer", "check_loss", "check_object", "parametrize_with_checks",
    "CheckReport", "CheckResult", "SkipCheck", "checks_for", "strategies",
]


def checks_for(obj: Any) -> list[str]:
    """The names of the checks that apply to `obj` (an Activation, a Layer or a Loss)."""
    second = callable(getattr(obj, "second_derivative", None))
    return [name for name, _ in CHECKS[kind_of(obj)] if second or name != "second_derivative"]


def _run(kind: str, obj: Any, inputs: Any, targets: Any, raise_on_failure: bool, seed: int,
         only: Iterable[str] | None = None) -> CheckReport:
    if kind_of(obj) != kind:
        raise TypeError(f"check_{kind} expects {'a' if kind == 'layer' else 'an'} {kind}, got {type(obj).__name__}")
    subject = subject_for(kind, obj, inputs, targets, np.random.default_rng(seed))
    wanted = None if only is None else set(only)
    report = CheckReport(f"check_{kind}({obj!r})")
    for name, check in CHECKS[kind]:
        if wanted is None or name in wanted:
            report.results.append(run_check(name, check, subject, seed))
    if raise_on_failure and not report.passed:
        raise AssertionError(str(report))
    return report


def check_activation(obj: Any, *, inputs: Any = None, raise_on_failure: bool = True, seed: int = 0) -> CheckReport:
    """Run every activation check on `obj`; see the module docstring for the list."""
    return _run("activation", obj, inputs, None, raise_on_failure, seed)


def check_layer(obj: Any, inputs: Any = None, *, raise_on_failure: bool = True, seed: int = 0) -> CheckReport:
    """Run every layer check on `obj` with `inputs` (by default standard normal draws of
    shape (6, obj.n_inputs) when the layer has `n_inputs`)."""
    return _run("layer", obj, inputs, None, raise_on_failure, seed)


def check_loss(obj: Any, y_pred: Any = None, y_true: Any = None, *, raise_on_failure: bool = True,
               seed: int = 0) -> CheckReport:
    """Run every loss check on `obj` (by default y_pred uniform in (0.05, 0.95), shape (8, 3), and
    class-index, 0/1 or normal targets as the loss takes them)."""
    return _run("loss", obj, y_pred, y_true, raise_on_failure, seed)


def check_object(obj: Any, *, raise_on_failure: bool = True, seed: int = 0, **data: Any) -> CheckReport:
    """check_activation, check_layer or check_loss, whichever fits `obj`."""
    kind = kind_of(obj)
    return {"activation": check_activation, "layer": check_layer, "loss": check_loss}[kind](
        obj, raise_on_failure=raise_on_failure, seed=seed, **data)


def _one_check(name: str, obj: Any, **data: Any) -> None:
    """What parametrize_with_checks hands a test: run check `name`, fail or skip through pytest."""
    import pytest

    kind = kind_of(obj)
    inputs = data.get("inputs", data.get("y_pred"))
    report = _run(kind, obj, inputs, data.get("y_true"), False, data.get("seed", 0), only=[name])
    result = report.results[0]
    if result.passed is None:
        pytest.skip(f"{name}: {result.message}")
    if result.passed is False:
        raise AssertionError(f"{report.subject} {result}")


def parametrize_with_checks(objects: Iterable[Any], *, ids: Iterable[str] | None = None, **data: Any) -> Any:
    """A pytest decorator: one test per (object, check), with ids such as "SquarePlus(b=0.01)-gradient".

        @parametrize_with_checks([SquarePlus(), SquarePlus(b=0.01)])
        def test_square_plus(obj, check):
            check(obj)

    `ids` replaces the objects' reprs in the test ids; `data` (inputs=,
    y_pred=, y_true=, seed=) is passed to every check.
    """
    try:
        import pytest
    except ImportError:  # pragma: no cover - pytest is what runs this decorator
        raise ImportError('parametrize_with_checks needs pytest: pip install -e ".[test]"') from None
    objects = list(objects)
    labels = list(ids) if ids is not None else [repr(obj) for obj in objects]
    if len(labels) != len(objects):
        raise ValueError(f"parametrize_with_checks: {len(labels)} ids for {len(objects)} objects")
    params = [
        pytest.param(obj, functools.partial(_one_check, name, **data), id=f"{label}-{name}")
        for obj, label in zip(objects, labels)
        for name in checks_for(obj)
    ]
    return pytest.mark.parametrize("obj, check", params)


def __getattr__(name: str) -> Any:
    if name == "strategies":  # imported on first use: it needs hypothesis, a test extra
        return importlib.import_module(f"{__name__}.strategies")
    raise AttributeError(f"module 'nnlite.testing' has no attribute {name!r}")
