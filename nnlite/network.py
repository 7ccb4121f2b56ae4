"""`Sequential`: a stack of layers and activations that trains.

    model = Sequential([Dense(64, 128, seed=0), ReLU(), Dense(128, 10, seed=1)])
    history = model.fit(X, y, loss="softmax_cross_entropy", optimizer=Adam(1e-3), epochs=30)
    model.evaluate(X_test, y_test)      # {"loss": ..., "accuracy": ...}
    model.save("digits.npz"); Sequential.load("digits.npz")

The training loop is kept lean because at small batch sizes the per-batch
Python overhead, not the arithmetic, decides the speed: each batch is
gathered from the data through a shuffled index (no copy of the data set),
Dense layers write into buffers kept per batch shape, the optimizer updates
parameters in place from slots looked up once, data and labels are
validated once per `fit`, and callbacks cost nothing per batch unless one
asks for batch ends.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _architecture, _archive
from . import activations as _activations
from . import layers as _layers
from . import losses as _losses
from . import optimizers as _optimizers
from ._arrays import as_float_array
from ._progress import Progress

__all__ = ["Sequential", "History", "WithLoss"]

_ARCH_KEY = "__nnlite__"
_STATE_PREFIX = "state."
_OPT_PREFIX = "optimizer/"  # parameter and state keys never contain "/"


@dataclass
class History:
    """What `Sequential.fit` recorded, one entry per epoch.

    `loss` is the mean training loss over the epoch's batches plus the
    regularization penalty at the epoch's end; `accuracy` the fraction of
    training predictions that were right during the epoch (both as Keras
    reports them). `val_*` are measured after the epoch, in inference mode.
    `learning_rate` is the optimizer's (schedule's) rate during the epoch. With
    `fit(..., diagnostics=True)` also, keyed by layer label such as "0.dense"
    or "1.relu": `grad_norm` (mean over the epoch's batches of the L2 norm of
    the layer's gradients), and for activation layers `activation_mean`,
    `activation_std` and `dead_fraction` (share of units whose output is 0
    for every sample of up to 1024 training samples) at the epoch's end.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    grad_norm: dict[str, list[float]] = field(default_factory=dict)
    activation_mean: dict[str, list[float]] = field(default_factory=dict)
    activation_std: dict[str, list[float]] = field(default_factory=dict)
    dead_fraction: dict[str, list[float]] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.loss)


class WithLoss:
    """A network and a loss as one object: L = loss(model(inputs), targets) + penalties.

    forward(inputs, targets) -> scalar L;  backward(dvalues=1.0) -> dL/dinputs,
    filling the model's grads. `params`/`grads` are the model's, so
    `gradcheck(model.with_loss(loss), X, targets=y)` checks every gradient of
    the network, penalties included (their gradient is added unscaled, as in
    training, so check with the default dvalues = 1).
    """

    def __init__(self, model: Sequential, loss: str | _losses.Loss):
        self.model, self.loss = model, _losses.get(loss)
        self.output: float | None = None
        self.dinputs: np.ndarray | None = None

    @property
    def params(self) -> dict[str, np.ndarray]:
        """The network's parameters (the loss has none)."""
        return self.model.params

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """dL/dparameter for each entry of `params`, after `backward`."""
        return self.model.grads

    def forward(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        """L = loss(network(inputs), targets) + the layers' L1/L2 penalty, a float."""
        self.output = self.loss.forward(self.model.forward(inputs), targets) + self.model.regularization_loss()
        return self.output

    def backward(self, dvalues: float = 1.0) -> np.ndarray:
        """dvalues * dL/dinputs; fills every layer's grads on the way (the penalty's gradient included)."""
        self.dinputs = self.model.backward(self.loss.backward(dvalues))
        return self.dinputs


def _counting(progress: Progress, on_batch_end: Any) -> Any:
    """on_batch_end that also counts the batch on a shown progress line (itself when the line is hidden)."""
    if not progress.enabled:
        return on_batch_end

    def count(batch: int, logs: dict[str, Any]) -> None:
        progress.update()
        if on_batch_end is not None:
            on_batch_end(batch, logs)

    return count


def _label(index: int, layer: Any) -> str:
    return f"{index}.{layer.name.lower()}"


def _check_count(owner: str, what: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{owner}: {what} must be an integer >= {low}, got {value!r}")


def _all_finite(a: np.ndarray) -> bool:
    """True when no entry is NaN or infinite; min and max see both (NaN propagates) without a mask of a's size."""
    return a.size == 0 or (math.isfinite(a.min()) and math.isfinite(a.max()))


def _finite_targets(y: Any, what: str) -> Any:
    """y unchanged, after refusing NaN or infinite float targets (a data error, not divergence)."""
    arr = np.asarray(y)
    if arr.dtype.kind == "f" and not _all_finite(arr):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{what} contains NaN or infinite values (first at index {tuple(int(i) for i in bad)}): "
            f"labels and targets must be finite"
        )
    return y


_EPOCH_FIELDS = ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate")


def _last_logs(history: History) -> dict[str, Any]:
    """The last epoch's entries of History, by field name (what callbacks and schedules see)."""
    return {name: getattr(history, name)[-1] for name in _EPOCH_FIELDS if getattr(history, name)}


class _Hooks:
    """The callbacks' methods, looked up once: a missing hook costs nothing in the loop."""

    def __init__(self, callbacks: Sequence[Any], model: Sequential, optimizer: _optimizers.Optimizer):
        if isinstance(callbacks, (str, bytes)) or not isinstance(callbacks, Sequence):
            raise TypeError(f"fit: callbacks must be a list of callback objects, got {type(callbacks).__name__}")
        hooks = ("on_epoch_end", "on_batch_end", "on_train_end")
        for i, cb in enumerate(callbacks):
            if not any(callable(getattr(cb, name, None)) for name in hooks):
                raise TypeError(f"fit: callbacks[{i}] ({type(cb).__name__}) defines none of {', '.join(hooks)}")
            if callable(getattr(cb, "set_context", None)):
                cb.set_context(model, optimizer)
        self._methods = {name: [getattr(cb, name) for cb in callbacks if callable(getattr(cb, name, None))]
                         for name in hooks}
        batch = self._methods["on_batch_end"]
        self.on_batch_end = None if not batch else (lambda i, logs: [fn(i, logs) for fn in batch])

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        for fn in self._methods["on_epoch_end"]:
            fn(epoch, logs)

    def on_train_end(self, logs: dict[str, Any]) -> None:
        for fn in self._methods["on_train_end"]:
            fn(logs)


class Sequential:
    """Layers applied in order.

    forward:  output = f_k(... f_2(f_1(inputs)))
    backward: dinputs = J_1^T (... J_k^T dvalues), each layer's backward in reverse order
    `params`/`grads` gather every layer's under keys "<index>.<name>"
    (e.g. "0.weights"), the same arrays as the layers' own.
    Layers are `Layer`s, `Activation`s or activation names ("relu").
    """

    def __init__(self, layers: Sequence[Any]):
        if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
            raise TypeError(f"Sequential takes a list of layers, got {type(layers).__name__}")
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        built = []
        for i, layer in enumerate(layers):
            if isinstance(layer, str):
                layer = _activations.get(layer)
            if not isinstance(layer, (_layers.Layer, _activations.Activation)):
                raise TypeError(
                    f"Sequential layer {i} must be a Layer, an Activation or an activation name; "
                    f"got {type(layer).__name__}"
                )
            for j, earlier in enumerate(built):
                if earlier is layer:
                    # a layer keeps its own inputs and outputs for backward, so one object
                    # at two positions would hand the first the second one's values
                    raise ValueError(
                        f"Sequential layers {j} and {i} are the same object; give each position "
                        f"its own instance (e.g. ReLU() twice)"
                    )
            built.append(layer)
        self.layers = built
        self.loss: _losses.Loss | None = None
        self.inputs = self.output = self.dinputs = None

    def __repr__(self) -> str:
        return "Sequential([" + ", ".join(map(repr, self.layers)) + "])"

    @property
    def params(self) -> dict[str, np.ndarray]:
        """Every layer's parameters, keyed "INDEX.NAME" ("0.weights", "0.biases", "2.weights", ...)."""
        return {f"{i}.{k}": p for i, layer in enumerate(self.layers) for k, p in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """dL/dparameter with the keys of `params`, filled by `backward`."""
        return {f"{i}.{k}": g for i, layer in enumerate(self.layers) for k, g in layer.grads.items()}

    @property
    def dtype(self) -> np.dtype | None:
        """The dtype of the first parameter, the one the data meet (None for a network without any)."""
        return next((p.dtype for p in self.params.values()), None)

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        """The layers applied in order to inputs (batch, features); each keeps what its backward needs."""
        self.inputs = out = as_float_array(inputs, "Sequential.forward inputs")
        for layer in self.layers:
            out = layer.forward(out)
        self.output = out
        return out

    __call__ = forward

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        """dL/dinputs from dvalues = dL/doutput, through the layers in reverse; fills every layer's grads.

        Raises RuntimeError before `forward`.
        """
        if self.output is None:
            raise RuntimeError("Sequential.backward was called before forward: call forward(inputs) first")
        for layer in reversed(self.layers):
            dvalues = layer.backward(dvalues)
        self.dinputs = dvalues
        return dvalues

    def regularization_loss(self) -> float:
        """The L1/L2 penalties of the layers that have one, summed: what `fit` adds to the loss."""
        return sum(layer.regularization_loss() for layer in self.layers if isinstance(layer, _layers.Layer))

    def with_loss(self, loss: str | _losses.Loss) -> WithLoss:
        """This network and `loss` as one object with a scalar output (for gradcheck)."""
        return WithLoss(self, loss)

    def predict(self, X: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """The last layer's output for `X` in inference mode, `batch_size` samples at a time (all at once by default).

        Float data must have the parameters' dtype, as in `fit` (no silent casts); integer data are converted.
        """
        X = self._inputs(X, "Sequential.predict X", allow_empty=True)
        if batch_size is not None:
            _check_count("predict", "batch_size", batch_size, 1)
        with self._mode(training=False), self._own_buffers():
            if batch_size is None or batch_size >= len(X):
                return self.forward(X)
            return np.concatenate([self.forward(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])

    @contextlib.contextmanager
    def _own_buffers(self) -> Iterator[None]:
        """Fresh arrays for the caller: predict inside fit (a callback) must not hand back a buffer
        that the next training batch of the same shape writes into."""
        reusing = [layer for layer in self.layers if getattr(layer, "reuse_buffers", False)]
        for layer in reusing:
            layer.reuse_buffers = False
        try:
            yield
        finally:
            for layer in reusing:
                layer.reuse_buffers = True

    def _loss(self, loss: str | _losses.Loss | None) -> _losses.Loss:
        if loss is not None:
            return _losses.get(loss)
        if self.loss is None:
            raise ValueError("no loss to evaluate with: pass loss=... (the model has not been fit with one)")
        return self.loss

    def evaluate(self, X: np.ndarray, y: np.ndarray, loss: str | _losses.Loss | None = None) -> dict[str, float | None]:
        """{"loss": mean loss + penalties, "accuracy": fraction right (None for regression losses)}, in inference mode.

        `loss` defaults to the one the model was fit (or saved) with; labels
        as class indices or one-hot rows. X follows `predict`'s dtype rule.
        """
        loss = self._loss(loss)
        X = self._inputs(X, "Sequential.evaluate X")
        if len(X) != len(y):
            raise ValueError(f"Sequential.evaluate: X has {len(X)} samples but y has {len(y)}")
        with self._mode(training=False):
            out = self.forward(X)
        targets = loss.prepare_targets(_finite_targets(y, "Sequential.evaluate y"), out.shape, out.dtype)
        with np.errstate(over="ignore", invalid="ignore"):  # as Loss.forward: a loss past the float range is inf
            value = loss._forward(out, targets) + self.regularization_loss()
        acc = loss._correct(out, targets) / loss._total(out) if loss.classification else None
        return {"loss": value, "accuracy": acc}

    @contextlib.contextmanager
    def _mode(self, training: bool, *, over_the_user: bool = False) -> Iterator[None]:
        """Run the layers in training or inference mode (`Layer.training`), then put back the previous mode;
        a mode the user set on a layer wins, unless `over_the_user` (a shape probe, which must have no effect)."""
        layers = [layer for layer in self.layers if isinstance(layer, _layers.Layer)]
        previous = [(layer._network_training, layer._user_training) for layer in layers]
        for layer in layers:
            layer._network_training = training
            if over_the_user:
                layer._user_training = None
        try:
            yield
        finally:
            for layer, (mode, user_mode) in zip(layers, previous):
                layer._network_training, layer._user_training = mode, user_mode

    # ---------------------------------------------------------------- training

    def _inputs(self, X: Any, what: str, *, allow_empty: bool = False) -> np.ndarray:
        """X as an array of the network's dtype: float data must already have it, integers are converted."""
        dtype = self.dtype
        raw = np.asarray(X)
        X = as_float_array(X, what)
        if dtype is not None and X.dtype != dtype:
            if raw.dtype.kind == "f":
                raise TypeError(
                    f"{what} is {X.dtype} but the network's parameters are {dtype}: nnlite does not "
                    f"cast silently; build the layers with dtype=np.{X.dtype} or pass X.astype(np.{dtype})"
                )
            X = raw.astype(dtype)  # integer or boolean data: take the network's float type
        if X.ndim < 1 or (len(X) == 0 and not allow_empty):
            raise ValueError(f"{what} must hold at least one sample; got shape {X.shape}")
        return X

    def _training_inputs(self, X: Any, what: str) -> np.ndarray:
        X = np.ascontiguousarray(self._inputs(X, what))
        if not _all_finite(X):
            bad = np.argwhere(~np.isfinite(X))[0]
            raise ValueError(
                f"{what} contains NaN or infinite values (first at index {tuple(int(i) for i in bad)}): "
                f"that is a data error, not divergence; remove or impute those samples before fit"
            )
        return X

    def _training_data(self, X: Any, y: Any, loss: _losses.Loss, validation_data: Any) -> tuple:
        """Checked (X, y, validation pair or None), all before the first batch."""
        X = self._training_inputs(X, "fit X")
        # a shape probe must not move BatchNorm statistics or Dropout masks, whatever mode the user set
        with self._mode(training=False, over_the_user=True):
            out_shape = (len(X), *self.forward(X[:1]).shape[1:])  # also checks that the layers fit together
        y = loss.prepare_targets(_finite_targets(y, "fit y"), out_shape, self.output.dtype)
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("fit: validation_data must be a pair (X_val, y_val)")
            X_val = self._training_inputs(validation_data[0], "fit validation X")
            val_shape = (len(X_val), *out_shape[1:])
            val = (X_val, loss.prepare_targets(_finite_targets(validation_data[1], "fit validation y"),
                                               val_shape, self.output.dtype))
        return X, y, val

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        loss: str | _losses.Loss = "softmax_cross_entropy",
        optimizer: str | _optimizers.Optimizer = "adam",
        epochs: int = 10,
        batch_size: int = 32,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        shuffle: bool = True,
        seed: int | None = None,
        verbose: int = 0,
        diagnostics: bool = False,
        callbacks: Sequence[Any] | None = None,
    ) -> History:
        """Train with mini-batches in training mode; returns a `History`.

        Each epoch visits the samples in an order drawn from a Generator
        seeded by (`seed`, epoch), the epoch counted over the optimizer's life
        (`optimizer.epoch`), so fitting 10 epochs and then 10 more with the
        same optimizer (or one restored by `load(path, optimizer=...)`) is
        bit-identical to fitting 20. Batches are gathered from the data
        through that order (no copy of the data set). Per batch: forward,
        loss, backward, one optimizer step; per epoch: the schedule's
        learning rate, `validation_data` (a pair X_val, y_val) measured in
        inference mode, `callbacks` (see `nnlite.callbacks`).
        `verbose=1` prints one line per epoch (stdout) and, when stderr is a
        terminal, a progress line (batches done, elapsed, time left) below
        them; `verbose=0` nothing.
        Non-finite data are refused before training, and so is a last batch
        of one sample in a model with BatchNorm; training stops with
        FloatingPointError if the loss becomes NaN or infinite. Float data
        must have the parameters' dtype (no silent casts); integer data are
        converted to it.
        """
        loss = _losses.get(loss)
        optimizer = _optimizers.get(optimizer)
        _check_count("fit", "epochs", epochs, 0)
        _check_count("fit", "batch_size", batch_size, 1)
        if verbose not in (0, 1):
            raise ValueError(f"fit: verbose must be 0 or 1, got {verbose!r}")
        X, y, val = self._training_data(X, y, loss, validation_data)
        self._check_batches(len(X), batch_size)
        hooks = _Hooks(() if callbacks is None else callbacks, self, optimizer)

        self.loss = loss
        seed = np.random.SeedSequence().entropy if seed is None else seed
        slots = optimizer.prepare(self)
        labels = [_label(i, layer) for i, layer in enumerate(self.layers)]
        grad_layers = [(label, layer) for label, layer in zip(labels, self.layers) if diagnostics and layer.grads]
        # Evenly spaced samples, not random ones: diagnostics must not change the shuffles.
        probe = X[np.linspace(0, len(X) - 1, min(len(X), 1024)).astype(np.intp)] if diagnostics else None
        history = History()
        self.stop_training = False
        n_batches = epochs * -(-len(X) // batch_size)
        progress = Progress(n_batches, "fit", unit="batches", enabled=None if verbose else False)
        on_batch_end = _counting(progress, hooks.on_batch_end)
        self._fast_path(True)
        try:
            # Divergence shows up as a non-finite loss, checked below with a
            # clear message; numpy's overflow warnings on the way would only
            # bury it.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"), self._mode(True):
                for epoch in range(1, epochs + 1):
                    start_time = time.perf_counter()
                    lr = optimizer.epoch_learning_rate
                    order = np.random.default_rng([seed, optimizer.epoch]).permutation(len(X)) if shuffle else None
                    total, correct, seen, norms = self._train_epoch(
                        X, y, order, batch_size, loss, optimizer, slots, grad_layers, on_batch_end, epoch)
                    self._check_finite_params(epoch, optimizer)
                    logs = self._record_epoch(history, total / len(X), correct / seen if loss.classification else None,
                                              val, loss, norms, -(-len(X) // batch_size), lr)
                    if diagnostics:
                        with self._mode(False):
                            self._record_activations(probe, labels, history)
                    history.epoch_time.append(time.perf_counter() - start_time)
                    if verbose:
                        progress.write(self._epoch_line(history, epoch, epochs))
                    optimizer.end_epoch(logs)
                    hooks.on_epoch_end(optimizer.epoch, logs)
                    if self.stop_training:
                        break
        finally:
            self._fast_path(False)
            progress.close()
        hooks.on_train_end(_last_logs(history))
        return history

    def _fast_path(self, on: bool) -> None:
        """Buffers reused per batch shape (Dense) and no gradient for the data (first layer) while fit runs."""
        for layer in self.layers:
            if hasattr(layer, "reuse_buffers"):
                layer.reuse_buffers = on
                if not on:
                    layer._buffers.clear()
        if hasattr(self.layers[0], "compute_dinputs"):
            self.layers[0].compute_dinputs = not on

    def _check_batches(self, n_samples: int, batch_size: int) -> None:
        """Refuse, before any training, a batch of one sample where a layer needs two (BatchNorm)."""
        needy = [_label(i, layer) for i, layer in enumerate(self.layers)
                 if isinstance(layer, _layers.BatchNorm) and layer._user_training is not False]
        if not needy or (n_samples % batch_size or min(batch_size, n_samples)) != 1:
            return
        why = f"{needy[0]} needs at least 2 samples per batch in training (the variance of one sample is 0)"
        if n_samples == 1:
            raise ValueError(f"fit: 1 sample, and {why}")
        nearby = (b for step in range(1, n_samples) for b in (batch_size - step, batch_size + step))
        better = next(b for b in nearby if 2 <= b <= n_samples and n_samples % b != 1)
        raise ValueError(
            f"fit: {n_samples} samples in batches of {batch_size} leave a last batch of 1 sample, and {why}; "
            f"choose another batch_size (the nearest that works: {better}) or drop a sample"
        )

    def _train_epoch(self, X, y, order, batch_size, loss, optimizer, slots, grad_layers, on_batch_end, epoch):
        """One pass over the data; returns (summed loss, correct, counted, summed gradient norms per layer)."""
        layers, reverse = self.layers, self.layers[::-1]
        total, correct, seen = 0.0, 0, 0
        norms = {label: 0.0 for label, _ in grad_layers}
        for batch, start in enumerate(range(0, len(X), batch_size)):
            if order is None:
                out, targets = X[start:start + batch_size], y[start:start + batch_size]
            else:
                index = order[start:start + batch_size]
                out, targets = X.take(index, axis=0), y.take(index, axis=0)
            for layer in layers:
                out = layer.forward(out)
            value = loss._forward(out, targets)
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"the loss became {value} at epoch {epoch}, batch {batch + 1}: training diverged. "
                    f"Try a lower learning rate (it is {optimizer.epoch_learning_rate:g})"
                )
            total += value * len(out)
            if loss.classification:
                correct += loss._correct(out, targets)
                seen += loss._total(out)
            d = loss.backward()
            for layer in reverse:
                d = layer.backward(d)
            for label, layer in grad_layers:
                norms[label] += math.sqrt(sum(float(np.vdot(g, g)) for g in layer.grads.values()))
            optimizer.update(slots)
            if on_batch_end is not None:
                on_batch_end(batch + 1, {"loss": value, "size": len(out)})
        return total, correct, seen, norms

    def _record_epoch(self, history, mean_loss, accuracy, val, loss, norms, n_batches, lr) -> dict[str, Any]:
        """Append the epoch's numbers to `history`; returns them as the callbacks' logs."""
        history.loss.append(mean_loss + self.regularization_loss())
        history.accuracy.append(accuracy)
        history.learning_rate.append(lr)
        if val is not None:
            scores = self.evaluate(*val, loss=loss)
            history.val_loss.append(scores["loss"])
            history.val_accuracy.append(scores["accuracy"])
        for label in norms:
            history.grad_norm.setdefault(label, []).append(norms[label] / n_batches)
        return _last_logs(history)

    def _check_finite_params(self, epoch: int, optimizer: _optimizers.Optimizer) -> None:
        for key, p in self.params.items():
            if not np.all(np.isfinite(p)):
                raise FloatingPointError(
                    f"parameter {key} became non-finite in epoch {epoch}: training diverged. "
                    f"Try a lower learning rate (it is {optimizer.epoch_learning_rate:g})"
                )

    def _record_activations(self, probe: np.ndarray, labels: list[str], history: History) -> None:
        out = probe
        for label, layer in zip(labels, self.layers):
            out = layer.forward(out)
            if isinstance(layer, _activations.Activation):
                history.activation_mean.setdefault(label, []).append(float(out.mean()))
                history.activation_std.setdefault(label, []).append(float(out.std()))
                dead = np.all(out.reshape(len(out), -1) == 0, axis=0)
                history.dead_fraction.setdefault(label, []).append(float(dead.mean()))

    @staticmethod
    def _epoch_line(history: History, epoch: int, epochs: int) -> str:
        parts = [f"Epoch {epoch}/{epochs}", f"{history.epoch_time[-1]:.2f}s", f"loss: {history.loss[-1]:.4f}"]
        if history.accuracy[-1] is not None:
            parts.append(f"accuracy: {history.accuracy[-1]:.4f}")
        if history.val_loss:
            parts.append(f"val_loss: {history.val_loss[-1]:.4f}")
            if history.val_accuracy[-1] is not None:
                parts.append(f"val_accuracy: {history.val_accuracy[-1]:.4f}")
        return " - ".join(parts)

    # ------------------------------------------------------------ save / load

    def _state_arrays(self) -> dict[str, np.ndarray]:
        """Every layer's non-learnable `state` arrays, under keys "state.<index>.<name>"."""
        return {f"{_STATE_PREFIX}{i}.{k}": a for i, layer in enumerate(self.layers) for k, a in layer.state.items()}

    def save(self, path: str | os.PathLike, optimizer: _optimizers.Optimizer | None = None) -> None:
        """Write the architecture (JSON), every parameter and every layer's `state` to one .npz file at `path`.

        With `optimizer`, its state for this network (moments, step counts,
        epoch and schedule position: `optimizer.state_arrays(self)`) is
        stored too, so that `load(path, optimizer=...)` resumes training
        bit-identically.

        Each layer is recorded by its qualified class name and its
        `get_config()`; a layer whose constructor arguments cannot be
        recovered raises `ConfigError` (a TypeError) naming the class and the
        argument, and nothing is written. The file is replaced atomically
        and keeps its permissions.
        """
        arrays = {_ARCH_KEY: np.array(json.dumps(_architecture.encode(self.layers, self.loss)))}
        arrays.update(self.params)
        arrays.update(self._state_arrays())
        if optimizer is not None:
            if not isinstance(optimizer, _optimizers.Optimizer):
                raise TypeError(f"save: optimizer must be an nnlite Optimizer, got {type(optimizer).__name__}")
            arrays[f"{_OPT_PREFIX}class"] = np.array(type(optimizer).__name__)
            arrays.update({f"{_OPT_PREFIX}{k}": a for k, a in optimizer.state_arrays(self).items()})
        for key, value in arrays.items():
            if not isinstance(value, np.ndarray):
                raise TypeError(f"Sequential.save: {key} must be a numpy array, got {type(value).__name__}")
        _archive.write_atomically(path, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike, optimizer: _optimizers.Optimizer | None = None) -> Sequential:
        """Rebuild a network saved by `save`: same layers, bit-identical parameters and state.

        With `optimizer` (of the class that was saved, built with the same
        settings), the saved optimizer state is loaded into it for the new
        network, to continue training with `fit(..., optimizer=optimizer)`.

        nnlite's own layers load as themselves; a user's class must be
        defined, or importable from the module it was defined in. The file's
        array headers are checked against the architecture before any layer
        is built, so a damaged file gives a ValueError naming the problem.
        """
        path = os.fspath(path)
        if optimizer is not None and not isinstance(optimizer, _optimizers.Optimizer):
            raise TypeError(f"load: optimizer must be an nnlite Optimizer, got {type(optimizer).__name__}")
        with _archive.open_archive(path) as archive:
            arch = _architecture.check(path, _read_architecture(archive))
            specs = _architecture.resolve(path, arch)
            _check_saved_shapes(path, specs, archive.members)
            model = cls([spec.build(path) for spec in specs])
            _restore_arrays(path, model, archive)
            if optimizer is not None:
                _load_optimizer(path, model, optimizer, archive)
        model.loss = _architecture.rebuild_loss(path, arch.get("loss"))
        return model


def _read_architecture(archive: _archive.Archive) -> Any:
    member = archive.members.get(_ARCH_KEY)
    if member is None or member.dtype.kind != "U" or member.shape != ():
        raise ValueError(f"{archive.path!r} is not a readable nnlite model file: it holds no nnlite architecture")
    try:
        return json.loads(str(archive.read(_ARCH_KEY)[()]))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{archive.path!r} is not a readable nnlite model file: its architecture: {exc}") from None


def _check_saved_shapes(path: str, specs: list[_architecture.LayerSpec], members: dict[str, Any]) -> None:
    """Compare each layer's shapes as predicted from its config with the file's arrays, before
    building it: a config that asks for a huge layer fails here, not in an allocation."""
    for spec in specs:
        expected = spec.expected_shapes() or {}
        for name, shape in expected.items():
            member = members.get(f"{spec.index}.{name}") or members.get(f"{_STATE_PREFIX}{spec.index}.{name}")
            if member is None or member.shape != tuple(shape):
                found = "missing" if member is None else f"of shape {member.shape}"
                raise ValueError(
                    f"{path!r}: the saved arrays do not match the architecture: layer {spec.index} "
                    f"({spec.cls.__qualname__}(**{spec.config})) needs {name} of shape {tuple(shape)}, "
                    f"the file's is {found}"
                )


def _restore_arrays(path: str, model: Sequential, archive: _archive.Archive) -> None:
    """Copy the file's arrays into the model's params (in place) and each layer's state (through
    `set_state`), after checking that the keys, shapes and dtypes are exactly the ones the
    rebuilt model has. Optimizer arrays are left to `_load_optimizer`."""
    targets = {**model.params, **model._state_arrays()}
    saved = {key for key in archive.members if key != _ARCH_KEY and not key.startswith(_OPT_PREFIX)}
    if saved != set(targets):
        raise ValueError(
            f"{path!r}: the saved arrays {sorted(saved)} do not match the architecture's {sorted(targets)}"
        )
    for key, target in targets.items():
        member = archive.members[key]
        if member.shape != target.shape or member.dtype != target.dtype:
            raise ValueError(
                f"{path!r}: array {key} is {member.dtype}{member.shape}, "
                f"the architecture needs {target.dtype}{target.shape}"
            )
    for key, target in model.params.items():
        target[...] = archive.read(key)
    for i, layer in enumerate(model.layers):
        prefix = f"{_STATE_PREFIX}{i}."
        own = {key[len(prefix):]: archive.read(key) for key in targets if key.startswith(prefix)}
        if own:
            try:
                layer.set_state(own)
            except ValueError as exc:
                raise ValueError(f"{path!r}: layer {i}: {exc}") from exc


def _load_optimizer(path: str, model: Sequential, optimizer: _optimizers.Optimizer,
                    archive: _archive.Archive) -> None:
    saved = {key[len(_OPT_PREFIX):]: archive.read(key) for key in archive.members if key.startswith(_OPT_PREFIX)}
    if "class" not in saved:
        raise ValueError(f"{path!r} holds no optimizer state: save it with model.save(path, optimizer=...)")
    saved_class = str(saved.pop("class")[()])
    if saved_class != type(optimizer).__name__:
        raise ValueError(f"{path!r} holds {saved_class} state; it cannot be loaded into {type(optimizer).__name__}")
    try:
        optimizer.load_state_arrays(model, saved)
    except ValueError as exc:
        raise ValueError(f"{path!r}: {exc}") from exc
