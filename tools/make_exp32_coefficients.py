"""Print the polynomial Q of nnlite/_exp32.py: expm1(r) = r + r^2 Q(r) on |r| <= ln2 / 2.

Q (degree 4) is fitted on 3000 Chebyshev nodes against (expm1(r) - r) / r^2
computed with mpmath at 40 digits (run by hand; mpmath is a test extra), by
Lawson's iteration towards the smallest largest error weighted by what reaches
a float32 result: r^2 / |expm1(r)| for r < 0 (k = 0: the result is expm1(r)
itself) and r^2 / |2 - e^r| for r > 0 (there k <= -1, the worst case
k = -1). Its weighted error is 6.7e-9, and 8.9e-9 with the coefficients rounded
to float32 as the kernel holds them: a seventh of float32's 6e-8. Over every
float32 in [-88, 0] it gives expm1 within 0.939 ulp and exp within 0.989;
the degree-5 least-squares fit it replaced (one product and one sum more per
element) gave 0.859 and 0.952.
"""

import mpmath as mp
import numpy as np

mp.mp.dps = 40
DEGREE = 4
NODES = 3000
ITERATIONS = 200


def main():
    half = float(mp.log(2) / 2) * 1.0001  # a little beyond ln2 / 2: rounding of t / ln2 can reach it
    k = np.arange(NODES)
    r = half * np.cos(np.pi * (k + 0.5) / NODES)
    q = np.array([float((mp.expm1(mp.mpf(v)) - v) / mp.mpf(v) ** 2) for v in r])
    weight = np.where(r < 0, r**2 / np.abs(np.expm1(r)), r**2 / np.abs(2 - np.exp(r)))
    design = np.vander(r, DEGREE + 1, increasing=True)
    lawson = np.ones(NODES)
    for _ in range(ITERATIONS):
        root = np.sqrt(lawson) * weight
        coefs, *_ = np.linalg.lstsq(design * root[:, None], q * root, rcond=None)
        error = np.abs(design @ coefs - q) * weight
        lawson *= error
        lawson /= lawson.sum()
    print("largest weighted error of Q:", float(error.max()))
    rounded = coefs.astype(np.float32).astype(np.float64)
    print("with its coefficients rounded to float32:", float((np.abs(design @ rounded - q) * weight).max()))
    print("_Q = (" + ", ".join(repr(float(c)) for c in coefs) + ")")


if __name__ == "__main__":
    main()
