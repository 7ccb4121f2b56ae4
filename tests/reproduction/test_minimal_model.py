"""The minimal-model notebooks' printed numbers and claims (Saxe et al. 2018)."""

import json

import numpy as np
import pytest

from nnlite.cli import main
from nnlite.experiments.minimal_model import run_minimal_model
from nnlite.information import entropy


@pytest.fixture(scope="module")
def results():
    return run_minimal_model()


def test_input_entropy_numbers():
    stream = np.random.RandomState(0)
    x = stream.standard_normal(1000)
    second = stream.standard_normal(1000)
    assert round(entropy(x, 50), 2) == 5.11
    assert round(entropy(second, 50), 2) == 4.98
    # "1.76 bits with 5 bins" is the second draw (the first draw gives 1.86 bits)
    assert round(entropy(second, 5), 2) == 1.76
    assert round(entropy(x, 5), 2) == 1.86


def test_experiment_reports_them(results):
    h = results.input_entropy
    assert (round(h["x_50_bins"], 2), round(h["second_draw_50_bins"], 2), round(h["second_draw_5_bins"], 2)) == (
        5.11, 4.98, 1.76)
    assert results.weights.shape == (199,) and len(results.mi_per_row) == 11


def test_per_weight_bins_linear_is_constant_at_the_input_entropy(results):
    np.testing.assert_allclose(results.mi_per_row["linear"], results.input_entropy["x_50_bins"], atol=1e-9)


def test_per_weight_bins_tanh_compresses_and_relu_does_not(results):
    tanh, relu = results.mi_per_row["tanh"], results.mi_per_row["relu"]
    assert tanh.max() - tanh[-1] > 1.0 and tanh[0] - tanh[-1] > 1.0
    assert np.ptp(relu) < 1e-9
    # double-saturating activations fall, single-saturating ones flatten out above them
    assert results.mi_per_row["sigmoid"][-1] < results.mi_per_row["softplus"][-1]


def test_global_bins_linear_rises(results):
    linear = results.mi_global["linear"]
    assert linear[-1] - linear[0] > 4.0
    assert np.all(np.diff(linear) >= -0.05)


def test_bias_sweep_and_bin_dependence(results):
    assert results.bias_sweep["tanh"].shape == (6, 199)
    # with a large bias tanh saturates sooner; relu is flat in w only without a bias
    assert results.bias_sweep["tanh"][5, 50] < results.bias_sweep["tanh"][0, 50]
    assert np.ptp(results.bias_sweep["relu"][0]) < 1e-9 < np.ptp(results.bias_sweep["relu"][1])
    h = results.bin_dependence["tanh"]
    assert np.all(np.diff(h[:, -1]) > 0)  # more bins, more bits


def test_kde_bound_without_bins_tanh_compresses_relu_does_not(results):
    tanh, relu = results.kde["tanh"], results.kde["relu"]
    assert len(tanh) == len(results.kde_weights) == 20
    assert tanh.max() - tanh[-1] > 0.4
    assert np.all(np.diff(relu) > 0)


def test_cli_writes_every_figure_and_the_json(tmp_path, capsys):
    assert main(["minimal-model", "--out", str(tmp_path), "--dpi", "40"]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {"activations.png", "activation_grid.png", "mi_per_row.png", "mi_global.png", "bias_sweep.png",
            "binning.png", "entropy_vs_bins.png", "mi_kde.png", "results.json"} <= names
    data = json.loads((tmp_path / "results.json").read_text())
    assert round(data["input_entropy_bits"]["x_50_bins"], 2) == 5.11
    assert len(data["mi_global_bits"]["tanh"]) == 199
    assert "5.11 bits" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs, message", [({"n_samples": 1}, "n_samples"), ({"bins": 1}, "bins")])
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_minimal_model(**kwargs)
