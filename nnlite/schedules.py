"""Learning-rate schedules: the learning rate as a function of the epoch.

A schedule is passed as an optimizer's `learning_rate`:

    opt = Adam(learning_rate=schedules.WarmupCosine(1e-3, warmup_epochs=3, epochs=30))

`Sequential.fit` asks the optimizer for the epoch's rate at the start of
each epoch (epochs counted from 0 over the optimizer's whole life, so a
second `fit` continues the schedule) and records it in `History.learning_rate`.
The rate is constant within an epoch: no per-batch work. `ReduceOnPlateau`
also watches a quantity that fit reports at each epoch's end.

Every schedule follows PyTorch's formula of the same name (epoch-wise
`scheduler.step()`), so the values can be compared one to one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["Schedule", "Constant", "StepDecay", "ExponentialDecay", "CosineDecay", "WarmupCosine", "ReduceOnPlateau"]


def _positive(owner: str, what: str, value: Any, *, allow_zero: bool = False) -> float:
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not (ok and math.isfinite(value)):
        raise ValueError(f"{owner} {what} must be a finite number {'>= 0' if allow_zero else '> 0'}, got {value}")
    return value


def _count(owner: str, what: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{owner} {what} must be an integer >= {low}, got {value!r}")
    return int(value)


class Schedule:
    """Base class: `__call__(epoch)` is the learning rate of epoch `epoch` (0-based).

    Stateful schedules (ReduceOnPlateau) also define `on_epoch_end(epoch, logs)`
    and keep what they learned in `state_arrays()` so a checkpoint resumes them.
    """

    def __call__(self, epoch: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} must define __call__(epoch)")

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any]) -> None:
        """Called by fit after each epoch with the epoch's History entries (stateless schedules ignore it)."""

    def state_arrays(self) -> dict[str, np.ndarray]:
        return {}

    def load_state_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        if set(arrays) != set(self.state_arrays()):
            raise ValueError(
                f"{type(self).__name__} state needs keys {sorted(self.state_arrays())}, got {sorted(arrays)}"
            )

    def get_config(self) -> dict[str, Any]:
        return dict(vars(self))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """lr(e) = initial (what a plain float learning rate means)."""

    def __init__(self, initial: float):
        self.initial = _positive("Constant", "initial", initial)

    def __call__(self, epoch: int) -> float:
        return self.initial


class StepDecay(Schedule):
    """lr(e) = initial * gamma ** floor(e / step_size)      (PyTorch StepLR)."""

    def __init__(self, initial: float, step_size: int, gamma: float = 0.1):
        self.initial = _positive("StepDecay", "initial", initial)
        self.step_size = _count("StepDecay", "step_size", step_size, 1)
        self.gamma = _positive("StepDecay", "gamma", gamma)

    def __call__(self, epoch: int) -> float:
        return self.initial * self.gamma ** (epoch // self.step_size)


class ExponentialDecay(Schedule):
    """lr(e) = initial * gamma ** e      (PyTorch ExponentialLR)."""

    def __init__(self, initial: float, gamma: float):
        self.initial = _positive("ExponentialDecay", "initial", initial)
        self.gamma = _positive("ExponentialDecay", "gamma", gamma)

    def __call__(self, epoch: int) -> float:
        return self.initial * self.gamma**epoch


class CosineDecay(Schedule):
    """lr(e) = min_lr + (initial - min_lr) (1 + cos(pi min(e, epochs) / epochs)) / 2

    (Loshchilov & Hutter, 2017, without restarts; PyTorch CosineAnnealingLR's
    closed form), held at min_lr after `epochs`.
    """

    def __init__(self, initial: float, epochs: int, min_lr: float = 0.0):
        self.initial = _positive("CosineDecay", "initial", initial)
        self.epochs = _count("CosineDecay", "epochs", epochs, 1)
        self.min_lr = _positive("CosineDecay", "min_lr", min_lr, allow_zero=True)
        if self.min_lr > self.initial:
            raise ValueError(f"CosineDecay min_lr ({min_lr}) must not exceed initial ({initial})")

    def __call__(self, epoch: int) -> float:
        progress = min(epoch, self.epochs) / self.epochs
        return self.min_lr + (self.initial - self.min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))


class WarmupCosine(Schedule):
    """Linear warm-up, then cosine decay (Goyal et al., 2017; Loshchilov & Hutter, 2017).

    e < w:   lr(e) = initial (e + 1) / w
    e >= w:  lr(e) = CosineDecay(initial, epochs - w, min_lr)(e - w)
    """

    def __init__(self, initial: float, warmup_epochs: int, epochs: int, min_lr: float = 0.0):
        self.initial = _positive("WarmupCosine", "initial", initial)
        self.warmup_epochs = _count("WarmupCosine", "warmup_epochs", warmup_epochs, 0)
        self.epochs = _count("WarmupCosine", "epochs", epochs, self.warmup_epochs + 1)
        self.min_lr = _positive("WarmupCosine", "min_lr", min_lr, allow_zero=True)
        self._cosine = CosineDecay(self.initial, self.epochs - self.warmup_epochs, self.min_lr)

    def __call__(self, epoch: int) -> float:
        if epoch < self.warmup_epochs:
            return self.initial * (epoch + 1) / self.warmup_epochs
        return self._cosine(epoch - self.warmup_epochs)

    def get_config(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


class ReduceOnPlateau(Schedule):
    """Multiply the rate by `factor` when `monitor` has not improved for `patience` epochs.

    Improvement means value < best - min_delta (mode "min") or value > best +
    min_delta (mode "max"); the rate never goes below `min_lr`. As PyTorch's
    ReduceLROnPlateau with threshold_mode="abs" and cooldown 0.
    """

    def __init__(
        self, initial: float, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
        min_delta: float = 0.0, min_lr: float = 0.0, mode: str = "min",
    ):
        self.initial = _positive("ReduceOnPlateau", "initial", initial)
        if not isinstance(monitor, str):
            raise TypeError(f"ReduceOnPlateau monitor must be a History field name, got {monitor!r}")
        self.monitor = monitor
        self.factor = float(factor)
        if not 0 < self.factor < 1:
            raise ValueError(f"ReduceOnPlateau factor must be in (0, 1), got {factor}")
        self.patience = _count("ReduceOnPlateau", "patience", patience, 0)
        self.min_delta = _positive("ReduceOnPlateau", "min_delta", min_delta, allow_zero=True)
        self.min_lr = _positive("ReduceOnPlateau", "min_lr", min_lr, allow_zero=True)
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceOnPlateau mode must be 'min' or 'max', got {mode!r}")
        self.mode = mode
        self._lr, self._best, self._wait = self.initial, math.inf if mode == "min" else -math.inf, 0

    def __call__(self, epoch: int) -> float:
        return self._lr

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any]) -> None:
        if self.monitor not in logs:
            raise ValueError(
                f"ReduceOnPlateau monitors {self.monitor!r}, which fit does not report; it reports "
                f"{sorted(logs)} (val_* needs validation_data)"
            )
        value = float(logs[self.monitor])
        better = value < self._best - self.min_delta if self.mode == "min" else value > self._best + self.min_delta
        if better:
            self._best, self._wait = value, 0
            return
        self._wait += 1
        if self._wait > self.patience:
            self._lr, self._wait = max(self._lr * self.factor, self.min_lr), 0

    def state_arrays(self) -> dict[str, np.ndarray]:
        return {"lr": np.array(self._lr), "best": np.array(self._best), "wait": np.array(self._wait, dtype=np.int64)}

    def load_state_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        super().load_state_arrays(arrays)
        self._lr, self._best, self._wait = float(arrays["lr"]), float(arrays["best"]), int(arrays["wait"])

    def get_config(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}
