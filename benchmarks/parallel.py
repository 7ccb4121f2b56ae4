"""Parallel studies: n_jobs=1 against n_jobs=2 (loky worker processes), one process, same results.

Two studies, each timed serial and parallel in alternation (serial, parallel,
serial, ...) so both see the same machine load:

- the activation comparison on digits (8 activations x 3 seeds, one hidden
  layer of 128, `--epochs` epochs): 24 independent training runs;
- the minimal model: its sweeps (`run_minimal_model`, 13 runs) and its eight
  figures (`write_minimal_model`, drawn in workers that return PNG bytes).

The first parallel call also starts the worker processes (loky keeps them
for later calls); it is reported on its own ("cold"), and the min / median /
max below are over the later, warm calls. Ratio = serial median / parallel
median (above 1: parallel is faster). Every run uses one BLAS thread,
serial or not (see nnlite._parallel), so the ratio is what the workers
gain. Every parallel result is checked against the serial one: runs equal
apart from their wall times, PNG and JSON files byte for byte.

    python benchmarks/parallel.py                   # digits, 5 epochs, 3 repeats
    python benchmarks/parallel.py --epochs 2 --repeats 2 --samples 20000
    python benchmarks/parallel.py --json parallel.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nnlite.experiments import compare_activations  # noqa: E402
from nnlite.experiments.minimal_model import run_minimal_model, write_minimal_model  # noqa: E402

N_JOBS = 2


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def alternate(function, repeats: int) -> tuple[dict, object, object, object]:
    """Time function(1) and function(N_JOBS) `repeats` times each, in alternation, after one cold
    parallel call; return the statistics and the last serial, last parallel and cold results."""
    cold, first = timed(function, N_JOBS)
    times = {1: [], N_JOBS: []}
    results = {}
    for _ in range(repeats):
        for n_jobs in times:
            seconds, results[n_jobs] = timed(function, n_jobs)
            times[n_jobs].append(seconds)
    stats = {"serial_s": summary(times[1]), "parallel_s": summary(times[N_JOBS]), "parallel_cold_s": cold}
    stats["ratio"] = stats["serial_s"]["median"] / stats["parallel_s"]["median"]
    return stats, results[1], results[N_JOBS], first


def summary(times: list[float]) -> dict:
    return {"min": min(times), "median": float(np.median(times)), "max": max(times)}


def show(name: str, stats: dict, identical: bool) -> None:
    print(f"{name}")
    for label, key in (("n_jobs=1", "serial_s"), (f"n_jobs={N_JOBS} (warm)", "parallel_s")):
        t = stats[key]
        print(f"  {label:<16}{t['min']:7.2f} / {t['median']:7.2f} / {t['max']:7.2f} s (min / median / max)")
    print(f"  n_jobs={N_JOBS} (cold) {stats['parallel_cold_s']:7.2f} s (workers started)")
    print(f"  ratio {stats['ratio']:.2f}x; identical results: {identical}")


def without_wall_time(results) -> list:
    return [dataclasses.replace(run, wall_time=0.0) for run in results.runs]


def compare_study(epochs: int, repeats: int) -> dict:
    def study(n_jobs):
        return compare_activations("digits", epochs=epochs, n_jobs=n_jobs)

    stats, serial, parallel, cold = alternate(study, repeats)
    identical = without_wall_time(serial) == without_wall_time(parallel) == without_wall_time(cold)
    show(f"compare_activations: digits, 8 activations x 3 seeds, hidden 128, {epochs} epochs", stats, identical)
    return {**stats, "identical": identical, "epochs": epochs}


def minimal_model(samples: int, repeats: int) -> dict:
    out = {}

    def sweeps(n_jobs):
        return run_minimal_model(n_samples=samples, n_jobs=n_jobs)

    stats, serial, parallel, cold = alternate(sweeps, repeats)
    identical = serial.to_json() == parallel.to_json() == cold.to_json()
    show(f"minimal model sweeps (run_minimal_model), {samples} samples", stats, identical)
    out["sweeps"] = {**stats, "identical": identical, "samples": samples}

    with tempfile.TemporaryDirectory() as tmp:
        def figures(n_jobs):
            folder = Path(tmp) / f"jobs{n_jobs}"
            write_minimal_model(serial, folder, n_jobs=n_jobs)
            return {path.name: path.read_bytes() for path in folder.iterdir()}

        stats, serial_files, parallel_files, _ = alternate(figures, repeats)
    identical = serial_files == parallel_files
    show("minimal model figures (write_minimal_model), 8 PNGs + JSON", stats, identical)
    out["figures"] = {**stats, "identical": identical}
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs of each compare run (default 5)")
    parser.add_argument("--samples", type=int, default=1000, help="minimal-model samples (default 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per n_jobs (default 3)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    print(f"{os.cpu_count()} cores; timings are wall clock on a possibly shared machine")
    results = {"cores": os.cpu_count(), "n_jobs": N_JOBS,
               "compare": compare_study(args.epochs, args.repeats),
               "minimal_model": minimal_model(args.samples, args.repeats)}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
