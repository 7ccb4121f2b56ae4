"""Sigmoid, softplus and swish where exp(-beta x) overflows (beta x below -88.7 in float32,
-709.8 in float64), against mpmath at 40 digits.

x / (1 + exp(-beta x)) became x / inf = -0 there, while x exp(beta x) is still a normal float
down to x = -91.8 (float32, beta = 1): swish was 1.7e7 ulps off (at x = -91.16, -2.35e-38),
its f' as much, and sigmoid, softplus' f', gave 0 for subnormal true values. Those elements are
now recomputed from exp(beta x), which cannot overflow there.
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
        # exp(beta x) is subnormal past beta x = -708.4, its digits lost: within 720 of the subnormal
        # spacings there (the value was 0), not every digit
        assert f_ulps <= 1000 and d_ulps <= 1000, (f_ulps, d_ulps)


def test_swish_with_beta_zero_has_no_tail():
    x = np.array([-1e30, -100.0, 0.0, 3.0], np.float32)
    act = activations.get("swish", beta=0.0)
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(act.forward(x), x / 2)
        np.testing.assert_array_equal(act.backward(np.ones_like(x)), np.full_like(x, 0.5))
