"""nnlite._special.erf / erfc against mpmath at 50 digits.

Bounds: relative error <= 2e-15 (about 9 ulps) wherever the reference is a
normal float64 (>= 2.2e-308); in the subnormal range erfc (x from 26.55 to
27.3) can only be right to an absolute 2^-1074 granularity, so there the
bound is absolute, 1e-320 (a few hundred of the smallest subnormals).
mp.erfc raises OverflowError for huge arguments (1e300), so beyond |x| = 30
the reference is the closed-form limit: erfc(x) = 0 and erf(x) = 1 for
x > 30 in float64 (erfc(30) < 1e-392), by symmetry for x < -30.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from nnlite._special import erf, erfc


@pytest.fixture(autouse=True)
def _mpmath_digits():
    """50 digits for this module's mpmath references, for each test only: a global mp.dps
    set at import changed other modules' references, depending on the order of collection."""
    with mp.workdps(50):
        yield


RTOL = 2e-15
ATOL_SUBNORMAL = 1e-320
NORMAL_MIN = np.finfo(np.float64).tiny


def ref_erf(x):
    x = mp.mpf(x)
    if abs(x) > 30:
        return mp.mpf(1 if x > 0 else -1)
    return mp.erf(x)


def ref_erfc(x):
    x = mp.mpf(x)
    if abs(x) > 30:
        return mp.mpf(0 if x > 0 else 2)
    return mp.erfc(x)


def worst(fn, ref, x):
    got = fn(x)
    assert got.dtype == np.float64 and got.shape == x.shape
    worst_ratio, where = 0.0, None
    for xi, gi in zip(x.ravel().tolist(), got.ravel().tolist()):
        r = ref(xi)
        err = abs(mp.mpf(gi) - r)
        bound = RTOL * abs(r) if abs(r) >= NORMAL_MIN else ATOL_SUBNORMAL
        ratio = float(err / bound) if bound else float(err != 0) * np.inf
        if ratio > worst_ratio:
            worst_ratio, where = ratio, (xi, gi, float(r))
    return worst_ratio, where


GRID = np.linspace(-30, 30, 6001)  # step 0.01, with the piece boundaries 0, +-1, +-2, +-4 on it
TINY = np.array([0.0, -0.0, 5e-324, -5e-324, 1e-310, 1e-300, -1e-200, 1e-20, 1e-9, -1e-5, 2**-30])
HUGE = np.array([26.5, 26.6, 27.0, 27.29, 27.3, 27.31, 28.0, 40.0, 1e3, 1e30, 1e300, 1.7976931348623157e308])
EDGES = np.array([np.nextafter(v, d) for v in (1.0, 2.0, 4.0) for d in (0, 10)] + [0.5, 3.999999, 4.000001])


@pytest.mark.parametrize("x", [GRID, TINY, -TINY, HUGE, -HUGE, EDGES, -EDGES], ids=[
    "grid", "tiny", "-tiny", "huge", "-huge", "edges", "-edges"])
@pytest.mark.parametrize("fn, ref", [(erf, ref_erf), (erfc, ref_erfc)], ids=["erf", "erfc"])
def test_matches_mpmath(fn, ref, x):
    ratio, where = worst(fn, ref, x)
    assert ratio <= 1, f"worst at x={where[0]!r}: got {where[1]!r}, expected {where[2]!r}"


def test_random_points_in_every_piece():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(lo, hi, 200) for lo, hi in [(0, 1), (1, 2), (2, 4), (4, 27.5)]])
    for fn, ref in [(erf, ref_erf), (erfc, ref_erfc)]:
        for sign in (1, -1):
            ratio, where = worst(fn, ref, sign * x)
            assert ratio <= 1, (fn.__name__, where)


def test_identities_hold_to_rounding():
    x = np.linspace(-6, 6, 1201)
    np.testing.assert_allclose(erf(x) + erfc(x), 1.0, rtol=0, atol=4e-16)
    np.testing.assert_array_equal(erf(-x), -erf(x))
    np.testing.assert_allclose(erfc(-x), 2 - erfc(x), rtol=0, atol=4e-16)


def test_infinities_and_nan():
    x = np.array([np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(erf(x), [1.0, -1.0, np.nan])
    np.testing.assert_array_equal(erfc(x), [0.0, 2.0, np.nan])
    assert np.isnan(erf(np.array([1.0, np.nan, 0.5]))[1])
    assert np.isnan(erfc(np.array([[np.nan, 30.0]]))[0, 0])


def test_signed_zero_and_monotone_grid():
    assert np.signbit(erf(np.array([-0.0]))[0])
    assert erfc(np.array([0.0]))[0] == 1.0
    x = np.linspace(-8, 8, 4001)
    assert np.all(np.diff(erf(x)) >= 0)
    assert np.all(np.diff(erfc(x)) <= 0)


@pytest.mark.parametrize("fn, ref", [(erf, ref_erf), (erfc, ref_erfc)], ids=["erf", "erfc"])
def test_dtypes(fn, ref):
    x32 = np.linspace(-5, 5, 101, dtype=np.float32)
    got = fn(x32)
    assert got.dtype == np.float32
    # float32: computed in float64 at the float32 input, rounded once
    for xi, gi in zip(x32.tolist(), got.tolist()):
        r = ref(xi)
        assert abs(mp.mpf(gi) - r) <= 2.0**-23 * abs(r), (xi, gi)
    assert fn(np.arange(-3, 4)).dtype == np.float64
    assert fn(np.array([True, False])).dtype == np.float64
    assert fn(np.arange(3, dtype=np.int8)).dtype == np.float64  # not float32: integers become float64
    assert fn(np.float16(0.5) * np.ones(3, dtype=np.float16)).dtype == np.float32


@pytest.mark.parametrize("fn", [erf, erfc])
def test_shapes_scalars_and_lists(fn):
    for shape in [(), (0,), (3,), (2, 3), (2, 3, 4)]:
        x = np.random.default_rng(1).normal(size=shape) * 3
        got = fn(x)
        assert got.shape == np.shape(x)
        np.testing.assert_array_equal(got.ravel(), fn(np.ravel(x)))
    assert fn([0.5, -0.5]).shape == (2,)
    assert float(fn(0.25)) == float(fn(np.array([0.25]))[0])
    # non-contiguous views and more than one erfc block (16384 elements)
    big = np.linspace(-10, 10, 40000)
    np.testing.assert_array_equal(fn(big[::3]), fn(big[::3].copy()))
    np.testing.assert_array_equal(fn(big)[::3], fn(big[::3]))


def test_no_warnings_over_the_whole_range():
    # pytest turns warnings into errors: any overflow/invalid in the pipeline would fail here
    x = np.concatenate([np.geomspace(1e-308, 1.7e308, 700), -np.geomspace(5e-324, 1.7e308, 700)])
    assert np.all(np.isfinite(erf(x))) and np.all(np.isfinite(erfc(x)))
