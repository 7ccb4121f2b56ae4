"""Callbacks in fit: hooks, EarlyStopping (with best weights restored), ModelCheckpoint."""

import numpy as np
import pytest

import nnlite
from nnlite import Adam, Dense, EarlyStopping, ModelCheckpoint, ReLU, Sequential, callbacks

X, Y = nnlite.datasets.spiral(30, 3, seed=0)
X_VAL, Y_VAL = nnlite.datasets.spiral(10, 3, seed=1)


def model():
    return Sequential([Dense(2, 16, seed=0), ReLU(), Dense(16, 3, seed=1)])


def train(epochs, cbs=(), **kwargs):
    net = model()
    history = net.fit(X, Y, optimizer=Adam(0.01), epochs=epochs, batch_size=16, seed=0,
                      validation_data=(X_VAL, Y_VAL), callbacks=cbs, **kwargs)
    return net, history


class Recorder:
    def __init__(self):
        self.epochs, self.batches, self.ended = [], [], None

    def on_epoch_end(self, epoch, logs):
        self.epochs.append((epoch, dict(logs)))

    def on_batch_end(self, batch, logs):
        self.batches.append((batch, logs["size"]))

    def on_train_end(self, logs):
        self.ended = dict(logs)


def test_hooks_see_every_epoch_and_batch_and_change_nothing():
    recorder = Recorder()
    net, history = train(3, [recorder])
    assert [e for e, _ in recorder.epochs] == [1, 2, 3]
    assert recorder.batches == [(1, 16), (2, 16), (3, 16), (4, 16), (5, 16), (6, 10)] * 3  # 90 samples
    for i, (_, logs) in enumerate(recorder.epochs):
        assert logs == {"loss": history.loss[i], "accuracy": history.accuracy[i], "val_loss": history.val_loss[i],
                        "val_accuracy": history.val_accuracy[i], "learning_rate": 0.01}
    assert recorder.ended == recorder.epochs[-1][1]
    plain, _ = train(3)
    for key, p in plain.params.items():
        np.testing.assert_array_equal(p, net.params[key])


def test_a_callback_can_stop_training_and_lambda_callbacks_work():
    seen = []

    def stop_at_two(epoch, logs):
        seen.append(epoch)
        if epoch == 2:
            stopper.model.stop_training = True

    stopper = callbacks.LambdaCallback(on_epoch_end=stop_at_two)
    _, history = train(10, [stopper])
    assert seen == [1, 2] and history.epochs == 2


def test_early_stopping_stops_and_restores_the_best_epoch():
    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    # A large rate makes the validation loss rise after a few epochs.
    net = model()
    history = net.fit(X, Y, optimizer=Adam(0.2), epochs=60, batch_size=16, seed=0,
                      validation_data=(X_VAL, Y_VAL), callbacks=[stop])
    best = int(np.argmin(history.val_loss)) + 1
    assert stop.best_epoch == best and stop.best == min(history.val_loss)
    assert stop.stopped_epoch == history.epochs == best + 3  # best, then patience + 1 epochs without progress
    # Reference: a fresh run of exactly `best` epochs (shuffles depend on seed and epoch only).
    reference = model()
    reference.fit(X, Y, optimizer=Adam(0.2), epochs=best, batch_size=16, seed=0)
    for key, p in reference.params.items():
        np.testing.assert_array_equal(net.params[key], p)
    assert net.evaluate(X_VAL, Y_VAL)["loss"] == pytest.approx(min(history.val_loss), rel=1e-12)


def test_early_stopping_on_accuracy_maximises_and_min_delta_counts():
    stop = EarlyStopping(monitor="accuracy", patience=0, min_delta=0.5)  # no epoch gains 50 points
    _, history = train(10, [stop])
    assert history.epochs == 2 and stop.best_epoch == 1 and stop.best == history.accuracy[0]


def test_model_checkpoint_writes_files_that_load(tmp_path):
    every = ModelCheckpoint(tmp_path / "every-{epoch}.npz", monitor="val_loss")
    best = ModelCheckpoint(tmp_path / "best.npz", monitor="val_loss", save_best_only=True)
    net, history = train(4, [every, best])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.npz"] + [f"every-{e}.npz" for e in range(1, 5)]
    last = Sequential.load(tmp_path / "every-4.npz")
    np.testing.assert_array_equal(last.predict(X), net.predict(X))
    improved = [e + 1 for e in range(4) if history.val_loss[e] == min(history.val_loss[:e + 1])]
    assert len(best.saved) == len(improved)
    kept = Sequential.load(tmp_path / "best.npz")
    assert kept.evaluate(X_VAL, Y_VAL)["loss"] == pytest.approx(min(history.val_loss), rel=1e-12)


def test_bad_callbacks_and_arguments():
    with pytest.raises(TypeError, match="defines none of"):
        train(1, [object()])
    with pytest.raises(TypeError, match="list of callback"):
        train(1, Recorder())
    with pytest.raises(ValueError, match="'val_los'.*reports"):
        train(1, [EarlyStopping(monitor="val_los")])
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="mode"):
        ModelCheckpoint("x.npz", mode="best")
    with pytest.raises(TypeError, match="callable"):
        callbacks.LambdaCallback(on_epoch_end=3)
