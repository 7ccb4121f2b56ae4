"""Edge cases found in review: each once gave a silently wrong number or a warning."""

import numpy as np
import pytest

import nnlite
from nnlite import activations
from nnlite.information import entropy, kde_mutual_information


def test_fixed_width_grid_keeps_samples_at_both_ends():
    # 63.10000000000001 / 0.1 rounds so that ceil() * 0.1 lands just below the sample
    t = np.array([62.60000000000001, 63.10000000000001])
    assert entropy(t, binning="fixed_width", bin_width=0.1) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    for width in (0.1, 0.2, 0.3, 0.7):
        rows = rng.uniform(-100, 100, size=(2000, 2))
        cells = rows / width
        clear = np.all(np.abs(cells - np.round(cells)) > 1e-6, axis=1)  # no sample on a grid line
        got = entropy(rows[clear], binning="fixed_width", bin_width=width)
        # two samples: 1 bit in different cells of the grid of multiples of width, else 0
        expected = (np.floor(cells[clear, 0]) != np.floor(cells[clear, 1])).astype(float)
        np.testing.assert_allclose(got, expected, atol=1e-12)


def test_kde_bound_is_offset_invariant_and_float32_safe():
    h = 0.3 * np.random.default_rng(0).normal(size=(200, 3))
    reference = kde_mutual_information(h)
    assert kde_mutual_information(h + 1000) == pytest.approx(reference, rel=1e-9)
    assert kde_mutual_information((h + 1000).astype(np.float32)) == pytest.approx(reference, rel=1e-5)


def test_kde_bound_refuses_spreads_whose_squares_overflow():
    with pytest.raises(ValueError, match="1e150"):
        kde_mutual_information(np.array([1e200, 1e200, 0.0]))


@pytest.mark.parametrize("alpha", [-1.0, -0.3, 0.5, 2.0])
def test_elu_gradient_for_either_sign_of_alpha(alpha):
    x = np.array([[-2.0, -0.5, -0.1, 0.7, 1.5]])
    assert nnlite.gradcheck(nnlite.activations.get("elu", alpha=alpha), x).passed


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_derivative_at_subnormal_inputs_is_one_half(dtype):
    tiny = np.finfo(dtype).smallest_subnormal
    x = np.array([tiny, 3 * tiny, -tiny, 0.0], dtype=dtype)
    gelu = nnlite.GELU()
    gelu.forward(x)
    np.testing.assert_array_equal(gelu.backward(np.ones_like(x)), np.full(4, 0.5, dtype=dtype))


def test_one_neuron_net_input_past_the_float_range_gives_the_limit_without_warnings():
    neuron = nnlite.OneNeuron("tanh", weight=2.0)
    assert neuron.forward(np.float32([3e38, -3e38])).tolist() == [1.0, -1.0]
    assert neuron.sweep(np.array([1e300]), [10.0]).tolist() == [[1.0]]


# the catalogue's own (filtered by class before building any, as other test modules register
# classes of their own); softmax-like ones give +inf - +inf; swish, softsign and hard_swish are NaN at
# an infinity, as in PyTorch (their docstrings say so: the limits would cost a pass on every call)
BUILT_IN_ELEMENTWISE = [name for name, cls in sorted(activations._REGISTRY.items())
                        if cls.__module__ == "nnlite.activations" and cls._elementwise]
NAN_AT_INFINITY = {"swish", "softsign", "hard_swish"}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", [n for n in BUILT_IN_ELEMENTWISE if n not in NAN_AT_INFINITY])
def test_activations_at_infinities_take_their_limits_without_warnings(name, dtype):
    # the reference is the same activation at the largest finite values: f there is the limit
    # wherever f is bounded, and f' is constant that far out (gaussian', gelu' at +inf and mish were NaN)
    big = np.finfo(dtype).max
    act, reference = activations.get(name), activations.get(name)
    with np.errstate(all="raise", under="ignore"):
        y = act.forward(np.array([-np.inf, np.inf], dtype)).copy()
        d = act.backward(np.ones_like(y))  # maxout: one output for the pair
        y_big = reference.forward(np.array([-big, big], dtype)).copy()
        d_big = reference.backward(np.ones_like(y_big))
    assert not np.isnan(y).any() and not np.isnan(d).any()
    np.testing.assert_array_equal(d, d_big)
    bounded = np.abs(y_big) < 1e30
    np.testing.assert_array_equal(y[bounded], y_big[bounded])
