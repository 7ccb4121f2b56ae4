"""The minimal-model experiment: binned I(X;T) of one neuron T = f(w X + b) against w.

    results = run_minimal_model()                      # the reference experiment, about a second
    write_minimal_model(results, "results/")           # every figure and results.json

Reference setting (Saxe et al. 2018, answering Shwartz-Ziv & Tishby 2017):
x is 1000 draws of N(0, 1) from np.random.RandomState(0).standard_normal
(the stream of np.random.seed(0) followed by scipy.stats.norm().rvs(1000)),
w runs over np.arange(0.1, 20, 0.1) (199 values) and the net input is the
outer product of w and x. T is deterministic, so I(X;T) = H(T), estimated
from a histogram in bits:

- "per_row": 50 bins between each weight's own min and max of T;
- "global": the notebooks' np.linspace(T.min(), T.max(), 50) over all
  weights together, used as bin edges (so 49 bins);
- the bias sweep: biases 0..5 added to the net input, tanh and relu, 5 bins
  per weight;
- H(T) against w for 10, 30, 50 and 100 bins per weight (tanh and relu): how
  much of the "compression" comes from the binning;
- without bins: the Kolchinsky & Tracey upper bound on I(X;T) for T plus
  Gaussian noise of variance 0.1 (Saxe et al.'s choice), tanh and relu, every
  tenth weight.

The notebooks also print the input entropy: H(X) = 5.11 bits (50 bins); a
second draw of 1000 from the same stream gives 4.98 bits, and 1.76 bits
with 5 bins.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import activations as _activations
from .._parallel import check_n_jobs, run_parallel
from ..information import entropy, kde_mutual_information
from ..neuron import OneNeuron

__all__ = ["run_minimal_model", "write_minimal_model", "MinimalModelResults", "MINIMAL_MODEL_ACTIVATIONS"]

# the notebooks' activations; leaky_relu with TensorFlow's alpha 0.2
MINIMAL_MODEL_ACTIVATIONS: dict[str, dict[str, Any]] = {
    "sigmoid": {}, "tanh": {}, "relu": {}, "softsign": {}, "softplus": {}, "hard_sigmoid": {},
    "selu": {}, "relu6": {}, "elu": {}, "leaky_relu": {"alpha": 0.2}, "linear": {},
}


@dataclass
class MinimalModelResults:
    """Every number and curve of the experiment (arrays indexed like `weights`).

    input_entropy: {"x_50_bins", "second_draw_50_bins", "second_draw_5_bins"} in bits.
    mi_per_row / mi_global: activation -> I(X;T) per weight (bits).
    bias_sweep: activation -> (len(biases), len(weights)) I(X;T) with `bias_bins` bins per weight.
    bin_dependence: activation -> (len(bin_counts), len(weights)) H(T) with per-weight bins.
    binning_example: the activation, weight and bin edges of the binning picture.
    kde_weights, kde: activation -> KDE upper bound on I(X;T) (bits) at those weights.
    """

    x: np.ndarray
    weights: np.ndarray
    input_entropy: dict[str, float]
    mi_per_row: dict[str, np.ndarray]
    mi_global: dict[str, np.ndarray]
    biases: np.ndarray
    bias_bins: int
    bias_sweep: dict[str, np.ndarray]
    bin_counts: tuple[int, ...]
    bin_dependence: dict[str, np.ndarray]
    binning_example: dict[str, Any]
    kde_weights: np.ndarray
    kde: dict[str, np.ndarray]
    settings: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and floats (JSON-ready); x is left out (it is rebuilt from the seed)."""
        def lists(d):
            return {k: np.asarray(v).tolist() for k, v in d.items()}

        return {
            "settings": self.settings,
            "input_entropy_bits": self.input_entropy,
            "weights": self.weights.tolist(),
            "mi_per_row_bits": lists(self.mi_per_row),
            "mi_global_bits": lists(self.mi_global),
            "biases": self.biases.tolist(),
            "bias_bins": self.bias_bins,
            "bias_sweep_bits": lists(self.bias_sweep),
            "bin_counts": list(self.bin_counts),
            "entropy_vs_bins_bits": lists(self.bin_dependence),
            "kde_weights": self.kde_weights.tolist(),
            "kde_bits": lists(self.kde),
            "binning_example": {k: (np.asarray(v).tolist() if isinstance(v, np.ndarray) else v)
                                for k, v in self.binning_example.items()},
        }

    def to_json(self) -> str:
        """`to_dict()` as indented JSON text (what `write_minimal_model` saves as results.json)."""
        return json.dumps(self.to_dict(), indent=1)


# Sweeps are evaluated a few weights at a time: about this many T values (32 MB of float64) per block
_SWEEP_ELEMENTS = 1 << 22
# per sample: x and the second draw, one row of the sweep and its temporaries, the KDE's binning arrays
_BYTES_PER_SAMPLE = 200
_MAX_BYTES = 4 << 30


def _check_memory(n_samples: int) -> None:
    """Refuse, before allocating anything, a run whose per-sample arrays alone would pass _MAX_BYTES."""
    need = n_samples * _BYTES_PER_SAMPLE
    if need > _MAX_BYTES:
        raise ValueError(
            f"n_samples={n_samples} needs about {need / 2**30:.1f} GiB (about {_BYTES_PER_SAMPLE} bytes per sample "
            f"for the samples, one sweep row and the KDE grid), above the {_MAX_BYTES / 2**30:.0f} GiB this "
            f"experiment allows itself: use at most {_MAX_BYTES // _BYTES_PER_SAMPLE} samples"
        )


def _weight_chunks(n_weights: int, n_samples: int) -> list[slice]:
    """Blocks of weights whose sweep holds about _SWEEP_ELEMENTS values: memory bounded whatever n_samples."""
    rows = max(1, _SWEEP_ELEMENTS // n_samples)
    return [slice(i, i + rows) for i in range(0, n_weights, rows)]


def _per_row_and_global(neuron: OneNeuron, x: np.ndarray, weights: np.ndarray, bins: int, chunks: list[slice]):
    """H(T) per weight with `bins` bins per weight, and with the notebooks' global bins.

    The global bins are np.linspace(T.min(), T.max(), bins) over all weights, used as
    edges (bins - 1 of them); their ends need every block, so a sweep that does
    not fit in one block is computed twice rather than kept.
    """
    per_row, blocks = [], []
    lo, hi = np.inf, -np.inf
    for c in chunks:
        t = neuron.sweep(x, weights[c])
        per_row.append(entropy(t, bins))
        lo, hi = min(lo, t.min()), max(hi, t.max())
        if len(chunks) == 1:
            blocks.append(t)
    edges = np.linspace(lo, hi, bins)
    glob = [entropy(t, edges, binning="global") for t in (blocks or (neuron.sweep(x, weights[c]) for c in chunks))]
    return np.concatenate(per_row), np.concatenate(glob)


def _apply(task: tuple, x: np.ndarray) -> Any:
    """function(x, *args) for a task (function, args): the one worker entry point of this module."""
    function, args = task
    return function(x, *args)


def _binned_information(
    x: np.ndarray, weights: np.ndarray, name: str, cfg: dict[str, Any], bins: int
) -> tuple[np.ndarray, np.ndarray]:
    """I(X;T) per weight for one activation: per-row bins, and the notebooks' global bins."""
    neuron = OneNeuron(_activations.get(name, **cfg))
    return _per_row_and_global(neuron, x, weights, bins, _weight_chunks(len(weights), len(x)))


def _tanh_relu_studies(
    x: np.ndarray, weights: np.ndarray, name: str, biases: np.ndarray, bias_bins: int,
    bin_counts: tuple[int, ...], kde_every: int, noise_variance: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bias sweep, H(T) against the bin count, and the KDE bound, for one activation."""
    neuron = OneNeuron(name)
    chunks = _weight_chunks(len(weights), len(x))
    bias_sweep = np.stack([
        np.concatenate([entropy(neuron.sweep(x, weights[c], b), bias_bins) for c in chunks]) for b in biases
    ]).reshape(len(biases), len(weights))
    per_chunk = [[entropy(t0, b) for b in bin_counts] for t0 in (neuron.sweep(x, weights[c]) for c in chunks)]
    bin_dependence = np.concatenate([np.stack(h) for h in per_chunk], axis=1)
    kde = np.array([kde_mutual_information(neuron.sweep(x, [w])[0], noise_variance) for w in weights[::kde_every]])
    return bias_sweep, bin_dependence, kde


def run_minimal_model(
    *,
    n_samples: int = 1000,
    seed: int = 0,
    weights: Sequence[float] | np.ndarray | None = None,
    bins: int = 50,
    activations: dict[str, dict[str, Any]] | None = None,
    biases: Sequence[float] = (0, 1, 2, 3, 4, 5),
    bias_bins: int = 5,
    bin_counts: Sequence[int] = (10, 30, 50, 100),
    example: tuple[str, float] = ("tanh", 5.0),
    noise_variance: float = 0.1,
    kde_every: int = 10,
    n_jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
) -> MinimalModelResults:
    """Run the reference experiment (see the module docstring) and return its numbers and curves.

    x comes from np.random.RandomState(seed): the notebooks' own legacy
    stream, needed to reproduce their printed numbers; nothing touches numpy's
    global random state. `activations` maps registry names to their keyword
    parameters (default: the notebooks' eleven).

    The per-activation sweeps are independent runs: `n_jobs` runs them in
    worker processes (`backend="loky"`, needs joblib) or on a Dask cluster
    (`backend="dask"`, `scheduler="tcp://HOST:PORT"`), with identical results.
    """
    check_n_jobs(n_jobs, backend)
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}")
    _check_memory(n_samples)
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
        raise ValueError(f"bins must be an integer >= 2 (the global edges are linspace(min, max, bins)), got {bins!r}")
    stream = np.random.RandomState(seed)
    x = stream.standard_normal(n_samples)
    second = stream.standard_normal(n_samples)
    weights = np.arange(0.1, 20, 0.1) if weights is None else np.asarray(weights, dtype=np.float64)
    activations = MINIMAL_MODEL_ACTIVATIONS if activations is None else activations
    for name, cfg in activations.items():
        _activations.get(name, **cfg)  # a bad name or parameter fails here, before any worker starts

    input_entropy = {
        "x_50_bins": entropy(x, 50),
        "second_draw_50_bins": entropy(second, 50),
        "second_draw_5_bins": entropy(second, 5),
    }
    biases = np.asarray(biases, dtype=np.float64)
    kde_weights = weights[::kde_every]
    # independent runs, the slow KDE ones first so they start at once: one per activation
    # for the binned estimates, and the bias, bin-count and KDE studies for tanh and relu
    tanh_relu = ("tanh", "relu")
    tasks = [(_tanh_relu_studies, (weights, name, biases, bias_bins, tuple(bin_counts), kde_every, noise_variance))
             for name in tanh_relu]
    tasks += [(_binned_information, (weights, name, cfg, bins)) for name, cfg in activations.items()]
    done = run_parallel(_apply, tasks, shared=(x,), n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                        desc="minimal-model sweeps")
    studies, binned = dict(zip(tanh_relu, done)), dict(zip(activations, done[len(tanh_relu):]))
    bias_sweep = {name: study[0] for name, study in studies.items()}
    bin_dependence = {name: study[1] for name, study in studies.items()}
    kde = {name: study[2] for name, study in studies.items()}
    mi_per_row = {name: pair[0] for name, pair in binned.items()}
    mi_global = {name: pair[1] for name, pair in binned.items()}

    act_name, w = example
    t = OneNeuron(_activations.get(act_name, **activations.get(act_name, {}))).sweep(x, [w])[0]
    binning_example = {"activation": act_name, "weight": float(w), "edges": np.histogram_bin_edges(t, bins)}

    settings = {
        "n_samples": n_samples, "seed": seed, "bins": bins, "noise_variance": noise_variance,
        "activations": {k: dict(v) for k, v in activations.items()},
        "source": "np.random.RandomState(seed).standard_normal(n_samples); weights np.arange(0.1, 20, 0.1)",
    }
    return MinimalModelResults(
        x=x, weights=weights, input_entropy=input_entropy, mi_per_row=mi_per_row, mi_global=mi_global,
        biases=biases, bias_bins=bias_bins, bias_sweep=bias_sweep, bin_counts=tuple(bin_counts),
        bin_dependence=bin_dependence, binning_example=binning_example, kde_weights=kde_weights, kde=kde,
        settings=settings,
    )


_CURVE_POINTS = 2001  # enough points for a smooth curve of f(w x) against x; more only cost memory and time


def _curve_points(x: np.ndarray) -> np.ndarray:
    """x itself when small; else _CURVE_POINTS evenly spaced over [min x, max x] (the curves are smooth there)."""
    if len(x) <= _CURVE_POINTS:
        return x
    return np.linspace(x.min(), x.max(), _CURVE_POINTS)


def write_minimal_model(
    results: MinimalModelResults,
    out_dir: str | Path,
    dpi: int = 100,
    *,
    n_jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
) -> list[Path]:
    """Write every figure (PNG) and results.json into `out_dir`; return the paths written.

    The figures are independent: `n_jobs` draws them in worker processes (or
    on a Dask cluster with `backend="dask"`), which return the PNG bytes;
    only this process writes files.
    """
    check_n_jobs(n_jobs, backend)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures = _figure_specs(results)
    tasks = [(function, args, kwargs, dpi) for function, args, kwargs in figures.values()]
    progress = {"desc": "minimal-model figures", "unit": "figures"}
    if n_jobs == 1 and backend == "loky":
        # PIL's PNG encoder releases the GIL: each figure is encoded on a thread while the
        # next one is drawn (about 0.15 s of the main job's 1.2 s of figures)
        with ThreadPoolExecutor(max_workers=1) as encoder:
            pending = run_parallel(lambda task: encoder.submit(_encode_png, *_render(task)), tasks, **progress)
            pngs = [future.result() for future in pending]
    else:
        pngs = run_parallel(_draw_png, tasks, n_jobs=n_jobs, backend=backend, scheduler=scheduler, **progress)
    written = []
    for filename, png in zip(figures, pngs):
        path = out / filename
        path.write_bytes(png)
        written.append(path)
    path = out / "results.json"
    path.write_text(results.to_json())
    written.append(path)
    return written


def _render(task: tuple[str, tuple, dict[str, Any], int]) -> tuple[memoryview, dict[str, Any]]:
    """The RGBA pixels that plotting.<function>(*args, **kwargs).savefig(format="png", dpi=dpi) encodes,
    and the keywords it encodes them with: savefig itself draws (so the user's savefig.* settings
    apply), on a canvas that keeps the pixels instead of encoding them."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from .. import plotting

    class PixelCanvas(FigureCanvasAgg):
        def print_png(self, filename_or_obj, *, metadata=None, pil_kwargs=None, **ignored):
            # what FigureCanvasAgg.print_png does, less the encoding (savefig has already applied
            # facecolor, dpi and the like, which it passes to print methods outside matplotlib too)
            FigureCanvasAgg.draw(self)
            self.png = self.buffer_rgba(), {  # the memoryview Agg hands imsave: its fast path
                "origin": "upper", "dpi": self.figure.dpi, "metadata": metadata, "pil_kwargs": pil_kwargs}

    function, args, kwargs, dpi = task
    fig = getattr(plotting, function)(*args, **kwargs)
    canvas = PixelCanvas(fig)
    fig.savefig(io.BytesIO(), format="png", dpi=dpi)
    return canvas.png


def _encode_png(pixels: memoryview, options: dict[str, Any]) -> bytes:
    """PNG bytes of RGBA pixels, as `Figure.savefig(format="png")` writes them (`options` from `_render`)."""
    from matplotlib.image import imsave

    buffer = io.BytesIO()
    imsave(buffer, pixels, format="png", **options)
    return buffer.getvalue()


def _draw_png(task: tuple[str, tuple, dict[str, Any], int]) -> bytes:
    """The PNG bytes of plotting.<function>(*args, **kwargs) at `dpi` (what a worker runs)."""
    return _encode_png(*_render(task))


def _figure_specs(results: MinimalModelResults) -> dict[str, tuple[str, tuple, dict[str, Any]]]:
    """filename -> (plotting function name, args, kwargs) for every figure of the experiment."""
    names = list(results.mi_per_row)
    acts = {name: _activations.get(name, **results.settings["activations"].get(name, {})) for name in names}
    h_x = results.input_entropy["x_50_bins"]
    w = results.weights
    ex = results.binning_example
    ex_act = _activations.get(ex["activation"], **results.settings["activations"].get(ex["activation"], {}))
    return {
        "activations.png": ("activation_overlay", (list(acts.values()),), {}),
        "activation_grid.png": ("neuron_output_grid", (acts, _curve_points(results.x), (0.5, 1, 5, 19.9)), {}),
        "mi_per_row.png": ("information_vs_weight", (
            w, results.mi_per_row, f"I(X;T), {results.settings['bins']} bins per weight"), {"reference": h_x}),
        "mi_global.png": ("information_vs_weight", (
            w, results.mi_global, f"I(X;T), {results.settings['bins'] - 1} bins over all weights"),
            {"reference": h_x}),
        "bias_sweep.png": ("information_panels", (
            w, {name: dict(zip((f"{b:g}" for b in results.biases), curves))
                for name, curves in results.bias_sweep.items()}),
            {"legend_title": "bias", "title": f"bias sweep, {results.bias_bins} bins per weight"}),
        "binning.png": ("binning_picture", (
            results.x, ex_act.function(ex["weight"] * results.x), ex["edges"],
            f"{ex['activation']}, w = {ex['weight']:g}"), {}),
        "entropy_vs_bins.png": ("information_panels", (
            w, {name: dict(zip(results.bin_counts, curves)) for name, curves in results.bin_dependence.items()}),
            {"legend_title": "bins per weight", "title": "how much of the compression is the binning",
             "ylabel": "H(T) (bits)"}),
        "mi_kde.png": ("information_vs_weight", (
            results.kde_weights, results.kde,
            f"no bins: Kolchinsky & Tracey upper bound, noise variance {results.settings['noise_variance']:g}"),
            {"ylabel": "I(X;T) upper bound (bits)"}),
    }
