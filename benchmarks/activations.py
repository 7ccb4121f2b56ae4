"""Activation speed: nnlite vs the tutorial-style numpy code vs PyTorch autograd.

For every registered activation (and any extra names given on the command
line, after `--import MODULE` registered them), times forward and
forward+backward on standard-normal inputs with `reuse_buffers` on (as in
`Sequential.fit`), after a warm-up, next to the memory-bandwidth floor
`np.add(x, 1, out=y)` on the same array. Every figure is the min / median /
max of `--repeats` runs in this process, so a loaded machine shows as spread;
ratios are of medians. Columns: nnlite forward+backward against the floor,
against an older revision of nnlite (`--baseline REV`, checked out with git
archive and imported as a separate package), and against PyTorch autograd
(`--threads`, 1 by default so that both sides use one core).

    python -m benchmarks.activations                 # 1e6 and 1e7, float32 and float64
    python -m benchmarks.activations --sizes 1e7 --dtypes float32 --baseline bba873c elu gelu
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import nnlite

ALPHA = 0.01  # leaky_relu, PyTorch's default
SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sig(x):
    return 1 / (1 + np.exp(-x))


# The forms found in tutorials and notebooks: (forward(x), backward(x, y, dvalues)).
TUTORIAL = {
    "relu": (lambda x: np.maximum(0, x), None),
    "leaky_relu": (lambda x: np.where(x > 0, x, x * ALPHA), None),
    "relu6": (lambda x: np.minimum(np.maximum(0, x), 6), None),
    "linear": (lambda x: x, lambda x, y, d: d.copy()),
    "step": (lambda x: np.where(x > 0, 1.0, 0.0).astype(x.dtype), lambda x, y, d: np.zeros_like(d)),
    "hard_sigmoid": (lambda x: np.clip(0.2 * x + 0.5, 0, 1), None),
    "hard_tanh": (lambda x: np.clip(x, -1, 1), None),
    "sigmoid": (_sig, lambda x, y, d: d * (1 - y) * y),
    "tanh": (np.tanh, lambda x, y, d: d * (1 - y ** 2)),
    "softplus": (lambda x: np.log(1 + np.exp(x)), lambda x, y, d: d * _sig(x)),
    "softsign": (lambda x: x / (1 + np.abs(x)), lambda x, y, d: d / (1 + np.abs(x)) ** 2),
    "elu": (lambda x: np.where(x > 0, x, np.exp(x) - 1), lambda x, y, d: d * np.where(x > 0, 1, y + 1)),
    "selu": (lambda x: SELU_S * np.where(x > 0, x, SELU_A * (np.exp(x) - 1)),
             lambda x, y, d: d * SELU_S * np.where(x > 0, 1, SELU_A * np.exp(x))),
    "swish": (lambda x: x * _sig(x), lambda x, y, d: d * (y + _sig(x) * (1 - y))),
    "gaussian": (lambda x: np.exp(-x ** 2), lambda x, y, d: d * -2 * x * y),
    "mish": (lambda x: x * np.tanh(np.log(1 + np.exp(x))),
             lambda x, y, d: d * (np.tanh(np.log(1 + np.exp(x)))
                                  + x * _sig(x) * (1 - np.tanh(np.log(1 + np.exp(x))) ** 2))),
}


def _masked_backward(lo, hi, slope=1.0):
    """The tutorial backward of a piecewise-linear unit: copy, then boolean-index assignment."""
    def backward(x, y, d):
        dinputs = d.copy() * slope
        dinputs[(x <= lo) | (x >= hi)] = 0
        return dinputs
    return backward


def _leaky_backward(x, y, d):
    dinputs = d.copy()
    dinputs[x <= 0] *= ALPHA
    return dinputs


for _name, _bwd in {"relu": _masked_backward(0, math.inf), "relu6": _masked_backward(0, 6),
                    "hard_sigmoid": _masked_backward(-2.5, 2.5, 0.2), "hard_tanh": _masked_backward(-1, 1),
                    "leaky_relu": _leaky_backward}.items():
    TUTORIAL[_name] = (TUTORIAL[_name][0], _bwd)


def _gelu_tanh_tutorial(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * np.power(x, 3))))


def _gelu_tanh_tutorial_backward(x, y, d):
    u = np.sqrt(2 / np.pi) * (x + 0.044715 * np.power(x, 3))
    t = np.tanh(u)
    du = np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * np.power(x, 2))
    return d * (0.5 * (1 + t) + 0.5 * x * (1 - t ** 2) * du)


TUTORIAL["gelu_tanh"] = (_gelu_tanh_tutorial, _gelu_tanh_tutorial_backward)


def _torch_functions():
    try:
        import torch
    except ImportError:
        return None, {}
    F = torch.nn.functional
    return torch, {
        "relu": F.relu, "leaky_relu": F.leaky_relu, "relu6": F.relu6, "elu": F.elu, "selu": F.selu,
        "celu": F.celu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "softplus": F.softplus,
        "softsign": F.softsign, "hard_tanh": F.hardtanh, "hard_swish": F.hardswish, "swish": F.silu,
        "gelu": F.gelu, "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"), "mish": F.mish,
        "softmax": lambda t: F.softmax(t, dim=-1), "log_softmax": lambda t: F.log_softmax(t, dim=-1),
        "linear": lambda t: t * 1, "gaussian": lambda t: torch.exp(-t * t),
        "hard_sigmoid": lambda t: torch.clamp(0.2 * t + 0.5, 0, 1),
    }


def _build(name, module=None):
    activations = (module or nnlite).activations
    if name == "gelu_tanh":
        return activations.get("gelu", approximate="tanh")
    return activations.get(name)


CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = time.perf_counter


def _times(func, repeats):
    """(min, median, max) seconds of `func()` over `repeats` calls after a warm-up, on the
    chosen clock (`--clock cpu` counts this process's CPU time only: on a loaded machine
    it leaves out the time other processes held the core)."""
    func()
    times = []
    for _ in range(repeats):
        start = _clock()
        func()
        times.append(_clock() - start)
    return float(np.min(times)), float(np.median(times)), float(np.max(times))


def load_baseline(rev):
    """nnlite as of git revision `rev`, imported as its own package (its imports are relative).

    `rev` may also be a directory holding such a copy (for machines without the git history).
    """
    path = Path(rev)
    if (path / "__init__.py").is_file():
        sys.path.insert(0, str(path.resolve().parent))
        return importlib.import_module(path.name)
    root = Path(__file__).resolve().parents[1]
    name = "nnlite_" + "".join(c if c.isalnum() else "_" for c in rev)
    target = Path(tempfile.mkdtemp(prefix="nnlite-baseline-"))
    archive = subprocess.run(["git", "-C", str(root), "archive", rev, "nnlite"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    shutil.move(str(target / "nnlite"), str(target / name))
    sys.path.insert(0, str(target))
    return importlib.import_module(name)


def run(names, sizes, dtypes, repeats=7, baseline=None):
    torch, torch_fns = _torch_functions()
    rows = []
    for dtype in dtypes:
        for size in sizes:
            x = np.random.default_rng(0).standard_normal(size).astype(dtype)
            rows_x = x[: size - size % 1000].reshape(-1, 1000)  # softmax, log_softmax, maxout work on rows
            floor = _floor(x, repeats)
            print(f"\n{size:.0e} elements, {dtype}: bandwidth floor {_span(floor)} ms (min/median/max)")
            print(f"{'activation':<14}{'fwd ms':>8}{'fwd+bwd ms min/med/max':>24}{'fb/floor':>10}"
                  f"{'base fb':>9}{'base/new':>10}{'tut/new':>9}{'torch fb':>10}{'new/torch':>11}")
            for name in names:
                inp = rows_x if name in ("softmax", "log_softmax", "maxout") else x
                row = _measure(name, inp, repeats, torch, torch_fns, baseline)
                row.update(size=size, dtype=dtype, floor_s=floor[1], floor_min_max_s=[floor[0], floor[2]])
                rows.append(row)
                fb = row["forward_backward_s"]
                base_s, tut_s, torch_s = row.get("baseline_s"), row.get("tutorial_s"), row.get("torch_s")
                print(f"{name:<14}{row['forward_s'] * 1e3:>8.2f}{_span(row['forward_backward_min_med_max_s']):>24}"
                      f"{fb / floor[1]:>10.1f}{_ms(base_s):>9}{_ratio(base_s, fb):>10}{_ratio(tut_s, fb):>9}"
                      f"{_ms(torch_s):>10}{_ratio(fb, torch_s):>11}")
    return rows


def _span(times):
    return "/".join(f"{t * 1e3:.2f}" for t in times)


def _floor(x, repeats):
    out = np.empty_like(x)
    return _times(lambda: np.add(x, 1, out=out), repeats)


def _forward_backward(act, x):
    act.reuse_buffers = True  # as in Sequential.fit: the same shapes every call
    dvalues = np.ones_like(act.forward(x))

    def step():
        act.forward(x)
        act.backward(dvalues)
    return step


def _measure(name, x, repeats, torch, torch_fns, baseline):
    act = _build(name)
    fb = _times(_forward_backward(act, x), repeats)
    row = {"activation": name, "forward_s": _times(lambda: act.forward(x), repeats)[1],
           "forward_backward_s": fb[1], "forward_backward_min_med_max_s": list(fb)}
    if baseline is not None:
        try:
            row["baseline_s"] = _times(_forward_backward(_build(name, baseline), x), repeats)[1]
        except ValueError:  # an activation the older revision does not have
            pass
    tutorial = TUTORIAL.get(name)
    if tutorial is not None and tutorial[1] is not None:
        f, b = tutorial
        with np.errstate(over="ignore"):  # the tutorial sigmoid/softplus overflow by design
            row["tutorial_s"] = _times(lambda: b(x, f(x), np.ones_like(x)), repeats)[1]
    if name in torch_fns:
        row["torch_s"] = _time_torch(torch, torch_fns[name], x, repeats)
    return row


def _time_torch(torch, fn, inp, repeats):
    t = torch.from_numpy(np.ascontiguousarray(inp)).requires_grad_(True)
    ones = torch.ones_like(t)

    def step():
        fn(t).backward(ones)
        t.grad = None
    return _times(step, repeats)[1]


def _ms(seconds):
    return "-" if seconds is None else f"{seconds * 1e3:.2f}"


def _ratio(a, b):
    return "-" if a is None or b is None else f"{a / b:.2f}x"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="activations (default: all registered, plus gelu_tanh)")
    parser.add_argument("--sizes", default="1e6,1e7")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1, as nnlite)")
    parser.add_argument("--clock", choices=sorted(CLOCK), default="wall",
                        help="wall time (default) or this process's CPU time")
    parser.add_argument("--baseline", metavar="REV", help="also time nnlite as of this git revision")
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE")
    parser.add_argument("--json", help="write the rows to this JSON file")
    args = parser.parse_args(argv)
    global _clock
    _clock = CLOCK[args.clock]
    for module in args.imports:
        sys.path.insert(0, ".")
        importlib.import_module(module)
    names = args.names or [*nnlite.activations.names(), "gelu_tanh"]
    torch, _ = _torch_functions()
    if torch is not None:
        torch.set_num_threads(args.threads)
        print(f"torch {torch.__version__} on {args.threads} threads")
    else:
        print("torch not installed: its columns are empty (pip install torch)")
    print(machine_line())
    baseline = load_baseline(args.baseline) if args.baseline else None
    if baseline is not None:
        print(f"baseline: nnlite at {args.baseline}")
    print(f"clock: {args.clock}")
    rows = run(names, [int(float(s)) for s in args.sizes.split(",")], args.dtypes.split(","), args.repeats,
               baseline)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return rows


def machine() -> dict:
    """The CPU and the SIMD targets numpy dispatches its float32 exp, expm1 and log1p to: the
    ratios against the floor depend on them (on AVX2 numpy's float32 expm1 and log1p are scalar
    libm, on AVX-512 SVML's vector loops), so a run is read with them."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        from numpy.lib import introspect  # numpy >= 2.0
        targets = {name: introspect.opt_func_info(func_name=name)[name]["ff"]["current"]
                   for name in ("exp", "expm1", "log1p")}
    except (ImportError, KeyError):
        targets = {}
    return {"cpu": cpu, "numpy": np.__version__, "float32_dispatch": targets}


def machine_line() -> str:
    m = machine()
    targets = ", ".join(f"{k} {v}" for k, v in m["float32_dispatch"].items()) or "unknown"
    return f"cpu: {m['cpu']}; numpy {m['numpy']} float32 dispatch: {targets}"


if __name__ == "__main__":
    main()
