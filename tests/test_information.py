"""nnlite.information: binned entropy equal to np.histogram's, I(T;Y), the KDE bound, errors."""

import math

import numpy as np
import pytest

from nnlite import information
from nnlite.information import entropy, kde_mutual_information, mutual_information


def _h(counts, base=2.0):
    """Closed-form entropy of one histogram: -sum p log p over the non-empty bins."""
    counts = np.asarray(counts, dtype=np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(-np.sum(p * np.log(p)) / np.log(base))


def _rows(seed, dtype=np.float64, rows=17, n=523):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, n)) * rng.uniform(0.01, 100, (rows, 1)) + rng.uniform(-50, 50, (rows, 1))
    x[1] = np.round(x[1], 1)  # ties and values on bin edges
    x[2] = np.tanh(5 * x[2])  # saturated, as in the minimal model
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bins", [1, 5, 50, 97])
def test_per_row_equals_a_loop_of_np_histogram(dtype, bins):
    x = _rows(bins, dtype)
    expected = [_h(np.histogram(row, bins)[0]) for row in x]
    np.testing.assert_allclose(entropy(x, bins), expected, rtol=0, atol=1e-12)
    counts = information._counts(x, bins, "per_row", None, None)
    np.testing.assert_array_equal(counts, [np.histogram(row, bins)[0] for row in x])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_on_the_edges_are_binned_like_np_histogram(dtype):
    # every np.histogram edge of the row, and its neighbours, is itself a sample
    base = np.random.default_rng(3).uniform(-3, 7, 200).astype(dtype)
    edges = np.histogram_bin_edges(base, 30).astype(dtype)
    row = np.concatenate([base, edges, np.nextafter(edges, dtype(-np.inf)), np.nextafter(edges, dtype(np.inf))])
    row = np.clip(row, base.min(), base.max()).astype(dtype)
    counts = information._counts(row[None], 30, "per_row", None, None)[0]
    np.testing.assert_array_equal(counts, np.histogram(row, 30)[0])


def test_tiles_cover_rows_longer_than_a_tile():
    x = np.random.default_rng(4).standard_normal((3, information._TILE * 2 + 17))
    np.testing.assert_array_equal(
        information._counts(x, 50, "per_row", None, None), [np.histogram(row, 50)[0] for row in x]
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_global_range_edges_and_fixed_width_equal_np_histogram(dtype):
    x = _rows(7, dtype)
    lo, hi = x.min(), x.max()
    cases = {
        "global": ((x, 40, "global", None, None), lambda r: np.histogram(r, 40, range=(lo, hi))),
        "range": ((x, 25, "per_row", (-10.0, 10.0), None), lambda r: np.histogram(r, 25, range=(-10.0, 10.0))),
    }
    edges = np.linspace(lo, hi, 50)  # the notebooks' global bins: 49 of them
    cases["edges"] = ((x, edges, "global", None, None), lambda r: np.histogram(r, edges))
    w = 3.0
    first, last = math.floor(float(lo) / w), math.ceil(float(hi) / w)
    cases["fixed_width"] = (
        (x, 50, "fixed_width", None, w), lambda r: np.histogram(r, last - first, range=(first * w, last * w))
    )
    for name, (args, reference) in cases.items():
        got = information._counts(*args)
        np.testing.assert_array_equal(got, [reference(r)[0] for r in x], err_msg=name)
        samples, bins, binning, range_, width = args
        h = entropy(samples, bins, binning=binning, range=range_, bin_width=width)
        np.testing.assert_allclose(h, [_h(reference(r)[0]) for r in x], rtol=0, atol=1e-12, err_msg=name)


def test_quantile_bins_are_equal_mass():
    x = _rows(8)
    counts = information._counts(x, 10, "quantile", None, None)
    reference = [np.histogram(r, np.quantile(r, np.linspace(0, 1, 11)))[0] for r in x]
    np.testing.assert_array_equal(counts, reference)
    h = entropy(np.random.default_rng(0).standard_normal(1000), 10, binning="quantile")
    assert h == pytest.approx(math.log2(10), abs=1e-3)


def test_constant_rows_have_zero_entropy():
    x = np.ones((4, 100))
    x[1] = -2.5
    x[2] = 1e300
    x[3] = np.float64(2.0**60)  # too large for np.histogram's +-0.5 widening to move it
    for binning in ("per_row", "quantile"):
        h = entropy(x, 50, binning=binning)
        assert np.all(h == 0.0) and not np.any(np.signbit(h))
    assert entropy(np.full(10, 3.0, np.float32)) == 0.0


def test_one_vector_gives_a_float_and_base_changes_units():
    x = np.random.default_rng(1).standard_normal(500)
    h = entropy(x, 20)
    assert isinstance(h, float)
    assert entropy(x, 20, base=np.e) == pytest.approx(h * np.log(2), rel=1e-12)
    assert entropy(x.astype(np.float32), 20) == pytest.approx(h, abs=1e-12)
    assert entropy(np.arange(8), 8) == pytest.approx(3.0)  # integers are promoted


def test_extreme_finite_values():
    x = np.array([[-1e300, 0.0, 1e300, 5.0]])
    assert entropy(x, 2)[0] == pytest.approx(_h(np.histogram(x[0], 2)[0]))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"samples": np.ones((2, 2, 2))}, "1-D"),
        ({"samples": np.ones((2, 0))}, "no samples"),
        ({"samples": [1.0, np.nan]}, "finite"),
        ({"samples": [1.0, np.inf]}, "finite"),
        ({"samples": ["a", "b"]}, "numeric"),
        ({"bins": 0}, "bins"),
        ({"bins": [1.0]}, "edges"),
        ({"bins": [2.0, 1.0]}, "increasing"),
        ({"binning": "uniform"}, "binning"),
        ({"binning": "fixed_width"}, "bin_width"),
        ({"bin_width": 0.5}, "fixed_width"),
        ({"binning": "fixed_width", "bin_width": 1e-9}, "too many"),
        ({"range": (1.0, 0.0)}, "range"),
        ({"range": (0.0, np.inf)}, "range"),
        ({"binning": "quantile", "range": (0.0, 1.0)}, "quantile"),
        ({"bins": [0.0, 1.0], "range": (0.0, 1.0)}, "edges"),
        ({"base": 1}, "base"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    args = {"samples": np.random.default_rng(0).standard_normal(100), **kwargs}
    samples = args.pop("samples")
    with pytest.raises((ValueError, TypeError), match=message):
        entropy(samples, **args)


def test_no_python_loop_over_rows_is_needed_for_many_rows():
    x = np.random.default_rng(2).standard_normal((3000, 40))
    expected = [_h(np.histogram(row, 8)[0]) for row in x]
    np.testing.assert_allclose(entropy(x, 8), expected, rtol=0, atol=1e-12)


def test_mutual_information_with_labels():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 2000)
    assert mutual_information(y + 0.1 * rng.standard_normal(2000), y, 10) == pytest.approx(1.0, abs=0.01)
    independent = mutual_information(rng.standard_normal(2000), y, 10)
    assert 0 <= independent < 0.02
    t = np.stack([y * 1.0, rng.standard_normal(2000)])
    mi = mutual_information(t, np.where(y == 1, "cat", "dog"), 10)
    assert mi.shape == (2,) and mi[0] == pytest.approx(_h(np.bincount(y)))
    # a closed form: I(T;Y) = H(T) + H(Y) - H(T,Y) from the joint histogram
    t1 = rng.standard_normal(300)
    y1 = (t1 + rng.standard_normal(300) > 0).astype(int)
    tb = np.histogram(t1, 6)[0]
    joint = np.stack([np.histogram(t1[y1 == c], np.histogram_bin_edges(t1, 6))[0] for c in (0, 1)])
    expected = _h(tb) + _h(np.bincount(y1)) - _h(joint.ravel())
    assert mutual_information(t1, y1, 6) == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ValueError, match="one label per sample"):
        mutual_information(t1, y1[:-1])


def test_kde_bound_matches_a_direct_formula_and_is_chunked():
    rng = np.random.default_rng(6)
    h = rng.standard_normal((300, 3))
    d = ((h[:, None, :] - h[None, :, :]) ** 2).sum(-1)
    expected = -np.mean(np.log(np.mean(np.exp(-d / (2 * 0.1)), axis=1))) / np.log(2)
    assert kde_mutual_information(h, 0.1) == pytest.approx(expected, rel=1e-10)
    assert kde_mutual_information(h, 0.1, chunk_size=7) == pytest.approx(expected, rel=1e-10)
    # well-separated points: the bound is log2(n); identical points: 0
    assert kde_mutual_information(np.arange(64.0) * 100, 0.1) == pytest.approx(6.0)
    assert kde_mutual_information(np.zeros(50), 0.1) == pytest.approx(0.0, abs=1e-12)
    # 1e4 samples in blocks of about 4e6 distances
    t = np.tanh(3 * rng.standard_normal(10_000))
    assert 0 < kde_mutual_information(t, 0.1) < np.log2(10_000)
    with pytest.raises(ValueError, match="noise_variance"):
        kde_mutual_information(h, 0.0)
    with pytest.raises(ValueError, match="finite"):
        kde_mutual_information([0.0, np.nan])


@pytest.mark.parametrize("offset", [0.0, 30.0, 100.0, 1000.0, 1e5])
def test_float32_rows_far_from_zero(offset):
    # large offsets relative to the range make float32 rounding matter: the counts stay exact
    rng = np.random.default_rng(9)
    x = (offset + rng.uniform(0, 1, (6, 3000))).astype(np.float32)
    for row in x[:3]:
        edges = np.histogram_bin_edges(row, 50).astype(np.float32)
        inside = edges[(edges >= row.min()) & (edges <= row.max())]
        row[: 3 * len(inside)] = np.concatenate(
            [inside, np.nextafter(inside, np.float32(-np.inf)), np.nextafter(inside, np.float32(np.inf))]
        ).clip(row.min(), row.max())
    np.testing.assert_array_equal(
        information._counts(x, 50, "per_row", None, None), [np.histogram(row, 50)[0] for row in x]
    )
