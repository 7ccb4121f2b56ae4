"""nnlite.information defects of issue 11 and the KDE speed and memory of issue 15.

References: np.histogram (the binned counts), Python loops with math.floor (the
fixed-width grid), a plain float64 loop with exact differences and
logsumexp (the KDE bound), mpmath for the far-apart clusters.
"""

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlite import information
from nnlite.information import entropy, kde_mutual_information, mutual_information


def _h(counts, base=2.0):
    counts = np.asarray(counts, dtype=np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(-np.sum(p * np.log(p)) / np.log(base)) + 0.0


def _histogram_or_error(row, bins, range_=None):
    try:
        return np.histogram(row, bins, range=range_)[0]
    except ValueError:
        return None


# ---------------------------------------------------------------- tiny and huge ranges

@settings(max_examples=150, deadline=None)
@given(
    log_width=st.floats(-300, 300),
    offset=st.sampled_from([0.0, 1.0, -3.5, 1e3, 1e7]),
    bins=st.integers(1, 60),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**32 - 1),
)
def test_entropy_equals_np_histogram_over_widths_1e_300_to_1e300(log_width, offset, bins, dtype, seed):
    # the samples must be finite in the dtype: float32 holds widths from 1e-44 to 1e37
    top = (37 if dtype is np.float32 else 307) - math.log10(abs(offset) + 1)
    log_width = float(np.clip(log_width, -44 if dtype is np.float32 else -323, top))
    width = 10.0**log_width
    rng = np.random.default_rng(seed)
    row = ((offset + rng.uniform(0, 1, 40)) * width).astype(dtype)
    row[:3] = row.min(), row.max(), row[5]  # ties
    lo, hi = float(row.min()), float(row.max())
    cases = {
        "per_row": ({}, None),
        "global": ({"binning": "global"}, None),
        "range": ({"range": (lo, hi)}, (lo, hi)),
    }
    for name, (kwargs, range_) in cases.items():
        expected = _histogram_or_error(row, bins, range_)
        if expected is None and range_ is None and lo == hi:
            # a constant row too large for np.histogram's +-0.5 widening to move it (float32 near
            # 3e8): np.histogram refuses; nnlite's documented answer is one full bin, entropy 0
            assert entropy(row, bins, **kwargs) == 0.0, name
            continue
        if expected is None:  # np.histogram: "too many bins for data range"; nnlite names it too
            with pytest.raises(ValueError, match="too narrow"):
                entropy(row, bins, **kwargs)
            continue
        got = information._counts(row[None], bins, kwargs.get("binning", "per_row"), range_, None)[0]
        np.testing.assert_array_equal(got, expected, err_msg=name)
        assert entropy(row, bins, **kwargs) == pytest.approx(_h(expected), abs=1e-12), name


@pytest.mark.parametrize("dtype, width", [(np.float64, 3e-310), (np.float64, 1e-320), (np.float32, 1e-40)])
def test_subnormal_ranges_in_a_sweep_are_binned_like_np_histogram(dtype, width):
    # the scale bins / (max - min) overflows here; before the fix: IndexError after numpy warnings
    rng = np.random.default_rng(1)
    x = np.stack([rng.uniform(0, 1, 300) * width, rng.standard_normal(300), np.tanh(rng.standard_normal(300))])
    x = x.astype(dtype)
    for bins in (1, 2, 5):
        if any(_histogram_or_error(r, bins) is None for r in x):
            continue
        expected = [np.histogram(r, bins)[0] for r in x]
        np.testing.assert_array_equal(information._counts(x, bins, "per_row", None, None), expected)
        np.testing.assert_allclose(entropy(x, bins), [_h(c) for c in expected], rtol=0, atol=1e-12)
    # an explicit range over the tiny row: before the fix 0 bits, silently
    row = x[0]
    lo, hi = float(row.min()), float(row.max())
    expected = np.histogram(row, 2, range=(lo, hi))[0]
    assert entropy(row, 2, range=(lo, hi)) == pytest.approx(_h(expected), abs=1e-12) and _h(expected) > 0.5


def test_values_far_outside_an_explicit_range_are_dropped_without_warnings():
    x = np.array([1e308, -1e308, 0.5, 0.25, 1.7e308])
    for range_ in ((0.0, 1.0), (-1e308, 1.0)):
        expected = np.histogram(x, 4, range=range_)[0]
        np.testing.assert_array_equal(information._counts(x[None], 4, "per_row", range_, None)[0], expected)


# ---------------------------------------------------------------- fixed_width: the grid floor(x / w)

def _grid_entropy(row, width, keep=lambda v: True):
    cells = Counter(math.floor(float(v) / width) for v in row if keep(v))
    return _h(list(cells.values()))


@pytest.mark.parametrize("width", [0.1, 0.7, 3.0, 1e-300 * 7])
def test_fixed_width_bins_are_floor_x_over_width(width):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 500)) * 5 * width / 0.7
    x[1] = np.round(x[1] / width) * width  # values on the grid lines
    expected = [_grid_entropy(r, width) for r in x]
    np.testing.assert_allclose(entropy(x, binning="fixed_width", bin_width=width), expected, rtol=0, atol=1e-12)


def test_a_value_s_fixed_width_bin_does_not_depend_on_the_rest_of_the_data():
    # before: np.histogram over [first, last] with the last bin closed put 2.0 with 1.5 (width 0.5)
    w = 0.5
    alone = entropy([1.5, 2.0], binning="fixed_width", bin_width=w)
    assert alone == pytest.approx(1.0)  # cells 3 and 4
    assert entropy([1.5, 2.0, 2.2], binning="fixed_width", bin_width=w) == pytest.approx(_h([1, 2]))
    counts = information._counts(np.array([[0.0, 0.5, 1.0, 1.5, 2.0]]), 50, "fixed_width", None, w)
    np.testing.assert_array_equal(counts, [[1, 1, 1, 1, 1]])


def test_fixed_width_with_a_range_drops_values_outside_it_and_float32_divides_in_float32():
    x = np.array([-5.0, -0.7, 0.0, 0.69, 0.7, 2.1, 2.2, 1e308, -1e308])
    got = entropy(x, binning="fixed_width", bin_width=0.7, range=(-0.7, 2.1))
    assert got == pytest.approx(_grid_entropy(x, 0.7, lambda v: -0.7 <= v <= 2.1), abs=1e-12)
    x32 = np.random.default_rng(3).uniform(-3, 3, 2000).astype(np.float32)
    w32 = np.float32(0.3)
    cells = Counter(int(np.floor(v / w32)) for v in x32)  # the division in float32, one value at a time
    assert entropy(x32, binning="fixed_width", bin_width=0.3) == pytest.approx(_h(list(cells.values())), abs=1e-12)
    labels = (x32 > 0).astype(int)
    joint = Counter((int(np.floor(v / w32)), c) for v, c in zip(x32, labels))
    expected = _h(list(cells.values())) + _h(np.bincount(labels)) - _h(list(joint.values()))
    assert mutual_information(x32, labels, binning="fixed_width", bin_width=0.3) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    "x, width, message",
    [
        (np.array([1.0, 2.0], np.float32), 1e-50, "underflows"),
        (np.array([1e300, 1e300]), 1e-10, "overflows"),
        (np.array([0.0, 1.0]), 1e-9, "too many"),
    ],
)
def test_fixed_width_grids_that_cannot_be_built_are_named(x, width, message):
    with pytest.raises(ValueError, match=message):
        entropy(x, binning="fixed_width", bin_width=width)


# ---------------------------------------------------------------- the KDE bound

def _kde_loop(h, noise_variance, base=2.0):
    """Reference: a plain float64 loop over samples, exact differences, logsumexp by hand."""
    h = np.asarray(h, np.float64).reshape(len(h), -1)
    n = len(h)
    total = 0.0
    for row in h:
        e = -((row - h) ** 2).sum(axis=1) / (2 * noise_variance)
        m = e.max()
        total += m + math.log(np.exp(e - m).sum())
    return (math.log(n) - total / n) / math.log(base)


def test_kde_bound_for_clusters_far_apart_uses_exact_differences():
    # before: |a|^2 + |b|^2 - 2ab at |a| = 1e8 cancelled, 0.27 bits off
    rng = np.random.default_rng(7)
    one = np.concatenate([rng.normal(-1e8, 0.3, 300), rng.normal(1e8, 0.3, 300)])
    assert kde_mutual_information(one) == pytest.approx(_kde_loop(one, 0.1), abs=1e-10)
    two = np.column_stack([one, rng.normal(0, 0.3, 600)])  # vectors: unit by unit differences
    assert kde_mutual_information(two) == pytest.approx(_kde_loop(two, 0.1), abs=1e-10)
    assert kde_mutual_information(two, chunk_size=7) == pytest.approx(_kde_loop(two, 0.1), abs=1e-10)


@pytest.mark.parametrize("chunk_size", [1, 64, 65, 299, 300, 301, 1000])  # 1: raised to 64
@pytest.mark.parametrize("units", [1, 3])
def test_exact_kde_bound_is_the_same_for_every_block_size(chunk_size, units):
    # the exact path sums each pair of blocks once (the mirror block's sums come from
    # its columns): block edges that do not divide n, one block, and blocks larger than n
    rng = np.random.default_rng(11)
    t = np.tanh(3 * rng.standard_normal((300, units)))
    t[:40] += 30.0  # a far cluster, whose kernels underflow against the rest
    expected = _kde_loop(t, 0.1)
    got = kde_mutual_information(t, chunk_size=chunk_size, method="exact")
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_kde_bound_against_mpmath_on_a_small_sample():
    mpmath = pytest.importorskip("mpmath")
    h = np.concatenate([np.linspace(-1e8, -1e8 + 1, 12), np.linspace(1e8, 1e8 + 0.5, 9)])
    n = len(h)
    with mpmath.workdps(30):  # not mp.dps = 30: other modules' references assume the default
        total = mpmath.fsum(
            mpmath.log(mpmath.fsum(mpmath.exp(-(mpmath.mpf(a) - mpmath.mpf(b)) ** 2 / (2 * mpmath.mpf("0.1")))
                                   for b in h))
            for a in h
        )
        expected = float((mpmath.log(n) - total / n) / mpmath.log(2))
    assert kde_mutual_information(h) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("tolerance", [1e-6, 1e-4, 1e-2])
def test_binned_kde_is_within_its_stated_tolerance_of_the_exact_path(tolerance):
    rng = np.random.default_rng(8)
    x = rng.standard_normal(2500)
    samples = {
        "tanh": np.tanh(3 * x), "relu": np.maximum(0, 19.9 * x), "two points": np.sign(x),
        "clustered": np.round(x * 4) / 4, "wide": 15 * x,
    }
    for name, t in samples.items():
        exact = kde_mutual_information(t, method="exact")
        for base in (2.0, math.e):
            binned = kde_mutual_information(t, base=base, method="binned", tolerance=tolerance)
            exact_b = exact * math.log(2) / math.log(base)
            assert abs(binned - exact_b) <= tolerance, (name, base, binned - exact_b)


def test_exact_path_equals_a_plain_loop_and_auto_takes_the_binned_path_for_large_n():
    t = np.tanh(2 * np.random.default_rng(9).standard_normal(700))
    assert kde_mutual_information(t, method="exact") == pytest.approx(_kde_loop(t, 0.1), abs=1e-11)
    big = np.tanh(2 * np.random.default_rng(10).standard_normal(50_000)).astype(np.float32)
    auto = kde_mutual_information(big)
    assert auto == kde_mutual_information(big, method="binned")
    assert 0 < auto < math.log2(50_000)


@pytest.mark.parametrize("t, path", [
    (np.tanh(np.random.RandomState(0).standard_normal(1000)), "binned"),  # FFT of ~5e4 points < 1e6 pairs
    (np.maximum(0, 19.9 * np.random.RandomState(0).standard_normal(1000)), "exact"),  # ~8e5 points: pairs win
    (np.tanh(np.random.RandomState(0).standard_normal(200)), "exact"),  # 4e4 pairs are cheaper than any FFT
])
def test_auto_takes_the_cheaper_path_for_the_minimal_models_samples(t, path):
    assert kde_mutual_information(t) == kde_mutual_information(t, method=path)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"chunk_size": 7.5}, TypeError, "chunk_size"),
        ({"chunk_size": True}, TypeError, "chunk_size"),
        ({"chunk_size": 0}, ValueError, "chunk_size"),
        ({"method": "fast"}, ValueError, "method"),
        ({"tolerance": 0.0}, ValueError, "tolerance"),
        ({"tolerance": "small"}, TypeError, "tolerance"),
        ({"noise_variance": "0.1"}, TypeError, "noise_variance"),
        ({"noise_variance": np.inf}, ValueError, "noise_variance"),
        ({"base": 1.0}, ValueError, "base"),
    ],
)
def test_kde_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        kde_mutual_information(np.linspace(0, 1, 50), **kwargs)


def test_binned_kde_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="1-D"):
        kde_mutual_information(np.ones((50, 2)), method="binned")
    far = np.array([-1e8, 0.0, 1e8])
    with pytest.raises(ValueError, match="no grid"):
        kde_mutual_information(far, method="binned")
    assert kde_mutual_information(far) == pytest.approx(math.log2(3))  # auto: the exact path


@pytest.mark.parametrize("kwargs", [{"bin_width": "0.5", "binning": "fixed_width"}, {"bins": 7.5}])
def test_entropy_bad_arguments_are_named(kwargs):
    with pytest.raises((TypeError, ValueError), match="bin"):
        entropy(np.linspace(0, 1, 50), **kwargs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linspace_edges_narrower_than_the_data_count_like_np_histogram(dtype):
    # equal edges given as a sequence take the equal-width path (a speed-up): values outside are dropped
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((5, 3000)) * 2).astype(dtype)
    for edges in (np.linspace(-1.5, 2.5, 50), np.linspace(x.min(), x.max(), 50), np.linspace(-1, 1, 50, dtype=dtype)):
        on_edges = np.concatenate([edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)])
        xe = np.concatenate([x, np.tile(on_edges.astype(dtype), (5, 1))], axis=1)
        expected = [np.histogram(r, edges)[0] for r in xe]
        np.testing.assert_array_equal(information._counts(xe, edges, "global", None, None), expected)


# ---------------------------------------------------------------- memory: refuse up front, or work in blocks

def test_sweep_refuses_an_array_past_max_bytes_before_allocating_it():
    from nnlite.neuron import OneNeuron

    x = np.zeros(100_000)
    weights = np.zeros(10_000)  # 1e9 values: 8 GB, refused without being built
    with pytest.raises(ValueError, match=r"10000 x 100000 float64 array \(7\.45 GiB"):
        OneNeuron("tanh").sweep(x, weights)
    with pytest.raises(ValueError, match="6 x 10 x 100 float32"):
        OneNeuron("relu").sweep(np.zeros(100, np.float32), np.ones(10), np.arange(6.0), max_bytes=20_000)
    t = OneNeuron("relu").sweep(np.ones(100), np.ones(10), max_bytes=8000)  # exactly at the limit
    assert t.shape == (10, 100)
    assert OneNeuron("tanh").sweep(np.ones(100), np.ones(20), max_bytes=None).shape == (20, 100)


def test_minimal_model_refuses_huge_sample_counts_up_front_and_sweeps_in_blocks(monkeypatch):
    from nnlite.experiments import minimal_model

    with pytest.raises(ValueError, match="GiB.*use at most"):
        minimal_model.run_minimal_model(n_samples=10**9)
    # blocks of a few weights give the same numbers as one block
    kwargs = {"n_samples": 300, "weights": np.arange(0.5, 6, 0.5), "activations": {"tanh": {}, "relu": {}},
              "kde_every": 5}
    whole = minimal_model.run_minimal_model(**kwargs)
    monkeypatch.setattr(minimal_model, "_SWEEP_ELEMENTS", 1000)  # 3 weights per block
    blocks = minimal_model.run_minimal_model(**kwargs)
    for field in ("mi_per_row", "mi_global", "bias_sweep", "bin_dependence", "kde"):
        for name, value in getattr(whole, field).items():
            np.testing.assert_array_equal(getattr(blocks, field)[name], value, err_msg=f"{field} {name}")
    # and the blocks agree with the notebooks' whole-array computation
    t = np.tanh(np.multiply.outer(kwargs["weights"], whole.x))
    expected = [_h(np.histogram(r, np.linspace(t.min(), t.max(), 50))[0]) for r in t]
    np.testing.assert_allclose(blocks.mi_global["tanh"], expected, rtol=0, atol=1e-12)
