"""exp and expm1 of float32 arrays in one pass of float32 ufuncs, for the ELU family.

numpy's float32 expm1 has no SIMD loop on AVX2 (about 25x the time of np.add)
and is off by up to 2.85 ulp where it has one (SVML, on AVX-512); its SIMD exp
is off by up to 2.3 ulp. Here both come from one range
reduction, evaluated in float32 on blocks that stay in cache:

    t = k ln2 + r,  k = rint(t / ln2),  |r| <= ln2 / 2
    p = expm1(r) = r + r^2 Q(r)          (Q of degree 4: tools/make_exp32_coefficients.py)
    exp(t)   = 2^k p + 2^k
    expm1(t) = 2^k p + (2^k - 1)         (2^k - 1 is exact: one rounding after the sum)

ln2 is split in two (Cody and Waite) so that k ln2_hi is exact. 2^k comes from
the bits: t / ln2 + 1.5 * 2^23 + 127 is rounded to an integer that sits in
the low mantissa bits, and shifted left by 23 those bits are the exponent
field of 2^k. Where the results are alpha expm1(t) and alpha exp(t) with
|alpha| >= 1 (SELU, ELU with such an alpha), alpha goes into the power of two,
S = alpha 2^k (exact: k <= 0, and |S| >= 2^-126 is no subnormal):

    alpha exp(t)   = S p + S
    alpha expm1(t) = S p + (S - alpha)

one product fewer than scaling both results (a smaller |alpha| would make S
subnormal far left and round f' there three times instead of once). Measured
on every float32 in [-88, 0] against float64 libm (`tools/float32_sweeps.py`,
the worst confirmed with mpmath): expm1 within
0.939 ulp (at x = -0.28212485) and exp within 0.989 ulp (at x = -5.8533711);
SELU's f within 1.788 ulp (at x = -0.33136976) and f' within 1.296 ulp (at
x = -5.8833666). numpy's float32 expm1: 0.75 ulp (glibc), its exp: 2.3 ulp.
Below t = -87 (where 2^k would be subnormal) both results are computed again
in float64, for the few elements there.
"""

from __future__ import annotations

import numpy as np

from ._blocks import in_blocks, scratch_size

_Q = (0.4999998256810155, 0.16666516102958437, 0.04167059657452101, 0.008369150519756379,
      0.0013706692542757083)
_Q32 = tuple(np.float32(c) for c in _Q)
_LOG2E = np.float32(1.4426950408889634)
_LN2_HI = np.float32(0.693145751953125)  # 12 significant bits: k * _LN2_HI is exact for |k| <= 2^11
_LN2_LO = np.float32(1.428606765330187e-06)  # ln2 - _LN2_HI
_ROUND = np.float32(1.5 * 2**23 + 127)  # t / ln2 + this: rint(t / ln2) + 127 in the low mantissa bits
_LOWEST = np.float32(-87.0)  # 2^k stays a normal float32 (k >= -126) down to here
_ONE = np.float32(1)
# 32768 elements: the eight block arrays of 128 KB stay in the 2 MB L2 cache of the AVX-512 test machine;
# SELU forward + backward at 1e7 took 52.3-52.7 ms against 53.5-53.7 with 65536 and 52.9-53.3 with 16384
# (2026-12-01; ELU 44.0 against 44.2-44.8): a shallow optimum
_BLOCK = 32768


def _exp_expm1(t: np.ndarray, scale: np.float32, expm1: np.ndarray, exp: np.ndarray,
               w1: np.ndarray, w2: np.ndarray) -> None:
    """scale * expm1(t) and scale * exp(t) for a float32 block t <= 0 (or NaN) and |scale| >= 1;
    w1 and w2 are scratch. Below t = -87 the results are garbage (2^k is no normal float32):
    the caller recomputes those elements."""
    np.multiply(t, _LOG2E, out=w1)
    w1 += _ROUND
    np.subtract(w1, _ROUND, out=w2)  # k, exact
    np.multiply(w2, _LN2_HI, out=expm1)
    np.subtract(t, expm1, out=expm1)  # t - k ln2_hi, exact
    w2 *= _LN2_LO
    expm1 -= w2  # r
    bits = w1.view(np.int32)
    np.left_shift(bits, 23, out=bits)  # w1 = 2^k
    r = expm1
    np.multiply(r, _Q32[-1], out=w2)
    for c in _Q32[-2:0:-1]:
        w2 += c
        w2 *= r
    w2 += _Q32[0]
    np.multiply(r, r, out=exp)
    w2 *= exp
    w2 += r  # p = expm1(r)
    if scale != 1:
        w1 *= scale  # S = scale 2^k, exact
    w2 *= w1  # S p, exact for scale 1 unless subnormal (k = -126: far below the result's ulp)
    np.add(w2, w1, out=exp)
    w1 -= scale  # S - scale: exact for scale 1 (2^k - 1), else rounded once
    np.add(w2, w1, out=expm1)


def elu_float32(x: np.ndarray, alpha: float, inner: float, slope: float,
                out: np.ndarray | None, dout: np.ndarray | None) -> None:
    """The ELU family and its derivative together, for a float32 array `x`:

        out  = slope * max(x, 0) + alpha * expm1(min(x, 0) / inner)
        dout = slope where x > 0, else (alpha / inner) * exp(x / inner)

    `out` and `dout` are float32 arrays of x's shape (any layout), or None for
    the one not wanted. Parameters are those a float32 can hold; for inner > 8,
    x / inner is subnormal near 0 and out loses digits there (the caller
    corrects those). Within 0.939 ulp (expm1) and 0.989 ulp (exp) for alpha = inner
    = slope = 1; other parameters add the rounding of their products (see the module docstring).
    """
    k = alpha / inner
    # alpha * expm1(x / inner) >= x for x <= 0 when 0 <= alpha and k <= 1 (it is convex with
    # slope k at 0): then max(x, alpha * expm1) is the whole function, one pass instead of three
    as_maximum = slope == 1 and 0 <= alpha and k <= 1
    k32, slope32, alpha32, inner32 = np.float32(k), np.float32(slope), np.float32(alpha), np.float32(inner)
    # for inner = 1 both results carry the factor alpha = k: it goes into 2^k (see the module docstring)
    scale = alpha32 if inner == 1 and abs(alpha32) >= 1 else _ONE
    step = slope32 - k32
    exact_step = step + k32 == slope32  # k + (slope - k) rounds to slope
    zero = np.zeros(scratch_size(x, _BLOCK), np.float32)  # an array bound: numpy's scalar maximum skips its SIMD loop
    # x / inner at or below -87 (found from x: x / inner may round just above -87 there) is
    # computed again in float64; np.minimum leaves such x unclipped (a third of a pass cheaper than np.clip)
    lower = np.float32(max(float(_LOWEST) * inner, -float(np.finfo(np.float32).max)))

    def work(xb, yb, db, tb, w1, w2, mb):
        np.minimum(xb, zero[:len(xb)], out=tb)
        if inner != 1:
            tb /= inner32
        _exp_expm1(tb, scale, yb, db, w1, w2)
        if out is not None:
            if alpha32 != scale:
                yb *= alpha32
            if as_maximum:
                np.maximum(xb, yb, out=yb)
            else:
                np.maximum(xb, zero[:len(xb)], out=mb)
                if slope != 1:
                    mb *= slope32
                yb += mb
        if dout is not None:
            if k32 != scale:
                db *= k32
            if k32 != slope32:  # d is k exactly where x > 0 (exp(0) = 1): there it becomes slope
                _derivative_ends(xb, db, mb, w1, k32, slope32, step, exact_step)
        if np.fmin.reduce(xb, initial=np.inf) <= lower:  # fmin: a NaN must not hide an x of -inf
            _far_left(xb, yb if out is not None else None, db if dout is not None else None,
                      lower, alpha, inner)

    scratch = np.empty((4, scratch_size(x, _BLOCK)), np.float32)
    # slope * x beyond float32 is inf, its rounding; r^2 or S p may underflow harmlessly (for
    # x = -1e-30 or x < -87), and an unclipped x below -87 makes inf - inf: the far-left
    # elements are recomputed. None of it must raise where np.seterr(all="raise") is in force
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        in_blocks(x, (out, dout), scratch, work, block=_BLOCK)


def _derivative_ends(xb: np.ndarray, db: np.ndarray, mb: np.ndarray, scratch: np.ndarray,
                     k: np.float32, slope: np.float32, step: np.float32, exact_step: bool) -> None:
    """db = k exp(t) becomes slope where x > 0 (db = k there, exp(0) = 1), by arithmetic on a
    0/1 mask: np.where or a masked copy is several times slower."""
    np.greater(xb, 0, out=mb)
    if exact_step:  # SELU: k + (slope - k) is slope exactly
        mb *= step
        db += mb
        return
    np.multiply(mb, k, out=scratch)
    db -= scratch  # k - k = 0 where x > 0
    mb *= slope
    db += mb


def _far_left(xb: np.ndarray, yb: np.ndarray | None, db: np.ndarray | None, lower: np.float32,
              alpha: float, inner: float) -> None:
    """Where x <= lower (x / inner <= -87), alpha expm1(x / inner) and (alpha / inner)
    exp(x / inner) in float64: 2^k would be subnormal in float32, and x was not clipped."""
    far = np.flatnonzero(xb <= lower)
    u = xb[far].astype(np.float64) / inner
    with np.errstate(under="ignore", over="ignore"):
        if yb is not None:
            yb[far] = alpha * np.expm1(u)
        if db is not None:
            db[far] = alpha / inner * np.exp(u)
