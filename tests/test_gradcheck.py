import numpy as np
import pytest

import nnlite


class Scale(nnlite.Activation, register=False):
    """f(x) = s * x with one 0-d learnable s; df/ds = x."""

    def __init__(self, grad_factor: float = 1.0):
        self.grad_factor = grad_factor
        self.params = {"s": np.array(2.0)}
        self.grads = {"s": np.array(0.0)}

    def function(self, x):
        return self.params["s"] * x

    def derivative(self, x, y):
        return np.full_like(x, self.params["s"])

    def backward(self, dvalues):
        dinputs = super().backward(dvalues)
        self.grads["s"][...] = self.grad_factor * np.sum(dvalues * self.inputs)
        return dinputs


def test_zero_dimensional_parameters_are_checked():
    x = np.random.default_rng(0).normal(size=(3, 4))
    assert nnlite.gradcheck(Scale(), x).passed
    result = nnlite.gradcheck(Scale(grad_factor=1.02), x)
    assert not result.passed
    assert result.worst_tensor == "s"
    assert result.analytic == pytest.approx(1.02 * result.numeric, rel=1e-6)


def test_float32_parameters_are_refused_with_a_clear_error():
    layer = nnlite.Dense(3, 2, seed=0, dtype=np.float32)
    with pytest.raises(TypeError, match="float64 parameters"):
        nnlite.gradcheck(layer, np.ones((2, 3)))


def test_float32_inputs_are_checked_in_float64_and_say_so():
    result = nnlite.gradcheck(nnlite.Tanh(), np.linspace(-2, 2, 7, dtype=np.float32))
    assert result.passed
    assert any("float32" in note for note in result.notes)
