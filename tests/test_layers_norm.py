"""Dropout, BatchNorm and LayerNorm: gradients (finite differences), values (PyTorch), modes, state."""

import warnings

import numpy as np
import pytest

import nnlite
from nnlite import BatchNorm, Dense, Dropout, LayerNorm, ReLU, Sequential, gradcheck

RNG = np.random.default_rng(0)
X = RNG.standard_normal((8, 5)) * 3 + 1


class FixedMask:
    """Dropout with the same mask at every forward (finite differences need a deterministic function)."""

    def __init__(self, rate):
        self.layer = Dropout(rate, seed=0)
        self.start = self.layer.state  # the generator's state, put back before every forward
        self.params, self.grads = {}, {}

    def forward(self, inputs):
        self.layer.set_state(self.start)
        return self.layer.forward(inputs)

    def backward(self, dvalues):
        return self.layer.backward(dvalues)


def with_random_affine(layer):
    layer.gamma[...] = RNG.standard_normal(layer.gamma.shape)
    layer.beta[...] = RNG.standard_normal(layer.beta.shape)
    return layer


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradients_in_both_modes(training):
    layer = with_random_affine(BatchNorm(5))
    layer.running_mean[...] = RNG.standard_normal(5)
    layer.running_var[...] = RNG.random(5) + 0.5
    layer.training = training
    assert gradcheck(layer, X, atol=1e-7, rtol=1e-5).passed


def test_layernorm_and_dropout_gradients():
    assert gradcheck(with_random_affine(LayerNorm(5)), X, atol=1e-7, rtol=1e-5).passed
    assert gradcheck(with_random_affine(LayerNorm(5)), RNG.standard_normal((2, 3, 5)), atol=1e-7, rtol=1e-5).passed
    assert gradcheck(FixedMask(0.4), X).passed
    inference = Dropout(0.4, seed=0)
    inference.training = False
    assert gradcheck(inference, X).passed


def test_whole_network_with_batchnorm_gradchecks():
    model = Sequential([Dense(5, 6, seed=0), with_random_affine(BatchNorm(6)), nnlite.Tanh(), Dense(6, 3, seed=1),
                        with_random_affine(LayerNorm(3))])
    assert gradcheck(model.with_loss("softmax_cross_entropy"), X, targets=RNG.integers(0, 3, 8)).passed


def test_batchnorm_matches_pytorch_forward_backward_and_running_statistics():
    torch = pytest.importorskip("torch")
    ours = with_random_affine(BatchNorm(5, momentum=0.9, eps=1e-5))
    theirs = torch.nn.BatchNorm1d(5, momentum=0.1, eps=1e-5, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.gamma))
        theirs.bias.copy_(torch.from_numpy(ours.beta))
    dvalues = RNG.standard_normal(X.shape)
    for step in range(3):  # the running statistics accumulate over batches
        batch = X + step
        x = torch.tensor(batch, requires_grad=True)
        out = theirs(x)
        out.backward(torch.from_numpy(dvalues))
        np.testing.assert_allclose(ours.forward(batch), out.detach().numpy(), rtol=1e-12, atol=1e-12)
        ours.backward(dvalues)
        np.testing.assert_allclose(ours.dinputs, x.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.dgamma, theirs.weight.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.dbeta, theirs.bias.grad.numpy(), rtol=1e-12)
        theirs.zero_grad()
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    ours.training, theirs.training = False, False
    np.testing.assert_allclose(ours.forward(X), theirs(torch.from_numpy(X)).detach().numpy(), rtol=1e-12, atol=1e-12)


def test_layernorm_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = with_random_affine(LayerNorm(5))
    theirs = torch.nn.LayerNorm(5, eps=1e-5, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.gamma))
        theirs.bias.copy_(torch.from_numpy(ours.beta))
    x = torch.tensor(X, requires_grad=True)
    dvalues = RNG.standard_normal(X.shape)
    theirs(x).backward(torch.from_numpy(dvalues))
    np.testing.assert_allclose(ours.forward(X), theirs(x).detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.backward(dvalues), x.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.dgamma, theirs.weight.grad.numpy(), rtol=1e-12)


def test_dropout_is_inverted_dropout_like_pytorch():
    torch = pytest.importorskip("torch")
    x = np.ones((400, 500))
    ours = Dropout(0.3, seed=1).forward(x)
    theirs = torch.nn.functional.dropout(torch.from_numpy(x), p=0.3, training=True).numpy()
    # Different generators, the same distribution: kept entries are 1 / (1 - p), about 70% of them kept.
    assert set(np.unique(ours)) == set(np.unique(theirs)) == {0.0, 1 / 0.7}
    assert abs((ours > 0).mean() - 0.7) < 0.005 and abs((theirs > 0).mean() - 0.7) < 0.005
    assert abs(ours.mean() - 1) < 0.01


def test_dropout_modes_masks_and_reproducibility():
    layer = Dropout(0.5, seed=3)
    out = layer.forward(X)
    np.testing.assert_array_equal(layer.backward(np.ones_like(X)), layer.mask)
    np.testing.assert_array_equal(out, X * layer.mask)
    np.testing.assert_array_equal(Dropout(0.5, seed=3).forward(X), out)
    assert not np.array_equal(layer.forward(X), out)  # a fresh mask per call
    layer.training = False
    assert layer.forward(X) is not None and np.array_equal(layer.forward(X), X)
    out = Dropout(0.0, seed=0).forward(X)
    assert np.array_equal(out, X) and out is not X  # a copy: writing into it leaves the caller's X alone
    x32 = X.astype(np.float32)
    assert Dropout(0.5, seed=0).forward(x32).dtype == np.float32


def test_float32_stays_float32_and_extreme_inputs_stay_finite_without_warnings():
    for layer in (BatchNorm(5, dtype=np.float32), LayerNorm(5, dtype=np.float32)):
        out = layer.forward(X.astype(np.float32))
        assert out.dtype == np.float32 and layer.backward(np.ones_like(out)).dtype == np.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unit = X / np.abs(X).max()
        for scale in (1e-300, 1e150, 1e300, 1.7e308):
            for layer, axis in ((BatchNorm(5), 0), (LayerNorm(5), 1)):
                out = layer.forward(unit * scale)
                assert np.all(np.isfinite(out))
                if scale > 1:  # eps is negligible: the closed form (x - mean) / std of the unscaled data
                    reference = (X - X.mean(axis, keepdims=True)) / X.std(axis, keepdims=True)
                    np.testing.assert_allclose(out, reference, rtol=1e-12, atol=1e-12)
                assert np.all(np.isfinite(layer.backward(np.ones_like(out))))
        constant = BatchNorm(5).forward(np.full((4, 5), 7.0))
        np.testing.assert_array_equal(constant, 0.0)


def test_network_sets_modes_and_a_user_choice_wins():
    X_train, y_train = nnlite.datasets.spiral(20, 3, seed=0)
    seen = []

    class Spy(nnlite.Layer):
        params, grads = {}, {}

        def forward(self, inputs):
            seen.append(self.training)
            self.output = inputs
            return inputs

        def backward(self, dvalues):
            return dvalues

    spy, dropout = Spy(), Dropout(0.5, seed=0)
    model = Sequential([Dense(2, 8, seed=0), spy, dropout, ReLU(), Dense(8, 3, seed=1)])
    model.fit(X_train, y_train, epochs=1, batch_size=60, seed=0, validation_data=(X_train, y_train))
    assert seen == [False, True, False]  # shape probe, one batch, validation
    seen.clear()
    first = model.predict(X_train)
    np.testing.assert_array_equal(model.predict(X_train), first)  # Dropout off: deterministic
    assert seen == [False, False] and spy.training is True  # the mode outside fit/predict is put back
    dropout.training = True  # Monte-Carlo dropout at prediction time
    assert not np.array_equal(model.predict(X_train), first)
    spy.training = False
    model.fit(X_train, y_train, epochs=1, batch_size=60, seed=0)
    assert seen[-1] is False
    spy.training = None  # follow the network again
    assert spy.training is True
    with pytest.raises(TypeError, match="True, False or None"):
        spy.training = "yes"


def test_batchnorm_state_is_saved_and_loaded(tmp_path):
    model = Sequential([Dense(5, 4, seed=0), BatchNorm(4), Dropout(0.2, seed=1), Dense(4, 2, seed=2)])
    model.fit(X, RNG.integers(0, 2, 8), epochs=3, batch_size=4, seed=0)
    assert not np.array_equal(model.layers[1].running_var, 1.0)
    model.save(tmp_path / "bn.npz")
    loaded = Sequential.load(tmp_path / "bn.npz")
    for key in ("running_mean", "running_var"):
        np.testing.assert_array_equal(loaded.layers[1].state[key], model.layers[1].state[key])
    np.testing.assert_array_equal(loaded.layers[2].state["rng_state"], model.layers[2].state["rng_state"])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_bad_arguments_and_inputs():
    for make, match in [
        (lambda: Dropout(1.0), "rate"), (lambda: Dropout(-0.1), "rate"),
        (lambda: Dropout(0.5, seed=1, rng=1), "not both"),
        (lambda: BatchNorm(0), "n_features"), (lambda: BatchNorm(3, momentum=1.0), "momentum"),
        (lambda: BatchNorm(3, eps=0), "eps"), (lambda: LayerNorm(2.5), "n_features"),
        (lambda: LayerNorm(3, eps=-1), "eps"),
    ]:
        with pytest.raises(ValueError, match=match):
            make()
    with pytest.raises(TypeError, match="dtype"):
        BatchNorm(3, dtype=int)
    with pytest.raises(TypeError, match="Generator"):
        Dropout(0.5, rng=np.random.RandomState(0))
    with pytest.raises(TypeError, match="PCG64"):
        Dropout(0.5, rng=np.random.Generator(np.random.MT19937(0)))
    with pytest.raises(ValueError, match=r"\(n_samples >= 1, 5\)"):
        BatchNorm(5).forward(np.ones((3, 4)))
    with pytest.raises(ValueError, match="last axis has 5"):
        LayerNorm(5).forward(np.ones((3, 4)))
    for layer in (BatchNorm(5), LayerNorm(5), Dropout(0.5)):
        with pytest.raises(RuntimeError, match="before forward"):
            layer.backward(np.ones((3, 5)))
    with pytest.raises(ValueError, match="state"):
        BatchNorm(5).set_state({"running_mean": np.zeros(4), "running_var": np.ones(5)})
    with pytest.raises(ValueError, match="rng_state"):
        Dropout(0.5).set_state({"rng_state": np.zeros(6)})
    config = {"n_features": 3, "momentum": 0.8, "eps": 1e-5, "dtype": "float64"}
    assert BatchNorm(3, momentum=0.8).get_config() == config
    assert Dropout(0.25, seed=4).get_config() == {"rate": 0.25, "seed": 4}


def test_batchnorm_refuses_a_training_batch_of_one_sample():
    # one sample has variance 0: the running variance was updated with 0 and decayed (a fit on 33
    # samples in batches of 32 kept about half the true variance, and inference outputs came out
    # sqrt(2) too large); PyTorch refuses the same batch
    layer = BatchNorm(5)
    with pytest.raises(ValueError, match=r"at least 2 samples per batch, got 1"):
        layer.forward(X[:1])
    np.testing.assert_array_equal(layer.running_var, np.ones(5))
    layer.training = False  # inference: one sample is normalised with the running statistics
    np.testing.assert_allclose(layer.forward(X[:1]), X[:1] / np.sqrt(1 + layer.eps))


def test_fit_refuses_a_last_batch_of_one_sample_before_training():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((33, 5)), rng.integers(0, 2, 33)
    model = Sequential([Dense(5, 4, seed=0), BatchNorm(4), ReLU(), Dense(4, 2, seed=1)])
    before = model.layers[0].weights.copy()
    with pytest.raises(ValueError, match=r"33 samples in batches of 32 leave a last batch of 1 .*1\.batchnorm"
                                         r".*the nearest that works: 31"):
        model.fit(x, y, epochs=1, batch_size=32, seed=0)
    np.testing.assert_array_equal(model.layers[0].weights, before)  # refused before any batch
    with pytest.raises(ValueError, match=r"fit: 1 sample, and 1\.batchnorm"):
        model.fit(x[:1], y[:1], epochs=1, seed=0)
    model.fit(x, y, epochs=1, batch_size=33, seed=0)  # one batch of 33
    model.layers[1].training = False  # a BatchNorm the user keeps in inference mode needs no pairs
    model.fit(x, y, epochs=1, batch_size=32, seed=0)
    # the running variance after a full-batch step is PyTorch's: momentum-weighted unbiased variance
    model.layers[1].training = None
    model.layers[1].running_var[...] = 1
    hidden = model.layers[0].forward(x)
    model.fit(x, y, epochs=1, batch_size=33, seed=0)  # the statistics come before the step
    np.testing.assert_allclose(model.layers[1].running_var, 0.9 + 0.1 * hidden.var(axis=0, ddof=1), rtol=1e-12)


def test_fit_probes_shapes_without_moving_layers_the_user_put_in_training_mode():
    # fit checks the layers' shapes with one sample in inference mode; a layer the user forced into
    # training mode took that sample in training: BatchNorm refused it (and had decayed its running
    # variance with it before), Dropout drew a mask
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((64, 3)), np.arange(64) % 2
    norm, drop = BatchNorm(4), Dropout(0.5, seed=3)
    norm.training = drop.training = True
    model = Sequential([Dense(3, 4, seed=0), norm, ReLU(), drop, Dense(4, 2, seed=1)])
    drop_state = drop.state["rng_state"].copy()
    model.fit(x, y, epochs=0)  # the probe alone
    np.testing.assert_array_equal(norm.running_var, np.ones(4))
    np.testing.assert_array_equal(drop.state["rng_state"], drop_state)
    assert norm.training is True and drop.training is True  # the user's choice is back
    model.fit(x, y, epochs=1, batch_size=32, seed=0)
    assert not np.array_equal(norm.running_var, np.ones(4))
