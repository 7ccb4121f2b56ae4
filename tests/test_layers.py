import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import nnlite
from nnlite import Dense, Sequential, gradcheck


def loop_forward(x, w, b):
    """inputs @ W + b written as explicit sums: an independent reference."""
    out = np.zeros((x.shape[0], w.shape[1]))
    for i in range(x.shape[0]):
        for j in range(w.shape[1]):
            out[i, j] = sum(x[i, k] * w[k, j] for k in range(x.shape[1])) + b[0, j]
    return out


def test_forward_matches_explicit_sums_and_shapes():
    layer = Dense(4, 3, seed=0)
    layer.biases[...] = [[0.5, -1.0, 2.0]]
    x = np.random.default_rng(1).standard_normal((5, 4))
    out = layer.forward(x)
    assert out.shape == (5, 3)
    np.testing.assert_allclose(out, loop_forward(x, layer.weights, layer.biases), rtol=1e-13, atol=1e-13)
    assert layer.inputs is x and layer.output is out
    assert layer.weights.shape == (4, 3) and layer.biases.shape == (1, 3)


def test_backward_matches_closed_form_and_gradcheck():
    layer = Dense(4, 3, seed=0)
    layer.biases[...] = np.random.default_rng(2).standard_normal((1, 3))
    x = np.random.default_rng(1).standard_normal((5, 4))
    d = np.random.default_rng(3).standard_normal((5, 3))
    layer.forward(x)
    dinputs = layer.backward(d)
    np.testing.assert_allclose(layer.dweights, x.T @ d, rtol=1e-13)
    np.testing.assert_allclose(layer.dbiases, d.sum(axis=0, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(dinputs, d @ layer.weights.T, rtol=1e-13)
    assert layer.dinputs is dinputs
    for init in ("he", "glorot", "normal"):
        result = gradcheck(Dense(4, 3, weight_init=init, seed=5), x)
        assert result.passed, str(result)
        assert set(result.tensors) == {"inputs", "weights", "biases"}


def test_params_and_grads_are_the_layer_arrays():
    layer = Dense(3, 2, seed=0)
    assert layer.params["weights"] is layer.weights and layer.params["biases"] is layer.biases
    layer.forward(np.ones((2, 3)))
    layer.backward(np.ones((2, 2)))
    assert layer.grads["weights"] is layer.dweights and layer.grads["biases"] is layer.dbiases
    layer.params["weights"] -= 1.0  # what an optimizer does
    np.testing.assert_array_equal(layer.forward(np.zeros((1, 3))), layer.biases)
    before = layer.weights.copy()
    layer.params["weights"][0, 0] += 2.0
    assert layer.weights[0, 0] == before[0, 0] + 2.0


def test_weight_initialisations_follow_their_formulas():
    he = Dense(500, 400, weight_init="he", seed=0).weights
    assert he.std() == pytest.approx(np.sqrt(2 / 500), rel=0.01)
    assert abs(he.mean()) < 0.002
    glorot = Dense(300, 200, weight_init="glorot", seed=0).weights
    limit = np.sqrt(6 / 500)
    assert glorot.min() >= -limit and glorot.max() <= limit
    assert glorot.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)  # std of U(-a, a)
    assert Dense(300, 200, weight_init="normal", seed=0).weights.std() == pytest.approx(0.01, rel=0.02)
    assert not Dense(3, 2, weight_init="zeros").weights.any()
    assert not Dense(3, 2, seed=0).biases.any()


def test_randomness_is_seeded_and_leaves_global_state_alone():
    state = np.random.get_state()[1].copy()
    a, b = Dense(6, 4, seed=7), Dense(6, 4, seed=7)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert not np.array_equal(a.weights, Dense(6, 4, seed=8).weights)
    rng = np.random.default_rng(7)
    np.testing.assert_array_equal(Dense(6, 4, rng=rng).weights, a.weights)
    assert not np.array_equal(Dense(6, 4, rng=rng).weights, a.weights)  # the generator moved on
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_dtypes_float32_stays_float32_and_integers_promote():
    layer = Dense(3, 2, seed=0, dtype=np.float32)
    assert layer.weights.dtype == np.float32 and layer.biases.dtype == np.float32
    out = layer.forward(np.ones((4, 3), dtype=np.float32))
    assert out.dtype == np.float32
    assert layer.backward(np.ones((4, 2), dtype=np.float32)).dtype == np.float32
    assert layer.dweights.dtype == np.float32 and layer.dbiases.dtype == np.float32
    np.testing.assert_allclose(layer.weights, Dense(3, 2, seed=0).weights, rtol=1e-7)
    out64 = Dense(3, 2, seed=0).forward(np.ones((4, 3), dtype=np.int64))
    assert out64.dtype == np.float64


def test_outputs_are_fresh_arrays_outside_training():
    layer = Dense(3, 2, seed=0)
    first = layer.forward(np.ones((2, 3)))
    saved = first.copy()
    layer.forward(np.zeros((2, 3)))
    np.testing.assert_array_equal(first, saved)


def test_regularization_loss_and_gradient():
    layer = Dense(4, 3, seed=0, l1=0.01, l2=0.02)
    w = layer.weights
    assert layer.regularization_loss() == pytest.approx(0.01 * np.abs(w).sum() + 0.02 * (w**2).sum(), rel=1e-13)
    assert Dense(4, 3, seed=0).regularization_loss() == 0.0
    x = np.random.default_rng(1).standard_normal((5, 4))
    d = np.random.default_rng(2).standard_normal((5, 3))
    layer.forward(x)
    layer.backward(d)
    np.testing.assert_allclose(layer.dweights, x.T @ d + 0.01 * np.sign(w) + 0.04 * w, rtol=1e-12)
    # The penalty's gradient against finite differences of the penalised loss.
    model = Sequential([layer])
    result = gradcheck(model.with_loss("mse"), x, targets=np.zeros((5, 3)))
    assert result.passed, str(result)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_inputs": 0, "n_neurons": 3}, ValueError, "n_inputs"),
        ({"n_inputs": 2.5, "n_neurons": 3}, ValueError, "n_inputs"),
        ({"n_inputs": 2, "n_neurons": -1}, ValueError, "n_neurons"),
        ({"n_inputs": 2, "n_neurons": 3, "weight_init": "xavier"}, ValueError, "weight_init"),
        ({"n_inputs": 2, "n_neurons": 3, "seed": 0, "rng": np.random.default_rng(0)}, ValueError, "not both"),
        ({"n_inputs": 2, "n_neurons": 3, "rng": 0}, TypeError, "Generator"),
        ({"n_inputs": 2, "n_neurons": 3, "l2": -1}, ValueError, "l2"),
        ({"n_inputs": 2, "n_neurons": 3, "dtype": np.int32}, TypeError, "float"),
    ],
)
def test_bad_constructor_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        Dense(**kwargs)


def test_bad_inputs_and_order_errors():
    layer = Dense(4, 3, seed=0)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(n_samples, 4\).*\(2, 5\)"):
        layer.forward(np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"\(4,\)"):
        layer.forward(np.ones(4))
    with pytest.raises(TypeError, match="real numeric"):
        layer.forward(np.array([["a"] * 4]))
    layer.forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"\(2, 4\).*\(2, 3\)"):
        layer.backward(np.ones((2, 4)))


def test_registry_and_repr():
    layer = nnlite.layers.get("Dense", n_inputs=3, n_neurons=2)
    assert isinstance(layer, Dense)
    assert "Dense(n_inputs=3, n_neurons=2" in repr(layer)
    with pytest.raises(ValueError, match="unknown layer"):
        nnlite.layers.get("Conv2D")


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 5), n_in=st.integers(1, 6), n_out=st.integers(1, 6),
    dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16),
)
def test_dense_shapes_dtypes_and_linearity(n, n_in, n_out, dtype, seed):
    layer = Dense(n_in, n_out, seed=seed, dtype=dtype)
    layer.biases[...] = 0
    rng = np.random.default_rng(seed)
    x1, x2 = (rng.standard_normal((n, n_in)).astype(dtype) for _ in range(2))
    out = layer.forward(x1 + x2)
    assert out.shape == (n, n_out) and out.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, layer.forward(x1) + layer.forward(x2), rtol=tol, atol=tol)
    dinputs = layer.backward(np.ones((n, n_out), dtype=dtype))
    assert dinputs.shape == x1.shape and dinputs.dtype == dtype
    # With all-ones dvalues every input gets the row sums of W.
    np.testing.assert_allclose(dinputs, np.tile(layer.weights.sum(axis=1), (n, 1)), rtol=tol, atol=tol)
