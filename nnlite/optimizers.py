"""Optimizers: update `params` from `grads` in place.

`optimizer.step(target)` takes anything with `params` and `grads` dicts (a
layer, a `Sequential`, a `PReLU`, your own object) or a list of such, and
updates every parameter array in place. Gradients must be updated in place
by backward (as every nnlite layer does), since the optimizer keeps views
of them.

At batch size 32 the number of numpy calls, not the arithmetic, sets the
speed, so an update works on all parameters of one dtype at once: the
gradients are gathered into one flat array (one `np.concatenate`), the
update rule runs on flat state arrays, and each parameter then gets its
slice subtracted (one call per parameter). The training loop calls
`slots = optimizer.prepare(model)` once and `optimizer.update(slots)` per
batch; `step(target)` does both and finds its state again on the next call
as long as the set of parameter arrays is the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["Optimizer", "SGD", "Adam", "get"]


def _pairs(target: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """(param, grad) pairs of an object with params/grads, or of a list of them."""
    if hasattr(target, "params"):
        targets = [target]
    elif isinstance(target, Iterable) and not isinstance(target, (str, bytes, np.ndarray)):
        targets = list(target)
    else:
        raise TypeError(
            f"optimizer.step needs an object with params and grads (or a list of them), got {type(target).__name__}"
        )
    pairs = []
    for obj in targets:
        params = getattr(obj, "params", None)
        grads = getattr(obj, "grads", None)
        if params is None or grads is None:
            raise TypeError(f"{type(obj).__name__} has no params/grads to optimize")
        for key, p in params.items():
            g = grads.get(key)
            if g is None:
                raise ValueError(f"{type(obj).__name__}.grads has no entry {key!r} for params[{key!r}]")
            if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
                raise TypeError(f"{type(obj).__name__}.params[{key!r}] must be a float ndarray to update in place")
            if not isinstance(g, np.ndarray) or g.shape != p.shape or not g.flags.c_contiguous:
                raise ValueError(
                    f"{type(obj).__name__}: grads[{key!r}] must be a C-contiguous array of the "
                    f"shape of params[{key!r}] {p.shape}; got {type(g).__name__} {np.shape(g)}"
                )
            pairs.append((p, g))
    return pairs


class _Group:
    """Parameters of one dtype: flat gradient, flat update and the rule's flat state."""

    def __init__(self, pairs: list[tuple[np.ndarray, np.ndarray]], n_state: int):
        dtype = pairs[0][0].dtype
        size = sum(p.size for p, _ in pairs)
        self.params = [p for p, _ in pairs]
        self.grad_views = [g.reshape(-1) for _, g in pairs]  # views: backward writes through them
        self.grad = np.empty(size, dtype)
        self.step = np.empty(size, dtype)
        offsets = np.cumsum([0] + [p.size for p in self.params])
        self.step_views = [self.step[a:b].reshape(p.shape) for a, b, p in zip(offsets[:-1], offsets[1:], self.params)]
        self.state = [np.zeros(size, dtype) for _ in range(n_state)]

    def gather(self) -> np.ndarray:
        """The current gradients, concatenated into `self.grad`."""
        return np.concatenate(self.grad_views, out=self.grad)

    def apply(self) -> None:
        """p -= step for every parameter."""
        for p, step in zip(self.params, self.step_views):
            p -= step


class Optimizer:
    """Base class. Subclasses set `n_state` (flat state arrays per dtype
    group) and define `_rule(group, lr)`, which fills `group.step` with the
    amount to subtract. `decay` lowers the learning rate as
    lr_t = learning_rate / (1 + decay * iterations) (Keras' legacy decay).
    """

    n_state = 0

    def __init__(self, learning_rate: float, decay: float = 0.0):
        if not float(learning_rate) > 0:
            raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
        if float(decay) < 0:
            raise ValueError(f"decay must be >= 0, got {decay}")
        self.learning_rate, self.decay = float(learning_rate), float(decay)
        self.iterations = 0
        self._groups: dict[tuple, tuple[list, list[_Group]]] = {}

    @property
    def current_learning_rate(self) -> float:
        return self.learning_rate / (1.0 + self.decay * self.iterations)

    def prepare(self, target: Any) -> list[_Group]:
        """The dtype groups of `target`'s parameters, with their state (kept across calls)."""
        pairs = _pairs(target)
        key = tuple(id(p) for p, _ in pairs) + tuple(id(g) for _, g in pairs)
        if key not in self._groups:
            by_dtype: dict[np.dtype, list] = {}
            for p, g in pairs:
                by_dtype.setdefault(p.dtype, []).append((p, g))
            # The entry holds the arrays themselves, so their ids cannot be reused by new arrays.
            self._groups[key] = (pairs, [_Group(group, self.n_state) for group in by_dtype.values()])
        return self._groups[key][1]

    def step(self, target: Any) -> None:
        """One update of every parameter of `target` from its current gradient."""
        self.update(self.prepare(target))

    def update(self, slots: list[_Group]) -> None:
        """One update of the parameters in `slots` (from `prepare`)."""
        lr = self.current_learning_rate
        self.iterations += 1
        for group in slots:
            self._rule(group, lr)
            group.apply()

    def _rule(self, group: _Group, lr: float) -> None:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "decay": self.decay}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    plain:     p <- p - lr_t g
    momentum:  v <- mu v - lr_t g;  p <- p + v                 (Sutskever et al., 2013)
    Nesterov:  v <- mu v - lr_t g;  p <- p + mu v - lr_t g
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False, decay: float = 0.0):
        super().__init__(learning_rate, decay)
        if not 0 <= float(momentum) < 1:
            raise ValueError(f"SGD momentum must be in [0, 1), got {momentum}")
        if nesterov and not momentum:
            raise ValueError("SGD nesterov=True needs momentum > 0")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    @property
    def n_state(self):
        return 1 if self.momentum else 0

    def _rule(self, group, lr):
        g, step = group.gather(), group.step
        np.multiply(g, lr, out=step)
        if not self.momentum:
            return
        v, mu = group.state[0], self.momentum
        v *= mu
        v -= step
        if self.nesterov:  # p <- p + mu v - lr g, written as step = lr g - mu v
            step -= mu * v
        else:  # p <- p + v
            np.negative(v, out=step)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015).

    m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2;   t = iterations
    p <- p - lr_t * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
    computed as p <- p - lr_t sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps sqrt(1 - b2^t)),
    which is the same number (PyTorch's form) with no m_hat/v_hat arrays.
    """

    n_state = 2

    def __init__(
        self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
        epsilon: float = 1e-8, decay: float = 0.0,
    ):
        super().__init__(learning_rate, decay)
        for name, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0 <= float(beta) < 1:
                raise ValueError(f"Adam {name} must be in [0, 1), got {beta}")
        if not float(epsilon) > 0:
            raise ValueError(f"Adam epsilon must be > 0, got {epsilon}")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _rule(self, group, lr):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations
        root = math.sqrt(1.0 - b2**t)
        lr_t, eps_t = lr * root / (1.0 - b1**t), self.epsilon * root
        g, tmp, (m, v) = group.gather(), group.step, group.state
        m *= b1
        np.multiply(g, 1.0 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += eps_t
        np.divide(m, tmp, out=tmp)
        tmp *= lr_t

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


_OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def get(name: str | Optimizer, **config: Any) -> Optimizer:
    """Build an optimizer by name ("sgd", "adam"); `Optimizer` instances pass through."""
    if isinstance(name, Optimizer):
        if config:
            raise TypeError(f"get() got parameters {sorted(config)} with an Optimizer instance {name!r}")
        return name
    if not isinstance(name, str) or name.lower() not in _OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; known optimizers: {', '.join(sorted(_OPTIMIZERS))}")
    return _OPTIMIZERS[name.lower()](**config)
