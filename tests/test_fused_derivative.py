"""Activations whose forward pass keeps f' for backward while reuse_buffers is on (the ELU
family and GELU in float32, Mish, Softplus, Swish): the kept derivative is the one computed afresh, it is used only
for the same arrays, and nothing is kept outside that mode."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from nnlite import activations
from nnlite.activations import _FUSE_MIN_SIZE

FUSED = [("elu", {}), ("elu", {"alpha": 0.3}), ("selu", {}), ("celu", {"alpha": 0.1}), ("celu", {"alpha": 20.0}),
         ("mish", {}), ("softplus", {}), ("softplus", {"beta": 1.5}), ("swish", {}), ("swish", {"beta": 1.5}),
         ("gelu", {})]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, params", FUSED)
@pytest.mark.parametrize("reuse", [False, True])
def test_backward_uses_the_derivative_at_the_inputs_forward_saw(name, params, reuse, dtype):
    x = np.random.default_rng(5).normal(0, 3, (128, 160)).astype(dtype)
    assert x.size >= _FUSE_MIN_SIZE  # fused in fit mode for every one of them
    act = activations.get(name, **params)
    act.reuse_buffers = reuse
    dvalues = np.random.default_rng(6).standard_normal(x.shape).astype(dtype)
    fresh = activations.get(name, **params).derivative(x.copy(), act.function(x.copy()).copy()).copy()
    act.forward(x)
    first = act.backward(dvalues).copy()
    np.testing.assert_array_equal(first, dvalues * fresh)  # the kept f' is the one computed afresh
    second = act.backward(dvalues)  # nothing kept any more: computed from the inputs again
    np.testing.assert_array_equal(second, first)


@pytest.mark.parametrize("name", ["elu", "selu", "mish", "softplus", "swish", "gelu"])
def test_kept_derivative_is_not_used_for_other_arrays(name):
    x1 = np.linspace(-5, 5, 20001, dtype=np.float32)
    x2 = np.linspace(-1, 3, 20001, dtype=np.float32)[::-1].copy()
    act = activations.get(name)
    act.reuse_buffers = True
    reference = activations.get(name)
    act.forward(x1)  # keeps f'(x1)
    y2 = reference.function(x2).copy()
    got = act.derivative(x2, y2)  # other arrays: f'(x2), not the kept f'(x1)
    np.testing.assert_array_equal(got, reference.derivative(x2, reference.function(x2)))


@pytest.mark.parametrize("name", ["elu", "mish", "swish", "softplus", "gelu"])
def test_nothing_is_kept_outside_reuse_buffers(name):
    # a direct function() call (OneNeuron.sweep, the plots) or a forward for prediction
    # keeps no derivative: once it held three arrays and shared them with a copy.copy
    x = np.linspace(-5, 5, 20001, dtype=np.float32)
    act = activations.get(name)
    act.function(x)
    act.forward(x)
    held = [a for a in _arrays_in(vars(act)) if not any(a is b for b in (x, act.output))]
    assert held == []
    twin = copy.copy(act)
    np.testing.assert_array_equal(act.backward(np.full_like(x, 3)), 3 * twin.backward(np.ones_like(x)))


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


@pytest.mark.parametrize("name, params", [("elu", {}), ("selu", {}), ("celu", {"alpha": 3.0})])
def test_small_and_large_float32_arrays_agree_within_two_ulps(name, params):
    # below _FUSE_MIN_SIZE elements the float32 ELU family takes np.expm1 and np.exp in float64; from
    # there on nnlite._exp32
    x = np.random.default_rng(8).normal(0, 4, 20000).astype(np.float32)
    assert x.size >= _FUSE_MIN_SIZE > x.size // 10
    large = activations.get(name, **params)
    large.reuse_buffers = True
    y_large = large.forward(x).copy()
    d_large = large.backward(np.ones_like(x)).copy()
    small = activations.get(name, **params)
    y_small = np.concatenate([small.forward(part).copy() for part in np.split(x, 10)])
    d_small = np.concatenate([small.derivative(part, small.function(part)) for part in np.split(x, 10)])
    spacing = np.spacing(np.abs(y_large))
    assert np.all(np.abs(y_small - y_large) <= 2 * spacing)  # each within 1-1.5 ulp of the truth
    # celu(alpha=3): the block path's float32 rounding of x / alpha, amplified |x / alpha| times by exp
    assert np.all(np.abs(d_small - d_large) <= 3.5 * np.spacing(np.abs(d_large)))
    assert not np.array_equal(d_small, d_large)  # the two paths really are different code


@pytest.mark.parametrize("name", ["elu", "mish"])
def test_fit_leaves_no_kept_derivative_behind(name):
    # the validation forward of the last epoch keeps f' (fit mode, 300 x 64 elements) with no
    # backward to take it: fit's end drops it with the other buffers
    from nnlite import Dense, Sequential
    from nnlite.callbacks import LambdaCallback

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((300, 8)).astype(np.float32), rng.integers(0, 2, 300)
    act = activations.get(name)
    model = Sequential([Dense(8, 64, dtype="float32"), act, Dense(64, 2, dtype="float32")])
    kept_at_epoch_end = []  # after the validation forward: the case this test is about really happens
    watch = LambdaCallback(on_epoch_end=lambda epoch, logs: kept_at_epoch_end.append("kept derivative" in act._buffers))
    model.fit(X, y, epochs=2, batch_size=150, validation_data=(X, y), callbacks=[watch])  # its own buffer shape
    assert kept_at_epoch_end == [True, True]
    held = [a for a in _arrays_in(vars(act)) if not any(a is b for b in (act.inputs, act.output, act.dinputs))]
    assert held == []  # only the last inputs, output and dinputs, as for every activation


def _arrays_in(value):
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in _arrays_in(v)]
    return []


@pytest.mark.parametrize("size", [7, 2 * _FUSE_MIN_SIZE])  # the float64 path and the block path
@pytest.mark.parametrize("name, params", [("elu", {}), ("selu", {}), ("celu", {"alpha": 0.1})])
def test_no_error_under_seterr_raise_on_either_path(name, params, size):
    # intermediate underflow (expm1 of -1e-38, exp of -87.5, x / alpha) is no error of the result;
    # the small path once raised where the block path did not
    x = np.resize(np.array([-1e-38, -87.5, -200.0, 1e-40, 3.0, -1.0, 0.0], np.float32), size)
    act = activations.get(name, **params)
    with np.errstate(all="raise"):
        y = act.forward(x)
        d = act.backward(np.ones_like(x))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(d)) and d[2] == 0 and y[0] < 0


def test_swish_kept_derivative_is_not_used_after_its_learnable_beta_changed():
    x = np.linspace(-6, 6, 20001)
    act = activations.get("swish", beta=1.0, learnable=True)
    act.reuse_buffers = True
    act.forward(x)  # keeps f' at beta = 1
    act.params["beta"][0] = 2.0  # as an optimizer step would, before this backward
    got = act.backward(np.ones_like(x))
    s2 = 1 / (1 + np.exp(-2 * x))
    np.testing.assert_allclose(got, s2 * (1 + 2 * x * (1 - s2)), rtol=1e-12, atol=1e-300)


def test_a_forward_that_keeps_nothing_drops_what_the_one_before_kept():
    # swish(beta=1.5) keeps no f' where the float64 tail changes y; it left the previous forward's
    # f' in place, which the next backward of the same (refilled) arrays took: Dense's output
    # buffer in fit is such an array, and fit's diagnostics probe is a forward without backward
    act = activations.get("swish", beta=1.5)
    act.reuse_buffers = True
    x = np.zeros((4, 8), np.float32)
    act.forward(x)  # keeps f'(0) = 0.5
    x[:] = -10  # the same array refilled
    act.forward(x)  # beta x < -6: keeps nothing
    got = act.backward(np.ones_like(x))
    u = -15.0
    s = 1 / (1 + np.exp(-u))
    np.testing.assert_allclose(got, s * (1 + u * (1 - s)), rtol=1e-6)


@pytest.mark.parametrize("name, attribute, old, new", [
    ("softplus", "beta", 1.0, 4.0), ("elu", "alpha", 1.0, 0.25), ("celu", "alpha", 1.0, 3.0),
    ("gelu", "approximate", "none", "tanh"),
])
def test_kept_derivative_is_not_used_after_its_parameter_changed(name, attribute, old, new):
    x = np.linspace(-4, 4, 20001, dtype=np.float32)
    act = activations.get(name, **{attribute: old})
    act.reuse_buffers = True
    act.forward(x)  # keeps f' for the old parameter
    setattr(act, attribute, new)
    got = act.backward(np.ones_like(x))
    expected = activations.get(name, **{attribute: new}).derivative(x, act.output)
    np.testing.assert_array_equal(got, expected)
    assert not np.array_equal(got, activations.get(name, **{attribute: old}).derivative(x, act.output))


def test_learnable_swish_backward_on_a_0d_input():
    # np.exp of a 0-d array is a scalar, which np.divide(..., out=) refused
    act = activations.get("swish", beta=1.5, learnable=True)
    x = np.float64(0.5)
    act.forward(np.array(x))
    act.backward(np.array(2.0))
    s = 1 / (1 + np.exp(-1.5 * x))
    np.testing.assert_allclose(act.grads["beta"][0], 2.0 * x * x * s * (1 - s), rtol=1e-12)


@pytest.mark.parametrize("name", ["softplus", "swish", "elu", "mish", "gelu"])
def test_no_buffer_store_outside_fit_mode(name):
    # backward looked for a kept f' through the store, creating an empty one (which copy.copy shares)
    act = activations.get(name)
    act.forward(np.arange(3.0))
    act.backward(np.ones(3))
    assert "_buffer_store" not in vars(act)
