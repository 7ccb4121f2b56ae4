import json
import math
import struct

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlite import plotting
from nnlite.cli import main
from nnlite.experiments import ActivationRun, build_mlp, compare_activations

ACTS = ["relu", "tanh", "sigmoid"]


@pytest.fixture(scope="module")
def study():
    return compare_activations("spiral", ACTS, hidden=(16, 16), epochs=3, seeds=(0, 1), histogram_epochs=(0, 3))


def _all_numbers(run):
    yield from run.loss + run.accuracy + run.val_loss + run.val_accuracy
    for records in (run.grad_norm, run.activation_mean, run.activation_std, run.saturation, run.dead_fraction):
        for values in records.values():
            yield from values


def test_study_records_every_run_and_epoch(study):
    assert study.activations == ACTS and study.seeds == (0, 1)
    assert [(r.activation, r.seed) for r in study.runs] == [(a, s) for s in (0, 1) for a in ACTS]
    for run in study.runs:
        assert list(run.grad_norm) == ["dense1", "dense2", "dense3"]
        for records in (run.activation_mean, run.activation_std, run.saturation, run.dead_fraction):
            assert list(records) == ["hidden1", "hidden2"]
        numbers = list(_all_numbers(run))
        assert len(numbers) == 3 * (4 + 3 + 4 * 2)  # every series has one entry per epoch
        assert all(math.isfinite(v) for v in numbers)
        assert all(0 <= v <= 1 for v in run.accuracy + run.val_accuracy)
        assert sorted(run.histograms) == [0, 3]
        for hists in run.histograms.values():
            for h in hists.values():
                assert len(h["edges"]) == len(h["counts"]) + 1 == 51
        assert sum(run.histograms[3]["gradient"]["counts"]) == 2 * 16  # every entry of dL/dW1 (2 x 16)
        assert run.wall_time > 0 and 1 <= run.epochs_to_95 <= 3


def test_relu_saturates_on_its_flat_side_and_tanh_does_not(study):
    relu, tanh = study.runs_of("relu")[0], study.runs_of("tanh")[0]
    # f' = 0 for every x <= 0: about half of relu's units at He initialisation
    assert 0.2 < relu.saturation["hidden1"][-1] < 0.8
    assert tanh.saturation["hidden1"][-1] < 0.05
    assert tanh.dead_fraction["hidden1"][-1] == 0.0


def test_table_and_json_have_every_activation(study):
    table = study.table()
    lines = table.strip().splitlines()
    assert len(lines) == 2 + len(ACTS)
    for name in ACTS:
        row = next(line for line in lines if line.startswith(f"| {name} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        mean, std = (float(v) for v in cells[1].split(" ± "))
        assert all(math.isfinite(v) for v in (mean, std, float(cells[2]), float(cells[3])))
    means = [float(line.split("|")[2].split("±")[0]) for line in lines[2:]]
    assert means == sorted(means, reverse=True)
    data = json.loads(study.to_json())
    assert set(data["summary"]) == set(ACTS)
    assert len(data["runs"]) == 6 and data["runs"][0]["histograms"]["3"]["gradient"]["counts"]
    summary = study.summary()["relu"]
    accs = [r.test_accuracy for r in study.runs_of("relu")]
    assert summary["test_accuracy_mean"] == pytest.approx(np.mean(accs))
    assert summary["test_accuracy_std"] == pytest.approx(np.std(accs, ddof=1))


def test_identical_initial_weights_across_activations_per_seed(study):
    for seed in (0, 1):
        digests = {r.initial_weights for r in study.runs if r.seed == seed}
        assert len(digests) == 1
    assert study.runs[0].initial_weights != study.runs[-1].initial_weights
    a, b = build_mlp(2, (16, 16), 3, "relu", seed=5), build_mlp(2, (16, 16), 3, "sigmoid", seed=5)
    for key, p in a.params.items():
        np.testing.assert_array_equal(p, b.params[key])
    assert not np.array_equal(a.params["0.weights"], build_mlp(2, (16, 16), 3, "relu", seed=6).params["0.weights"])


def test_same_seed_gives_the_same_run():
    kwargs = dict(activations=["tanh"], hidden=(8,), epochs=2, seeds=(3,))
    a, b = compare_activations("spiral", **kwargs), compare_activations("spiral", **kwargs)
    assert a.runs[0].val_loss == b.runs[0].val_loss and a.runs[0].grad_norm == b.runs[0].grad_norm


def test_epochs_to_95_is_the_first_epoch_within_5_percent_of_the_end():
    run = ActivationRun("relu", 0, "", val_accuracy=[0.5, 0.9, 0.96, 0.94, 1.0])
    assert run.epochs_to_95 == 3 and run.test_accuracy == 1.0


def test_deep_sigmoid_gradients_vanish_towards_the_input_and_relu_ones_do_not():
    results = compare_activations("spiral", ["sigmoid", "relu"], hidden=(32,) * 6, epochs=1, seeds=(0,))
    sigmoid, relu = (np.array(list(r.grad_norm.values()))[:, 0] for r in results.runs)
    assert sigmoid[0] < 0.01 * relu[0]
    assert np.all(np.diff(sigmoid) > 0)  # smaller at every step towards the input
    assert relu.max() / relu.min() < 10


def test_arrays_as_dataset():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 3))
    y = (X[:, 0] > 0).astype(int)
    pair = compare_activations((X, y), ["elu"], hidden=(4,), epochs=1, seeds=(0,))
    assert pair.dataset == "arrays" and pair.runs[0].test_accuracy >= 0
    split = compare_activations((X[:60], y[:60], X[60:], y[60:]), ["elu"], hidden=(4,), epochs=1, seeds=(0,))
    # the 20 given test samples are used as they are: the accuracy is a multiple of 1/20
    assert split.runs[0].val_accuracy[0] * 20 == pytest.approx(round(split.runs[0].val_accuracy[0] * 20))


def _write_idx(path, array):
    codes = {np.uint8: 0x08}
    header = struct.pack(">HBB", 0, codes[array.dtype.type], array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.tobytes())


def test_mnist_directory(tmp_path):
    rng = np.random.default_rng(0)
    for kind, n in (("train", 40), ("t10k", 10)):
        _write_idx(tmp_path / f"{kind}-images-idx3-ubyte", rng.integers(0, 256, (n, 4, 4), dtype=np.uint8))
        _write_idx(tmp_path / f"{kind}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=np.uint8))
    results = compare_activations(f"mnist:{tmp_path}", ["relu"], hidden=(8,), epochs=1, seeds=(0,))
    assert results.dataset == "mnist" and list(results.runs[0].grad_norm) == ["dense1", "dense2"]


def test_digits_when_scikit_learn_is_there():
    pytest.importorskip("sklearn")
    results = compare_activations("digits", ["relu"], epochs=2, seeds=(0,))
    assert results.runs[0].test_accuracy > 0.6  # 10 classes: chance is 0.1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(dataset="cifar"), "unknown dataset 'cifar'"),
        (dict(dataset="mnist:"), "unknown dataset"),
        (dict(dataset=(np.zeros((4, 2)),)), "dataset arrays must be"),
        (dict(dataset=(np.zeros((4, 2)), np.zeros(4))), "integer class labels"),
        (dict(activations=["relu", "tanhh"]), "unknown activation 'tanhh'"),
        (dict(activations=["softmax"]), "not elementwise"),
        (dict(activations=["relu", "relu"]), "distinct"),
        (dict(epochs=0), "epochs must be an integer >= 1"),
        (dict(seeds=()), "at least one hidden layer and one seed"),
        (dict(histogram_epochs=(5,)), "histogram_epochs must lie in 0..2"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    kwargs = {"dataset": "spiral", "activations": ["relu"], "epochs": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        compare_activations(**kwargs)


def test_activations_must_be_a_list_of_names():
    with pytest.raises(TypeError, match="list of registry names"):
        compare_activations("spiral", "relu")
    with pytest.raises(TypeError, match="registry names"):
        compare_activations("spiral", [object()])


def test_figures(study):
    for function in (plotting.comparison_curves, plotting.comparison_gradient_norms,
                     plotting.gradient_norm_by_layer, plotting.comparison_histograms,
                     plotting.comparison_unit_fractions):
        fig = function(study)
        assert isinstance(fig, Figure) and fig.axes
    assert len(plotting.comparison_histograms(study, seed=1).axes) == 2 * len(ACTS)
    with pytest.raises(ValueError, match="epoch must lie in 1..3"):
        plotting.gradient_norm_by_layer(study, epoch=0)
    with pytest.raises(ValueError, match="seed 7 was not run"):
        plotting.comparison_histograms(study, seed=7)


def test_cli_writes_table_json_and_figures(tmp_path, capsys):
    out = tmp_path / "study"
    argv = ["compare", "--dataset", "spiral", "--activations", "relu,tanh", "--epochs", "2", "--seeds", "2",
            "--hidden", "8,8", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "[1/4] relu" in printed and "[4/4] tanh" in printed
    names = {"table.md", "results.json", "curves.png", "gradient_norms.png", "gradient_by_layer.png",
             "histograms.png", "units.png"}
    assert {p.name for p in out.iterdir()} == names
    table = (out / "table.md").read_text(encoding="utf-8")
    assert table.startswith("spiral: hidden layers 8-8, 2 epochs, seeds 0, 1")
    assert "| relu |" in table and "| tanh |" in table
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["hidden"] == [8, 8]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--dataset", "nope"], "unknown dataset 'nope'"),
        (["--activations", "relu,nope"], "unknown activation 'nope'"),
    ],
)
def test_cli_errors(tmp_path, capsys, extra, message):
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--epochs", "1", "--seeds", "1", "--out", str(tmp_path), "--dataset", "spiral", *extra])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_cli_rejects_bad_hidden(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--hidden", "8,x"])
    assert "comma-separated integers" in capsys.readouterr().err
