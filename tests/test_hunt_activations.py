"""Defects found by attacking the activation paths (the float32 ELU family's block path, the
kept derivatives, nnlite._blocks) against independent references: float64 closed forms,
mpmath and PyTorch. Each test failed before its fix."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from nnlite import activations
from nnlite.activations import _FUSE_MIN_SIZE


@pytest.mark.parametrize("alpha", [20.0, 1e3, 1e30])  # inner > 8: the near-zero correction runs
@pytest.mark.parametrize("size", [7, 2 * _FUSE_MIN_SIZE])  # the float64 path and the block path
def test_celu_large_alpha_tiny_inputs_do_not_raise_under_seterr_raise(alpha, size):
    # the block path ran CELU's near-zero correction (x / alpha, which underflows for x = -1e-30)
    # outside the errstate that silences intermediate underflow; the np.expm1 path did not raise
    x = np.resize(np.array([-1e-30, -1e-38, -3e-39, -1e-45, 1e-40, -1.0], np.float32), size)
    act = activations.get("celu", alpha=alpha)
    with np.errstate(all="raise"):
        y = act.forward(x)
        d = act.backward(np.ones_like(x))
    x64 = x.astype(np.float64)
    # reference: alpha expm1(x / alpha) = x (1 + x / (2 alpha)) to far below float32's ulp here
    expected = np.where(x64 > 0, x64, alpha * np.expm1(np.minimum(x64, 0) / alpha))
    np.testing.assert_array_equal(y, expected.astype(np.float32))
    slope = np.where(x64 > 0, 1.0, np.exp(np.minimum(x64, 0) / alpha))
    assert np.all(np.abs(d - slope) <= 2 * np.spacing(slope.astype(np.float32)))  # within 0.989 ulp


def _mp_softplus(beta):
    return lambda x: mp.log1p(mp.exp(mp.mpf(beta) * x)) / mp.mpf(beta)


def _mp_swish(beta):
    return lambda x: x / (1 + mp.exp(-mp.mpf(beta) * x))


@pytest.mark.parametrize("name, params, reference, end", [
    ("softplus", {"beta": 3.0}, _mp_softplus(3.0), -26.0),
    ("softplus", {"beta": 0.1}, _mp_softplus(0.1), -780.0),
    ("swish", {"beta": 1.5}, _mp_swish(1.5), -50.0),
    ("swish", {"beta": -0.7}, _mp_swish(-0.7), 105.0),
    ("swish", {"beta": 1.7, "learnable": True, "dtype": "float32"}, _mp_swish(float(np.float32(1.7))), -44.0),
])
def test_float32_tail_within_8_ulps_when_beta_x_rounds(name, params, reference, end):
    # f ~ exp(beta x) in the tail: the float32 rounding of beta x (and of beta itself) came back
    # multiplied by |beta x|, 33 ulps at softplus(beta=3)(-22) and swish(beta=1.5)(-47) where the
    # project's float32 bound is 8 ulps down to |f| = 1e-35 (test_activations_values); its grid of
    # multiples of 0.5 never rounds beta x
    x = (np.random.default_rng(11).uniform(0, 1, 400) * end).astype(np.float32)
    got = activations.get(name, **params).forward(x)
    assert got.dtype == np.float32
    with mp.workdps(50):
        ref = np.array([float(reference(mp.mpf(float(v)))) for v in x])
    checked = np.abs(ref) >= 1e-35
    assert checked.sum() > 350
    rel = np.abs(got.astype(np.float64) - ref)[checked] / np.abs(ref[checked])
    assert rel.max() <= 8 * 2.0**-23, (rel.max() / 2.0**-23, x[checked][rel.argmax()])
    act = activations.get(name, **params)  # the same numbers in any layout, in fit mode too
    act.reuse_buffers = True
    np.testing.assert_array_equal(act.forward(np.asfortranarray(x.reshape(20, 20))), got.reshape(20, 20))
    np.testing.assert_array_equal(act.forward(x[::-1])[::-1], got)


def _sigmoid64(v):
    return 0.5 * (1 + np.tanh(0.5 * v))


@pytest.mark.parametrize("name, beta", [("swish", 1.0), ("swish", 1.5), ("elu", None), ("mish", None)])
def test_no_stale_kept_state_after_reuse_buffers_is_switched_off_by_hand(name, beta):
    # reuse_buffers is public: switched on and off by hand (fit clears the buffers, a user does not),
    # then the caller refills the same input array. Swish matched its kept denominator by the inputs
    # alone and used the one of the old values: a wrong gradient (off by 3.8), silently
    act = activations.get(name) if beta is None else activations.get(name, beta=beta)
    x = np.linspace(-3, 3, 3 * _FUSE_MIN_SIZE).astype(np.float32)
    g = np.random.default_rng(2).standard_normal(x.shape).astype(np.float32)
    act.reuse_buffers = True
    act.forward(x)
    act.backward(g)
    act.reuse_buffers = False
    x[:] = np.linspace(5, -1, x.size)
    act.forward(x)
    got = act.backward(g)
    v = x.astype(np.float64)
    s = _sigmoid64(v if beta is None else beta * v)
    if name == "swish":  # f' = s (1 + beta x (1 - s))
        slope = s * (1 + beta * v * (1 - s))
    elif name == "elu":
        slope = np.where(v > 0, 1.0, np.exp(np.minimum(v, 0)))
    else:  # mish: t + x s (1 - t^2), t = tanh(softplus(x))
        t = np.tanh(np.logaddexp(0, v))
        slope = t + v * s * (1 - t * t)
    np.testing.assert_allclose(got, g * slope, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, alpha", [("elu", 1e-300), ("elu", -1e-41), ("celu", 1e-38), ("celu", 1e-300)])
def test_elu_family_alpha_float32_cannot_hold_does_not_raise_under_seterr_raise(name, alpha):
    # such an alpha is applied in float64 and the result rounded once to float32; that rounding
    # underflows (to a subnormal or 0: the correct rounding) and raised under np.seterr(all="raise"),
    # where the same family with alpha = 1e-30 on either of its float32 paths never does
    x = np.array([-1e-45, -1e-30, -0.5, -3.0, -100.0, 0.0, 2.0], np.float32)
    act = activations.get(name, alpha=alpha)
    with np.errstate(all="raise"):
        y = act.forward(x)
        d = act.backward(np.ones_like(x))
    x64 = x.astype(np.float64)
    inner = alpha if name == "celu" else 1.0
    u = np.minimum(x64, 0) / inner
    with np.errstate(under="ignore"):
        expected_y = np.where(x64 > 0, x64, alpha * np.expm1(u)).astype(np.float32)
        expected_d = np.where(x64 > 0, 1.0, alpha / inner * np.exp(u)).astype(np.float32)
    np.testing.assert_array_equal(y, expected_y)
    np.testing.assert_array_equal(d, expected_d)


_FLOAT64_F = {  # the closed forms, in float64
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0))),
    "celu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "mish": lambda x: x * np.tanh(np.logaddexp(0, x)),
    "swish": lambda x: x / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "softplus": lambda x: np.logaddexp(0, x),
}


@pytest.mark.parametrize("name", sorted(_FLOAT64_F))
@pytest.mark.parametrize("size", [100, 20000])  # the small paths and the float32 block path
def test_an_activation_fed_its_own_output_in_fit_mode(name, size):
    # before: with reuse_buffers on, forward(act.output) wrote the output buffer while reading it,
    # and ELU came out off by 4.0
    act = activations.get(name)
    act.reuse_buffers = True
    x = np.linspace(-5, 5, size).astype(np.float32)
    once = act.forward(x)
    twice = act.forward(once)
    reference = _FLOAT64_F[name](_FLOAT64_F[name](x.astype(np.float64)))
    np.testing.assert_allclose(twice, reference, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(_FLOAT64_F))
def test_backward_fed_its_own_dinputs_in_fit_mode(name):
    # before: with reuse_buffers on, backward(act.dinputs) multiplied the derivative buffer by
    # itself (it is that array), returning f'(x)^2 instead of f'(x) * dinputs
    act = activations.get(name)
    act.reuse_buffers = True
    x = np.linspace(-2, 2, 8)  # not 0, where relu-like kinks defeat finite differences
    act.forward(x)
    first = act.backward(np.full_like(x, 3.0))
    slope = first / 3.0  # checked against finite differences just below
    h = 1e-6
    np.testing.assert_allclose(slope, (_FLOAT64_F[name](x + h) - _FLOAT64_F[name](x - h)) / (2 * h), rtol=1e-6,
                               atol=1e-9)
    np.testing.assert_allclose(act.backward(act.dinputs), 3.0 * slope * slope, rtol=1e-12)


@pytest.mark.parametrize("name", ["softplus", "swish"])
@pytest.mark.parametrize("beta", [1.5e-38, 1.7e-38])
def test_tiny_beta_float32_tail_check_does_not_warn(name, beta):
    # the tail bound -6 / beta is beyond float32's range: cast to float32 it overflowed, with a warning
    import warnings

    x = np.float32([-3.0, 0.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = activations.get(name, beta=beta).forward(x)
    x64 = x.astype(np.float64)
    expected = (np.logaddexp(0, beta * x64) / beta if name == "softplus" else x64 / (1 + np.exp(-beta * x64)))
    np.testing.assert_allclose(y, expected.astype(np.float32), rtol=1e-6)
