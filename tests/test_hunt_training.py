"""Defects found by checking the training stack against independent oracles: a copy taken at
the time, closed forms, and what load can pass back to a constructor."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import nnlite
from nnlite import Adam, Dense, Sequential, callbacks
from nnlite._config import ConfigError

X, Y = nnlite.datasets.spiral(30, 3, seed=0)  # 90 samples


# ------------------------------------------------ predict inside fit owns its result


@pytest.mark.parametrize("last", [None, "tanh"], ids=["dense-last", "activation-last"])
@pytest.mark.parametrize("hook", ["on_epoch_end", "on_batch_end"])
def test_predictions_kept_by_a_callback_are_not_overwritten_by_later_batches(last, hook):
    """predict is the user's call even inside fit: what it returns must not be a buffer that the
    next training batch of the same shape writes into (the oracle: a copy taken at the time)."""
    layers = [Dense(2, 16, seed=0), "relu", Dense(16, 3, seed=1)] + ([last] if last else [])
    net = Sequential(layers)
    kept, copies = [], []

    def record(*_):
        out = net.predict(X[:16])  # the batch shape: the training buffers have this shape
        kept.append(out)
        copies.append(out.copy())

    loss, targets = ("mse", np.eye(3)[Y]) if last else ("softmax_cross_entropy", Y)
    net.fit(X, targets, loss=loss, optimizer=Adam(0.01), epochs=3, batch_size=16, seed=0,
            callbacks=[callbacks.LambdaCallback(**{hook: record})])
    assert len(kept) > 2
    for out, copy in zip(kept, copies):
        np.testing.assert_array_equal(out, copy)


# ------------------------------------------------ evaluate: a loss past the float range is inf, quietly


def _identity_dense():
    """Dense(2, 2) computing out = x exactly (identity weights, zero biases)."""
    layer = Dense(2, 2, weight_init="zeros")
    layer.weights[...] = np.eye(2)
    return Sequential([layer])


@pytest.mark.parametrize("loss, x, y, expected", [
    # closed forms: mean((1e200 - 0)^2, (1 - 0)^2 ...) overflows; logsumexp(z) - z_true
    ("mse", [[1e200, 1.0]], [[0.0, 0.0]], math.inf),
    ("softmax_cross_entropy", [[1e308, -1e308]], [[1.0, 0.0]], 0.0),
    ("softmax_cross_entropy", [[1e308, -1e308]], [[0.0, 1.0]], math.inf),
    ("softmax_cross_entropy", [[1e308, -1e308]], [0], 0.0),
], ids=["mse-overflow", "sce-one-hot-right", "sce-one-hot-wrong", "sce-index-right"])
def test_evaluate_gives_the_closed_form_loss_at_extreme_outputs_without_warnings(loss, x, y, expected):
    """Loss.forward and fit treat a loss past the float range as the answer (inf), not a warning;
    evaluate (the same loss) must agree."""
    net = _identity_dense()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nnlite.losses.get(loss).forward(np.array(x), np.array(y)) == expected  # the contract
        assert net.evaluate(np.array(x), np.array(y), loss=loss)["loss"] == expected


# ------------------------------------------------ save refuses what load could not pass back


class _Shift(nnlite.Activation, register=False):
    def __init__(self, c, /):
        self.c = c

    def function(self, x):
        return x + self.c

    def derivative(self, x, y):
        return np.ones_like(x)


class _Gain(nnlite.Layer):
    def __init__(self, n_features, /, *, gain=2.0):
        self.n_features, self.gain = n_features, gain

    def forward(self, inputs):
        self.inputs, self.output = inputs, inputs * self.gain
        return self.output

    def backward(self, dvalues):
        self.dinputs = dvalues * self.gain
        return self.dinputs


@pytest.mark.parametrize("layer, argument", [(_Shift(0.5), "c"), (_Gain(2, gain=4.0), "n_features")],
                         ids=["activation", "layer"])
def test_save_refuses_a_positional_only_constructor_argument_that_load_cannot_pass_back(tmp_path, layer, argument):
    """load rebuilds a layer as cls(**config), which Python refuses for a positional-only parameter:
    save must say so (naming the argument) instead of writing a file that never loads."""
    with pytest.raises(TypeError) as caught:  # the oracle: what Python does with cls(**config)
        type(layer)(**{argument: 1.0})
    assert "positional-only" in str(caught.value)
    model = Sequential([Dense(2, 2, seed=0), layer])
    with pytest.raises(ConfigError, match=f"{type(layer).__qualname__}.*'{argument}'.*positional-only"):
        model.save(tmp_path / "model.npz")
    assert not list(tmp_path.iterdir())


class _HandWritten(nnlite.Layer):
    """A hand-written get_config: load still calls cls(**get_config())."""

    def __init__(self, n_features, /):
        self.width = n_features

    def forward(self, inputs):
        self.inputs = self.output = inputs
        return inputs

    def backward(self, dvalues):
        self.dinputs = dvalues
        return dvalues

    def get_config(self):
        return {"n_features": self.width}


class _Renamed(_HandWritten):
    def __init__(self, width=2):
        self.width = width

    def get_config(self):
        return {"size": self.width}  # a key the constructor does not take


@pytest.mark.parametrize("layer, key", [(_HandWritten(2), "n_features"), (_Renamed(3), "size")],
                         ids=["positional-only", "unknown-key"])
def test_save_refuses_a_hand_written_config_that_the_constructor_cannot_take(tmp_path, layer, key):
    with pytest.raises(TypeError):  # the oracle: the call load would make
        type(layer)(**layer.get_config())
    model = Sequential([Dense(2, 2, seed=0), layer])
    with pytest.raises(ConfigError, match=f"layer 1.*{type(layer).__qualname__}.*{key}"):
        model.save(tmp_path / "model.npz")
    assert not list(tmp_path.iterdir())


class _ScaledSquares(nnlite.MeanSquaredError):
    """A user loss whose hand-written config names a keyword its constructor does not take
    (it keeps its parent's name, so it is not registered and other tests' registries stay as they were)."""

    def get_config(self):
        return {"size": 3}


def test_save_refuses_a_loss_config_the_constructor_cannot_take(tmp_path):
    with pytest.raises(TypeError):  # the oracle: the call load would make
        _ScaledSquares(**_ScaledSquares().get_config())
    model = Sequential([Dense(2, 2, seed=0)])
    model.loss = _ScaledSquares()
    with pytest.raises(ConfigError, match="the loss.*size"):
        model.save(tmp_path / "model.npz")
    assert not list(tmp_path.iterdir())
