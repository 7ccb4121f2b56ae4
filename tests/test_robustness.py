"""Hostile inputs (issue 11): every input gets a right answer or a named error.

Each test here failed before its fix. References are closed forms (the
identity's derivative is 1, a linear neuron's gradients are sums of x).
"""

import numpy as np
import pytest

import nnlite

# ---------------------------------------------------------------- gradcheck


@pytest.mark.parametrize("scale", [1e8, 1e10, 1e300, -1e15])
def test_gradcheck_passes_correct_code_at_large_inputs(scale):
    # identity: f' = 1 exactly; a fixed step of 1e-6 is lost in the rounding of x at 1e8 and beyond
    x = scale * np.array([1.0, 1.5, 2.0])
    result = nnlite.gradcheck(nnlite.activations.get("linear"), x)
    assert result.passed, str(result)
    assert result.max_rel_error < 1e-8


def test_gradcheck_passes_a_non_elementwise_object_at_large_inputs():
    x = 1e10 * np.random.default_rng(0).normal(size=(3, 2))
    assert nnlite.gradcheck(nnlite.Dense(2, 3, seed=0), x).passed


def test_gradcheck_passes_large_parameters():
    # y = w x + b (linear): dL/dw = sum(dvalues x), dL/db = sum(dvalues), exactly
    neuron = nnlite.OneNeuron("linear", weight=1e9, bias=-3e10)
    result = nnlite.gradcheck(neuron, np.array([0.5, -1.0, 2.0]))
    assert result.passed, str(result)
    layer = nnlite.Dense(2, 2, seed=0)
    layer.weights *= 1e12
    result = nnlite.gradcheck(layer, np.array([[0.3, -0.7]]))
    # the biases (0) move the outputs (1e12) by less than their rounding: not judged, and said so
    assert result.passed
    assert any("2 entries of biases could not be judged" in note for note in result.notes), result.notes


def test_gradcheck_still_fails_a_wrong_gradient_it_can_judge_next_to_unjudged_entries():
    class WrongWeights(nnlite.Dense):
        def backward(self, dvalues):
            dinputs = super().backward(dvalues)
            self.dweights *= 1.01
            return dinputs

    layer = WrongWeights(2, 2, seed=0)
    layer.weights *= 1e12
    result = nnlite.gradcheck(layer, np.array([[0.3, -0.7]]))
    assert not result.passed
    assert result.worst_tensor == "weights"


def test_gradcheck_at_the_edge_of_the_float_range_judges_without_warnings():
    x = np.array([np.finfo(np.float64).max, -np.finfo(np.float64).max, 1e308])
    result = nnlite.gradcheck(nnlite.activations.get("linear"), x)
    assert result.passed, str(result)


def test_gradcheck_still_fails_a_derivative_one_percent_off_at_large_inputs():
    class OffByOnePercent(nnlite.Activation, register=False):
        def function(self, x):
            return 2 * x

        def derivative(self, x, y):
            return np.full_like(x, 2.02)

    result = nnlite.gradcheck(OffByOnePercent(), np.array([1e9, -3e12]))
    assert not result.passed
    assert result.analytic == pytest.approx(1.01 * result.numeric, rel=1e-9)


@pytest.mark.parametrize("obj", [np.tanh, lambda x: x * 2, "tanh", 3.0])
def test_gradcheck_refuses_objects_without_forward_and_backward(obj):
    with pytest.raises(TypeError, match="forward.*backward"):
        nnlite.gradcheck(obj, np.ones(3))


def test_gradcheck_refuses_a_backward_that_returns_nothing():
    class Forgetful(nnlite.Activation, register=False):
        def function(self, x):
            return x

        def derivative(self, x, y):
            return np.ones_like(x)

        def backward(self, dvalues):
            super().backward(dvalues)

    with pytest.raises(TypeError, match="backward returned None"):
        nnlite.gradcheck(Forgetful(), np.ones(3))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_gradcheck_refuses_non_finite_inputs(bad):
    with pytest.raises(ValueError, match="finite"):
        nnlite.gradcheck(nnlite.Tanh(), np.array([0.1, bad]))


@pytest.mark.parametrize("kwargs", [{"eps": 0.0}, {"eps": -1e-6}, {"eps": np.nan}, {"atol": -1.0},
                                    {"rtol": np.inf}])
def test_gradcheck_refuses_bad_steps_and_tolerances(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        nnlite.gradcheck(nnlite.Tanh(), np.ones(3), **kwargs)
