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
import secrets
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import activations as _activations
from . import layers as _layers
from . import losses as _losses
from . import optimizers as _optimizers
from ._arrays import as_float_array

__all__ = ["Sequential", "History", "WithLoss"]

_FORMAT, _VERSION = "nnlite.Sequential", 1
_ARCH_KEY = "__nnlite__"


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

    def _architecture(self) -> dict[str, Any]:
        entries = []
        for layer in self.layers:
            if isinstance(layer, _activations.Activation):
                entries.append({"kind": "activation", "name": layer.name, "config": layer.get_config()})
            else:
                entries.append({"kind": "layer", "class": type(layer).__name__, "config": layer.get_config()})
        loss = None if self.loss is None else {"name": self.loss.name, "config": self.loss.get_config()}
        return {"format": _FORMAT, "version": _VERSION, "layers": entries, "loss": loss}

    def save(self, path: str | os.PathLike) -> None:
        """Write the architecture (JSON) and every parameter to one .npz file at `path`.

        The file is written under a temporary name in the same folder and
        then renamed over `path` (os.replace is atomic), so a crash leaves
        either the old file or the new one, never half a file.
        """
        path = os.fspath(path)
        arrays = {_ARCH_KEY: np.array(json.dumps(self._architecture()))}
        arrays.update(self.params)
        tmp = f"{path}.{secrets.token_hex(4)}.tmp"
        try:
            with open(tmp, "xb") as f:
                np.savez(f, **arrays)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike) -> Sequential:
        """Rebuild a network saved by `save`: same layers, bit-identical parameters.

        Activations are rebuilt by registry name, so a user-defined one must
        be defined (imported) before loading.
        """
        path = os.fspath(path)
        try:
            # Our own file object: np.load leaks its own when a damaged zip fails to open.
            with open(path, "rb") as f:
                data = np.load(f, allow_pickle=False)
                if not isinstance(data, np.lib.npyio.NpzFile):
                    raise ValueError("it is not an .npz archive")
                with data:
                    if _ARCH_KEY not in data.files:
                        raise ValueError("it holds no nnlite architecture")
                    arch = json.loads(str(data[_ARCH_KEY][()]))
                    if not isinstance(arch, dict) or arch.get("format") != _FORMAT:
                        raise ValueError("its architecture record is not an nnlite.Sequential one")
                    if arch.get("version") != _VERSION:
                        raise ValueError(f"it has format version {arch.get('version')}, this nnlite reads {_VERSION}")
                    arrays = {key: data[key] for key in data.files if key != _ARCH_KEY}
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            raise ValueError(f"{path!r} is not a readable nnlite model file: {exc}") from exc

        layers = []
        for i, entry in enumerate(arch["layers"]):
            try:
                if entry["kind"] == "activation":
                    layers.append(_activations.get(entry["name"], **entry["config"]))
                else:
                    layers.append(_layers.get(entry["class"], **entry["config"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path!r}: cannot rebuild layer {i} from {entry}: {exc}") from exc
        model = cls(layers)
        params = model.params
        if set(params) != set(arrays):
            raise ValueError(
                f"{path!r}: the saved parameters {sorted(arrays)} do not match the architecture's {sorted(params)}"
            )
        for key, p in params.items():
            if arrays[key].shape != p.shape or arrays[key].dtype != p.dtype:
                raise ValueError(
                    f"{path!r}: parameter {key} is {arrays[key].dtype}{arrays[key].shape}, "
                    f"the architecture needs {p.dtype}{p.shape}"
                )
            p[...] = arrays[key]
        if arch.get("loss"):
            model.loss = _losses.get(arch["loss"]["name"], **arch["loss"]["config"])
        return model
