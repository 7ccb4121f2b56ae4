"""Sigmoid, softplus and swish where exp(-beta x) overflows (beta x below -88.7 in float32,
-709.8 in float64), against mpmath at 40 digits.

x / (1 + exp(-beta x)) became x / inf = -0 there, while x exp(beta x) is still a normal float
down to x = -91.8 (float32, beta = 1): swish was 1.7e7 ulps off (at x = -91.16, -2.35e-38),
its f' as much, and sigmoid, softplus' f', gave 0 for subnormal true values. Those elements are
now recomputed from exp(beta x) = h * h, h = exp(beta x / 2), which cannot overflow there and
keeps its digits where exp(beta x) alone would be subnormal.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from nnlite import activations


def _sigmoid(u):
    return 1 / (1 + mp.exp(-u))


def _reference(name, beta):
    b = mp.mpf(beta)
    if name == "sigmoid":
        return (lambda x: _sigmoid(x)), (lambda x: _sigmoid(x) * (1 - _sigmoid(x)))
    if name == "softplus":
        return (lambda x: mp.log1p(mp.exp(b * x)) / b), (lambda x: _sigmoid(b * x))

    def d(x):
        s = _sigmoid(b * x)
        return s * (1 + b * x * (1 - s))

    return (lambda x: x * _sigmoid(b * x)), d


def _ulps(got, ref, dtype):
    """|got - ref| in units of the spacing at ref rounded to dtype (the subnormal spacing below)."""
    tiny = float(np.finfo(dtype).smallest_subnormal)
    worst = 0.0
    for g, r in zip(got.tolist(), ref):
        spacing = max(float(np.spacing(dtype(abs(float(r))))), tiny)
        worst = max(worst, float(abs(mp.mpf(g) - r)) / spacing)
    return worst


CASES = [("sigmoid", 1.0), ("softplus", 1.0), ("softplus", 2.0), ("swish", 1.0), ("swish", 2.0), ("swish", 0.5)]


@pytest.mark.parametrize("fit_mode", [False, True])
@pytest.mark.parametrize("dtype, start, stop", [(np.float32, 80.0, 110.0), (np.float64, 700.0, 760.0)])
@pytest.mark.parametrize("name, beta", CASES)
def test_far_left_values_and_derivatives_are_the_true_ones_rounded(name, beta, dtype, start, stop, fit_mode):
    x = (-np.linspace(start, stop, 301) / beta).astype(dtype)
    x = np.concatenate([x, np.linspace(-3, 3, 9000).astype(dtype)])  # large enough for the block paths
    act = activations.get(name) if name == "sigmoid" else activations.get(name, beta=beta)
    act.reuse_buffers = fit_mode
    with np.errstate(all="raise", under="ignore"):
        y = act.forward(x).copy()
        d = act.backward(np.ones_like(x))
    f, df = _reference(name, beta)
    with mp.workdps(40):
        xs = [mp.mpf(v) for v in x[:301].tolist()]
        f_ulps = _ulps(y[:301], [f(v) for v in xs], dtype)
        d_ulps = _ulps(d[:301], [df(v) for v in xs], dtype)
    if dtype == np.float32:
        # sigmoid's f' is e / (1 + e)^2 from numpy's float32 exp (up to 2.5 ulp), not a tail
        assert f_ulps <= 1.0 and d_ulps <= (3.0 if name == "sigmoid" else 1.0), (f_ulps, d_ulps)
    else:
        # e^u = h * h with h = exp(u / 2) keeps the digits that a subnormal exp(u) loses (before
        # that change: 720 subnormal spacings off, and 0 before the tail existed)
        assert f_ulps <= 3 and d_ulps <= 3, (f_ulps, d_ulps)


def test_swish_with_beta_zero_has_no_tail():
    x = np.array([-1e30, -100.0, 0.0, 3.0], np.float32)
    act = activations.get("swish", beta=0.0)
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(act.forward(x), x / 2)
        np.testing.assert_array_equal(act.backward(np.ones_like(x)), np.full_like(x, 0.5))


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "swish"])
def test_a_nan_elsewhere_does_not_hide_the_tail(name):
    # the tail was found from x.min(), which a single NaN turns into NaN
    x = np.array([-100.0, np.nan], np.float32)
    act = activations.get(name)
    with np.errstate(all="raise", under="ignore"):
        y = act.forward(x)
        d = act.backward(np.ones_like(x))
    f, df = _reference(name, 1.0)
    with mp.workdps(40):
        assert _ulps(y[:1], [f(mp.mpf(-100))], np.float32) <= 1
        assert _ulps(d[:1], [df(mp.mpf(-100))], np.float32) <= (3 if name == "sigmoid" else 1)
    assert np.isnan(y[1]) and np.isnan(d[1])


@pytest.mark.parametrize("name, beta, x", [
    ("swish", 1e-300, -7.48e302), ("softplus", 1e-300, -7.49e302), ("swish", 1e-38, -7.55e40),
    ("swish", 1e-5, -7.1e7), ("swish", 1e38, -6.9e-36), ("swish", -1e-300, 7.48e302),
])
def test_extreme_beta_in_float64_keeps_normal_results(name, beta, x):
    # exp(beta x) underflows (or is subnormal) where the result is a normal float: swish gave -0
    # for the first ones, and its f' from beta y the wrong sign for beta = 1e38 (y = x s underflows)
    act = activations.get(name, beta=beta)
    xs = np.array([x])
    with np.errstate(all="raise", under="ignore"):
        y = act.forward(xs)
        d = act.backward(np.ones_like(xs))
    f, df = _reference(name, beta)
    with mp.workdps(60):
        ref_f, ref_d = f(mp.mpf(x)), df(mp.mpf(x))
    assert abs(float(ref_f)) > np.finfo(np.float64).tiny or abs(float(ref_d)) > np.finfo(np.float64).tiny
    np.testing.assert_allclose(y[0], float(ref_f), rtol=1e-13)
    np.testing.assert_allclose(d[0], float(ref_d), rtol=1e-11)


def test_swish_float32_derivative_with_a_huge_beta():
    # beta y (1 - s) with y = x s subnormal in float32 lost its digits: 130 ulps
    act = activations.get("swish", beta=1e38)
    x = np.array([-5.7e-38, -3e-38, 1e-38], np.float32)
    d = act.derivative(x, act.function(x))
    _, df = _reference("swish", 1e38)
    with mp.workdps(40):
        assert _ulps(d, [df(mp.mpf(v)) for v in x.tolist()], np.float32) <= 4


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_swish_fit_mode_keeps_its_derivative_with_a_tail_and_does_not_raise(dtype):
    x = np.linspace(-3, 3, 10000).astype(dtype)
    x[5] = -100 if dtype == np.float32 else -720
    act = activations.get("swish")
    act.reuse_buffers = True
    with np.errstate(all="raise"):
        act.forward(x)
        assert act._buffers.get("kept derivative") is not None  # f' kept, tail included
        got = act.backward(np.ones_like(x)).copy()
        fresh = activations.get("swish")
        np.testing.assert_array_equal(got, fresh.derivative(x, fresh.function(x)))


@pytest.mark.parametrize("beta", [1.0, -1.5])
def test_swish_derivative_takes_its_limits_at_infinities(beta):
    # f' was 0 * inf = NaN there; u = beta x is now clipped for it
    act = activations.get("swish", beta=beta)
    x = np.array([np.inf, -np.inf], np.float32) * np.sign(beta)  # u = +inf, then -inf
    with np.errstate(invalid="ignore"):  # f(-inf) is -inf / inf = NaN, as documented
        act.forward(x)
    d = act.backward(np.ones_like(x))
    assert d[0] == 1 and d[1] == 0 and np.signbit(d[1])
