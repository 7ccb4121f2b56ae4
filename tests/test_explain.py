"""nnlite.explain: the chain-rule factors multiply to backward's gradient and match finite differences."""

import math

import numpy as np
import pytest
from matplotlib.figure import Figure

import nnlite
from nnlite import Dense, ReLU, Sequential, Sigmoid, Softmax, Tanh, explain
from nnlite.cli import main
from nnlite.neuron import OneNeuron

RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 3))
Y = RNG.random((6, 2))


def check_factors(result, backward_grads):
    """Each step's dL/dw and dL/db: product of the factors = backward's gradient (batch, and per sample
    through `backward_grads(s)`), and every factor = its finite difference."""
    batch = backward_grads(slice(None))
    for k, step in enumerate(result.steps):
        f = {q.symbol: q.values for q in step.backward}
        np.testing.assert_array_equal(f["dL/dz"], f["dL/da"] * f["da/dz"])
        np.testing.assert_array_equal(f["dL/dw"], f["dL/dz"] * f["dz/dw"])
        np.testing.assert_allclose(step["dL/dw"].batch, batch[k][0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(step["dL/db"].batch, batch[k][1], rtol=1e-12, atol=1e-15)
        for s in range(result.n_samples):
            dw, db = backward_grads(slice(s, s + 1))[k]
            np.testing.assert_allclose(f["dL/dw"][s], dw, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(f["dL/db"][s], db, rtol=1e-12, atol=1e-15)
        for q in step.backward:
            np.testing.assert_allclose(q.values, q.numeric, rtol=1e-6, atol=1e-8, err_msg=q.symbol)
            np.testing.assert_allclose(q.batch, q.batch_numeric, rtol=1e-6, atol=1e-8, err_msg=q.symbol)
    np.testing.assert_allclose(result.loss, result.losses.mean(), rtol=1e-12)


def network_grads(model, x, y, loss, entries):
    """backward_grads for a Sequential: (dL/dW[i, j], dL/db[j]) per Dense layer on the samples `rows`."""
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]

    def grads(rows):
        with_loss = model.with_loss(loss)
        with_loss.forward(x[rows], y[rows])
        with_loss.backward()
        return [(d.dweights[i, j], d.dbiases[0, j]) for d, (i, j) in zip(dense, entries)]

    return grads


def test_one_neuron_factors():
    x, y = np.array([0.3, -1.0, 2.0, 0.05]), np.array([1.0, 0.0, 1.0, -0.5])
    neuron = OneNeuron("tanh", weight=2.0, bias=0.5)
    result = explain(neuron, x, y, sample=1)

    def grads(rows):
        loss = nnlite.losses.get("mse")
        loss.forward(neuron.forward(x[rows]), y[rows])
        neuron.backward(loss.backward())
        return [(neuron.grads["weight"].item(), neuron.grads["bias"].item())]

    check_factors(result, grads)
    step = result.steps[0]
    z = 2.0 * x + 0.5
    np.testing.assert_allclose(step["z"].values, z)
    np.testing.assert_allclose(step["da/dz"].values, 1 - np.tanh(z) ** 2)
    np.testing.assert_allclose(step["dL/da"].values, 2 * (np.tanh(z) - y))
    np.testing.assert_array_equal(step["dz/dw"].values, x)
    assert result.model == "OneNeuron(tanh, w=2, b=0.5)"


def test_dense_activation_pair_factors():
    dense = Dense(3, 4, seed=1)
    dense.biases[...] = RNG.normal(size=(1, 4))
    y = RNG.random((6, 4))
    result = explain((dense, "sigmoid"), X, y, entry=(2, 3), loss="mse")
    check_factors(result, network_grads(Sequential([dense, Sigmoid()]), X, y, "mse", [(2, 3)]))
    assert result.steps[0].title == "Dense(3, 4) + sigmoid"


def test_sequential_factors_and_state():
    model = Sequential([Dense(3, 5, seed=0), Tanh(), Dense(5, 4, seed=1), Sigmoid(), Dense(4, 2, seed=2)])
    before = {k: p.copy() for k, p in model.params.items()}
    entries = [(0, 1), (4, 2), (3, 1)]
    result = explain(model, X, Y, entry=entries, sample=3)
    for k, p in model.params.items():
        np.testing.assert_array_equal(p, before[k])  # finite differences restore every weight exactly
    grads_after = {k: g.copy() for k, g in model.grads.items()}
    check_factors(result, network_grads(model, X, Y, "mse", entries))
    assert [s.layer for s in result.steps] == [1, 2, 3]
    assert result.steps[2]["a"].formula == "linear(z)"
    # explain leaves the batch's gradients in the model, as backward on the batch would
    with_loss = model.with_loss("mse")
    with_loss.forward(X, Y)
    with_loss.backward()
    for k, g in model.grads.items():
        np.testing.assert_allclose(grads_after[k], g, rtol=1e-12)


def test_sequential_relu_logits_softmax_cross_entropy():
    model = Sequential([Dense(3, 8, seed=3), ReLU(), Dense(8, 3, seed=4)])
    labels = np.array([0, 1, 2, 1, 0, 2])
    # keep the ReLU pre-activations away from its kink, where finite differences straddle the corner
    model.layers[0].biases[...] = 0.01 * np.sign(model.layers[0].biases + 0.5)
    z = X @ model.layers[0].weights + model.layers[0].biases
    assert np.abs(z).min() > 1e-3
    result = explain(model, X, labels, loss="softmax_cross_entropy", entry=[(1, 2), (2, 0)])
    check_factors(result, network_grads(model, X, labels, "softmax_cross_entropy", [(1, 2), (2, 0)]))


def test_activation_with_one_parameter_per_unit():
    model = Sequential([Dense(3, 4, seed=5), nnlite.activations.get("prelu", num_parameters=4), Dense(4, 2, seed=6)])
    model.layers[1].params["alpha"][...] = [0.1, 0.2, 0.3, 0.4]
    entries = [(0, 2), (1, 1)]
    result = explain(model, X, Y, entry=entries)
    check_factors(result, network_grads(model, X, Y, "mse", entries))
    z = result.steps[0]["z"].values
    np.testing.assert_allclose(result.steps[0]["da/dz"].values, np.where(z > 0, 1.0, 0.3))


def test_batch_average_is_average_of_products_not_product_of_averages():
    result = explain(OneNeuron("sigmoid", weight=1.5, bias=-0.2), [-2.0, 0.5, 3.0], [0.0, 1.0, 1.0])
    step = result.steps[0]
    product_of_means = step["dL/da"].batch * step["da/dz"].batch * step["dz/dw"].batch
    assert step["dL/dw"].batch == pytest.approx(np.mean(step["dL/da"].values * step["da/dz"].values * step["x"].values))
    assert not math.isclose(step["dL/dw"].batch, product_of_means, rel_tol=1e-3)


def test_text_and_markdown_name_every_factor():
    one = explain(OneNeuron("tanh", weight=2.0, bias=0.5), 0.3, 1.0)
    text, md = str(one), one.to_markdown()
    for name in ("z", "a", "L", "dL/da", "da/dz", "dL/dz", "dz/dw", "dL/dw", "dL/db", "finite diff."):
        assert name in text and name in md
    assert "batch mean" not in text  # one sample: one value column
    assert "| 1 | dL/dw | `dL/dz * dz/dw` |" in md
    batch = explain(OneNeuron("tanh"), [0.1, 0.2], [0.0, 1.0], sample=1)
    assert "sample 1" in str(batch) and "batch mean" in batch.to_markdown()
    seq = str(explain(Sequential([Dense(3, 2, seed=0), Tanh(), Dense(2, 2, seed=1)]), X, Y))
    assert "Sequential: Dense(3, 2) + tanh -> Dense(2, 2) + linear" in seq
    # the backward table runs from the last layer to the first
    backward = seq.split("backward pass")[1]
    assert backward.index("\n2 ") < backward.index("\n1 ")


def test_a_finite_difference_that_straddles_a_clip_is_starred():
    # sigmoid(-14.6) = 4.6e-7: a step of 1e-6 in a crosses bce's clip at 1e-7
    clipped = explain(OneNeuron("sigmoid", weight=1.0, bias=0.0), [-14.6, 0.5], [0.0, 1.0], loss="bce")
    assert "0.678177 *" in str(clipped) and "crossed a kink or a clipping" in str(clipped)
    assert "crossed a kink" in clipped.to_markdown()
    clear = str(explain(OneNeuron("sigmoid"), [-3.0, 0.5], [0.0, 1.0], loss="bce"))
    assert "crossed a kink" not in clear and not any(line.endswith(" *") for line in clear.splitlines())


def test_figure_marks_preactivations_and_saturation():
    fig = explain(OneNeuron("tanh", weight=20.0), [0.5, -0.6, 0.8], [1.0, -1.0, 1.0]).figure()
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    assert "100% with |f'(z)| < 0.01" in fig.axes[0].get_title()
    two = explain(Sequential([Dense(3, 4, seed=0), Tanh(), Dense(4, 2, seed=1), Sigmoid()]), X, Y).figure()
    assert [ax.get_title().split(",")[0] for ax in two.axes] == ["layer 1: tanh", "layer 2: sigmoid"]


def test_clear_errors():
    with pytest.raises(ValueError, match="not elementwise"):
        explain(Sequential([Dense(3, 2, seed=0), Softmax()]), X, Y, loss="categorical_cross_entropy")
    with pytest.raises(ValueError, match="L1/L2"):
        explain(Sequential([Dense(3, 2, seed=0, l2=0.1)]), X, Y)
    with pytest.raises(TypeError, match="float64"):
        explain(Dense(3, 2, seed=0, dtype=np.float32), X, Y)
    with pytest.raises(ValueError, match="must follow a Dense"):
        explain(Sequential([Tanh(), Dense(3, 2, seed=0)]), X, Y)
    with pytest.raises(TypeError, match="explain takes"):
        explain(object(), X, Y)
    with pytest.raises(ValueError, match="6 samples but y has 2"):
        explain(Dense(3, 2, seed=0), X, Y[:2])
    with pytest.raises(ValueError, match="sample must lie"):
        explain(Dense(3, 2, seed=0), X, Y, sample=6)
    with pytest.raises(ValueError, match="outside"):
        explain(Dense(3, 2, seed=0), X, Y, entry=(3, 0))
    with pytest.raises(ValueError, match="2 entries for 1"):
        explain(Dense(3, 2, seed=0), X, Y, entry=[(0, 0), (1, 1)])
    with pytest.raises(KeyError, match="no quantity"):
        explain(Dense(3, 2, seed=0), X, Y).steps[0]["dL/dx"]


def test_cli_prints_the_table(capsys):
    assert main(["explain", "--activation", "tanh", "--weight", "2", "--bias", "0.5",
                 "--x", "0.3", "--target", "1"]) == 0
    out = capsys.readouterr().out
    a = math.tanh(1.1)
    dL_dw = 2 * (a - 1) * (1 - a * a) * 0.3
    assert "OneNeuron(tanh, w=2, b=0.5)" in out
    assert out.count(f"{dL_dw:.6g}") == 2  # the value and its finite difference
    assert main(["explain", "--x", "0.3", "-1", "--target", "1", "0", "--loss", "mse", "--markdown"]) == 0
    assert "| layer | quantity |" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["explain", "--x", "0.3", "-1", "--target", "1"])
    assert "2 samples but y has 1" in capsys.readouterr().err
