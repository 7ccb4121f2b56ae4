"""The main job end to end: `python -m nnlite minimal-model` wall time, and the cost of `import nnlite`.

Each repeat is a fresh interpreter (so imports count, as for a user), run
from the repository root into a temporary folder; the table gives min,
median and max over the repeats and the load average before and after,
because on a shared machine the load moves these numbers by 2-3x. The
figures are also timed in one process against the plotting module of
commit bba873c (constrained layout, one artist per bin edge), loaded from
git history, drawing the same results in turns: the ratio of CPU times
old/new is the number that survives a loaded machine.

Measured at that commit on a quiet machine (load average 0.2), the command
took 2.11-2.37 s over three runs and `import nnlite` 0.35 s, 0.24 s of it
in matplotlib.

    python benchmarks/figures.py                 # 7 repeats
    python benchmarks/figures.py --repeats 3 --json figures.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEFORE = {"minimal_model_s": [2.37, 2.11, 2.13], "import_s": 0.35, "commit": "bba873c"}


def _wall(command: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _stats(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def _plotting_before():
    """nnlite.plotting as it was at BEFORE["commit"], or None where git or that commit is missing."""
    try:
        source = subprocess.run(["git", "show", f"{BEFORE['commit']}:nnlite/plotting.py"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = os.path.join(tempfile.mkdtemp(), "plotting_before.py")
    with open(path, "w") as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location("nnlite.plotting_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _in_process(repeats: int) -> dict[str, float]:
    """Computing once, then drawing + saving the figures with the current and the old plotting module in turns."""
    sys.path.insert(0, ROOT)
    import nnlite
    from nnlite.experiments.minimal_model import run_minimal_model, write_minimal_model

    start = time.perf_counter()
    results = run_minimal_model()
    compute_s = time.perf_counter() - start
    modules = {"new": nnlite.plotting, "old": _plotting_before()}
    cpu = {name: [] for name, module in modules.items() if module is not None}
    with tempfile.TemporaryDirectory() as out:
        for _ in range(repeats + 1):  # the first round warms fonts and caches and is dropped
            for name in cpu:
                nnlite.plotting = modules[name]  # what write_minimal_model's `from .. import plotting` finds
                began = time.process_time()
                write_minimal_model(results, out)
                cpu[name].append(time.process_time() - began)
    nnlite.plotting = modules["new"]
    split = {"compute_s": compute_s, "figures_new_cpu_s": _stats(cpu["new"][1:])}
    if "old" in cpu:
        split["figures_old_cpu_s"] = _stats(cpu["old"][1:])
        split["old_over_new"] = _stats([o / n for o, n in zip(cpu["old"][1:], cpu["new"][1:])])
    return split


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="fresh-interpreter runs of each (default 7)")
    parser.add_argument("--json", help="also write the results to this JSON file (default: none)")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "nnlite", "minimal-model", "--out", out]
        runs = [_wall(command, ROOT) for _ in range(args.repeats)]
    imports = [_wall([sys.executable, "-c", "import nnlite"], ROOT) for _ in range(args.repeats)]
    bare = [_wall([sys.executable, "-c", "pass"], ROOT) for _ in range(args.repeats)]
    probe = subprocess.run([sys.executable, "-c", "import sys, nnlite; print('matplotlib' in sys.modules)"],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    split = _in_process(args.repeats)
    load_after = os.getloadavg()[0]

    result = {
        "minimal_model_s": _stats(runs),
        "import_nnlite_s": _stats(imports),
        "python_startup_s": _stats(bare),
        "import_loads_matplotlib": probe == "True",
        "in_process": split,
        "load_average_1min": {"before": load_before, "after": load_after, "cores": os.cpu_count()},
        "before": BEFORE,
    }
    mm, imp = result["minimal_model_s"], result["import_nnlite_s"]
    print(f"nnlite minimal-model, {args.repeats} fresh runs: min {mm['min']:.2f} s, median {mm['median']:.2f} s, "
          f"max {mm['max']:.2f} s (recorded at {BEFORE['commit']} in an earlier session: "
          f"{min(BEFORE['minimal_model_s']):.2f}-{max(BEFORE['minimal_model_s']):.2f} s, on that day's "
          f"machine: not a baseline of this run)")
    print(f"python -c 'import nnlite': median {imp['median']:.2f} s "
          f"(python alone {result['python_startup_s']['median']:.2f} s); "
          f"matplotlib imported: {result['import_loads_matplotlib']}")
    fig_new = split["figures_new_cpu_s"]
    print(f"in one process: computing {split['compute_s']:.2f} s; the eight figures {fig_new['median']:.2f} s CPU")
    if "old_over_new" in split:
        ratio = split["old_over_new"]
        print(f"  old plotting ({BEFORE['commit']}) / current, CPU time of the same figures in turns: "
              f"min {ratio['min']:.2f}x, median {ratio['median']:.2f}x, max {ratio['max']:.2f}x")
    print(f"load average {load_before:.1f} before, {load_after:.1f} after, on {os.cpu_count()} cores: "
          "a loaded machine is 2-3x slower")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
