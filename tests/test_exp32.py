"""The float32 ELU family path (nnlite._exp32): accuracy against float64 libm, the far
left tail, layouts and floating-point error settings."""

from __future__ import annotations

import numpy as np
import pytest

from nnlite._exp32 import _BLOCK, elu_float32

SELU_K = 1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
SELU_SCALE = 1.0507009873554804934193349852946


def _ulps(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|got - ref| in units of the float32 spacing at ref (subnormal spacing at least)."""
    spacing = np.maximum(np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64), 2.0**-149)
    return np.abs(got.astype(np.float64) - ref) / spacing


def _dense_points() -> np.ndarray:
    rng = np.random.default_rng(7)
    return np.concatenate([
        -np.logspace(-38, np.log10(87), 200_000), rng.uniform(-20, 0, 200_000),
        rng.uniform(-0.7, 0.7, 100_000), np.logspace(-38, 38, 2_000),
        # the worst points of every float32 in [-88, 0] (confirmed with mpmath): expm1 and exp, then
        # SELU's f and f'
        [-0.282124847, -5.85337114, -0.331369758, -5.88336658],
    ]).astype(np.float32)


def _reference(x: np.ndarray, alpha: float, inner: float, slope: float) -> tuple[np.ndarray, np.ndarray]:
    """float64 libm: its expm1/exp are correct to ~1e-16, so exact at float32's scale."""
    x64 = x.astype(np.float64)
    u = np.minimum(x64, 0) / inner
    return slope * np.maximum(x64, 0) + alpha * np.expm1(u), np.where(x64 > 0, slope, alpha / inner * np.exp(u))


@pytest.mark.parametrize("alpha, inner, slope, f_bound, d_bound", [
    (1.0, 1.0, 1.0, 0.939, 0.989),  # expm1 and exp themselves
    (SELU_K, 1.0, SELU_SCALE, 1.788, 1.296),  # the float32 rounding of alpha * scale, and its products
    (0.5, 1.0, 1.0, 0.939, 0.989),  # alpha a power of two: still exact products
    (-1.0, 1.0, 1.0, 0.939, 0.989),
    # |alpha| >= 1 goes into 2^k, a smaller one multiplies both results: on these points
    (1e30, 1.0, 1.0, 1.77, 1.10), (1e-30, 1.0, 1.0, 1.52, 1.62),
    (3.0, 3.0, 1.0, 1.8, 22.0),  # x / 3 rounds, and exp(x / 3) amplifies that by |x / 3|
])
def test_values_and_derivative_within_stated_ulps(alpha, inner, slope, f_bound, d_bound):
    x = _dense_points()
    y, d = np.empty_like(x), np.empty_like(x)
    with np.errstate(all="raise", under="ignore"):
        elu_float32(x, alpha, inner, slope, y, d)
    ref_y, ref_d = _reference(x, alpha, inner, slope)
    assert _ulps(y, ref_y).max() <= f_bound
    assert _ulps(d, ref_d).max() <= d_bound


def test_far_left_tail_is_subnormal_exp_even_beside_a_nan():
    # below x = -87 the float32 2^k is subnormal: those elements take a float64 exp;
    # a NaN in the same block once hid them from the check (np.min of a block with NaN is NaN)
    x = np.array([np.nan, -87.5, -95.0, -103.0, -104.0, -np.inf, -1.0], dtype=np.float32)
    y, d = np.empty_like(x), np.empty_like(x)
    elu_float32(x, 1.0, 1.0, 1.0, y, d)
    expected = np.exp(x[1:].astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(d[1:], expected)
    assert d[5] == 0 and d[3] > 0  # exp(-103) is a subnormal float32, exp(-inf) is 0
    np.testing.assert_array_equal(y[1:6], -1.0)
    assert np.isnan(y[0]) and np.isnan(d[0])


def test_far_left_tail_for_every_inner():
    # x <= float32(-87 inner) is recomputed in float64, and for most inner (0.001, 0.09, 8.98, ...)
    # that bound divided by inner rounds just above -87: the far-left elements were once missed
    # (when x was clipped there) and got exp(-86.99999) = 1.6e-38 for f'
    inners = np.round(np.arange(0.001, 9.0, 0.0371), 4)
    for inner in inners:
        x = (np.array([-87.0, -87.3, -90.0, -100.0, -104.0, -1000.0]) * inner).astype(np.float32)
        y, d = np.empty_like(x), np.empty_like(x)
        elu_float32(x, inner, inner, 1.0, y, d)  # CELU(alpha=inner)
        ref_y, ref_d = _reference(x, inner, inner, 1.0)
        assert _ulps(d, ref_d).max() <= 25, inner  # exp(x / inner) amplifies the rounding of x / inner
        assert _ulps(y, ref_y).max() <= 1.0, inner


def test_either_result_alone_is_the_same_as_both():
    x = np.random.default_rng(4).normal(0, 40, 10_000).astype(np.float32)
    y, d = np.empty_like(x), np.empty_like(x)
    elu_float32(x, SELU_K, 1.0, SELU_SCALE, y, d)
    y_alone, d_alone = np.empty_like(x), np.empty_like(x)
    elu_float32(x, SELU_K, 1.0, SELU_SCALE, y_alone, None)
    elu_float32(x, SELU_K, 1.0, SELU_SCALE, None, d_alone)
    np.testing.assert_array_equal(y_alone, y)
    np.testing.assert_array_equal(d_alone, d)


def test_every_layout_and_block_boundary_gives_the_same_numbers():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((_BLOCK // 100 + 7, 301)) * 5).astype(np.float32)  # spans blocks, ragged end
    y, d = np.empty_like(x), np.empty_like(x)
    elu_float32(x, SELU_K, 1.0, SELU_SCALE, y, d)
    # one element at a time: no block structure at all
    for i, j in [(0, 0), (217, 300), (x.shape[0] - 1, 5)]:
        yi, di = np.empty(1, np.float32), np.empty(1, np.float32)
        elu_float32(x[i, j:j + 1], SELU_K, 1.0, SELU_SCALE, yi, di)
        assert yi[0] == y[i, j] and di[0] == d[i, j]
    xt = np.asfortranarray(x)
    yt, dt = np.empty_like(xt), np.empty_like(xt)  # Fortran order, like empty_like of xt
    elu_float32(xt, SELU_K, 1.0, SELU_SCALE, yt, dt)
    np.testing.assert_array_equal(yt, y)
    np.testing.assert_array_equal(dt, d)


def test_no_floating_point_error_under_raise_for_tiny_and_far_left_inputs():
    x = np.array([-1e-30, -1e-40, 1e-40, -86.9, -87.5, -200.0, 3.3e38], dtype=np.float32)  # 3.3e38 * scale: inf
    y, d = np.empty_like(x), np.empty_like(x)
    with np.errstate(all="raise"):  # intermediate underflow (r^2 of a tiny r) is harmless and silent
        elu_float32(x, SELU_K, 1.0, SELU_SCALE, y, d)
    ref_y, ref_d = _reference(x, SELU_K, 1.0, SELU_SCALE)
    assert _ulps(y[:-1], ref_y[:-1]).max() <= 1.788 and y[-1] == np.inf
    assert _ulps(d, ref_d).max() <= 2.0
