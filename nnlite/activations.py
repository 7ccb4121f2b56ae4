"""Activation functions: the `Activation` base class, the catalogue, the registry.

Every elementwise activation defines two methods, both in plain numpy:

    function(x)      f(x)
    derivative(x, y) f'(x), where y = f(x) is passed in so it can be reused

and inherits `forward(inputs)` (stores `inputs`, `output`) and
`backward(dvalues)` (stores `dinputs = dvalues * f'(inputs)`). Defining a
subclass registers it under its snake_case name, so `get(name)` builds it
and `gradcheck`, the gallery and the benchmark pick it up.

Numerical rules kept by every class here: no overflow or invalid-value
warnings for finite inputs up to |x| = 1e300, float32 in gives float32 out,
integers are promoted to float64, NaN propagates.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from ._arrays import as_float_array, check_dvalues
from ._config import ConfigError, captured_config, qualified_name, uses_capture
from ._special import erfc

__all__ = [
    "Activation", "get", "names",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "SELU", "CELU", "PReLU", "ReLU6",
    "Softplus", "Softsign", "HardSigmoid", "HardTanh", "HardSwish", "Swish", "GELU",
    "Mish", "Gaussian", "Step", "Linear", "Softmax", "LogSoftmax", "Maxout",
]

_REGISTRY: dict[str, type[Activation]] = {}
_ALIASES: dict[str, str] = {}
# Every subclass (registered by name or not) by "module.QualName": how Sequential.load finds it.
_CLASSES: dict[str, type[Activation]] = {}
_EMPTY: Mapping[str, np.ndarray] = MappingProxyType({})


def _snake_case(class_name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", class_name).lower()


def _normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def _register(cls: type[Activation]) -> None:
    for key in (cls.name, *cls.aliases):
        key = _normalise(key)
        owner = _REGISTRY.get(key) or _REGISTRY.get(_ALIASES.get(key, ""))
        # Re-running a notebook cell redefines the same class: replace it quietly.
        if owner is not None and (owner.__module__, owner.__qualname__) != (cls.__module__, cls.__qualname__):
            raise ValueError(
                f"activation name {key!r} is already used by {owner.__module__}.{owner.__qualname__}; "
                f"give {cls.__qualname__} another `name = ...`"
            )
    _REGISTRY[_normalise(cls.name)] = cls
    for alias in cls.aliases:
        _ALIASES[_normalise(alias)] = _normalise(cls.name)


def _on_0d_as_1d(fn, x: np.ndarray, *more: np.ndarray) -> np.ndarray:
    """fn(x, *more), with a 0-d x passed as shape (1,) and the result given x's shape.

    numpy turns every operation on 0-d arrays into a scalar, which the in-place
    formulas here (`out=`, `*=`) cannot write into; a 1-element array can.
    """
    if x.ndim:
        return fn(x, *more)
    return np.asarray(fn(x.reshape(1), *(np.reshape(m, 1) for m in more))).reshape(())


class Activation:
    """Base class of every activation.

    Subclass it and define `function(x)` and `derivative(x, y)`; that is a
    complete activation. Class attributes:

    - `name`: registry key, by default the snake_case class name
      (`SquarePlus` -> "square_plus");
    - `aliases`: other names `get` accepts;
    - pass `register=False` in the class statement for an abstract helper.

    Objects with learnable parameters expose `params` and `grads` (dicts with
    the same keys); the others have empty ones. `state` holds non-learnable
    arrays that `Sequential.save` stores like parameters (empty by default).

    Constructor capture: a subclass that stores each constructor argument as
    an attribute of the same name (`self.b = b`) gets `get_config()` for
    free, so `get(name, **config)` and `Sequential.save/load` rebuild it
    with the same arguments. A subclass whose arguments cannot be read back
    makes `get_config()` (and so `save`) raise `ConfigError` naming the
    argument; define `get_config()` yourself for such a class.

    Who owns the arrays: by default `forward` and `backward` return new arrays
    on every call, so a result you keep is never changed by a later call.
    While `reuse_buffers` is True, the built-in activations write `output` and
    `dinputs` into arrays they keep, and the next call of the same shape
    overwrites them. `Sequential.fit` switches this on for its own loop, where
    every result is used before the next batch, and off again when it returns.
    """

    name: ClassVar[str] = "activation"
    aliases: ClassVar[tuple[str, ...]] = ()
    params: Mapping[str, np.ndarray] = _EMPTY
    grads: Mapping[str, np.ndarray] = _EMPTY
    state: Mapping[str, np.ndarray] = _EMPTY
    inputs: np.ndarray | None = None
    output: np.ndarray | None = None
    dinputs: np.ndarray | None = None
    _elementwise: ClassVar[bool] = True  # False for softmax-like ones, whose function needs the real shape
    reuse_buffers: bool = False

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = _snake_case(cls.__name__)
        if "aliases" not in cls.__dict__:
            cls.aliases = ()
        if uses_capture(cls, Activation):
            cls.get_config = Activation.get_config
        if register:
            _register(cls)
        _CLASSES[qualified_name(cls)] = cls

    def function(self, x: np.ndarray) -> np.ndarray:
        """f(x), elementwise."""
        raise NotImplementedError(f"{type(self).__name__} must define function(x)")

    def derivative(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """f'(x), elementwise; y = f(x)."""
        raise NotImplementedError(f"{type(self).__name__} must define derivative(x, y)")

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        """Store `inputs`, compute and store `output` = f(inputs), return it."""
        self.inputs = as_float_array(inputs, f"{type(self).__name__}.forward inputs")
        if self._elementwise:
            self.output = _on_0d_as_1d(self.function, self.inputs)
        else:
            self.output = self.function(self.inputs)
        return self.output

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        """dinputs = dvalues * f'(inputs); stores and returns it."""
        dvalues = check_dvalues(self, dvalues)
        d = _on_0d_as_1d(self.derivative, self.inputs, self.output)
        # The derivatives defined in this module always return a new array of the
        # inputs' shape, so the product can reuse it; a user's derivative may return
        # a shared or read-only array, so it gets a fresh product.
        if type(self).derivative.__module__ == __name__ and d.dtype == np.result_type(d, dvalues):
            d *= dvalues
            self.dinputs = d
        else:
            self.dinputs = dvalues * d
        return self.dinputs

    __call__ = forward

    @property
    def _buffers(self) -> dict[str, np.ndarray]:
        """The arrays kept while `reuse_buffers` is on (Sequential.fit clears them)."""
        return self.__dict__.setdefault("_buffer_store", {})

    def _buffer(self, key: str, like: np.ndarray) -> np.ndarray:
        """An array shaped like `like` to write result `key` into: a new one, or while
        `reuse_buffers` is on, the one kept from the previous call of that shape."""
        if not self.reuse_buffers:
            return np.empty_like(like)
        buf = self._buffers.get(key)
        if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
            buf = self._buffers[key] = np.empty_like(like)
        return buf

    def get_config(self) -> dict[str, Any]:
        """Constructor keywords that rebuild this activation with `get(name, **config)`.

        By default the constructor's arguments, read back from the attributes
        of the same name (see the class docstring).
        """
        return captured_config(self)

    @classmethod
    def param_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]] | None:
        """The shapes of `params` and `state` an instance built from `config` would have,
        or None when the class cannot tell without building one (see `Layer.param_shapes`)."""
        return None

    def __repr__(self) -> str:
        try:
            config = self.get_config()
        except ConfigError:
            return f"{type(self).__name__}(<arguments not captured>)"
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in config.items())})"


def get(name: str | Activation, **params: Any) -> Activation:
    """Build a registered activation by name (or alias), e.g. `get("leaky_relu", alpha=0.2)`.

    An `Activation` instance is returned as it is (then `params` must be empty).
    """
    if isinstance(name, Activation):
        if params:
            raise TypeError(f"get() got parameters {sorted(params)} with an Activation instance {name!r}")
        return name
    if isinstance(name, type) and issubclass(name, Activation):
        return name(**params)
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name or an Activation, got {type(name).__name__}")
    key = _normalise(name)
    key = _ALIASES.get(key, key)
    cls = _REGISTRY.get(key)
    if cls is None:
        close = difflib.get_close_matches(key, list(_REGISTRY) + list(_ALIASES), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(
            f"unknown activation {name!r}.{hint} Known activations: {', '.join(names())}"
        )
    return cls(**params)


def names(aliases: bool = False) -> list[str]:
    """Sorted registry names of every activation (with `aliases=True`, aliases too)."""
    found = set(_REGISTRY)
    if aliases:
        found |= set(_ALIASES)
    return sorted(found)


def _sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1 / (1 + exp(-x)), accurate to a few ulps in relative terms for every x.

    For x below about -709 (float64; -88 in float32) exp(-x) overflows to inf
    and 1 / inf = 0 is the correctly rounded limit, so that overflow is silenced
    rather than avoided: this is 3-4x faster than the branching form.
    """
    t = np.negative(x, out=out)
    with np.errstate(over="ignore"):
        np.exp(t, out=t)
    t += 1
    return np.reciprocal(t, out=t)


def _scaled(x: np.ndarray, c: float) -> np.ndarray:
    """c * x, where an overflow (x = 1e308 with c = 2, or 3e38 in float32) goes
    to +-inf silently: every caller feeds it to exp or sigmoid, for which the
    infinite argument gives the correct limit."""
    with np.errstate(over="ignore"):
        return x * c


def _float_dtype(dtype: str | type, owner: str) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{owner} dtype must be float32 or float64, got {dtype}")
    return dtype


def _positive(x: np.ndarray) -> np.ndarray:
    """max(x, 0), NaN kept. np.clip with two finite-or-inf bounds takes numpy's fast
    clip loop, about 3x faster than np.maximum(x, 0) (numpy 2.4)."""
    return np.clip(x, 0, np.inf)


def _negative(x: np.ndarray) -> np.ndarray:
    """min(x, 0), NaN kept (see `_positive`)."""
    return np.clip(x, -np.inf, 0)


def _select(mask: np.ndarray, a: float | np.ndarray, b: float | np.ndarray, dtype: np.dtype) -> np.ndarray:
    """a where mask else b, exactly, for finite a and b.

    Arithmetic instead of np.where: on inputs of random sign np.where
    mispredicts its branch and runs about 10x slower than these passes.
    """
    m = mask.astype(dtype)
    out = m * a
    m -= 1
    m *= b
    out -= m
    return out


class Sigmoid(Activation):
    """Logistic sigmoid.

    f(x)  = 1 / (1 + exp(-x))
    f'(x) = f(x) * (1 - f(x))
    f''(x) = f'(x) * (1 - 2 f(x))
    """

    name = "sigmoid"

    def function(self, x):
        return _sigmoid(x, out=self._buffer("output", x))

    def derivative(self, x, y):
        d = np.subtract(1, y, out=self._buffer("derivative", x))
        d *= y
        return d

    def second_derivative(self, x, y):
        return y * (1 - y) * (1 - 2 * y)


class Tanh(Activation):
    """Hyperbolic tangent.

    f(x)  = tanh(x)
    f'(x) = 1 - f(x)^2
    f''(x) = -2 f(x) (1 - f(x)^2)
    """

    name = "tanh"

    def function(self, x):
        return np.tanh(x, out=self._buffer("output", x))

    def derivative(self, x, y):
        d = np.multiply(y, y, out=self._buffer("derivative", x))
        return np.subtract(1, d, out=d)

    def second_derivative(self, x, y):
        return -2 * y * (1 - y * y)


class ReLU(Activation):
    """Rectified linear unit (Nair & Hinton, 2010).

    f(x)  = max(0, x)
    f'(x) = 1 if x > 0 else 0   (0 at the kink, as in PyTorch)
    """

    name = "relu"

    def function(self, x):
        return np.clip(x, 0, np.inf, out=self._buffer("output", x))  # see _positive

    def derivative(self, x, y):
        return np.greater(x, 0, out=self._buffer("derivative", x))


class LeakyReLU(Activation):
    """Leaky ReLU (Maas et al., 2013).

    f(x)  = x if x > 0 else alpha * x       (alpha = 0.01 as in PyTorch; tf uses 0.2)
    f'(x) = 1 if x > 0 else alpha
    """

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01):
        self.alpha = float(alpha)

    def function(self, x):
        # max(x, alpha x) is x for x > 0 and alpha x below when alpha <= 1 (min when alpha > 1)
        ax = np.multiply(x, self.alpha, out=self._buffer("output", x))
        return np.maximum(x, ax, out=ax) if self.alpha <= 1 else np.minimum(x, ax, out=ax)

    def derivative(self, x, y):
        if 0 <= self.alpha <= 1:  # clip(0 or 1, alpha, 1) is alpha or 1 exactly, with no branch
            d = np.greater(x, 0, out=self._buffer("derivative", x))
            return np.clip(d, self.alpha, 1, out=d)
        return _select(x > 0, 1, self.alpha, x.dtype)

    def get_config(self):
        return {"alpha": self.alpha}


def _elu(x: np.ndarray, alpha: float, inner: float = 1.0) -> np.ndarray:
    """max(x, 0) + alpha * (exp(min(x, 0) / inner) - 1): one branch is always exactly 0."""
    # below -60 * inner, exp(x / inner) - 1 is -1 to every digit; clipping keeps x / inner finite
    t = np.clip(x, -60 * inner, 0)
    if inner != 1:
        t /= inner
    np.expm1(t, out=t)
    t *= alpha
    t += _positive(x)
    return t


class ELU(Activation):
    """Exponential linear unit (Clevert et al., 2016).

    f(x)  = x if x > 0 else alpha * (exp(x) - 1)
    f'(x) = 1 if x > 0 else f(x) + alpha
    """

    name = "elu"

    def __init__(self, alpha: float = 1.0):
        self.alpha = float(alpha)

    def function(self, x):
        return _elu(x, self.alpha)

    def derivative(self, x, y):
        # for x <= 0, |y| <= |alpha| and f' = y + alpha (either sign of alpha); the clip
        # only touches the x > 0 side, which _select discards, and keeps it finite
        bound = abs(self.alpha)
        return _select(x > 0, 1, np.clip(y, -bound, bound) + self.alpha, x.dtype)

    def get_config(self):
        return {"alpha": self.alpha}


class SELU(Activation):
    """Scaled ELU (Klambauer et al., 2017, "Self-Normalizing Neural Networks").

    f(x)  = scale * (x if x > 0 else alpha * (exp(x) - 1))
    f'(x) = scale if x > 0 else f(x) + scale * alpha
    with alpha = 1.6732632423543772848170429916717 and
    scale = 1.0507009873554804934193349852946 (the paper's exact constants).
    """

    name = "selu"
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946

    def function(self, x):
        y = _elu(x, self.alpha)
        with np.errstate(over="ignore"):  # x > 1.7e308 / scale: the true value overflows, inf is its rounding
            y *= self.scale
        return y

    def derivative(self, x, y):
        return _select(x > 0, self.scale, _negative(y) + self.scale * self.alpha, x.dtype)


class CELU(Activation):
    """Continuously differentiable ELU (Barron, 2017).

    f(x)  = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
    f'(x) = 1 if x > 0 else exp(x / alpha) = f(x) / alpha + 1
    """

    name = "celu"

    def __init__(self, alpha: float = 1.0):
        if not alpha > 0:
            raise ValueError(f"CELU alpha must be > 0, got {alpha}")
        self.alpha = float(alpha)

    def function(self, x):
        return _elu(x, self.alpha, inner=self.alpha)

    def derivative(self, x, y):
        return _select(x > 0, 1, _negative(y) / self.alpha + 1, x.dtype)

    def get_config(self):
        return {"alpha": self.alpha}


class PReLU(Activation):
    """Parametric ReLU with learnable slope (He et al., 2015).

    f(x)      = x if x > 0 else alpha * x
    f'(x)     = 1 if x > 0 else alpha
    df/dalpha = 0 if x > 0 else x
    One alpha shared by all features (`num_parameters=1`) or one per feature
    (the last axis of the inputs, `num_parameters=n_features`). `dtype` is the
    parameter's: float32 for a network that trains in float32 end to end.
    """

    name = "prelu"

    def __init__(self, init: float = 0.25, num_parameters: int = 1, dtype: str | type = "float64"):
        if int(num_parameters) < 1:
            raise ValueError(f"PReLU num_parameters must be >= 1, got {num_parameters}")
        self.num_parameters = int(num_parameters)
        self.init = float(init)
        dtype = _float_dtype(dtype, "PReLU")
        self.params = {"alpha": np.full(self.num_parameters, self.init, dtype=dtype)}
        self.grads = {"alpha": np.zeros(self.num_parameters, dtype=dtype)}

    @property
    def alpha(self) -> np.ndarray:
        return self.params["alpha"]

    def _alpha_for(self, x: np.ndarray) -> np.ndarray:
        n = self.num_parameters
        if n > 1 and (x.ndim == 0 or x.shape[-1] != n):
            raise ValueError(
                f"PReLU has {n} parameters (one per feature on the last axis) but the "
                f"inputs have shape {x.shape}"
            )
        return self.params["alpha"].astype(x.dtype, copy=False)

    def function(self, x):
        y = _negative(x)
        y *= self._alpha_for(x)
        y += _positive(x)
        return y

    def derivative(self, x, y):
        return _select(x > 0, 1, self._alpha_for(x), x.dtype)

    def backward(self, dvalues):
        dinputs = super().backward(dvalues)
        dalpha = np.asarray(dvalues) * np.minimum(self.inputs, 0)
        if self.num_parameters == 1:
            self.grads["alpha"][...] = dalpha.sum()
        else:
            self.grads["alpha"][...] = dalpha.reshape(-1, self.num_parameters).sum(axis=0)
        return dinputs

    def get_config(self):
        return {"init": self.init, "num_parameters": self.num_parameters, "dtype": self.params["alpha"].dtype.name}

    @classmethod
    def param_shapes(cls, config):
        n = config.get("num_parameters", 1)
        return {"alpha": (n,)} if isinstance(n, int) and not isinstance(n, bool) else None


class ReLU6(Activation):
    """ReLU capped at 6 (Krizhevsky, 2010; MobileNet).

    f(x)  = min(max(0, x), 6)
    f'(x) = 1 if 0 < x < 6 else 0
    """

    name = "relu6"

    def function(self, x):
        return np.clip(x, 0, 6, out=self._buffer("output", x))

    def derivative(self, x, y):
        d = self._buffer("derivative", x)
        np.copyto(d, (x > 0) & (x < 6))  # bool work, one cast: float * bool products are slow
        return d


def _softplus(x: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """max(x, 0) + log1p(exp(-beta |x|)) / beta: exp never sees a positive argument."""
    t = _scaled(np.abs(x), -beta)
    np.exp(t, out=t)
    np.log1p(t, out=t)
    if beta != 1:
        t /= beta
    t += _positive(x)
    return t


class Softplus(Activation):
    """Softplus (Dugas et al., 2001), a smooth ReLU.

    f(x)  = log(1 + exp(beta * x)) / beta = max(x, 0) + log1p(exp(-beta |x|)) / beta
    f'(x) = sigmoid(beta * x)
    f''(x) = beta * sigmoid(beta x) * (1 - sigmoid(beta x))
    """

    name = "softplus"

    def __init__(self, beta: float = 1.0):
        if not beta > 0:
            raise ValueError(f"Softplus beta must be > 0, got {beta}")
        self.beta = float(beta)

    def function(self, x):
        return _softplus(x, self.beta)

    def derivative(self, x, y):
        return _sigmoid(_scaled(x, self.beta))

    def second_derivative(self, x, y):
        s = _sigmoid(_scaled(x, self.beta))
        return self.beta * s * (1 - s)

    def get_config(self):
        return {"beta": self.beta}


class Softsign(Activation):
    """Softsign (Bergstra et al., 2009).

    f(x)  = x / (1 + |x|)
    f'(x) = 1 / (1 + |x|)^2
    f''(x) = -2 sign(x) / (1 + |x|)^3
    """

    name = "softsign"

    def function(self, x):
        return x / (1 + np.abs(x))

    def derivative(self, x, y):
        d = 1 / (1 + np.abs(x))  # squaring d, not (1 + |x|), cannot overflow
        return d * d

    def second_derivative(self, x, y):
        d = 1 / (1 + np.abs(x))
        return -2 * np.sign(x) * d * d * d


class HardSigmoid(Activation):
    """Hard sigmoid, Keras' form by default (Courbariaux et al., 2015).

    f(x)  = clip(slope * x + offset, 0, 1)     (slope 0.2, offset 0.5: flat beyond |x| = 2.5)
    f'(x) = slope where 0 < slope * x + offset < 1, else 0
    PyTorch's variant is slope=1/6, offset=0.5.
    """

    name = "hard_sigmoid"

    def __init__(self, slope: float = 0.2, offset: float = 0.5):
        self.slope = float(slope)
        self.offset = float(offset)

    def function(self, x):
        y = np.multiply(x, self.slope, out=self._buffer("output", x))
        y += self.offset
        return np.clip(y, 0, 1, out=y)

    def derivative(self, x, y):
        d = self._buffer("derivative", x)
        np.copyto(d, (y > 0) & (y < 1))
        d *= self.slope
        return d

    def get_config(self):
        return {"slope": self.slope, "offset": self.offset}


class HardTanh(Activation):
    """Hard tanh (Collobert, 2004).

    f(x)  = clip(x, min_val, max_val)     (-1, 1 by default)
    f'(x) = 1 if min_val < x < max_val else 0
    """

    name = "hard_tanh"

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0):
        if not min_val < max_val:
            raise ValueError(f"HardTanh needs min_val < max_val, got {min_val} and {max_val}")
        self.min_val = float(min_val)
        self.max_val = float(max_val)

    def function(self, x):
        return np.clip(x, self.min_val, self.max_val, out=self._buffer("output", x))

    def derivative(self, x, y):
        d = self._buffer("derivative", x)
        np.copyto(d, (x > self.min_val) & (x < self.max_val))
        return d

    def get_config(self):
        return {"min_val": self.min_val, "max_val": self.max_val}


class HardSwish(Activation):
    """Hard swish (Howard et al., 2019, "Searching for MobileNetV3").

    f(x)  = x * min(max(x + 3, 0), 6) / 6
    f'(x) = 0 if x < -3, 1 if x > 3, else (2x + 3) / 6
    """

    name = "hard_swish"

    def function(self, x):
        return x * (np.clip(x + 3, 0, 6) / 6)

    def derivative(self, x, y):
        d = np.clip(x, -3, 3)  # clipped so the ramp's value stays finite outside [-3, 3]
        d *= 2 / 6
        d += 3 / 6
        d *= (x >= -3) & (x <= 3)
        d += x > 3
        return d


class Swish(Activation):
    """Swish / SiLU (Ramachandran et al., 2017; Elfwing et al., 2018).

    f(x)     = x * sigmoid(beta * x)
    f'(x)    = s + beta * f(x) * (1 - s),  s = sigmoid(beta * x)
    df/dbeta = x^2 s (1 - s) = f(x) * (x - f(x))
    beta is fixed (`learnable=False`) or a parameter in `params["beta"]`.
    """

    name = "swish"
    aliases = ("silu",)

    def __init__(self, beta: float = 1.0, learnable: bool = False, dtype: str | type = "float64"):
        self.learnable = bool(learnable)
        self._beta = float(beta)
        self.dtype = _float_dtype(dtype, "Swish")
        if self.learnable:
            self.params = {"beta": np.array([self._beta], dtype=self.dtype)}
            self.grads = {"beta": np.zeros(1, dtype=self.dtype)}

    @property
    def beta(self) -> float:
        return float(self.params["beta"][0]) if self.learnable else self._beta

    def function(self, x):
        return x * _sigmoid(_scaled(x, self.beta))

    def derivative(self, x, y):
        beta = self.beta
        s = _sigmoid(_scaled(x, beta))
        d = 1 - s
        d *= y
        d *= beta
        d += s
        return d

    def backward(self, dvalues):
        dinputs = super().backward(dvalues)
        if self.learnable:
            # x^2 s (1 - s) written as y * (x - y): x^2 would overflow at |x| = 1e300
            self.grads["beta"][0] = np.sum(dvalues * self.output * (self.inputs - self.output))
        return dinputs

    def get_config(self):
        return {"beta": self.beta, "learnable": self.learnable, "dtype": self.dtype.name}


_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


class GELU(Activation):
    """Gaussian error linear unit (Hendrycks & Gimpel, 2016).

    exact:  f(x) = x * Phi(x),  Phi(x) = erfc(-x / sqrt(2)) / 2
            f'(x) = Phi(x) + x * phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
            f''(x) = phi(x) * (2 - x^2)
    "tanh": f(x) = x * sigmoid(2u),  u = sqrt(2/pi) * (x + 0.044715 x^3)
            (the same as 0.5 x (1 + tanh(u)))
            f'(x) = s + 2 x s (1 - s) u',  s = sigmoid(2u),
            u' = sqrt(2/pi) * (1 + 3 * 0.044715 x^2)
    Phi comes from erfc so the far negative tail keeps its relative accuracy.
    float32 inputs are evaluated in float64 and rounded once: in float32 the
    rounding of x / sqrt(2) (or of 2u) is multiplied by x^2 in the tail
    (erfc(z) ~ exp(-z^2)), which cost 50 ulps at x = -12.
    """

    name = "gelu"

    def __init__(self, approximate: str = "none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    @staticmethod
    def _u(x):
        # Beyond |x| = 1e4 the result is x or 0 to every digit; clipping keeps x^3 finite.
        xc = np.clip(x, -1e4, 1e4)
        return xc, _SQRT_2_OVER_PI * (xc + 0.044715 * xc * xc * xc)

    def function(self, x):
        xd = x.astype(np.float64, copy=False)
        if self.approximate == "tanh":
            y = xd * _sigmoid(2 * self._u(xd)[1])
        else:
            y = xd * (0.5 * erfc(-_SQRT_HALF * xd))
        return y.astype(x.dtype, copy=False)

    def derivative(self, x, y):
        if self.approximate == "tanh":
            xc, u = self._u(x)
            s = _sigmoid(2 * u)
            du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * xc * xc)
            return s + 2 * xc * s * (1 - s) * du
        # Phi(x) = y / x saves a second erfc (the costly part); it is exact to an
        # ulp wherever y is a normal float, and x = 0 (0 / 0) is set to Phi(0) = 1/2.
        with np.errstate(invalid="ignore", divide="ignore"):
            d = y / x
        # y / x has no digits left where y is subnormal; Phi(x) is 1/2 to every digit there
        np.copyto(d, 0.5, where=np.abs(x) < np.sqrt(np.finfo(x.dtype).tiny))
        xc = np.clip(x, -40, 40)  # phi(40) = 0 in float64; keeps x^2 finite
        pdf = xc * xc
        pdf *= -0.5
        np.exp(pdf, out=pdf)
        pdf *= xc
        pdf *= _INV_SQRT_2PI
        d += pdf
        return d

    def second_derivative(self, x, y):
        if self.approximate == "tanh":
            raise NotImplementedError("second_derivative is defined for the exact GELU only")
        xc = np.clip(x, -40, 40)
        return _INV_SQRT_2PI * np.exp(-0.5 * xc * xc) * (2 - xc * xc)

    def get_config(self):
        return {"approximate": self.approximate}


class Mish(Activation):
    """Mish (Misra, 2019).

    f(x)  = x * tanh(softplus(x))
    f'(x) = tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2),  sp = softplus(x)
    softplus is computed stably and tanh keeps its relative accuracy for the
    tiny sp of the far negative side, so f is accurate in relative terms everywhere.
    """

    name = "mish"

    def function(self, x):
        t = _softplus(x)
        np.tanh(t, out=t)
        t *= x
        return t

    def derivative(self, x, y):
        t = _softplus(x)
        np.tanh(t, out=t)
        # (1 - t)(1 + t) = sech(sp)^2 <= 1 and x * sigmoid(x) is finite, so no overflow
        d = x * _sigmoid(x)
        d *= 1 - t
        d *= 1 + t
        d += t
        return d


class Gaussian(Activation):
    """Gaussian bump.

    f(x)  = exp(-x^2)
    f'(x) = -2 x f(x)
    f''(x) = (4 x^2 - 2) f(x)
    """

    name = "gaussian"

    def function(self, x):
        # exp(-1600) is already 0: clipping keeps x^2 finite. A rounded x^2 would have
        # its error multiplied by x^2 in exp(-x^2) (80 ulps at x = 9 in float32), so
        # x = hi + lo with hi a multiple of 1/64: hi^2 is exact in float32 and float64,
        # and exp(-x^2) = exp(-hi^2) * exp(-lo (2 hi + lo)) loses nothing.
        xc = np.clip(x, -40, 40)
        hi = xc * 64
        np.round(hi, out=hi)
        hi /= 64
        lo = xc - hi
        y = hi * hi
        np.negative(y, out=y)
        np.exp(y, out=y)
        hi *= 2
        hi += lo
        hi *= lo
        np.negative(hi, out=hi)
        np.exp(hi, out=hi)
        y *= hi
        return y

    def derivative(self, x, y):
        return -2 * (x * y)  # x * y first: -2 * x alone can overflow in float32

    def second_derivative(self, x, y):
        xc = np.clip(x, -40, 40)
        return (4 * xc * xc - 2) * y


class Step(Activation):
    """Heaviside (binary) step.

    f(x)  = 1 if x > 0 else 0
    f'(x) = 0 (everywhere but the jump, where it does not exist)
    """

    name = "step"
    aliases = ("binary_step",)

    def function(self, x):
        y = np.greater(x, 0, out=self._buffer("output", x))
        np.copyto(y, x, where=np.isnan(x))  # x > 0 is False for NaN; keep the NaN
        return y

    def derivative(self, x, y):
        d = self._buffer("derivative", x)
        d.fill(0)
        return d


class Linear(Activation):
    """Identity.

    f(x)  = x     (the output is a copy, never the caller's array)
    f'(x) = 1
    """

    name = "linear"
    aliases = ("identity",)

    def function(self, x):
        out = self._buffer("output", x)
        out[...] = x
        return out

    def derivative(self, x, y):
        d = self._buffer("derivative", x)
        d.fill(1)
        return d

    def second_derivative(self, x, y):
        return np.zeros_like(x)


def _check_axis(x: np.ndarray, axis: int, cls: str) -> None:
    if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{cls}(axis={axis}) needs inputs with that axis; got shape {x.shape}")


class Softmax(Activation):
    """Softmax along `axis` (the last by default).

    f(x)_i = exp(x_i - m) / sum_j exp(x_j - m),  m = max_j x_j   (log-sum-exp shift)
    backward (Jacobian-vector product, no Jacobian built):
    dinputs = y * (dvalues - sum(dvalues * y, axis))
    """

    name = "softmax"

    _elementwise = False

    def __init__(self, axis: int = -1):
        self.axis = int(axis)

    def function(self, x):
        _check_axis(x, self.axis, "Softmax")
        with np.errstate(over="ignore"):  # x - m below -1.8e308 is -inf: exp gives the correct 0
            e = np.exp(x - np.max(x, axis=self.axis, keepdims=True))
        return e / np.sum(e, axis=self.axis, keepdims=True)

    def backward(self, dvalues):
        dvalues = check_dvalues(self, dvalues)
        y = self.output
        self.dinputs = y * (dvalues - np.sum(dvalues * y, axis=self.axis, keepdims=True))
        return self.dinputs

    def get_config(self):
        return {"axis": self.axis}


class LogSoftmax(Activation):
    """Log-softmax along `axis`, via log-sum-exp.

    f(x)_i = x_i - m - log1p(sum_{j != k} exp(x_j - m)),  m = max_j x_j = x_k
    backward: dinputs = dvalues - exp(y) * sum(dvalues, axis)
    """

    name = "log_softmax"

    _elementwise = False

    def __init__(self, axis: int = -1):
        self.axis = int(axis)

    def function(self, x):
        _check_axis(x, self.axis, "LogSoftmax")
        top = np.argmax(x, axis=self.axis, keepdims=True)
        with np.errstate(over="ignore"):  # x - m below -1.8e308 is -inf, the correctly rounded result
            shifted = x - np.take_along_axis(x, top, axis=self.axis)
        # log(sum) = log1p(sum without the max's own term, which is exactly 1): log(1 + 1e-10)
        # would keep only 6 digits of the log-probability -1e-10 of a confident row
        e = np.exp(shifted)
        np.put_along_axis(e, top, 0, axis=self.axis)
        return shifted - np.log1p(np.sum(e, axis=self.axis, keepdims=True))

    def backward(self, dvalues):
        dvalues = check_dvalues(self, dvalues)
        self.dinputs = dvalues - np.exp(self.output) * np.sum(dvalues, axis=self.axis, keepdims=True)
        return self.dinputs

    def get_config(self):
        return {"axis": self.axis}


class Maxout(Activation):
    """Maxout over groups of `pieces` consecutive features (Goodfellow et al., 2013).

    Inputs (..., n * pieces) -> outputs (..., n):
    f(x)_j = max_k x_{j * pieces + k}
    backward: each output's gradient goes to the input that won the max
    (the first one on ties); the others get 0.
    """

    name = "maxout"

    def __init__(self, pieces: int = 2):
        if int(pieces) < 1:
            raise ValueError(f"Maxout pieces must be >= 1, got {pieces}")
        self.pieces = int(pieces)

    def _grouped(self, x):
        if x.ndim == 0 or x.shape[-1] % self.pieces:
            raise ValueError(
                f"Maxout(pieces={self.pieces}) needs a last axis divisible by {self.pieces}; "
                f"got inputs of shape {x.shape}"
            )
        return x.reshape(*x.shape[:-1], x.shape[-1] // self.pieces, self.pieces)

    def forward(self, inputs):
        self.inputs = as_float_array(inputs, "Maxout.forward inputs")
        grouped = self._grouped(self.inputs)
        self._winner = np.argmax(grouped, axis=-1)[..., None]
        self.output = np.take_along_axis(grouped, self._winner, axis=-1)[..., 0]
        return self.output

    def backward(self, dvalues):
        dvalues = check_dvalues(self, dvalues)
        dgrouped = np.zeros(self._grouped(self.inputs).shape, dtype=np.result_type(dvalues, self.inputs))
        np.put_along_axis(dgrouped, self._winner, dvalues[..., None], axis=-1)
        self.dinputs = dgrouped.reshape(self.inputs.shape)
        return self.dinputs

    def get_config(self):
        return {"pieces": self.pieces}
