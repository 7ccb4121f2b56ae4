import math

import numpy as np
import pytest

from nnlite import SGD, Adam, Dense, optimizers


class Quadratic:
    """f(w) = 1/2 sum_i a_i (w_i - c_i)^2: convex, minimum at w = c, gradient a (w - c)."""

    def __init__(self, dtype=np.float64):
        self.a = np.array([1.0, 4.0, 0.5, 2.0], dtype=dtype)
        self.c = np.array([3.0, -1.0, 0.5, 2.0], dtype=dtype)
        self.params = {"w": np.zeros(4, dtype=dtype)}
        self.grads = {"w": np.zeros(4, dtype=dtype)}

    def value(self):
        return 0.5 * float(np.sum(self.a * (self.params["w"] - self.c) ** 2))

    def gradient(self):
        self.grads["w"][...] = self.a * (self.params["w"] - self.c)


@pytest.mark.parametrize(
    "optimizer, steps",
    [
        (SGD(learning_rate=0.2), 300),
        (SGD(learning_rate=0.05, momentum=0.9), 300),
        (SGD(learning_rate=0.05, momentum=0.9, nesterov=True), 300),
        (SGD(learning_rate=0.3, decay=1e-3), 300),
        (Adam(learning_rate=0.05), 2000),
    ],
    ids=["sgd", "momentum", "nesterov", "decay", "adam"],
)
def test_converges_to_the_known_minimum(optimizer, steps):
    problem = Quadratic()
    start = problem.value()
    for _ in range(steps):
        problem.gradient()
        optimizer.step(problem)
    np.testing.assert_allclose(problem.params["w"], problem.c, atol=1e-6)
    assert problem.value() < 1e-10 * start
    assert optimizer.iterations == steps


def test_sgd_steps_match_the_formulas():
    p0 = np.array([1.0, -2.0])
    g1, g2 = np.array([0.5, 1.0]), np.array([-1.0, 2.0])
    lr, mu = 0.1, 0.9
    for nesterov in (False, True):
        obj = type("P", (), {})()
        obj.params, obj.grads = {"w": p0.copy()}, {"w": g1.copy()}
        opt = SGD(lr, momentum=mu, nesterov=nesterov)
        opt.step(obj)
        obj.grads["w"][...] = g2
        opt.step(obj)
        v1 = -lr * g1
        v2 = mu * v1 - lr * g2
        if nesterov:
            expected = p0 + (mu * v1 - lr * g1) + (mu * v2 - lr * g2)
        else:
            expected = p0 + v1 + v2
        np.testing.assert_allclose(obj.params["w"], expected, rtol=1e-14)
    opt = SGD(1.0, decay=0.5)
    assert opt.current_learning_rate == 1.0
    opt.update([])  # one step: lr_t = lr / (1 + decay * 1)
    assert opt.current_learning_rate == pytest.approx(1 / 1.5)


def test_adam_matches_the_textbook_algorithm():
    rng = np.random.default_rng(0)
    layer = Dense(3, 2, seed=0)
    w, b = layer.weights.copy(), layer.biases.copy()
    ref = {"w": [w, np.zeros_like(w), np.zeros_like(w)], "b": [b, np.zeros_like(b), np.zeros_like(b)]}
    opt = Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6)
    for t in range(1, 6):
        gw, gb = rng.standard_normal(w.shape), rng.standard_normal(b.shape)
        layer.dweights[...], layer.dbiases[...] = gw, gb
        opt.step(layer)
        for key, g in (("w", gw), ("b", gb)):
            p, m, v = ref[key]
            m[...] = 0.8 * m + 0.2 * g
            v[...] = 0.99 * v + 0.01 * g * g
            m_hat, v_hat = m / (1 - 0.8**t), v / (1 - 0.99**t)
            p -= 0.01 * m_hat / (np.sqrt(v_hat) + 1e-6)
    np.testing.assert_allclose(layer.weights, ref["w"][0], rtol=1e-12)
    np.testing.assert_allclose(layer.biases, ref["b"][0], rtol=1e-12)


def test_first_adam_step_moves_each_parameter_by_the_learning_rate():
    problem = Quadratic()
    problem.gradient()
    Adam(learning_rate=0.1, epsilon=1e-12).step(problem)
    np.testing.assert_allclose(np.abs(problem.params["w"]), 0.1, rtol=1e-9)


def test_step_takes_a_list_and_keeps_state_per_parameter_set():
    layers = [Dense(2, 3, seed=0), Dense(3, 1, seed=1)]
    for layer in layers:
        layer.dweights[...] = 1.0
        layer.dbiases[...] = 1.0
    opt = SGD(0.1, momentum=0.5)
    before = [layer.weights.copy() for layer in layers]
    opt.step(layers)
    opt.step(layers)  # velocity carried over: the second move is 1.5 times the first
    for layer, w0 in zip(layers, before):
        np.testing.assert_allclose(w0 - layer.weights, 0.1 + 0.15, rtol=1e-13)


def test_float32_parameters_stay_float32_and_mixed_dtypes_work():
    problem32, problem64 = Quadratic(np.float32), Quadratic()
    opt = Adam(0.05)
    for _ in range(500):
        problem32.gradient()
        problem64.gradient()
        opt.step([problem32, problem64])
    assert problem32.params["w"].dtype == np.float32
    np.testing.assert_allclose(problem32.params["w"], problem32.c, atol=1e-3)
    np.testing.assert_allclose(problem64.params["w"], problem64.c, atol=1e-3)


def test_registry_and_bad_arguments():
    assert isinstance(optimizers.get("adam"), Adam)
    assert optimizers.get("SGD", learning_rate=0.5).learning_rate == 0.5
    with pytest.raises(ValueError, match="unknown optimizer"):
        optimizers.get("lbfgs")
    for make in (lambda: SGD(0), lambda: SGD(-1), lambda: Adam(math.nan), lambda: SGD(0.1, decay=-1)):
        with pytest.raises(ValueError):
            make()
    with pytest.raises(ValueError, match="momentum"):
        SGD(0.1, momentum=1.0)
    with pytest.raises(ValueError, match="nesterov"):
        SGD(0.1, nesterov=True)
    with pytest.raises(ValueError, match="beta_2"):
        Adam(beta_2=1.0)
    with pytest.raises(TypeError, match="params and grads"):
        SGD().step(3)
    bad = type("Bad", (), {"params": {"w": np.zeros(3)}, "grads": {"w": np.zeros(2)}})()
    with pytest.raises(ValueError, match="shape"):
        SGD().step(bad)
    missing = type("Missing", (), {"params": {"w": np.zeros(3)}, "grads": {}})()
    with pytest.raises(ValueError, match="no entry 'w'"):
        SGD().step(missing)
    ints = type("Ints", (), {"params": {"w": np.zeros(3, int)}, "grads": {"w": np.zeros(3)}})()
    with pytest.raises(TypeError, match="float ndarray"):
        SGD().step(ints)
