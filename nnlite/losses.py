"""Losses: mean over samples, with a hand-written gradient.

Every loss follows one contract:

    loss.forward(y_pred, y_true) -> float      the mean loss; stores what backward needs
    loss.backward(dvalues=1.0)   -> dinputs     dL/dy_pred * dvalues, shape of y_pred

so `gradcheck(loss, y_pred, targets=y_true)` checks it. Classification
losses take labels as class indices (shape (n,)) or as one-hot / probability
rows (the shape of y_pred), and report `accuracy(y_pred, y_true)`.
`get(name)` builds a loss from its registry name, e.g. "mse" or
"softmax_cross_entropy".
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ._arrays import as_float_array, check_finite

__all__ = [
    "Loss", "MeanSquaredError", "MeanAbsoluteError", "BinaryCrossEntropy",
    "CategoricalCrossEntropy", "SoftmaxCrossEntropy", "get", "names",
]

_REGISTRY: dict[str, type[Loss]] = {}
_ALIASES: dict[str, str] = {}


class Loss:
    """Base class: subclasses define `_forward(y_pred, y_true)` returning the
    mean loss and storing `self._grad` (dL/dy_pred), plus `name`/`aliases`.
    `forward` validates and converts the arguments first; `Sequential.fit`
    validates the whole label array once (`prepare_targets`) and then calls
    `_forward` per batch.
    """

    name: ClassVar[str] = "loss"
    aliases: ClassVar[tuple[str, ...]] = ()
    classification: ClassVar[bool] = False
    inputs: np.ndarray | None = None
    output: float | None = None
    dinputs: np.ndarray | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name.startswith("_"):  # shared helpers are not losses of their own
            return
        if "name" not in cls.__dict__:
            return  # a subclass that keeps its parent's name must not replace the parent in get()/load
        for key in (cls.name, *cls.aliases):
            owner = _REGISTRY.get(key) or _REGISTRY.get(_ALIASES.get(key, ""))
            # the same class defined again (a notebook cell run twice) replaces itself quietly
            if owner is not None and (owner.__module__, owner.__qualname__) != (cls.__module__, cls.__qualname__):
                raise ValueError(
                    f"loss name {key!r} is already used by {owner.__module__}.{owner.__qualname__}; "
                    f"give {cls.__qualname__} another `name = ...`"
                )
        _REGISTRY[cls.name] = cls
        for alias in cls.aliases:
            _ALIASES[alias] = cls.name

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        """The mean loss L over the batch (a Python float); keeps y_pred and the targets for `backward`.

        y_true: class indices or one-hot rows for the classification losses, values shaped like
        y_pred for the regression ones. Both are checked first (see `prepare_targets`):
        predictions must be finite, non-empty and in the loss's domain.
        """
        what = f"{type(self).__name__}.forward y_pred"
        y_pred = as_float_array(y_pred, what)
        if y_pred.size == 0:
            raise ValueError(f"{what} must hold at least one prediction; got shape {y_pred.shape}")
        check_finite(y_pred, what)
        self.inputs = y_pred
        y_true = self.prepare_targets(y_true, y_pred.shape, y_pred.dtype)
        self._check_predictions(y_pred)
        # a loss past the float range is inf; that is the answer, not a warning (Sequential.fit agrees);
        # 0 * inf in a one-hot product is resolved inside _forward
        with np.errstate(over="ignore", invalid="ignore"):
            return self._forward(y_pred, y_true)

    def _check_predictions(self, y_pred: np.ndarray) -> None:
        """Raise ValueError for predictions outside the loss's domain (any finite value by default)."""

    def _check_targets(self, y_true: np.ndarray) -> None:
        """Raise ValueError for finite targets the loss cannot take (any by default)."""

    def _forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self, dvalues: float = 1.0) -> np.ndarray:
        """dinputs = dL/dy_pred * dvalues (dvalues is a scalar: the loss is a scalar)."""
        grad = getattr(self, "_grad", None)
        if grad is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward was called before forward: call forward(y_pred, y_true) first"
            )
        if not isinstance(dvalues, float):  # the training loop passes the default 1.0: no checks needed
            if np.ndim(dvalues) != 0:
                raise ValueError(
                    f"{type(self).__name__}.backward: the loss is a scalar, so dvalues must be a scalar; "
                    f"got shape {np.shape(dvalues)}"
                )
            dvalues = float(dvalues)
        self.dinputs = grad if dvalues == 1.0 else grad * dvalues
        return self.dinputs

    __call__ = forward

    def prepare_targets(self, y_true: Any, pred_shape: tuple, dtype: Any = None) -> np.ndarray:
        """Check y_true against predictions of shape `pred_shape`; return it as an array.

        Float targets are cast to the predictions' `dtype` so that the
        gradient keeps the predictions' dtype (float32 stays float32).
        NaN or infinite targets, and targets outside the loss's range (BCE:
        [0, 1]), raise ValueError.
        """
        y_true = as_float_array(y_true, f"{type(self).__name__} y_true")
        self._check_targets(check_finite(y_true, f"{type(self).__name__} y_true"))
        if dtype is not None:
            y_true = y_true.astype(dtype, copy=False)
        if y_true.shape != tuple(pred_shape):
            if len(pred_shape) == 2 and pred_shape[1] == 1 and y_true.shape == tuple(pred_shape[:1]):
                return y_true.reshape(pred_shape)
            raise ValueError(
                f"{type(self).__name__}: y_true has shape {y_true.shape}, "
                f"expected the shape of y_pred {tuple(pred_shape)}"
            )
        return y_true

    def accuracy(self, y_pred: np.ndarray, y_true: np.ndarray) -> float | None:
        """Fraction of correct predictions, or None for regression losses."""
        if not self.classification:
            return None
        y_pred = check_finite(as_float_array(y_pred, f"{type(self).__name__}.accuracy y_pred"),
                              f"{type(self).__name__}.accuracy y_pred")
        y_true = self.prepare_targets(y_true, y_pred.shape, y_pred.dtype)
        return self._correct(y_pred, y_true) / self._total(y_pred)

    def _correct(self, y_pred: np.ndarray, y_true: np.ndarray) -> int:
        """Number of correct predictions (classification losses)."""
        raise NotImplementedError

    def _total(self, y_pred: np.ndarray) -> int:
        """Number of predictions `_correct` counts over: one per sample."""
        return len(y_pred)

    def get_config(self) -> dict[str, Any]:
        """The constructor's keyword arguments ({} when it takes none); `repr` and saving use them."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def get(name: str | Loss, **config: Any) -> Loss:
    """Build a loss by registry name or alias (`Loss` instances pass through)."""
    if isinstance(name, Loss):
        if config:
            raise TypeError(f"get() got parameters {sorted(config)} with a Loss instance {name!r}")
        return name
    if not isinstance(name, str):
        raise TypeError(f"loss must be a name or a Loss, got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_")
    cls = _REGISTRY.get(_ALIASES.get(key, key))
    if cls is None:
        raise ValueError(f"unknown loss {name!r}; known losses: {', '.join(names(aliases=True))}")
    return cls(**config)


def names(aliases: bool = False) -> list[str]:
    """Sorted registry names of every loss (with `aliases=True`, aliases too)."""
    return sorted(set(_REGISTRY) | (set(_ALIASES) if aliases else set()))


class MeanSquaredError(Loss):
    """Mean squared error over every element.

    L = mean((y_pred - y_true)^2)          (mean over the N = n * k elements)
    dL/dy_pred = 2 (y_pred - y_true) / N
    """

    name = "mean_squared_error"
    aliases = ("mse",)

    def _forward(self, y_pred, y_true):
        diff = y_pred - y_true
        self._grad = diff * (2 / diff.size)
        self.output = float(np.mean(diff * diff))
        return self.output


class MeanAbsoluteError(Loss):
    """Mean absolute error over every element.

    L = mean(|y_pred - y_true|)
    dL/dy_pred = sign(y_pred - y_true) / N   (0 where they are equal)
    """

    name = "mean_absolute_error"
    aliases = ("mae",)

    def _forward(self, y_pred, y_true):
        diff = y_pred - y_true
        self._grad = np.sign(diff) * (1 / diff.size)
        self.output = float(np.mean(np.abs(diff)))
        return self.output


def _check_probabilities(y_pred: np.ndarray, cls: str, for_logits: str) -> None:
    # clipping 1.5 to 1 - eps would report the loss of a prediction that was never made
    if y_pred.min() < 0 or y_pred.max() > 1:
        raise ValueError(
            f"{cls} expects probabilities in [0, 1] as y_pred; got values from {y_pred.min():g} to "
            f"{y_pred.max():g}. For logits (a layer's output before sigmoid/softmax) use {for_logits}"
        )


def _clip_eps(dtype: np.dtype) -> float:
    # Keras' 1e-7 for float64; float32 needs a bigger margin for 1 - eps to differ from 1.
    return 1e-7 if dtype == np.float64 else float(np.finfo(dtype).eps)


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy over every element; targets in [0, 1].

    On probabilities p (from_logits=False), clipped to [eps, 1 - eps]:
        L = -mean(y log p + (1 - y) log(1 - p))
        dL/dp = (p - y) / (p (1 - p)) / N           (0 where p was clipped)
    On logits z (from_logits=True), the stable form of the same loss with p = sigmoid(z):
        L = mean(max(z, 0) - z y + log(1 + exp(-|z|)))
        dL/dz = (sigmoid(z) - y) / N
    Accuracy counts p > 0.5 (z > 0) against y > 0.5. The logits form is the one
    of TensorFlow's sigmoid_cross_entropy_with_logits: exp only sees -|z|.
    """

    name = "binary_cross_entropy"
    aliases = ("bce", "binary_crossentropy")
    classification = True

    def __init__(self, from_logits: bool = False):
        self.from_logits = bool(from_logits)

    def _check_targets(self, y_true):
        if y_true.size and (y_true.min() < 0 or y_true.max() > 1):
            raise ValueError(
                f"BinaryCrossEntropy expects targets in [0, 1] (labels 0/1 or probabilities); got values "
                f"from {y_true.min():g} to {y_true.max():g}"
            )

    def _check_predictions(self, y_pred):
        if not self.from_logits:
            _check_probabilities(y_pred, "BinaryCrossEntropy", "BinaryCrossEntropy(from_logits=True)")

    def _forward(self, y_pred, y_true):
        n = y_pred.size
        if self.from_logits:
            z = y_pred
            e = np.exp(-np.abs(z))
            per = np.maximum(z, 0) - z * y_true + np.log1p(e)
            sig = np.where(z >= 0, 1, e) / (1 + e)
            self._grad = (sig - y_true) * (1 / n)
        else:
            eps = _clip_eps(y_pred.dtype)
            p = np.clip(y_pred, eps, 1 - eps)
            per = -(y_true * np.log(p) + (1 - y_true) * np.log1p(-p))
            inside = (y_pred > eps) & (y_pred < 1 - eps)
            self._grad = np.where(inside, (p - y_true) / (p * (1 - p)), 0) * (1 / n)
        self.output = float(np.mean(per))
        return self.output

    def _correct(self, y_pred, y_true):
        threshold = 0.0 if self.from_logits else 0.5
        return int(np.count_nonzero((y_pred > threshold) == (y_true > 0.5)))

    def _total(self, y_pred):
        return y_pred.size  # every output is its own yes/no prediction

    def get_config(self):
        """{"from_logits": ...}, the constructor's keyword argument."""
        return {"from_logits": self.from_logits}


class _Categorical(Loss):
    """Shared label handling: class indices (n,) or one-hot/probability rows (n, k)."""

    classification = True
    name = "_categorical"

    def prepare_targets(self, y_true, pred_shape, dtype=None):
        cls = type(self).__name__
        if len(pred_shape) != 2:
            raise ValueError(f"{cls} expects y_pred of shape (n_samples, n_classes); got {tuple(pred_shape)}")
        n, k = pred_shape
        y = np.asarray(y_true)
        if y.ndim == 2 and y.shape[1] == 1 and k > 1:
            y = y[:, 0]
        if y.ndim == 1:
            if y.shape[0] != n:
                raise ValueError(f"{cls}: {y.shape[0]} labels for {n} predictions")
            if y.dtype.kind == "f":  # NaN is not an integer either, but the error must say what it is
                check_finite(y, f"{cls} y_true")
            if y.dtype.kind not in "iu":
                if y.dtype.kind != "f" or not np.all(np.mod(y, 1) == 0):
                    raise TypeError(f"{cls}: class-index labels must be integers; got dtype {y.dtype}")
                y = y.astype(np.intp)
            if n and (y.min() < 0 or y.max() >= k):
                raise ValueError(f"{cls}: class indices must lie in [0, {k}); got {y.min()}..{y.max()}")
            return y.astype(np.intp, copy=False)
        y = as_float_array(y, f"{cls} y_true")
        if dtype is not None:
            y = y.astype(dtype, copy=False)
        if y.shape != (n, k):
            raise ValueError(
                f"{cls}: y_true must be class indices of shape ({n},) or one-hot rows "
                f"of shape ({n}, {k}); got {y.shape}"
            )
        _check_rows(check_finite(y, f"{cls} y_true"), cls)
        return y

    def _correct(self, y_pred, y_true):
        pred = np.argmax(y_pred, axis=1)
        true = y_true if y_true.ndim == 1 else np.argmax(y_true, axis=1)
        return int(np.count_nonzero(pred == true))


def _check_rows(y: np.ndarray, cls: str) -> None:
    """One-hot or probability rows: entries in [0, 1], each row summing to 1 (to within
    sqrt(eps) of its dtype, room for the rounding of soft labels made in float32)."""
    if not y.size:
        return
    sums = np.sum(y, axis=1)
    bad_sum = np.abs(sums - 1) > np.sqrt(np.finfo(y.dtype).eps)
    bad_value = (y < 0).any(axis=1) | (y > 1).any(axis=1)
    bad = bad_sum | bad_value
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(
            f"{cls}: y_true rows must be one-hot or probabilities (values in [0, 1] summing to 1); "
            f"row {row} is {y[row].tolist() if y.shape[1] <= 10 else 'a row'} summing to {sums[row]:g}. "
            "Class indices go in a 1-D array"
        )


class CategoricalCrossEntropy(_Categorical):
    """Cross-entropy on probabilities (the output of a Softmax layer).

    L = -mean_i sum_j t_ij log p_ij,   p clipped to [eps, 1 - eps]
    dL/dp_ij = -t_ij / p_ij / n        (0 where p was clipped)
    With class indices t is one-hot: L = -mean_i log p_{i, y_i}.
    Prefer SoftmaxCrossEntropy on logits: it is faster and stable.
    """

    name = "categorical_cross_entropy"
    aliases = ("categorical_crossentropy", "cce")

    def _check_predictions(self, y_pred):
        _check_probabilities(y_pred, "CategoricalCrossEntropy", "loss='softmax_cross_entropy'")

    def _forward(self, y_pred, y_true):
        n = len(y_pred)
        eps = _clip_eps(y_pred.dtype)
        p = np.clip(y_pred, eps, 1 - eps)
        inside = (y_pred > eps) & (y_pred < 1 - eps)
        if y_true.ndim == 1:
            rows = np.arange(n)
            picked = p[rows, y_true]
            self.output = float(-np.mean(np.log(picked)))
            grad = np.zeros_like(p)
            grad[rows, y_true] = -1 / picked
        else:
            self.output = float(-np.sum(y_true * np.log(p)) / n)
            grad = -y_true / p
        self._grad = np.where(inside, grad, 0) * (1 / n)
        return self.output


class SoftmaxCrossEntropy(_Categorical):
    """Softmax followed by cross-entropy, fused, on logits z.

    L = mean_i (logsumexp(z_i) - sum_j t_ij z_ij),  logsumexp(z) = m + log sum_j exp(z_j - m), m = max_j z_j
    dL/dz = (softmax(z) - t) / n
    The fused gradient avoids the softmax Jacobian and the log(0) of a
    separate softmax + cross-entropy (Goodfellow et al., Deep Learning, 2016,
    sec. 6.2.2.3). `probabilities` holds softmax(z).
    """

    name = "softmax_cross_entropy"
    aliases = ("softmax_crossentropy", "sparse_categorical_crossentropy")

    def __init__(self) -> None:
        self._rows = np.arange(0)

    def _forward(self, y_pred, y_true):
        # ufunc.reduce directly: np.max/np.sum/np.mean wrappers cost more than the work at batch size 32
        n = len(y_pred)
        shifted = y_pred - np.maximum.reduce(y_pred, axis=1, keepdims=True)
        probs = np.exp(shifted)
        sums = np.add.reduce(probs, axis=1, keepdims=True)
        probs /= sums
        self.probabilities = probs
        if y_true.ndim == 1:
            if len(self._rows) != n:  # one arange per batch size, not per batch
                self._rows = np.arange(n)
            self.output = float(np.add.reduce(np.log(sums), axis=None) - np.add.reduce(shifted[self._rows, y_true])) / n
            grad = probs.copy()
            grad[self._rows, y_true] -= 1
        else:
            self.output = float(np.add.reduce(y_true * (np.log(sums) - shifted), axis=None)) / n
            if self.output != self.output:  # NaN: 0 * inf where a logit lies 1.8e308 below the max
                terms = np.where(y_true != 0, y_true * (np.log(sums) - shifted), 0)
                self.output = float(np.add.reduce(terms, axis=None)) / n
            grad = probs - y_true
        grad *= 1 / n
        self._grad = grad
        return self.output
