"""Per-row binned entropy: `nnlite.information.entropy` vs the notebooks' loop.

The minimal-model notebooks compute I(X;T) = H(T) one weight at a time:

    for row in T: H.append(scipy.stats.entropy(np.histogram(row, 50)[0], base=2))

This script times that loop (with the entropy written in numpy, the same
formula as scipy.stats.entropy, and with scipy.stats.entropy itself when scipy
is installed) against nnlite's vectorised `entropy(T, 50)` on

- the notebook's own sweep: 199 weights x 1000 samples (tanh(w x));
- a large sweep: 2000 x 100000 standard-normal rows (1.6 GB of float64),
  where np.histogram is already efficient per row and nnlite must still win
  while keeping its extra memory bounded (peak measured with tracemalloc).

Best of several repeats; it checks that the values are identical.

    python benchmarks/entropy.py                # both sizes
    python benchmarks/entropy.py --large 200    # a smaller large sweep (200 x 100000)
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc

import numpy as np

from nnlite.information import entropy

BINS = 50


def loop_numpy(t: np.ndarray) -> np.ndarray:
    """The notebook loop with scipy.stats.entropy's formula in numpy: p = n / N, -sum p log p / log 2."""
    out = np.empty(len(t))
    for i, row in enumerate(t):
        counts = np.histogram(row, BINS)[0]
        p = counts / counts.sum()
        logp = np.log(p, out=np.zeros_like(p), where=counts > 0)
        out[i] = -np.sum(p * logp) / np.log(2)
    return out


def loop_scipy(t: np.ndarray) -> np.ndarray | None:
    try:
        from scipy.stats import entropy as scipy_entropy
    except ImportError:
        return None
    return np.array([scipy_entropy(np.histogram(row, BINS)[0], base=2) for row in t])


def best_time(function, t: np.ndarray, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function(t)
        best = min(best, time.perf_counter() - start)
    return best


def compare(name: str, t: np.ndarray, repeats: int) -> dict:
    ours = entropy(t, BINS)
    reference = loop_numpy(t)
    t_ours = best_time(lambda a: entropy(a, BINS), t, repeats)
    t_loop = best_time(loop_numpy, t, repeats)
    print(f"{name}: {t.shape[0]} x {t.shape[1]} {t.dtype}")
    print(f"  nnlite entropy                         {t_ours * 1e3:9.2f} ms")
    print(f"  loop np.histogram + numpy entropy      {t_loop * 1e3:9.2f} ms   ratio {t_loop / t_ours:5.1f}x   "
          f"identical: {np.array_equal(ours, reference)} (max diff {np.abs(ours - reference).max():.1e})")
    if loop_scipy(t[:2]) is not None:
        t_scipy = best_time(loop_scipy, t, max(1, repeats // 2))
        diff = np.abs(ours - loop_scipy(t)).max()
        print(f"  loop np.histogram + scipy.stats.entropy{t_scipy * 1e3:9.2f} ms   ratio {t_scipy / t_ours:5.1f}x   "
              f"max diff {diff:.1e}")
    tracemalloc.start()
    entropy(t, BINS)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  nnlite peak extra memory {peak / 2**20:.1f} MiB (the samples: {t.nbytes / 2**20:.0f} MiB)")
    row = {"case": name, "shape": list(t.shape), "nnlite_s": t_ours, "loop_numpy_s": t_loop,
           "identical": bool(np.array_equal(ours, reference)), "peak_extra_bytes": peak}
    if loop_scipy(t[:2]) is not None:
        row["loop_scipy_s"] = t_scipy
    return row


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=2000, help="rows of the large sweep (0 to skip)")
    parser.add_argument("--samples", type=int, default=100_000, help="samples per row of the large sweep")
    parser.add_argument("--repeats", type=int, default=20, help="repeats of the small sweep (large: 3)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    x = np.random.RandomState(0).standard_normal(1000)
    weights = np.arange(0.1, 20, 0.1)
    rows = [compare("notebook sweep, tanh(w x)", np.tanh(np.outer(weights, x)), args.repeats)]
    if args.large:
        t = np.random.default_rng(0).standard_normal((args.large, args.samples))
        rows.append(compare("large sweep", t, 3))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return rows


if __name__ == "__main__":
    main()
