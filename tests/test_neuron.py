"""OneNeuron: forward/backward against gradcheck, sweep shapes and values, fit, errors."""

import numpy as np
import pytest

import nnlite
from nnlite import activations
from nnlite.neuron import NeuronHistory, OneNeuron


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softplus", "linear", "elu"])
def test_backward_passes_gradcheck(name):
    neuron = OneNeuron(name, weight=0.7, bias=-0.3)
    x = np.linspace(-2.1, 1.9, 13)
    result = nnlite.gradcheck(neuron, x)
    assert result.passed, str(result)
    assert set(result.tensors) == {"inputs", "weight", "bias"}


def test_forward_backward_values_and_state():
    neuron = OneNeuron("tanh", weight=2.0, bias=0.5)
    x = np.array([-1.0, 0.0, 0.3])
    y = neuron.forward(x)
    np.testing.assert_allclose(y, np.tanh(2 * x + 0.5), rtol=1e-15)
    assert neuron.inputs is x and neuron.output is y
    dy = np.array([1.0, -2.0, 0.5])
    dz = dy * (1 - np.tanh(2 * x + 0.5) ** 2)
    np.testing.assert_allclose(neuron.backward(dy), 2 * dz, rtol=1e-14)
    assert neuron.grads["weight"][0] == pytest.approx(np.sum(dz * x))
    assert neuron.grads["bias"][0] == pytest.approx(np.sum(dz))
    assert neuron.weight == 2.0 and neuron.bias == 0.5


def test_dtype_and_activation_instances():
    neuron = OneNeuron(activations.get("leaky_relu", alpha=0.2), weight=3.0)
    x32 = np.linspace(-1, 1, 5, dtype=np.float32)
    assert neuron.forward(x32).dtype == np.float32
    assert neuron.backward(np.ones(5, np.float32)).dtype == np.float32
    assert neuron.sweep(x32, [1.0, 2.0]).dtype == np.float32
    np.testing.assert_allclose(neuron.forward(np.array([-1.0, 1.0])), [-0.6, 3.0])


def test_sweep_is_the_outer_product_through_f():
    x = np.random.default_rng(0).standard_normal(50)
    w = np.arange(0.1, 2, 0.1)
    neuron = OneNeuron("tanh")
    t = neuron.sweep(x, w)
    assert t.shape == (len(w), len(x))
    np.testing.assert_array_equal(t, np.tanh(np.outer(w, x)))
    biases = [0.0, 1.0, 2.5]
    tb = neuron.sweep(x, w, biases)
    assert tb.shape == (3, len(w), len(x))
    for i, b in enumerate(biases):
        np.testing.assert_array_equal(tb[i], np.tanh(np.outer(w, x) + b))
    assert neuron.output is None  # sweep leaves the layer state alone


def test_params_are_updated_in_place():
    neuron = OneNeuron("sigmoid", weight=1.0)
    w = neuron.params["weight"]
    neuron.weight = 4.0
    assert neuron.params["weight"] is w and w[0] == 4.0


def test_fit_regression_learns_the_target_weight():
    x = np.random.default_rng(1).standard_normal(400)
    neuron = OneNeuron("tanh", weight=0.1, bias=0.2)
    history = neuron.fit(x, np.tanh(3 * x), epochs=1000, learning_rate=1.0)
    assert isinstance(history, NeuronHistory)
    assert len(history.weight) == len(history.loss) == 1001 and not history.mi_xt
    assert history.loss[-1] < 1e-3 < history.loss[0]
    assert neuron.weight == pytest.approx(3.0, abs=0.1) and abs(neuron.bias) < 0.05
    assert history.weight[-1] == neuron.weight


def test_fit_records_the_information_plane():
    x = np.random.default_rng(2).standard_normal(500)
    history = OneNeuron("sigmoid", weight=0.1).fit(
        x, (x > 0).astype(float), loss="bce", epochs=40, learning_rate=2.0, information=True, bins=30
    )
    assert len(history.mi_xt) == len(history.mi_ty) == 41
    # the weight grows, the sigmoid saturates: I(X;T) falls; T stays monotone in x, so the
    # bins keep separating the two classes and I(T;Y) stays near H(Y) ~ 1 bit
    assert history.weight[-1] > 3
    assert history.mi_xt[-1] < history.mi_xt[0] - 0.5
    assert min(history.mi_ty) > 0.9


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: OneNeuron("nope"), "unknown activation"),
        (lambda: OneNeuron("tanh", weight=np.nan), "weight"),
        (lambda: OneNeuron("tanh", bias=[1.0, 2.0]), "bias"),
        (lambda: OneNeuron().backward(np.ones(3)), "before forward"),
        (lambda: OneNeuron().sweep(np.ones((2, 2)), [1.0]), "1-D"),
        (lambda: OneNeuron().sweep(np.ones(3), [[1.0]]), "weights"),
        (lambda: OneNeuron().sweep(np.ones(3), [1.0], [[0.0]]), "bias"),
        (lambda: OneNeuron().fit(np.ones(3), np.ones(4)), "same length"),
        (lambda: OneNeuron().fit(np.ones(3), np.ones(3), epochs=-1), "epochs"),
        (lambda: OneNeuron().fit(np.ones(3), np.ones(3), learning_rate=0), "learning_rate"),
    ],
)
def test_errors_are_clear(call, message):
    with pytest.raises((ValueError, TypeError, RuntimeError), match=message):
        call()
