"""Vectorised erf and erfc in numpy, accurate to float64 precision.

numpy has no erf and nnlite does not depend on scipy, so the exact GELU gets
its normal CDF from here.

Method: erfcx(x) = exp(x^2) * erfc(x) is smooth, so it is stored as
Chebyshev series computed with mpmath (tools/make_erf_coefficients.py): in x
on [0, 1], [1, 2], [2, 4] and, as x * erfcx(x), in u = 1/x on [4, inf).
Then erfc(x) = exp(-x^2) * erfcx(x) for x >= 0, with x^2 split into an exact
high part and a small low part so the exponential keeps its precision, and
erfc(-x) = 2 - erfc(x). erf uses its Maclaurin series for |x| < 1 (no
cancellation near 0) and 1 - erfc(|x|) beyond. Measured against mpmath the
relative error is below 1e-15 where the result is a normal float.
"""

from __future__ import annotations

import math

import numpy as np

from ._blocks import in_blocks, scratch_size
from ._erf_tables import U_TAIL, X_PIECES

_X_PIECES = tuple((lo, hi, np.array(c)) for lo, hi, c in X_PIECES)
_U_TAIL = np.array(U_TAIL)
# erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)); 20 terms reach
# 1e-18 for |x| < 1.
_MACLAURIN = np.array(
    [(-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(20)]
) * (2 / math.sqrt(math.pi))
# Beyond this erfc(x) underflows to 0 in float64.
_ERFC_ZERO = 27.3
# Elements per block: the ~60 passes of a Chebyshev series then run on data
# that stays in cache (2.4x faster at 1e6 elements than whole-array passes).
_BLOCK = 16384


def _chebyshev(coefs: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Clenshaw evaluation of sum_k coefs[k] T_k(t), in place on three buffers.

    Each step is three passes over memory and allocates nothing: with 20
    terms, allocation per step would cost more than the arithmetic.
    """
    b1 = np.full_like(t, coefs[-1])
    b2 = np.zeros_like(t)
    tmp = np.empty_like(t)
    two_t = 2 * t
    for c in coefs[-2:0:-1]:
        np.multiply(two_t, b1, out=tmp)
        tmp -= b2
        tmp += c
        b2, b1, tmp = b1, tmp, b2
    np.multiply(t, b1, out=tmp)
    tmp -= b2
    tmp += coefs[0]
    return tmp


def _erfcx_nonneg(x: np.ndarray) -> np.ndarray:
    """erfcx(x) for finite x >= 0 (float64)."""
    out = np.empty_like(x)
    for lo, hi, coefs in _X_PIECES:
        m = (x >= lo) & (x < hi)
        if m.any():
            out[m] = _chebyshev(coefs, (2 * x[m] - (lo + hi)) / (hi - lo))
    m = x >= _X_PIECES[-1][1]
    if m.any():
        u = 1 / x[m]
        out[m] = _chebyshev(_U_TAIL, 8 * u - 1) * u
    return out


def _exp_minus_square(x: np.ndarray) -> np.ndarray:
    """exp(-x^2) for 0 <= x < 28 without the rounding error of x*x."""
    hi = np.round(x * 4096) / 4096  # at most 17 significant bits: hi*hi is exact
    lo = x - hi
    return np.exp(-hi * hi) * np.exp(-lo * (2 * hi + lo))


def _below(flat: np.ndarray, limit: float, function) -> np.ndarray:
    """function(a) for the entries a < limit of a flat float64 array, 0 from limit on (where the
    tail underflows), NaN kept; block by block, so the temporaries stay small."""
    out = np.zeros_like(flat)
    for start in range(0, flat.size, _BLOCK):
        block = flat[start:start + _BLOCK]
        m = block < limit
        if m.any():
            out[start:start + _BLOCK][m] = function(block[m])
    out[np.isnan(flat)] = np.nan
    return out


def _erfc_nonneg(ax: np.ndarray) -> np.ndarray:
    """erfc(ax) for a flat float64 array ax >= 0 (NaN passes through)."""
    return _below(ax, _ERFC_ZERO, lambda a: _exp_minus_square(a) * _erfcx_nonneg(a))


# Beyond this Phi(-a) = erfc(a / sqrt 2) / 2 underflows to 0 in float64.
_PHI_ZERO = 38.6


def _exp_minus_half_square(a: np.ndarray) -> np.ndarray:
    """exp(-a^2 / 2) for 0 <= a < 40 without the rounding error of a*a (a = hi + lo, hi*hi exact)."""
    hi = np.round(a * 4096) / 4096
    lo = a - hi
    return np.exp(-0.5 * hi * hi) * np.exp(-0.5 * lo * (2 * hi + lo))


def normal_tail(a: np.ndarray) -> np.ndarray:
    """Phi(-a) = erfc(a / sqrt 2) / 2 for a float64 array a >= 0 (NaN passes through).

    Computed as exp(-a^2 / 2) * erfcx(a / sqrt 2) / 2 with the square split: the
    rounding of a / sqrt(2) then enters only the smooth erfcx, where erfc(fl(a / sqrt 2))
    would multiply it by a^2 (1.8e-13 relative at a = 37).
    """
    flat = np.asarray(a, dtype=np.float64).reshape(-1)
    out = _below(flat, _PHI_ZERO, lambda b: 0.5 * _exp_minus_half_square(b) * _erfcx_nonneg(b * math.sqrt(0.5)))
    return out.reshape(np.shape(a))


def _result_dtype(x: np.ndarray) -> np.dtype:
    """float32 stays float32 (float16 becomes float32), float64 stays float64; bool
    and integers of any width become float64, as everywhere in nnlite."""
    return np.result_type(x.dtype, np.float32) if x.dtype.kind == "f" else np.dtype(np.float64)


def erfc(x: np.ndarray) -> np.ndarray:
    """Complementary error function, elementwise: erfc(x) = 1 - erf(x).

    Accurate in relative terms in the tail (erfc(20) ~ 5e-176). float32 in,
    float32 out; the computation runs in float64.
    """
    x = np.asarray(x)
    xd = x.astype(np.float64).ravel()
    out = _erfc_nonneg(np.abs(xd))
    neg = xd < 0
    out[neg] = 2 - out[neg]
    return out.reshape(x.shape).astype(_result_dtype(x), copy=False)


def erf(x: np.ndarray) -> np.ndarray:
    """Error function, elementwise: erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt.

    float32 in, float32 out; the computation runs in float64.
    """
    x = np.asarray(x)
    xd = x.astype(np.float64).ravel()
    ax = np.abs(xd)
    out = np.empty_like(xd)
    small = ax < 1
    if small.any():
        xs = xd[small]
        out[small] = xs * np.polynomial.polynomial.polyval(xs * xs, _MACLAURIN)
    big = ~small
    if big.any():
        out[big] = np.copysign(1 - _erfc_nonneg(ax[big]), xd[big])
    return out.reshape(x.shape).astype(_result_dtype(x), copy=False)


# --- x * Phi(x) for float32 inputs, from a table ------------------------------------------------------------
#
# Take the nearest node n = k/2048 to x (clipped to [-15, 15]) and the step d = x - n (|d| <= 1/4096; both
# exact in float32). With phi the normal density, Phi(n + d) = Phi(n) + phi(n) * int_0^d exp(-n t - t^2/2) dt
# = P[k] + Q[k] * (d - n d^2/2 + (n^2 - 1) d^3/6 - ...), P[k] = Phi(n) (from normal_tail, about 5e-16
# relative) and Q[k] = phi(n). Dropping the d^3 term leaves a relative error below
# (Q/P) (n^2 - 1) d^3/6 <= 8.2e-9 down to n = -15 (Q/P <= |n| + 1/|n| is the inverse Mills ratio; it
# is below 0.8 for n >= 0, where the bound is 1.9e-12), and the whole correction Q d (1 - n d/2) is at most
# 4e-3 of P, so it may be formed in float32, Q included (1e-7 relative there, 4e-10 in Phi). So no exp is
# evaluated: two table reads, a few float32 passes, and a float64 product x Phi(x) rounded once to float32
# (within 0.587 ulp, at x = -13.04: the dropped term grows to the left, and below -13.15 the results are
# subnormal; adding it back, 2 h^2 / 3 in the factor 1 + h below, would cost two or three passes for an
# estimated 0.50 ulp: the target is 1 ulp, and the passes are the time). Past |x| = 15 the tables are read
# at their end nodes: x Phi(x) is x to every digit beyond 15, and rounds to -0 below -15, where x is taken
# as -15 (15 Phi(-15) = 5e-50), so a huge or infinite |x| never meets inf * 0.
#
# 2048 nodes a unit, not more: the two tables (0.74 MB) then stay in L2 cache beside the blocks (timers
# around each pass at 1e6 elements: with 8192 nodes, 2.9 MB, their reads took 1.8 ms of 6.4; with 2048,
# 1.1 ms of 5.6).
#
# phi(15) = 5.5e-50 is no float32, so Q holds its values times 2^64 (in [5.0e-34, 3.6e15]), and so does P
# to add the correction in one float64 sum, unscaled after it (exact).
#
# f'(x) = Phi(x) + x phi(x) comes along for a few float32 passes more: Phi(x) from the same float64 sum,
# and phi(n + d) = Q[k] exp(-n d - d^2/2) = Q[k] (1 - n d + (n d)^2 / 2) within |n d|^3 / 6 + d^2 / 2
# <= 3.8e-8 relative (n d is at most 15 / 4096, d 1 / 4096).
_GELU32_STEPS = 2048
_GELU32_END = 15.0
_GELU32_NODES = int(_GELU32_END * _GELU32_STEPS)  # on each side of 0
_GELU32_SCALE = 2.0 ** 64
_GELU32_BLOCK = 16384  # the float64 temporaries stay in L2 cache; 8% faster than 32768 at 1e6 elements
_GELU32_MAGIC = np.float32(1.5 * 2.0 ** 23)  # s + 1.5 * 2^23 rounds s in (-2^22, 2^22) to an integer
# (s + 1.5 * 2^23).view(int32) - this = rint(s) + _GELU32_NODES, the table index
_GELU32_INDEX_BITS = np.int32(np.array([_GELU32_MAGIC]).view(np.int32)[0] - _GELU32_NODES)
_gelu32_table: tuple[np.ndarray, np.ndarray] | None = None


def _gelu32_coefficients() -> tuple[np.ndarray, np.ndarray]:
    """2^64 Phi(n) (float64) and 2^64 phi(n) / 2048 (float32; a step in table units) at the nodes
    n = k/2048, -15 <= n <= 15 (0.74 MB, built on first use)."""
    global _gelu32_table
    if _gelu32_table is None:
        n = np.arange(-_GELU32_NODES, _GELU32_NODES + 1) / _GELU32_STEPS
        tail = normal_tail(np.abs(n))
        p = np.where(n < 0, tail, 1 - tail) * _GELU32_SCALE
        q = np.exp(-0.5 * (n * n)) * (_GELU32_SCALE / (math.sqrt(2 * math.pi) * _GELU32_STEPS))  # n * n exact
        _gelu32_table = (p, q.astype(np.float32))
    return _gelu32_table


def gelu_float32(x: np.ndarray, out: np.ndarray | None = None,
                 derivative: np.ndarray | None = None) -> np.ndarray:
    """x * Phi(x) for a float32 array, within 0.587 ulp, about 14x faster than through erfc.

    Evaluated block by block (float32 where exact, float64 for the product) and rounded once;
    `out` (float32, x's shape) receives the result if given, and `derivative` (the same)
    f'(x) = Phi(x) + x phi(x), within 4.69 * 2^-24 of max(Phi(x), |x| phi(x)) (f' cancels to 0
    at x = -0.75, so no relative bound holds there; 1.92 subnormal spacings where that maximum is
    subnormal). Bounds measured on every float32 in [-16, 16] against float64 references (scipy's
    ndtr, `tools/float32_sweeps.py gelu`), the worst points confirmed with mpmath (at x = -13.0408,
    -4.0056 and -13.3514; f loses most to the dropped d^3 term of Phi's step); mpmath is the tests'
    reference.
    """
    x = np.asarray(x, dtype=np.float32)
    result = np.empty(x.shape, np.float32) if out is None else out
    _gelu32_in_blocks(x, result, derivative)
    return result


def gelu_derivative_float32(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """f'(x) of `gelu_float32` alone (the same values, bit for bit), into `out` if given."""
    x = np.asarray(x, dtype=np.float32)
    result = np.empty(x.shape, np.float32) if out is None else out
    _gelu32_in_blocks(x, None, result)
    return result


def _gelu32_in_blocks(x: np.ndarray, result: np.ndarray | None, derivative: np.ndarray | None) -> None:
    """x Phi(x) into `result` and f' into `derivative` (either may be None) for a float32 `x`."""
    p_table, q_table = _gelu32_coefficients()
    steps = np.float32(_GELU32_STEPS)
    half = np.float32(-0.5 / _GELU32_STEPS ** 2)  # -n d / 2 = N D (-1/2) / 2048^2 in table units
    one = np.float32(1)
    unscale = np.float32(1 / _GELU32_SCALE)
    wants_value, wants_derivative = result is not None, derivative is not None

    def work(xb, yb, db, lowest, highest, xl, s, n, dd, q, u, idx, p, w):
        # float32 work where it is exact, float64 from one cast each: mixed-dtype ufuncs
        # run through numpy's buffered casting loops, 2-4x slower than either; the bounds of
        # maximum/minimum are arrays, as numpy's SIMD loops skip a scalar operand (2-4x slower)
        np.maximum(xb, lowest, out=xl)  # x = -inf -> -15: x Phi(x) is then -0, not -inf * 0; NaN stays
        np.multiply(xl, steps, out=s)  # exact: a power of two (inf beyond 4e34, clipped next)
        np.minimum(s, highest, out=s)  # 2048 clip(x, -15, 15)
        np.add(s, _GELU32_MAGIC, out=dd)  # rint(s) + 1.5 * 2^23, cheaper than rint and a float -> int cast
        np.subtract(dd, _GELU32_MAGIC, out=n)  # N = rint(s), exact
        bits = dd.view(np.int32)
        bits -= _GELU32_INDEX_BITS  # N + 30720 (NaN: some index; mode="wrap" keeps it in the table)
        idx[...] = bits
        p_table.take(idx, out=p, mode="wrap")
        q_table.take(idx, out=q, mode="wrap")
        np.subtract(s, n, out=dd)  # D = 2048 d, exact: |D| <= 1/2
        n *= dd
        n *= half  # -n d / 2
        if wants_derivative:
            np.multiply(n, np.float32(2 / _GELU32_SCALE), out=u)  # 2 h 2^-64, h = -n d / 2
        n += one  # 1 + h
        if wants_derivative:
            u *= n
            u += unscale  # (1 + 2 h (1 + h)) 2^-64 = (1 - n d + (n d)^2 / 2) 2^-64
            u *= s  # 2048 clip(x): 0 past |x| = 15, never inf * 0
            u *= q  # x phi(n) (1 - n d + (n d)^2 / 2) = x phi(x), rounded once into the subnormals if it is there
        n *= dd
        n *= q  # 2^64 Q d (1 - n d / 2)
        w[...] = n
        p += w  # 2^64 Phi(x)
        p *= 1 / _GELU32_SCALE  # Phi(x), exact
        if wants_derivative:
            db[...] = p
            db += u
        if wants_value:
            w[...] = xl
            p *= w
            yb[...] = p  # rounded once

    size = scratch_size(x, _GELU32_BLOCK)
    scratch = [np.full(size, -_GELU32_END, np.float32), np.full(size, _GELU32_NODES, np.float32)]
    scratch += [np.empty(size, np.float32) for _ in range(6)] + [np.empty(size, np.intp)]
    scratch += [np.empty(size) for _ in range(2)]
    # 2048 x beyond float32 is inf, clipped to the table's end; the float32 products of x phi(x) may pass
    # through the subnormals on the way to a normal result (2^-64 * 2048 x for x = 1e-30), and results
    # round into them as documented: neither must raise where np.seterr(all="raise") is in force
    with np.errstate(over="ignore", under="ignore"):
        in_blocks(x, (result, derivative), scratch, work, block=_GELU32_BLOCK)
