"""Every benchmark under one runner: prints each table and writes one JSON.

    python benchmarks/run.py                    # or: python -m benchmarks
    python benchmarks/run.py --quick            # smaller sizes, a minute or so
    python benchmarks/run.py --json bench.json  # default: benchmarks/results/benchmarks.json (git-ignored)

Activations (vs the bandwidth floor, tutorial numpy and PyTorch), training
(nnlite vs PyTorch vs scikit-learn on digits; skipped without scikit-learn),
entropy (vs the notebooks' per-row loop), the KDE bound (exact vs binned),
the information-plane training loop (vs a plain numpy loop), parallel runs
(n_jobs=1 vs 2; skipped without joblib and scikit-learn) and the main job's
wall time in fresh interpreters.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import activations, entropy, figures, information_plane, kde, parallel, training  # noqa: E402

DEFAULT_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "benchmarks.json")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e6 elements, 5 epochs, a 200-row large sweep")
    parser.add_argument("--json", default=DEFAULT_JSON,
                        help="where to write every result (default benchmarks/results/benchmarks.json, git-ignored)")
    args = parser.parse_args(argv)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)

    results = {"machine": activations.machine()}
    print("== activations")
    results["activations"] = activations.main(["--sizes", "1e6"] if args.quick else [])
    print("\n== entropy")
    results["entropy"] = entropy.main(["--large", "200"] if args.quick else [])
    print("\n== kde (exact / binned)")
    results["kde"] = kde.main(["--sizes", "1e3", "3e3"] if args.quick else [])
    print("\n== training")
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("scikit-learn not installed (the digits data): skipped; pip install -e '.[bench]'")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "training.json")
            training.main((["--epochs", "5", "--seeds", "0"] if args.quick else []) + ["--json", path])
            with open(path) as f:
                results["training"] = json.load(f)
    print("\n== information plane (Sequential.fit vs a plain numpy loop)")
    results["information_plane"] = information_plane.main(["--epochs", "30", "--repeats", "2"] if args.quick else [])
    print("\n== parallel (n_jobs=1 vs 2)")
    try:
        import joblib  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError:
        print("joblib or scikit-learn not installed: skipped; pip install -e '.[parallel,bench]'")
    else:
        results["parallel"] = parallel.main(["--epochs", "1", "--repeats", "2"] if args.quick else [])
    print("\n== the main job (nnlite minimal-model) and import time")
    results["figures"] = figures.main(["--repeats", "3"] if args.quick else [])
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)
    print(f"\nwrote {args.json}")
    return results


if __name__ == "__main__":
    main()
