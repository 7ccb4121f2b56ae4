"""Inputs for the checks: shapes an object accepts, and points away from its kinks.

Kinks are found, not declared. At a kink (ReLU at 0, hard_swish at +-3) the
one-sided difference quotients (f(x + h) - f(x)) / h and (f(x) - f(x - h)) / h
disagree by about the jump in f'; where f is smooth they agree to about
h |f''|. A candidate point is rejected when they disagree by more than
`KINK_TOLERANCE` (relative), with h = `KINK_STEP` much larger than the
finite-difference step of the gradient check, so an accepted point has no
kink within h and the check's central differences never straddle one.
Elementwise activations are screened point by point (and also screened for
kinks of f' when the second derivative is checked); other objects are
screened along a random direction through the whole input array, and a
rejected array is drawn again.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ..activations import Activation

KINK_STEP = 1e-5
KINK_TOLERANCE = 1e-3
_POOL = 240  # candidates drawn per elementwise screening
_TRIES = 20  # whole arrays drawn for other objects before giving up


def is_elementwise(obj: Any) -> bool:
    cls = type(obj)
    return isinstance(obj, Activation) and cls.forward is Activation.forward and cls.backward is Activation.backward


def candidates(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Half narrow normal draws (where most curvature is), half wide uniform ones (+-8: past the
    corners of hard_swish, relu6, hard_sigmoid)."""
    n = int(np.prod(shape))
    half = n // 2
    x = np.concatenate([rng.normal(0.0, 1.5, half), rng.uniform(-8.0, 8.0, n - half)])
    rng.shuffle(x)
    return x.reshape(shape)


def activation_shape(obj: Activation) -> tuple[int, ...]:
    """A 2-D input shape `obj` accepts: (samples, features), the features fitting
    `num_parameters` or `pieces` when the activation has them."""
    features = 12
    for attr in ("num_parameters", "pieces"):
        n = getattr(obj, attr, None)
        if isinstance(n, (int, np.integer)) and n > 1:
            features = int(n) * (4 if attr == "pieces" else 1)
    return (5, features)


def layer_shape(obj: Any) -> tuple[int, ...] | None:
    """(6, n) for a layer that names its input width n (`n_inputs`, or `n_features` as the
    normalisation layers do); None when it does not."""
    for attr in ("n_inputs", "n_features"):
        n = getattr(obj, attr, None)
        if isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0:
            return (6, int(n))
    return None


def _one_sided_disagree(fm: np.ndarray, f0: np.ndarray, fp: np.ndarray, h: float) -> np.ndarray:
    ahead, behind = (fp - f0) / h, (f0 - fm) / h
    with np.errstate(invalid="ignore"):
        bad = np.abs(ahead - behind) > KINK_TOLERANCE * (1 + np.abs(ahead) + np.abs(behind))
    return bad | ~np.isfinite(ahead) | ~np.isfinite(behind)


def smooth_points(obj: Activation, rng: np.random.Generator, shape: tuple[int, ...], second: bool) -> np.ndarray:
    """Points of `shape` where f (and f' when `second`) has no kink within KINK_STEP."""
    act = copy.deepcopy(obj)
    need = int(np.prod(shape))
    kept: list[np.ndarray] = []
    for _ in range(_TRIES):
        x = candidates(rng, (_POOL,))
        h = KINK_STEP
        f = [np.asarray(act.forward(x + s), dtype=np.float64) for s in (-h, 0.0, h)]
        bad = _one_sided_disagree(*f, h)
        if second:
            d = [np.asarray(act.derivative(x + s, act.function(x + s)), dtype=np.float64) for s in (-h, 0.0, h)]
            bad |= _one_sided_disagree(*d, h)
        kept.append(x[~bad])
        if sum(map(len, kept)) >= need:
            return np.concatenate(kept)[:need].reshape(shape)
    raise ValueError(f"found no {need} points without a kink in {_TRIES * _POOL} draws")


def smooth_array(obj: Any, rng: np.random.Generator, shape: tuple[int, ...], start: np.ndarray | None = None,
                 targets: Any = None) -> np.ndarray:
    """An input array of `shape` with no kink within KINK_STEP along a random direction.

    `start` (the caller's inputs) is tried first, then small jitters of it;
    without it, fresh draws.
    """
    probe = copy.deepcopy(obj)
    for attempt in range(_TRIES):
        if start is None:
            x = candidates(rng, shape)
        else:
            x = start if attempt == 0 else start + rng.normal(0.0, 1e-3, shape) * (1 + np.abs(start))
        direction = rng.standard_normal(shape)
        weights = None
        values = []
        for s in (-KINK_STEP, 0.0, KINK_STEP):
            out = probe.forward(x + s * direction) if targets is None else probe.forward(x + s * direction, targets)
            out = np.asarray(out, dtype=np.float64)
            if weights is None:
                weights = np.random.default_rng(attempt).standard_normal(out.shape)
            values.append(np.array(np.sum(weights * out)))
        if not _one_sided_disagree(*values, KINK_STEP):
            return x
    raise ValueError(f"found no input array without a kink in {_TRIES} draws")
