"""`Sequential`: a stack of layers and activations that trains.

    model = Sequential([Dense(64, 128, seed=0), ReLU(), Dense(128, 10, seed=1)])
    history = model.fit(X, y, loss="softmax_cross_entropy", optimizer=Adam(1e-3), epochs=30)
    model.evaluate(X_test, y_test)      # {"loss": ..., "accuracy": ...}
    model.save("digits.npz"); Sequential.load("digits.npz")

The training loop is kept lean because at small batch sizes the per-batch
Python overhead, not the arithmetic, decides the speed: the data are
shuffled once per epoch into a preallocated buffer (batches are then views,
not copies), Dense layers write into buffers kept per batch shape, the
optimizer updates parameters in place from slots looked up once, and labels
are validated once per `fit`, not per batch.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _architecture, _archive
from . import activations as _activations
from . import layers as _layers
from . import losses as _losses
from . import optimizers as _optimizers
from ._arrays import as_float_array

__all__ = ["Sequential", "History", "WithLoss"]

_ARCH_KEY = "__nnlite__"
_STATE_PREFIX = "state."


@dataclass
class History:
    """What `Sequential.fit` recorded, one entry per epoch.

    `loss` is the mean training loss over the epoch's batches plus the
    regularization penalty at the epoch's end; `accuracy` the fraction of
    training predictions that were right during the epoch (both as Keras
    reports them). `val_*` are measured after the epoch. With
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
    grad_norm: dict[str, list[float]] = field(default_factory=dict)
    activation_mean: dict[str, list[float]] = field(default_factory=dict)
    activation_std: dict[str, list[float]] = field(default_factory=dict)
    dead_fraction: dict[str, list[float]] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
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
        return self.model.params

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return self.model.grads

    def forward(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        self.output = self.loss.forward(self.model.forward(inputs), targets) + self.model.regularization_loss()
        return self.output

    def backward(self, dvalues: float = 1.0) -> np.ndarray:
        self.dinputs = self.model.backward(self.loss.backward(dvalues))
        return self.dinputs


def _label(index: int, layer: Any) -> str:
    return f"{index}.{layer.name.lower()}"


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
        return {f"{i}.{k}": p for i, layer in enumerate(self.layers) for k, p in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": g for i, layer in enumerate(self.layers) for k, g in layer.grads.items()}

    @property
    def dtype(self) -> np.dtype | None:
        """The dtype of the first parameter, the one the data meet (None for a network without any)."""
        return next((p.dtype for p in self.params.values()), None)

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        self.inputs = out = as_float_array(inputs, "Sequential.forward inputs")
        for layer in self.layers:
            out = layer.forward(out)
        self.output = out
        return out

    __call__ = forward

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        if self.output is None:
            raise RuntimeError("Sequential.backward was called before forward: call forward(inputs) first")
        for layer in reversed(self.layers):
            dvalues = layer.backward(dvalues)
        self.dinputs = dvalues
        return dvalues

    def regularization_loss(self) -> float:
        return sum(layer.regularization_loss() for layer in self.layers if isinstance(layer, _layers.Layer))

    def with_loss(self, loss: str | _losses.Loss) -> WithLoss:
        """This network and `loss` as one object with a scalar output (for gradcheck)."""
        return WithLoss(self, loss)

    def predict(self, X: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """The last layer's output for `X`, computed `batch_size` samples at a time (all at once by default)."""
        X = as_float_array(X, "Sequential.predict X")
        if batch_size is None or batch_size >= len(X):
            return self.forward(X)
        return np.concatenate([self.forward(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])

    def _loss(self, loss: str | _losses.Loss | None) -> _losses.Loss:
        if loss is not None:
            return _losses.get(loss)
        if self.loss is None:
            raise ValueError("no loss to evaluate with: pass loss=... (the model has not been fit with one)")
        return self.loss

    def evaluate(self, X: np.ndarray, y: np.ndarray, loss: str | _losses.Loss | None = None) -> dict[str, float | None]:
        """{"loss": mean loss + penalties, "accuracy": fraction right (None for regression losses)}.

        `loss` defaults to the one the model was fit (or saved) with; labels
        as class indices or one-hot rows.
        """
        loss = self._loss(loss)
        X = as_float_array(X, "Sequential.evaluate X")
        if len(X) != len(y):
            raise ValueError(f"Sequential.evaluate: X has {len(X)} samples but y has {len(y)}")
        out = self.forward(X)
        targets = loss.prepare_targets(y, out.shape, out.dtype)
        value = loss._forward(out, targets) + self.regularization_loss()
        acc = loss._correct(out, targets) / loss._total(out) if loss.classification else None
        return {"loss": value, "accuracy": acc}

    # ---------------------------------------------------------------- training

    def _training_inputs(self, X: Any, what: str) -> np.ndarray:
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
        if X.ndim < 1 or len(X) == 0:
            raise ValueError(f"{what} must hold at least one sample; got shape {X.shape}")
        return np.ascontiguousarray(X)

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
    ) -> History:
        """Train with mini-batches; returns a `History`.

        Each epoch shuffles the samples with a Generator seeded by `seed`,
        runs forward, loss, backward and one optimizer step per batch of
        `batch_size`, then measures `validation_data` (a pair X_val, y_val).
        `verbose=1` prints one line per epoch, `verbose=0` nothing. Training
        stops with FloatingPointError if the loss becomes NaN or infinite.
        Float data must have the parameters' dtype (no silent casts);
        integer data are converted to it.
        """
        loss = _losses.get(loss)
        optimizer = _optimizers.get(optimizer)
        for what, value, low in (("epochs", epochs, 0), ("batch_size", batch_size, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"fit: {what} must be an integer >= {low}, got {value!r}")
        if verbose not in (0, 1):
            raise ValueError(f"fit: verbose must be 0 or 1, got {verbose!r}")
        X = self._training_inputs(X, "fit X")
        out_shape = (len(X), *self.forward(X[:1]).shape[1:])  # also checks that the layers fit together
        y = loss.prepare_targets(y, out_shape, self.output.dtype)
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("fit: validation_data must be a pair (X_val, y_val)")
            X_val = self._training_inputs(validation_data[0], "fit validation X")
            val_shape = (len(X_val), *out_shape[1:])
            val = (X_val, loss.prepare_targets(validation_data[1], val_shape, self.output.dtype))

        self.loss = loss
        rng = np.random.default_rng(seed)
        slots = optimizer.prepare(self)
        layers, reverse = self.layers, self.layers[::-1]
        n = len(X)
        X_epoch, y_epoch = (np.empty_like(X), np.empty_like(y)) if shuffle else (X, y)
        labels = [_label(i, layer) for i, layer in enumerate(layers)]
        grad_layers = [(label, layer) for label, layer in zip(labels, layers) if layer.grads] if diagnostics else []
        # Evenly spaced samples, not random ones: diagnostics must not change the shuffles.
        probe = X[np.linspace(0, n - 1, min(n, 1024)).astype(np.intp)] if diagnostics else None
        history = History()
        for layer in layers:
            if hasattr(layer, "reuse_buffers"):
                layer.reuse_buffers = True
        if hasattr(layers[0], "compute_dinputs"):
            layers[0].compute_dinputs = False
        try:
            # Divergence shows up as a non-finite loss, checked below with a
            # clear message; numpy's overflow warnings on the way would only
            # bury it.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                for epoch in range(1, epochs + 1):
                    start_time = time.perf_counter()
                    if shuffle:
                        order = rng.permutation(n)
                        np.take(X, order, axis=0, out=X_epoch)
                        np.take(y, order, axis=0, out=y_epoch)
                    total, correct, seen = 0.0, 0, 0
                    norms = {label: 0.0 for label, _ in grad_layers}
                    for batch, start in enumerate(range(0, n, batch_size)):
                        out = X_epoch[start:start + batch_size]
                        targets = y_epoch[start:start + batch_size]
                        for layer in layers:
                            out = layer.forward(out)
                        value = loss._forward(out, targets)
                        if not math.isfinite(value):
                            raise FloatingPointError(
                                f"the loss became {value} at epoch {epoch}, batch {batch + 1}: training "
                                f"diverged. Try a lower learning rate (it is {optimizer.learning_rate:g})"
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
                    self._check_finite_params(epoch, optimizer)
                    n_batches = -(-n // batch_size)
                    history.loss.append(total / n + self.regularization_loss())
                    history.accuracy.append(correct / seen if loss.classification else None)
                    if val is not None:
                        scores = self.evaluate(*val, loss=loss)
                        history.val_loss.append(scores["loss"])
                        history.val_accuracy.append(scores["accuracy"])
                    for label in norms:
                        history.grad_norm.setdefault(label, []).append(norms[label] / n_batches)
                    if diagnostics:
                        self._record_activations(probe, labels, history)
                    history.epoch_time.append(time.perf_counter() - start_time)
                    if verbose:
                        print(self._epoch_line(history, epoch, epochs), flush=True)
        finally:
            for layer in layers:
                if hasattr(layer, "reuse_buffers"):
                    layer.reuse_buffers = False
                    layer._buffers.clear()
            if hasattr(layers[0], "compute_dinputs"):
                layers[0].compute_dinputs = True
        return history

    def _check_finite_params(self, epoch: int, optimizer: _optimizers.Optimizer) -> None:
        for key, p in self.params.items():
            if not np.all(np.isfinite(p)):
                raise FloatingPointError(
                    f"parameter {key} became non-finite in epoch {epoch}: training diverged. "
                    f"Try a lower learning rate (it is {optimizer.learning_rate:g})"
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

    def save(self, path: str | os.PathLike) -> None:
        """Write the architecture (JSON), every parameter and every `state` array to one .npz file.

        Each layer is recorded by its qualified class name and its
        `get_config()`; a layer whose constructor arguments cannot be
        recovered raises `ConfigError` (a TypeError) naming the class and the
        argument, and nothing is written. The file is replaced atomically
        and keeps its permissions.
        """
        arrays = {_ARCH_KEY: np.array(json.dumps(_architecture.encode(self.layers, self.loss)))}
        arrays.update(self.params)
        arrays.update(self._state_arrays())
        for key, value in arrays.items():
            if not isinstance(value, np.ndarray):
                raise TypeError(f"Sequential.save: {key} must be a numpy array, got {type(value).__name__}")
        _archive.write_atomically(path, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Sequential:
        """Rebuild a network saved by `save`: same layers, bit-identical parameters and state.

        nnlite's own layers load as themselves; a user's class must be
        defined, or importable from the module it was defined in. The file's
        array headers are checked against the architecture before any layer
        is built, so a damaged file gives a ValueError naming the problem.
        """
        path = os.fspath(path)
        with _archive.open_archive(path) as archive:
            arch = _architecture.check(path, _read_architecture(archive))
            specs = _architecture.resolve(path, arch)
            _check_saved_shapes(path, specs, archive.members)
            model = cls([spec.build(path) for spec in specs])
            _restore_arrays(path, model, archive)
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
    """Copy the file's arrays into the model's params and state (in place), after checking that
    the keys, shapes and dtypes are exactly the ones the rebuilt model has."""
    targets = {**model.params, **model._state_arrays()}
    saved = set(archive.members) - {_ARCH_KEY}
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
    for key, target in targets.items():
        target[...] = archive.read(key)
