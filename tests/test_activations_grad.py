"""Every activation's backward against `nnlite.gradcheck` (central differences).

Random points are kept 1e-2 away from every kink (0, +-1, +-2.5, +-3, 6, the
hard_sigmoid corners) so that x +- eps never straddles a corner. The
tolerances are gradcheck's defaults (eps 1e-6, atol 1e-5, rtol 1e-3).
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import nnlite
from nnlite import Activation, GradCheckError, activations, gradcheck

# The catalogue, fixed at import time: classes that other tests define and
# register later are not part of it.
CATALOGUE = activations.names()
ALIASES = ["silu", "binary_step", "identity"]
KINKS = np.array([0.0, 1.0, -1.0, 2.5, -2.5, 3.0, -3.0, 6.0])
SHAPES = [(7,), (5, 6), (2, 3, 4)]
VARIANTS = [
    ("leaky_relu", {"alpha": 0.2}), ("elu", {"alpha": 0.5}), ("celu", {"alpha": 2.0}), ("softplus", {"beta": 2.0}),
    ("hard_sigmoid", {"slope": 1 / 6}), ("gelu", {"approximate": "tanh"}), ("swish", {"beta": 1.5}),
    ("hard_tanh", {"min_val": -2.0, "max_val": 0.5}), ("maxout", {"pieces": 3}),
]


def away_from_kinks(x: np.ndarray) -> np.ndarray:
    for _ in range(3):
        near = np.min(np.abs(x[..., None] - KINKS), axis=-1) < 1e-2
        x = np.where(near, x + 0.05, x)
    return x


def points(shape, seed, dtype=np.float64, scale=4.0):
    rng = np.random.default_rng(seed)
    return away_from_kinks(rng.uniform(-scale, scale, size=shape)).astype(dtype)


def shape_for(name, shape, pieces=2):
    # maxout needs a last axis divisible by its pieces
    if name == "maxout":
        return (*shape[:-1], shape[-1] * pieces)
    return shape


@pytest.mark.parametrize("shape", SHAPES, ids=["1d", "2d", "3d"])
@pytest.mark.parametrize("name", CATALOGUE + ALIASES)
def test_backward_matches_finite_differences(name, shape):
    x = points(shape_for(name, shape), seed=zlib.crc32(f"{name}{shape}".encode()))
    result = gradcheck(activations.get(name), x)
    assert result.passed, str(result)
    assert result.tensors["inputs"] <= 1e-6


@pytest.mark.parametrize("name", CATALOGUE)
def test_float32_inputs_are_checked_in_float64(name):
    x = points(shape_for(name, (4, 6)), seed=1, dtype=np.float32)
    result = gradcheck(activations.get(name), x)
    assert result.passed, str(result)
    assert any("float32" in note and "float64" in note for note in result.notes)


@pytest.mark.parametrize("name, params", VARIANTS, ids=[f"{n}{p}" for n, p in VARIANTS])
def test_parameterised_variants(name, params):
    x = points(shape_for(name, (5, 6), pieces=params.get("pieces", 2)), seed=2)
    if name == "hard_sigmoid":
        x[np.abs(np.abs(x) - 3) < 1e-2] += 0.05  # slope 1/6: corners at +-3
    if name == "hard_tanh":
        x[np.abs(x - 0.5) < 1e-2] += 0.05
    result = gradcheck(activations.get(name, **params), x)
    assert result.passed, str(result)


def test_gradcheck_at_large_and_tiny_inputs():
    # far tails and tiny values: the finite differences still resolve the (flat or unit) slopes
    x = np.array([[-30.0, -12.0, 12.0, 30.0, 1e-8, -1e-8]])
    for name in ("sigmoid", "tanh", "softplus", "swish", "gelu", "mish", "gaussian"):
        result = gradcheck(activations.get(name), x)
        assert result.passed, (name, str(result))
    # corners at 0: selu's slope jumps from 1.76 to 1.05, softsign's second derivative from 2 to -2
    for name in ("elu", "selu", "celu", "softsign"):
        result = gradcheck(activations.get(name), x[:, :4])
        assert result.passed, (name, str(result))


@pytest.mark.parametrize("num_parameters", [1, 6])
def test_prelu_alpha_gradient(num_parameters):
    act = nnlite.PReLU(init=0.1, num_parameters=num_parameters)
    act.params["alpha"][...] = np.linspace(0.05, 0.4, num_parameters)
    x = points((5, 6), seed=3)
    result = gradcheck(act, x)
    assert result.passed, str(result)
    assert set(result.tensors) >= {"inputs", "alpha"}
    # closed form: dL/dalpha = sum over the entries it scales of dvalues * min(x, 0)
    d = np.random.default_rng(4).standard_normal(x.shape)
    act.forward(x)
    act.backward(d)
    expected = (d * np.minimum(x, 0)).sum() if num_parameters == 1 else (d * np.minimum(x, 0)).sum(axis=0)
    np.testing.assert_allclose(act.grads["alpha"], np.atleast_1d(expected), rtol=1e-12)


def test_prelu_per_feature_alpha_on_3d_inputs():
    act = nnlite.PReLU(num_parameters=4)
    act.params["alpha"][...] = [0.1, 0.2, 0.3, 0.4]
    result = gradcheck(act, points((2, 3, 4), seed=5))
    assert result.passed, str(result)


def test_swish_learnable_beta_gradient():
    act = nnlite.Swish(beta=1.3, learnable=True)
    x = points((6, 5), seed=6)
    result = gradcheck(act, x)
    assert result.passed, str(result)
    assert "beta" in result.tensors
    d = np.random.default_rng(7).standard_normal(x.shape)
    act.forward(x)
    act.backward(d)
    s = 1 / (1 + np.exp(-1.3 * x))
    np.testing.assert_allclose(act.grads["beta"][0], np.sum(d * x * x * s * (1 - s)), rtol=1e-12)


@pytest.mark.parametrize("axis", [0, -1, 1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_along_axes(name, axis):
    x = points((4, 5), seed=8)
    result = gradcheck(activations.get(name, axis=axis), x)
    assert result.passed, str(result)
    x3 = points((2, 3, 4), seed=9)
    result = gradcheck(activations.get(name, axis=axis), x3)
    assert result.passed, str(result)


def test_softmax_gradient_with_huge_entries_is_finite():
    # one entry takes all the mass: the gradient is exactly 0, not NaN
    act = activations.get("softmax")
    act.forward(np.array([[1e300, -1e300, 0.0]]))
    d = act.backward(np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(d, [[0.0, 0.0, 0.0]])


SECOND = ["sigmoid", "tanh", "softplus", "softsign", "gelu", "gaussian", "linear"]


@pytest.mark.parametrize("name", SECOND)
def test_second_derivatives(name):
    act = activations.get(name)
    assert callable(getattr(act, "second_derivative", None))
    result = gradcheck(act, points((4, 5), seed=10))
    assert result.passed, str(result)
    assert "second_derivative" in result.tensors


def test_second_derivative_of_tanh_gelu_is_skipped_with_a_note():
    result = gradcheck(activations.get("gelu", approximate="tanh"), points((3, 3), seed=11))
    assert result.passed
    assert "second_derivative" not in result.tensors
    assert any("second derivative skipped" in note for note in result.notes)


# --- negative controls ---------------------------------------------------------------------------------

class _Cube(Activation, register=False):
    """f = x^3, f' = 3 x^2 * factor (1.0: right, 1.01: 1% off)."""

    factor = 1.0

    def function(self, x):
        return x * x * x

    def derivative(self, x, y):
        return self.factor * 3 * x * x


class _CubeOff(_Cube, register=False):
    factor = 1.01


class _SigmoidBadSecond(nnlite.Sigmoid, register=False):
    def second_derivative(self, x, y):
        return 1.01 * super().second_derivative(x, y)


def test_the_right_derivative_passes():
    assert gradcheck(_Cube(), points((4, 5), seed=12)).passed


def test_a_derivative_one_percent_off_is_rejected():
    x = points((4, 5), seed=12)
    result = gradcheck(_CubeOff(), x)
    assert not result.passed
    assert result.worst_tensor == "inputs"
    assert not bool(result)
    assert "FAILED" in str(result)


def test_raise_exception_reports_the_worst_entry():
    x = points((4, 5), seed=13)
    dvalues = np.ones_like(x)
    with pytest.raises(GradCheckError) as info:
        gradcheck(_CubeOff(), x, dvalues, raise_exception=True)
    result = info.value.result
    assert not result.passed
    # with unit dvalues the error 0.03 x^2 is largest, relative to the tolerance, where |x| is largest
    expected = np.unravel_index(np.argmax(np.abs(x)), x.shape)
    assert result.worst_tensor == "inputs"
    assert result.worst_index == tuple(int(i) for i in expected)
    xw = x[expected]
    assert result.analytic == pytest.approx(1.01 * 3 * xw * xw, rel=1e-12)
    assert result.numeric == pytest.approx(3 * xw * xw, rel=1e-6)
    assert result.max_rel_error == pytest.approx(0.01, rel=1e-3)
    assert "worst entry: inputs" in str(info.value)
    assert isinstance(info.value, AssertionError)


def test_a_wrong_second_derivative_is_rejected():
    result = gradcheck(_SigmoidBadSecond(), points((4, 5), seed=14))
    assert not result.passed
    assert result.worst_tensor == "second_derivative"


def test_a_wrong_parameter_gradient_is_rejected():
    class BadPReLU(nnlite.PReLU, register=False):
        def backward(self, dvalues):
            out = super().backward(dvalues)
            self.grads["alpha"] *= 1.05
            return out

    result = gradcheck(BadPReLU(), points((4, 5), seed=15))
    assert not result.passed and result.worst_tensor == "alpha"


def test_a_wrong_softmax_backward_is_rejected():
    class BadSoftmax(nnlite.Softmax, register=False):
        def backward(self, dvalues):
            return 1.02 * super().backward(dvalues)

    assert not gradcheck(BadSoftmax(), points((3, 4), seed=16)).passed


def test_gradcheck_leaves_the_unperturbed_state():
    act = nnlite.Tanh()
    x = points((3, 4), seed=17)
    gradcheck(act, x)
    np.testing.assert_array_equal(act.inputs, x)
    np.testing.assert_array_equal(act.output, np.tanh(x))


def test_gradcheck_refuses_float32_parameters():
    act = nnlite.PReLU()
    act.params = {"alpha": act.params["alpha"].astype(np.float32)}
    act.grads = {"alpha": np.zeros(1, dtype=np.float32)}
    with pytest.raises(TypeError, match="float64"):
        gradcheck(act, points((3, 4), seed=18))


def test_gradcheck_dvalues_of_the_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        gradcheck(nnlite.Tanh(), np.ones((3, 4)), np.ones((4, 3)))
