import os
import zipfile

import numpy as np
import pytest

import nnlite
from nnlite import (
    SGD,
    Adam,
    Dense,
    History,
    LeakyReLU,
    PReLU,
    ReLU,
    Sequential,
    Softmax,
    Tanh,
    datasets,
    gradcheck,
)

X_SMALL = np.random.default_rng(0).standard_normal((7, 4))
Y_SMALL = np.array([0, 2, 1, 1, 0, 2, 2])


def small_model(dtype=np.float64, **dense):
    return Sequential([Dense(4, 5, seed=0, dtype=dtype, **dense), Tanh(), Dense(5, 3, seed=1, dtype=dtype)])


def test_forward_backward_compose_the_layers():
    model = small_model()
    d1, act, d2 = model.layers
    expected = np.tanh(X_SMALL @ d1.weights + d1.biases) @ d2.weights + d2.biases
    np.testing.assert_allclose(model.forward(X_SMALL), expected, rtol=1e-13)
    dvalues = np.random.default_rng(1).standard_normal((7, 3))
    manual = d1.backward(act.backward(d2.backward(dvalues))).copy()
    model.forward(X_SMALL)
    np.testing.assert_allclose(model.backward(dvalues), manual, rtol=1e-13)
    assert set(model.params) == {"0.weights", "0.biases", "2.weights", "2.biases"}
    assert model.params["0.weights"] is d1.weights and model.grads["2.biases"] is d2.dbiases


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "mse", "categorical_cross_entropy"])
def test_gradcheck_whole_network_with_loss(loss):
    layers = [Dense(4, 6, seed=0, l1=1e-3, l2=1e-2), LeakyReLU(0.2), Dense(6, 3, seed=1), PReLU()]
    if loss == "categorical_cross_entropy":
        layers.append(Softmax())
    model = Sequential(layers)
    targets = np.random.default_rng(2).standard_normal((7, 3)) if loss == "mse" else Y_SMALL
    result = gradcheck(model.with_loss(loss), X_SMALL, targets=targets)
    assert result.passed, str(result)
    assert "3.alpha" in result.tensors and "0.weights" in result.tensors
    # The network alone, against random output weights.
    assert gradcheck(small_model(), X_SMALL).passed


def test_fit_learns_xor_and_reports_history(capsys):
    X, y = datasets.xor()
    model = Sequential([Dense(2, 8, seed=0), Tanh(), Dense(8, 2, seed=1)])
    history = model.fit(X, y, optimizer=Adam(0.05), epochs=150, batch_size=4, seed=0)
    assert capsys.readouterr().out == ""
    assert isinstance(history, History) and history.epochs == 150
    assert history.loss[-1] < 0.05 and history.accuracy[-1] == 1.0
    assert model.evaluate(X, y)["accuracy"] == 1.0
    np.testing.assert_array_equal(model.predict(X).argmax(axis=1), y)


def test_spiral_reaches_95_percent_training_accuracy():
    X, y = datasets.spiral(100, 3, seed=0)
    model = Sequential([Dense(2, 64, seed=0), ReLU(), Dense(64, 64, seed=1), ReLU(), Dense(64, 3, seed=2)])
    history = model.fit(X, y, optimizer=Adam(0.02), epochs=600, batch_size=300, seed=0)
    assert model.evaluate(X, y)["accuracy"] >= 0.95
    assert history.accuracy[-1] >= 0.9


def test_sine_regression():
    X, y = datasets.sine(200, seed=0)
    model = Sequential([Dense(1, 32, seed=0), Tanh(), Dense(32, 32, seed=1), Tanh(), Dense(32, 1, seed=2)])
    history = model.fit(X, y, loss="mse", optimizer=Adam(0.01), epochs=300, batch_size=32, seed=0)
    assert history.accuracy[-1] is None
    scores = model.evaluate(X, y)
    assert scores["loss"] < 0.01 and scores["accuracy"] is None


def test_digits_median_accuracy_over_three_seeds():
    pytest.importorskip("sklearn")
    from sklearn.model_selection import train_test_split

    X, y = datasets.load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    scores = []
    for seed in (0, 1, 2):
        model = Sequential([Dense(64, 128, seed=seed), ReLU(), Dense(128, 10, seed=seed + 100)])
        model.fit(X_train, y_train, optimizer=Adam(1e-3), epochs=30, batch_size=32, seed=seed)
        scores.append(model.evaluate(X_test, y_test)["accuracy"])
    assert np.median(scores) >= 0.965, scores


def test_verbose_prints_one_line_per_epoch_with_validation(capsys):
    X, y = datasets.spiral(20, 3, seed=0)
    model = Sequential([Dense(2, 8, seed=0), ReLU(), Dense(8, 3, seed=1)])
    history = model.fit(X, y, epochs=3, batch_size=16, validation_data=(X[:10], y[:10]), seed=0, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Epoch 1/3 - ") and lines[2].startswith("Epoch 3/3 - ")
    for part in ("loss: ", "accuracy: ", "val_loss: ", "val_accuracy: "):
        assert part in lines[-1]
    assert f"val_loss: {history.val_loss[-1]:.4f}" in lines[-1]
    assert len(history.val_loss) == len(history.val_accuracy) == len(history.epoch_time) == 3
    assert history.val_loss[-1] == pytest.approx(model.evaluate(X[:10], y[:10])["loss"])


def test_seeded_shuffle_is_reproducible():
    X, y = datasets.spiral(30, 3, seed=1)

    def train(seed, shuffle=True, diagnostics=False):
        model = Sequential([Dense(2, 8, seed=0), ReLU(), Dense(8, 3, seed=1)])
        model.fit(X, y, optimizer=SGD(0.1, momentum=0.9), epochs=5, batch_size=8, seed=seed, shuffle=shuffle,
                  diagnostics=diagnostics)
        return model.layers[0].weights

    np.testing.assert_array_equal(train(3), train(3))
    np.testing.assert_array_equal(train(3), train(3, diagnostics=True))
    assert not np.array_equal(train(3), train(4))
    np.testing.assert_array_equal(train(3, shuffle=False), train(4, shuffle=False))
    state = np.random.get_state()[1].copy()
    train(None)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_float32_trains_in_float32_end_to_end():
    X, y = datasets.spiral(30, 3, seed=0)
    model = Sequential([Dense(2, 8, seed=0, dtype=np.float32), ReLU(), Dense(8, 3, seed=1, dtype=np.float32)])
    arrays = list(model.params.values())
    model.fit(X.astype(np.float32), y, epochs=3, batch_size=16, seed=0)
    assert all(a is b for a, b in zip(arrays, model.params.values()))  # updated in place
    assert all(p.dtype == np.float32 for p in model.params.values())
    assert all(g.dtype == np.float32 for g in model.grads.values())
    assert model.predict(X.astype(np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="float64 but the network's parameters are float32"):
        model.fit(X, y, epochs=1)
    model.fit((X > 0).astype(np.int64), y, epochs=1)  # integer data take the network's dtype
    assert model.layers[0].weights.dtype == np.float32


def test_divergence_stops_with_a_clear_error():
    X, y = datasets.sine(64, seed=0)
    model = Sequential([Dense(1, 16, seed=0), ReLU(), Dense(16, 1, seed=1)])
    with pytest.raises(FloatingPointError, match="lower learning rate"):
        model.fit(X * 1e3, y * 1e3, loss="mse", optimizer=SGD(10.0), epochs=50, batch_size=16, seed=0)


def test_diagnostics_record_gradient_norms_and_dead_units():
    X, y = datasets.spiral(30, 3, seed=0)
    model = Sequential([Dense(2, 6, seed=0), ReLU(), Dense(6, 3, seed=1)])
    model.layers[0].biases[0, :3] = -100.0  # three units that never fire
    history = model.fit(X, y, epochs=2, batch_size=16, seed=0, diagnostics=True)
    assert set(history.grad_norm) == {"0.dense", "2.dense"}
    assert all(len(v) == 2 and min(v) > 0 for v in history.grad_norm.values())
    assert history.dead_fraction["1.relu"] == [0.5, 0.5]
    assert set(history.activation_mean) == set(history.activation_std) == {"1.relu"}
    assert model.fit(X, y, epochs=1).grad_norm == {}


def test_save_load_round_trip_is_exact(tmp_path):
    model = Sequential([
        Dense(4, 5, seed=0, dtype=np.float32, l2=1e-3), LeakyReLU(alpha=0.2),
        Dense(5, 3, seed=1, dtype=np.float32), PReLU(init=0.1, num_parameters=3),
    ])
    model.layers[3].params["alpha"][...] = [0.1, 0.2, 0.3]
    X = X_SMALL.astype(np.float32)
    model.fit(X, Y_SMALL, epochs=2, batch_size=4, seed=0)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = Sequential.load(path)
    assert repr(loaded) == repr(model)
    for key, p in model.params.items():
        assert loaded.params[key].dtype == p.dtype
        np.testing.assert_array_equal(loaded.params[key], p)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.layers[1].alpha == 0.2 and loaded.layers[0].l2 == 1e-3
    assert loaded.evaluate(X, Y_SMALL) == model.evaluate(X, Y_SMALL)  # the loss was saved too
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind
    model.save(str(path))  # overwriting is fine
    assert os.listdir(tmp_path) == ["model.npz"]


def test_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    small_model().save(path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        small_model(l2=0.5).save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.npz"]


def test_load_rejects_corrupt_and_foreign_files(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a model at all" * 10)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.ones(3))
    array = tmp_path / "array.npy"
    np.save(array, np.ones(3))
    good = tmp_path / "good.npz"
    small_model().save(good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:200])
    tampered = tmp_path / "tampered.npz"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(tampered, "w") as dst:
        for name in src.namelist():
            if name != "0.biases.npy":
                dst.writestr(name, src.read(name))
    unknown = tmp_path / "unknown.npz"
    arch = '{"format": "nnlite.Sequential", "version": 1, "layers": [{"kind": "activation", "name": "zigzag", '
    np.savez(unknown, __nnlite__=np.array(arch + '"config": {}}], "loss": null}'))
    newer = tmp_path / "newer.npz"
    np.savez(newer, __nnlite__=np.array('{"format": "nnlite.Sequential", "version": 99, "layers": []}'))
    for path, match in [
        (garbage, "not a readable nnlite model"), (foreign, "no nnlite architecture"),
        (array, "not an .npz"), (truncated, "not a readable nnlite model"), (tampered, "do not match"),
        (unknown, "cannot rebuild layer 0.*zigzag"), (newer, "version 99"),
    ]:
        with pytest.raises(ValueError, match=match):
            Sequential.load(path)
    with pytest.raises(FileNotFoundError):
        Sequential.load(tmp_path / "missing.npz")


def test_evaluate_accepts_one_hot_and_needs_a_loss():
    model = small_model()
    with pytest.raises(ValueError, match="pass loss="):
        model.evaluate(X_SMALL, Y_SMALL)
    by_index = model.evaluate(X_SMALL, Y_SMALL, loss="softmax_cross_entropy")
    by_one_hot = model.evaluate(X_SMALL, np.eye(3)[Y_SMALL], loss="softmax_cross_entropy")
    assert by_index["loss"] == pytest.approx(by_one_hot["loss"], rel=1e-14)
    assert by_index["accuracy"] == by_one_hot["accuracy"]
    assert set(by_index) == {"loss", "accuracy"}
    np.testing.assert_allclose(model.predict(X_SMALL, batch_size=3), model.predict(X_SMALL), rtol=1e-14)
    with pytest.raises(ValueError, match="7 samples but y has 6"):
        model.evaluate(X_SMALL, Y_SMALL[:6], loss="mse")


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least one layer"):
        Sequential([])
    with pytest.raises(TypeError, match="layer 1"):
        Sequential([Dense(2, 2), 3])
    with pytest.raises(TypeError, match="list of layers"):
        Sequential(Dense(2, 2))
    assert isinstance(Sequential([Dense(2, 2), "relu"]).layers[1], ReLU)
    model = small_model()
    with pytest.raises(RuntimeError, match="before forward"):
        model.backward(np.ones((7, 3)))
    with pytest.raises(ValueError, match=r"Dense\(5, 3\)"):
        Sequential([Dense(4, 6), ReLU(), Dense(5, 3)]).fit(X_SMALL, Y_SMALL)
    for kwargs, match in [
        ({"epochs": -1}, "epochs"), ({"batch_size": 0}, "batch_size"), ({"verbose": 2}, "verbose"),
        ({"validation_data": X_SMALL}, "pair"), ({"loss": "hinge"}, "unknown loss"),
        ({"optimizer": "lbfgs"}, "unknown optimizer"),
    ]:
        with pytest.raises(ValueError, match=match):
            model.fit(X_SMALL, Y_SMALL, **kwargs)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        model.fit(X_SMALL, Y_SMALL + 1)
    assert nnlite.Sequential is Sequential


def test_training_curves_figure():
    X, y = datasets.spiral(20, 3, seed=0)
    model = Sequential([Dense(2, 8, seed=0), ReLU(), Dense(8, 3, seed=1)])
    history = model.fit(X, y, epochs=4, validation_data=(X, y), seed=0, diagnostics=True)
    fig = nnlite.plotting.training_curves(history)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy", "gradient norm"]
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), history.val_loss)
    regression = Sequential([Dense(1, 4, seed=0), Tanh(), Dense(4, 1, seed=1)]).fit(
        *datasets.sine(20, seed=0), loss="mse", epochs=2
    )
    assert [ax.get_title() for ax in nnlite.plotting.training_curves(regression).axes] == ["loss"]
    with pytest.raises(ValueError, match="at least one epoch"):
        nnlite.plotting.training_curves(History())


@pytest.mark.parametrize("name", ["spiral.py", "train_digits.py"])
def test_examples_run_small_and_write_only_to_their_folder(name, tmp_path, monkeypatch, capsys):
    import runpy
    from pathlib import Path

    if name == "train_digits.py":
        pytest.importorskip("sklearn")
    out, cwd = tmp_path / "out", tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("NNLITE_SMALL", "1")
    monkeypatch.setenv("NNLITE_OUT", str(out))
    monkeypatch.setattr("sys.argv", [name])
    runpy.run_path(str(Path(__file__).parents[1] / "examples" / name), run_name="__main__")
    assert any(p.suffix == ".png" for p in out.iterdir())
    assert list(cwd.iterdir()) == []
    assert str(out) in capsys.readouterr().out
