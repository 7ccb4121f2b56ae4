"""Properties of the activations, with hypothesis: bounds, monotonicity,
symmetry, dtype and shape, and silence (no numpy warnings, which pytest turns
into errors) for every finite float64 and float32 input over the whole range.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnlite import activations

CATALOGUE = activations.names()  # fixed at import: classes other tests register later are not in it
ELEMENTWISE = [n for n in CATALOGUE if n not in ("softmax", "log_softmax", "maxout")]
VARIANTS = [
    ("leaky_relu", {"alpha": 0.2}), ("elu", {"alpha": 0.5}), ("celu", {"alpha": 0.5}), ("celu", {"alpha": 3.0}),
    ("softplus", {"beta": 2.0}), ("softplus", {"beta": 0.5}), ("hard_sigmoid", {"slope": 1 / 6}),
    ("gelu", {"approximate": "tanh"}), ("swish", {"beta": 1.5}), ("swish", {"beta": 0.7, "learnable": True}),
    ("prelu", {"init": 0.3}), ("maxout", {"pieces": 3}), ("softmax", {"axis": 0}), ("log_softmax", {"axis": 0}),
]
ALL = [(n, {}) for n in CATALOGUE] + VARIANTS
IDS = [f"{n}{p or ''}" for n, p in ALL]

SETTINGS = settings(max_examples=25, deadline=None)
FEW = settings(max_examples=8, deadline=None)  # for the tests run once per activation and variant
FINITE64 = st.floats(allow_nan=False, allow_infinity=False, width=64)
FINITE32 = st.floats(allow_nan=False, allow_infinity=False, width=32)
ORDINARY = st.floats(-50, 50, allow_nan=False, width=64)


def arrays(elements, dtype=np.float64, min_side=1, max_side=6, min_dims=1, max_dims=3, last_multiple=1):
    shapes = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)
    if last_multiple > 1:
        shapes = shapes.map(lambda s: (*s[:-1], s[-1] * last_multiple))
    return hnp.arrays(dtype, shapes, elements=elements)


def build(name, params):
    return activations.get(name, **params)


def last_multiple(name, params):
    return params.get("pieces", 2) if name == "maxout" else 1


# --- silence, dtype, shape over the whole finite range ------------------------------------------------

@pytest.mark.parametrize("name, params", ALL, ids=IDS)
@FEW
@given(data=st.data())
def test_no_warnings_for_any_finite_float64(name, params, data):
    x = data.draw(arrays(FINITE64, last_multiple=last_multiple(name, params)))
    act = build(name, params)
    y = act.forward(x)
    assert y.dtype == np.float64
    if name not in ("log_softmax", "selu"):
        # log_softmax of [1.7e308, -1.7e308] is -3.4e308 and selu(1.72e308) is 1.8e308: both round to
        # +-inf (silently, as IEEE overflow); below |x| = 1e300 (the contract) every output is finite
        assert np.all(np.isfinite(y))
    else:
        assert np.all(np.isfinite(y[np.abs(x) <= 1e300])) if name == "selu" else True
    if act.params:
        # a parameter's gradient is a sum over every entry: sum(dvalues * min(x, 0)) over entries
        # near -1.8e308 overflows for real, so backward is checked up to the contract's |x| = 1e300
        x = np.clip(x, -1e300, 1e300)
        y = act.forward(x)
    d = act.backward(np.ones_like(y))
    assert d.shape == x.shape and d.dtype == np.float64
    assert np.all(np.isfinite(d))


@pytest.mark.parametrize("name, params", ALL, ids=IDS)
@FEW
@given(data=st.data())
def test_no_warnings_for_any_finite_float32(name, params, data):
    x = data.draw(arrays(FINITE32, dtype=np.float32, last_multiple=last_multiple(name, params)))
    act = build(name, params)
    y = act.forward(x)
    assert y.dtype == np.float32
    if act.params:  # see the float64 test: parameter gradients are sums, checked to 1e36 in float32
        x = np.clip(x, -1e36, 1e36)
        y = act.forward(x)
    d = act.backward(np.ones_like(y))
    assert d.dtype == np.float32 and d.shape == x.shape
    assert np.all(np.isfinite(d))


@pytest.mark.parametrize("name, params", ALL, ids=IDS)
@FEW
@given(data=st.data())
def test_shape_and_dtype_are_preserved(name, params, data):
    k = last_multiple(name, params)
    dtype = data.draw(st.sampled_from([np.float32, np.float64, np.int64, np.int32, np.int8, np.bool_]))
    elements = st.integers(-100, 100) if np.dtype(dtype).kind == "i" else (
        st.booleans() if dtype is np.bool_ else ORDINARY)
    x = data.draw(arrays(elements, dtype=dtype, last_multiple=k))
    act = build(name, params)
    y = act.forward(x)
    expected = dtype if dtype in (np.float32, np.float64) else np.float64
    assert y.dtype == expected
    assert y.shape == (x.shape if name != "maxout" else (*x.shape[:-1], x.shape[-1] // k))
    assert act.backward(np.ones_like(y)).shape == x.shape


# --- bounds -------------------------------------------------------------------------------------------

BOUNDS = {  # closed bounds valid for every finite input (rounding reaches them far out)
    "sigmoid": (0, 1), "tanh": (-1, 1), "softsign": (-1, 1), "relu6": (0, 6), "hard_sigmoid": (0, 1),
    "hard_tanh": (-1, 1), "step": (0, 1), "gaussian": (0, 1), "relu": (0, np.inf), "softplus": (0, np.inf),
    "elu": (-1, np.inf), "selu": (-1.7580993408473766 * (1 + 1e-15), np.inf), "celu": (-1, np.inf),
}


@pytest.mark.parametrize("name", sorted(BOUNDS))
@pytest.mark.parametrize("dtype, elements", [(np.float64, FINITE64), (np.float32, FINITE32)], ids=["f64", "f32"])
@FEW
@given(data=st.data())
def test_bounds(name, dtype, elements, data):
    x = data.draw(arrays(elements, dtype=dtype))
    lo, hi = BOUNDS[name]
    y = build(name, {}).forward(x)
    assert np.all(y >= lo) and np.all(y <= hi), (x, y)


@SETTINGS
@given(x=arrays(st.floats(-1e15, 1e15, allow_nan=False)))
def test_softsign_and_tanh_open_bounds_where_representable(x):
    # |x| / (1 + |x|) < 1 while 1 + |x| is exact-ish; tanh reaches +-1 in float64 beyond |x| ~ 19
    assert np.all(np.abs(build("softsign", {}).forward(x)) < 1)
    small = x[np.abs(x) < 18]
    assert np.all(np.abs(np.tanh(small)) < 1)
    s = build("sigmoid", {}).forward(x[np.abs(x) < 36])
    assert np.all((s > 0) & (s < 1))


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("dtype, elements", [(np.float64, FINITE64), (np.float32, FINITE32)], ids=["f64", "f32"])
@SETTINGS
@given(data=st.data())
def test_softmax_rows_are_distributions(axis, dtype, elements, data):
    x = data.draw(arrays(elements, dtype=dtype, min_dims=2, max_dims=3))
    y = build("softmax", {"axis": axis}).forward(x)
    eps = np.finfo(dtype).eps
    n = x.shape[axis]
    assert np.all((y >= 0) & (y <= 1))
    np.testing.assert_allclose(y.sum(axis=axis), 1, rtol=0, atol=2 * n * eps)
    # the largest entry of a row gets at least 1/n
    assert np.all(y.max(axis=axis) >= 1 / n - n * eps)
    ls = build("log_softmax", {"axis": axis}).forward(x)
    assert np.all(ls <= 0)
    big = ls > -700  # where exp(log_softmax) is a normal float, it is the softmax
    np.testing.assert_allclose(np.exp(ls)[big], y[big], rtol=200 * eps, atol=n * eps)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@SETTINGS
@given(data=st.data())
def test_softmax_is_shift_invariant(dtype, data):
    x = data.draw(arrays(st.floats(-30, 30, width=32), dtype=dtype, min_dims=2, max_dims=2))
    c = data.draw(st.floats(-1e3, 1e3, width=32))
    y = build("softmax", {}).forward(x)
    y2 = build("softmax", {}).forward(x + dtype(c))
    np.testing.assert_allclose(y2, y, rtol=5e-4 if dtype == np.float32 else 1e-11, atol=1e-30)


# --- monotonicity --------------------------------------------------------------------------------------

def assert_monotone(x, y, what):
    """Non-decreasing up to rounding: no value falls more than 2 ulps below an earlier one.

    A formula of two rounded terms (softplus = x + log1p(exp(-x)), softsign = x / (1 + |x|)) can
    wobble by an ulp between neighbouring floats, as any function accurate to 1 ulp but not
    correctly rounded may; a real decrease would be larger than that and is caught.
    """
    acc = np.maximum.accumulate(y)
    with np.errstate(invalid="ignore"):  # selu(1.72e308) = inf (true overflow): inf - inf is no drop
        drop = np.where(acc == y, 0, acc - y)
    info = np.finfo(y.dtype)
    assert np.all(drop <= 2 * info.eps * np.abs(y) + info.smallest_subnormal), (what, x, y)


MONOTONE = [
    ("sigmoid", {}), ("tanh", {}), ("relu", {}), ("leaky_relu", {}), ("leaky_relu", {"alpha": 0.2}), ("elu", {}),
    ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 3.0}), ("prelu", {}), ("relu6", {}),
    ("softplus", {}), ("softplus", {"beta": 2.0}), ("softsign", {}), ("hard_sigmoid", {}),
    ("hard_sigmoid", {"slope": 1 / 6}), ("hard_tanh", {}), ("step", {}), ("linear", {}),
]


@pytest.mark.parametrize("name, params", MONOTONE, ids=[f"{n}{p or ''}" for n, p in MONOTONE])
@pytest.mark.parametrize("dtype, elements", [(np.float64, FINITE64), (np.float32, FINITE32)], ids=["f64", "f32"])
@FEW
@given(data=st.data())
def test_monotone_non_decreasing(name, params, dtype, elements, data):
    x = np.sort(data.draw(arrays(elements, dtype=dtype, min_side=2, max_side=40, max_dims=1)))
    act = build(name, params)
    y = act.forward(x)
    assert_monotone(x, y, name)
    assert np.all(act.derivative(x, y) >= 0)  # derivative, not backward: prelu's alpha sum could overflow


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@SETTINGS
@given(data=st.data())
def test_monotone_on_a_fine_grid(dtype, data):
    # 200 neighbouring floats: only rounding-sized wobbles are allowed (see assert_monotone)
    start = data.draw(st.floats(-40, 40, width=32))
    x = np.array(start, dtype=dtype) + np.arange(200, dtype=dtype) * np.abs(np.spacing(np.array(start, dtype=dtype)))
    for name, params in MONOTONE:
        assert_monotone(x, build(name, params).forward(x), (name, params))


@SETTINGS
@given(x=arrays(st.floats(0, 1e300), max_dims=1, min_side=2, max_side=30))
def test_gaussian_decreasing_on_the_right(x):
    x = np.sort(x)
    y = build("gaussian", {}).forward(x)
    assert_monotone(x, -y, "gaussian")


# --- symmetry ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype, elements", [(np.float64, FINITE64), (np.float32, FINITE32)], ids=["f64", "f32"])
@SETTINGS
@given(data=st.data())
def test_odd_and_even_functions(dtype, elements, data):
    x = data.draw(arrays(elements, dtype=dtype))
    for name in ("tanh", "softsign", "linear", "hard_tanh"):
        act = build(name, {})
        np.testing.assert_array_equal(act.forward(-x), -act.forward(x), err_msg=name)
    g = build("gaussian", {})
    np.testing.assert_array_equal(g.forward(-x), g.forward(x))
    eps = np.finfo(dtype).eps
    s = build("sigmoid", {})
    np.testing.assert_allclose(s.forward(x) + s.forward(-x), 1, rtol=0, atol=2 * eps)
    # derivatives: even for odd functions, odd for even ones
    for name in ("tanh", "softsign", "sigmoid"):
        a, b = build(name, {}), build(name, {})
        a.forward(x)
        b.forward(-x)
        np.testing.assert_allclose(a.backward(np.ones_like(x)), b.backward(np.ones_like(x)),
                                   rtol=4 * eps, atol=2 * eps, err_msg=name)


@pytest.mark.parametrize("name", ["swish", "gelu"])
@SETTINGS
@given(x=arrays(st.floats(-700, 700, allow_nan=False)))
def test_x_times_a_cdf_satisfies_f_of_x_minus_f_of_minus_x_equals_x(name, x):
    # x s(x) with s(x) + s(-x) = 1 (sigmoid; Phi): f(x) - f(-x) = x
    act = build(name, {})
    np.testing.assert_allclose(act.forward(x) - act.forward(-x), x, rtol=4e-16, atol=1e-300)


@SETTINGS
@given(x=arrays(ORDINARY))
def test_relu_family_identities(x):
    relu = build("relu", {}).forward(x)
    np.testing.assert_array_equal(relu - build("relu", {}).forward(-x), x)
    np.testing.assert_array_equal(build("relu6", {}).forward(x), np.minimum(relu, 6))
    lr = build("leaky_relu", {"alpha": 0.2}).forward(x)
    np.testing.assert_allclose(lr, np.where(x > 0, x, 0.2 * x), rtol=0, atol=0)
    np.testing.assert_array_equal(build("prelu", {"init": 0.2}).forward(x), lr)
    hs = build("hard_swish", {}).forward(x)
    np.testing.assert_allclose(hs, x * build("hard_sigmoid", {"slope": 1 / 6}).forward(x), rtol=4e-16, atol=1e-15)


@SETTINGS
@given(x=arrays(st.floats(-30, 30)), alpha=st.floats(0.1, 5))
def test_celu_is_elu_rescaled(x, alpha):
    # celu_alpha(x) = alpha * elu_1(x / alpha)
    c = build("celu", {"alpha": alpha}).forward(x)
    e = build("elu", {}).forward(x / alpha)
    np.testing.assert_allclose(c, alpha * e, rtol=1e-14, atol=1e-15)
