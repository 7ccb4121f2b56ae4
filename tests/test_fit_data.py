"""Issue 11 in network.py: bad data named before training, one dtype rule for fit/predict/evaluate, edge
inputs with clear errors; issue 15: fit gathers batches instead of copying the data set."""

import tracemalloc

import numpy as np
import pytest

import nnlite
from nnlite import Dense, ReLU, Sequential

X, Y = nnlite.datasets.spiral(20, 3, seed=0)


def model(dtype=np.float64):
    return Sequential([Dense(2, 8, seed=0, dtype=dtype), ReLU(), Dense(8, 3, seed=1, dtype=dtype)])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_data_is_a_data_error_named_before_training(bad):
    X_bad = X.copy()
    X_bad[7, 1] = bad
    net = model()
    before = net.layers[0].weights.copy()
    with pytest.raises(ValueError, match=r"fit X contains NaN or infinite values \(first at index \(7, 1\)\)"):
        net.fit(X_bad, Y, epochs=1)
    np.testing.assert_array_equal(net.layers[0].weights, before)  # nothing trained
    with pytest.raises(ValueError, match="fit validation X contains NaN"):
        net.fit(X, Y, epochs=1, validation_data=(X_bad, Y))
    one_hot = np.eye(3)[Y]
    one_hot[4, 0] = bad
    with pytest.raises(ValueError, match=r"fit y contains NaN or infinite values \(first at index \(4, 0\)\)"):
        net.fit(X, one_hot, epochs=1)
    with pytest.raises(ValueError, match="fit validation y contains NaN"):
        net.fit(X, Y, epochs=1, validation_data=(X, one_hot))
    with pytest.raises(ValueError, match="evaluate y contains NaN"):
        net.evaluate(X, one_hot, loss="softmax_cross_entropy")
    targets = X[:, :1].copy()
    targets[0] = bad
    with pytest.raises(ValueError, match="fit y contains NaN"):
        Sequential([Dense(2, 1, seed=0)]).fit(X, targets, loss="mse", epochs=1)


def test_labels_out_of_range_are_refused_before_training():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        model().fit(X, Y + 1, epochs=1)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        model().fit(X, Y - 1, epochs=1)


def test_fit_predict_and_evaluate_share_one_dtype_rule():
    net64, net32 = model(), model(np.float32)
    for call in (lambda n, x: n.fit(x, Y, epochs=1), lambda n, x: n.predict(x),
                 lambda n, x: n.evaluate(x, Y, loss="softmax_cross_entropy")):
        with pytest.raises(TypeError, match="float32 but the network's parameters are float64"):
            call(net64, X.astype(np.float32))
        with pytest.raises(TypeError, match="float64 but the network's parameters are float32"):
            call(net32, X)
    ints = (X > 0).astype(np.int64)  # integer data take the network's dtype everywhere
    assert net32.predict(ints).dtype == np.float32 and net64.predict(ints).dtype == np.float64
    assert net32.evaluate(ints, Y, loss="softmax_cross_entropy")["loss"] > 0


def test_edge_inputs_get_clear_errors():
    net = model()
    with pytest.raises(ValueError, match="evaluate X must hold at least one sample"):
        net.evaluate(X[:0], Y[:0], loss="softmax_cross_entropy")
    for batch_size in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="predict: batch_size must be an integer >= 1"):
            net.predict(X, batch_size=batch_size)
    assert net.predict(X[:0]).shape == (0, 3)  # predicting nothing is fine
    np.testing.assert_allclose(net.predict(X, batch_size=7), net.predict(X), rtol=1e-14)


def test_fit_does_not_copy_the_data_set():
    """Issue 15: the epoch loop gathers each batch through a shuffled index; memory stays O(batch)."""
    X_big = np.random.default_rng(0).standard_normal((20000, 50))
    y_big = np.random.default_rng(1).integers(0, 3, 20000)
    net = Sequential([Dense(50, 3, seed=0)])
    net.fit(X_big[:100], y_big[:100], epochs=1)  # warm-up outside the measurement
    tracemalloc.start()
    net.fit(X_big, y_big, epochs=1, batch_size=1000, seed=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.25 * X_big.nbytes  # a shuffled copy alone would be 8 MB
