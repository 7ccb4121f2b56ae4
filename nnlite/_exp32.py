"""exp and expm1 of float32 arrays in one pass of float32 ufuncs, for the ELU family.

numpy's float32 expm1 has no SIMD loop on AVX2 (about 25x the time of np.add)
and is off by up to 2.85 ulp where it has one (SVML, on AVX-512); its SIMD exp
is off by up to 2.3 ulp. Here both come from one range
reduction, evaluated in float32 on blocks that stay in cache:

    t = k ln2 + r,  k = rint(t / ln2),  |r| <= ln2 / 2
    p = expm1(r) = r + r^2 Q(r)          (Q of degree 5: tools/make_exp32_coefficients.py)
    exp(t)   = 2^k p + 2^k
    expm1(t) = 2^k p + (2^k - 1)         (2^k - 1 is exact: one rounding after the sum)

ln2 is split in two (Cody and Waite) so that k ln2_hi is exact. 2^k comes from
the bits: t / ln2 + 1.5 * 2^23 + 127 is rounded to an integer that sits in
the low mantissa bits, and shifted left by 23 those bits are the exponent
field of 2^k. Measured on every float32 in [-88, 0] against float64 libm (the two
worst confirmed with mpmath): expm1 within 0.859 ulp (at x = -0.36104187) and exp
within 0.952 ulp (at x = -5.846020); numpy's float32 expm1: 0.75 ulp (glibc), its exp: 2.3 ulp.
For t below -87 (where 2^k would be subnormal) exp is computed in float64.
"""

from __future__ import annotations

import numpy as np

from ._blocks import in_blocks, scratch_size

_Q = (0.5000000013358251, 0.16666666495110632, 0.04166646564296085, 0.008333373143514018,
      0.0013933590218809574, 0.00019849520138824)
_Q32 = tuple(np.float32(c) for c in _Q)
_LOG2E = np.float32(1.4426950408889634)
_LN2_HI = np.float32(0.693145751953125)  # 12 significant bits: k * _LN2_HI is exact for |k| <= 2^11
_LN2_LO = np.float32(1.428606765330187e-06)  # ln2 - _LN2_HI
_ROUND = np.float32(1.5 * 2**23 + 127)  # t / ln2 + this: rint(t / ln2) + 127 in the low mantissa bits
_LOWEST = np.float32(-87.0)  # 2^k stays a normal float32 (k >= -126) down to here
_ONE = np.float32(1)


def _exp_expm1(t: np.ndarray, expm1: np.ndarray, exp: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> None:
    """expm1(t) and exp(t) for a float32 block t in [-87, 0] (or NaN); w1 and w2 are scratch."""
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
    np.multiply(r, _Q32[5], out=w2)
    for c in _Q32[4:0:-1]:
        w2 += c
        w2 *= r
    w2 += _Q32[0]
    np.multiply(r, r, out=exp)
    w2 *= exp
    w2 += r  # p = expm1(r)
    w2 *= w1  # 2^k p, exact unless subnormal (k = -126: far below the result's ulp)
    np.add(w2, w1, out=exp)
    w1 -= _ONE  # 2^k - 1, exact
    np.add(w2, w1, out=expm1)


def elu_float32(x: np.ndarray, alpha: float, inner: float, slope: float,
                out: np.ndarray | None, dout: np.ndarray | None) -> None:
    """The ELU family and its derivative together, for a float32 array `x`:

        out  = slope * max(x, 0) + alpha * expm1(min(x, 0) / inner)
        dout = slope where x > 0, else (alpha / inner) * exp(x / inner)

    `out` and `dout` are float32 arrays of x's shape (any layout), or None for
    the one not wanted. Parameters are those a float32 can hold; for inner > 8,
    x / inner is subnormal near 0 and out loses digits there (the caller
    corrects those). Within 0.859 ulp (expm1) and 0.952 ulp (exp) before the
    products by alpha, slope and alpha / inner.
    """
    k = alpha / inner
    # alpha * expm1(x / inner) >= x for x <= 0 when 0 <= alpha and k <= 1 (it is convex with
    # slope k at 0): then max(x, alpha * expm1) is the whole function, one pass instead of three
    as_maximum = slope == 1 and 0 <= alpha and k <= 1
    k32, slope32, alpha32, inner32 = np.float32(k), np.float32(slope), np.float32(alpha), np.float32(inner)
    step = slope32 - k32
    exact_step = step + k32 == slope32  # k + (slope - k) rounds to slope
    zero = np.zeros(scratch_size(x), np.float32)  # an array bound: numpy's scalar maximum skips its SIMD loop
    # x at or below `lower` is clipped to it: x / inner there may round just above -87, so the
    # far-left elements are found from x itself
    lower = np.float32(max(float(_LOWEST) * inner, -float(np.finfo(np.float32).max)))

    def work(xb, yb, db, tb, w1, w2, mb):
        np.clip(xb, lower, 0, out=tb)
        if inner != 1:
            tb /= inner32
        _exp_expm1(tb, yb, db, w1, w2)
        if out is not None:
            if alpha != 1:
                yb *= alpha32
            if as_maximum:
                np.maximum(xb, yb, out=yb)
            else:
                np.maximum(xb, zero[:len(xb)], out=mb)
                if slope != 1:
                    mb *= slope32
                yb += mb
        if dout is not None:
            if k != 1 or slope != 1:
                _derivative_ends(xb, db, mb, w1, k32, slope32, step, exact_step)
            if np.fmin.reduce(xb, initial=np.inf) <= lower:  # fmin: a NaN must not hide an x of -inf
                _exp_far_left(xb, db, lower, k, inner)

    scratch = np.empty((4, scratch_size(x)), np.float32)
    # slope * x beyond float32 is inf, its rounding; r^2 or 2^k p may underflow harmlessly (for
    # x = -1e-30 or x < -87), which must not raise where np.seterr(all="raise") is in force
    with np.errstate(over="ignore", under="ignore"):
        in_blocks(x, (out, dout), scratch, work)


def _derivative_ends(xb: np.ndarray, db: np.ndarray, mb: np.ndarray, scratch: np.ndarray,
                     k: np.float32, slope: np.float32, step: np.float32, exact_step: bool) -> None:
    """db = exp(t) becomes k exp(t) where x <= 0 and slope where x > 0 (exp(t) = 1 there),
    by arithmetic on a 0/1 mask: np.where or a masked copy is several times slower."""
    np.greater(xb, 0, out=mb)
    db *= k
    if exact_step:  # SELU: k + (slope - k) is slope exactly
        mb *= step
        db += mb
        return
    np.multiply(mb, k, out=scratch)
    db -= scratch  # k - k = 0 where x > 0
    mb *= slope
    db += mb


def _exp_far_left(xb: np.ndarray, db: np.ndarray, lower: np.float32, k: float, inner: float) -> None:
    """Where x <= lower (x / inner <= -87), k exp(x / inner) in float64: 2^k would be
    subnormal in float32."""
    far = np.flatnonzero(xb <= lower)
    u = xb[far].astype(np.float64) / inner
    with np.errstate(under="ignore", over="ignore"):
        db[far] = k * np.exp(u)
