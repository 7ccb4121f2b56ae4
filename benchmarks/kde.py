"""The Kolchinsky & Tracey KDE bound: method="exact" (every pair) vs method="binned" (FFT).

For the minimal model's 1-D samples T = f(w x), x ~ N(0, 1), noise variance 0.1,
this times `kde_mutual_information` both ways at several n, in the same
process, and reports min / median / max of the ratio exact / binned over the
repeats together with the difference of the two bounds (bits) and the
binned path's stated tolerance (1e-6 bits), and how method="auto" (the default)
did: its time over the faster of the two (1.0 when it picked the faster one;
its cost model is in `nnlite.information._binned_is_cheaper`). The timings are
ratios because the machine may be loaded; say so when quoting them.

    python benchmarks/kde.py                       # n = 300, 1e3, 3e3, 1e4
    python benchmarks/kde.py --sizes 1e3 1e4 3e4   # the exact path is O(n^2): 3e4 takes tens of seconds
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from nnlite.information import kde_mutual_information

CASES = {"tanh(3x)": lambda x: np.tanh(3 * x), "relu(x)": lambda x: np.maximum(0, x),
         "relu(5x)": lambda x: np.maximum(0, 5 * x), "relu(19.9x)": lambda x: np.maximum(0, 19.9 * x)}


def _seconds(function, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def compare(name: str, t: np.ndarray, repeats: int) -> dict:
    exact = kde_mutual_information(t, method="exact")
    binned = kde_mutual_information(t, method="binned")
    t_exact = _seconds(lambda: kde_mutual_information(t, method="exact"), repeats)
    t_binned = _seconds(lambda: kde_mutual_information(t, method="binned"), repeats)
    t_auto = _seconds(lambda: kde_mutual_information(t), repeats)
    ratios = np.array(t_exact) / np.array(t_binned)
    auto_over_best = float(np.median(t_auto) / min(np.median(t_exact), np.median(t_binned)))
    print(f"{name:<12} n = {len(t):>6}: exact {np.median(t_exact) * 1e3:9.1f} ms, binned "
          f"{np.median(t_binned) * 1e3:7.2f} ms, ratio min/median/max {ratios.min():6.1f} / "
          f"{np.median(ratios):6.1f} / {ratios.max():6.1f}; auto/faster {auto_over_best:4.2f}; "
          f"|difference| {abs(exact - binned):.1e} bits")
    return {"case": name, "n": len(t), "exact_s": t_exact, "binned_s": t_binned, "auto_s": t_auto,
            "ratio_min": float(ratios.min()), "ratio_median": float(np.median(ratios)),
            "ratio_max": float(ratios.max()), "auto_over_faster": auto_over_best, "exact_bits": exact,
            "binned_bits": binned, "difference_bits": abs(exact - binned), "tolerance_bits": 1e-6}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[3e2, 1e3, 3e3, 1e4], help="sample counts")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    rows = []
    for n in (int(v) for v in args.sizes):
        x = np.random.RandomState(0).standard_normal(n)
        for name, f in CASES.items():
            rows.append(compare(name, f(x), args.repeats))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return rows


if __name__ == "__main__":
    main()
