"""The float32 GELU table path (nnlite._special.gelu_float32) against mpmath, to 0.59 ulp."""

import warnings

import mpmath as mp
import numpy as np
import pytest

from nnlite._special import erfc, gelu_derivative_float32, gelu_float32
from nnlite.activations import GELU

F32 = np.float32
STEPS = 2048  # the table's nodes are k / 2048


def _run(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return gelu_float32(np.asarray(x, dtype=F32))


def _consecutive(start, count):
    """count consecutive float32 values from start upward."""
    bits = np.array([start], dtype=F32).view(np.int32)[0]
    if start < 0 or (start == 0 and np.signbit(F32(start))):
        return (bits - np.arange(count, dtype=np.int32)).view(F32)  # towards zero, then past it
    return (bits + np.arange(count, dtype=np.int32)).view(F32)


def _across_midpoint(x, count):
    """count consecutive float32 values upward across the midpoint between two table nodes next to x,
    where the nearest node and the sign of the step d change."""
    start = F32((np.round(x * STEPS) + 0.5) / STEPS)
    for _ in range(count // 2):
        start = np.nextafter(start, F32(-np.inf))
    bits = np.array([start], dtype=F32).view(np.int32)[0]
    step = 1 if start > 0 else -1  # a negative float's bits shrink as it grows
    return (bits + step * np.arange(count, dtype=np.int32)).view(F32)


def _ulp_error(x, got):
    """|got - x Phi(x)| in ulps of the float32 grid at the true value (subnormal spacing below tiny)."""
    with mp.workdps(50):
        xm = mp.mpf(float(x))
        r = xm * mp.ncdf(xm)
        if r == 0:
            return 0.0 if got == 0 else float("inf")
        e = int(mp.floor(mp.log(abs(r), 2)))
        ulp = mp.ldexp(1, max(e - 23, -149))
        return float(abs(mp.mpf(float(got)) - r) / ulp)


def _points():
    rng = np.random.default_rng(20240615)
    mag = np.logspace(-40, np.log10(3e38), 1500).astype(F32)
    k = rng.integers(0, 15 * STEPS, 1500)
    nodes = (k / STEPS).astype(F32)
    mids = ((k + 0.5) / STEPS).astype(F32)  # ties of the node rounding
    near = np.concatenate([nodes, mids])
    near = np.concatenate([near, np.nextafter(near, F32(np.inf)), np.nextafter(near, F32(0))])
    tiny = np.finfo(F32).tiny
    special = np.array([0.0, 1e-45, 2e-45, 1e-40, 1e-39, tiny, np.nextafter(tiny, F32(0)),
                        np.finfo(F32).max, 1.0, 0.5, 14.0, 15.0, 16.0], dtype=F32)
    # the worst of every float32 in [-16, 16]: f (0.587 ulp), f' in normal and in subnormal units
    worst = np.array([-13.040764808654785, -4.00563383102417, -13.351385116577148], dtype=F32)
    x = np.concatenate([
        mag, -mag, near, -near[::2], special, -special, worst,
        _consecutive(0.5, 1500), _consecutive(-0.75, 1500), _consecutive(-1.0, 1500),
        # every float32 across a few midpoints between table nodes
        _across_midpoint(0.5, 1500), _across_midpoint(-0.75, 1500), _across_midpoint(3.0, 800),
        _across_midpoint(-5.25, 800), _across_midpoint(-12.0, 800),
        _consecutive(-12.5, 800), _consecutive(-13.9, 800), _consecutive(-14.0, 600),  # subnormal results
        _consecutive(-15.0, 400), _consecutive(np.nextafter(F32(-15.0), F32(0)), 400),
        np.linspace(12, 16, 2001, dtype=F32), np.linspace(-16, -12, 2001, dtype=F32),
        (rng.standard_normal(3000) * 4).astype(F32),
    ])
    return np.unique(x)  # sorted; -0.0 and 0.0 collapse, -0.0 is checked separately


def test_gelu_float32_within_0_59_ulp_of_mpmath():
    x = _points()
    assert x.size > 20000
    got = _run(x)
    errors = np.array([_ulp_error(xi, gi) for xi, gi in zip(x.tolist(), got.tolist())])
    worst = int(np.argmax(errors))
    assert errors[worst] <= 0.59, (x[worst], got[worst], errors[worst])


def test_gelu_float32_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 3e38, -3e38, 1e-45, -1e-45], dtype=F32)
    got = _run(x)
    assert got[0] == 0 and got[1] == 0
    assert got[2] == np.inf and got[3] == 0 and not np.isnan(got[3])
    assert np.isnan(got[4]) and np.isnan(got[5])
    assert got[6] == F32(3e38) and got[7] == 0
    assert got[8] == 0 or got[8] == F32(1e-45)  # 0.5e-45 is a tie: either neighbour is 0.5 ulp away
    assert got[9] == 0 or got[9] == -F32(1e-45)


def test_gelu_float32_huge_inputs_never_see_the_tail():
    # past the table end |x| maps to its last node: a huge a times a non-zero tail value must not leak
    x = np.array([-1e38, -1e30, -1e20, -1e5, -100, -20, -15.5], dtype=F32)
    got = _run(x)
    assert np.all(got == 0)
    assert np.array_equal(_run(-x), -x)


@pytest.mark.parametrize("n", [0, 1, 7, 32767, 32768, 32769, 100003])
def test_gelu_float32_blocks_shapes_and_out(n):
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 5).astype(F32)
    got = _run(x)
    assert got.dtype == F32 and got.shape == x.shape
    xd = x.astype(np.float64)
    ref = xd * 0.5 * erfc(-xd * np.sqrt(0.5))
    ulp = np.spacing(np.abs(ref).astype(F32)).astype(np.float64)
    assert np.all(np.abs(got - ref) <= 0.59 * ulp)
    if n % 2 == 0 and n:
        out = np.full((2, n // 2), np.nan, F32)
        res = gelu_float32(x.reshape(2, -1), out=out)
        assert res is out and np.array_equal(out.reshape(-1), got)
        strided = gelu_float32(np.repeat(x, 2)[::2])  # non-contiguous input
        assert np.array_equal(strided, got)


@pytest.mark.parametrize("layout", ["transposed", "fortran", "strided"])
def test_any_memory_layout_gives_the_same_values(layout):
    base = np.random.default_rng(3).normal(0, 4, size=(300, 7)).astype(np.float32)
    x = {"transposed": base.T, "fortran": np.asfortranarray(base), "strided": base[::2, ::3]}[layout]
    act = GELU()
    expected = gelu_float32(np.ascontiguousarray(x))
    np.testing.assert_array_equal(act.forward(x), expected)  # its output buffer copies x's layout
    np.testing.assert_array_equal(gelu_float32(x, out=np.empty_like(x, order="F")), expected)


# --- f' computed along with f (fit mode) ------------------------------------------------------------------


def _derivative_errors(x, got):
    """|got - f'(x)| against mpmath, and max(Phi(x), |x| phi(x)), the size of f'`s two terms."""
    errors, scales = [], []
    with mp.workdps(40):
        for xi, gi in zip(x.tolist(), got.tolist()):
            xm = mp.mpf(xi)
            phi_cdf, x_pdf = mp.ncdf(xm), xm * mp.npdf(xm)
            errors.append(float(abs(mp.mpf(gi) - (phi_cdf + x_pdf))))
            scales.append(float(max(abs(phi_cdf), abs(x_pdf))))
    return np.array(errors), np.array(scales)


def test_derivative_along_with_f_is_within_4_69_units_of_its_terms():
    # the bound is relative to the larger term of Phi(x) + x phi(x): f' itself cancels to 0 at x = -0.75
    x = _points()
    d = np.full_like(x, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            y = gelu_float32(x, derivative=d)
    assert np.array_equal(y, gelu_float32(x), equal_nan=True)  # f is the same with or without f'
    assert np.array_equal(d, gelu_derivative_float32(x), equal_nan=True)  # and f' with or without f
    errors, scales = _derivative_errors(x, d)
    normal = scales >= np.finfo(F32).tiny
    units = errors[normal] / (scales[normal] * 2.0**-24)
    worst = int(np.argmax(units))
    assert units[worst] <= 4.69, (x[normal][worst], units[worst])
    assert errors[~normal].max() <= 1.92 * 2.0**-149  # f' among the subnormals: within 1.92 of their spacings


def test_derivative_along_with_f_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-20, -1e-20, 3e38, -3e38, 20, -20],
                 dtype=F32)
    d = np.empty_like(x)
    y = gelu_float32(x, derivative=d)  # one block, with a NaN in it: the tiny |x| are still found
    expected = np.array([0.5, 0.5, 1, 0, np.nan, 0.5, 0.5, 0.5, 0.5, 1, 0, 1, 0], dtype=F32)
    np.testing.assert_array_equal(d, expected)
    np.testing.assert_array_equal(y[7:9], x[7:9] / 2)  # x Phi(x) = x / 2 to every digit there


def test_intermediate_underflow_never_raises_whatever_seterr_says():
    # x = 1e-30: x phi(x) = 4e-31 is a normal float32, but the float32 product 2^-64 * 2048 x on the way
    # was subnormal, and np.seterr(all="raise") turned that into an error (as the ELU family promises
    # not to); x = -14: f rounds into the subnormals, as documented, without an error either
    x = np.array([1e-30, -1e-30, 1e-38, -14.0, -13.3, 3.0], dtype=F32)
    d = np.empty_like(x)
    with np.errstate(all="raise"):
        y = gelu_float32(x, derivative=d)
        act = GELU()
        y_act = act.forward(x)
        d_act = act.backward(np.ones_like(x))
    assert np.array_equal(y, y_act) and np.array_equal(d, d_act)
    for xi, yi, di in zip(x.tolist(), y.tolist(), d.tolist()):
        assert _ulp_error(xi, yi) <= 0.59
        with mp.workdps(40):
            xm = mp.mpf(xi)
            assert abs(mp.mpf(di) - (mp.ncdf(xm) + xm * mp.npdf(xm))) <= 4.69 * 2.0**-24
