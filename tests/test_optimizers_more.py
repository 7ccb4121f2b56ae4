"""RMSProp, AdaGrad, AdamW step for step against PyTorch; optimizer state per parameter (issue 11)."""

import numpy as np
import pytest

from nnlite import SGD, AdaGrad, Adam, AdamW, Dense, RMSProp, optimizers

RNG = np.random.default_rng(0)
GRADS = [RNG.standard_normal((3, 4)) * 10.0 ** RNG.integers(-3, 3) for _ in range(6)]


class Param:
    def __init__(self, value):
        self.params = {"w": np.array(value, dtype=np.float64)}
        self.grads = {"w": np.zeros_like(self.params["w"])}


def torch_trajectory(torch_optimizer, start, grads, **kwargs):
    torch = pytest.importorskip("torch")
    w = torch.tensor(start, requires_grad=True)
    opt = torch_optimizer([w], **kwargs)
    out = []
    for g in grads:
        w.grad = torch.from_numpy(g.copy())
        opt.step()
        out.append(w.detach().numpy().copy())
    return out


def nnlite_trajectory(optimizer, start, grads):
    p = Param(start)
    out = []
    for g in grads:
        p.grads["w"][...] = g
        optimizer.step(p)
        out.append(p.params["w"].copy())
    return out


CASES = [
    ("RMSprop", lambda: RMSProp(0.01), {"lr": 0.01}),
    ("RMSprop", lambda: RMSProp(0.02, rho=0.9, epsilon=1e-6, momentum=0.8),
     {"lr": 0.02, "alpha": 0.9, "eps": 1e-6, "momentum": 0.8}),
    ("Adagrad", lambda: AdaGrad(0.1), {"lr": 0.1}),
    ("Adagrad", lambda: AdaGrad(0.1, epsilon=1e-6, initial_accumulator_value=0.5),
     {"lr": 0.1, "eps": 1e-6, "initial_accumulator_value": 0.5}),
    ("AdamW", lambda: AdamW(0.01), {"lr": 0.01}),
    ("AdamW", lambda: AdamW(0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-6, weight_decay=0.3),
     {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.3}),
    ("Adam", lambda: Adam(0.01), {"lr": 0.01}),
]


@pytest.mark.parametrize("torch_name, make, kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_pytorch_step_for_step(torch_name, make, kwargs):
    torch = pytest.importorskip("torch")
    start = RNG.standard_normal((3, 4))
    expected = torch_trajectory(getattr(torch.optim, torch_name), start, GRADS, **kwargs)
    for ours, theirs in zip(nnlite_trajectory(make(), start, GRADS), expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_float32_stays_float32():
    for make in (RMSProp, AdaGrad, AdamW):
        p = Param(np.ones(3, np.float32))
        p.params["w"] = p.params["w"].astype(np.float32)
        p.grads["w"] = np.ones(3, np.float32)
        make(0.1).step(p)
        assert p.params["w"].dtype == np.float32 and np.all(p.params["w"] < 1)


def models_pair():
    return [Dense(3, 4, seed=s) for s in (0, 1)]


@pytest.mark.parametrize("make, torch_name, kwargs", [
    (lambda: Adam(0.01), "Adam", {"lr": 0.01}),
    (lambda: AdamW(0.01, weight_decay=0.1), "AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    (lambda: RMSProp(0.01), "RMSprop", {"lr": 0.01}),
    (lambda: AdaGrad(0.01), "Adagrad", {"lr": 0.01}),
    (lambda: SGD(0.01, momentum=0.9), "SGD", {"lr": 0.01, "momentum": 0.9}),
])
def test_one_optimizer_reused_for_a_second_model_matches_pytorch_first_step(make, torch_name, kwargs):
    """Issue 11: the second model's fresh moments must get its own step count (t = 1), not the first's."""
    torch = pytest.importorskip("torch")
    first, second = models_pair()
    opt = make()
    for _ in range(5):  # train the first model for a while
        first.dweights[...] = RNG.standard_normal(first.dweights.shape)
        first.dbiases[...] = RNG.standard_normal(first.dbiases.shape)
        opt.step(first)
    second.dweights[...] = g = RNG.standard_normal(second.dweights.shape)
    second.dbiases[...] = 0.0
    start = second.weights.copy()
    opt.step(second)
    expected = torch_trajectory(getattr(torch.optim, torch_name), start, [g], **kwargs)[0]
    np.testing.assert_allclose(second.weights, expected, rtol=1e-12, atol=1e-15)


def test_sgd_decay_counts_each_parameter_s_own_steps():
    first, second = models_pair()
    opt = SGD(0.1, decay=1.0)
    for _ in range(9):
        first.dweights[...] = 1.0
        opt.step(first)
    second.dweights[...] = 1.0
    before = second.weights.copy()
    opt.step(second)  # lr / (1 + decay * 0): the full rate for a parameter's first step
    np.testing.assert_allclose(before - second.weights, 0.1, rtol=1e-14)
    first.dweights[...] = 1.0
    before = first.weights.copy()
    opt.step(first)  # its tenth step: lr / (1 + 9 decay)
    np.testing.assert_allclose(before - first.weights, 0.01, rtol=1e-12)


def test_state_follows_the_parameter_from_a_layer_to_the_network_holding_it():
    """Stepping a layer, then a list containing it, continues the layer's moments (not fresh ones)."""
    a, b = models_pair()
    together, alone = Adam(0.01), Adam(0.01)
    a_copy = Dense(3, 4, seed=0)
    for step in range(4):
        g = RNG.standard_normal((3, 4))
        for layer in (a, a_copy, b):
            layer.dweights[...] = g
            layer.dbiases[...] = 0.0
        if step < 2:
            together.step(a)
        else:
            together.step([a, b])
        alone.step(a_copy)
    np.testing.assert_array_equal(a.weights, a_copy.weights)
    assert together.iterations == 4


def test_registry_and_bad_arguments():
    assert isinstance(optimizers.get("adamw"), AdamW)
    assert isinstance(optimizers.get("RMSProp"), RMSProp)
    assert isinstance(optimizers.get("adagrad"), AdaGrad)
    for make, match in [
        (lambda: RMSProp(rho=1.0), "rho"), (lambda: RMSProp(momentum=-0.1), "momentum"),
        (lambda: RMSProp(epsilon=0), "epsilon"), (lambda: AdaGrad(initial_accumulator_value=-1), "accumulator"),
        (lambda: AdamW(weight_decay=-1), "weight_decay"), (lambda: AdamW(beta_1=1.5), "beta_1"),
        (lambda: AdaGrad(0), "learning_rate"),
    ]:
        with pytest.raises(ValueError, match=match):
            make()
    assert AdamW(0.1, weight_decay=0.2).get_config()["weight_decay"] == 0.2
