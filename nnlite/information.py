"""Entropy and mutual-information estimators: 1-D rows (the minimal model) and layer vectors (the information plane).

Binned estimates (Shwartz-Ziv & Tishby 2017; Saxe et al. 2018): the samples of
each row are put in bins and the entropy of the bin frequencies p_k = n_k / N
is

    H = -sum_k p_k log(p_k)          (in bits for base=2)

For a deterministic T = f(X), I(X;T) = H(T), and for discrete labels
I(T;Y) = H(T) + H(Y) - H(T,Y). The counts are exactly np.histogram's: bin k
is [e_k, e_{k+1}) and the last bin also holds its right edge (and a range too
narrow for distinct edges is refused, as np.histogram refuses it). The one
exception is binning="fixed_width", the grid of the information-plane
literature: x is in cell floor(x / bin_width), computed in the samples' dtype,
whatever the other samples are.

A binning-free alternative is the pairwise-distance upper bound of
Kolchinsky & Tracey (2017), used by Saxe et al. (2018), for T = h(X) + Z with
Gaussian noise Z ~ N(0, s^2 I): see `kde_mutual_information`.

Every function works on a 2-D array of rows (one row per weight value of a
sweep) without a Python loop over rows or samples: the rows are processed in
tiles of about `_TILE` elements, so the temporaries stay in cache and the extra
memory stays bounded whatever the size of the sweep.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._arrays import as_float_array

__all__ = ["entropy", "mutual_information", "kde_mutual_information", "BINNINGS", "KDE_METHODS",
           "layer_entropy", "layer_mutual_information", "kde_bounds", "KDEBounds"]

BINNINGS = ("per_row", "global", "fixed_width", "quantile")
_TILE = 1 << 15  # elements per tile: the tile and its temporaries stay in the 2 MiB L2 cache
_ROW_GROUP = 1 << 18  # elements whose row min/max and tables are computed together (still cache resident)
_MAX_BINS = 10_000_000
_ZERO = np.zeros(1, np.intp)  # the row offset when all rows share one table row


def _check_samples(samples: object, what: str) -> tuple[np.ndarray, bool]:
    x = as_float_array(samples, what)
    if x.ndim not in (1, 2):
        raise ValueError(
            f"{what} must be 1-D (one sample vector) or 2-D (one row per sweep value); got shape {x.shape}"
        )
    one = x.ndim == 1
    x = x.reshape(1, -1) if one else x
    if x.shape[1] == 0:
        raise ValueError(f"{what} has no samples (shape {x.shape})")
    return x, one


def _row_min_max(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.min(x, axis=1), np.max(x, axis=1)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise ValueError("samples must be finite: found NaN or infinity")
    return lo, hi


def _equal_width_tables(lo: np.ndarray, hi: np.ndarray, n_bins: int, dtype: np.dtype):
    """Per-row edges exactly as np.histogram builds them, as lookup tables.

    np.histogram uses np.linspace(lo, hi, n_bins + 1) in the dtype of lo and
    hi (widened by 0.5 on each side for a constant row), cast to the samples'
    dtype, and then corrects its index formula against those edges; matching
    its edges and its comparisons matches its counts. Returns
    (scale, lo, lower, upper): scale = n_bins / (hi - lo) per row, and for
    flat bin k (bin 0 the underflow, n_bins + 1 the overflow) its lower edge
    lower[k] and its upper edge upper[k]; the last real bin's upper edge is
    just above hi, since that bin is closed.
    """
    lo, hi = lo.copy(), hi.copy()
    const = lo == hi
    lo[const] -= 0.5
    hi[const] += 0.5
    # a constant row too large for +-0.5 to move it: one bin holds everything
    degenerate = lo == hi
    with np.errstate(over="ignore"):
        delta = hi - lo
    if not np.all(np.isfinite(delta)):
        raise ValueError("the range of the samples overflows the float type (max - min is infinite)")
    k = np.arange(n_bins + 1, dtype=lo.dtype)
    step = delta / n_bins
    # np.linspace switches formula when the step underflows to 0; follow it
    tiny = (step == 0)[:, None]
    edges = np.where(tiny, k / n_bins * delta[:, None], k * step[:, None]) + lo[:, None]
    edges[:, -1] = hi
    edges = edges.astype(dtype)
    crowded = ~degenerate & np.any(edges[:, :-1] >= edges[:, 1:], axis=1)
    if crowded.any():
        i = int(np.argmax(crowded))
        raise ValueError(
            f"the range [{float(lo[i])!r}, {float(hi[i])!r}] is too narrow for {n_bins} distinct {dtype} bin edges "
            "(np.histogram refuses it too): use fewer bins, binning='fixed_width' or binning='quantile'"
        )
    rows = len(lo)
    lower = np.empty((rows, n_bins + 2), dtype)
    upper = np.empty((rows, n_bins + 2), dtype)
    closed = np.nextafter(edges[:, -1], dtype.type(np.inf))
    lower[:, 0], lower[:, 1:-1], lower[:, -1] = -np.inf, edges[:, :-1], closed
    upper[:, :-2], upper[:, -2], upper[:, -1] = edges[:, :-1], closed, np.inf
    lower[degenerate, 1:], upper[degenerate] = np.inf, np.inf
    lower[degenerate, 1] = -np.inf
    with np.errstate(over="ignore"):
        scale = np.where(degenerate, 0, n_bins / np.where(degenerate, 1, delta)).astype(dtype)
    # n_bins / delta overflows for ranges below about n_bins * 5.6e-309 (float64) or
    # n_bins * 3e-39 (float32): those groups take np.histogram's own formula instead
    steep = ~degenerate & ~(np.abs(scale) <= float(np.finfo(dtype).max) / 4)
    fallback = None
    if steep.any():
        scale[steep] = 0
        fallback = (lo.astype(np.float64), np.where(degenerate, np.inf, delta).astype(np.float64), n_bins)
    # One-sided correction. In units of bins, the formula (x - lo) * scale and the
    # rounded edges are both within `err` of exact, err <= eps n (8 + max|lo, hi| / delta)
    # (twice that for margin). Shrinking scale by 2 err + 2 eps makes the formula's
    # bin never too high and at most one too low, so only x >= upper[k] needs checking.
    # It holds while the shrink moves the top bin by well under one bin; otherwise
    # (float32 rows far from 0, ranges near underflow) both edges are checked.
    eps = float(np.finfo(dtype).eps)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        err = 2 * eps * n_bins * (8 + np.maximum(np.abs(lo), np.abs(hi)) / delta.astype(np.float64))
    shrink = 2 * err + 2 * eps
    one_sided = (lo.dtype == dtype and fallback is None and not tiny.any()
                 and bool(np.all((err + n_bins * (shrink + eps) < 0.5) | degenerate)))
    scale_down = (scale * np.where(degenerate, 1, 1 - shrink)).astype(dtype) if one_sided else None
    return scale, lo.astype(dtype), lower.ravel(), upper.ravel(), scale_down, fallback


def _bin_equal_width(tile, lo, tables, row_offsets, clip, work):
    """Bin of every element of a tile (rows x columns), exact: returns (idx, base),
    the position in the flat tables (row offset + bin, bin 0 the underflow) being idx + base.

    The formula (x - lo) * scale is within one bin of the truth; comparing x
    with the edges of the bin it picked corrects it, as np.histogram does:
    both edges, or only the upper one when `_equal_width_tables` could bias
    the formula low (then the rare corrections are applied sparsely).
    `work` holds two flat scratch arrays of at least a tile (fresh ones per
    tile would cost page faults); idx is a view of the second one.
    """
    scale, lower, upper, scale_down, fallback = tables
    several = len(row_offsets) > 1 or row_offsets[0] != 0
    t = work[0][: tile.size].reshape(tile.shape)
    idx = work[1][: tile.size].reshape(tile.shape)
    if scale_down is not None and clip is None:
        np.subtract(tile, lo[:, None], out=t)
        # multiply and truncate to the real bin (0-based) in one pass; tables are read from bin 1 on
        np.multiply(t, scale_down[:, None], out=idx, casting="unsafe")
        if several:
            idx += row_offsets[:, None]
        idx[tile >= upper[1:].take(idx)] += 1
        return idx, 1
    # values far outside an explicit range overflow to +-inf here; the clip below bounds them
    with np.errstate(over="ignore", invalid="ignore"):
        if fallback is None:
            np.subtract(tile, lo[:, None], out=t)
            t *= scale[:, None]
        else:  # np.histogram's (x - lo) / delta * n_bins, in float64: no overflowing scale
            lo64, delta64, n_bins = fallback
            t = tile - lo64[:, None]
            t /= delta64[:, None]
            t *= n_bins
        if clip is not None:  # keep the cast to intp finite (fmax/fmin also turn NaN into a bound)
            np.fmax(t, -1, out=t)
            np.fmin(t, clip, out=t)
        np.copyto(idx, t, casting="unsafe")  # truncation, as astype(intp)
    idx += (row_offsets + 1)[:, None]
    above = tile >= upper.take(idx)
    idx -= tile < lower.take(idx)  # both edges of the uncorrected bin
    idx += above
    return idx, 0


def _bin_edges_rows(tile, edges):
    """Bin index (0 = underflow, n_bins + 1 = overflow) for per-row edges
    (rows x (n_bins + 1)) by a vectorised bisection: the largest k with
    edges[k - 1] <= x (np.searchsorted side="right"), the last bin closed.
    """
    rows, n_edges = edges.shape
    table = np.empty((rows, n_edges + 1), edges.dtype)
    table[:, 0] = -np.inf
    table[:, 1:] = edges
    table[:, -1] = np.nextafter(edges[:, -1], np.inf)  # the closed last edge
    table = table.ravel()
    base = (np.arange(rows) * (n_edges + 1))[:, None]
    pos = np.zeros(tile.shape, np.intp)  # table[base + pos] <= x holds for pos = 0
    step = 1 << n_edges.bit_length()
    while step:
        cand = np.minimum(pos + step, n_edges)
        pos = np.where(table.take(base + cand) <= tile, cand, pos)
        step >>= 1
    return pos


def _closed(edges: np.ndarray) -> np.ndarray:
    """Edges with the last one nudged up, so searchsorted(side="right") puts x == last in the last bin."""
    closed = edges.copy()
    closed[-1] = np.nextafter(closed[-1], np.inf)
    return closed


def _parse_bins(x, bins, binning, range, bin_width):
    """Check the arguments; return (n_bins, edges or None, range or None)."""
    if binning not in BINNINGS:
        raise ValueError(f"binning must be one of {BINNINGS}, got {binning!r}")
    edges = None
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        n_bins = int(bins)
        if n_bins < 1:
            raise ValueError(f"bins must be >= 1, got {bins}")
    else:
        edges = np.asarray(bins)
        if edges.ndim != 1 or edges.size < 2 or edges.dtype.kind not in "iuf":
            raise ValueError(f"bins must be a positive integer or a 1-D increasing sequence of edges; got {bins!r}")
        if binning in ("fixed_width", "quantile") or range is not None:
            raise ValueError("explicit bin edges fix the bins: pass them with binning='global' and without range=")
        if not np.all(np.isfinite(edges)) or np.any(np.diff(edges) < 0):
            raise ValueError("bin edges must be finite and increasing")
        edges = edges.astype(np.result_type(edges, x.dtype))
        n_bins = edges.size - 1
        if edges.dtype == x.dtype and edges[0] < edges[-1] and np.array_equal(
                edges, np.linspace(edges[0], edges[-1], edges.size)):
            # np.linspace edges (the notebooks' global bins) are np.histogram's own equal bins
            # over that range: bin them by the formula and its correction, not by bisection
            return n_bins, None, (edges[0], edges[-1])
        edges = _closed(edges)
    if binning == "fixed_width":
        if bin_width is None:
            raise ValueError("binning='fixed_width' needs a positive finite bin_width=")
        bin_width = _check_positive_number(bin_width, "bin_width")
    elif bin_width is not None:
        raise ValueError(f"bin_width= is only used with binning='fixed_width' (binning is {binning!r})")
    if range is not None:
        if binning == "quantile":
            raise ValueError("binning='quantile' takes its edges from the data: range= does not apply")
        try:
            lo, hi = (float(v) for v in range)
        except (TypeError, ValueError):
            raise ValueError(f"range must be a pair (lo, hi), got {range!r}") from None
        if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
            raise ValueError(f"range must be finite (lo, hi) with lo <= hi, got {range!r}")
        range = (lo, hi)
    if binning in ("global", "fixed_width") and range is None and edges is None:
        lo, hi = _row_min_max(x)
        range = (lo.min(), hi.max())  # in the samples' dtype: np.histogram's own range
    if binning == "fixed_width":
        n_bins = _fixed_width_grid(x.dtype, range, bin_width)[2]
    if n_bins > _MAX_BINS:
        raise ValueError(f"{n_bins} bins is too many (limit {_MAX_BINS}); use a larger bin_width or fewer bins")
    return n_bins, edges, range


def _fixed_width_grid(dtype: np.dtype, range, bin_width: float):
    """(width, first cell, number of cells) of the grid floor(x / bin_width) over `range`, in the samples' dtype.

    Division and floor are monotonic, so every x in [lo, hi] lands in a cell
    between floor(lo / w) and floor(hi / w) (the ends rounded to the dtype,
    which can only widen the grid towards values of that dtype).
    """
    w = dtype.type(bin_width)
    if not w > 0:
        raise ValueError(f"bin_width={bin_width!r} underflows to 0 in {dtype}: use a larger bin_width")
    with np.errstate(over="ignore"):
        cells = np.floor(np.array(range, dtype) / w)
    if not np.all(np.isfinite(cells)):
        raise ValueError(f"x / bin_width overflows {dtype} for the range {range}: use a larger bin_width")
    n_cells = float(cells[1]) - float(cells[0]) + 1
    if n_cells > _MAX_BINS:
        raise ValueError(f"{n_cells:.3g} bins is too many (limit {_MAX_BINS}); use a larger bin_width or fewer bins")
    return w, cells[0], int(n_cells)


def _bin_fixed_width(tile, grid, range, explicit_range, row_offsets):
    """Bin 1 + floor(x / w) - first cell of every element (0 the underflow, n_cells + 1 the overflow)."""
    w, first, n_cells = grid
    with np.errstate(over="ignore", invalid="ignore"):
        q = np.floor(tile / w)
        q -= first
        if explicit_range:  # values outside the range: keep the cast to intp finite, then drop them below
            np.fmax(q, -1, out=q)
            np.fmin(q, n_cells, out=q)
    idx = q.astype(np.intp)
    idx += 1
    if explicit_range:
        lo, hi = np.float64(range[0]), np.float64(range[1])
        idx[tile < lo] = 0
        idx[tile > hi] = n_cells + 1
    idx += row_offsets[:, None]
    return idx


def _bin_indices(x: np.ndarray, bins, binning: str, range, bin_width, explicit_range: bool):
    """Yield (first row, last row + 1, first column, idx, base, n_bins) tile by tile.

    idx + base = row-in-tile * (n_bins + 2) + bin per element, where bin 0 is the underflow
    and bin n_bins + 1 the overflow (dropped afterwards, as np.histogram drops
    values outside its range).
    """
    n_bins, edges, range = _parse_bins(x, bins, binning, range, bin_width)
    # equal edges given as a sequence come back as a range: values outside it are dropped
    explicit_range = explicit_range or (edges is None and range is not None and binning != "fixed_width"
                                        and not isinstance(bins, (int, np.integer)))
    stride = n_bins + 2
    rows, n = x.shape
    cols = min(n, _TILE)
    tile_rows = max(1, _TILE // cols)
    group = max(tile_rows, (_ROW_GROUP // n) // tile_rows * tile_rows)
    row_offsets = np.arange(tile_rows, dtype=np.intp) * stride
    work = (np.empty(tile_rows * cols, x.dtype), np.empty(tile_rows * cols, np.intp))

    shared = None
    if binning == "fixed_width":
        grid = _fixed_width_grid(x.dtype, range, bin_width)
    elif edges is None and range is not None:
        # np.histogram builds the edges in the range's own type (a Python float is float64)
        lo, hi = (np.array([v]) for v in range)
        shared = _equal_width_tables(lo, hi, n_bins, x.dtype)
    # data-derived ranges contain every sample: no clipping needed
    clip = explicit_range

    for g0 in np.arange(0, rows, group):
        block = x[g0:g0 + group]
        if binning == "per_row" and shared is None and edges is None:
            scale, lo, lower, upper, scale_down, fallback = _equal_width_tables(
                *_row_min_max(block), n_bins, x.dtype)
        elif binning == "quantile":
            _row_min_max(block)
            qedges = np.quantile(block, np.linspace(0, 1, n_bins + 1), axis=1).T.astype(x.dtype)
        elif explicit_range or edges is not None:
            _row_min_max(block)  # only the check: NaN and infinity are errors, not dropped values
        for r0 in np.arange(0, len(block), tile_rows):
            r1 = min(r0 + tile_rows, len(block))
            offs = row_offsets[: r1 - r0, None]
            if shared is None and binning == "per_row" and edges is None:
                rows_tables = (scale[r0:r1], lower[r0 * stride:], upper[r0 * stride:],
                               None if scale_down is None else scale_down[r0:r1],
                               None if fallback is None else (fallback[0][r0:r1], fallback[1][r0:r1], n_bins))
            for c0 in np.arange(0, n, cols):
                tile = block[r0:r1, c0:c0 + cols]
                base = 0
                if binning == "fixed_width":
                    idx = _bin_fixed_width(tile, grid, range, explicit_range, row_offsets[: r1 - r0])
                elif binning == "quantile":
                    idx = _bin_edges_rows(tile, qedges[r0:r1])
                    idx += offs
                elif edges is not None:
                    idx = np.searchsorted(edges, tile, side="right")
                    idx += offs
                elif shared is not None:
                    # one table row for every row: index into it, then spread the rows apart
                    idx, base = _bin_equal_width(
                        tile, shared[1], shared[:1] + shared[2:], _ZERO, n_bins if clip else None, work)
                    if r1 - r0 > 1:
                        idx += offs
                else:
                    idx, base = _bin_equal_width(tile, lo[r0:r1], rows_tables, row_offsets[: r1 - r0], None, work)
                yield g0 + r0, g0 + r1, c0, idx, base, n_bins


def _counts(x: np.ndarray, bins, binning, range, bin_width, n_labels: int = 1, labels=None) -> np.ndarray:
    """Histogram counts per row, shape (rows, n_bins) (or (rows, n_bins, n_labels) with labels)."""
    explicit_range = range is not None
    counts = None
    for r0, r1, c0, idx, base, n_bins in _bin_indices(x, bins, binning, range, bin_width, explicit_range):
        if counts is None:
            counts = np.zeros((x.shape[0], n_bins + 2, n_labels), np.int64)
        if labels is not None:
            idx = idx * n_labels + labels[c0:c0 + idx.shape[1]]
        shift = base * n_labels
        found = np.bincount(idx.ravel(), minlength=(r1 - r0) * (n_bins + 2) * n_labels - shift)
        counts[r0:r1].reshape(-1)[shift:shift + len(found)] += found
    counts = counts[:, 1:-1]  # drop the underflow and overflow bins
    return counts[:, :, 0] if labels is None else counts


def _entropy_from_counts(counts: np.ndarray, base: float, axis=-1) -> np.ndarray:
    """H = -sum p log p / log(base), p = counts / total; empty bins add 0, a single bin gives exactly 0."""
    total = counts.sum(axis=axis, keepdims=True)
    p = counts / np.maximum(total, 1)
    # log(tiny) is finite, so empty bins give 0 * finite = 0 without a warning (as scipy's entr(0) = 0)
    logp = np.log(np.maximum(p, np.finfo(p.dtype).tiny))
    # + 0.0 turns the -0.0 of a single-bin row into 0.0
    return -np.sum(p * logp, axis=axis) / np.log(base) + 0.0


def _check_base(base: float) -> float:
    base = float(base)
    if not (np.isfinite(base) and base > 0 and base != 1):
        raise ValueError(f"base must be a positive number other than 1 (2 for bits, e for nats), got {base}")
    return base


def entropy(
    samples: np.ndarray,
    bins: int | Sequence[float] | np.ndarray = 50,
    binning: str = "per_row",
    base: float = 2,
    range: tuple[float, float] | None = None,
    bin_width: float | None = None,
) -> float | np.ndarray:
    """Binned entropy H = -sum_k p_k log_base(p_k) of each row of `samples`.

    samples: one sample vector (returns a float) or a 2-D array with one row
    per sweep value (returns one entropy per row). For a deterministic
    T = f(X) this is I(X;T) (Shwartz-Ziv & Tishby 2017; Saxe et al. 2018).

    binning:
      "per_row"     `bins` equal bins between each row's min and max;
      "global"      `bins` equal bins between the min and max of the whole array;
      "fixed_width" x in cell floor(x / bin_width) (k w <= x < (k + 1) w, the
                    division rounded in the samples' dtype), a grid fixed
                    before the data, as the information-plane papers bin;
      "quantile"    `bins` equal-mass bins per row (edges at the row's quantiles).
    range=(lo, hi) gives every row `bins` equal bins over [lo, hi] instead
    (values outside are dropped, as np.histogram drops them). `bins` may also
    be a sequence of edges used for every row, e.g. the notebooks' global
    `np.linspace(T.min(), T.max(), 50)` (49 bins).

    Except for "fixed_width" the counts are exactly np.histogram's for the
    same edges (the last bin holds its right edge), for every finite range,
    subnormal ones included; a range too narrow for `bins` distinct edges
    raises ValueError (as np.histogram does); a constant row has entropy 0.
    With range= and "fixed_width", values outside [lo, hi] are dropped. NaN
    or infinite samples raise ValueError.
    """
    x, one = _check_samples(samples, "entropy samples")
    base = _check_base(base)
    h = _entropy_from_counts(_counts(x, bins, binning, range, bin_width), base)
    return float(h[0]) if one else h


def mutual_information(
    t: np.ndarray,
    labels: np.ndarray,
    bins: int | Sequence[float] | np.ndarray = 50,
    binning: str = "per_row",
    base: float = 2,
    range: tuple[float, float] | None = None,
    bin_width: float | None = None,
) -> float | np.ndarray:
    """I(T;Y) = H(T) + H(Y) - H(T,Y) for binned T and discrete labels Y.

    t: one sample vector or one row per sweep value (binned as in `entropy`,
    same arguments); labels: one discrete label per sample (any values; each
    distinct value is a class). Returns a float for 1-D t, else one value per
    row (Shwartz-Ziv & Tishby 2017; Saxe et al. 2018).
    """
    x, one = _check_samples(t, "mutual_information t")
    base = _check_base(base)
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != x.shape[1]:
        raise ValueError(
            f"labels must be 1-D with one label per sample ({x.shape[1]}); got shape {labels.shape}"
        )
    classes, codes = np.unique(labels, return_inverse=True)
    joint = _counts(x, bins, binning, range, bin_width, n_labels=len(classes), labels=codes.astype(np.intp))
    rows = joint.shape[0]
    h_t = _entropy_from_counts(joint.sum(axis=2), base)
    h_y = _entropy_from_counts(joint.sum(axis=1), base)
    h_ty = _entropy_from_counts(joint.reshape(rows, -1), base)
    mi = np.maximum(h_t + h_y - h_ty, 0.0)  # rounding can leave -1e-16 for independent T and Y
    return float(mi[0]) if one else mi


KDE_METHODS = ("auto", "exact", "binned")
_KDE_MAX_GRID = 1 << 21  # grid points of the binned path: its FFT arrays stay within about 100 MB
# the dot-product form of squared distances is used where its rounding moves an exponent by at most this (nats)
_KDE_GEMM_ERROR = 1e-8


def _check_positive_number(value: object, what: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a real number, got {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{what} must be positive and finite, got {value!r}")
    return float(value)


def _kde_relative_error(a: float, n: int) -> float:
    """Bound rho on |S~_i - S_i| / S_i for the binned sums at grid step a (in units of the noise s).

    S_i = sum_j K(u_ij), K(u) = exp(-u^2 / 2). Linear binning of the h_j and
    linear interpolation at h_i are the tensor-product linear interpolation
    of K(x - y), whose error per pair is at most a^2 / 4 max |K''(v)| over
    |v - u| <= 2a. With K'' = (v^2 - 1) K: pairs with |u| <= t err by at most
    a^2/4 max((t + 2a)^2, 1) e^(2 a t) K(u); the others by at most
    a^2/4 M(t - 2a) each, M(c) = max over |v| >= c of |v^2 - 1| K(v); and
    S_i >= 1 (its own term). rho is the best split t.
    """
    t = np.linspace(0.0, 40.0, 801)
    c = np.maximum(t - 2 * a, 0.0)
    tail = np.where(c >= math.sqrt(3), (c * c - 1) * np.exp(-c * c / 2), 1.0)
    near = np.maximum((t + 2 * a) ** 2, 1.0) * np.exp(np.minimum(2 * a * t, 700.0))
    return float(a * a / 4 * np.min(near + n * tail))


def _fft_length(m: int) -> int:
    """The smallest 2^i 3^j 5^k >= m (pocketfft is fastest on those)."""
    best = 1 << max(0, (m - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            p = p35
            while p < m:
                p *= 2
            best = min(best, p)
            p35 *= 3
        p5 *= 5
    return best


def _kde_binned_plan(h: np.ndarray, noise_variance: float, tolerance_nats: float):
    """(grid step, grid points, FFT length) meeting the tolerance, or None when no grid fits.

    The binned bound differs from the exact one by at most -log(1 - rho) nats,
    rho = kernel error (`_kde_relative_error`) + FFT rounding (5 eps log2(L) n,
    relative to S_i >= 1).
    """
    n = len(h)
    s = math.sqrt(noise_variance)
    span = float(h.max() - h.min())
    budget = -math.expm1(-tolerance_nats)
    rounding = lambda length: 5 * np.finfo(np.float64).eps * math.log2(max(length, 2)) * n  # noqa: E731
    a = _kde_grid_step(n, budget / 2)
    if a == 0:
        return None
    step = a * s
    points = int(span / step) + 2
    if points > _KDE_MAX_GRID:
        return None
    kernel_points = min(points, int(39.0 / a) + 2)  # exp(-(m a)^2 / 2) is 0 in float64 beyond m a = 39
    length = _fft_length(points + kernel_points - 1)
    if rounding(length) > budget / 2:
        return None
    return step, points, kernel_points, length


@functools.lru_cache(maxsize=256)
def _kde_grid_step(n: int, rho: float) -> float:
    """The largest grid step a (in units of s) with `_kde_relative_error(a, n) <= rho`, by
    bisection (rho grows with a). Cached: a sweep asks for the same (n, rho) at every weight,
    and the 60 steps cost more than a small binned sum itself."""
    lo_a, hi_a = 0.0, 1.0
    for _ in range(60):
        mid = (lo_a + hi_a) / 2
        if _kde_relative_error(mid, n) <= rho:
            lo_a = mid
        else:
            hi_a = mid
    return lo_a


def _kde_binned_log_sums(h: np.ndarray, noise_variance: float, plan) -> float:
    """sum_i log S~_i: linear binning onto the grid, FFT convolution with the kernel, linear interpolation."""
    step, points, kernel_points, length = plan
    pos = (h - h.min()) / step
    cell = np.minimum(pos.astype(np.intp), points - 2)
    frac = pos - cell
    weights = np.bincount(cell, 1 - frac, minlength=points) + np.bincount(cell + 1, frac, minlength=points)
    offsets = np.arange(kernel_points) * (step / math.sqrt(noise_variance))
    kernel = np.zeros(length)
    kernel[:kernel_points] = np.exp(-0.5 * offsets * offsets)
    kernel[length - kernel_points + 1:] = kernel[kernel_points - 1:0:-1]  # negative offsets, wrapped
    sums = np.fft.irfft(np.fft.rfft(weights, length) * np.fft.rfft(kernel), length)[:points]
    at_samples = sums[cell] * (1 - frac) + sums[cell + 1] * frac
    # S_i >= 1 - rho > 0; the floor only guards the log against a broken plan
    return float(np.sum(np.log(np.maximum(at_samples, 0.5))))


_EXP_FLOOR = -700.0  # kernel exponents are clipped here: exp(-700) is invisible next to 1, and fast
_KDE_MIN_BLOCK = 64  # smaller blocks of pairs would cost more in per-call overhead than in exp


def _squared_distances(a_t: np.ndarray, b_t: np.ndarray, out: np.ndarray, work: np.ndarray) -> np.ndarray:
    """||a_i - b_j||^2 for a block, from exact differences unit by unit (a_t, b_t: (n_units, block)).

    Not |a|^2 + |b|^2 - 2 a.b: that cancels for close pairs, the very pairs the kernel weighs most.
    """
    np.subtract(a_t[0][:, None], b_t[0][None, :], out=out)
    np.multiply(out, out, out=out)
    for a_k, b_k in zip(a_t[1:], b_t[1:]):
        np.subtract(a_k[:, None], b_k[None, :], out=work)
        np.multiply(work, work, out=work)
        out += work
    return out


def _gaussian_kernel(d: np.ndarray, width: float) -> np.ndarray:
    """exp(-d / width) in place, for squared distances d (width = 2 s^2 for noise variance s^2).

    Distances are capped where the exponent passes _EXP_FLOOR, before the scaling: exp is ~10x
    slower where it underflows (below -708), e^-700 ~ 1e-304 adds nothing to sums >= 1 (each
    holds its own exp(0)) that float64 could see, and the product cannot overflow (s^2 = 1e-300).
    """
    np.minimum(d, -_EXP_FLOOR * width, out=d)
    scale = -1.0 / width
    if scale > -np.inf:
        d *= scale
    else:  # a subnormal s^2: -1 / width overflows; the quotient of a capped distance does not
        np.divide(d, -width, out=d)
    return np.exp(d, out=d)


def _kde_exact_log_sums(h: np.ndarray, noise_variance: float, block: int) -> float:
    """sum_i log sum_j exp(-||h_i - h_j||^2 / (2 s^2)), over blocks of `block` x `block` pairs.

    Each pair of blocks once (the kernel is symmetric: a block's column sums are
    the row sums of its mirror), and blocks small enough to stay in cache.
    """
    n, units = h.shape
    sq = np.einsum("ij,ij->i", h, h)
    # |a|^2 + |b|^2 - 2 a.b (one matrix product) errs by about (units + 2) eps max|h|^2: used only
    # where that moves no exponent by more than _KDE_GEMM_ERROR; else exact differences, unit by unit
    eps = float(np.finfo(np.float64).eps)
    gemm = units > 1 and (units + 2) * eps * float(sq.max()) * 0.5 / noise_variance <= _KDE_GEMM_ERROR
    h_t = np.ascontiguousarray(h.T)
    sums = np.zeros(n)
    block = min(block, n)
    dist = np.empty((block, block))
    work = np.empty((block, block))
    for i0 in range(0, n, block):
        i1 = min(i0 + block, n)
        for j0 in range(i0, n, block):
            j1 = min(j0 + block, n)
            d = dist[: i1 - i0, : j1 - j0]
            if gemm:
                np.matmul(h[i0:i1], h_t[:, j0:j1], out=d)
                d *= -2
                d += sq[i0:i1, None]
                d += sq[None, j0:j1]
                np.maximum(d, 0, out=d)  # rounding can leave -1e-16
            else:
                _squared_distances(h_t[:, i0:i1], h_t[:, j0:j1], d, work[: i1 - i0, : j1 - j0])
            _gaussian_kernel(d, 2 * noise_variance)
            sums[i0:i1] += d.sum(axis=1)
            if j0 != i0:
                sums[j0:j1] += d.sum(axis=0)
    return float(np.sum(np.log(sums)))


def _binned_is_cheaper(n: int, fft_length: int) -> bool:
    """The cost model of method="auto": about 4.5 ns a pair for the exact sums, and for the
    binned path 4 ns per L log2(L) of its three FFTs plus 100 ns a sample (numpy 2.4,
    2-core AMD EPYC, 2026-12-01: benchmarks/kde.py's crossover table)."""
    return 4 * fft_length * math.log2(fft_length) + 100 * n < 4.5 * n * n


def kde_mutual_information(
    t: np.ndarray,
    noise_variance: float = 0.1,
    base: float = 2,
    chunk_size: int | None = None,
    method: str = "auto",
    tolerance: float = 1e-6,
) -> float:
    """Pairwise-distance upper bound on I(X;T) for T = h(X) + Z, Z ~ N(0, s^2 I).

    Kolchinsky & Tracey (2017), as used by Saxe et al. (2018) with s^2 = 0.1:
    with the n activity vectors h_i (rows of `t`, or the entries of a 1-D `t`),

        I(X;T) <= -1/n sum_i log( 1/n sum_j exp(-||h_i - h_j||^2 / (2 s^2)) )

    (the mixture-entropy bound H(T) <= ... minus the noise entropy H(T|X)).

    method:
      "exact"  every pair, O(n^2) time: the distances in square blocks
               with edge `chunk_size` (default 256: two work arrays of half
               a megabyte; at least 64, below which the per-block cost
               dominates), each pair of blocks once. Squared distances are exact differences, or
               |a|^2 + |b|^2 - 2 a.b for vectors where its cancellation moves
               no exponent by more than 1e-8 nats (clusters far apart relative
               to their spread need the differences).
      "binned" 1-D t only, O(n + G log G): the samples are linearly binned onto
               a grid of step a*s, the grid convolved with the Gaussian by FFT
               (numpy.fft), and the sums interpolated linearly back at the
               samples (Wand 1994, "Fast computation of multivariate kernel
               estimators"). The step is chosen so that the result differs
               from the exact bound by at most `tolerance` (in units of
               `base`): the interpolation error per pair is at most
               a^2/4 max|K''| near that pair, which bounds the relative error
               of every inner sum (see `_kde_relative_error`), plus the FFT
               rounding, 5 eps log2(G) n. Memory O(n + G), G <= 2^21 grid points.
      "auto"   (default) "binned" for 1-D t when its grid fits and is cheaper
               than the pairs, else "exact".
    Returns the bound in log base `base` (bits by default).
    """
    h = as_float_array(t, "kde_mutual_information t")
    if h.ndim == 1:
        h = h[:, None]
    if h.ndim != 2 or h.shape[0] == 0:
        raise ValueError(f"t must be (n_samples,) or (n_samples, n_units) with n_samples >= 1; got shape {h.shape}")
    if not np.all(np.isfinite(h)):
        raise ValueError("t must be finite: found NaN or infinity")
    noise_variance = _check_positive_number(noise_variance, "noise_variance")
    base = _check_base(base)
    tolerance = _check_positive_number(tolerance, "tolerance")
    if method not in KDE_METHODS:
        raise ValueError(f"method must be one of {KDE_METHODS}, got {method!r}")
    n, units = h.shape
    if chunk_size is None:
        chunk_size = 256
    elif isinstance(chunk_size, (bool, np.bool_)) or not isinstance(chunk_size, (int, np.integer)):
        raise TypeError(f"chunk_size must be a positive integer (the edge of a block of pairs), got {chunk_size!r}")
    elif chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer (the edge of a block of pairs), got {chunk_size}")
    if method == "binned" and units != 1:
        raise ValueError(f"method='binned' needs 1-D samples (one unit); t has {units} units: use method='exact'")
    # Centred and in float64: far from 0 (and in float32) the distances would lose their digits.
    # On the middle of the range, not the mean: a mean of equal samples near 1e300 rounds away from them
    h = h.astype(np.float64)
    h -= h.min(axis=0) * 0.5 + h.max(axis=0) * 0.5
    if np.abs(h).max() > 1e150:
        raise ValueError(
            "t spreads beyond 1e150 around the middle of its range, where squared distances overflow; every pair of "
            "distinct samples is then independent under the noise, and the bound is log(n_samples)"
        )
    plan = None
    if units == 1 and method != "exact":
        # abs: a base below 1 has a negative log, and the tolerance is a distance either way
        plan = _kde_binned_plan(h[:, 0], noise_variance, tolerance * abs(math.log(base)))
        if plan is None and method == "binned":
            raise ValueError(
                f"method='binned': no grid of at most {_KDE_MAX_GRID} points meets tolerance={tolerance} for "
                "this spread of t relative to the noise: use method='exact' or a larger tolerance"
            )
        if plan is not None and method == "auto":
            plan = plan if _binned_is_cheaper(n, plan[3]) else None
    if plan is not None:
        total = _kde_binned_log_sums(h[:, 0], noise_variance, plan)
    else:
        total = _kde_exact_log_sums(h, noise_variance, max(int(chunk_size), _KDE_MIN_BLOCK))
    return (math.log(n) - total / n) / math.log(base)


# ======================================================================================
# Layer vectors: the information plane of whole networks (Saxe et al. 2018, Figure 1)
#
# A layer's activity for n inputs is an (n_samples, n_units) array T; each
# sample's whole vector is one value of T. Binning puts every unit's value in
# a bin and counts equal bin vectors; the KDE bounds treat T + Z, Z ~ N(0, s^2 I),
# as a mixture of n Gaussians.
# ======================================================================================

_MAX_RADIX_CODE = 1 << 62  # mixed-radix codes of integer rows must stay below this in int64
_MAX_RADIX = 1 << 53  # per unit: each q - min(q) below it is an exact float64 integer


def _check_layer(t: object, what: str) -> np.ndarray:
    """(n_samples, n_units) float array of finite values; a 1-D t is one unit."""
    x = as_float_array(t, what)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{what} must be (n_samples, n_units) with at least one of each; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what} must be finite: found NaN or infinity")
    return x


def _check_labels(labels: object, n: int) -> np.ndarray:
    """Class codes 0..C-1 of `labels` (one per sample, any values)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != n:
        raise ValueError(f"labels must be 1-D with one label per sample ({n}); got shape {labels.shape}")
    return np.unique(labels, return_inverse=True)[1].reshape(-1)


def _bin_vectors(x: np.ndarray, bin_size: float | None, n_bins: int | None, range) -> np.ndarray:
    """Per-unit bin indices (as floats holding integers) of every sample's vector."""
    if n_bins is None and range is None:
        if bin_size is None or not (np.isfinite(bin_size) and bin_size > 0):
            raise ValueError(f"bin_size must be a positive finite number, got {bin_size!r}")
        with np.errstate(over="ignore"):
            q = np.floor(x / bin_size)
        if not np.all(np.isfinite(q)):
            raise ValueError(f"t / bin_size overflows the float range: bin_size {bin_size!r} is too small for "
                             f"activity up to {np.abs(x).max():.3g}")
        return q + 0.0  # -0.0 -> 0.0, so equal bins compare equal bit for bit too
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1 or range is None:
        raise ValueError(f"fixed bins need n_bins (a positive integer) and range=(lo, hi) together; "
                         f"got n_bins={n_bins!r}, range={range!r}")
    try:
        lo, hi = (float(v) for v in range)
    except (TypeError, ValueError):
        raise ValueError(f"range must be a pair (lo, hi), got {range!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"range must be finite (lo, hi) with lo < hi, got {range!r}")
    # a range wider than the float max (hi - lo = inf) is measured in halves: exact, and finite
    half = 1.0 if math.isfinite(hi - lo) else 0.5
    width = hi * half - lo * half
    with np.errstate(over="ignore"):
        q = np.multiply(x, half, dtype=np.float64)  # float64 whatever x's type, as lo, hi and the scale
        q -= lo * half
        if math.isfinite(n_bins / width):
            q *= n_bins / width
        else:  # a width below n_bins * 5.6e-309: the scale overflows (and 0 * inf is NaN), the quotient not
            q /= width
            q *= n_bins
        q = np.floor(q)
    # values outside the range go to the end bins (Shwartz-Ziv & Tishby's np.digitize code
    # puts every ReLU value above 1 in the top bin)
    return np.clip(q, 0, n_bins - 1)


def _row_codes(q: np.ndarray) -> np.ndarray:
    """Codes 0..m-1 with equal codes exactly for equal rows of the integer-valued float array q."""
    # q - min(q) is exact where each unit's span fits the mantissa (2^24 in float32, 2^53 in
    # float64); past it distinct bins far apart would round together
    low, high = q.min(axis=0), q.max(axis=0)
    if q.dtype != np.float64 and float((high.astype(np.float64) - low).max()) >= 2.0**24:
        q, low, high = q.astype(np.float64), low.astype(np.float64), high.astype(np.float64)
    radix = high.astype(np.float64) - low + 1
    if radix.max() <= _MAX_RADIX and math.prod(float(r) for r in radix) < _MAX_RADIX_CODE:
        # mixed-radix number of each row: one int64 per row, then a 1-D unique
        multipliers = np.cumprod(np.concatenate([[1], radix[:-1]])).astype(np.int64)
        codes = (q - low).astype(np.int64) @ multipliers
        return np.unique(codes, return_inverse=True)[1].reshape(-1)
    return np.unique(q, axis=0, return_inverse=True)[1].reshape(-1)


def _entropy_of_codes(codes: np.ndarray, base: float) -> float:
    counts = np.bincount(codes)
    return float(_entropy_from_counts(counts[counts > 0], base))


def layer_entropy(
    t: np.ndarray,
    bin_size: float | None = 0.07,
    *,
    n_bins: int | None = None,
    range: tuple[float, float] | None = None,
    base: float = 2,
) -> float:
    """Binned entropy H(T) of a layer's whole activity vector, T of shape (n_samples, n_units).

    Each unit's value goes to bin floor(t / bin_size) (an unbounded grid, Saxe
    et al. 2018), or with `n_bins` and `range=(lo, hi)` to one of n_bins
    equal bins over [lo, hi], values outside going to the end bins (the
    Shwartz-Ziv & Tishby 2017 option: n_bins=30, range=(-1, 1)). Samples
    whose bin vectors are equal share a bin; with p_k the share of bin
    vector k, H = -sum_k p_k log_base p_k. For a deterministic network and
    equally likely distinct inputs X, I(X;T) = H(T).
    """
    x = _check_layer(t, "layer_entropy t")
    return _entropy_of_codes(_row_codes(_bin_vectors(x, bin_size, n_bins, range)), _check_base(base))


def layer_mutual_information(
    t: np.ndarray,
    labels: np.ndarray,
    bin_size: float | None = 0.07,
    *,
    n_bins: int | None = None,
    range: tuple[float, float] | None = None,
    base: float = 2,
) -> float:
    """I(T;Y) = H(T) - sum_y p(y) H(T | Y=y) = H(T) + H(Y) - H(T,Y) for a binned layer T (see `layer_entropy`).

    t: (n_samples, n_units); labels: one discrete label per sample.
    """
    x = _check_layer(t, "layer_mutual_information t")
    base = _check_base(base)
    classes = _check_labels(labels, len(x))
    codes = _row_codes(_bin_vectors(x, bin_size, n_bins, range))
    joint = codes * (classes.max() + 1) + classes
    mi = (_entropy_of_codes(codes, base) + _entropy_of_codes(classes, base)
          - _entropy_of_codes(np.unique(joint, return_inverse=True)[1].reshape(-1), base))
    return max(mi, 0.0)  # rounding can leave -1e-16 for independent T and Y


@dataclass(frozen=True)
class KDEBounds:
    """Kolchinsky & Tracey (2017) bounds for T + Z, Z ~ N(0, s^2 I), in the requested base.

    upper, lower: bounds on I(X;T); upper_y, lower_y: the same estimators of
    I(T;Y) (H(T) - sum_y p(y) H(T|y), each entropy from the same bound), None
    without labels.
    """

    upper: float
    lower: float
    upper_y: float | None = None
    lower_y: float | None = None


def _kernel_sums(h: np.ndarray, onehot: np.ndarray, noise_variance: float, block: int) -> np.ndarray:
    """S[b, i, c] = sum over samples j of class c of exp(-||h_i - h_j||^2 / (2 v_b)), v = (s^2, 4 s^2).

    Blocks of `block` x `block` pairs, each pair of blocks once (the distances
    are symmetric): memory O(block^2 + n), whatever n.
    """
    n = len(h)
    h_t = np.ascontiguousarray(h.T)
    sums = np.zeros((2, n, onehot.shape[1]))
    block = min(block, n)  # a block larger than the sample would only allocate more
    dist = np.empty((block, block))
    work = np.empty((block, block))
    for i0 in np.arange(0, n, block):
        i1 = min(i0 + block, n)
        for j0 in np.arange(i0, n, block):
            j1 = min(j0 + block, n)
            d = _squared_distances(h_t[:, i0:i1], h_t[:, j0:j1], dist[: i1 - i0, : j1 - j0],
                                   work[: i1 - i0, : j1 - j0])
            _gaussian_kernel(d, 8.0 * noise_variance)  # the wider (4 s^2) kernel; the narrow one is its 4th power
            for b in (1, 0):
                sums[b, i0:i1] += d @ onehot[j0:j1]
                if j0 != i0:
                    sums[b, j0:j1] += d.T @ onehot[i0:i1]
                if b == 1:
                    np.multiply(d, d, out=d)
                    np.multiply(d, d, out=d)  # exp(-x / (8 s^2))^4 = exp(-x / (2 s^2))
    return sums


def kde_bounds(
    t: np.ndarray,
    labels: np.ndarray | None = None,
    noise_variance: float = 1e-3,
    *,
    base: float = 2,
    block_size: int = 256,
) -> KDEBounds:
    """Kolchinsky & Tracey (2017) upper and pairwise lower bounds on I(X;T) for T = h(X) + Z, Z ~ N(0, s^2 I).

    With the n activity vectors h_i (rows of `t`, one per equally likely
    input) and s^2 = `noise_variance`, D_ij = ||h_i - h_j||^2:

        upper (KL):            I(X;T) <= log n - 1/n sum_i log sum_j exp(-D_ij / (2 s^2))
        lower (Bhattacharyya): I(X;T) >= log n - 1/n sum_i log sum_j exp(-D_ij / (8 s^2))

    (the mixture-entropy bounds minus H(T|X); Saxe et al. 2018 use them on
    every layer). With `labels`, I(T;Y) = H(T) - sum_y p(y) H(T|y), every
    entropy from the same bound: 1/n sum_i [log(S_i^y / n_y) - log(S_i / n)],
    S_i^y the sum over the samples of i's class. The distances are exact
    differences in float64, computed block by block (`block_size`^2 pairs at
    a time, each pair once), so the memory stays O(block_size^2 + n).
    """
    h = _check_layer(t, "kde_bounds t").astype(np.float64)
    if not (isinstance(noise_variance, (int, float, np.floating, np.integer)) and np.isfinite(noise_variance)
            and noise_variance > 0):
        raise ValueError(f"noise_variance must be positive and finite, got {noise_variance!r}")
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}")
    base = _check_base(base)
    n = len(h)
    classes = np.zeros(n, np.intp) if labels is None else _check_labels(labels, n)
    onehot = np.zeros((n, classes.max() + 1))
    onehot[np.arange(n), classes] = 1.0
    with np.errstate(under="ignore", over="ignore"):
        # a spread beyond ~1e154 overflows D to inf: exp(-inf) = 0, the right limit
        sums = _kernel_sums(h, onehot, float(noise_variance), int(block_size))
    log_all = np.log(sums.sum(axis=2))  # >= log 1: each sample's own term is exp(0)
    upper, lower = (math.log(n) - float(log_all[b].mean()) for b in (0, 1))
    if labels is None:
        return KDEBounds(upper / math.log(base), lower / math.log(base))
    own = np.log(sums[:, np.arange(n), classes]) - np.log(onehot.sum(axis=0))[classes]
    upper_y, lower_y = (float(np.mean(own[b] - (log_all[b] - math.log(n)))) for b in (0, 1))
    return KDEBounds(*(v / math.log(base) for v in (upper, lower, max(upper_y, 0.0), max(lower_y, 0.0))))
