"""Defects found by trying to break nnlite.information against independent oracles.

Every expected value comes from a closed form or a plain Python loop
(fractions, collections.Counter, math.fsum), never from nnlite.
"""

import collections
import math
import tracemalloc
import warnings
from fractions import Fraction

import numpy as np
import pytest

from nnlite.information import kde_bounds, kde_mutual_information, layer_entropy, layer_mutual_information


def _strict(f, *args, **kwargs):
    """f(*args, **kwargs) with every numpy over/invalid/divide event and every warning an error."""
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        return f(*args, **kwargs)


def _kde_loop(h, noise_variance, base=2.0):
    """The bound's formula, pair by pair with a log-sum-exp in plain Python."""
    h = np.asarray(h, np.float64).reshape(len(h), -1)
    n = len(h)
    total = 0.0
    for a in h:
        e = [-sum((float(x) - float(y)) ** 2 for x, y in zip(a, b)) / (2 * noise_variance) for b in h]
        m = max(e)
        total += m + math.log(math.fsum(math.exp(v - m) for v in e))
    return (math.log(n) - total / n) / math.log(base)


@pytest.mark.parametrize("value", [-1e300, 1e300, 3.5e299])
@pytest.mark.parametrize("shape", [(17,), (40, 1), (40, 3)])
@pytest.mark.parametrize("method", ["auto", "exact"])
def test_identical_samples_far_from_zero_have_a_zero_kde_bound(value, shape, method):
    # before: the mean of n copies of 1e300 is not 1e300 to the last bit, so the centred
    # samples "spread" ~1e284 around it and a ValueError claimed they spread beyond 1e150
    t = np.full(shape, value)
    assert _strict(kde_mutual_information, t, method=method) == 0.0  # every distance is 0: log n - log n


@pytest.mark.parametrize("noise_variance", [1e-12, 1e-300, 1e-310, 5e-324])
def test_kde_bound_with_tiny_noise_counts_distinct_samples_without_warnings(noise_variance):
    # before: d * (-1/(2 s^2)) overflowed (a RuntimeWarning) and for a subnormal s^2 the
    # scale itself was -inf, so the zero self-distance gave 0 * -inf = NaN
    t = np.array([0.0, 1e5, 2e5, 2e5])
    expected = 1.5  # distinct samples independent under the noise: H(1/4, 1/4, 1/2) bits
    assert _strict(kde_mutual_information, t, noise_variance=noise_variance, method="exact") == pytest.approx(
        expected, abs=1e-12)
    assert _strict(kde_mutual_information, t, noise_variance=noise_variance) == pytest.approx(expected, abs=1e-12)
    vectors = np.column_stack([t, -t])
    assert _strict(kde_mutual_information, vectors, noise_variance=noise_variance) == pytest.approx(
        expected, abs=1e-12)


@pytest.mark.parametrize("noise_variance", [1e-3, 1e-300, 1e-310, 5e-324])
def test_kde_bounds_with_tiny_noise_count_distinct_samples(noise_variance):
    # before: for a subnormal s^2, -1/(8 s^2) = -inf and the zero self-distance gave NaN bounds
    t = np.array([0.0, 1e5, 2e5, 2e5])
    expected = 1.5  # H(1/4, 1/4, 1/2) bits
    bounds = _strict(kde_bounds, t, [0, 0, 1, 1], noise_variance)
    assert (bounds.upper, bounds.lower) == pytest.approx((expected, expected), abs=1e-12)
    # I(T;Y): H(T) = 1.5, H(T|Y) = 1/2 H(1/2, 1/2) + 1/2 * 0 = 0.5 bits
    assert (bounds.upper_y, bounds.lower_y) == pytest.approx((1.0, 1.0), abs=1e-12)


def test_kde_bound_with_tiny_noise_matches_a_loop_on_clusters_far_apart():
    rng = np.random.default_rng(3)
    t = np.concatenate([rng.normal(-1e149, 1e135, 5), rng.normal(1e149, 1e135, 6)])
    for v in (1e-12, 1e-200):
        assert _strict(kde_mutual_information, t, noise_variance=v, method="exact") == pytest.approx(
            _kde_loop(t, v), abs=1e-12)


@pytest.mark.parametrize("block_size", [12, 13, 4096, 10**6])
def test_kde_bounds_block_larger_than_the_sample_allocates_only_the_sample(block_size):
    # before: _kernel_sums allocated block_size x block_size whatever n (4096: 268 MB, 10**6: MemoryError)
    rng = np.random.default_rng(4)
    t = rng.normal(0, 0.05, (12, 2))
    tracemalloc.start()
    try:
        got = kde_bounds(t, noise_variance=1e-3, block_size=block_size)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got.upper == pytest.approx(_kde_loop(t, 1e-3), abs=1e-10)
    assert got.lower == pytest.approx(_kde_loop(t, 4e-3), abs=1e-10)
    assert peak < 1 << 20


def test_exact_kde_memory_stays_bounded_for_large_n():
    t = np.tanh(np.random.default_rng(5).standard_normal(5000))
    tracemalloc.start()
    try:
        kde_mutual_information(t, method="exact")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # n^2 distances would be 200 MB


def _layer_loop(t, labels=None, base=2.0, key=None):
    """H(T) (or I(T;Y)) of the bin tuples, counted in a dict, entropies by a plain sum."""
    keys = [tuple(key(x) for x in row) for row in np.asarray(t).reshape(len(t), -1)]

    def h(values):
        counts = list(collections.Counter(values).values())
        total = sum(counts)
        return -math.fsum(c / total * math.log(c / total, base) for c in counts)

    return h(keys) if labels is None else h(keys) + h(list(labels)) - h(list(zip(keys, labels)))


@pytest.mark.parametrize("t", [
    np.array([-2.0**60, 2.0**60 - 128, 2.0**60]),  # float64 bins 2^61 apart: q - low rounds above 2^53
    np.array([-1.5e7, 1.5e7, 1.5e7 + 1], np.float32),  # float32 bins: q - low rounds above 2^24
    np.array([[-2.0**60, 1.0], [2.0**60 - 128, 1.0], [2.0**60, 1.0], [2.0**60, 2.0]]),
])
def test_bins_far_apart_keep_distinct_codes(t):
    # before: _row_codes took q - min(q) in the samples' float type, which rounds once the
    # bins span more than the mantissa, and merged distinct bins (0.918 bits for 3 distinct)
    labels = [0, 1, 1, 0][: len(t)]
    key = lambda x: math.floor(x / t.dtype.type(1.0))  # noqa: E731
    assert layer_entropy(t, bin_size=1.0) == pytest.approx(_layer_loop(t, key=key), abs=1e-12)
    assert layer_mutual_information(t, labels, bin_size=1.0) == pytest.approx(
        _layer_loop(t, labels, key=key), abs=1e-12)


def test_fixed_bins_over_a_range_wider_than_the_float_max():
    # before: n_bins / (hi - lo) was n_bins / inf = 0, so every sample fell in bin 0
    lo, hi, n_bins = -1e308, 1.5e308, 5
    t = np.array([[3e307, 1.0], [0.0, 1.0], [-1e308, 1.0], [1.4e308, 1.0], [1e308, -1e308], [-5e307, 0.5]])
    labels = [0, 1, 1, 0, 0, 1]

    def key(x):  # exact rational arithmetic, clipped to the end bins
        k = math.floor((Fraction(x) - Fraction(lo)) * n_bins / (Fraction(hi) - Fraction(lo)))
        return min(max(k, 0), n_bins - 1)

    expected = _layer_loop(t, key=key)
    assert expected > 2  # the bins do separate the samples
    assert _strict(layer_entropy, t, n_bins=n_bins, range=(lo, hi)) == pytest.approx(expected, abs=1e-12)
    assert _strict(layer_mutual_information, t, labels, n_bins=n_bins, range=(lo, hi)) == pytest.approx(
        _layer_loop(t, labels, key=key), abs=1e-12)


@pytest.mark.parametrize("base", [0.5, 0.1])
def test_binned_kde_in_a_base_below_one_is_within_tolerance_of_the_loop(base):
    # before: tolerance * log(base) < 0 nats, so method="binned" found "no grid" for any data
    t = np.tanh(2 * np.random.default_rng(6).standard_normal(400))
    expected = _kde_loop(t, 0.1, base)
    assert expected < 0  # log of a base below 1
    got = kde_mutual_information(t, base=base, method="binned", tolerance=1e-6)
    assert abs(got - expected) <= 1e-6


@pytest.mark.parametrize("lo, hi, n_bins, values", [
    (0.0, 1e-308, 30, [0.0, 1e-308, 3e-309, 5.1e-309, 2e-310, -1.0]),  # n_bins / width overflows
    (0.0, 5e-324, 2, [0.0, 5e-324, 1.0]),  # the smallest subnormal width
    (-1e-310, 1e-310, 4, [-1e-310, -2e-311, 0.0, 6e-311, 1e-310]),
])
def test_fixed_bins_over_a_range_narrower_than_the_float_min(lo, hi, n_bins, values):
    # before: the scale n_bins / (hi - lo) was inf, so x = lo gave 0 * inf = NaN (a distinct "bin")
    t = np.array(values)[:, None]

    def key(x):  # exact rational arithmetic, clipped to the end bins
        k = math.floor((Fraction(x) - Fraction(lo)) * n_bins / (Fraction(hi) - Fraction(lo)))
        return min(max(k, 0), n_bins - 1)

    assert _strict(layer_entropy, t, n_bins=n_bins, range=(lo, hi)) == pytest.approx(
        _layer_loop(t, key=key), abs=1e-12)


@pytest.mark.parametrize("values, lo, hi, n_bins", [
    ([0.7, 0.9, 0.1, 0.35], 0.0, 1.0, 10),  # float32 (x - lo) * scale rounded 0.7 up to bin 7
    ([-3e38, 0.0, 3e38], -1e39, 1e39, 8),  # lo, hi beyond float32's range
])
def test_fixed_bins_of_float32_activity_are_the_exact_bins(values, lo, hi, n_bins):
    t = np.array(values, np.float32)[:, None]

    def key(x):  # exact rational arithmetic on the float32 values, clipped to the end bins
        k = math.floor((Fraction(float(x)) - Fraction(lo)) * n_bins / (Fraction(hi) - Fraction(lo)))
        return min(max(k, 0), n_bins - 1)

    assert _strict(layer_entropy, t, n_bins=n_bins, range=(lo, hi)) == pytest.approx(
        _layer_loop(t, key=key), abs=1e-12)


def test_float32_codes_of_bins_far_apart_stay_distinct():
    # q - min(q) stays in float32 only while each unit's span is below 2^24 (float32's ulp is 4
    # at 2^25: the bins 2^25 and 2^25 + 4 are distinct there, and must stay so)
    t = np.array([[0.0, 1.0], [2.0**25, 1.0], [2.0**25 + 4, 1.0]], np.float32)
    assert layer_entropy(t, bin_size=1.0) == pytest.approx(math.log2(3), abs=1e-12)
