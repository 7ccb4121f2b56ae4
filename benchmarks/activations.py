"""Activation speed: nnlite vs the tutorial-style numpy code vs PyTorch autograd.

For every registered activation (and any extra names given on the command
line, after `--import MODULE` registered them), times forward and
forward+backward on standard-normal inputs with `reuse_buffers` on (as in
`Sequential.fit`), median of 7 repeats after a warm-up, next to the
memory-bandwidth floor `np.add(x, 1, out=y)` on the same array. Prints one
table per size and dtype: milliseconds and ratios.

    python benchmarks/activations.py                 # 1e6 and 1e7, float32 and float64
    python benchmarks/activations.py --sizes 1e6 --dtypes float32 relu gelu
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys

import numpy as np

import nnlite
from nnlite.bench import median_time

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


def _build(name):
    if name == "gelu_tanh":
        return nnlite.activations.get("gelu", approximate="tanh")
    return nnlite.activations.get(name)


def run(names, sizes, dtypes, repeats=7):
    torch, torch_fns = _torch_functions()
    rows = []
    for dtype in dtypes:
        for size in sizes:
            x = np.random.default_rng(0).standard_normal(size).astype(dtype)
            rows_x = x[: size - size % 1000].reshape(-1, 1000)  # softmax, log_softmax, maxout work on rows
            floor = _floor(x, repeats)
            print(f"\n{size:.0e} elements, {dtype}: bandwidth floor {floor * 1e3:.2f} ms")
            print(f"{'activation':<14}{'fwd ms':>9}{'fwd+bwd ms':>12}{'fb/floor':>10}"
                  f"{'tutorial fb':>13}{'tut/nnlite':>12}{'torch fb':>10}{'nnlite/torch':>14}")
            for name in names:
                inp = rows_x if name in ("softmax", "log_softmax", "maxout") else x
                row = _measure(name, inp, repeats, torch, torch_fns)
                row.update(size=size, dtype=dtype, floor_s=floor)
                rows.append(row)
                fwd_bwd, tut_s, torch_s = row["forward_backward_s"], row.get("tutorial_s"), row.get("torch_s")
                print(f"{name:<14}{row['forward_s'] * 1e3:>9.2f}{fwd_bwd * 1e3:>12.2f}{fwd_bwd / floor:>10.1f}"
                      f"{_ms(tut_s):>13}{_ratio(tut_s, fwd_bwd):>12}"
                      f"{_ms(torch_s):>10}{_ratio(fwd_bwd, torch_s):>14}")
    return rows


def _floor(x, repeats):
    out = np.empty_like(x)
    return median_time(lambda: np.add(x, 1, out=out), repeats)


def _measure(name, x, repeats, torch, torch_fns):
    act = _build(name)
    act.reuse_buffers = True  # as in Sequential.fit: the same shapes every call
    dvalues = np.ones_like(act.forward(x))

    def forward_backward():
        act.forward(x)
        act.backward(dvalues)

    row = {"activation": name, "forward_s": median_time(lambda: act.forward(x), repeats),
           "forward_backward_s": median_time(forward_backward, repeats)}
    tutorial = TUTORIAL.get(name)
    if tutorial is not None and tutorial[1] is not None:
        f, b = tutorial
        with np.errstate(over="ignore"):  # the tutorial sigmoid/softplus overflow by design
            row["tutorial_s"] = median_time(lambda: b(x, f(x), dvalues), repeats)
    if name in torch_fns:
        row["torch_s"] = _time_torch(torch, torch_fns[name], x, repeats)
    return row


def _time_torch(torch, fn, inp, repeats):
    t = torch.from_numpy(np.ascontiguousarray(inp)).requires_grad_(True)
    ones = torch.ones_like(t)

    def step():
        fn(t).backward(ones)
        t.grad = None
    return median_time(step, repeats)


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
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE")
    parser.add_argument("--json", help="write the rows to this JSON file")
    args = parser.parse_args(argv)
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
    rows = run(names, [int(float(s)) for s in args.sizes.split(",")], args.dtypes.split(","), args.repeats)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return rows


if __name__ == "__main__":
    main()
