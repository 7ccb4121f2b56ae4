"""Callbacks for `Sequential.fit`: code that runs at the end of each epoch or batch.

A callback is any object with some of these methods (all optional):

    set_context(model, optimizer)   before training: the network and its optimizer
    on_epoch_end(epoch, logs)       epoch counted from 1 over the optimizer's life;
                                    logs: this epoch's History entries ("loss", "val_loss", "learning_rate", ...)
    on_batch_end(batch, logs)       batch counted from 1 within the epoch; logs: {"loss", "size"}
    on_train_end(logs)              after the last epoch (also after an early stop)

Setting `model.stop_training = True` ends training after the current epoch.
fit calls only the methods a callback defines, and adds no per-batch work
when no callback defines `on_batch_end`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "LambdaCallback"]


class Callback:
    """Base class with `model` and `optimizer` set by fit; subclasses define the hooks they need."""

    model: Any = None
    optimizer: Any = None

    def set_context(self, model: Any, optimizer: Any) -> None:
        self.model, self.optimizer = model, optimizer


def _mode(owner: str, mode: str, monitor: str) -> str:
    if mode == "auto":
        return "max" if "accuracy" in monitor else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"{owner} mode must be 'auto', 'min' or 'max', got {mode!r}")
    return mode


def _monitored(owner: str, monitor: str, logs: Mapping[str, Any]) -> float:
    value = logs.get(monitor)
    if value is None:
        raise ValueError(
            f"{owner} monitors {monitor!r}, which fit does not report; it reports "
            f"{sorted(k for k, v in logs.items() if v is not None)} (val_* needs validation_data)"
        )
    return float(value)


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    Training ends at the (patience + 1)-th epoch in a row without improvement,
    counted as PyTorch's ReduceLROnPlateau counts bad epochs (Keras' EarlyStopping
    ends one epoch sooner: its patience=5 is patience=4 here).
    Improvement: value < best - min_delta (mode "min", the default for
    losses) or value > best + min_delta (mode "max", the default for
    accuracies). With `restore_best_weights` the parameters and layer state
    (BatchNorm running statistics) of the best epoch are copied back when
    training ends. `best`, `best_epoch` and `stopped_epoch` (0 when it ran to
    the end) tell what happened.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 restore_best_weights: bool = False, mode: str = "auto"):
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ValueError(f"EarlyStopping patience must be an integer >= 0, got {patience!r}")
        if not (float(min_delta) >= 0 and math.isfinite(float(min_delta))):
            raise ValueError(f"EarlyStopping min_delta must be a finite number >= 0, got {min_delta!r}")
        self.monitor, self.patience, self.min_delta = monitor, int(patience), float(min_delta)
        self.restore_best_weights, self.mode = bool(restore_best_weights), mode
        self._sign = 1.0 if _mode("EarlyStopping", mode, monitor) == "min" else -1.0
        self.best, self.best_epoch, self.stopped_epoch, self.wait = math.inf, 0, 0, 0
        self._best_arrays: dict[str, np.ndarray] | None = None

    def set_context(self, model: Any, optimizer: Any) -> None:
        super().set_context(model, optimizer)
        self.best, self.best_epoch, self.stopped_epoch, self.wait = math.inf, 0, 0, 0
        self._best_arrays = None

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any]) -> None:
        value = self._sign * _monitored("EarlyStopping", self.monitor, logs)
        if value < self._sign * self.best - self.min_delta if self.best_epoch else math.isfinite(value):
            self.best, self.best_epoch, self.wait = self._sign * value, epoch, 0
            if self.restore_best_weights:
                self._best_arrays = _snapshot(self.model)
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Mapping[str, Any]) -> None:
        if self.restore_best_weights and self._best_arrays is not None:
            _restore(self.model, self._best_arrays)


def _snapshot(model: Any) -> dict[str, np.ndarray]:
    arrays = {f"p/{k}": p.copy() for k, p in model.params.items()}
    for i, layer in enumerate(model.layers):
        arrays.update({f"s/{i}/{k}": a.copy() for k, a in getattr(layer, "state", {}).items()})
    return arrays


def _restore(model: Any, arrays: dict[str, np.ndarray]) -> None:
    for k, p in model.params.items():
        p[...] = arrays[f"p/{k}"]
    for i, layer in enumerate(model.layers):
        state = {k.split("/", 2)[2]: a for k, a in arrays.items() if k.startswith(f"s/{i}/")}
        if state:
            layer.set_state(state)


class ModelCheckpoint(Callback):
    """Save the model (and the optimizer's state, so training can resume exactly) after each epoch.

    `path` may contain "{epoch}" (and other History names, e.g. "{val_loss:.3f}").
    With `save_best_only` it is written only when `monitor` improves (as in
    EarlyStopping, min_delta 0). `save_optimizer=False` writes the network only.
    """

    def __init__(self, path: str | os.PathLike, monitor: str = "val_loss", save_best_only: bool = False,
                 mode: str = "auto", save_optimizer: bool = True):
        self.path, self.monitor, self.save_best_only = os.fspath(path), monitor, bool(save_best_only)
        self.mode, self.save_optimizer = mode, bool(save_optimizer)
        self._sign = 1.0 if _mode("ModelCheckpoint", mode, monitor) == "min" else -1.0
        self.best = math.inf
        self.saved: list[str] = []

    def set_context(self, model: Any, optimizer: Any) -> None:
        super().set_context(model, optimizer)
        self.best, self.saved = math.inf, []

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any]) -> None:
        if self.save_best_only:
            value = self._sign * _monitored("ModelCheckpoint", self.monitor, logs)
            if not value < self._sign * self.best if self.saved else not math.isfinite(value):
                return
            self.best = self._sign * value
        path = self.path.format(epoch=epoch, **{k: v for k, v in logs.items() if v is not None})
        self.model.save(path, optimizer=self.optimizer if self.save_optimizer else None)
        self.saved.append(path)


class LambdaCallback(Callback):
    """A callback from plain functions: LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch))."""

    def __init__(self, on_epoch_end: Any = None, on_batch_end: Any = None, on_train_end: Any = None):
        for name, fn in (("on_epoch_end", on_epoch_end), ("on_batch_end", on_batch_end),
                         ("on_train_end", on_train_end)):
            if fn is not None:
                if not callable(fn):
                    raise TypeError(f"LambdaCallback {name} must be callable, got {type(fn).__name__}")
                setattr(self, name, fn)
