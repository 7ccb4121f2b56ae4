"""Largest errors of every activation against mpmath (50 digits), as a markdown table.

    python tools/activation_accuracy.py

Uses the references and grids of tests/test_activations_values.py (written
from the formulas, independent of nnlite). Columns:

- value f64 / f32: largest relative error of f(x) where |f(x)| is not tiny
  (>= 1e-300 in float64, >= 1e-35 in float32; tiny values compare absolutely
  in the tests), over ordinary points and extremes up to 1.7e308 / 3e38;
- f' f64 / f32: largest relative error of the derivative at ordinary points
  (where |f'| is not tiny), and in brackets the largest absolute error divided by
  max|f'| (the quantity the tests bound, see the test module's docstring).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import mpmath as mp
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("values", ROOT / "tests" / "test_activations_values.py")
values = importlib.util.module_from_spec(spec)
sys.modules["values"] = values
spec.loader.exec_module(values)

from nnlite import activations  # noqa: E402
from nnlite._special import erf, erfc  # noqa: E402


def value_rel(case, x):
    _, rel = values.value_errors(case, x)
    return rel.max()


def deriv(case, dtype):
    err, rel, ref, scale = values.derivative_errors(case, values.deriv_points(case), dtype)
    tiny = values.TINY32 if dtype == np.float32 else values.TINY64
    return rel[ref >= tiny].max(initial=0.0), err.max() / scale


def softmax_rel(kind, dtype):
    rows = values.SOFTMAX_ROWS + values.HUGE_ROWS[dtype]
    x = np.array(rows, dtype=dtype)
    got = activations.get(kind).forward(x)
    ref_row = values.ref_softmax_row if kind == "softmax" else values.ref_log_softmax_row
    tiny = values.TINY32 if dtype == np.float32 else values.TINY64
    worst = 0.0
    for rx, rg in zip(x.tolist(), got.tolist()):
        for g, r in zip(rg, ref_row(rx)):
            if tiny <= abs(r) <= np.finfo(dtype).max:
                worst = max(worst, float(abs(mp.mpf(g) - r) / abs(r)))
    return worst


def special_rel(fn, ref, x):
    worst = 0.0
    for xi, gi in zip(x.tolist(), fn(x).tolist()):
        r = ref(xi)
        if abs(r) >= np.finfo(np.float64).tiny:
            worst = max(worst, float(abs(mp.mpf(gi) - r) / abs(r)))
    return worst


def main() -> None:
    print("| activation | value f64 | value f32 | f' f64 rel (abs/max) | f' f32 rel (abs/max) |")
    print("|---|---|---|---|---|")
    for case in values.CASES:
        v64 = value_rel(case, values.GRID64)
        v32 = value_rel(case, values.GRID32)
        d64, a64 = deriv(case, np.float64)
        d32, a32 = deriv(case, np.float32)
        print(f"| {case} | {v64:.2g} | {v32:.2g} | {d64:.2g} ({a64:.2g}) | {d32:.2g} ({a32:.2g}) |")
    for kind in ("softmax", "log_softmax"):
        print(f"| {kind} (rows) | {softmax_rel(kind, np.float64):.2g} | {softmax_rel(kind, np.float32):.2g} "
              f"| JVP: gradcheck | JVP: gradcheck |")
    print("| maxout | exact | exact | gradcheck | gradcheck |")
    sys.path.insert(0, str(ROOT / "tests"))
    import test_special as ts

    grid = np.concatenate([ts.GRID, ts.TINY, ts.HUGE, -ts.HUGE, ts.EDGES, -ts.EDGES])
    print()
    print(f"erf  (float64, [-30, 30] step 0.01 plus tiny/huge/edges): {special_rel(erf, ts.ref_erf, grid):.2g}")
    print(f"erfc (float64, same points, normal results):              {special_rel(erfc, ts.ref_erfc, grid):.2g}")


if __name__ == "__main__":
    main()
