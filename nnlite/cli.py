"""Command line: `nnlite SUBCOMMAND ...` (also `python -m nnlite`).

Each subcommand is a function `_cmd_NAME(args) -> int` registered in
`_build_parser` with its own `--help`.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np


def _cmd_gallery(args: argparse.Namespace) -> int:
    from .plotting import activation_gallery

    out = Path(args.out)
    fig = activation_gallery(_names(args.activations) or None)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=args.dpi)
    print(f"wrote {out}")
    return 0


def _gradcheck_targets(rng: np.random.Generator) -> list[tuple[str, object, np.ndarray, dict]]:
    """(label, object, inputs, extra gradcheck keywords) for every registered activation and every layer
    with parameters (Dropout has none, and its random mask would change between the differences)."""
    from . import activations
    from .layers import BatchNorm, Dense, LayerNorm
    from .network import Sequential

    targets = []
    for name in activations.names():
        x = rng.uniform(-4, 4, size=(8, 6))
        # keep clear of kinks (0, +-1, +-2.5, +-3, 6) where finite differences straddle a corner
        for kink in (0.0, 1.0, -1.0, 2.5, -2.5, 3.0, -3.0, 6.0):
            x[np.abs(x - kink) < 0.01] += 0.05
        targets.append((name, activations.get(name), x, {}))
    targets.append(("Dense(6, 4)", Dense(6, 4, seed=0), rng.normal(size=(5, 6)), {}))
    targets.append(("BatchNorm(6)", BatchNorm(6), rng.normal(size=(5, 6)), {}))
    targets.append(("LayerNorm(6)", LayerNorm(6), rng.normal(size=(5, 6)), {}))
    # the L1/L2 penalty belongs to the loss, so the regularised layer is checked through one
    model = Sequential([Dense(6, 8, seed=1, l1=1e-3, l2=1e-3), activations.get("tanh"), Dense(8, 3, seed=2)])
    targets.append(("Sequential + L1/L2 + CE", model.with_loss("softmax_cross_entropy"),
                    rng.normal(size=(5, 6)), {"targets": rng.integers(0, 3, size=5)}))
    return targets


def _cmd_gradcheck(args: argparse.Namespace) -> int:
    from .gradcheck import gradcheck

    targets = _gradcheck_targets(np.random.default_rng(args.seed))
    failed = 0
    print(f"{'object':<26}{'result':<9}{'max abs error':>15}{'worst entry':>28}")
    for label, obj, x, extra in targets:
        result = gradcheck(obj, x, **extra)
        failed += not result.passed
        where = f"{result.worst_tensor}{list(result.worst_index or ())}"
        print(f"{label:<26}{'passed' if result.passed else 'FAILED':<9}{result.max_abs_error:>15.2e}{where:>28}")
    print(f"{len(targets) - failed} of {len(targets)} passed")
    return 1 if failed else 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from .bench import bench

    for module in args.imports:
        # importing the user's module defines (and so registers) its Activation subclasses
        sys.path.insert(0, str(Path.cwd()))
        importlib.import_module(module)
    print(bench(args.activation, size=args.size, dtype=args.dtype, repeats=args.repeats))
    return 0


def _names(values: Sequence[str]) -> list[str]:
    """Activation names given as `a b`, `a,b` or both (compare, gallery and info-plane take either)."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


_COMPARE_FIGURES = {
    "curves.png": "comparison_curves",
    "gradient_norms.png": "comparison_gradient_norms",
    "gradient_by_layer.png": "gradient_norm_by_layer",
    "histograms.png": "comparison_histograms",
    "units.png": "comparison_unit_fractions",
}


@contextlib.contextmanager
def _out_folder(out: Path) -> Iterator[None]:
    """Create the folder `out` first, so that an unwritable one fails in a second rather than after minutes
    of work; if the command then fails before writing into it, remove it again (a typo leaves nothing)."""
    created = [folder for folder in (out, *out.parents) if not folder.exists()]  # innermost first
    out.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        for folder in created:
            if any(folder.iterdir()):
                break
            folder.rmdir()
        raise


def _cmd_compare(args: argparse.Namespace) -> int:
    from . import plotting
    from .experiments import compare_activations

    out = Path(args.out)
    with _out_folder(out):
        results = compare_activations(
            args.dataset, _names(args.activations), hidden=args.hidden, epochs=args.epochs, seeds=range(args.seeds),
            batch_size=args.batch_size, learning_rate=args.lr, verbose=True, **_parallel_kwargs(args),
        )
    caption = (f"{results.dataset}: hidden layers {'-'.join(map(str, results.hidden))}, {results.epochs} epochs, "
               f"seeds {', '.join(map(str, results.seeds))}, batch {results.batch_size}, "
               f"Adam lr {results.learning_rate:g}\n\n")
    (out / "table.md").write_text(caption + results.table(), encoding="utf-8")
    (out / "results.json").write_text(results.to_json(), encoding="utf-8")
    for filename, function in _COMPARE_FIGURES.items():
        getattr(plotting, function)(results).savefig(out / filename, dpi=args.dpi)
    print(results.table())
    print(_gradient_ratios(results))
    print(f"wrote table.md, results.json and {', '.join(_COMPARE_FIGURES)} to {out}")
    return 0


def _gradient_ratios(results) -> str:
    """The deep study's headline: how much the gradient norm shrinks from the last Dense layer to the first."""
    layers = list(results.runs[0].grad_norm)
    lines = [f"\ngradient norm in epoch 1, last Dense layer / first ({layers[-1]} / {layers[0]}, mean over seeds):"]
    for name in results.activations:
        first, last = (results.curve(name, "grad_norm", layer)[0] for layer in (layers[0], layers[-1]))
        lines.append(f"  {name:<12}{last / first:10.4g}x" if first > 0 else f"  {name:<12}{'first layer 0':>11}")
    return "\n".join(lines)


def _cmd_explain(args: argparse.Namespace) -> int:
    from .explain import explain
    from .neuron import OneNeuron

    neuron = OneNeuron(args.activation, weight=args.weight, bias=args.bias)
    result = explain(neuron, args.x, args.target, loss=args.loss)
    print(result.to_markdown() if args.markdown else result)
    return 0


def _cmd_minimal_model(args: argparse.Namespace) -> int:
    from .experiments.minimal_model import run_minimal_model, write_minimal_model

    out = Path(args.out)
    start = time.perf_counter()
    with _out_folder(out):
        results = run_minimal_model(n_samples=args.samples, seed=args.seed, bins=args.bins, **_parallel_kwargs(args))
        computed = time.perf_counter()
        written = write_minimal_model(results, out, dpi=args.dpi, **_parallel_kwargs(args))
    finished = time.perf_counter()
    h = results.input_entropy
    print(f"H(X), 50 bins: {h['x_50_bins']:.2f} bits; a second draw: {h['second_draw_50_bins']:.2f} bits, "
          f"{h['second_draw_5_bins']:.2f} bits with 5 bins")
    w0, w1 = results.weights[0], results.weights[-1]
    for name, per_row in results.mi_per_row.items():
        glob = results.mi_global[name]
        print(f"{name:<13} I(X;T) per-weight bins {per_row[0]:5.2f} -> {per_row[-1]:5.2f} bits, "
              f"global bins {glob[0]:5.2f} -> {glob[-1]:5.2f} bits (w {w0:g} -> {w1:g})")
    print(f"\nwrote {len(written)} files to {out}/ in {finished - start:.1f} s "
          f"({computed - start:.1f} s computing, {finished - computed:.1f} s writing):")
    for path in written:
        print(f"  {path.name:<22}{_MINIMAL_MODEL_FILES.get(path.name, '')}")
    return 0


def _add_parallel_options(p: argparse.ArgumentParser) -> None:
    """--jobs, --backend and --scheduler, read back by `_parallel_kwargs`."""
    p.add_argument("--jobs", type=int, default=1,
                   help="independent runs at once: 1 in this process (default), N workers, -1 every core "
                        "(needs joblib: pip install -e \".[parallel]\")")
    p.add_argument("--backend", default="loky", choices=["loky", "dask"],
                   help="loky: --jobs worker processes on this machine (default); "
                        "dask: every worker of the Dask cluster at --scheduler")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default none; --backend dask "
                        "needs it)")


def _check_parallel_options(args: argparse.Namespace) -> None:
    if args.scheduler is not None and args.backend != "dask":
        raise ValueError("--scheduler is the address of a Dask cluster: use it with --backend dask")
    if args.scheduler is None and args.backend == "dask":
        raise ValueError("--backend dask needs --scheduler ADDRESS, the Dask scheduler to run on "
                         "(e.g. tcp://10.0.0.5:8786)")


def _parallel_kwargs(args: argparse.Namespace) -> dict:
    return {"n_jobs": args.jobs, "backend": args.backend, "scheduler": args.scheduler}


_MINIMAL_MODEL_FILES = {
    "activations.png": "the eleven activations f(z) on one axes",
    "activation_grid.png": "the neuron's output T = f(w x) against x for w = 0.5, 1, 5, 19.9",
    "mi_per_row.png": "I(X;T) against w, bins over each weight's own range of T",
    "mi_global.png": "I(X;T) against w, the notebooks' bins over all weights together",
    "bias_sweep.png": "I(X;T) against w for biases 0..5, tanh and relu",
    "binning.png": "where the samples of tanh at w = 5 fall in the bins",
    "entropy_vs_bins.png": "H(T) against w for 10, 30, 50 and 100 bins: the binning's share",
    "mi_kde.png": "the binning-free Kolchinsky & Tracey upper bound on I(X;T)",
    "results.json": "every number and curve above, with the settings",
}


_DESCRIPTION = "neural layers from scratch in numpy, every gradient checked"


# ------------------------------------------------------------------ info-plane

_INFO_PLANE_FIGURES = {
    "information_plane.png": "information_plane_figure",
    "information_plane_epochs.png": "information_plane_epochs",
    "information_plane_snr.png": "information_plane_snr",
}


def _cmd_info_plane(args: argparse.Namespace) -> int:
    from . import plotting
    from .experiments import information_plane

    out = Path(args.out)
    with _out_folder(out):
        results = information_plane(
            args.data or "tishby_bits", _names(args.activations), hidden=args.hidden, epochs=args.epochs,
            batch_size=args.batch_size, learning_rate=args.lr, seed=args.seeds, estimators=args.estimator,
            bin_size=args.bin_size, fixed_bins=args.fixed_bins, noise_variance=args.noise_variance,
            max_logged=args.max_logged, **_parallel_kwargs(args),
        )
    caption = (f"{results.dataset}: {'-'.join(map(str, [12, *results.hidden, 2]))} network, {results.epochs} epochs, "
               f"seeds {', '.join(map(str, results.seeds))}, batch {results.batch_size}, Adam lr "
               f"{results.learning_rate:g}, {len(results.runs[0].epochs)} logged epochs; bits, means over seeds; "
               f"wall time {results.wall_time:.0f} s\n\n")
    (out / "table.md").write_text(caption + results.table() + "\n", encoding="utf-8")
    (out / "results.json").write_text(results.to_json(), encoding="utf-8")
    for filename, function in _INFO_PLANE_FIGURES.items():
        getattr(plotting, function)(results).savefig(out / filename, dpi=args.dpi)
    print(caption + results.table())
    print(f"wrote table.md, results.json and {', '.join(_INFO_PLANE_FIGURES)} to {out}")
    return 0


def _add_info_plane_parser(sub: argparse._SubParsersAction) -> None:
    from .experiments.information_plane import ESTIMATORS

    p = sub.add_parser("info-plane", help="train the 12-10-7-5-4-3-2 network; log I(X;T), I(T;Y) of every layer "
                                          "(Saxe et al. 2018, Fig. 1); write a table, JSON and figures")
    # one option, so that argparse's prefixes --activation and --act still name it
    p.add_argument("--activations", nargs="+", default=["tanh", "relu"],
                   help="hidden activations, space- or comma-separated (default tanh relu)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0], help="seeds, one run each (default 0)")
    p.add_argument("--epochs", type=int, default=10000, help="training epochs per run (default 10000)")
    p.add_argument("--estimator", nargs="+", default=["binning", "kde"], choices=ESTIMATORS,
                   help="binning: floor(t / bin size); fixed_binning: Shwartz-Ziv & Tishby's bins over [-1, 1]; "
                        "kde: Kolchinsky & Tracey upper and pairwise lower bounds (default binning kde)")
    p.add_argument("--hidden", type=_int_list, default=(10, 7, 5, 4, 3), help="hidden widths (default 10,7,5,4,3)")
    p.add_argument("--batch-size", type=int, default=256, help="samples per gradient step (default 256)")
    p.add_argument("--lr", type=float, default=4e-4, help="Adam learning rate (default 0.0004)")
    p.add_argument("--bin-size", type=float, default=0.07, help="binning: bin width (default 0.07)")
    p.add_argument("--fixed-bins", type=int, default=30, help="fixed_binning: bins over [-1, 1] (default 30)")
    p.add_argument("--noise-variance", type=float, default=1e-3, help="kde: noise variance (default 0.001)")
    p.add_argument("--max-logged", type=int, default=None,
                   help="measure at about N of the log-spaced epochs only (default: all of them)")
    p.add_argument("--data", default=None, metavar="PATH",
                   help="the original var_u.mat (F and y) (default: the generated tishby_bits)")
    _add_parallel_options(p)
    p.add_argument("--out", default="info_plane", help="folder to write into (default ./info_plane)")
    _add_dpi_option(p, 90)
    p.set_defaults(func=_cmd_info_plane)


def _add_dpi_option(p: argparse.ArgumentParser, default: int) -> None:
    p.add_argument("--dpi", type=int, default=default,
                   help=f"image resolution in dots per inch, {_LEAST['dpi']} to {_MOST['dpi']} (default {default})")


def _build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="nnlite", description=_DESCRIPTION,
                                     epilog="`nnlite SUBCOMMAND --help` lists a subcommand's options.")
    parser.add_argument("--version", action="version", version=f"nnlite {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")

    p = sub.add_parser("gallery", help="plot every activation and its derivative")
    p.add_argument("--out", default="gallery.png", help="image file to write (default gallery.png)")
    p.add_argument("--activations", nargs="+", default=[],
                   help="names, space- or comma-separated (default: every registered one)")
    _add_dpi_option(p, 100)
    p.set_defaults(func=_cmd_gallery)

    p = sub.add_parser("gradcheck", help="gradient-check every registered activation and layer; print a table")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    p.set_defaults(func=_cmd_gradcheck)

    p = sub.add_parser("bench", help="time one activation against the memory-bandwidth floor")
    p.add_argument("activation", help="registry name (your own subclass too, once imported)")
    p.add_argument("--size", type=int, default=1_000_000, help="elements per array (default 1000000)")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="(default float32)")
    p.add_argument("--repeats", type=int, default=7, help="timed runs; the median is reported (default 7)")
    p.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                   help="import MODULE first so the activations it defines are registered (default: none)")
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("compare", help="train one MLP per activation and seed; write a table, JSON and figures")
    p.add_argument("--dataset", default="digits", help="digits, spiral or mnist:DIR (default digits)")
    p.add_argument("--activations", nargs="+", default=["relu,tanh,sigmoid,elu,leaky_relu,selu,gelu,swish"],
                   help="registry names, space- or comma-separated (default relu,tanh,sigmoid,elu,leaky_relu,selu,"
                        "gelu,swish)")
    p.add_argument("--hidden", type=_int_list, default=(128,), help="hidden widths, e.g. 32,32,32 (default 128)")
    p.add_argument("--epochs", type=int, default=20, help="training epochs per run (default 20)")
    p.add_argument("--seeds", type=int, default=3, help="number of seeds: 0..N-1 (default 3)")
    p.add_argument("--batch-size", type=int, default=32, help="samples per gradient step (default 32)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 0.001)")
    p.add_argument("--out", default="compare", help="folder to write into (default ./compare)")
    _add_dpi_option(p, 70)
    _add_parallel_options(p)
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("explain", help="the chain rule for one neuron y = f(w*x + b): every factor of dL/dw, checked")
    p.add_argument("--activation", default="tanh", help="registry name (default tanh)")
    p.add_argument("--weight", type=float, default=1.0, help="the neuron's weight w (default 1.0)")
    p.add_argument("--bias", type=float, default=0.0, help="the neuron's bias b (default 0.0)")
    p.add_argument("--x", type=float, nargs="+", default=[0.5], help="one input, or several for a batch (default 0.5)")
    p.add_argument("--target", type=float, nargs="+", default=[1.0], help="one target per input (default 1.0)")
    p.add_argument("--loss", default="mse", help="registry name (default mse)")
    p.add_argument("--markdown", action="store_true", help="print markdown tables instead of plain text")
    p.set_defaults(func=_cmd_explain)

    p = sub.add_parser("minimal-model", help="the one-neuron information experiment: every figure, number and JSON")
    p.add_argument("--out", default="results", help="folder to write into (default ./results)")
    p.add_argument("--samples", type=int, default=1000, help="draws of N(0,1) (default 1000, the notebooks')")
    p.add_argument("--seed", type=int, default=0, help="np.random.RandomState seed (default 0, the notebooks')")
    p.add_argument("--bins", type=int, default=50, help="bins per weight (default 50)")
    _add_dpi_option(p, 100)
    _add_parallel_options(p)
    p.set_defaults(func=_cmd_minimal_model)

    _add_info_plane_parser(sub)
    return parser


# option (attribute name) -> least value; checked for every subcommand that has the option
_LEAST = {"dpi": 5, "size": 1, "repeats": 1, "samples": 2, "seeds": 1, "batch_size": 1, "epochs": 1, "bins": 2,
          "fixed_bins": 1, "max_logged": 2, "seed": 0}
# and the greatest: below 5 dpi FreeType cannot size the fonts (matplotlib raises); 1200 is a choice,
# print quality, where one 8 x 6 inch figure is already 280 MB of pixels
_MOST = {"dpi": 1200}
_FOLDER_OUT = {"compare", "minimal-model", "info-plane"}  # the others write one file


def _check_out(command: str, out: str) -> None:
    """--out must be creatable as what the command writes: a folder, or (gallery) an image file."""
    path = Path(out)
    if command in _FOLDER_OUT and path.exists() and not path.is_dir():
        raise ValueError(f"--out {out!r} is a file; expected a folder to write into (it is created if missing)")
    if command not in _FOLDER_OUT and path.is_dir():
        example = str(path / "gallery.png")
        raise ValueError(f"--out {out!r} is a folder; expected an image file path such as {example!r}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"--out {out!r}: {str(parent)!r} is a file, so nothing can be written below it")
            break


def _validate(args: argparse.Namespace) -> None:
    """Refuse numbers and paths that cannot work, before any training or writing."""
    for name, least in _LEAST.items():
        value, most = getattr(args, name, None), _MOST.get(name)
        if isinstance(value, int) and most is not None and not least <= value <= most:
            raise ValueError(f"--{name.replace('_', '-')} must be an integer between {least} and {most}, got {value}")
        if isinstance(value, int) and value < least:
            raise ValueError(f"--{name.replace('_', '-')} must be an integer >= {least}, got {value}")
    if hasattr(args, "jobs"):
        _check_parallel_options(args)
    if isinstance(getattr(args, "seeds", None), list):  # info-plane: the seeds themselves
        if min(args.seeds) < 0 or len(set(args.seeds)) != len(args.seeds):
            raise ValueError(f"--seeds must be distinct integers >= 0, got {' '.join(map(str, args.seeds))}")
    lr = getattr(args, "lr", None)
    if lr is not None and not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"--lr must be a positive finite number, got {lr}")
    if getattr(args, "out", None) is not None:
        _check_out(args.command, args.out)


def _subcommand_list(parser: argparse.ArgumentParser) -> str:
    """What bare `nnlite` prints: each subcommand with its one-line help."""
    from . import __version__

    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    lines = [f"nnlite {__version__}: {parser.description}", "", "usage: nnlite SUBCOMMAND [options]", "",
             "subcommands:"]
    lines += [f"  {choice.dest:<15}{choice.help}" for choice in sub._choices_actions]
    lines += ["", "`nnlite SUBCOMMAND --help` lists a subcommand's options and their defaults; "
              "`nnlite --version` the version."]
    return "\n".join(lines)


def _silence_stdout() -> None:
    """Point stdout's descriptor at /dev/null, so the interpreter's final flush into the closed
    pipe does not print an error; nothing to do when stdout is not a file (captured output)."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _unrecognized(parser: argparse.ArgumentParser, command: str | None, extras: list[str]) -> None:
    """Exit with the error for arguments no option takes, from the subcommand's own parser (its usage, its
    name) and naming the option meant when one is close: argparse would show the top-level usage only."""
    if command is not None:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[command]
    options = [option for action in parser._actions for option in action.option_strings]
    meant = [match for extra in extras if extra.startswith("--")
             for match in difflib.get_close_matches(extra.split("=")[0], options, n=1)]
    hint = f" (did you mean {', '.join(meant)}?)" if meant else ""
    parser.error(f"unrecognized arguments: {' '.join(extras)}{hint}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `nnlite` command."""
    parser = _build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:
        _unrecognized(parser, args.command, extras)
    try:
        if args.command is None:
            print(_subcommand_list(parser))
            return 0
        _validate(args)
        return args.func(args)
    except BrokenPipeError:
        # the reader of our stdout went away (`nnlite gradcheck | head`): not an error of ours
        _silence_stdout()
        return 1
    except (ValueError, TypeError, ImportError, OSError, FloatingPointError, MemoryError) as exc:
        parser.exit(2, f"nnlite {args.command}: error: {exc or type(exc).__name__}\n")  # MemoryError() is blank


if __name__ == "__main__":
    sys.exit(main())
