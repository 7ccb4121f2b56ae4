"""Every activation's values and derivatives against mpmath at 50 digits.

The references are written here from the formulas (the papers),
never from nnlite, and evaluated in mpmath with 50 significant digits at the
exact float input (for float32, at the float32-rounded input).

Tolerances
----------
- float64 values: relative error <= 1e-12 where the value is not tiny.
  *Tiny* means |reference| < 1e-300 (about 2^-997, ten orders of magnitude
  above the subnormal range where relative accuracy stops being possible):
  there the comparison is absolute, |got - ref| <= 1e-300.
- float32 values: relative error <= 8 ulps (8 * 2^-23 ~ 1e-6) at the
  float32-rounded input where |reference| >= 1e-35 (float32's smallest
  normal is 1.2e-38), absolute 1e-35 below.  A float32 result may come from
  float32 arithmetic: each rounding is 0.5 ulp and the formulas here take a
  handful of them, so 8 ulps fits; where the function amplifies an
  intermediate rounding (exp(-x^2) multiplies the rounding of x^2 by x^2),
  the bound still has to hold, the implementation must work around it.
- derivatives (float64, ordinary points): |got - ref| <= 1e-12 |ref| +
  1e-15 * max|f'|.  Several derivatives are computed from y = f(x) on
  purpose (`derivative(x, y)` gets y = f(x) so it can be reused):
  sigmoid' = y (1 - y), tanh' = 1 - y^2, elu' = y + alpha.  These are
  accurate in absolute terms only: where f' is much smaller than f, the
  subtraction cancels (at x = 30 sigmoid' = 9e-14 is computed as 1 - y with
  y = 1 - 9e-14, so only a few digits survive) while the absolute error stays
  ~1e-16 * max|f'|.  An absolute term of 1e-15 * max|f'| plus rtol 1e-12
  accepts exactly that and nothing worse; a gradient enters a sum of
  products, where absolute accuracy is what matters.  The same atol covers
  derivatives that cross zero (swish, mish, gelu, gaussian), where no
  relative bound can hold at the root.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import nnlite
from nnlite import activations


@pytest.fixture(autouse=True)
def _mpmath_digits():
    """50 digits for this module's mpmath references, for each test only: a global mp.dps
    set at import changed other modules' references, depending on the order of collection."""
    with mp.workdps(50):
        yield


TINY64 = 1e-300
TINY32 = 1e-35
RTOL64 = 1e-12
ULP32 = 2.0**-23
RTOL32 = 8 * ULP32

with mp.workdps(50):
    SELU_ALPHA = mp.mpf("1.6732632423543772848170429916717")
    SELU_SCALE = mp.mpf("1.0507009873554804934193349852946")


# --- references in mpmath, straight from the formulas ----------------------------------------------------

def _m(v):
    return mp.mpf(float(v))


def ref_sigmoid(x):
    return 1 / (1 + mp.exp(-x))


def ref_tanh(x):
    return mp.tanh(x)


def ref_relu(x):
    return x if x > 0 else mp.mpf(0)


def ref_leaky(alpha):
    a = _m(alpha)
    return lambda x: x if x > 0 else a * x


def ref_elu(alpha):
    a = _m(alpha)
    return lambda x: x if x > 0 else a * mp.expm1(x)


def ref_selu(x):
    return SELU_SCALE * (x if x > 0 else SELU_ALPHA * mp.expm1(x))


def ref_celu(alpha):
    a = _m(alpha)
    return lambda x: x if x > 0 else a * mp.expm1(x / a)


def ref_relu6(x):
    return min(max(x, mp.mpf(0)), mp.mpf(6))


def ref_softplus(beta):
    b = _m(beta)

    def f(x):
        # log(1 + exp(b x)) / b; mpmath has no overflow, but log(1 + tiny) needs log1p
        return mp.log1p(mp.exp(b * x)) / b

    return f


def ref_softsign(x):
    return x / (1 + abs(x))


def ref_hard_sigmoid(slope, offset):
    s, o = _m(slope), _m(offset)
    return lambda x: min(max(s * x + o, mp.mpf(0)), mp.mpf(1))


def ref_hard_tanh(x):
    return min(max(x, mp.mpf(-1)), mp.mpf(1))


def ref_hard_swish(x):
    return x * min(max(x + 3, mp.mpf(0)), mp.mpf(6)) / 6


def ref_swish(beta):
    b = _m(beta)
    return lambda x: x / (1 + mp.exp(-b * x))


def ref_gelu(x):
    # x Phi(x) = x erfc(-x / sqrt 2) / 2.  mp.erfc raises OverflowError for
    # arguments like 1e300, so beyond |x| = 60 use the closed-form limits:
    # Phi(x) = 1 - O(exp(-1800)) for x > 60 (f = x to every digit), and for
    # x < -60 f is below 1e-780, far under the tiny threshold.
    if x > 60:
        return x
    if x < -60:
        return mp.mpf(0)
    return x * mp.erfc(-x / mp.sqrt(2)) / 2


def ref_gelu_tanh(x):
    # 0.5 x (1 + tanh(u)) written as x / (1 + exp(-2u)), which does not cancel for u << 0
    u = mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3)
    return x / (1 + mp.exp(-2 * u))


def ref_mish(x):
    return x * mp.tanh(mp.log1p(mp.exp(x)))


def ref_gaussian(x):
    return mp.exp(-x * x)


def ref_step(x):
    return mp.mpf(1) if x > 0 else mp.mpf(0)


def ref_linear(x):
    return x


# Cases whose formula is a*x + b in floating point cancel near its root x = -b/a: the result there
# is accurate to ~1 ulp of b, not of itself (hard_sigmoid(slope=1/6) at x = -3 gives 0 for
# 0.5 - 3 * fl(1/6) = 2.8e-17).  No float formula avoids that without an fma, so these get an
# absolute term of 2 ulps of |b| on top of the relative bound.
LINEAR_ROOT_ATOL = {"hard_sigmoid": 0.5, "hard_sigmoid(slope=1/6)": 0.5}

# name -> (registry name, get() keywords, reference, kinks)
CASES = {
    "sigmoid": ("sigmoid", {}, ref_sigmoid, ()),
    "tanh": ("tanh", {}, ref_tanh, ()),
    "relu": ("relu", {}, ref_relu, (0,)),
    "leaky_relu": ("leaky_relu", {}, ref_leaky(0.01), (0,)),
    "leaky_relu(alpha=0.2)": ("leaky_relu", {"alpha": 0.2}, ref_leaky(0.2), (0,)),
    "elu": ("elu", {}, ref_elu(1.0), (0,)),
    "elu(alpha=0.5)": ("elu", {"alpha": 0.5}, ref_elu(0.5), (0,)),
    "selu": ("selu", {}, ref_selu, (0,)),
    "celu": ("celu", {}, ref_celu(1.0), (0,)),
    "celu(alpha=0.5)": ("celu", {"alpha": 0.5}, ref_celu(0.5), (0,)),
    "celu(alpha=2)": ("celu", {"alpha": 2.0}, ref_celu(2.0), (0,)),
    "prelu": ("prelu", {}, ref_leaky(0.25), (0,)),
    "relu6": ("relu6", {}, ref_relu6, (0, 6)),
    "softplus": ("softplus", {}, ref_softplus(1.0), ()),
    "softplus(beta=2)": ("softplus", {"beta": 2.0}, ref_softplus(2.0), ()),
    "softsign": ("softsign", {}, ref_softsign, ()),
    "hard_sigmoid": ("hard_sigmoid", {}, ref_hard_sigmoid(0.2, 0.5), (-2.5, 2.5)),
    "hard_sigmoid(slope=1/6)": ("hard_sigmoid", {"slope": 1 / 6}, ref_hard_sigmoid(1 / 6, 0.5), (-3, 3)),
    "hard_tanh": ("hard_tanh", {}, ref_hard_tanh, (-1, 1)),
    "hard_swish": ("hard_swish", {}, ref_hard_swish, (-3, 3)),
    "swish": ("swish", {}, ref_swish(1.0), ()),
    "silu": ("silu", {}, ref_swish(1.0), ()),
    "swish(beta=1.5)": ("swish", {"beta": 1.5}, ref_swish(1.5), ()),
    "gelu": ("gelu", {}, ref_gelu, ()),
    "gelu(approximate=tanh)": ("gelu", {"approximate": "tanh"}, ref_gelu_tanh, ()),
    "mish": ("mish", {}, ref_mish, ()),
    "gaussian": ("gaussian", {}, ref_gaussian, ()),
    "step": ("step", {}, ref_step, (0,)),
    "linear": ("linear", {}, ref_linear, ()),
}

ELEMENTWISE = sorted(set(activations.names()) - {"softmax", "log_softmax", "maxout"})

ORDINARY = [-7.5, -3.3, -2.2, -1.7, -1.0 + 2**-20, -0.6, -0.25, -1e-3, -1e-9, -1e-200, 0.0,
            1e-200, 1e-9, 1e-3, 0.25, 0.6, 1.3, 2.2, 2.9, 4.4, 5.8, 6.4, 9.1, 17.0]
EXTREME64 = [s * v for v in (20.0, 30.0, 37.0, 700.0, 710.0, 1000.0, 1e4, 1e30, 1e150, 1e300, 1.7e308)
             for s in (1, -1)]
EXTREME32 = [s * v for v in (15.0, 30.0, 87.0, 89.0, 100.0, 1000.0, 1e10, 1e30, 3e38) for s in (1, -1)]
GRID64 = np.concatenate([np.linspace(-40, 40, 161), ORDINARY, EXTREME64])
GRID32 = np.concatenate([np.linspace(-40, 40, 161), ORDINARY, EXTREME32]).astype(np.float32)


def build(case):
    name, params, _, _ = CASES[case]
    return activations.get(name, **params)


def value_errors(case, x):
    """(scaled error, relative error) per point: scaled <= 1 passes."""
    _, _, ref, _ = CASES[case]
    f32 = x.dtype == np.float32
    tiny, rtol = (TINY32, RTOL32) if f32 else (TINY64, RTOL64)
    got = build(case).forward(x)
    assert got.dtype == x.dtype
    scaled, rel = [], []
    for xi, gi in zip(x.tolist(), got.tolist()):
        r = ref(mp.mpf(xi))
        err = abs(mp.mpf(gi) - r)
        atol = 2 * (ULP32 if f32 else 2.0**-52) * LINEAR_ROOT_ATOL.get(case, 0.0)
        if abs(r) < tiny or abs(r) * rtol < atol:
            scaled.append(float(err / max(tiny, atol)))
            rel.append(0.0)
        else:
            rel.append(float(err / abs(r)))
            scaled.append(rel[-1] / rtol)
    return np.array(scaled), np.array(rel)


def _report(case, x, scaled, rel):
    k = int(np.argmax(scaled))
    return f"{case}: worst at x={x[k]!r}, relative error {rel[k]:.3g} (scaled {scaled[k]:.3g})"


def test_every_registered_elementwise_activation_has_a_reference():
    covered = {CASES[c][0] for c in CASES}
    assert set(ELEMENTWISE) <= covered


@pytest.mark.parametrize("case", list(CASES))
def test_float64_values_match_mpmath(case):
    scaled, rel = value_errors(case, GRID64)
    assert scaled.max() <= 1, _report(case, GRID64, scaled, rel)


@pytest.mark.parametrize("case", list(CASES))
def test_float32_values_match_mpmath(case):
    scaled, rel = value_errors(case, GRID32)
    assert scaled.max() <= 1, _report(case, GRID32, scaled, rel)


@pytest.mark.parametrize("case", list(CASES))
def test_huge_inputs_give_finite_outputs(case):
    x = np.array([-1e300, 1e300, -1.7e308, 1.7e308])
    assert np.all(np.isfinite(build(case).forward(x)))
    x32 = np.array([-3e38, 3e38], dtype=np.float32)
    assert np.all(np.isfinite(build(case).forward(x32)))


# --- derivatives ---------------------------------------------------------------------------------------

DERIV_POINTS = np.array([-7.5, -3.3, -2.2, -1.7, -1.2, -0.6, -0.25, -1e-3, 1e-3, 0.25, 0.6, 1.3,
                         2.2, 2.9, 4.4, 5.8, 6.4, 9.1, 17.0, 30.0, -30.0])


def deriv_points(case):
    kinks = CASES[case][3]
    return np.array([x for x in DERIV_POINTS if all(abs(x - k) > 0.05 for k in kinks)])


def ref_derivative(case, x):
    _, _, ref, _ = CASES[case]
    return mp.diff(ref, mp.mpf(x))


def derivative_errors(case, x, dtype=np.float64):
    act = build(case)
    xs = x.astype(dtype)
    act.forward(xs)
    got = act.backward(np.ones_like(xs))
    assert got.dtype == dtype
    refs = [ref_derivative(case, xi) for xi in xs.tolist()]
    scale = max(float(abs(r)) for r in refs) or 1.0
    err = np.array([float(abs(mp.mpf(g) - r)) for g, r in zip(got.tolist(), refs)])
    rel = np.array([float(abs(mp.mpf(g) - r) / abs(r)) if r != 0 else 0.0 for g, r in zip(got.tolist(), refs)])
    return err, rel, np.array([float(abs(r)) for r in refs]), scale


@pytest.mark.parametrize("case", list(CASES))
def test_float64_derivatives_match_mpmath(case):
    x = deriv_points(case)
    err, rel, ref, scale = derivative_errors(case, x)
    bound = RTOL64 * ref + 1e-15 * scale
    k = int(np.argmax(err / bound))
    assert np.all(err <= bound), f"{case}: x={x[k]}, abs error {err[k]:.3g}, rel {rel[k]:.3g}"


@pytest.mark.parametrize("case", list(CASES))
def test_float32_derivatives_match_mpmath(case):
    # float32 derivatives: same shape of bound with float32's epsilon; 30 ulps
    # absolute of max|f'| covers y-based forms (1 - y^2 at float32's y).
    x = deriv_points(case)
    err, rel, ref, scale = derivative_errors(case, x, np.float32)
    bound = RTOL32 * ref + 30 * ULP32 * scale
    k = int(np.argmax(err / bound))
    assert np.all(err <= bound), f"{case}: x={x[k]}, abs error {err[k]:.3g}, rel {rel[k]:.3g}"


@pytest.mark.parametrize(
    "case, x, expected",
    [
        # far tails of derivatives, closed forms: 0 or the slope
        ("sigmoid", 1e300, 0.0), ("sigmoid", -1e300, 0.0), ("tanh", 1e300, 0.0),
        ("softplus", 1e300, 1.0), ("softplus", -1e300, 0.0), ("swish", 1e300, 1.0), ("swish", -1e300, 0.0),
        ("gelu", 1e300, 1.0), ("gelu", -1e300, 0.0), ("gelu(approximate=tanh)", 1e300, 1.0),
        ("gelu(approximate=tanh)", -1e300, 0.0), ("mish", 1e300, 1.0), ("mish", -1e300, 0.0),
        ("gaussian", 1e300, 0.0), ("softsign", 1e300, 0.0), ("elu", -1e300, 0.0), ("selu", -1e300, 0.0),
        ("celu", -1e300, 0.0), ("elu", 1e300, 1.0), ("hard_swish", 1e300, 1.0),
    ],
)
def test_derivatives_at_huge_inputs(case, x, expected):
    act = build(case)
    act.forward(np.array([x]))
    got = act.backward(np.ones(1))
    assert got[0] == pytest.approx(expected, abs=1e-300)


# --- softmax, log_softmax, maxout ------------------------------------------------------------------------

def ref_softmax_row(row):
    xs = [mp.mpf(v) for v in row]
    m = max(xs)
    e = [mp.exp(v - m) for v in xs]
    s = mp.fsum(e)
    return [v / s for v in e]


def ref_log_softmax_row(row):
    # (x_i - m) - log(sum exp(x_j - m)): never forms m + log(...), which 50 digits cannot hold for m = 1e300
    xs = [mp.mpf(v) for v in row]
    m = max(xs)
    lse = mp.log(mp.fsum(mp.exp(v - m) for v in xs))
    return [(v - m) - lse for v in xs]


SOFTMAX_ROWS = [
    [0.1, -0.4, 2.3, 1.7],
    [-3.0, 0.0, 3.0, 6.5],
    [1000.0, 999.0, 998.0, -1000.0],
    [-745.0, -700.0, -720.0, -800.0],
    [30.0, -30.0, 1e-9, 7.0],
    [80.0, 0.5, -80.0, 79.0],
    [0.0, -40.0, -23.0, -50.0],
    [5.0, 5.0, -30.0, 5.0],
]
HUGE_ROWS = {
    np.float64: [
        [1e300, -1e300, 0.0, 1e300],
        [1e300, 1e300 * (1 - 2**-52), 5.0, -1e300],
        [-1e300, -1e300, -1e300, -1e300],
        [1.7e308, -1.7e308, 0.0, 1.0],
    ],
    np.float32: [
        [3e38, -3e38, 0.0, 3e38],
        [1e30, 1e30, 5.0, -1e30],
        [-3e38, -3e38, -3e38, -3e38],
    ],
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["softmax", "log_softmax"])
def test_softmax_rows_match_mpmath(kind, dtype):
    x = np.array(SOFTMAX_ROWS + HUGE_ROWS[dtype], dtype=dtype)
    got = activations.get(kind).forward(x)
    assert got.dtype == dtype
    f32 = dtype == np.float32
    tiny, rtol = (TINY32, RTOL32) if f32 else (TINY64, RTOL64)
    ref_row = ref_softmax_row if kind == "softmax" else ref_log_softmax_row
    for row_x, row_got in zip(x.tolist(), got.tolist()):
        for g, r in zip(row_got, ref_row(row_x)):
            err = abs(mp.mpf(g) - r)
            # log_softmax: y_i = (x_i - m) - log1p(sum_{j != max} exp(x_j - m)); both terms are <= 0,
            # so each is at most |y_i| and their roundings stay relative to |y_i|: 4 ulps of |y_i|,
            # also for the log-probability -1e-10 of a confident row (log(1 + 1e-10) would give 1e-6)
            if abs(r) > np.finfo(dtype).max:  # log_softmax of [1.7e308, -1.7e308]: overflows, correctly
                assert g == -np.inf, (kind, row_x, g, r)
            elif abs(r) < tiny:
                assert err <= tiny, (kind, row_x, g, r)
            elif kind == "softmax":
                assert err <= rtol * abs(r), (kind, row_x, g, r)
            else:
                scale = abs(r)
                assert err <= 4 * (ULP32 if f32 else 2.0**-52) * scale, (kind, row_x, g, r)


@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_along_either_axis(axis):
    x = np.array([[0.5, -1.0, 2.0], [3.0, 1e300, -1e300]])
    got = activations.get("softmax", axis=axis).forward(x)
    xt = x if axis == -1 else x.T
    ref = np.array([[float(v) for v in ref_softmax_row(r)] for r in xt.tolist()])
    np.testing.assert_allclose(got if axis == -1 else got.T, ref, rtol=1e-14, atol=0)


def test_maxout_matches_a_plain_reference():
    rng = np.random.default_rng(3)
    for pieces, shape in [(2, (5, 8)), (3, (4, 2, 9)), (1, (7,)), (4, (2, 4))]:
        x = rng.standard_normal(shape)
        got = activations.get("maxout", pieces=pieces).forward(x)
        flat = x.reshape(-1, shape[-1])
        ref = [[max(r[j * pieces:(j + 1) * pieces]) for j in range(shape[-1] // pieces)] for r in flat.tolist()]
        np.testing.assert_array_equal(got.reshape(len(flat), -1), np.array(ref))
        assert got.shape == (*shape[:-1], shape[-1] // pieces)
    x32 = np.array([[1e38, -3e38, 2.5, 2.5]], dtype=np.float32)
    got = nnlite.Maxout(pieces=2).forward(x32)
    assert got.dtype == np.float32 and got.tolist() == [[float(np.float32(1e38)), 2.5]]


def test_selu_constants_are_the_papers():
    # Klambauer et al.: alpha = 1.6732632423543772848170429916717, scale = 1.0507009873554804934193349852946
    act = nnlite.SELU()
    y = act.forward(np.array([1.0, -1e300]))
    assert float(y[0]) == float(SELU_SCALE)
    assert float(y[1]) == pytest.approx(float(-SELU_SCALE * SELU_ALPHA), rel=1e-15)
