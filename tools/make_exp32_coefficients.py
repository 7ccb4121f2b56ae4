"""Print the polynomial Q of nnlite/_exp32.py: expm1(r) = r + r^2 Q(r) on |r| <= ln2 / 2.

Q (degree 5) is fitted by least squares in relative error on 4000 Chebyshev
nodes, against (expm1(r) - r) / r^2 computed with mpmath at 40 digits (run by
hand; mpmath is a test extra). Its relative error is 2.7e-9, well below
float32's 6e-8, and the r^2 Q tail is at most 0.19 of expm1(r).
"""

import mpmath as mp
import numpy as np

mp.mp.dps = 40
DEGREE = 5
NODES = 4000


def main():
    half = float(mp.log(2) / 2) * 1.0001  # a little beyond ln2 / 2: rounding of t / ln2 can reach it
    k = np.arange(NODES)
    r = half * np.cos(np.pi * (k + 0.5) / NODES)
    q = np.array([float((mp.expm1(mp.mpf(v)) - v) / mp.mpf(v) ** 2) for v in r])
    design = np.vander(r, DEGREE + 1, increasing=True) / q[:, None]
    coefs, *_ = np.linalg.lstsq(design, np.ones(NODES), rcond=None)
    print("relative error of Q:", float(np.abs(design @ coefs - 1).max()))
    print("_Q = (" + ", ".join(repr(float(c)) for c in coefs) + ")")


if __name__ == "__main__":
    main()
