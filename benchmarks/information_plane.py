"""The information-plane experiment: training speed against a plain numpy loop, KDE memory, the quick run.

    python benchmarks/information_plane.py                 # training ratio, KDE memory and time, quick CLI run
    python benchmarks/information_plane.py --full          # also the default run (tanh and relu, 10000 epochs)
    python benchmarks/information_plane.py --json ip.json

1. Training: the 12-10-7-5-4-3-2 tanh network of Saxe et al. on the
   tishby_bits training split (3277 samples), Adam lr 4e-4, batch 256, trained
   for `--epochs` epochs by `Sequential.fit` and by the hand-written numpy loop
   below (same initial weights, same shuffles, same Adam arithmetic), the two
   alternated `--repeats` times in this process. Prints min/median/max of the
   time per epoch and the ratio of medians (target: Sequential <= 1.3x the
   plain loop), plus the largest weight difference after training (the two
   loops do the same arithmetic, so it stays at rounding level).
2. KDE bounds (upper, lower, with labels) on 4096 x 12: time and peak memory
   by tracemalloc (target < 100 MiB).
3. The quick variant through the CLI: `info-plane --epochs 300 --max-logged 8`
   with tanh and relu, in this process, one job (target < 20 s).
4. With --full: the default run, `info-plane --jobs 2` (target < 5 min on 2 cores).

Timings on a shared machine are noisy: compare the ratios, and say how loaded
the machine was (the load average is printed).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nnlite import cli, datasets, information  # noqa: E402
from nnlite.optimizers import Adam  # noqa: E402

ip = importlib.import_module("nnlite.experiments.information_plane")

HIDDEN, LR, BATCH = (10, 7, 5, 4, 3), 4e-4, 256


def plain_numpy_training(weights, biases, X, y, epochs, seed, lr=LR, batch_size=BATCH,
                         beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    """Adam on tanh hidden layers and a softmax cross-entropy output, written out by hand."""
    weights, biases = [w.copy() for w in weights], [b.copy() for b in biases]
    params = weights + biases
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    n, t = len(X), 0
    last = len(weights) - 1
    for epoch in range(epochs):
        order = np.random.default_rng([seed, epoch]).permutation(n)  # Sequential.fit's order for (seed, epoch)
        X_epoch, y_epoch = X[order], y[order]
        for start in range(0, n, batch_size):
            xb, yb = X_epoch[start:start + batch_size], y_epoch[start:start + batch_size]
            outputs = [xb]
            for k, (w, b) in enumerate(zip(weights, biases)):
                z = outputs[-1] @ w + b
                outputs.append(z if k == last else np.tanh(z))
            z = outputs[-1]
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(yb)), yb] -= 1
            delta = p / len(yb)
            grads_w, grads_b = [None] * len(weights), [None] * len(weights)
            for k in range(last, -1, -1):
                grads_w[k] = outputs[k].T @ delta
                grads_b[k] = delta.sum(axis=0, keepdims=True)
                if k:
                    delta = (delta @ weights[k].T) * (1 - outputs[k] ** 2)
            t += 1
            root = np.sqrt(1 - beta_2**t)
            step, eps_t = lr * root / (1 - beta_1**t), epsilon * root
            for p_, g, m_, v_ in zip(params, grads_w + grads_b, m, v):
                m_ *= beta_1
                m_ += (1 - beta_1) * g
                v_ *= beta_2
                v_ += (1 - beta_2) * g * g
                p_ -= step * m_ / (np.sqrt(v_) + eps_t)
    return weights, biases


def _stats(values):
    values = np.asarray(values)
    return {"min": float(values.min()), "median": float(np.median(values)), "max": float(values.max())}


def bench_training(epochs: int, repeats: int) -> dict:
    X, y = datasets.tishby_bits(seed=0)
    train, _ = ip._split(len(X), 0)
    X_train, y_train = np.ascontiguousarray(X[train]), y[train]
    plain_times, nnlite_times, differences = [], [], []
    for repeat in range(repeats):
        model = ip.build_information_plane_network(12, HIDDEN, 2, "tanh", np.random.default_rng([repeat, 1]))
        dense = model.layers[::2]
        w0, b0 = [d.weights.copy() for d in dense], [d.biases.copy() for d in dense]
        start = time.perf_counter()
        w_plain, _ = plain_numpy_training(w0, b0, X_train, y_train, epochs, seed=repeat)
        plain_times.append((time.perf_counter() - start) / epochs)
        start = time.perf_counter()
        model.fit(X_train, y_train, optimizer=Adam(LR), epochs=epochs, batch_size=BATCH, seed=repeat)
        nnlite_times.append((time.perf_counter() - start) / epochs)
        differences.append(max(float(np.abs(a - d.weights).max()) for a, d in zip(w_plain, dense)))
    out = {"epochs": epochs, "repeats": repeats, "plain_epoch_s": _stats(plain_times),
           "sequential_epoch_s": _stats(nnlite_times),
           "ratio_of_medians": float(np.median(nnlite_times) / np.median(plain_times)),
           "max_weight_difference": max(differences)}
    print(f"training {epochs} epochs x {repeats}: plain numpy {out['plain_epoch_s']['median'] * 1e3:.2f} ms/epoch "
          f"(min {out['plain_epoch_s']['min'] * 1e3:.2f}, max {out['plain_epoch_s']['max'] * 1e3:.2f}), "
          f"Sequential.fit {out['sequential_epoch_s']['median'] * 1e3:.2f} ms/epoch "
          f"(min {out['sequential_epoch_s']['min'] * 1e3:.2f}, max {out['sequential_epoch_s']['max'] * 1e3:.2f}); "
          f"ratio {out['ratio_of_medians']:.2f} (target <= 1.3); weights agree to {out['max_weight_difference']:.1e}")
    return out


def bench_kde(repeats: int) -> dict:
    t = np.tanh(np.random.default_rng(0).normal(size=(4096, 12)))
    labels = np.arange(4096) % 2
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        information.kde_bounds(t, labels)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    information.kde_bounds(t, labels)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    out = {"seconds": _stats(times), "peak_mib": peak / 2**20}
    print(f"KDE bounds on 4096 x 12 with labels: {out['seconds']['median']:.2f} s (median of {repeats}), "
          f"peak memory {out['peak_mib']:.1f} MiB (target < 100)")
    return out


def bench_cli(arguments: list[str], label: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        cli.main(["info-plane", *arguments, "--out", tmp])
        elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed:.1f} s")
    return elapsed


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300, help="training benchmark epochs (default 300)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also time the default 10000-epoch run (minutes)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    results = {"load_average": os.getloadavg()[0], "training": bench_training(args.epochs, args.repeats),
               "kde": bench_kde(args.repeats)}
    results["quick_cli_s"] = bench_cli(["--epochs", "300", "--max-logged", "8"], "quick run (target < 20 s)")
    if args.full:
        results["full_cli_s"] = bench_cli(["--jobs", "2"], "default run, 2 jobs (target < 300 s)")
    results["load_average_end"] = os.getloadavg()[0]
    print(f"load average at the end: {results['load_average_end']:.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()
