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

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import activations as _activations
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
) -> MinimalModelResults:
    """Run the reference experiment (see the module docstring) and return its numbers and curves.

    x comes from np.random.RandomState(seed): the notebooks' own legacy
    stream, needed to reproduce their printed numbers; nothing touches numpy's
    global random state. `activations` maps registry names to their keyword
    parameters (default: the notebooks' eleven).
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
        raise ValueError(f"bins must be an integer >= 2 (the global edges are linspace(min, max, bins)), got {bins!r}")
    stream = np.random.RandomState(seed)
    x = stream.standard_normal(n_samples)
    second = stream.standard_normal(n_samples)
    weights = np.arange(0.1, 20, 0.1) if weights is None else np.asarray(weights, dtype=np.float64)
    activations = MINIMAL_MODEL_ACTIVATIONS if activations is None else activations
    neurons = {name: OneNeuron(_activations.get(name, **cfg)) for name, cfg in activations.items()}

    input_entropy = {
        "x_50_bins": entropy(x, 50),
        "second_draw_50_bins": entropy(second, 50),
        "second_draw_5_bins": entropy(second, 5),
    }
    mi_per_row, mi_global = {}, {}
    for name, neuron in neurons.items():
        t = neuron.sweep(x, weights)
        mi_per_row[name] = entropy(t, bins)
        # the notebooks' global bins: linspace(min, max, 50) used as edges, i.e. 49 bins
        mi_global[name] = entropy(t, np.linspace(t.min(), t.max(), bins), binning="global")

    biases = np.asarray(biases, dtype=np.float64)
    bias_sweep, bin_dependence, kde = {}, {}, {}
    kde_weights = weights[::kde_every]
    for name in ("tanh", "relu"):
        neuron = OneNeuron(name)
        t = neuron.sweep(x, weights, biases)
        bias_sweep[name] = entropy(t.reshape(-1, n_samples), bias_bins).reshape(len(biases), len(weights))
        t0 = neuron.sweep(x, weights)
        bin_dependence[name] = np.stack([entropy(t0, b) for b in bin_counts])
        kde[name] = np.array([kde_mutual_information(row, noise_variance) for row in t0[::kde_every]])

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


def write_minimal_model(results: MinimalModelResults, out_dir: str | Path, dpi: int = 100) -> list[Path]:
    """Write every figure (PNG) and results.json into `out_dir`; return the paths written."""
    from .. import plotting

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = list(results.mi_per_row)
    acts = {name: _activations.get(name, **results.settings["activations"].get(name, {})) for name in names}
    h_x = results.input_entropy["x_50_bins"]
    w = results.weights
    ex = results.binning_example
    ex_act = _activations.get(ex["activation"], **results.settings["activations"].get(ex["activation"], {}))
    figures = {
        "activations.png": plotting.activation_overlay(list(acts.values())),
        "activation_grid.png": plotting.neuron_output_grid(acts, results.x, (0.5, 1, 5, 19.9)),
        "mi_per_row.png": plotting.information_vs_weight(
            w, results.mi_per_row, f"I(X;T), {results.settings['bins']} bins per weight", reference=h_x),
        "mi_global.png": plotting.information_vs_weight(
            w, results.mi_global, f"I(X;T), {results.settings['bins'] - 1} bins over all weights", reference=h_x),
        "bias_sweep.png": plotting.information_panels(
            w, {name: dict(zip((f"{b:g}" for b in results.biases), curves))
                for name, curves in results.bias_sweep.items()},
            legend_title="bias", title=f"bias sweep, {results.bias_bins} bins per weight"),
        "binning.png": plotting.binning_picture(
            results.x, ex_act.function(ex["weight"] * results.x), ex["edges"],
            f"{ex['activation']}, w = {ex['weight']:g}"),
        "entropy_vs_bins.png": plotting.information_panels(
            w, {name: dict(zip(results.bin_counts, curves)) for name, curves in results.bin_dependence.items()},
            legend_title="bins per weight", title="how much of the compression is the binning",
            ylabel="H(T) (bits)"),
        "mi_kde.png": plotting.information_vs_weight(
            results.kde_weights, results.kde,
            f"no bins: Kolchinsky & Tracey upper bound, noise variance {results.settings['noise_variance']:g}",
            ylabel="I(X;T) upper bound (bits)"),
    }
    written = []
    for filename, fig in figures.items():
        path = out / filename
        fig.savefig(path, dpi=dpi)
        written.append(path)
    path = out / "results.json"
    path.write_text(results.to_json())
    written.append(path)
    return written
