"""Hypothesis strategies for inputs to activations and layers.

    from hypothesis import given
    from nnlite.testing import strategies

    @given(strategies.arrays())                                   # finite, any shape, float32/float64/int
    def test_bounded(x): ...

    @given(strategies.arrays(away_from=[-3.0, 3.0], max_abs=10))  # never within 1e-3 of hard_swish's corners
    def test_hard_swish_gradient(x): ...

Needs hypothesis, a test extra: pip install -e ".[test]".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError:  # pragma: no cover - exercised by a subprocess test
    raise ImportError(
        'nnlite.testing.strategies needs hypothesis, a test extra: pip install -e ".[test]"'
    ) from None

__all__ = ["dtypes", "shapes", "floats", "arrays"]

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
ALL_DTYPES = (*FLOAT_DTYPES, np.dtype(np.int64))


def dtypes(integers: bool = True) -> st.SearchStrategy[np.dtype]:
    """float32, float64 and (when `integers`) int64."""
    return st.sampled_from(ALL_DTYPES if integers else FLOAT_DTYPES)


def shapes(min_dims: int = 1, max_dims: int = 3, min_side: int = 1, max_side: int = 6) -> st.SearchStrategy:
    """Array shapes; samples on axis 0."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def floats(dtype: Any = np.float64, max_abs: float = 1e300, away_from: Sequence[float] = (),
           min_distance: float = 1e-3) -> st.SearchStrategy[float]:
    """Finite numbers of `dtype` with |x| <= max_abs, none within `min_distance` of a point in `away_from`."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        bound = int(min(max_abs, 2**31 - 1))
        base = st.integers(-bound, bound)
    else:
        bound = min(float(max_abs), float(np.finfo(dtype).max))
        base = st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=dtype.itemsize * 8)
    kinks = [float(k) for k in away_from]
    if not kinks:
        return base
    return base.filter(lambda v: all(abs(v - k) >= min_distance for k in kinks))


def arrays(dtype: Any = None, shape: Any = None, *, max_abs: float = 1e300, away_from: Sequence[float] = (),
           min_distance: float = 1e-3) -> st.SearchStrategy[np.ndarray]:
    """Finite arrays of any shape and dtype (or the given ones), values within `max_abs`, none within
    `min_distance` of the points in `away_from` (an activation's kinks)."""
    dtype_st = dtypes() if dtype is None else st.just(np.dtype(dtype))
    shape_st = shapes() if shape is None else st.just(tuple(shape))

    def build(dt: np.dtype) -> st.SearchStrategy[np.ndarray]:
        elements = floats(dt, max_abs, away_from, min_distance)
        return shape_st.flatmap(lambda sh: hnp.arrays(dt, sh, elements=elements))

    return dtype_st.flatmap(build)
