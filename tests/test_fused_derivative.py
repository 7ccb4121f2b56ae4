"""Activations whose forward pass keeps f' for backward (the ELU family in float32, Mish):
the kept derivative is the one computed afresh, and is used only for the same arrays."""

from __future__ import annotations

import numpy as np
import pytest

from nnlite import activations

FUSED = [("elu", {}), ("elu", {"alpha": 0.3}), ("selu", {}), ("celu", {"alpha": 0.1}), ("celu", {"alpha": 20.0}),
         ("mish", {})]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, params", FUSED)
@pytest.mark.parametrize("reuse", [False, True])
def test_backward_uses_the_derivative_at_the_inputs_forward_saw(name, params, reuse, dtype):
    x = np.random.default_rng(5).normal(0, 3, (64, 33)).astype(dtype)
    act = activations.get(name, **params)
    act.reuse_buffers = reuse
    dvalues = np.random.default_rng(6).standard_normal(x.shape).astype(dtype)
    fresh = activations.get(name, **params).derivative(x.copy(), act.function(x.copy()).copy()).copy()
    act.forward(x)
    first = act.backward(dvalues).copy()
    np.testing.assert_array_equal(first, dvalues * fresh)  # the kept f' is the one computed afresh
    second = act.backward(dvalues)  # nothing kept any more: computed from the inputs again
    np.testing.assert_array_equal(second, first)


@pytest.mark.parametrize("name", ["elu", "mish"])
def test_kept_derivative_is_not_used_for_other_arrays(name):
    x = np.linspace(-5, 5, 101, dtype=np.float32)
    act = activations.get(name)
    reference = activations.get(name)
    y = act.forward(x)
    other = np.linspace(-1, 0, 101, dtype=np.float32)
    got = act.derivative(other, act.function(other.copy()))  # a forward of other arrays in between
    np.testing.assert_array_equal(got, reference.derivative(other, reference.function(other)))
    assert act.backward(np.ones_like(x)) is not y
    np.testing.assert_array_equal(act.dinputs, reference.derivative(x, reference.function(x)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mish_at_infinities_takes_its_limits_without_warnings(dtype):
    # f(x) = x tanh(softplus(x)) -> x e^x -> 0 as x -> -inf (once -inf * 0 = NaN, with a warning)
    x = np.array([-np.inf, np.inf, -1e30, np.nan], dtype=dtype)
    act = activations.get("mish")
    with np.errstate(all="raise", under="ignore"):
        y = act.forward(x)
        d = act.backward(np.ones_like(x))
    np.testing.assert_array_equal(y[:3], [0.0, np.inf, 0.0])
    np.testing.assert_array_equal(d[:3], [0.0, 1.0, 0.0])
    assert np.isnan(y[3]) and np.isnan(d[3])
