"""nnlite.testing: each check catches the defect it names, passes on correct classes, and the
whole catalogue and Dense pass it."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings

import nnlite
from nnlite import activations
from nnlite.activations import (
    CELU,
    ELU,
    GELU,
    HardSigmoid,
    HardTanh,
    LeakyReLU,
    LogSoftmax,
    Maxout,
    PReLU,
    Softmax,
    Softplus,
    Swish,
)
from nnlite.testing import check_activation, check_layer, check_loss, parametrize_with_checks, strategies


class SquarePlus(nnlite.Activation, register=False):
    """The README's activation: f(x) = (x + sqrt(x^2 + b)) / 2, f'(x) = (1 + x / sqrt(x^2 + b)) / 2."""

    def __init__(self, b: float = 4.0):
        self.b = b

    def function(self, x):
        return 0.5 * x + 0.5 * np.hypot(x, math.sqrt(self.b))  # halves first: x + hypot overflows at 3e38

    def derivative(self, x, y):
        return 0.5 + 0.5 * (x / np.hypot(x, math.sqrt(self.b)))


class OnePercentOff(nnlite.Activation, register=False):
    def function(self, x):
        return np.tanh(x)

    def derivative(self, x, y):
        return 1.01 * (1 - y * y)


class WritesIntoInputs(nnlite.Activation, register=False):
    def function(self, x):
        return np.tanh(x, out=x)

    def derivative(self, x, y):
        return 1 - y * y


class ReturnsInputs(nnlite.Activation, register=False):
    def function(self, x):
        return x

    def derivative(self, x, y):
        return np.ones_like(x)


class Float32ComesBack64(nnlite.Activation, register=False):
    def function(self, x):
        return np.tanh(x.astype(np.float64))

    def derivative(self, x, y):
        return 1 - y * y


class AccumulatingScale(nnlite.Activation, register=False):
    """f(x) = a x with a learnable a, whose backward adds to grads["a"] instead of overwriting it."""

    def __init__(self, a: float = 2.0):
        self.a = a
        self.params = {"a": np.array([a])}
        self.grads = {"a": np.zeros(1)}

    def forward(self, inputs):
        self.inputs = np.asarray(inputs, dtype=np.result_type(inputs, np.float32))
        self.output = self.inputs * self.params["a"][0].astype(self.inputs.dtype)
        return self.output

    def backward(self, dvalues):
        self.grads["a"] += np.sum(dvalues * self.inputs)
        self.dinputs = dvalues * self.params["a"][0].astype(self.inputs.dtype)
        return self.dinputs


@pytest.mark.parametrize("broken, check", [
    (OnePercentOff(), "gradient"),
    (WritesIntoInputs(), "inputs_not_mutated"),
    (ReturnsInputs(), "outputs_not_aliased"),
    (Float32ComesBack64(), "float32"),
    (AccumulatingScale(), "backward_twice"),
])
def test_check_activation_names_the_failed_check(broken, check):
    with pytest.raises(AssertionError, match=rf"FAILED {check}:") as caught:
        check_activation(broken)
    assert type(broken).__name__ in str(caught.value)
    report = check_activation(broken, raise_on_failure=False)
    assert not report.passed and report[check].passed is False
    assert report["float64"].passed  # the others still ran and are reported


def test_a_derivative_one_percent_off_reports_both_values():
    message = check_activation(OnePercentOff(), raise_on_failure=False)["gradient"].message
    analytic, numeric = (float(message.split(word)[1].split()[0].rstrip(",")) for word in ("analytic", "numeric"))
    assert analytic == pytest.approx(1.01 * numeric, rel=1e-6)


def test_accumulating_backward_is_called_so():
    assert "accumulates" in check_activation(AccumulatingScale(), raise_on_failure=False)["backward_twice"].message


def test_a_numpy_scalar_parameter_that_promotes_float32_is_caught():
    class NumpySqrt(SquarePlus, register=False):
        def function(self, x):
            return 0.5 * x + 0.5 * np.hypot(x, np.sqrt(self.b))  # np.float64 scalar: float32 x becomes float64

    assert [r.name for r in check_activation(NumpySqrt(), raise_on_failure=False).failures] == ["float32"]


def test_square_plus_passes_and_unchecked_second_derivative_is_skipped():
    report = check_activation(SquarePlus(b=0.01))
    assert report.passed and report["second_derivative"].passed is None
    assert {r.name for r in report.results if r.passed} >= {"gradient", "save_load", "config_roundtrip"}


def test_a_wrong_second_derivative_fails_its_own_check_only():
    class BadSecond(nnlite.Activation, register=False):
        def function(self, x):
            return np.tanh(x)

        def derivative(self, x, y):
            return 1 - y * y

        def second_derivative(self, x, y):
            return -2 * y * (1 - y * y) * 1.02

    report = check_activation(BadSecond(), raise_on_failure=False)
    assert [r.name for r in report.failures] == ["second_derivative"]


def test_kinks_are_avoided_not_reported():
    class Abs(nnlite.Activation, register=False):
        """|x| with the subgradient 0 at the kink: correct everywhere but at 0."""

        def function(self, x):
            return np.abs(x)

        def derivative(self, x, y):
            return np.sign(x)

    assert check_activation(Abs(), inputs=np.array([[0.0, 1e-7, -1e-7, 2.0]]))["gradient"].passed


def test_warnings_at_extreme_inputs_fail_and_name_the_warning():
    class Square(nnlite.Activation, register=False):
        def function(self, x):
            return x * x

        def derivative(self, x, y):
            return 2 * x

    result = check_activation(Square(), raise_on_failure=False)["extreme_inputs"]
    assert result.passed is False and "overflow" in result.message


def test_a_class_whose_arguments_are_not_captured_fails_config_and_save():
    class Hidden(nnlite.Activation, register=False):
        def __init__(self, b=1.0):
            self._b = b

        def function(self, x):
            return x * self._b

        def derivative(self, x, y):
            return np.full_like(x, self._b)

    report = check_activation(Hidden(2.0), raise_on_failure=False)
    for name in ("config_roundtrip", "save_load"):
        assert report[name].passed is False and "'b'" in report[name].message


def test_check_layer_on_dense_with_penalties_and_a_broken_layer():
    assert check_layer(nnlite.Dense(5, 2, l1=0.01, l2=0.1, seed=1)).passed

    class ForgetsTheBias(nnlite.Dense):
        def backward(self, dvalues):
            super().backward(dvalues)
            self.dbiases[...] = 0
            return self.dinputs

    failures = check_layer(ForgetsTheBias(3, 2, seed=0), raise_on_failure=False).failures
    assert [r.name for r in failures] == ["gradient"] and "biases" in failures[0].message


def test_a_dropout_whose_backward_forgets_the_scale_fails_the_gradient_check():
    class Unscaled(nnlite.Dropout):
        def backward(self, dvalues):
            return super().backward(dvalues) * (1 - self.rate)

    report = check_layer(Unscaled(0.5, seed=0), np.ones((6, 4)), raise_on_failure=False)
    assert [r.name for r in report.failures] == ["gradient"]
    assert check_layer(nnlite.Dropout(0.5, seed=0), np.ones((6, 4))).passed


def test_check_layer_needs_inputs_when_it_cannot_guess_them():
    class NoSize(nnlite.Layer):
        def forward(self, inputs):
            self.inputs, self.output = inputs, inputs * 2.0
            return self.output

        def backward(self, dvalues):
            self.dinputs = dvalues * 2.0
            return self.dinputs

    with pytest.raises(ValueError, match="pass inputs="):
        check_layer(NoSize())
    report = check_layer(NoSize(), np.ones((3, 2)), raise_on_failure=False)
    assert report["outputs_not_aliased"].passed and not report["dvalues_shape_error"].passed


@pytest.mark.parametrize("name", nnlite.losses.names())
def test_check_loss_passes_on_every_builtin_loss(name):
    assert check_loss(nnlite.losses.get(name)).passed


def test_check_loss_catches_a_wrong_gradient():
    class HalfMSE(nnlite.MeanSquaredError):
        name = "_half_mse"  # "_" keeps it out of the loss registry

        def _forward(self, y_pred, y_true):
            value = super()._forward(y_pred, y_true)
            self._grad = self._grad * 0.5
            return value

    report = check_loss(HalfMSE(), raise_on_failure=False)
    assert report["gradient"].passed is False and report["float32"].passed
    # an unregistered loss cannot come back from a file, and the check says so
    assert report["save_load"].passed is False and "_half_mse" in report["save_load"].message


def test_the_wrong_kind_of_object_is_a_type_error():
    with pytest.raises(TypeError, match="expects an activation"):
        check_activation(nnlite.Dense(2, 2))
    with pytest.raises(TypeError, match="Activation, a Layer or a Loss"):
        check_layer(object())


# --------------------------------------------------------------- the catalogue and Dense

INTERESTING = [
    LeakyReLU(alpha=0.2), LeakyReLU(alpha=1.5), LeakyReLU(alpha=-0.5), ELU(alpha=0.5), ELU(alpha=-1.0),
    ELU(alpha=1e300), CELU(alpha=2.0), CELU(alpha=0.1), PReLU(init=3.0), PReLU(init=0.1, num_parameters=4),
    Swish(beta=2.0, learnable=True), Swish(beta=0.5), GELU(approximate="tanh"), HardSigmoid(slope=1 / 6),
    HardSigmoid(slope=2.0), HardTanh(-2.0, 3.0), Softplus(beta=2.0), Softplus(beta=0.5), Softmax(axis=0),
    LogSoftmax(axis=0), Maxout(pieces=3),
]
# other test modules register activations of their own while pytest collects: keep nnlite's
BUILTIN_NAMES = [name for name in activations.names() if activations.get(name).__module__ == "nnlite.activations"]
def _inference(layer):
    layer.training = False
    return layer


OBJECTS = [activations.get(name) for name in BUILTIN_NAMES] + INTERESTING + [
    nnlite.Dense(4, 3, seed=0), nnlite.Dense(5, 2, weight_init="glorot", l1=0.01, l2=0.01, seed=1),
    nnlite.Dense(3, 4, dtype=np.float32, seed=2),
    # the training layers, in both modes (Dropout's mask is replayed from its state for the gradient)
    nnlite.BatchNorm(4), _inference(nnlite.BatchNorm(3, momentum=0.5)), nnlite.LayerNorm(4),
]
DROPOUTS = [nnlite.Dropout(0.3, seed=0), _inference(nnlite.Dropout(0.5, seed=1)), nnlite.Dropout(0.0)]



@parametrize_with_checks(OBJECTS)
def test_builtin_catalogue_and_dense(obj, check):
    check(obj)


@parametrize_with_checks(DROPOUTS, inputs=np.random.default_rng(0).normal(size=(6, 4)))
def test_dropout_in_both_modes(obj, check):
    check(obj)


def test_the_suite_covers_every_registered_activation():
    assert {type(o) for o in OBJECTS} >= {type(activations.get(n)) for n in BUILTIN_NAMES}
    assert len(BUILTIN_NAMES) == 23


def test_parametrize_with_checks_gives_one_readable_test_per_object_and_check():
    mark = parametrize_with_checks([SquarePlus(b=0.5), nnlite.Dense(2, 2)]).mark
    ids = [p.id for p in mark.args[1]]
    assert "SquarePlus(b=0.5)-gradient" in ids and "SquarePlus(b=0.5)-extreme_inputs" in ids
    assert any(i.startswith("Dense(n_inputs=2") and i.endswith("-save_load") for i in ids)
    assert len(ids) == len(set(ids)) == len(nnlite.testing.checks_for(SquarePlus())) + len(
        nnlite.testing.checks_for(nnlite.Dense(2, 2)))


@parametrize_with_checks([OnePercentOff()])
def test_a_failing_check_fails_its_pytest_test(obj, check, request):
    if request.node.callspec.id.endswith("-gradient"):
        with pytest.raises(AssertionError, match="FAILED gradient"):
            check(obj)
    else:
        check(obj)


# --------------------------------------------------------------- strategies and optional imports


@settings(max_examples=30, deadline=None)
@given(strategies.arrays())
def test_strategy_arrays_are_finite_with_the_dtypes_nnlite_takes(x):
    assert x.dtype in (np.float32, np.float64, np.int64) and np.all(np.isfinite(x))


@settings(max_examples=30, deadline=None)
@given(strategies.arrays(np.float64, max_abs=10, away_from=[-3.0, 3.0]))
def test_points_away_from_kinks_pass_gradcheck(x):
    assert np.all(np.abs(np.abs(x) - 3) >= 1e-3) and np.all(np.abs(x) <= 10)
    assert nnlite.gradcheck(activations.get("hard_swish"), x).passed


def test_import_works_without_hypothesis_and_pytest_and_says_how_to_install():
    code = (
        "import sys; sys.modules['hypothesis'] = None; sys.modules['pytest'] = None\n"
        "import nnlite, nnlite.testing\n"
        "assert nnlite.testing.check_activation(nnlite.Tanh()).passed\n"
        "try:\n    nnlite.testing.strategies\nexcept ImportError as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert 'pip install -e ".[test]"' in done.stdout
