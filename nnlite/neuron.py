"""The minimal model of the information-bottleneck debate: one neuron y = f(w*x + b).

Saxe et al. (2018) use it to argue that the compression phase Shwartz-Ziv &
Tishby (2017) saw in I(X;T) comes from double-saturating activations: for
T = tanh(w X) the binned I(X;T) = H(T) falls as |w| grows, for relu it does not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import activations as _activations
from . import information as _information
from . import losses as _losses
from ._arrays import as_float_array, check_dvalues, check_finite

__all__ = ["OneNeuron", "NeuronHistory"]


@dataclass
class NeuronHistory:
    """Per-epoch record of `OneNeuron.fit`: index 0 is before training, index e after epoch e.

    `weight`, `bias`, `loss` always; `mi_xt` (I(X;T) = H(T), bits) and, for a
    classification loss, `mi_ty` (I(T;Y), bits) when fit was asked for them.
    """

    weight: list[float] = field(default_factory=list)
    bias: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    mi_xt: list[float] = field(default_factory=list)
    mi_ty: list[float] = field(default_factory=list)


def _scalar(value: Any, what: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.size != 1 or arr.dtype.kind not in "biuf" or not np.isfinite(arr).all():
        raise ValueError(f"OneNeuron {what} must be one finite real number, got {value!r}")
    return np.array([float(arr.reshape(()))], dtype=np.float64)


def _elementwise(activation: _activations.Activation) -> _activations.Activation:
    """The activation, if it maps each z to its own f(z); softmax or maxout over one neuron's
    outputs would mix samples (or drop them), so they are refused."""
    cls = type(activation)
    if not activation._elementwise or cls.forward is not _activations.Activation.forward:
        raise ValueError(
            f"OneNeuron needs an elementwise activation, f applied to each w*x + b on its own; "
            f"{activation!r} is not elementwise (it combines several inputs into one output)"
        )
    return activation


def _learning_rate(value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"learning_rate must be a positive number, got {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"learning_rate must be a positive finite number, got {value!r}")
    return float(value)


SWEEP_MAX_BYTES = 4 << 30


def _check_sweep_size(shape: tuple[int, ...], dtype: np.dtype, max_bytes: int | None) -> None:
    if max_bytes is None:
        return
    size = math.prod(shape) * dtype.itemsize
    if size > max_bytes:
        raise ValueError(
            f"OneNeuron.sweep would build a {' x '.join(map(str, shape))} {dtype} array ({size / 2**30:.2f} GiB, "
            f"about {3 * size / 2**30:.2f} GiB at its peak with temporaries), above max_bytes={max_bytes}: sweep "
            "fewer weights (or biases) per call and reduce each block, or pass max_bytes=None to allow it"
        )


class OneNeuron:
    """One neuron, y = f(w x + b), elementwise over any input shape.

    forward:  z = w x + b,  y = f(z)
    backward: dz = dvalues * f'(z),  dinputs = w dz,  dL/dw = sum(dz x),  dL/db = sum(dz)

    `activation` is a registry name or an elementwise `Activation` instance
    (softmax, log_softmax and maxout combine outputs, so they are refused). `params` and
    `grads` hold "weight" and "bias" as float64 arrays of shape (1,), updated in place
    (so gradcheck and the optimizers work on them); `weight` and `bias` read
    them as floats. float32 inputs are computed in float32.
    """

    def __init__(self, activation: str | _activations.Activation = "tanh", weight: float = 1.0, bias: float = 0.0):
        self.activation = _elementwise(_activations.get(activation))
        self.params = {"weight": _scalar(weight, "weight"), "bias": _scalar(bias, "bias")}
        self.grads = {"weight": np.zeros(1, np.float64), "bias": np.zeros(1, np.float64)}
        self.inputs: np.ndarray | None = None
        self.output: np.ndarray | None = None
        self.dinputs: np.ndarray | None = None

    @property
    def weight(self) -> float:
        """The weight w, a float; assigning sets it in place (`params["weight"]`)."""
        return float(self.params["weight"][0])

    @weight.setter
    def weight(self, value: float) -> None:
        self.params["weight"][...] = _scalar(value, "weight")

    @property
    def bias(self) -> float:
        """The bias b, a float; assigning sets it in place (`params["bias"]`)."""
        return float(self.params["bias"][0])

    @bias.setter
    def bias(self, value: float) -> None:
        self.params["bias"][...] = _scalar(value, "bias")

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        """Store `inputs`, return and store y = f(w x + b)."""
        x = as_float_array(inputs, "OneNeuron.forward inputs")
        w, b = x.dtype.type(self.params["weight"][0]), x.dtype.type(self.params["bias"][0])
        self.inputs = x
        with np.errstate(over="ignore"):  # |w x| past the float range is +-inf, which f maps to its limit
            z = w * x + b
        self.output = self.activation.forward(z)
        return self.output

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        """dinputs = w f'(z) dvalues; grads["weight"] = sum(f'(z) dvalues x), grads["bias"] = sum(f'(z) dvalues)."""
        dvalues = check_dvalues(self, dvalues)
        dz = self.activation.backward(dvalues)
        with np.errstate(over="ignore"):  # as in forward: a gradient past the float range is +-inf
            self.grads["weight"][...] = np.sum(np.multiply(dz, self.inputs, dtype=np.float64))
            self.grads["bias"][...] = np.sum(dz, dtype=np.float64)
            self.dinputs = dz * dz.dtype.type(self.params["weight"][0])
        return self.dinputs

    __call__ = forward

    def sweep(self, x: np.ndarray, weights: Sequence[float] | np.ndarray,
              bias: float | Sequence[float] | np.ndarray = 0.0, *,
              max_bytes: int | None = SWEEP_MAX_BYTES) -> np.ndarray:
        """T[k, i] = f(weights[k] * x[i] + bias), all weights at once (no state is stored).

        x is 1-D (the samples); a scalar bias gives shape (len(weights), len(x)),
        a sequence of biases gives (len(biases), len(weights), len(x)). The net
        input is the outer product of weights and x, as in Saxe et al. (2018).
        The whole array is built at once, with temporaries of about twice its
        size: a sweep whose result would pass `max_bytes` (default 4 GiB) is
        refused before anything is allocated (sweep a few weights at a time,
        as the minimal-model experiment does, or pass max_bytes=None).
        """
        x = as_float_array(x, "OneNeuron.sweep x")
        if x.ndim != 1:
            raise ValueError(f"OneNeuron.sweep x must be 1-D (the samples), got shape {x.shape}")
        w = as_float_array(weights, "OneNeuron.sweep weights").astype(x.dtype, copy=False)
        b = as_float_array(bias, "OneNeuron.sweep bias").astype(x.dtype, copy=False)
        if w.ndim != 1:
            raise ValueError(f"OneNeuron.sweep weights must be 1-D, got shape {w.shape}")
        if b.ndim > 1:
            raise ValueError(f"OneNeuron.sweep bias must be a number or a 1-D sequence, got shape {b.shape}")
        _check_sweep_size((b.size,) * b.ndim + (w.size, x.size), x.dtype, max_bytes)
        with np.errstate(over="ignore"):  # as in forward: inf is the right net input past the float range
            z = np.multiply.outer(w, x)
            if b.ndim:
                z = z + b[:, None, None]
            else:
                z += b  # in place: one temporary fewer
        return self.activation.function(z)

    def fit(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        loss: str | _losses.Loss = "mse",
        epochs: int = 100,
        learning_rate: float = 0.1,
        information: bool = False,
        bins: int = 30,
        binning: str = "per_row",
    ) -> NeuronHistory:
        """Train w and b by full-batch gradient descent: w -= lr dL/dw, b -= lr dL/db.

        `loss` is a loss name or object from nnlite.losses ("mse" for a
        regression target such as tanh(3x); "bce" for labels in {0, 1} with a
        sigmoid neuron). With `information=True` each epoch also records
        I(X;T) = H(T) of the neuron's output on x (binned as
        `information.entropy(bins=, binning=)`; T is deterministic) and, for a
        classification loss, I(T;Y): the minimal model's own trajectory in the
        information plane (Shwartz-Ziv & Tishby 2017).

        As in `Sequential.fit`, bad data are refused before training (ValueError:
        NaN or infinite x or y, no samples, targets or outputs the loss cannot
        take), and a loss or parameter that stops being finite raises
        FloatingPointError suggesting a lower learning rate.
        """
        x, y = self._fit_data(x, y)
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
        learning_rate = _learning_rate(learning_rate)
        loss = _losses.get(loss)
        y = loss.prepare_targets(y, x.shape, x.dtype)  # targets the loss cannot take are refused before training
        history = NeuronHistory()

        def record(output: np.ndarray, value: float) -> None:
            history.weight.append(self.weight)
            history.bias.append(self.bias)
            history.loss.append(value)
            if information:
                history.mi_xt.append(_information.entropy(output, bins=bins, binning=binning))
                if loss.classification:
                    history.mi_ty.append(_information.mutual_information(output, y, bins=bins, binning=binning))

        # Divergence shows up as a non-finite loss or parameter, named below; numpy's
        # overflow warnings on the way there would only bury that message.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for epoch in range(epochs + 1):
                output = self.forward(x)
                # the first epoch through the checked forward: an activation whose outputs the loss
                # cannot take (tanh's negative values for bce) is named, not clipped silently
                value = loss.forward(output, y) if epoch == 0 else loss._forward(output, y)
                self._check_finite(value, epoch, learning_rate)
                record(output, value)
                if epoch == epochs:
                    break
                self.backward(loss.backward())
                for name in ("weight", "bias"):
                    self.params[name] -= learning_rate * self.grads[name]
        return history

    @staticmethod
    def _fit_data(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """x and y as finite 1-D float arrays of the same, non-zero length."""
        x = as_float_array(x, "OneNeuron.fit x")
        y = as_float_array(y, "OneNeuron.fit y")
        if x.ndim != 1 or y.shape != x.shape:
            raise ValueError(f"OneNeuron.fit needs 1-D x and y of the same length; got {x.shape} and {y.shape}")
        if x.size == 0:
            raise ValueError("OneNeuron.fit needs at least one sample; got empty x and y")
        return check_finite(x, "OneNeuron.fit x"), check_finite(y, "OneNeuron.fit y")

    def _check_finite(self, value: float, epoch: int, learning_rate: float) -> None:
        """Raise FloatingPointError, as Sequential.fit does, once the loss or w, b stop being finite."""
        if not (np.isfinite(value) and np.isfinite(self.params["weight"][0]) and np.isfinite(self.params["bias"][0])):
            raise FloatingPointError(
                f"OneNeuron.fit: the loss became {value} (w = {self.weight}, b = {self.bias}) after "
                f"{epoch} epoch(s): training diverged. Try a lower learning rate (it is {learning_rate:g})"
            )

    def __repr__(self) -> str:
        return f"OneNeuron(activation={self.activation!r}, weight={self.weight!r}, bias={self.bias!r})"
