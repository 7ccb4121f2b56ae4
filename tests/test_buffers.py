"""Buffer ownership: results a caller keeps are never overwritten by later calls;
only `reuse_buffers=True` (what Sequential.fit switches on for its own loop)
lets an activation write into the arrays it returned before."""

import numpy as np
import pytest

import nnlite
from nnlite import Dense, Sequential, activations

NAMES = activations.names()


def _inputs(name, rng, shape=(6, 8)):
    x = rng.uniform(-3, 3, size=shape)
    return x


@pytest.mark.parametrize("name", NAMES)
def test_kept_results_are_never_overwritten_by_default(name):
    rng = np.random.default_rng(0)
    act = activations.get(name)
    x1, x2 = _inputs(name, rng), _inputs(name, rng)
    y1 = act.forward(x1)
    d1 = act.backward(rng.normal(size=y1.shape))
    y1_kept, d1_kept = y1.copy(), d1.copy()
    y2 = act.forward(x2)
    d2 = act.backward(rng.normal(size=y2.shape))
    np.testing.assert_array_equal(y1, y1_kept)
    np.testing.assert_array_equal(d1, d1_kept)
    assert not np.shares_memory(y1, y2) and not np.shares_memory(d1, d2)
    assert not np.shares_memory(y1, x1)  # not even the identity hands back the caller's array


@pytest.mark.parametrize(
    "name", ["relu", "relu6", "hard_tanh", "leaky_relu", "linear", "tanh", "sigmoid", "step", "hard_sigmoid"]
)
def test_reuse_buffers_writes_into_the_previous_result_and_stays_correct(name):
    rng = np.random.default_rng(1)
    reusing, fresh = activations.get(name), activations.get(name)
    reusing.reuse_buffers = True
    x1, x2 = _inputs(name, rng), _inputs(name, rng)
    g = rng.normal(size=x1.shape)
    y1, d1 = reusing.forward(x1), reusing.backward(g)
    y2, d2 = reusing.forward(x2), reusing.backward(g)
    assert np.shares_memory(y1, y2) and np.shares_memory(d1, d2)  # the documented rule
    np.testing.assert_array_equal(y2, fresh.forward(x2))
    np.testing.assert_array_equal(d2, fresh.backward(g))
    # a new shape gets a new buffer rather than a wrong-shaped one
    y3 = reusing.forward(_inputs(name, rng, shape=(3, 8)))
    assert y3.shape == (3, 8)


class PlainTanh(nnlite.Activation, register=False):
    """tanh without buffers: f = tanh(x), f' = 4 e / (1 + e)^2 with e = exp(-2 |x|)."""

    def function(self, x):
        return np.tanh(x)

    def derivative(self, x, y):
        e = np.exp(np.abs(x) * -2.0)
        return e / ((e + 1) * (e + 1)) * 4


def test_fit_with_reused_buffers_trains_exactly_like_plain_arrays():
    X, y = nnlite.datasets.spiral(40, 3, seed=0)

    def trained(hidden_activation):
        model = Sequential([Dense(2, 16, seed=0), hidden_activation, Dense(16, 3, seed=1)])
        model.fit(X, y, epochs=3, batch_size=25, seed=0)  # 120 samples: the last batch is smaller
        return model

    reusing, plain = trained(nnlite.Tanh()), trained(PlainTanh())
    for key, value in reusing.params.items():
        np.testing.assert_array_equal(value, plain.params[key])
    assert reusing.layers[1].reuse_buffers is False and not reusing.layers[1]._buffers
    first, second = reusing.predict(X[:5]), reusing.predict(X[5:10])
    assert not np.shares_memory(first, second)


def test_one_layer_object_at_two_positions_is_refused():
    relu = nnlite.ReLU()
    with pytest.raises(ValueError, match="layers 1 and 3 are the same object"):
        Sequential([Dense(2, 4, seed=0), relu, Dense(4, 4, seed=1), relu, Dense(4, 2, seed=2)])
