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

from . import schedules as _schedules

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSProp", "AdaGrad", "get"]


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
    """Parameters of one dtype and one step count: flat gradient, flat update and the rule's flat state.

    `t` is the number of updates these parameters have had (their step
    count); `state` arrays are flat, `state_views(i)` gives parameter i's part.
    """

    def __init__(
        self, pairs: list[tuple[np.ndarray, np.ndarray]], fills: tuple[float, ...], t: int = 0,
        initial: list[list[np.ndarray] | None] | None = None,
    ):
        dtype = pairs[0][0].dtype
        size = sum(p.size for p, _ in pairs)
        self.params = [p for p, _ in pairs]
        self.grad_views = [g.reshape(-1) for _, g in pairs]  # views: backward writes through them
        self.grad = np.empty(size, dtype)
        self.step = np.empty(size, dtype)
        self.offsets = np.cumsum([0] + [p.size for p in self.params])
        bounds = zip(self.offsets[:-1], self.offsets[1:], self.params)
        self.step_views = [self.step[a:b].reshape(p.shape) for a, b, p in bounds]
        self.state = [np.full(size, fill, dtype) for fill in fills]
        self.t = t
        for i, arrays in enumerate(initial or []):
            if arrays is not None:
                for view, values in zip(self.state_views(i), arrays):
                    view[...] = values

    def state_views(self, i: int) -> list[np.ndarray]:
        a, b = self.offsets[i], self.offsets[i + 1]
        return [s[a:b].reshape(self.params[i].shape) for s in self.state]

    def gather(self) -> np.ndarray:
        """The current gradients, concatenated into `self.grad`."""
        return np.concatenate(self.grad_views, out=self.grad)

    def apply(self) -> None:
        """p -= step for every parameter."""
        for p, step in zip(self.params, self.step_views):
            p -= step


class Optimizer:
    """Base class. Subclasses name their per-parameter state arrays in
    `state_names` (with initial values `state_fills`) and define
    `_rule(group, lr)`, which fills `group.step` with the amount to subtract.

    State belongs to each parameter array: its moments and its step count t
    (bias corrections and `decay` use the parameter's own t), so one
    optimizer can serve two models, or a layer and then the network holding
    it, and each parameter is updated as if it had its own optimizer
    (PyTorch's per-parameter state). `decay` lowers the rate as
    lr_t = lr / (1 + decay * t) (Keras' legacy decay). `learning_rate` is a
    number or a `nnlite.schedules.Schedule` of the epoch; the epoch
    (`epoch`, the schedule position) advances through `end_epoch`, which
    `Sequential.fit` calls.
    """

    state_names: tuple[str, ...] = ()
    state_fills: tuple[float, ...] = ()

    def __init__(self, learning_rate: float | _schedules.Schedule, decay: float = 0.0):
        if not isinstance(learning_rate, _schedules.Schedule) and not float(learning_rate) > 0:
            raise ValueError(f"learning_rate must be > 0 or a nnlite.schedules.Schedule, got {learning_rate}")
        if not float(decay) >= 0:
            raise ValueError(f"decay must be >= 0, got {decay}")
        self.learning_rate = learning_rate if isinstance(learning_rate, _schedules.Schedule) else float(learning_rate)
        self.decay = float(decay)
        self.iterations = 0  # updates made, all parameters together (a statistic)
        self.epoch = 0
        self._epoch_lr = self._schedule_value()
        self._groups: dict[tuple, tuple[list, list[_Group]]] = {}
        # id(param) -> (param, owning group, index in it); holding the array keeps its id from being reused
        self._owner: dict[int, tuple[np.ndarray, _Group, int]] = {}

    def _schedule_value(self) -> float:
        if not isinstance(self.learning_rate, _schedules.Schedule):
            return self.learning_rate
        lr = float(self.learning_rate(self.epoch))
        if not (lr >= 0 and math.isfinite(lr)):
            raise ValueError(
                f"{self.learning_rate!r} gave learning rate {lr} at epoch {self.epoch}; it must be a finite number >= 0"
            )
        return lr

    @property
    def epoch_learning_rate(self) -> float:
        """The schedule's rate for the current epoch (before `decay`)."""
        return self._epoch_lr

    @property
    def current_learning_rate(self) -> float:
        """The rate of the next update for a parameter that had every update so far (`iterations` of them)."""
        return self._epoch_lr / (1.0 + self.decay * self.iterations)

    def end_epoch(self, logs: dict[str, Any] | None = None) -> None:
        """Advance the schedule by one epoch; `logs` (the epoch's History entries) feed ReduceOnPlateau."""
        if isinstance(self.learning_rate, _schedules.Schedule):
            self.learning_rate.on_epoch_end(self.epoch, logs or {})
        self.epoch += 1
        self._epoch_lr = self._schedule_value()

    def prepare(self, target: Any) -> list[_Group]:
        """The groups of `target`'s parameters, with their state (kept across calls and across targets)."""
        pairs = _pairs(target)
        key = tuple(id(p) for p, _ in pairs) + tuple(id(g) for _, g in pairs)
        cached = self._groups.get(key)
        if cached is not None and all(
            self._owner[id(p)][1] is group for group in cached[1] for p in group.params
        ):
            return cached[1]
        # Group by dtype and step count, taking over each parameter's state from wherever it lives now.
        by_kind: dict[tuple, list] = {}
        for p, g in pairs:
            owner = self._owner.get(id(p))
            t, arrays = (owner[1].t, owner[1].state_views(owner[2])) if owner else (0, None)
            entry = by_kind.setdefault((p.dtype, t), [[], []])
            entry[0].append((p, g))
            entry[1].append([a.copy() for a in arrays] if arrays is not None else None)
        groups = []
        for (_, t), (group_pairs, initial) in by_kind.items():
            group = _Group(group_pairs, self.state_fills, t, initial)
            for i, p in enumerate(group.params):
                self._owner[id(p)] = (p, group, i)
            groups.append(group)
        self._groups[key] = (pairs, groups)
        return groups

    def step(self, target: Any) -> None:
        """One update of every parameter of `target` from its current gradient."""
        self.update(self.prepare(target))

    def update(self, slots: list[_Group]) -> None:
        """One update of the parameters in `slots` (from `prepare`)."""
        self.iterations += 1
        lr, decay = self._epoch_lr, self.decay
        for group in slots:
            group.t += 1
            self._rule(group, lr / (1.0 + decay * (group.t - 1)) if decay else lr)
            group.apply()

    def _rule(self, group: _Group, lr: float) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------ checkpoints

    def state_arrays(self, model: Any) -> dict[str, np.ndarray]:
        """This optimizer's state for `model`'s parameters, keyed "<param key>/<state name>" and
        "<param key>/step", plus "epoch", "iterations" and "schedule/<name>": plain arrays for a
        checkpoint (`Sequential.save(path, optimizer=...)`). Parameters never updated get no entry."""
        arrays = {"epoch": np.array(self.epoch, np.int64), "iterations": np.array(self.iterations, np.int64)}
        if isinstance(self.learning_rate, _schedules.Schedule):
            arrays.update({f"schedule/{k}": v for k, v in self.learning_rate.state_arrays().items()})
        for key, p in model.params.items():
            owner = self._owner.get(id(p))
            if owner is None or owner[0] is not p:
                continue
            group, i = owner[1], owner[2]
            arrays[f"{key}/step"] = np.array(group.t, np.int64)
            arrays.update({f"{key}/{name}": view.copy() for name, view in zip(self.state_names, group.state_views(i))})
        return arrays

    def load_state_arrays(self, model: Any, arrays: dict[str, np.ndarray]) -> None:
        """Restore what `state_arrays(model)` returned, onto `model`'s parameters (same keys)."""
        arrays = dict(arrays)
        expected = {"epoch", "iterations"}
        if isinstance(self.learning_rate, _schedules.Schedule):
            expected |= {f"schedule/{k}" for k in self.learning_rate.state_arrays()}
        params, grads = model.params, model.grads
        stepped = {key.rsplit("/", 1)[0] for key in arrays if key.endswith("/step")}
        unknown = stepped - set(params)
        if unknown:
            raise ValueError(f"optimizer state for parameters {sorted(unknown)} that the model does not have")
        for key in stepped:
            expected |= {f"{key}/step"} | {f"{key}/{name}" for name in self.state_names}
        if set(arrays) != expected:
            raise ValueError(
                f"{type(self).__name__} state does not match: missing {sorted(expected - set(arrays))}, "
                f"unexpected {sorted(set(arrays) - expected)} (saved by another optimizer type or settings?)"
            )
        for key in stepped:
            p = params[key]
            for name in self.state_names:
                a = arrays[f"{key}/{name}"]
                if a.shape != p.shape or a.dtype != p.dtype:
                    raise ValueError(
                        f"optimizer state {key}/{name} is {a.dtype}{a.shape}, the parameter is {p.dtype}{p.shape}"
                    )
        counters = ["epoch", "iterations"] + [f"{key}/step" for key in stepped]
        for name in counters:
            a = np.asarray(arrays[name])
            if a.shape != () or a.dtype.kind not in "iu" or a < 0:
                raise ValueError(f"optimizer state {name} must be one integer >= 0, got {a.dtype}{a.shape}")
        if isinstance(self.learning_rate, _schedules.Schedule):
            self.learning_rate.load_state_arrays(
                {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("schedule/")}
            )
        self.epoch, self.iterations = int(arrays["epoch"]), int(arrays["iterations"])
        self._epoch_lr = self._schedule_value()
        for key in stepped:
            p = params[key]
            group = _Group([(p, grads[key])], self.state_fills, int(arrays[f"{key}/step"]),
                           [[arrays[f"{key}/{name}"] for name in self.state_names]])
            self._owner[id(p)] = (p, group, 0)

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

    def __init__(self, learning_rate: float | _schedules.Schedule = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, decay: float = 0.0):
        super().__init__(learning_rate, decay)
        if not 0 <= float(momentum) < 1:
            raise ValueError(f"SGD momentum must be in [0, 1), got {momentum}")
        if nesterov and not momentum:
            raise ValueError("SGD nesterov=True needs momentum > 0")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    @property
    def state_names(self):
        return ("velocity",) if self.momentum else ()

    @property
    def state_fills(self):
        return (0.0,) if self.momentum else ()

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


def _check_betas(owner: str, **betas: float) -> None:
    for name, beta in betas.items():
        if not 0 <= float(beta) < 1:
            raise ValueError(f"{owner} {name} must be in [0, 1), got {beta}")


def _check_epsilon(owner: str, epsilon: float) -> None:
    if not (float(epsilon) > 0 and math.isfinite(float(epsilon))):
        raise ValueError(f"{owner} epsilon must be a finite number > 0, got {epsilon}")


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015).

    m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2;   t = the parameter's step count
    p <- p - lr_t * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
    computed as p <- p - lr_t sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps sqrt(1 - b2^t)),
    which is the same number (PyTorch's form) with no m_hat/v_hat arrays.
    """

    state_names, state_fills = ("m", "v"), (0.0, 0.0)

    def __init__(
        self, learning_rate: float | _schedules.Schedule = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
        epsilon: float = 1e-8, decay: float = 0.0,
    ):
        super().__init__(learning_rate, decay)
        _check_betas(type(self).__name__, beta_1=beta_1, beta_2=beta_2)
        _check_epsilon(type(self).__name__, epsilon)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _rule(self, group, lr):
        b1, b2, t = self.beta_1, self.beta_2, group.t
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


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    p <- p (1 - lr_t weight_decay), then the Adam step of `Adam` (PyTorch's
    AdamW). The decay shrinks every parameter (biases too, as in PyTorch's
    default), independently of the gradient's scale, unlike an L2 penalty
    that Adam's normalisation would rescale.
    """

    def __init__(
        self, learning_rate: float | _schedules.Schedule = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
        epsilon: float = 1e-8, weight_decay: float = 0.01, decay: float = 0.0,
    ):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, decay)
        if not (float(weight_decay) >= 0 and math.isfinite(float(weight_decay))):
            raise ValueError(f"AdamW weight_decay must be a finite number >= 0, got {weight_decay}")
        self.weight_decay = float(weight_decay)

    def _rule(self, group, lr):
        super()._rule(group, lr)
        if self.weight_decay:
            shrink = 1.0 - lr * self.weight_decay
            for p in group.params:
                p *= shrink

    def get_config(self):
        return {**super().get_config(), "weight_decay": self.weight_decay}


class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton, 2012), PyTorch's form.

    s <- rho s + (1 - rho) g^2
    plain:     p <- p - lr_t g / (sqrt(s) + eps)
    momentum:  b <- mu b + g / (sqrt(s) + eps);  p <- p - lr_t b
    """

    def __init__(self, learning_rate: float | _schedules.Schedule = 0.01, rho: float = 0.99, epsilon: float = 1e-8,
                 momentum: float = 0.0, decay: float = 0.0):
        super().__init__(learning_rate, decay)
        _check_betas("RMSProp", rho=rho, momentum=momentum)
        _check_epsilon("RMSProp", epsilon)
        self.rho, self.epsilon, self.momentum = float(rho), float(epsilon), float(momentum)

    @property
    def state_names(self):
        return ("square_avg", "momentum_buffer") if self.momentum else ("square_avg",)

    @property
    def state_fills(self):
        return (0.0,) * len(self.state_names)

    def _rule(self, group, lr):
        g, tmp, s = group.gather(), group.step, group.state[0]
        s *= self.rho
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.rho
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += self.epsilon
        np.divide(g, tmp, out=tmp)
        if self.momentum:
            b = group.state[1]
            b *= self.momentum
            b += tmp
            np.multiply(b, lr, out=tmp)
        else:
            tmp *= lr

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon, "momentum": self.momentum}


class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al., 2011), PyTorch's form.

    s <- s + g^2   (s starts at initial_accumulator_value)
    p <- p - lr_t g / (sqrt(s) + eps)
    """

    def __init__(self, learning_rate: float | _schedules.Schedule = 0.01, epsilon: float = 1e-10,
                 initial_accumulator_value: float = 0.0, decay: float = 0.0):
        super().__init__(learning_rate, decay)
        _check_epsilon("AdaGrad", epsilon)
        if not (float(initial_accumulator_value) >= 0 and math.isfinite(float(initial_accumulator_value))):
            raise ValueError(
                f"AdaGrad initial_accumulator_value must be a finite number >= 0, got {initial_accumulator_value}"
            )
        self.epsilon, self.initial_accumulator_value = float(epsilon), float(initial_accumulator_value)

    state_names = ("sum",)

    @property
    def state_fills(self):
        return (self.initial_accumulator_value,)

    def _rule(self, group, lr):
        g, tmp, s = group.gather(), group.step, group.state[0]
        np.multiply(g, g, out=tmp)
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += self.epsilon
        np.divide(g, tmp, out=tmp)
        tmp *= lr

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon,
                "initial_accumulator_value": self.initial_accumulator_value}


_OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSProp, "adagrad": AdaGrad}


def get(name: str | Optimizer, **config: Any) -> Optimizer:
    """Build an optimizer by name ("sgd", "adam", "adamw", "rmsprop", "adagrad"); `Optimizer` instances pass through."""
    if isinstance(name, Optimizer):
        if config:
            raise TypeError(f"get() got parameters {sorted(config)} with an Optimizer instance {name!r}")
        return name
    if not isinstance(name, str) or name.lower() not in _OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; known optimizers: {', '.join(sorted(_OPTIMIZERS))}")
    return _OPTIMIZERS[name.lower()](**config)
