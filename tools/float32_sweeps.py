"""The worst errors of nnlite's float32 kernels over every float32 in their range.

    python tools/float32_sweeps.py elu      # nnlite._exp32, alpha = inner = slope = 1: expm1 and exp
    python tools/float32_sweeps.py selu     # the same kernel with SELU's constants
    python tools/float32_sweeps.py gelu     # nnlite._special.gelu_float32: f and f' (needs scipy)

The bounds in the docstrings of nnlite/_exp32.py and nnlite/_special.py (and the
worst points in the tests) come from these sweeps: every float32 in [-88, 0]
for the ELU family (1.1e9 values, about 2 minutes on the 2-core test machine),
every float32 in [-16, 16] for GELU (2.2e9 values, about 5 minutes). The
references are float64 libm (np.expm1, np.exp) and scipy.special.ndtr, about
1e-16 relative, so exact at float32's scale; confirm the worst points printed
with mpmath before quoting them. Errors are in ulps of the float32 rounding of
the reference (its subnormal spacing at least); GELU's f' is in units of
2^-24 max(Phi(x), |x| phi(x)), as f' cancels to 0 at x = -0.75, and in
subnormal spacings where that maximum is subnormal.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from nnlite._exp32 import elu_float32
from nnlite._special import gelu_float32

CHUNK = 1 << 23
SELU = (1.6732632423543772848170429916717 * 1.0507009873554804934193349852946, 1.0507009873554804934193349852946)


def _floats(low: float, high: float):
    """Every float32 in [low, high] with low <= 0 <= high, in chunks."""
    for sign, end in ((0x80000000, -low), (0, high)):
        top = int(np.array([end], np.float32).view(np.uint32)[0])
        for start in range(0, top + 1, CHUNK):
            bits = np.arange(start, min(start + CHUNK, top + 1), dtype=np.uint64) + sign
            yield bits.astype(np.uint32).view(np.float32)


def _ulps(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    spacing = np.maximum(np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64), 2.0**-149)
    return np.abs(got - ref) / spacing


def _track(worst: dict, key: str, errors: np.ndarray, x: np.ndarray) -> None:
    i = int(np.argmax(errors))
    if errors[i] > worst.get(key, (-1.0, 0.0))[0]:
        worst[key] = (float(errors[i]), float(x[i]))


def sweep_elu(alpha: float, slope: float) -> dict:
    worst: dict = {}
    for x in _floats(-88.0, 0.0):
        y, d = np.empty_like(x), np.empty_like(x)
        elu_float32(x, alpha, 1.0, slope, y, d)
        x64 = x.astype(np.float64)
        with np.errstate(under="ignore"):
            _track(worst, "f", _ulps(y, alpha * np.expm1(x64)), x)
            _track(worst, "f'", _ulps(d, alpha * np.exp(x64)), x)
    return worst


def sweep_gelu() -> dict:
    try:
        from scipy.special import ndtr
    except ImportError:
        sys.exit("the GELU sweep needs scipy: pip install scipy")
    worst: dict = {}
    density = 1 / math.sqrt(2 * math.pi)
    for x in _floats(-16.0, 16.0):
        d = np.empty_like(x)
        y = gelu_float32(x, derivative=d)
        x64 = x.astype(np.float64)
        cdf, x_pdf = ndtr(x64), x64 * density * np.exp(-0.5 * x64 * x64)
        _track(worst, "f", _ulps(y, x64 * cdf), x)
        larger = np.maximum(cdf, np.abs(x_pdf))
        error = np.abs(d - (cdf + x_pdf))
        normal = larger >= np.finfo(np.float32).tiny
        _track(worst, "f' (units of its larger term)", np.where(normal, error / (larger * 2.0**-24), 0), x)
        _track(worst, "f' (subnormal spacings)", np.where(normal, 0, error / 2.0**-149), x)
    return worst


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    sweeps = {"elu": lambda: sweep_elu(1.0, 1.0), "selu": lambda: sweep_elu(*SELU), "gelu": sweep_gelu}
    if which not in sweeps:
        sys.exit(__doc__)
    for key, (error, x) in sweeps[which]().items():
        print(f"{which} {key}: {error:.4f} at x = {x!r}")


if __name__ == "__main__":
    main()
