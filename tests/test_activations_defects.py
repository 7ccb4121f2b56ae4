"""Issue 11's activation defects, each against an independent oracle.

- derivative conventions at corners, against PyTorch autograd;
- derivatives in the far tails, in relative terms against mpmath (derivatives
  that were computed from y = f(x) lost every digit there);
- no numpy warning for any finite input and ANY parameter value, and the
  result is the true value rounded (+-inf only where the true value is beyond
  the float range), against mpmath;
- softmax / log_softmax over an empty axis give an empty result (as PyTorch);
- float16 (and other float widths) are refused with a TypeError naming them.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from nnlite import activations


@pytest.fixture(autouse=True)
def _mpmath_digits():
    """60 digits for this module's mpmath references, for each test only: a global mp.dps
    set at import changed other modules' references, depending on the order of collection."""
    with mp.workdps(60):
        yield


ULP32 = 2.0**-23


def _nextafter(v, towards, dtype):
    return dtype(np.nextafter(dtype(v), dtype(towards)))


def _around(points, dtype):
    """Each point, and its neighbours one ulp below and above, in `dtype`."""
    out = []
    for p in points:
        out += [dtype(p), _nextafter(p, -np.inf, dtype), _nextafter(p, np.inf, dtype)]
    return np.array(out, dtype=dtype)


def _torch_grad(fn, x):
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, requires_grad=True)
    fn(t).sum().backward()
    return t.grad.numpy()


def _nnlite_grad(act, x):
    act.forward(x)
    return act.backward(np.ones_like(x))


# --- corners, against PyTorch ----------------------------------------------------------------------------

def _torch_cases():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    return {
        "relu": ({}, F.relu, (0,)),
        "leaky_relu": ({"alpha": 0.2}, lambda t: F.leaky_relu(t, 0.2), (0,)),
        "prelu": ({"init": 0.3}, lambda t: F.prelu(t, torch.tensor([0.3], dtype=t.dtype)), (0,)),
        "relu6": ({}, F.relu6, (0, 6)),
        "elu": ({"alpha": 0.7}, lambda t: F.elu(t, 0.7), (0,)),
        "selu": ({}, F.selu, (0,)),
        "celu": ({"alpha": 2.0}, lambda t: F.celu(t, 2.0), (0,)),
        "hard_tanh": ({"min_val": -2.0, "max_val": 0.5}, lambda t: F.hardtanh(t, -2.0, 0.5), (-2, 0.5)),
        "hard_swish": ({}, F.hardswish, (-3, 3)),
        # PyTorch's hardsigmoid is slope 1/6, offset 1/2: kinks at -3 and 3
        "hard_sigmoid": ({"slope": 1 / 6}, F.hardsigmoid, (-3, 3)),
    }


CORNER_NAMES = ["relu", "leaky_relu", "prelu", "relu6", "elu", "selu", "celu", "hard_tanh", "hard_swish",
                "hard_sigmoid"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", CORNER_NAMES)
def test_derivative_at_and_beside_every_corner_matches_pytorch(name, dtype):
    params, torch_fn, kinks = _torch_cases()[name]
    x = _around(kinks, dtype)
    got = _nnlite_grad(activations.get(name, **params), x)
    want = _torch_grad(torch_fn, x)
    if name == "hard_sigmoid":  # PyTorch multiplies by a float32 1/6, also for float64
        want = np.where(want != 0, dtype(1 / 6), 0).astype(dtype)
    # the values agree to rounding (PyTorch computes x / 3 + 1/2 where nnlite has (2x + 3) / 6);
    # a different convention would differ by a whole piece's slope
    np.testing.assert_allclose(got, want, rtol=4 * (ULP32 if dtype == np.float32 else 2.0**-52), atol=0,
                               err_msg=f"{name} at {x.tolist()}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hard_sigmoid_just_inside_its_linear_part_has_the_slope(dtype):
    # slope * x + offset rounds to exactly 0 or 1 one ulp inside the kinks -2.5 and 2.5; the
    # derivative is a property of x, not of the rounded output
    x = np.array([_nextafter(-2.5, 0, dtype), _nextafter(2.5, 0, dtype), dtype(-2.5), dtype(2.5), dtype(0)],
                 dtype=dtype)
    got = _nnlite_grad(activations.get("hard_sigmoid"), x)
    np.testing.assert_array_equal(got, np.array([0.2, 0.2, 0, 0, 0.2], dtype=dtype))


@pytest.mark.parametrize("slope, offset", [(0.2, 0.5), (-0.3, 0.25), (3.0, -1.0), (1e-300, 0.5), (0.0, 0.5)])
def test_hard_sigmoid_derivative_is_the_slope_exactly_where_the_true_value_is_linear(slope, offset):
    lo_hi = sorted([-offset / slope, (1 - offset) / slope]) if slope else [0.0, 0.0]
    x = np.concatenate([_around(lo_hi, np.float64), np.linspace(-4, 4, 33)])
    got = _nnlite_grad(activations.get("hard_sigmoid", slope=slope, offset=offset), x)
    s, o = mp.mpf(slope), mp.mpf(offset)
    for xi, gi in zip(x.tolist(), got.tolist()):
        inner = 0 < s * mp.mpf(xi) + o < 1
        # at a kink that is exactly representable the flat side's 0 is used (PyTorch's convention);
        # the float kink -offset/slope may round onto x, then x counts as the kink
        at_kink = xi in (lo_hi[0], lo_hi[1])
        want = 0.0 if at_kink or not inner else slope
        assert gi == want, (slope, offset, xi, gi)


# --- far tails of derivatives, against mpmath ------------------------------------------------------------

with mp.workdps(60):
    SELU_ALPHA = mp.mpf("1.6732632423543772848170429916717")
    SELU_SCALE = mp.mpf("1.0507009873554804934193349852946")

TAIL_DERIVATIVES = {
    "elu": ({}, lambda x: mp.exp(x) if x <= 0 else mp.mpf(1)),
    "elu(alpha=0.5)": ({"alpha": 0.5}, lambda x: mp.mpf(0.5) * mp.exp(x) if x <= 0 else mp.mpf(1)),
    "selu": ({}, lambda x: SELU_SCALE * SELU_ALPHA * mp.exp(x) if x <= 0 else SELU_SCALE),
    "celu(alpha=2)": ({"alpha": 2.0}, lambda x: mp.exp(x / 2) if x <= 0 else mp.mpf(1)),
    "sigmoid": ({}, lambda x: mp.exp(-x) / (1 + mp.exp(-x)) ** 2),
    "tanh": ({}, lambda x: 1 / mp.cosh(x) ** 2),
}
TAILS64 = [-40.0, -100.0, -300.0, -700.0, -20.0, -5.0, 20.0, 40.0, 300.0, 700.0]
TAILS32 = [-20.0, -40.0, -80.0, -5.0, 5.0, 20.0, 40.0]


@pytest.mark.parametrize("dtype, points, tiny, rtol", [
    (np.float64, TAILS64, 1e-300, 1e-13), (np.float32, TAILS32, 1e-37, 4 * ULP32)])
@pytest.mark.parametrize("case", list(TAIL_DERIVATIVES))
def test_derivatives_keep_relative_accuracy_in_the_far_tails(case, dtype, points, tiny, rtol):
    params, ref = TAIL_DERIVATIVES[case]
    name = case.split("(")[0]
    x = np.array(points, dtype=dtype)
    got = _nnlite_grad(activations.get(name, **params), x)
    for xi, gi in zip(x.tolist(), got.tolist()):
        r = ref(mp.mpf(xi))
        if abs(r) < tiny:
            assert abs(gi - r) <= tiny, (case, xi, gi, r)
        else:
            assert abs(gi - r) <= rtol * abs(r), (case, xi, gi, float(r))


@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0])
def test_learnable_swish_beta_gradient_in_the_tails(beta):
    # df/dbeta = x^2 s (1 - s), s = sigmoid(beta x); x = 40 made y * (x - y) exactly 0
    x = np.array([40.0, -40.0, 100.0, -100.0, 5.0, -5.0, 300.0])
    b = mp.mpf(beta)
    for xi in x.tolist():
        act = activations.get("swish", beta=beta, learnable=True)
        act.forward(np.array([xi]))
        act.backward(np.ones(1))
        got = act.grads["beta"][0]
        e = mp.exp(-b * xi)
        ref = mp.mpf(xi) ** 2 * e / (1 + e) ** 2  # x^2 s (1 - s), without 1 - s cancelling
        assert abs(got - ref) <= 1e-13 * abs(ref), (beta, xi, got, float(ref))


# --- no warnings for any finite input and any parameter value ---------------------------------------------

def _m(v):
    return mp.mpf(float(v))


def _sig(z):
    return 1 / (1 + mp.exp(-z))


def _softplus_ref(b):
    def f(x):
        z = b * x
        return (z + mp.log1p(mp.exp(-z)) if z > 0 else mp.log1p(mp.exp(z))) / b
    return f


def _refs(name, p):
    """(f, f') in mpmath for a parameter set; f' takes the flat side at a kink (PyTorch's convention)."""
    if name == "leaky_relu" or name == "prelu":
        a = _m(p.get("alpha", p.get("init", 0.25)))
        return (lambda x: x if x > 0 else a * x), (lambda x: mp.mpf(1) if x > 0 else a)
    if name == "elu":
        a = _m(p["alpha"])
        return (lambda x: x if x > 0 else a * mp.expm1(x)), (lambda x: mp.mpf(1) if x > 0 else a * mp.exp(x))
    if name == "celu":
        a = _m(p["alpha"])
        return (lambda x: x if x > 0 else a * mp.expm1(x / a)), (lambda x: mp.mpf(1) if x > 0 else mp.exp(x / a))
    if name == "softplus":
        b = _m(p["beta"])
        return _softplus_ref(b), (lambda x: _sig(b * x))
    if name == "swish":
        b = _m(p["beta"])
        return (lambda x: x * _sig(b * x)), (lambda x: _sig(b * x) + b * x * _sig(b * x) * (1 - _sig(b * x)))
    if name == "hard_sigmoid":
        s, o = _m(p["slope"]), _m(p["offset"])
        return ((lambda x: min(max(s * x + o, mp.mpf(0)), mp.mpf(1))),
                (lambda x: s if 0 < s * x + o < 1 else mp.mpf(0)))
    if name == "hard_tanh":
        lo, hi = _m(p["min_val"]), _m(p["max_val"])
        return (lambda x: min(max(x, lo), hi)), (lambda x: mp.mpf(1) if lo < x < hi else mp.mpf(0))
    raise KeyError(name)


PARAMETER_GRID = (
    [("leaky_relu", {"alpha": a}) for a in (0.01, 1.5, -2.0, 0.0, 1e10, 1e300, -1e300)]
    + [("prelu", {"init": a}) for a in (0.25, 3.0, -2.0, 1e300)]
    + [("elu", {"alpha": a}) for a in (1.0, 0.5, -1.0, 1e10, 1e300, 1.7e308, -1e300, 1e-300, 0.0)]
    + [("celu", {"alpha": a}) for a in (1.0, 0.5, 1e-300, 5e-324, 1e10, 1e300, 1.7e308)]
    + [("softplus", {"beta": b}) for b in (1.0, 2.0, 1e-300, 1e-10, 1e10, 1e300)]
    + [("swish", {"beta": b}) for b in (1.0, 1.5, -2.0, 0.0, 1e-300, 1e10, 1e300, -1e300)]
    + [("hard_sigmoid", {"slope": s, "offset": o})
       for s, o in ((0.2, 0.5), (2.0, 0.5), (1e300, 0.5), (-1.0, 0.5), (0.0, 0.3), (1e-300, 0.5), (0.2, 1e300),
                    (1e300, -1e300))]
    + [("hard_tanh", {"min_val": lo, "max_val": hi})
       for lo, hi in ((-1.0, 1.0), (-1.7e308, 1.7e308), (2.0, 3.0), (-5e-324, 5e-324))]
)
GRID_IDS = [f"{n}{p}" for n, p in PARAMETER_GRID]
EXTREME64 = [s * v for v in (1.7976931348623157e308, 1.7e308, 1e300, 1e10, 710.0, 40.0, 1.0, 1e-300, 5e-324)
             for s in (1, -1)] + [0.0]
EXTREME32 = [s * v for v in (3.4028235e38, 1e30, 100.0, 40.0, 1.0, 1e-40) for s in (1, -1)] + [0.0]


def _check_against(ref, x, got, dtype, what):
    finfo = np.finfo(dtype)
    rtol = 8 * ULP32 if dtype == np.float32 else 1e-12
    tiny = 1e-37 if dtype == np.float32 else 1e-300
    for xi, gi in zip(x.tolist(), got.tolist()):
        r = ref(mp.mpf(xi))
        if abs(r) > finfo.max * (1 + finfo.eps / 2):
            assert gi == (np.inf if r > 0 else -np.inf), (what, xi, gi, r)
        elif abs(r) < tiny:
            assert abs(gi - r) <= tiny, (what, xi, gi, r)
        else:
            assert abs(gi - r) <= rtol * abs(r), (what, xi, gi, mp.nstr(r, 17))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, params", PARAMETER_GRID, ids=GRID_IDS)
def test_every_parameter_value_is_silent_and_right_at_extreme_inputs(name, params, dtype):
    x = np.array(EXTREME64 if dtype == np.float64 else EXTREME32, dtype=dtype)
    f, df = _refs(name, params)
    act = activations.get(name, **params)
    with np.errstate(all="raise", under="ignore"):  # an overflow, invalid or division warning fails
        y = act.forward(x)
        d = act.backward(np.ones_like(y))
    assert y.dtype == dtype and d.dtype == dtype
    _check_against(f, x, y, dtype, f"{name}{params} f")
    _check_against(df, x, d, dtype, f"{name}{params} f'")


@pytest.mark.parametrize("name, params", [("prelu", {"init": 3.0}), ("prelu", {"init": 0.25, "num_parameters": 2}),
                                          ("swish", {"beta": 1e-300, "learnable": True}),
                                          ("swish", {"beta": 1.0, "learnable": True})])
def test_parameter_gradients_are_silent_and_overflow_to_inf(name, params):
    x = np.array([[1.7e308, -1.7e308], [-1e300, 5.0]])
    act = activations.get(name, **params)
    with np.errstate(all="raise", under="ignore"):
        act.forward(x)
        act.backward(np.ones_like(x))
    for g in act.grads.values():
        assert not np.any(np.isnan(g))


# --- softmax over an empty axis ----------------------------------------------------------------------------

@pytest.mark.parametrize("shape, axis", [((3, 0), -1), ((0, 4), 0), ((0,), 0), ((2, 0, 3), 1), ((0, 4), -1)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_over_an_empty_axis_is_empty_like_pytorch(name, shape, axis):
    torch = pytest.importorskip("torch")
    x = np.zeros(shape)
    act = activations.get(name, axis=axis)
    y = act.forward(x)
    fn = torch.softmax if name == "softmax" else torch.log_softmax
    want = fn(torch.from_numpy(x), dim=axis).numpy()
    assert y.shape == want.shape == shape and y.dtype == np.float64
    d = act.backward(np.ones(shape))
    assert d.shape == shape


# --- float16 and other float widths -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float16, np.longdouble])
@pytest.mark.parametrize("name", ["relu", "prelu", "gelu", "softmax", "maxout"])
def test_float_widths_other_than_32_and_64_are_refused(name, dtype):
    if np.dtype(dtype) == np.float64:  # platforms where long double is double
        pytest.skip("long double is float64 here")
    act = activations.get(name)
    with pytest.raises(TypeError, match=rf"{np.dtype(dtype).name}.*float32 or float64"):
        act.forward(np.ones((2, 4), dtype=dtype))
    act.forward(np.ones((2, 4), dtype=np.float32))
    with pytest.raises(TypeError, match=rf"{np.dtype(dtype).name}.*float32 or float64"):
        act.backward(np.ones(act.output.shape, dtype=dtype))


# --- the float32 GELU table path against the erfc path and mpmath ------------------------------------------

def test_float32_gelu_is_within_0_59_ulp_of_the_float64_erfc_path():
    from nnlite._special import erfc, gelu_float32

    rng = np.random.default_rng(5)
    x = np.concatenate([np.linspace(-16, 16, 200001), rng.standard_normal(50000) * 5,
                        [-15.0, 15.0, -14.9, 1e-30, -1e-30, 1e-45, 0.0, 3e38, -3e38, 1e30, -1e30]]).astype(np.float32)
    got = gelu_float32(x.reshape(-1, 4)).reshape(-1).astype(np.float64)  # any shape
    xd = x.astype(np.float64)
    ref = xd * 0.5 * erfc(-xd * np.sqrt(0.5))  # the reference path, about 1e-15 relative
    ulp = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
    normal = np.abs(ref) >= np.finfo(np.float32).tiny
    assert np.max(np.abs(got - ref)[normal] / ulp[normal]) <= 0.59
    assert np.max(np.abs(got - ref)[~normal]) <= 1e-45  # subnormal results: to the last subnormal bit


def test_float32_gelu_against_mpmath_and_special_values():
    from nnlite._special import gelu_float32

    x = np.array([-14.5, -12.25, -9.0, -5.5, -3.0, -1.0, -0.3, 0.1, 0.7, 2.0, 4.5, 7.0], dtype=np.float32)
    got = gelu_float32(x)
    for xi, gi in zip(x.tolist(), got.tolist()):
        r = mp.mpf(xi) * mp.erfc(-mp.mpf(xi) / mp.sqrt(2)) / 2
        assert abs(gi - r) <= float(np.spacing(np.float32(abs(float(r))))), (xi, gi, r)
    with np.errstate(all="raise", under="ignore"):
        special = gelu_float32(np.array([np.nan, np.inf, -np.inf], dtype=np.float32))
    assert np.isnan(special[0]) and special[1] == np.inf and special[2] == 0


def test_float64_gelu_keeps_1e_13_relative_accuracy_down_to_its_underflow():
    # erfc(fl(-x / sqrt 2)) multiplied the rounding of x / sqrt(2) by x^2: 1.8e-13 at x = -37
    x = np.concatenate([np.linspace(-38.5, -5, 135), [-37.3, -30.1, -25.7, -1e-3, 0.5, 3.0, 12.0]])
    got = activations.get("gelu").forward(x)
    for xi, gi in zip(x.tolist(), got.tolist()):
        r = mp.mpf(xi) * mp.erfc(-mp.mpf(xi) / mp.sqrt(2)) / 2
        if abs(r) >= 1e-300:
            assert abs(gi - r) <= 1e-13 * abs(r), (xi, gi, mp.nstr(r, 17))
        else:
            assert abs(gi - r) <= 1e-300
