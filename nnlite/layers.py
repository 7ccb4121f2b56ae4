"""Layers with parameters: the `Layer` base class and `Dense`.

A layer follows the same contract as an activation: `forward`
stores `inputs` and `output`, `backward(dvalues)` stores and returns
`dinputs`, and `params`/`grads` are dicts with the same keys whose arrays
are the layer's own attributes, so an optimizer updating `params[k]` in
place updates the layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ._arrays import as_float_array, check_dvalues

__all__ = ["Layer", "Dense", "get", "WEIGHT_INITS"]

_REGISTRY: dict[str, type[Layer]] = {}

WEIGHT_INITS = ("he", "glorot", "normal", "zeros")


class Layer:
    """Base class of layers with parameters.

    Subclasses define `forward(inputs)`, `backward(dvalues)`, `params`,
    `grads` and `get_config()` (constructor keywords that rebuild the layer,
    used by `Sequential.save`). Defining a subclass registers it under its
    class name so `Sequential.load` can rebuild it. backward must write the
    gradients into the same `grads` arrays each time (in place): optimizers
    keep views of them.
    """

    params: Mapping[str, np.ndarray]
    grads: Mapping[str, np.ndarray]
    inputs: np.ndarray | None = None
    output: np.ndarray | None = None
    dinputs: np.ndarray | None = None
    name: ClassVar[str] = "layer"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = cls.__name__
        _REGISTRY[cls.__name__] = cls

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define forward(inputs)")

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define backward(dvalues)")

    def regularization_loss(self) -> float:
        """Penalty added to the data loss (0 for layers without one)."""
        return 0.0

    def get_config(self) -> dict[str, Any]:
        return {}

    __call__ = forward

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def get(class_name: str, **config: Any) -> Layer:
    """Build a registered layer from its class name and `get_config()` keywords."""
    cls = _REGISTRY.get(class_name)
    if cls is None:
        raise ValueError(f"unknown layer class {class_name!r}; known layers: {', '.join(sorted(_REGISTRY))}")
    return cls(**config)


class Dense(Layer):
    """Fully connected layer.

    forward:   output = inputs @ W + b          inputs (n, n_inputs), W (n_inputs, n_neurons), b (1, n_neurons)
    backward:  dW = inputs.T @ dvalues + l1 * sign(W) + 2 * l2 * W
               db = sum(dvalues, axis=0)
               dinputs = dvalues @ W.T
    penalty:   regularization_loss() = l1 * sum|W| + l2 * sum W^2   (weights only, as in Keras)

    Weight initialisation (biases start at zero):
    "he"      W ~ N(0, 2 / n_inputs)                          He et al., 2015 (for ReLU)
    "glorot"  W ~ U(-a, a), a = sqrt(6 / (n_inputs + n_neurons))  Glorot & Bengio, 2010
    "normal"  W ~ 0.01 * N(0, 1)                              (the nnfs book's choice)
    "zeros"   W = 0

    Randomness comes from `rng` (a numpy Generator) or `seed`; the weights
    are drawn in float64 and then cast to `dtype`, so a seed gives the same
    network in float32 and float64 up to rounding. `dweights` and `dbiases`
    are allocated once and overwritten by each backward.
    """

    def __init__(
        self,
        n_inputs: int,
        n_neurons: int,
        *,
        weight_init: str = "he",
        seed: int | None = None,
        rng: np.random.Generator | None = None,
        l1: float = 0.0,
        l2: float = 0.0,
        dtype: Any = np.float64,
    ):
        for what, value in (("n_inputs", n_inputs), ("n_neurons", n_neurons)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Dense {what} must be a positive integer, got {value!r}")
        if weight_init not in WEIGHT_INITS:
            raise ValueError(f"Dense weight_init must be one of {WEIGHT_INITS}, got {weight_init!r}")
        if seed is not None and rng is not None:
            raise ValueError("Dense takes seed or rng, not both")
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"Dense rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if float(l1) < 0 or float(l2) < 0:
            raise ValueError(f"Dense l1 and l2 must be >= 0, got l1={l1}, l2={l2}")
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"Dense dtype must be a float dtype (float32 or float64), got {self.dtype}")
        self.n_inputs, self.n_neurons = int(n_inputs), int(n_neurons)
        self.weight_init, self.l1, self.l2 = weight_init, float(l1), float(l2)

        rng = rng if rng is not None else np.random.default_rng(seed)
        shape = (self.n_inputs, self.n_neurons)
        if weight_init == "he":
            w = rng.standard_normal(shape) * np.sqrt(2.0 / self.n_inputs)
        elif weight_init == "glorot":
            limit = np.sqrt(6.0 / (self.n_inputs + self.n_neurons))
            w = rng.uniform(-limit, limit, shape)
        elif weight_init == "normal":
            w = 0.01 * rng.standard_normal(shape)
        else:
            w = np.zeros(shape)
        self.weights = w.astype(self.dtype)
        self.biases = np.zeros((1, self.n_neurons), dtype=self.dtype)
        self.dweights = np.zeros_like(self.weights)
        self.dbiases = np.zeros_like(self.biases)
        # Sequential.fit turns this on so that forward/backward write into
        # buffers kept per batch shape instead of allocating every batch.
        # Off by default: a caller keeping two outputs must get two arrays.
        self.reuse_buffers = False
        self._buffers: dict[tuple, np.ndarray] = {}
        # Sequential.fit turns this off on the first layer, whose dinputs
        # (the gradient with respect to the data) nobody uses.
        self.compute_dinputs = True

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights, "biases": self.biases}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {"weights": self.dweights, "biases": self.dbiases}

    def _buffer(self, key: str, shape: tuple, dtype: np.dtype) -> np.ndarray | None:
        if not self.reuse_buffers:
            return None
        buf = self._buffers.get((key, shape, dtype))
        if buf is None:
            buf = self._buffers[(key, shape, dtype)] = np.empty(shape, dtype)
        return buf

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        inputs = as_float_array(inputs, "Dense.forward inputs")
        if inputs.ndim != 2 or inputs.shape[1] != self.n_inputs:
            raise ValueError(
                f"Dense({self.n_inputs}, {self.n_neurons}).forward expects inputs of shape "
                f"(n_samples, {self.n_inputs}); got {inputs.shape}"
            )
        self.inputs = inputs
        dtype = np.result_type(inputs, self.weights)
        out = np.matmul(inputs, self.weights, out=self._buffer("out", (len(inputs), self.n_neurons), dtype))
        out += self.biases
        self.output = out
        return out

    def backward(self, dvalues: np.ndarray) -> np.ndarray | None:
        dvalues = check_dvalues(self, dvalues)
        np.matmul(self.inputs.T, dvalues, out=self.dweights)
        np.add.reduce(dvalues, axis=0, keepdims=True, out=self.dbiases)  # np.sum's wrapper costs more at n = 32
        if self.l1:
            self.dweights += self.l1 * np.sign(self.weights)
        if self.l2:
            self.dweights += (2 * self.l2) * self.weights
        if not self.compute_dinputs:
            self.dinputs = None
            return None
        dtype = np.result_type(dvalues, self.weights)
        self.dinputs = np.matmul(dvalues, self.weights.T, out=self._buffer("dinputs", self.inputs.shape, dtype))
        return self.dinputs

    def regularization_loss(self) -> float:
        penalty = 0.0
        if self.l1:
            penalty += self.l1 * float(np.abs(self.weights).sum())
        if self.l2:
            penalty += self.l2 * float(np.square(self.weights).sum())
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {
            "n_inputs": self.n_inputs, "n_neurons": self.n_neurons, "weight_init": self.weight_init,
            "l1": self.l1, "l2": self.l2, "dtype": self.dtype.name,
        }
