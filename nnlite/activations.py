"""Activation functions: the `Activation` base class, the catalogue, the registry.

Every elementwise activation defines two methods, both in plain numpy:

    function(x)      f(x)
    derivative(x, y) f'(x), where y = f(x) is passed in so it can be reused

and inherits `forward(inputs)` (stores `inputs`, `output`) and
`backward(dvalues)` (stores `dinputs = dvalues * f'(inputs)`). Defining a
subclass registers it under its snake_case name, so `get(name)` builds it
and `gradcheck`, the gallery and the benchmark pick it up.

Numerical rules kept by every class here, for every finite input and every
finite parameter value: no overflow, invalid-value or division warnings; the
result is the true value rounded, and +-inf only where the true value is
beyond the float range (selu(1.75e308), leaky_relu(-1e308, alpha=2)).
float32 in gives float32 out (parameters float32 cannot hold, such as
alpha = 1e300, are applied in float64 and the result rounded once); integers
and booleans are promoted to float64; float16 and long double are refused
(TypeError); NaN propagates. Derivatives are computed from x wherever y = f(x)
has lost the digits (elu' = alpha e^x, sigmoid' = e / (1 + e)^2 in the tails),
and at a kink they take PyTorch's value (relu'(0) = 0, hard_swish'(+-3) = 0, 1).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from ._arrays import as_float_array, check_dvalues, copy_state
from ._blocks import in_blocks, scratch_size
from ._config import ConfigError, captured_config, qualified_name, uses_capture
from ._exp32 import elu_float32
from ._special import gelu_derivative_float32, gelu_float32, normal_tail

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


def _is_or_views(a: np.ndarray, owner: np.ndarray) -> bool:
    """Whether `a` is `owner` or a view of it (numpy points every view's base at the owning array):
    about 50 ns, where np.may_share_memory costs 300."""
    return a is owner or a.base is owner


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
        previous = getattr(self, "dinputs", None)
        if self.reuse_buffers and previous is not None and _is_or_views(dvalues, previous):
            dvalues = dvalues.copy()  # act.backward(act.dinputs) in fit: f' is written into that array
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
    def _buffers(self) -> dict[str, Any]:
        """The arrays kept while `reuse_buffers` is on (Sequential.fit clears them)."""
        return self.__dict__.setdefault("_buffer_store", {})

    def _buffer(self, key: str, like: np.ndarray) -> np.ndarray:
        """An array shaped like `like` to write result `key` into: a new one, or while
        `reuse_buffers` is on, the one kept from the previous call of that shape and dtype,
        unless `like` is that array or a view of it (act.forward(act.output) would overwrite
        the inputs while reading them)."""
        if not self.reuse_buffers:
            return np.empty_like(like)
        buf = self._buffers.get(key)
        if buf is None or buf.shape != like.shape or buf.dtype != like.dtype or _is_or_views(like, buf):
            buf = self._buffers[key] = np.empty_like(like)
        return buf

    def get_config(self) -> dict[str, Any]:
        """Constructor keywords that rebuild this activation with `get(name, **config)`.

        By default the constructor's arguments, read back from the attributes
        of the same name (see the class docstring).
        """
        return captured_config(self)

    def set_state(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy saved `state` arrays into this activation's (same keys, shapes and dtypes)."""
        copy_state(self, state)

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
    and 1 / inf = 0, so that overflow is silenced rather than avoided: this is
    3-4x faster than the branching form. The true value there is subnormal, not 0:
    `Sigmoid` recomputes those elements (`_put_tail`).
    """
    t = np.negative(x, out=out)
    with np.errstate(over="ignore"):
        np.exp(t, out=t)
    t += 1
    return np.reciprocal(t, out=t)


def _scaled(x: np.ndarray, c: float, out: np.ndarray | None = None) -> np.ndarray:
    """c * x, where an overflow (x = 1e308 with c = 2, or 3e38 in float32) goes
    to +-inf silently: every caller feeds it to exp or sigmoid, or clips it, and
    the infinite value gives the correct limit there."""
    with np.errstate(over="ignore"):
        return np.multiply(x, c, out=out)


def _float_dtype(dtype: str | type, owner: str) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{owner} dtype must be float32 or float64, got {dtype}")
    return dtype


def _positive(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """max(x, 0), NaN kept. np.clip with two finite-or-inf bounds takes numpy's fast
    clip loop, about 3x faster than np.maximum(x, 0) (numpy 2.4)."""
    return np.clip(x, 0, np.inf, out=out)


def _negative(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """min(x, 0), NaN kept (see `_positive`)."""
    return np.clip(x, -np.inf, 0, out=out)


def _select(mask: np.ndarray, a: float | np.ndarray, b: float | np.ndarray, dtype: np.dtype) -> np.ndarray:
    """a where mask else b, exactly, for finite a and b.

    Arithmetic instead of np.where: on inputs of random sign np.where
    mispredicts its branch and runs about 10x slower than these passes
    (and np.copyto(..., where=mask) about 15x).
    """
    m = mask.astype(dtype)
    out = m * a
    m -= 1
    m *= b
    out -= m
    return out


_F32_MAX = float(np.finfo(np.float32).max)
_LOWEST_FINITE = {np.dtype(t): t(-np.finfo(t).max) for t in (np.float32, np.float64)}
_F32_TINY = float(np.finfo(np.float32).tiny)


def _float32_cannot_hold(*params: float | np.ndarray) -> bool:
    """True if a parameter is outside float32's normal range: a float32 computation
    would turn it into inf, or into a subnormal or zero."""
    if all(isinstance(p, float) for p in params):  # the usual case, 10 us faster than the array test
        return not all(p == 0 or _F32_TINY <= abs(p) <= _F32_MAX for p in params)
    values = np.abs(np.concatenate([np.ravel(p) for p in params]).astype(np.float64))
    return not bool(np.all((values == 0) | ((values >= _F32_TINY) & (values <= _F32_MAX))))


def _in_float64(fn, x: np.ndarray, *more: np.ndarray) -> np.ndarray:
    """fn on float64 copies of float32 arrays, rounded once to float32.

    For parameters float32 cannot hold (alpha = 1e300, beta = 1e-300). Where
    the rounding overflows, the true value is beyond float32's range and inf is
    its correct rounding, so that overflow is silent; so is an underflow to a
    subnormal or 0 (alpha = 1e-300), as on the float32 paths.
    """
    result = fn(x.astype(np.float64), *(np.asarray(m, dtype=np.float64) for m in more))
    with np.errstate(over="ignore", under="ignore"):
        return result.astype(np.float32)


class Sigmoid(Activation):
    """Logistic sigmoid (Verhulst's logistic function; in networks since Rumelhart,
    Hinton & Williams, 1986).

    f(x)  = 1 / (1 + exp(-x))
    f'(x) = f(x) * (1 - f(x)) = e / (1 + e)^2,  e = exp(-|x|)
    f''(x) = f'(x) * (1 - 2 f(x))
    f' is computed from x in the second form: y (1 - y) has no digits left for
    x > 37, where y rounds to 1 while f'(x) = exp(-x) is still a normal float.
    """

    name = "sigmoid"

    def function(self, x):
        """f(x) = 1 / (1 + exp(-x)), accurate in relative terms for every x (far left, where
        exp(-x) overflows, from exp(x) / (1 + exp(x)))."""
        y = _sigmoid(x, out=self._buffer("output", x))
        return _put_tail(lambda v: _tail_sigmoid(v, 1.0), x, y, _tail(x, 1.0, overflows=True))

    def derivative(self, x, y):
        """f'(x) = e / (1 + e)^2 with e = exp(-|x|), relative accuracy in both tails."""
        d = np.abs(x, out=self._buffer("derivative", x))  # abs and negative: np.copysign has no SIMD loop
        np.negative(d, out=d)
        np.exp(d, out=d)  # in (0, 1]: no overflow
        t = np.add(d, 1, out=self._buffer("scratch", x))
        t *= t
        d /= t
        return d

    def second_derivative(self, x, y):
        """f''(x) = f'(x) (1 - 2 f(x))."""
        return self.derivative(x, y) * (1 - 2 * y)


class Tanh(Activation):
    """Hyperbolic tangent (LeCun et al., 1998, "Efficient BackProp").

    f(x)  = tanh(x)
    f'(x) = 1 - f(x)^2 = 4 e / (1 + e)^2,  e = exp(-2 |x|)
    f''(x) = -2 f(x) f'(x)
    f' is computed from x in the second form: 1 - y^2 is 0 for |x| > 19 where
    f'(x) = 4 exp(-2|x|) is still a normal float.
    """

    name = "tanh"

    def function(self, x):
        """f(x) = tanh(x)."""
        return np.tanh(x, out=self._buffer("output", x))

    def derivative(self, x, y):
        """f'(x) = 4 e / (1 + e)^2 with e = exp(-2 |x|), relative accuracy in the tails."""
        d = np.abs(x, out=self._buffer("derivative", x))
        _scaled(d, -2.0, out=d)  # -2 |x| below -3.4e38 in float32 is -inf: exp gives the correct 0
        np.exp(d, out=d)
        t = np.add(d, 1, out=self._buffer("scratch", x))
        t *= t
        d /= t
        d *= 4
        return d

    def second_derivative(self, x, y):
        """f''(x) = -2 f(x) f'(x)."""
        return -2 * y * self.derivative(x, y)


class ReLU(Activation):
    """Rectified linear unit (Nair & Hinton, 2010).

    f(x)  = max(0, x)
    f'(x) = 1 if x > 0 else 0   (0 at the kink, as in PyTorch)
    """

    name = "relu"

    def function(self, x):
        """f(x) = max(0, x)."""
        return np.clip(x, 0, np.inf, out=self._buffer("output", x))  # see _positive

    def derivative(self, x, y):
        """f'(x) = 1 if x > 0 else 0."""
        return np.greater(x, 0, out=self._buffer("derivative", x))


class LeakyReLU(Activation):
    """Leaky ReLU (Maas et al., 2013, "Rectifier Nonlinearities Improve Neural Network
    Acoustic Models").

    f(x)  = x if x > 0 else alpha * x       (alpha = 0.01 as in PyTorch; tf uses 0.2)
    f'(x) = 1 if x > 0 else alpha           (alpha at the kink x = 0, as in PyTorch)
    Any finite alpha: where alpha * x is beyond the float range the result is
    -inf or inf (the true value's rounding), without a warning.
    """

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01):
        self.alpha = float(alpha)

    def function(self, x):
        """f(x) = x if x > 0 else alpha * x."""
        if x.dtype == np.float32 and _float32_cannot_hold(self.alpha):
            return _in_float64(self.function, x)
        # max(x, alpha x) is x for x > 0 and alpha x below when alpha <= 1 (min when alpha > 1)
        ax = _scaled(x, self.alpha, out=self._buffer("output", x))
        return np.maximum(x, ax, out=ax) if self.alpha <= 1 else np.minimum(x, ax, out=ax)

    def derivative(self, x, y):
        """f'(x) = 1 if x > 0 else alpha."""
        if x.dtype == np.float32 and _float32_cannot_hold(self.alpha):
            return _in_float64(self.derivative, x, y)
        if 0 <= self.alpha <= 1:  # clip(0 or 1, alpha, 1) is alpha or 1 exactly, with no branch
            d = np.greater(x, 0, out=self._buffer("derivative", x))
            return np.clip(d, self.alpha, 1, out=d)
        return _select(x > 0, 1, self.alpha, x.dtype)

    def get_config(self):
        return {"alpha": self.alpha}


def _elu(x: np.ndarray, alpha: float, out: np.ndarray, scratch: np.ndarray,
         inner: float = 1.0, slope: float = 1.0) -> np.ndarray:
    """slope * max(x, 0) + alpha * expm1(min(x, 0) / inner): one term is always exactly 0.
    For float64 and small float32 inputs (see `_ExponentialLinear`).

    Five passes, no temporaries. Below -60 * inner, expm1 is -1 to every digit:
    clipping there keeps x / inner finite for any inner.
    """
    lowest = -float(np.finfo(x.dtype).max)
    t = np.clip(x, max(-60 * inner, lowest), 0, out=out)
    if inner != 1:
        t /= inner
    np.expm1(t, out=t)
    if alpha != 1:
        t *= alpha  # |expm1| <= 1: no overflow for any finite alpha
    if inner > 8:
        _celu_near_zero(x, t, alpha, inner)
    pos = _positive(x, out=scratch)
    if slope != 1:
        _scaled(pos, slope, out=pos)  # beyond the float range: inf is the true value's rounding
    t += pos
    return t


def _celu_near_zero(x: np.ndarray, t: np.ndarray, alpha: float, inner: float) -> None:
    """Where -2^-30 < x / inner <= 0, set t = alpha / inner * x * (1 + x / (2 inner)).

    For a large inner (CELU's alpha = 1e300), x / inner is subnormal or 0 for small
    x and expm1 of it has lost its digits; the first two Taylor terms are exact there.
    """
    near = (x < 0) & (x > -(inner * 2.0**-30))
    if near.any():
        xs = x[near]
        t[near] = (alpha / inner) * xs * (1 + 0.5 * (xs / inner))


def _elu_derivative(x: np.ndarray, out: np.ndarray, scratch: np.ndarray,
                    alpha: float = 1.0, inner: float = 1.0, slope: float = 1.0) -> np.ndarray:
    """slope where x > 0, k * exp(x / inner) with k = alpha / inner where x <= 0, from x.
    For float64 and small float32 inputs (see `_ExponentialLinear`).

    From x, not y: y + alpha is 0 below x = -37 (y rounds to -alpha) while the
    true value alpha exp(x) keeps its relative accuracy down to the subnormals.
    """
    k = alpha / inner
    shift = math.floor(math.log(abs(k))) if abs(k) > 2 else 0
    # below u = -800 - shift, k e^u is 0 in float32 and float64; the clip keeps x / inner finite
    lowest = -float(np.finfo(x.dtype).max)
    d = np.clip(x, max(-(800 + shift) * inner, lowest), 0, out=out)
    if inner != 1:
        d /= inner
    deep = None
    if shift:
        # where e^u is subnormal (its digits lost) k e^u may still be normal: those few
        # get k e^u = exp(u + shift) * (k / e^shift), where u + shift is exact
        deep = d < math.log(np.finfo(x.dtype).tiny)
        deep_u = d[deep] if deep.any() else None
    np.exp(d, out=d)  # exactly 1 where x > 0
    if k != 1:
        d *= k
    if k != slope:
        step = x.dtype.type(slope) - x.dtype.type(k)
        if step + x.dtype.type(k) == slope:
            # SELU: where x > 0, k + (slope - k) = slope exactly (slope - k is exact, Sterbenz)
            m = np.greater(x, 0, out=scratch)
            m *= step
        else:
            # any k: where x > 0, d = k is replaced by slope; elsewhere d = k e stays
            m = np.greater(x, 0, out=scratch)
            d -= m * k
            m *= slope
        d += m
    if deep is not None and deep_u is not None:
        deep_u += shift
        d[deep] = np.exp(deep_u) * (k / math.exp(shift))
    return d


# Below this many elements the float32 ELU family's arrays stay in cache anyway and the per-call
# cost of the block passes decides. Where it changes depends on the CPU: on the AVX-512 machine
# of 2026-12-01 the float64 path was faster up to 16384 elements (fit mode); on AVX2, where
# numpy's float64 expm1 and exp are scalar libm, the block passes win earlier (the float32
# np.expm1 path they replaced crossed at 4096-8192)
_FUSE_MIN_SIZE = 8192


class _FusedDerivative(Activation, register=False):
    """An activation whose f' shares most of its work with f.

    While `reuse_buffers` is on (as in `Sequential.fit`, where nearly every
    forward is followed by its backward), forward computes f' along with f
    (in one pass over cache-sized blocks, `nnlite._blocks`, for large arrays),
    into the buffer f' is written to anyway, and the backward pass of the same
    `inputs`, `output` and parameters then costs one product; `Sequential.fit`
    drops what a forward without backward (validation) kept when it ends.
    Otherwise forward computes f alone and keeps nothing, and `derivative`
    computes f' from x. Every forward replaces what the one before kept: a
    stale f' must not outlive its forward.
    """

    def _keep_derivative(self, x: np.ndarray | None, y: np.ndarray | None, d: np.ndarray | None,
                         params: Any = None) -> None:
        """Keep f' = d of f(x) = y with these parameters for `_kept_derivative_for`; d None
        drops what was kept."""
        if d is None:
            store = self.__dict__.get("_buffer_store")  # not created outside fit mode
            if store:
                store.pop("kept derivative", None)
            return
        # among the buffers: Sequential.fit drops them all when it ends, this one included (a
        # validation forward has no backward to take it)
        self._buffers["kept derivative"] = (x, y, d, params)

    def _with_tails(self, x: np.ndarray, beta: float, kernel, tail_f, tail_d) -> np.ndarray:
        """f (and in fit mode f', kept) of Softplus and Swish: kernel(x, beta, y, d) on the
        blocks, then the tails (`_tail`, overflows=True) of both from tail_f and tail_d."""
        y = self._buffer("output", x)
        d = self._buffer("derivative", x) if self.reuse_buffers else None
        kernel(x, beta, y, d)
        tail = _tail(x, beta, overflows=True)
        if d is not None:
            _put_tail(lambda v: tail_d(v, beta), x, d, tail)
        self._keep_derivative(x, y, d, beta)  # with beta: Swish's may be learned between the two
        return _put_tail(lambda v: tail_f(v, beta), x, y, tail)

    def _kept_derivative_for(self, x: np.ndarray, y: np.ndarray, params: Any = None) -> np.ndarray | None:
        store = self.__dict__.get("_buffer_store")  # not created outside fit mode
        kept = store.pop("kept derivative", None) if store else None
        if kept is not None and kept[0] is x and kept[1] is y and kept[3] == params:
            return kept[2]
        return None


class _ExponentialLinear(_FusedDerivative, register=False):
    """The ELU family: f(x) = slope * max(x, 0) + alpha * expm1(min(x, 0) / inner).

    On float32 inputs of at least 8192 elements f and f' come from one range
    reduction (`nnlite._exp32`: within 0.939 and 0.989 ulp; see `_FusedDerivative`
    for when f' is kept). float64 takes np.expm1 and np.exp; so do smaller float32
    inputs, in float64 and rounded once (within 0.501 ulp), because numpy's float32
    expm1 and exp depend on the CPU: expm1 is glibc's on AVX2 (0.75 ulp) and SVML's
    on AVX-512 (2.85 ulp), numpy's own SIMD exp 2.3 and 2.54 ulp. The two float32
    paths agree within 2 ulp, except CELU's f' with alpha != 1 far left, where exp
    amplifies the float32 rounding of x / alpha on the block path (up to 80 ulp apart
    at alpha = 0.1, 42 at alpha = 3). Intermediate underflow never raises, whatever
    np.seterr says.
    """

    def _family_function(self, x: np.ndarray, alpha: float, inner: float = 1.0, slope: float = 1.0) -> np.ndarray:
        if x.dtype != np.float32:
            self._keep_derivative(x, None, None)
            with np.errstate(under="ignore"):  # as the block path: exp(-100) is 0 or subnormal, not an error
                return _elu(x, alpha, self._buffer("output", x), self._buffer("scratch", x), inner=inner, slope=slope)
        y = self._buffer("output", x)
        d = self._buffer("derivative", x) if self.reuse_buffers else None
        if x.size < _FUSE_MIN_SIZE:
            _elu_via_float64(x, alpha, inner, slope, y, d)
        else:
            elu_float32(x, alpha, inner, slope, y, d)
            if inner > 8:
                with np.errstate(under="ignore"):  # x / inner of a tiny x, as on the float64 path
                    _celu_near_zero(x, y, alpha, inner)
        self._keep_derivative(x, y, d, (alpha, inner, slope))
        return y

    def _family_derivative(self, x: np.ndarray, y: np.ndarray, alpha: float, inner: float = 1.0,
                        slope: float = 1.0) -> np.ndarray:
        kept = self._kept_derivative_for(x, y, (alpha, inner, slope))
        if kept is not None:
            return kept
        if x.dtype != np.float32:
            with np.errstate(under="ignore"):
                return _elu_derivative(x, self._buffer("derivative", x), self._buffer("mask", x), alpha, inner, slope)
        d = self._buffer("derivative", x)
        if x.size < _FUSE_MIN_SIZE:
            _elu_via_float64(x, alpha, inner, slope, None, d)
        else:
            elu_float32(x, alpha, inner, slope, None, d)
        return d


def _elu_via_float64(x: np.ndarray, alpha: float, inner: float, slope: float,
                     y: np.ndarray | None, d: np.ndarray | None) -> None:
    """The ELU family (`_elu`) into y and its derivative (`_elu_derivative`) into d, either
    None when not wanted, for a small float32 x: computed in float64 from one cast of x and
    rounded once (numpy's float32 expm1 and exp depend on the CPU; see `_ExponentialLinear`)."""
    v = x.astype(np.float64)
    scratch = np.empty_like(v)
    # slope * x beyond float32 rounds to inf, its correct rounding; exp(-100) is 0 or subnormal
    with np.errstate(under="ignore", over="ignore"):
        if y is not None:
            np.copyto(y, _elu(v, alpha, np.empty_like(v), scratch, inner, slope), casting="same_kind")
        if d is not None:
            np.copyto(d, _elu_derivative(v, np.empty_like(v), scratch, alpha, inner, slope), casting="same_kind")


class ELU(_ExponentialLinear):
    """Exponential linear unit (Clevert et al., 2016, "Fast and Accurate Deep Network
    Learning by Exponential Linear Units").

    f(x)  = x if x > 0 else alpha * (exp(x) - 1)
    f'(x) = 1 if x > 0 else alpha * exp(x)   (alpha at the kink x = 0, as in PyTorch)
    f' is computed from x, so it keeps its relative accuracy in the far left tail
    (f(x) + alpha is 0 there). Any finite alpha, positive or negative.
    """

    name = "elu"

    def __init__(self, alpha: float = 1.0):
        self.alpha = float(alpha)

    def function(self, x):
        """f(x) = x if x > 0 else alpha * expm1(x)."""
        if x.dtype == np.float32 and _float32_cannot_hold(self.alpha):
            return _in_float64(self.function, x)
        return self._family_function(x, self.alpha)

    def derivative(self, x, y):
        """f'(x) = 1 if x > 0 else alpha * exp(x), from x."""
        if x.dtype == np.float32 and _float32_cannot_hold(self.alpha):
            return _in_float64(self.derivative, x, y)
        return self._family_derivative(x, y, self.alpha)

    def get_config(self):
        return {"alpha": self.alpha}


class SELU(_ExponentialLinear):
    """Scaled ELU (Klambauer et al., 2017, "Self-Normalizing Neural Networks").

    f(x)  = scale * (x if x > 0 else alpha * (exp(x) - 1))
    f'(x) = scale if x > 0 else scale * alpha * exp(x)   (from x; the left value at x = 0)
    with alpha = 1.6732632423543772848170429916717 and
    scale = 1.0507009873554804934193349852946 (the paper's exact constants).
    For x > 1.7e308 / scale the true value is beyond float64: inf, silently.
    """

    name = "selu"
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946

    def function(self, x):
        """f(x) = scale * x if x > 0 else scale * alpha * expm1(x)."""
        return self._family_function(x, self.scale * self.alpha, slope=self.scale)

    def derivative(self, x, y):
        """f'(x) = scale if x > 0 else scale * alpha * exp(x), from x."""
        return self._family_derivative(x, y, self.scale * self.alpha, slope=self.scale)


class CELU(_ExponentialLinear):
    """Continuously differentiable ELU (Barron, 2017, "Continuously Differentiable
    Exponential Linear Units").

    f(x)  = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
    f'(x) = 1 if x > 0 else exp(x / alpha)    (from x: exact in the far left tail)
    Any alpha > 0, from subnormal to 1.7e308.
    """

    name = "celu"

    def __init__(self, alpha: float = 1.0):
        if not alpha > 0:
            raise ValueError(f"CELU alpha must be > 0, got {alpha}")
        self.alpha = float(alpha)

    def function(self, x):
        """f(x) = x if x > 0 else alpha * expm1(x / alpha)."""
        if x.dtype == np.float32 and _float32_cannot_hold(self.alpha):
            return _in_float64(self.function, x)
        return self._family_function(x, self.alpha, inner=self.alpha)

    def derivative(self, x, y):
        """f'(x) = exp(min(x, 0) / alpha), which is 1 for x > 0."""
        if x.dtype == np.float32 and _float32_cannot_hold(self.alpha):
            return _in_float64(self.derivative, x, y)
        return self._family_derivative(x, y, self.alpha, inner=self.alpha)

    def get_config(self):
        return {"alpha": self.alpha}


class PReLU(Activation):
    """Parametric ReLU with learnable slope (He et al., 2015, "Delving Deep into Rectifiers").

    f(x)      = x if x > 0 else alpha * x
    f'(x)     = 1 if x > 0 else alpha          (alpha at the kink x = 0, as in PyTorch)
    df/dalpha = 0 if x > 0 else x
    One alpha shared by all features (`num_parameters=1`) or one per feature
    (the last axis of the inputs, `num_parameters=n_features`). `dtype` is the
    parameter's: float32 for a network that trains in float32 end to end.
    Values and gradients beyond the float range are +-inf, without a warning.
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
        """f(x) = x if x > 0 else alpha * x."""
        if x.dtype == np.float32 and _float32_cannot_hold(self.params["alpha"]):
            return _in_float64(self.function, x)
        alpha = self._alpha_for(x)
        y = _negative(x, out=self._buffer("output", x))
        with np.errstate(over="ignore"):  # beyond the float range: inf is the true value's rounding
            y *= alpha
        y += _positive(x, out=self._buffer("scratch", x))
        return y

    def derivative(self, x, y):
        """f'(x) = 1 if x > 0 else alpha."""
        if x.dtype == np.float32 and _float32_cannot_hold(self.params["alpha"]):
            return _in_float64(self.derivative, x, y)
        return _select(x > 0, 1, self._alpha_for(x), x.dtype)

    def backward(self, dvalues):
        """dinputs = dvalues * f'(inputs); grads["alpha"] = sum of dvalues * min(inputs, 0)."""
        dinputs = super().backward(dvalues)
        with np.errstate(over="ignore"):  # a sum beyond the float range is +-inf, its true rounding
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
    """ReLU capped at 6 (Krizhevsky, 2010, "Convolutional Deep Belief Networks on CIFAR-10";
    MobileNet).

    f(x)  = min(max(0, x), 6)
    f'(x) = 1 if 0 < x < 6 else 0   (0 at both kinks, as in PyTorch)
    """

    name = "relu6"

    def function(self, x):
        """f(x) = min(max(0, x), 6)."""
        return np.clip(x, 0, 6, out=self._buffer("output", x))

    def derivative(self, x, y):
        """f'(x) = 1 if 0 < x < 6 else 0."""
        d = self._buffer("derivative", x)
        np.copyto(d, (x > 0) & (x < 6))  # bool work, one cast: float * bool products are slow
        return d


def _softplus_and_derivative(x: np.ndarray, beta: float, y: np.ndarray, d: np.ndarray | None) -> None:
    """y = max(x, 0) + log1p(exp(-beta |x|)) / beta (exp never sees a positive argument) and,
    unless d is None, d = sigmoid(beta x), in one pass over cache-sized blocks (`nnlite._blocks`):
    in `fit` forward computes both (see `_FusedDerivative`)."""

    def work(xb, yb, db, tb):
        # the ufuncs themselves, not `_scaled` and `_sigmoid_of_scaled` (the same passes): their
        # errstate blocks cost a microsecond each, felt on a (32, 64) batch
        np.abs(xb, out=tb)  # abs and a product: np.copysign(x, -1) has no SIMD loop, slower than both
        np.multiply(tb, -beta, out=tb)
        np.exp(tb, out=tb)
        np.log1p(tb, out=yb)
        if beta != 1:
            yb /= beta  # log(2) / 1e-310 is beyond float64: inf is its rounding
        yb += _positive(xb, out=tb)
        if d is not None:
            np.multiply(xb, -beta, out=db)
            np.exp(db, out=db)
            db += 1
            np.reciprocal(db, out=db)

    # beta x beyond the float range is inf, exp(-100) 0 or subnormal: their limits, not errors
    with np.errstate(over="ignore", under="ignore"):
        in_blocks(x, (y, d), np.empty((1, scratch_size(x)), x.dtype), work)


def _sigmoid_of_scaled(x: np.ndarray, beta: float, out: np.ndarray) -> np.ndarray:
    """sigmoid(beta x) = 1 / (1 + exp(-beta x)) in four passes (see `_sigmoid`)."""
    t = _scaled(x, -beta, out=out)
    with np.errstate(over="ignore"):
        np.exp(t, out=t)
    t += 1
    return np.reciprocal(t, out=t)


def _tail_exp(x: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """u = beta x, h = exp(u / 2) and e = h * h = exp(u), for the tails of `_put_tail` (u < 0),
    where exp(u) cannot overflow. Products with h twice keep their digits where e alone would be
    subnormal (x e^u is a normal float for x = -7.5e302 at beta = 1e-300). u is floored at
    -1e4, where h is 0 in every precision, so a u beyond the float range gives no inf * 0."""
    u = np.maximum(_scaled(x, beta), -1e4)
    h = np.exp(0.5 * u)
    return u, h, h * h


def _tail_sigmoid(x: np.ndarray, beta: float) -> np.ndarray:
    """sigmoid(beta x) = e / (1 + e), e = exp(beta x), for the tails of `_put_tail`."""
    _, _, e = _tail_exp(x, beta)
    return e / (1 + e)


def _tail_softplus(x: np.ndarray, beta: float) -> np.ndarray:
    """log1p(e) / beta, e = exp(beta x), for the tails of `_put_tail`; past beta x = -40, where
    log1p(e) = e to every digit, h (h / beta), which neither underflows early nor overflows."""
    u, h, e = _tail_exp(x, beta)
    return np.where(u < -40, h * (h / beta), np.log1p(e) / beta)


def _tail_swish(x: np.ndarray, beta: float) -> np.ndarray:
    """x sigmoid(beta x) = (x h) h / (1 + e), for the tails of `_put_tail`."""
    _, h, e = _tail_exp(x, beta)
    return (x * h) * h / (1 + e)


def _tail_swish_derivative(x: np.ndarray, beta: float) -> np.ndarray:
    """Swish's f' = s (1 + u (1 - s)), s = sigmoid(u), u = beta x, for the tails of `_put_tail`."""
    u, h, e = _tail_exp(x, beta)
    s = e / (1 + e)
    return ((1 + u * (1 - s)) * h) * h / (1 + e)


def _swish_and_derivative(x: np.ndarray, beta: float, y: np.ndarray, d: np.ndarray | None) -> None:
    """y = x / (1 + exp(-beta x)) and, unless d is None, d = s (1 + u (1 - s)) with u = beta x
    and s = sigmoid(u), sharing 1 + exp(-u), in one pass over cache-sized blocks; the same
    passes as `Swish.derivative`."""

    def work(xb, yb, db, tb, wb):
        np.multiply(xb, -beta, out=wb)  # -u; not `_scaled`: see `_softplus_and_derivative`
        np.exp(wb, out=tb)  # exp(-u) = inf gives x / inf = 0, the correct limit
        tb += 1
        np.divide(xb, tb, out=yb)
        if d is None:
            return
        np.reciprocal(tb, out=db)  # s
        _swish_derivative_from(db, wb, tb)

    with np.errstate(over="ignore", under="ignore"):
        in_blocks(x, (y, d), np.empty((2, scratch_size(x)), x.dtype), work)


def _swish_derivative_from(s: np.ndarray, minus_u: np.ndarray, scratch: np.ndarray) -> None:
    """s becomes s (1 + u (1 - s)), from s = sigmoid(u) and -u (overwritten). u, not beta y:
    y = x s underflows first (to 0 for x = -6.9e-36 at beta = 1e38, where f' = -1.5e-297); it is
    clipped to +-1e4, where s (1 - s) is 0 in every precision, so an infinite u gives no inf * 0."""
    minus_u.clip(-1e4, 1e4, out=minus_u)  # the method: np.clip adds a wrapper call, felt on small batches
    np.subtract(1, s, out=scratch)
    scratch *= minus_u
    np.subtract(1, scratch, out=scratch)
    s *= scratch


# exp(-u) of a float32 u = beta * x brings back the rounding of u (and of beta to float32) multiplied
# by |u|: 33 ulps at u = -66. Past u = -6, where the result is about exp(u), `_put_tail`
# recomputes those elements in float64 (`_tail`, `_put_tail`). Cost, forward at 1e6 float32: one min or max where no
# element is that far out (every beta: see `_OVERFLOW_TAIL`); about 12% for
# swish(beta=1.5) on N(0, 1) data; in proportion to the tail beyond: 3.5x for swish(beta=10) on
# N(0, 1) (27% in the tail), 7x where most elements are (swish(beta=1.5) on uniform(-20, 0))
_TAIL32 = 6.0
# x / (1 + exp(-u)) (swish) overflows exp past u = -88.7 in float32 and -709.8 in float64, where
# x exp(u) is still a normal float (down to x = -91.8 in float32 at beta = 1): past these u the
# elements are recomputed from exp(u), which cannot overflow there
_OVERFLOW_TAIL = {np.dtype(np.float32): 80.0, np.dtype(np.float64): 700.0}


def _tail(x: np.ndarray, beta: float, overflows: bool = False) -> np.ndarray | None:
    """Flat C-order indices of the elements `_put_tail` recomputes, or None where there are
    none: beta x < -6 for a float32 x and a beta that makes beta x round (not a power of two);
    with `overflows` (a formula in exp(-beta x)), at least where that exp nears overflow."""
    if beta == 0 or x.size == 0:
        return None
    if x.dtype == np.float32 and math.frexp(beta)[0] not in (0.5, -0.5):
        u = _TAIL32
    elif overflows and x.dtype in _OVERFLOW_TAIL:
        u = _OVERFLOW_TAIL[x.dtype]
    else:
        return None
    bound = -u / beta  # a Python float: no float32 cast to overflow for beta ~ 1e-38
    # fmin/fmax: a NaN elsewhere in x must not hide the tail (NaN elements stay NaN)
    if not (float(np.fmin.reduce(x, axis=None)) < bound if beta > 0 else float(np.fmax.reduce(x, axis=None)) > bound):
        return None
    v = x.astype(np.float64) if abs(bound) > 3e38 else x
    # flat indices, take and put: boolean-mask indexing is 3-4x slower; both are in C order
    # whatever x's and out's layouts
    return np.flatnonzero(v < bound if beta > 0 else v > bound)


def _put_tail(fn, x: np.ndarray, out: np.ndarray, tail: np.ndarray | None) -> np.ndarray:
    """out = fn(x) at the flat indices `tail` (from `_tail`; nothing where it is None), fn
    evaluated in float64 and rounded once; out as it is elsewhere."""
    if tail is not None:
        with np.errstate(over="ignore", under="ignore"):
            np.put(out, tail, fn(x.take(tail).astype(np.float64)))
    return out


class Softplus(_FusedDerivative):
    """Softplus (Dugas et al., 2001, "Incorporating Second-Order Functional Knowledge
    for Better Option Pricing"), a smooth ReLU.

    f(x)  = log(1 + exp(beta * x)) / beta = max(x, 0) + log1p(exp(-beta |x|)) / beta
    f'(x) = sigmoid(beta * x)
    f''(x) = beta * sigmoid(beta x) * (1 - sigmoid(beta x))
    Any beta > 0: beta x beyond the float range saturates exp to its correct limit.
    float32 f comes from numpy's float32 exp and log1p, whose accuracy depends on the
    CPU: within 1.75 ulp of mpmath on the tests' points with glibc's log1p (AVX2), 3.03
    ulp on a dense grid of [-30, 30] with SVML's (AVX-512). In `Sequential.fit` forward
    computes f' along with f (see `_FusedDerivative`).
    """

    name = "softplus"

    def __init__(self, beta: float = 1.0):
        if not beta > 0:
            raise ValueError(f"Softplus beta must be > 0, got {beta}")
        self.beta = float(beta)

    def function(self, x):
        """f(x) = max(x, 0) + log1p(exp(-beta |x|)) / beta."""
        if x.dtype == np.float32 and _float32_cannot_hold(self.beta):
            return _in_float64(self.function, x)
        # f' = 1 / (1 + exp(-beta x)) overflows exp far left: its tail, and with it f's
        return self._with_tails(x, self.beta, _softplus_and_derivative, _tail_softplus, _tail_sigmoid)

    def derivative(self, x, y):
        """f'(x) = sigmoid(beta * x)."""
        if x.dtype == np.float32 and _float32_cannot_hold(self.beta):
            return _in_float64(self.derivative, x, y)
        beta = self.beta
        kept = self._kept_derivative_for(x, y, beta)
        if kept is not None:
            return kept
        d = _sigmoid_of_scaled(x, beta, out=self._buffer("derivative", x))
        return _put_tail(lambda v: _tail_sigmoid(v, beta), x, d, _tail(x, beta, overflows=True))

    def second_derivative(self, x, y):
        """f''(x) = beta * s * (1 - s), s = sigmoid(beta x)."""
        s = _sigmoid(_scaled(x, self.beta))
        return self.beta * s * (1 - s)

    def get_config(self):
        return {"beta": self.beta}


class Softsign(Activation):
    """Softsign (Bergstra et al., 2009, "Quadratic Polynomials Learn Better Image Features").

    f(x)  = x / (1 + |x|)
    f'(x) = 1 / (1 + |x|)^2
    f''(x) = -2 sign(x) / (1 + |x|)^3
    """

    name = "softsign"

    def function(self, x):
        """f(x) = x / (1 + |x|) (NaN at x = +-inf, as in PyTorch: infinite inputs are outside
        nnlite's contract, and the limit would cost a pass on every call)."""
        return x / (1 + np.abs(x))

    def derivative(self, x, y):
        """f'(x) = 1 / (1 + |x|)^2."""
        d = 1 / (1 + np.abs(x))  # squaring d, not (1 + |x|), cannot overflow
        return d * d

    def second_derivative(self, x, y):
        """f''(x) = -2 sign(x) / (1 + |x|)^3."""
        d = 1 / (1 + np.abs(x))
        return -2 * np.sign(x) * d * d * d


class HardSigmoid(Activation):
    """Hard sigmoid, Keras' form by default (Courbariaux et al., 2015, "BinaryConnect").

    f(x)  = clip(slope * x + offset, 0, 1)     (slope 0.2, offset 0.5: flat beyond |x| = 2.5)
    f'(x) = slope for lo < x < hi, else 0;  lo, hi = -offset / slope, (1 - offset) / slope
            (sorted), rounded to x's precision
    PyTorch's variant is slope=1/6, offset=0.5: f' = 0 at x = +-3 as there, and
    slope one ulp inside (deciding from the rounded output gave 0 there).
    Any finite slope and offset; slope * x beyond the float range saturates.
    """

    name = "hard_sigmoid"

    def __init__(self, slope: float = 0.2, offset: float = 0.5):
        self.slope = float(slope)
        self.offset = float(offset)

    def _too_wide(self, x):
        return x.dtype == np.float32 and _float32_cannot_hold(self.slope, self.offset)

    def function(self, x):
        """f(x) = clip(slope * x + offset, 0, 1)."""
        if self._too_wide(x):
            return _in_float64(self.function, x)
        y = _scaled(x, self.slope, out=self._buffer("output", x))
        with np.errstate(over="ignore"):  # |slope x| beyond the range: the clip saturates either way
            y += self.offset
        return np.clip(y, 0, 1, out=y)

    def _kinks(self, dtype):
        """(lo, hi) in dtype: f is linear exactly for lo < x < hi."""
        with np.errstate(over="ignore", divide="ignore"):
            ends = np.array([-self.offset, 1 - self.offset]) / self.slope
            return np.sort(ends).astype(dtype)

    def derivative(self, x, y):
        """f'(x) = slope where lo < x < hi (the linear part, decided from x), else 0."""
        if self._too_wide(x):
            return _in_float64(self.derivative, x, y)
        d = self._buffer("derivative", x)
        if self.slope == 0:
            d.fill(0)
            return d
        lo, hi = self._kinks(x.dtype)
        np.copyto(d, (x > lo) & (x < hi))
        d *= self.slope
        return d

    def get_config(self):
        return {"slope": self.slope, "offset": self.offset}


class HardTanh(Activation):
    """Hard tanh (Collobert, 2004, PhD thesis "Large Scale Machine Learning").

    f(x)  = clip(x, min_val, max_val)     (-1, 1 by default)
    f'(x) = 1 if min_val < x < max_val else 0   (0 at both kinks, as in PyTorch)
    """

    name = "hard_tanh"

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0):
        if not min_val < max_val:
            raise ValueError(f"HardTanh needs min_val < max_val, got {min_val} and {max_val}")
        self.min_val = float(min_val)
        self.max_val = float(max_val)

    def _too_wide(self, x):
        return x.dtype == np.float32 and _float32_cannot_hold(self.min_val, self.max_val)

    def function(self, x):
        """f(x) = clip(x, min_val, max_val)."""
        if self._too_wide(x):
            return _in_float64(self.function, x)
        return np.clip(x, self.min_val, self.max_val, out=self._buffer("output", x))

    def derivative(self, x, y):
        """f'(x) = 1 if min_val < x < max_val else 0."""
        if self._too_wide(x):
            return _in_float64(self.derivative, x, y)
        d = self._buffer("derivative", x)
        np.copyto(d, (x > self.min_val) & (x < self.max_val))
        return d

    def get_config(self):
        return {"min_val": self.min_val, "max_val": self.max_val}


class HardSwish(Activation):
    """Hard swish (Howard et al., 2019, "Searching for MobileNetV3").

    f(x)  = x * min(max(x + 3, 0), 6) / 6
    f'(x) = 0 if x <= -3, 1 if x >= 3, else x / 3 + 1/2
    At the kinks x = -3 and x = 3 f' takes the outer piece's value (0 and 1), as
    PyTorch does. f(-inf) is NaN (-inf * 0), as in PyTorch.
    """

    name = "hard_swish"

    def function(self, x):
        """f(x) = x * clip(x + 3, 0, 6) / 6."""
        return x * (np.clip(x + 3, 0, 6) / 6)

    def derivative(self, x, y):
        """f'(x) = x / 3 + 1/2 for -3 < x < 3, 0 below, 1 above."""
        d = np.clip(x, -3, 3, out=self._buffer("derivative", x))  # keeps the ramp finite outside
        d /= 3
        d += 0.5
        d *= (x > -3) & (x < 3)
        d += x >= 3
        return d


class Swish(_FusedDerivative):
    """Swish / SiLU (Ramachandran et al., 2017, "Searching for Activation Functions";
    Elfwing et al., 2018).

    f(x)     = x * sigmoid(beta * x)
    f'(x)    = s + beta * f(x) * (1 - s) = s (1 + u (1 - s)),  u = beta * x, s = sigmoid(u)
    df/dbeta = x^2 s (1 - s), computed as f(x) * x * sigmoid(-beta x) (accurate in
               both tails, where f(x) * (x - f(x)) cancels to 0)
    beta is fixed (`learnable=False`) or a parameter in `params["beta"]`. Any
    finite beta; a beta gradient beyond the float range is +-inf, without a warning.
    At x = -inf (beta > 0) f is NaN (-inf / inf): infinite inputs are outside
    nnlite's contract, and the limit would cost a pass over memory here; f' takes
    its limits at +-inf (1 and -0), as u = beta x is clipped to +-1e4 for it.
    f and f' share 1 + exp(-beta x): in `Sequential.fit` forward computes both (see
    `_FusedDerivative`).
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
        """f(x) = x / (1 + exp(-beta x))."""
        beta = self.beta
        if x.dtype == np.float32 and _float32_cannot_hold(beta):
            return _in_float64(self.function, x)
        return self._with_tails(x, beta, _swish_and_derivative, _tail_swish, _tail_swish_derivative)

    def derivative(self, x, y):
        """f'(x) = s (1 + u (1 - s)), u = beta x, s = sigmoid(u), from x (see `_swish_derivative_from`)."""
        beta = self.beta
        if x.dtype == np.float32 and _float32_cannot_hold(beta):
            return _in_float64(self.derivative, x, y)
        kept = self._kept_derivative_for(x, y, beta)
        if kept is not None:
            return kept
        with np.errstate(over="ignore", under="ignore"):  # as the block path of fit mode
            s = _sigmoid_of_scaled(x, beta, out=self._buffer("derivative", x))
            minus_u = np.multiply(x, -beta, out=self._buffer("scratch", x))
            _swish_derivative_from(s, minus_u, self._buffer("scratch2", x))
        return _put_tail(lambda v: _tail_swish_derivative(v, beta), x, s, _tail(x, beta, overflows=True))

    def backward(self, dvalues):
        """dinputs = dvalues * f'(inputs); with a learnable beta also grads["beta"]."""
        dinputs = super().backward(dvalues)
        if self.learnable:
            x, y = np.atleast_1d(self.inputs), np.atleast_1d(self.output)  # 0-d: exp would give a scalar
            if x.dtype == np.float32 and _float32_cannot_hold(self.beta):
                x, y = x.astype(np.float64), y.astype(np.float64)
            # x sigmoid(-beta x) = x / (1 + exp(beta x)): x - y would cancel to 0 for large beta x
            with np.errstate(over="ignore"):
                q = np.exp(_scaled(x, self.beta))
                q += 1
                np.divide(x, q, out=q)
                q *= y
                self.grads["beta"][0] = np.sum(np.asarray(dvalues) * q)
        return dinputs

    def get_config(self):
        return {"beta": self.beta, "learnable": self.learnable, "dtype": self.dtype.name}


_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


class GELU(_FusedDerivative):
    """Gaussian error linear unit (Hendrycks & Gimpel, 2016, "Gaussian Error Linear Units").

    exact:  f(x) = x * Phi(x),  Phi(x) = erfc(-x / sqrt(2)) / 2
            f'(x) = Phi(x) + x * phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
            f''(x) = phi(x) * (2 - x^2)
    "tanh": f(x) = x * sigmoid(2u),  u = sqrt(2/pi) * (x + 0.044715 x^3)
            (the same as 0.5 x (1 + tanh(u)))
            f'(x) = s + 2 x s (1 - s) u',  s = sigmoid(2u),
            u' = sqrt(2/pi) * (1 + 3 * 0.044715 x^2)
    Phi(-a) comes from exp(-a^2 / 2) erfcx(a / sqrt 2) / 2 with a^2 split exactly, so
    the far negative tail keeps its relative accuracy (about 1e-15 down to x = -38).
    float32 inputs are evaluated in float64 and rounded once: in float32 the
    rounding of x / sqrt(2) (or of 2u) is multiplied by x^2 in the tail
    (erfc(z) ~ exp(-z^2)), which cost 50 ulps at x = -12. The exact float32
    path (`nnlite._special.gelu_float32`) evaluates no exp: it reads Phi(n) and
    phi(n) from two tables at the nodes n = k/2048, -15 <= n <= 15, with a
    second-order Taylor step, within 0.587 ulp (every float32 in [-16, 16]
    checked), about 14x faster than through erfc. f' comes from the same table
    reads, within 4.69 * 2^-24 of max(Phi(x), |x| phi(x)); in fit mode (see
    `_FusedDerivative`) forward computes it along with f.
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
        """f(x) = x * Phi(x) (or the tanh approximation)."""
        if self.approximate == "none" and x.dtype == np.float32:
            y = self._buffer("output", x)
            d = self._buffer("derivative", x) if self.reuse_buffers else None
            gelu_float32(x, out=y, derivative=d)
            self._keep_derivative(x, y, d, self.approximate)  # approximate may be set before backward
            return y
        self._keep_derivative(x, None, None)
        xd = x.astype(np.float64, copy=False)
        if self.approximate == "tanh":
            y = xd * _sigmoid(2 * self._u(xd)[1])
        else:
            a = np.clip(np.abs(xd), 0, np.finfo(np.float64).max)  # x = +-inf: a * Phi(-a) = 0, not inf * 0
            y = _positive(xd) - a * normal_tail(a)  # max(x, 0) - a Phi(-a) = x Phi(x) on either side
        return y.astype(x.dtype, copy=False)

    def derivative(self, x, y):
        """f'(x) = Phi(x) + x phi(x): from the table in float32 (the f' fit keeps), with Phi = y / x
        in float64; or the tanh form's derivative."""
        kept = self._kept_derivative_for(x, y, self.approximate)
        if kept is not None:
            return kept
        if self.approximate == "none" and x.dtype == np.float32:
            return gelu_derivative_float32(x, out=self._buffer("derivative", x))
        if self.approximate == "tanh":
            xc, u = self._u(x)
            s = _sigmoid(2 * u)
            du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * xc * xc)
            return s + 2 * xc * s * (1 - s) * du
        # Phi(x) = y / x saves a second erfc (the costly part); it is exact to an
        # ulp wherever y is a normal float, and x = 0 (0 / 0) is set to Phi(0) = 1/2.
        d = self._buffer("derivative", x)
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(y, x, out=d)
        t = np.abs(x, out=self._buffer("scratch", x))
        # y / x has no digits left where y is subnormal; Phi(x) is 1/2 to every digit there
        tiny = t < np.sqrt(np.finfo(x.dtype).tiny)
        if tiny.any():
            d[tiny] = 0.5
        if np.fmax.reduce(t, axis=None, initial=0) == np.inf:  # y / x = inf / inf at x = +inf: Phi = 1
            d[x == np.inf] = 1
        xc = np.clip(x, -40, 40, out=t)  # phi(40) = 0 in float64; keeps x^2 finite
        pdf = np.multiply(xc, xc, out=self._buffer("scratch2", x))
        pdf *= -0.5
        np.exp(pdf, out=pdf)
        pdf *= xc
        pdf *= _INV_SQRT_2PI
        d += pdf
        return d

    def second_derivative(self, x, y):
        """f''(x) = phi(x) (2 - x^2), exact GELU only."""
        if self.approximate == "tanh":
            raise NotImplementedError("second_derivative is defined for the exact GELU only")
        xc = np.clip(x, -40, 40)
        return _INV_SQRT_2PI * np.exp(-0.5 * xc * xc) * (2 - xc * xc)

    def get_config(self):
        return {"approximate": self.approximate}


def _mish_and_derivative(x: np.ndarray, y: np.ndarray | None, d: np.ndarray | None) -> None:
    """Mish into y and its derivative into d (either may be None), block by block (see `Mish`)."""
    lowest = _LOWEST_FINITE.get(x.dtype, -np.inf)  # float32/float64; anything else as before

    def work(xb, yb, db, n, w, q):
        # past x = 40, t and f' are 1 to every digit (past 20 already for t); the clip keeps w
        # finite in float32. x = -inf counts as the lowest finite x: f and f' are -0 and 0, their
        # limits, instead of -inf * 0 = NaN
        xb.clip(lowest, 40, out=db)  # the method: np.clip adds a wrapper call, felt on small batches
        np.exp(db, out=n)
        np.add(n, 2, out=w)
        w *= n
        np.add(w, 2, out=q)
        np.divide(w, q, out=w)  # t
        if y is not None:
            xb.clip(lowest, None, out=yb)
            yb *= w  # f = x t
        if d is None:
            return
        np.divide(2, q, out=q)  # r = 1 - t
        db *= n
        n += 1
        db /= n  # x sigmoid(x)
        db *= q
        np.subtract(2, q, out=q)
        db *= q  # x sigmoid(x) r (2 - r)
        db += w

    in_blocks(x, (y, d), np.empty((3, scratch_size(x)), x.dtype), work)


class Mish(_FusedDerivative):
    """Mish (Misra, 2019, "Mish: A Self Regularized Non-Monotonic Activation Function").

    f(x)  = x * tanh(softplus(x)) = x * w / (w + 2),  w = e^x (e^x + 2) = (1 + e^x)^2 - 1
    f'(x) = t + x * sigmoid(x) * (1 - t^2),  t = tanh(softplus(x)) = w / (w + 2),
            sigmoid(x) = e^x / (1 + e^x),  1 - t^2 = r (2 - r),  r = 2 / (w + 2)
    The rational form needs one exp and no log or tanh, and keeps relative
    accuracy on the far negative side (t ~ e^x). Past x = 40, t and f' are 1
    to every digit; clipping there keeps w finite in float32. f and f' share
    their exp: in `Sequential.fit` forward computes both (see `_FusedDerivative`).
    """

    name = "mish"

    def function(self, x):
        """f(x) = x * w / (w + 2), w = e^x (e^x + 2)."""
        y = self._buffer("output", x)
        d = self._buffer("derivative", x) if self.reuse_buffers else None
        _mish_and_derivative(x, y, d)
        self._keep_derivative(x, y, d)
        return y

    def derivative(self, x, y):
        """f'(x) = t + x sigmoid(x) (1 - t^2), from x in the rational form."""
        kept = self._kept_derivative_for(x, y)
        if kept is not None:
            return kept
        d = self._buffer("derivative", x)
        _mish_and_derivative(x, None, d)
        return d


class Gaussian(Activation):
    """Gaussian bump.

    f(x)  = exp(-x^2)
    f'(x) = -2 x f(x)
    f''(x) = (4 x^2 - 2) f(x)
    """

    name = "gaussian"

    def function(self, x):
        """f(x) = exp(-x^2), with x^2 split so its rounding is not amplified."""
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
        """f'(x) = -2 x f(x)."""
        # x * y first: -2 * x alone can overflow in float32; beyond 40 f is 0, and the clip
        # keeps x = +-inf from giving inf * 0 = NaN
        return -2 * (x.clip(-40, 40) * y)

    def second_derivative(self, x, y):
        """f''(x) = (4 x^2 - 2) f(x)."""
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
        """f(x) = 1 if x > 0 else 0 (NaN stays NaN)."""
        y = np.greater(x, 0, out=self._buffer("output", x))
        np.copyto(y, x, where=np.isnan(x))  # x > 0 is False for NaN; keep the NaN
        return y

    def derivative(self, x, y):
        """f'(x) = 0."""
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
        """f(x) = x, as a copy."""
        out = self._buffer("output", x)
        out[...] = x
        return out

    def derivative(self, x, y):
        """f'(x) = 1."""
        d = self._buffer("derivative", x)
        d.fill(1)
        return d

    def second_derivative(self, x, y):
        """f''(x) = 0."""
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
        """exp(x - max) / sum(exp(x - max)) along `axis`; an empty input gives an empty output."""
        _check_axis(x, self.axis, "Softmax")
        if x.size == 0:  # as PyTorch: the reductions below have no identity on an empty axis
            return np.empty_like(x)
        with np.errstate(over="ignore"):  # x - m below -1.8e308 is -inf: exp gives the correct 0
            e = np.exp(x - np.max(x, axis=self.axis, keepdims=True))
        return e / np.sum(e, axis=self.axis, keepdims=True)

    def backward(self, dvalues):
        """dinputs = y * (dvalues - sum(dvalues * y, axis))."""
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
        """x - max - log1p(sum of the other exp(x - max)) along `axis`; empty in, empty out."""
        _check_axis(x, self.axis, "LogSoftmax")
        if x.size == 0:  # as PyTorch: argmax has no answer on an empty axis
            return np.empty_like(x)
        top = np.argmax(x, axis=self.axis, keepdims=True)
        with np.errstate(over="ignore"):  # x - m below -1.8e308 is -inf, the correctly rounded result
            shifted = x - np.take_along_axis(x, top, axis=self.axis)
        # log(sum) = log1p(sum without the max's own term, which is exactly 1): log(1 + 1e-10)
        # would keep only 6 digits of the log-probability -1e-10 of a confident row
        e = np.exp(shifted)
        np.put_along_axis(e, top, 0, axis=self.axis)
        return shifted - np.log1p(np.sum(e, axis=self.axis, keepdims=True))

    def backward(self, dvalues):
        """dinputs = dvalues - exp(y) * sum(dvalues, axis)."""
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
        """Max over each group of `pieces` features; stores the winners for backward."""
        self.inputs = as_float_array(inputs, "Maxout.forward inputs")
        grouped = self._grouped(self.inputs)
        self._winner = np.argmax(grouped, axis=-1)[..., None]
        self.output = np.take_along_axis(grouped, self._winner, axis=-1)[..., 0]
        return self.output

    def backward(self, dvalues):
        """Each output's gradient goes to its group's winner; the others get 0."""
        dvalues = check_dvalues(self, dvalues)
        dgrouped = np.zeros(self._grouped(self.inputs).shape, dtype=np.result_type(dvalues, self.inputs))
        np.put_along_axis(dgrouped, self._winner, dvalues[..., None], axis=-1)
        self.dinputs = dgrouped.reshape(self.inputs.shape)
        return self.dinputs

    def get_config(self):
        return {"pieces": self.pieces}
