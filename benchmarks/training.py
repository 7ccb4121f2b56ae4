"""Training speed and accuracy: nnlite vs PyTorch vs scikit-learn, one process.

The same network on the same data for each framework present (the absent
ones are skipped): scikit-learn's 8x8 digits, 75/25 split (random_state=0),
pixels / 16, a 64-128-10 ReLU MLP, softmax cross-entropy, Adam (lr 1e-3),
batch 32, float32, 30 epochs, seeds 0, 1, 2. Prints per framework the
median epoch time over the seeds, its ratio to PyTorch on one thread, the
test accuracy per seed and the median; then the same for the network with
BatchNorm and Dropout (64-128-BatchNorm-ReLU-Dropout(0.2)-10) in nnlite and
PyTorch; then nnlite's spiral check (3 classes x 100 points, training accuracy).

    python benchmarks/training.py                    # needs scikit-learn (the data); torch optional
    python benchmarks/training.py --epochs 5 --seeds 0
    python benchmarks/training.py --json results.json

Targets (issue 3): nnlite median test accuracy >= 96.5%; nnlite epoch time
<= 0.5x PyTorch on one thread (goal 0.3x) and below MLPClassifier's.
Issue 13: the BatchNorm + Dropout network's epoch <= 0.5x PyTorch's (1 thread).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np

import nnlite
from nnlite import Adam, BatchNorm, Dense, Dropout, ReLU, Sequential

HIDDEN, LR, BATCH, DROPOUT = 128, 1e-3, 32, 0.2


def digits_split():
    from sklearn.model_selection import train_test_split

    X, y = nnlite.datasets.load_digits()  # pixels / 16
    X_train, X_test, y_train, y_test = train_test_split(X.astype(np.float32), y, test_size=0.25, random_state=0)
    return X_train, X_test, y_train, y_test


def run_nnlite(data, seed, epochs, normalized=False):
    X_train, X_test, y_train, y_test = data
    middle = [BatchNorm(HIDDEN, dtype=np.float32), ReLU(), Dropout(DROPOUT, seed=seed)] if normalized else [ReLU()]
    model = Sequential([
        Dense(64, HIDDEN, seed=seed, dtype=np.float32), *middle, Dense(HIDDEN, 10, seed=seed + 100, dtype=np.float32),
    ])
    start = time.perf_counter()
    model.fit(X_train, y_train, loss="softmax_cross_entropy", optimizer=Adam(LR), epochs=epochs,
              batch_size=BATCH, seed=seed)
    elapsed = time.perf_counter() - start
    return elapsed / epochs, model.evaluate(X_test, y_test)["accuracy"]


def run_torch(data, seed, epochs, threads, normalized=False):
    import torch

    torch.set_num_threads(threads)
    X_train, X_test, y_train, y_test = (torch.from_numpy(np.ascontiguousarray(a)) for a in data)
    y_train = y_train.long()
    torch.manual_seed(seed)
    nn = torch.nn
    middle = [nn.BatchNorm1d(HIDDEN), nn.ReLU(), nn.Dropout(DROPOUT)] if normalized else [nn.ReLU()]
    model = nn.Sequential(nn.Linear(64, HIDDEN), *middle, nn.Linear(HIDDEN, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    n = len(X_train)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for i in range(0, n, BATCH):
            batch = order[i:i + BATCH]
            optimizer.zero_grad()
            loss_fn(model(X_train[batch]), y_train[batch]).backward()
            optimizer.step()
    elapsed = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        accuracy = float((model(X_test).argmax(dim=1) == y_test).float().mean())
    return elapsed / epochs, accuracy


def run_sklearn(data, seed, epochs):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X_train, X_test, y_train, y_test = data
    # alpha=0: no L2 penalty, the same objective as the others; no early stop, all epochs run.
    clf = MLPClassifier((HIDDEN,), solver="adam", learning_rate_init=LR, batch_size=BATCH, alpha=0.0,
                        max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, random_state=seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    elapsed = time.perf_counter() - start
    return elapsed / clf.n_iter_, clf.score(X_test, y_test)


def spiral_check(seed=0):
    X, y = nnlite.datasets.spiral(100, 3, seed=seed)
    model = Sequential([Dense(2, 64, seed=seed), ReLU(), Dense(64, 64, seed=seed + 1), ReLU(),
                        Dense(64, 3, seed=seed + 2)])
    model.fit(X, y, optimizer=Adam(0.02), epochs=600, batch_size=300, seed=seed)
    return model.evaluate(X, y)["accuracy"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--torch-threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    data = digits_split()
    runners = [("nnlite", lambda seed: run_nnlite(data, seed, args.epochs))]
    try:
        import torch  # noqa: F401

        has_torch = True
        for threads in args.torch_threads:
            runners.append((f"pytorch ({threads} thread{'s' if threads > 1 else ''})",
                            lambda seed, t=threads: run_torch(data, seed, args.epochs, t)))
    except ImportError:
        has_torch = False
        print("PyTorch not installed: skipped")
    runners.append(("scikit-learn MLPClassifier", lambda seed: run_sklearn(data, seed, args.epochs)))
    runners.append(("nnlite +BN+dropout", lambda seed: run_nnlite(data, seed, args.epochs, normalized=True)))
    if has_torch:
        runners.append(("pytorch +BN+dropout (1 thread)",
                        lambda seed: run_torch(data, seed, args.epochs, 1, normalized=True)))

    results = {}
    for name, run in runners:
        run(args.seeds[0])  # warm-up: imports, allocator, BLAS threads
        times, accuracies = zip(*(run(seed) for seed in args.seeds))
        results[name] = {"epoch_ms": 1000 * float(np.median(times)), "accuracy": [float(a) for a in accuracies]}

    reference = results.get("pytorch (1 thread)", {}).get("epoch_ms")
    print(f"digits, 64-{HIDDEN}-10 ReLU MLP, Adam lr {LR:g}, batch {BATCH}, float32, {args.epochs} epochs, "
          f"seeds {args.seeds}; {len(data[0])} train / {len(data[1])} test samples")
    print(f"{'framework':30s} {'epoch ms':>9s} {'vs torch-1':>10s} {'vs nnlite':>9s}  test accuracy per seed (median)"
          f"\n(+BN+dropout rows: 64-{HIDDEN}-BatchNorm-ReLU-Dropout({DROPOUT})-10, 'vs torch-1' against the same "
          f"network in PyTorch)")
    for name, r in results.items():
        baseline = results.get("pytorch +BN+dropout (1 thread)", {}).get("epoch_ms") if "BN" in name else reference
        ratio = f"{r['epoch_ms'] / baseline:.2f}x" if baseline else "-"
        own = results["nnlite +BN+dropout" if "BN" in name else "nnlite"]["epoch_ms"]
        vs_nnlite = f"{r['epoch_ms'] / own:.2f}x"
        accs = " ".join(f"{a:.4f}" for a in r["accuracy"])
        print(f"{name:30s} {r['epoch_ms']:9.2f} {ratio:>10s} {vs_nnlite:>9s}  {accs} ({np.median(r['accuracy']):.4f})")
    spiral = spiral_check()
    print(f"spiral (3 classes x 100, 2-64-64-3 ReLU, Adam 0.02, full batch, 600 epochs): "
          f"training accuracy {spiral:.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"epochs": args.epochs, "seeds": args.seeds, "results": results, "spiral_accuracy": spiral},
                      f, indent=2)


if __name__ == "__main__":
    main()
