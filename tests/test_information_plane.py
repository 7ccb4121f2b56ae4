"""Layer-vector estimators (binning, KDE bounds), the information-plane experiment and its command."""

import importlib
import math
import tracemalloc
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnlite import cli, information
from nnlite.experiments import information_plane, log_epochs
from nnlite.experiments.information_plane import (
    _gradient_signal,
    _truncated_normal,
    build_information_plane_network,
)

# the package exports the function under the module's name: reach the module itself
ip = importlib.import_module("nnlite.experiments.information_plane")


# ------------------------------------------------------------------ plain-loop references

def _loop_entropy(keys):
    counts = Counter(keys)
    n = len(keys)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _loop_bin_keys(t, bin_size=None, n_bins=None, lo=None, hi=None):
    keys = []
    for row in t.tolist():
        if bin_size is not None:
            keys.append(tuple(math.floor(v / bin_size) for v in row))
        else:
            # count the interior edges lo + k (hi - lo) / n_bins at or below v
            edges = [lo + k * (hi - lo) / n_bins for k in range(1, n_bins)]
            keys.append(tuple(sum(e <= v for e in edges) for v in row))
    return keys


def _loop_mi(keys, labels):
    h = _loop_entropy(keys)
    for c in set(labels):
        members = [k for k, lab in zip(keys, labels) if lab == c]
        h -= len(members) / len(keys) * _loop_entropy(members)
    return h


def _loop_logsumexp(values):
    m = max(values)
    return m + math.log(sum(math.exp(v - m) for v in values))


def _loop_kde(t, labels, var):
    """Kolchinsky & Tracey bounds (nats -> bits) by a per-sample logsumexp loop."""
    n = len(t)
    d2 = [[float(np.sum((t[i] - t[j]) ** 2)) for j in range(n)] for i in range(n)]
    out = {}
    for name, width in (("upper", 2 * var), ("lower", 8 * var)):
        lse_all = [_loop_logsumexp([-d / width for d in d2[i]]) for i in range(n)]
        out[name] = (math.log(n) - sum(lse_all) / n) / math.log(2)
        own = []
        for i in range(n):
            same = [j for j in range(n) if labels[j] == labels[i]]
            own.append(_loop_logsumexp([-d2[i][j] / width for j in same]) - math.log(len(same)))
        out[name + "_y"] = sum(o - (a - math.log(n)) for o, a in zip(own, lse_all)) / n / math.log(2)
    return out


# ------------------------------------------------------------------ binning

@pytest.mark.parametrize("bin_size", [0.07, 0.5, 3.0])
def test_layer_entropy_and_mi_against_a_loop(bin_size):
    rng = np.random.default_rng(1)
    t = np.tanh(rng.normal(size=(300, 4)) * 2) * 1.7 - 0.2
    labels = rng.integers(0, 3, 300)
    keys = _loop_bin_keys(t, bin_size=bin_size)
    assert information.layer_entropy(t, bin_size) == pytest.approx(_loop_entropy(keys), abs=1e-12)
    assert information.layer_mutual_information(t, labels, bin_size) == pytest.approx(_loop_mi(keys, labels),
                                                                                      abs=1e-12)


def test_fixed_bins_against_a_loop_and_relu_values_above_one_share_the_top_bin():
    rng = np.random.default_rng(2)
    t = np.maximum(rng.normal(size=(400, 3)) * 2, 0)  # relu-like: many values above 1
    labels = rng.integers(0, 2, 400)
    keys = _loop_bin_keys(t, n_bins=30, lo=-1.0, hi=1.0)
    got = information.layer_entropy(t, None, n_bins=30, range=(-1, 1))
    assert got == pytest.approx(_loop_entropy(keys), abs=1e-12)
    assert information.layer_mutual_information(t, labels, None, n_bins=30, range=(-1, 1)) == pytest.approx(
        _loop_mi(keys, labels), abs=1e-12)
    # values far above 1 all land in the top bin: scaling them up changes nothing
    big = np.where(t > 1, t * 1e6, t)
    assert information.layer_entropy(big, None, n_bins=30, range=(-1, 1)) == pytest.approx(got, abs=1e-12)


def test_binning_closed_forms():
    n = 512
    distinct = np.arange(n, dtype=float)[:, None] * np.array([[1.0, -2.0]])
    assert information.layer_entropy(distinct, 0.5) == pytest.approx(math.log2(n), abs=1e-12)
    assert information.layer_entropy(np.full((n, 3), 0.3), 0.07) == 0.0
    two = np.repeat([[0.0, 0.0], [5.0, 5.0]], n // 2, axis=0)
    labels = np.repeat([7, 9], n // 2)
    assert information.layer_entropy(two, 0.07) == pytest.approx(1.0, abs=1e-12)
    assert information.layer_mutual_information(two, labels, 0.07) == pytest.approx(1.0, abs=1e-12)
    assert information.layer_mutual_information(two, np.tile([7, 9], n // 2), 0.07) == pytest.approx(0, abs=1e-12)
    # natural logarithm
    assert information.layer_entropy(two, 0.07, base=math.e) == pytest.approx(math.log(2), abs=1e-12)


def test_wide_range_rows_take_the_unique_rows_path_and_float32_works():
    rng = np.random.default_rng(3)
    t = rng.normal(size=(200, 12)) * 1e15  # mixed-radix codes would overflow int64
    keys = _loop_bin_keys(t, bin_size=1.0)
    assert information.layer_entropy(t, 1.0) == pytest.approx(_loop_entropy(keys), abs=1e-12)
    t32 = np.tanh(rng.normal(size=(300, 3))).astype(np.float32)
    keys32 = _loop_bin_keys(t32.astype(np.float64) / 1.0, bin_size=0.07)  # float32 values, float64 division
    got = information.layer_entropy(t32, 0.07)
    assert got == pytest.approx(_loop_entropy(keys32), abs=0.05)  # rounding of t / 0.07 may move edge values


def test_binning_errors():
    t = np.zeros((5, 2))
    with pytest.raises(ValueError, match="bin_size must be a positive"):
        information.layer_entropy(t, 0.0)
    with pytest.raises(ValueError, match="n_bins .* and range"):
        information.layer_entropy(t, None, n_bins=30)
    with pytest.raises(ValueError, match="lo < hi"):
        information.layer_entropy(t, None, n_bins=30, range=(1, -1))
    with pytest.raises(ValueError, match="finite"):
        information.layer_entropy(np.array([[np.nan, 0.0]]), 0.1)
    with pytest.raises(ValueError, match="n_samples, n_units"):
        information.layer_entropy(np.zeros((2, 2, 2)), 0.1)
    with pytest.raises(ValueError, match="one label per sample"):
        information.layer_mutual_information(t, [0, 1], 0.1)
    with pytest.raises(ValueError, match="overflows"):
        information.layer_entropy(np.array([[1e300], [-1e300]]), 1e-20)


# ------------------------------------------------------------------ KDE bounds

@pytest.mark.parametrize("block_size", [1, 7, 256])
def test_kde_bounds_against_a_logsumexp_loop(block_size):
    rng = np.random.default_rng(4)
    t = np.tanh(rng.normal(size=(90, 3)))
    labels = rng.integers(0, 2, 90)
    ref = _loop_kde(t, labels, 0.05)
    got = information.kde_bounds(t, labels, 0.05, block_size=block_size)
    for name in ("upper", "lower", "upper_y", "lower_y"):
        assert getattr(got, name) == pytest.approx(ref[name], rel=1e-10, abs=1e-12)
    assert got.lower <= got.upper
    no_labels = information.kde_bounds(t, None, 0.05)
    assert no_labels.upper == pytest.approx(ref["upper"], rel=1e-10) and no_labels.upper_y is None


def test_kde_bounds_closed_forms():
    n = 256
    far = np.arange(n, dtype=float)[:, None] * np.array([[10.0, 0.0]])
    bounds = information.kde_bounds(far, None, 1e-3)
    assert bounds.upper == pytest.approx(math.log2(n), abs=1e-12)
    assert bounds.lower == pytest.approx(math.log2(n), abs=1e-12)
    # two clusters far apart, points identical within a cluster: one bit, and one bit about the cluster label
    two = np.repeat([[0.0, 0.0, 0.0], [3.0, -3.0, 3.0]], n // 2, axis=0)
    labels = np.repeat([0, 1], n // 2)
    b = information.kde_bounds(two, labels, 1e-3)
    for value in (b.upper, b.lower, b.upper_y, b.lower_y):
        assert value == pytest.approx(1.0, abs=1e-12)
    assert information.kde_bounds(np.ones((50, 2)), None).upper == pytest.approx(0.0, abs=1e-15)
    # extreme finite values: distinct points, no warnings (pytest turns them into errors)
    assert information.kde_bounds(np.array([[0.0], [1e300], [-1e300]])).upper == pytest.approx(math.log2(3))


def test_kde_bounds_exact_differences_survive_a_large_offset():
    # |a|^2 + |b|^2 - 2ab would lose every digit of the small differences at this offset
    rng = np.random.default_rng(5)
    t = rng.normal(size=(200, 2)) * 0.05
    labels = rng.integers(0, 2, 200)
    near, shifted = information.kde_bounds(t, labels), information.kde_bounds(t + 1e4, labels)
    for name in ("upper", "lower", "upper_y", "lower_y"):
        assert getattr(shifted, name) == pytest.approx(getattr(near, name), rel=1e-8)


def test_kde_bounds_memory_on_4096_by_12_is_bounded():
    t = np.tanh(np.random.default_rng(6).normal(size=(4096, 12)))
    tracemalloc.start()
    try:
        information.kde_bounds(t, np.arange(4096) % 2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * 2**20


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(1, 3)),
                  elements=st.floats(-1e6, 1e6, allow_subnormal=False)),
       st.floats(1e-4, 10.0))
def test_kde_bounds_lie_between_zero_and_log_n(t, noise_variance):
    b = information.kde_bounds(t, np.arange(len(t)) % 2, noise_variance)
    log_n = math.log2(len(t))
    assert -1e-12 <= b.lower <= b.upper + 1e-12 and b.upper <= log_n + 1e-12
    assert 0 <= b.upper_y <= 1 + 1e-12 and 0 <= b.lower_y <= 1 + 1e-12
    assert 0 <= information.layer_entropy(t, 0.07) <= log_n + 1e-12


def test_kde_bounds_errors():
    with pytest.raises(ValueError, match="noise_variance"):
        information.kde_bounds(np.zeros((3, 1)), None, 0.0)
    with pytest.raises(ValueError, match="block_size"):
        information.kde_bounds(np.zeros((3, 1)), None, block_size=0)
    with pytest.raises(ValueError, match="finite"):
        information.kde_bounds(np.array([[np.inf]]))


# ------------------------------------------------------------------ the experiment

def test_log_epochs_schedule():
    epochs = log_epochs(10000)
    assert epochs[:21] == list(range(20)) + [20]
    assert epochs[20:37] == list(range(20, 100, 5)) + [100]
    assert 1980 in epochs and 1990 not in epochs and epochs[-2:] == [9900, 10000]
    assert len(epochs) == 20 + 16 + 95 + 81
    short = log_epochs(300, max_logged=6)
    assert len(short) == 6 and short[0] == 0 and short[-1] == 300
    with pytest.raises(ValueError):
        log_epochs(0)


def test_truncated_normal_initialisation():
    w = _truncated_normal((400, 500), 0.5, np.random.default_rng(7))
    assert np.abs(w).max() <= 1.0
    # the sd of N(0, 1) cut at +-2: sqrt(1 - 2 * 2 phi(2) / (2 Phi(2) - 1))
    phi2 = math.exp(-2) / math.sqrt(2 * math.pi)
    cut_sd = math.sqrt(1 - 4 * phi2 / math.erf(2 / math.sqrt(2)))
    assert w.std() == pytest.approx(0.5 * cut_sd, rel=0.01)
    model = build_information_plane_network(12, (10, 7), 2, "tanh", np.random.default_rng(0))
    dense = [layer for layer in model.layers if hasattr(layer, "biases")]
    assert [d.weights.shape for d in dense] == [(12, 10), (10, 7), (7, 2)]
    for d in dense:
        assert np.all(d.biases == 0) and np.abs(d.weights).max() <= 2 / math.sqrt(d.n_neurons)


def test_gradient_mean_is_the_full_batch_gradient_by_finite_differences():
    rng = np.random.default_rng(8)
    X, y = rng.normal(size=(64, 4)), rng.integers(0, 2, 64)
    model = build_information_plane_network(4, (3,), 2, "tanh", rng)
    mean, std = _gradient_signal(model, X, y, 16, np.random.default_rng(0))  # 4 equal batches
    assert len(mean) == 2 and all(s > 0 for s in std)
    for layer, expected in zip([model.layers[0], model.layers[2]], mean):
        numeric = np.zeros_like(layer.weights)
        for index in np.ndindex(layer.weights.shape):
            saved = layer.weights[index]
            losses = []
            for step in (1e-6, -1e-6):
                layer.weights[index] = saved + step
                losses.append(model.evaluate(X, y, loss="softmax_cross_entropy")["loss"])
            layer.weights[index] = saved
            numeric[index] = (losses[0] - losses[1]) / 2e-6
        assert expected == pytest.approx(np.linalg.norm(numeric), rel=1e-6)
    _, one_batch_std = _gradient_signal(model, X, y, 64, np.random.default_rng(0))
    assert one_batch_std == [0.0, 0.0]


def _tiny(**kwargs):
    X, y = np.random.default_rng(9).integers(0, 2, size=(80, 6)).astype(float), np.arange(80) % 2
    options = dict(hidden=(4, 3), epochs=6, batch_size=16, learning_rate=1e-2, logged_epochs=(0, 2, 6),
                   estimators=("binning", "fixed_binning", "kde"))
    options.update(kwargs)
    return information_plane((X, y), **options), X, y


def test_information_plane_segments_are_one_adam_run_and_epoch_zero_is_the_initial_network():
    results, X, y = _tiny(activation="tanh", seed=3)
    run = results.runs[0]
    assert run.epochs == [0, 2, 6] and results.layers == ["1 (4)", "2 (3)", "3 (softmax)"]
    assert results.estimator_keys == ["binning", "fixed_binning", "kde_upper", "kde_lower"]
    for key in results.estimator_keys:
        assert np.asarray(run.mi_xt[key]).shape == (3, 3) and np.asarray(run.mi_ty[key]).shape == (3, 3)
    assert np.asarray(run.grad_mean).shape == (3, 3)
    # the same training by hand: same initial weights, ONE Adam, one fit per segment with its seed
    from nnlite.optimizers import Adam
    train, _ = ip._split(80, 3)
    model = build_information_plane_network(6, (4, 3), 2, "tanh", np.random.default_rng([3, ip._WEIGHTS]))
    first = model.forward(X)
    h0 = model.layers[1].forward(model.layers[0].forward(X))
    assert run.mi_xt["binning"][0][0] == pytest.approx(information.layer_entropy(h0, 0.07), abs=1e-12)
    assert first.shape == (80, 2)
    adam = Adam(1e-2)
    for segment, epochs in ((1, 2), (2, 4)):
        model.fit(X[train], y[train], optimizer=adam, epochs=epochs, batch_size=16,
                  seed=ip._seed(3, ip._SEGMENT, segment))
    assert model.evaluate(X[train], y[train])["loss"] == pytest.approx(run.train_loss[-1], rel=1e-12)


def test_information_plane_results_do_not_depend_on_n_jobs_and_survive_json():
    pytest.importorskip("joblib")
    one, _, _ = _tiny(activation=("tanh", "relu"), seed=(0, 1), estimators=("binning",), epochs=2,
                      logged_epochs=(0, 2))
    two, _, _ = _tiny(activation=("tanh", "relu"), seed=(0, 1), estimators=("binning",), epochs=2,
                      logged_epochs=(0, 2), n_jobs=2)
    for a, b in zip(one.runs, two.runs):
        assert (a.activation, a.seed) == (b.activation, b.seed)
        assert a.mi_xt == b.mi_xt and a.mi_ty == b.mi_ty and a.train_loss == b.train_loss
        assert a.grad_mean == b.grad_mean and a.test_accuracy == b.test_accuracy
    back = type(one).from_json(one.to_json())
    assert back.runs[3].mi_xt == one.runs[3].mi_xt and back.table() == one.table()


def test_information_plane_reads_the_original_mat_file(tmp_path):
    sio = pytest.importorskip("scipy.io")
    from nnlite import datasets

    X, y = datasets.tishby_bits(seed=4)
    path = tmp_path / "var_u.mat"
    sio.savemat(path, {"F": X, "y": y[None, :].astype(float)})
    results = information_plane(str(path), epochs=2, logged_epochs=(0, 2), estimators=("binning",))
    assert results.dataset == str(path) and results.runs[0].epochs == [0, 2]
    assert results.runs[0].mi_xt["binning"][0][0] == pytest.approx(12.0, abs=0.05)  # 4096 inputs, 10 tanh units


def test_information_plane_bad_arguments():
    with pytest.raises(ValueError, match="estimators"):
        _tiny(estimators=("histogram",))
    with pytest.raises(ValueError, match="unknown activation|activation"):
        _tiny(activation="no_such_activation")
    with pytest.raises(ValueError, match="logged_epochs"):
        _tiny(logged_epochs=(0, 7))
    with pytest.raises(ValueError, match="dataset"):
        information_plane("mnist", epochs=1)
    with pytest.raises(ValueError, match="n_jobs"):
        _tiny(n_jobs=0)


def test_quick_variant_through_the_cli(tmp_path, capsys):
    out = tmp_path / "ip"
    code = cli.main(["info-plane", "--epochs", "300", "--max-logged", "4", "--activation", "tanh", "relu",
                     "--estimator", "binning", "kde", "--out", str(out), "--dpi", "40"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| tanh | binning | 1 (10) |" in printed and "| relu | kde_upper | 6 (softmax) |" in printed
    for name in ("table.md", "results.json", "information_plane.png", "information_plane_epochs.png",
                 "information_plane_snr.png"):
        assert (out / name).stat().st_size > 0
    from nnlite.experiments import InformationPlaneResults
    results = InformationPlaneResults.from_json((out / "results.json").read_text())
    assert results.epochs == 300 and len(results.runs[0].epochs) == 4
    assert all(run.test_accuracy[-1] > 0.6 for run in results.runs)


@pytest.mark.parametrize("seed", [[0, -1], [1, 1], [0, 1.5]])
def test_bad_seeds_are_refused_before_training(seed):
    with pytest.raises(ValueError, match="seeds must be distinct integers >= 0"):
        information_plane("tishby_bits", seed=seed, epochs=1)
