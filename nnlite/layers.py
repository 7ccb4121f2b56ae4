"""Layers: the `Layer` base class, `Dense`, and the training layers `Dropout`, `BatchNorm`, `LayerNorm`.

A layer follows the same contract as an activation: `forward`
stores `inputs` and `output`, `backward(dvalues)` stores and returns
`dinputs`, and `params`/`grads` are dicts with the same keys whose arrays
are the layer's own attributes, so an optimizer updating `params[k]` in
place updates the layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from ._arrays import as_float_array, check_dvalues, copy_state
from ._config import ConfigError, captured_config, is_builtin, qualified_name, uses_capture

__all__ = ["Layer", "Dense", "Dropout", "BatchNorm", "LayerNorm", "get", "WEIGHT_INITS"]

# Every Layer subclass by "module.QualName". Keys never clash: the same key again is the same
# class redefined (a notebook cell run twice), which replaces the old definition.
_REGISTRY: dict[str, type[Layer]] = {}
_EMPTY: Mapping[str, np.ndarray] = MappingProxyType({})

WEIGHT_INITS = ("he", "glorot", "normal", "zeros")


class Layer:
    """Base class of layers with parameters.

    Subclasses define `forward(inputs)`, `backward(dvalues)`, `params` and
    `grads`. backward must write the gradients into the same `grads` arrays
    each time (in place): optimizers keep views of them. `state` holds
    non-learnable arrays (running statistics) that `Sequential.save` stores
    and `load` restores like parameters; it is empty by default.

    Constructor capture: a subclass that stores each constructor argument as
    an attribute of the same name (`self.scale = scale`) gets `get_config()`
    for free, which `Sequential.save` stores and `load` passes back to the
    constructor. When the arguments cannot be read back, `get_config()`
    raises `ConfigError` naming the argument: define `get_config()` then.

    Every subclass is registered under its qualified name
    ("module.QualName"), which `Sequential.load` uses to find it (importing
    the module if needed); nnlite's own layers always load as themselves.
    """

    params: Mapping[str, np.ndarray] = _EMPTY
    grads: Mapping[str, np.ndarray] = _EMPTY
    state: Mapping[str, np.ndarray] = _EMPTY
    inputs: np.ndarray | None = None
    output: np.ndarray | None = None
    dinputs: np.ndarray | None = None
    name: ClassVar[str] = "layer"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = cls.__name__
        if uses_capture(cls, Layer):
            cls.get_config = Layer.get_config
        _REGISTRY[qualified_name(cls)] = cls

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define forward(inputs)")

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define backward(dvalues)")

    def regularization_loss(self) -> float:
        """Penalty added to the data loss (0 for layers without one)."""
        return 0.0

    def get_config(self) -> dict[str, Any]:
        """Constructor keywords that rebuild this layer: by default the constructor's
        arguments, read back from the attributes of the same name."""
        return captured_config(self)

    @classmethod
    def param_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]] | None:
        """The shapes of `params` and `state` a layer built from `config` would have, without
        building it, or None when the class cannot tell. `Sequential.load` compares them
        with the file's arrays before building anything, so a damaged or hostile file
        cannot make it allocate more than the file holds."""
        return None

    # Training mode: the network sets _network_training (fit: True, predict/evaluate: False);
    # a value the user assigns to `training` wins over it until reset with `training = None`.
    _network_training: bool = True
    _user_training: bool | None = None

    @property
    def training(self) -> bool:
        """True: training behaviour (Dropout drops, BatchNorm uses batch statistics); False: inference."""
        return self._network_training if self._user_training is None else self._user_training

    @training.setter
    def training(self, value: bool | None) -> None:
        if value is not None and not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}.training must be True, False or None (follow the network)")
        self._user_training = None if value is None else bool(value)

    def set_state(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy saved `state` arrays into this layer's (same keys, shapes and dtypes)."""
        copy_state(self, state)

    __call__ = forward

    def __repr__(self) -> str:
        try:
            config = self.get_config()
        except ConfigError:
            return f"{type(self).__name__}(<arguments not captured>)"
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in config.items())})"


def find(class_name: str) -> type[Layer]:
    """The layer class saved as `class_name`: "module.QualName", or a bare class name.

    A bare name means nnlite's own class of that name when there is one (a
    user's `class Dense(nnlite.Dense)` never replaces it), else the one
    user class of that name; two user classes of one bare name are a clash.
    """
    if class_name in _REGISTRY:
        return _REGISTRY[class_name]
    if "." not in class_name:
        matches = [cls for cls in _REGISTRY.values() if cls.__name__ == class_name]
        builtin = [cls for cls in matches if is_builtin(cls)]
        if len(builtin) == 1 or len(matches) == 1:
            return (builtin or matches)[0]
        if matches:
            raise ValueError(
                f"layer class name {class_name!r} is ambiguous: it names "
                f"{', '.join(sorted(map(qualified_name, matches)))}; use the qualified name"
            )
    raise ValueError(f"unknown layer class {class_name!r}; known layers: {', '.join(sorted(_REGISTRY))}")


def get(class_name: str, **config: Any) -> Layer:
    """Build a registered layer from its class name and `get_config()` keywords."""
    return find(class_name)(**config)


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
        """output = inputs @ weights + biases; stores `inputs` and `output`."""
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
        """Fill dweights and dbiases (penalties included) and return dinputs = dvalues @ weights.T
        (None when `compute_dinputs` is off, as fit sets it for the first layer)."""
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

    @classmethod
    def param_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]] | None:
        n_inputs, n_neurons = config.get("n_inputs"), config.get("n_neurons")
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (n_inputs, n_neurons)):
            return None  # the constructor names what is wrong
        return {"weights": (n_inputs, n_neurons), "biases": (1, n_neurons)}

    def get_config(self) -> dict[str, Any]:
        return {
            "n_inputs": self.n_inputs, "n_neurons": self.n_neurons, "weight_init": self.weight_init,
            "l1": self.l1, "l2": self.l2, "dtype": self.dtype.name,
        }


def _check_dtype(owner: str, dtype: Any) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{owner} dtype must be a float dtype (float32 or float64), got {dtype}")
    return dtype


class _GammaBeta:
    """What BatchNorm and LayerNorm share: the learned scale gamma and shift beta per feature,
    their gradients, and the normalised inputs kept for backward. (Not a Layer itself, so it is
    not registered.)"""

    def _init_gamma_beta(self, owner: str, eps: Any, dtype: Any) -> None:
        self.eps = _check_eps(owner, eps)
        self.dtype = _check_dtype(owner, dtype)
        self.gamma = np.ones(self.n_features, self.dtype)
        self.beta = np.zeros(self.n_features, self.dtype)
        self.dgamma, self.dbeta = np.zeros_like(self.gamma), np.zeros_like(self.beta)
        self._xhat = self._inv = None

    @classmethod
    def param_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]] | None:
        return _feature_shapes(config, ("gamma", "beta"))

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {"gamma": self.gamma, "beta": self.beta}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {"gamma": self.dgamma, "beta": self.dbeta}


def _feature_shapes(config: dict[str, Any], names: tuple[str, ...]) -> dict[str, tuple[int, ...]] | None:
    """{name: (n_features,)} for each of `names`, or None when the config's n_features is not a size."""
    n = config.get("n_features")
    if isinstance(n, bool) or not isinstance(n, int):
        return None
    return {name: (n,) for name in names}


def _check_features(owner: str, n_features: Any) -> int:
    if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) or n_features < 1:
        raise ValueError(f"{owner} n_features must be a positive integer, got {n_features!r}")
    return int(n_features)


def _check_eps(owner: str, eps: Any) -> float:
    eps = float(eps)
    if not (eps > 0 and np.isfinite(eps)):
        raise ValueError(f"{owner} eps must be a finite number > 0, got {eps}")
    return eps


def _normalize(x: np.ndarray, axis: int, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_hat, inv_std, mean, var) with x_hat = (x - mean) / sqrt(var + eps) along `axis` (biased var).

    Data beyond about 1e150 would overflow the squares: those features are
    normalised from x / max|x| instead, which gives the same x_hat (var is
    then inf if it exceeds the float range).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        mean = np.mean(x, axis=axis, keepdims=True)
        centered = x - mean
        var = np.mean(np.square(centered), axis=axis, keepdims=True)
    if not np.isfinite(var).all():
        scale = np.max(np.abs(x), axis=axis, keepdims=True)
        scale[scale == 0] = 1
        z = x / scale
        mean_z = np.mean(z, axis=axis, keepdims=True)
        centered = z - mean_z
        std_z = np.sqrt(np.mean(np.square(centered), axis=axis, keepdims=True))
        inv_z = 1 / np.hypot(std_z, np.sqrt(eps) / scale)  # scale / sqrt(var + eps), without squaring x
        with np.errstate(over="ignore"):
            mean, var = mean_z * scale, np.square(std_z * scale)
        return centered * inv_z, inv_z / scale, mean, var
    inv = 1 / np.sqrt(var + eps)
    return centered * inv, inv, mean, var


def _normalize_backward(dxhat: np.ndarray, xhat: np.ndarray, inv: np.ndarray, axis: int) -> np.ndarray:
    """dL/dx for x_hat = (x - mean(x)) / sqrt(var(x) + eps) along `axis`, given dL/dx_hat:

    dx = inv / n * (n dxhat - sum(dxhat) - xhat sum(dxhat xhat)),  sums over `axis`
    (the full backward: mean and variance both depend on x).
    """
    mean_d = np.mean(dxhat, axis=axis, keepdims=True)
    mean_dx = np.mean(dxhat * xhat, axis=axis, keepdims=True)
    return (dxhat - mean_d - xhat * mean_dx) * inv


class Dropout(Layer):
    """Inverted dropout (Srivastava et al., 2014).

    training:   mask_i = [u_i >= rate] / (1 - rate), u_i ~ U[0, 1)
                output = inputs * mask;   dinputs = dvalues * mask
    inference:  output = inputs;          dinputs = dvalues

    The mask is drawn from the layer's own Generator (`seed` or `rng`), in the
    inputs' dtype, so runs are reproducible and nothing else's randomness
    moves. Its generator state is the layer's `state` ("rng_state"), so a
    checkpoint resumes the same masks.
    """

    def __init__(self, rate: float, *, seed: int | None = None, rng: np.random.Generator | None = None):
        rate_value = float(rate)
        if not 0 <= rate_value < 1:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate!r}")
        if seed is not None and rng is not None:
            raise ValueError("Dropout takes seed or rng, not both")
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"Dropout rng must be a numpy.random.Generator, got {type(rng).__name__}")
        self.rate, self.seed = rate_value, seed
        self._rng = rng if rng is not None else np.random.default_rng(seed)
        if not isinstance(self._rng.bit_generator, np.random.PCG64):
            raise TypeError("Dropout rng must use PCG64 (np.random.default_rng): checkpoints store its state")
        self.mask: np.ndarray | None = None

    params: Mapping[str, np.ndarray] = {}
    grads: Mapping[str, np.ndarray] = {}

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        """inputs * mask in training (a fresh mask per call), inputs unchanged in inference."""
        inputs = as_float_array(inputs, "Dropout.forward inputs")
        self.inputs = inputs
        if not self.training or self.rate == 0:
            self.mask = None
            self.output = inputs.copy()  # never the caller's own array: writing into one must not change the other
            return self.output
        keep = self._rng.random(inputs.shape, dtype=inputs.dtype) >= self.rate
        self.mask = np.multiply(keep, 1 / (1 - self.rate), dtype=inputs.dtype)
        self.output = inputs * self.mask
        return self.output

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        """dinputs = dvalues * mask (the mask of the last forward), or dvalues in inference."""
        dvalues = check_dvalues(self, dvalues)
        self.dinputs = dvalues.copy() if self.mask is None else dvalues * self.mask
        return self.dinputs

    @property
    def state(self) -> dict[str, np.ndarray]:
        """{"rng_state": uint64[6]}: the PCG64 state (state and increment as high/low words, has_uint32, uinteger)."""
        st = self._rng.bit_generator.state
        words = [st["state"]["state"] >> 64, st["state"]["state"] & _LOW64, st["state"]["inc"] >> 64,
                 st["state"]["inc"] & _LOW64, st["has_uint32"], st["uinteger"]]
        return {"rng_state": np.array(words, dtype=np.uint64)}

    def set_state(self, state: Mapping[str, np.ndarray]) -> None:
        words = np.asarray(state.get("rng_state")) if set(state) == {"rng_state"} else None
        if words is None or words.shape != (6,) or words.dtype != np.uint64:
            raise ValueError(f"Dropout state must be {{'rng_state': uint64[6]}}, got {dict(state)!r}")
        hi, lo, inc_hi, inc_lo, has_uint32, uinteger = (int(w) for w in words)
        self._rng.bit_generator.state = {
            "bit_generator": "PCG64", "state": {"state": (hi << 64) | lo, "inc": (inc_hi << 64) | inc_lo},
            "has_uint32": has_uint32, "uinteger": uinteger,
        }

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate, "seed": self.seed}


_LOW64 = (1 << 64) - 1


class BatchNorm(_GammaBeta, Layer):
    """Batch normalisation over the samples (Ioffe & Szegedy, 2015), inputs (n, n_features).

    training:   mu, var = mean and biased variance of the batch per feature
                x_hat = (x - mu) / sqrt(var + eps);   output = gamma x_hat + beta
                running_mean <- momentum running_mean + (1 - momentum) mu
                running_var  <- momentum running_var + (1 - momentum) var n / (n - 1)
    backward:   dgamma = sum(dvalues x_hat);  dbeta = sum(dvalues);  dx_hat = dvalues gamma
                dinputs = (dx_hat - mean(dx_hat) - x_hat mean(dx_hat x_hat)) / sqrt(var + eps)
                (the full backward: mu and var depend on every sample)
    inference:  x_hat = (x - running_mean) / sqrt(running_var + eps);  dinputs = dvalues gamma / sqrt(...)

    `momentum` follows Keras (0.9 keeps 90% of the old running value;
    PyTorch's momentum=0.1 is the same thing), the unbiased running variance
    follows PyTorch, and so does the refusal of a training batch of one sample
    (n - 1 = 0). `running_mean`/`running_var` are the layer's `state`.
    """

    def __init__(self, n_features: int, momentum: float = 0.9, eps: float = 1e-5, *, dtype: Any = np.float64):
        self.n_features = _check_features("BatchNorm", n_features)
        self.momentum = float(momentum)
        if not 0 <= self.momentum < 1:
            raise ValueError(f"BatchNorm momentum must be in [0, 1), got {momentum!r}")
        self._init_gamma_beta("BatchNorm", eps, dtype)
        self.running_mean = np.zeros(self.n_features, self.dtype)
        self.running_var = np.ones(self.n_features, self.dtype)

    @classmethod
    def param_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]] | None:
        return _feature_shapes(config, ("gamma", "beta", "running_mean", "running_var"))

    @property
    def state(self) -> dict[str, np.ndarray]:
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        """gamma x_hat + beta: batch statistics in training (updating the running ones), running ones in inference."""
        inputs = as_float_array(inputs, "BatchNorm.forward inputs")
        if inputs.ndim != 2 or inputs.shape[1] != self.n_features or len(inputs) == 0:
            raise ValueError(
                f"BatchNorm({self.n_features}).forward expects inputs of shape (n_samples >= 1, {self.n_features}); "
                f"got {inputs.shape}"
            )
        if self.training and len(inputs) == 1:
            # one sample has variance 0: x_hat would be 0, and the running variance, updated with
            # 0, would decay toward 0 and blow up inference outputs (PyTorch refuses it too)
            raise ValueError(
                f"BatchNorm({self.n_features}) in training needs at least 2 samples per batch, got 1: "
                f"in fit, choose a batch_size that leaves no last batch of one sample; to normalise one "
                f"sample with the running statistics, set training = False (or use predict)"
            )
        self.inputs = inputs
        dtype = np.result_type(inputs, self.gamma)
        if self.training:
            xhat, inv, mean, var = _normalize(inputs, 0, self.eps)
            n, m = len(inputs), self.momentum
            with np.errstate(over="ignore"):
                self.running_mean *= m
                self.running_mean += (1 - m) * mean[0]
                self.running_var *= m
                self.running_var += (1 - m) * (n / (n - 1)) * var[0]
        else:
            inv = (1 / np.sqrt(self.running_var + self.eps)).astype(dtype, copy=False)
            xhat = (inputs - self.running_mean) * inv
        self._xhat, self._inv, self._batch_stats = xhat.astype(dtype, copy=False), inv, self.training
        self.output = self._xhat * self.gamma + self.beta
        return self.output

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        """Fill dgamma, dbeta; return dinputs (the full backward through the batch statistics in training)."""
        dvalues = check_dvalues(self, dvalues)
        np.add.reduce(dvalues * self._xhat, axis=0, out=self.dgamma)
        np.add.reduce(dvalues, axis=0, out=self.dbeta)
        dxhat = dvalues * self.gamma
        if self._batch_stats:
            self.dinputs = _normalize_backward(dxhat, self._xhat, self._inv, 0)
        else:
            self.dinputs = dxhat * self._inv
        return self.dinputs

    def get_config(self) -> dict[str, Any]:
        return {"n_features": self.n_features, "momentum": self.momentum, "eps": self.eps, "dtype": self.dtype.name}


class LayerNorm(_GammaBeta, Layer):
    """Layer normalisation over the last axis (Ba, Kiros & Hinton, 2016); the same in training and inference.

    forward:   mu, var = mean and biased variance of each sample's n_features values
               x_hat = (x - mu) / sqrt(var + eps);   output = gamma x_hat + beta
    backward:  dgamma = sum over samples of dvalues x_hat;  dbeta = sum of dvalues;  dx_hat = dvalues gamma
               dinputs = (dx_hat - mean(dx_hat) - x_hat mean(dx_hat x_hat)) / sqrt(var + eps)   (means per sample)
    """

    def __init__(self, n_features: int, eps: float = 1e-5, *, dtype: Any = np.float64):
        self.n_features = _check_features("LayerNorm", n_features)
        self._init_gamma_beta("LayerNorm", eps, dtype)

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        """gamma x_hat + beta with each sample normalised over its last axis."""
        inputs = as_float_array(inputs, "LayerNorm.forward inputs")
        if inputs.ndim < 1 or inputs.shape[-1] != self.n_features:
            raise ValueError(
                f"LayerNorm({self.n_features}).forward expects inputs whose last axis has {self.n_features} "
                f"entries; got {inputs.shape}"
            )
        self.inputs = inputs
        xhat, self._inv, _, _ = _normalize(inputs, -1, self.eps)
        self._xhat = xhat.astype(np.result_type(inputs, self.gamma), copy=False)
        self.output = self._xhat * self.gamma + self.beta
        return self.output

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        """Fill dgamma, dbeta; return dinputs through each sample's mean and variance."""
        dvalues = check_dvalues(self, dvalues)
        np.add.reduce((dvalues * self._xhat).reshape(-1, self.n_features), axis=0, out=self.dgamma)
        np.add.reduce(dvalues.reshape(-1, self.n_features), axis=0, out=self.dbeta)
        self.dinputs = _normalize_backward(dvalues * self.gamma, self._xhat, self._inv, -1)
        return self.dinputs

    def get_config(self) -> dict[str, Any]:
        return {"n_features": self.n_features, "eps": self.eps, "dtype": self.dtype.name}
