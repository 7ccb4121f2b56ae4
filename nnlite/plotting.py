"""Every nnlite figure. Each function takes data, draws on a new matplotlib
Figure (no pyplot state, so it runs headless) and returns the Figure; the
caller saves it (`fig.savefig(path)`). Nothing here calls `plt.show()`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from . import activations as _activations


def _panel_grid(count: int, ncols: int, width: float, height: float) -> tuple[Figure, np.ndarray]:
    """A Figure with `count` panels of width x height inches in rows of `ncols`, the spare ones hidden."""
    ncols = max(1, min(ncols, count))
    nrows = -(-count // ncols)
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, axes


def activation_gallery(
    names: Sequence[str | _activations.Activation] | None = None,
    x: np.ndarray | None = None,
    ncols: int = 5,
) -> Figure:
    """Grid of activations: f(x) (solid) and f'(x) (dashed) on one axes each.

    `names` are registry names or Activation instances (default: every
    registered elementwise activation).
    """
    if x is None:
        x = np.linspace(-5, 5, 501)
    x = np.asarray(x, dtype=np.float64)
    if names is None:
        names = [n for n in _activations.names() if n not in ("softmax", "log_softmax", "maxout")]
    acts = [_activations.get(n) for n in names]
    if not acts:
        raise ValueError("activation_gallery needs at least one activation")
    fig, axes = _panel_grid(len(acts), ncols, 2.8, 2.4)
    for ax, act in zip(axes.flat, acts):
        y = act.forward(x)
        dy = act.backward(np.ones_like(y))
        ax.plot(x, y, label="f(x)")
        ax.plot(x, dy, "--", label="f'(x)")
        ax.axhline(0, color="0.8", lw=0.8, zorder=0)
        ax.axvline(0, color="0.8", lw=0.8, zorder=0)
        ax.set_title(act.name)
        ax.set_xlabel("x")
    axes.flat[0].legend(loc="upper left", fontsize="small")
    return fig


def training_curves(history) -> Figure:
    """Loss and accuracy per epoch from a `Sequential.fit` History, training
    (solid) and validation (dashed); a third panel shows per-layer gradient
    norms when the fit recorded them (`diagnostics=True`). Regression fits
    (no accuracy) get the loss panel only.
    """
    if not history.loss:
        raise ValueError("training_curves needs a History with at least one epoch")
    epochs = np.arange(1, len(history.loss) + 1)
    panels = ["loss"]
    if any(a is not None for a in history.accuracy):
        panels.append("accuracy")
    if history.grad_norm:
        panels.append("gradient norm")
    fig = Figure(figsize=(4.2 * len(panels), 3.4), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        if panel == "gradient norm":
            for label, norms in history.grad_norm.items():
                ax.plot(epochs, norms, label=label)
            ax.set_yscale("log")
        else:
            train, val = getattr(history, panel), getattr(history, f"val_{panel}")
            ax.plot(epochs, train, label="train")
            if val:
                ax.plot(epochs, val, "--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(panel)
        ax.legend(fontsize="small")
    return fig


# ------------------------------------------------ the activation comparison study
# These take the `ComparisonResults` of nnlite.experiments.compare_activations;
# every curve is the mean over seeds, and activation k is drawn in colour Ck
# in every figure.


def comparison_curves(results) -> Figure:
    """Training and test loss and accuracy per epoch, one line per activation (2x2 panels)."""
    epochs = np.arange(1, results.epochs + 1)
    fig = Figure(figsize=(10, 7), layout="constrained")
    axes = fig.subplots(2, 2)
    panels = (("loss", "training loss"), ("val_loss", "test loss"),
              ("accuracy", "training accuracy"), ("val_accuracy", "test accuracy"))
    for ax, (quantity, title) in zip(axes.flat, panels):
        for k, name in enumerate(results.activations):
            ax.plot(epochs, results.curve(name, quantity), color=f"C{k}", label=name)
        ax.set_title(title)
        ax.set_xlabel("epoch")
    for ax in axes[0]:
        ax.set_yscale("log")
    axes[1, 1].legend(fontsize="small", ncols=2)
    return fig


def comparison_gradient_norms(results) -> Figure:
    """Gradient norm ||(dL/dW_l, dL/db_l)||_2 of every Dense layer l over the
    epochs (the mean over each epoch's batches), one panel per activation,
    log scale shared by all panels; darker lines are nearer the input."""
    epochs = np.arange(1, results.epochs + 1)
    layers = list(results.runs[0].grad_norm)
    ncols = min(4, len(results.activations))
    nrows = -(-len(results.activations) // ncols)
    fig = Figure(figsize=(3.2 * ncols, 2.8 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    shades = matplotlib.colormaps["viridis"](np.linspace(0, 0.85, len(layers)))
    for ax, name in zip(axes.flat, results.activations):
        for layer, shade in zip(layers, shades):
            ax.plot(epochs, results.curve(name, "grad_norm", layer), color=shade, label=layer)
        ax.set_yscale("log")
        ax.set_title(name)
        ax.set_xlabel("epoch")
    for ax in list(axes.flat)[len(results.activations):]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel("gradient norm")
    axes[0, 0].legend(fontsize="x-small")
    return fig


def gradient_norm_by_layer(results, epoch: int = 1) -> Figure:
    """Gradient norm of each Dense layer (input side first) at one epoch, one
    line per activation, log scale. Vanishing gradients show as a line that
    falls layer by layer towards the input (sigmoid in a deep narrow net)."""
    if not 1 <= epoch <= results.epochs:
        raise ValueError(f"gradient_norm_by_layer: epoch must lie in 1..{results.epochs}, got {epoch}")
    layers = list(results.runs[0].grad_norm)
    fig = Figure(figsize=(5.5, 3.8), layout="constrained")
    ax = fig.subplots()
    depth = np.arange(1, len(layers) + 1)
    for k, name in enumerate(results.activations):
        norms = [results.curve(name, "grad_norm", layer)[epoch - 1] for layer in layers]
        ax.plot(depth, norms, "o-", color=f"C{k}", label=name)
    ax.set_yscale("log")
    ax.set_xticks(depth)
    ax.set_xlabel("Dense layer (1 = input side)")
    ax.set_ylabel("gradient norm")
    ax.set_title(f"gradient norm by layer, epoch {epoch}")
    ax.legend(fontsize="small")
    return fig


def comparison_histograms(results, seed: int | None = None) -> Figure:
    """The histograms kept for one seed (default: the first): one row per
    activation, the first layer's weight gradient dL/dW1 (left) and the first
    hidden layer's activations (right), one step curve per recorded epoch,
    counts on a log scale."""
    seed = results.seeds[0] if seed is None else seed
    if seed not in results.seeds:
        raise ValueError(f"comparison_histograms: seed {seed} was not run; the seeds are {results.seeds}")
    n = len(results.activations)
    fig = Figure(figsize=(8, 1.9 * n), layout="constrained")
    axes = fig.subplots(n, 2, squeeze=False)
    for row, name in zip(axes, results.activations):
        run = next(r for r in results.runs_of(name) if r.seed == seed)
        for k, (epoch, hists) in enumerate(sorted(run.histograms.items())):
            for ax, what in zip(row, ("gradient", "activation")):
                ax.stairs(hists[what]["counts"], hists[what]["edges"], color=f"C{k}", label=f"epoch {epoch}")
        for ax in row:
            ax.set_yscale("log")
        row[0].set_ylabel(name)
    axes[0, 0].set_title("first-layer weight gradient dL/dW1")
    axes[0, 1].set_title("first hidden layer activations")
    axes[0, 1].legend(fontsize="x-small")
    return fig


def comparison_unit_fractions(results) -> Figure:
    """Dead units (output 0 on every probe sample, left) and saturated units
    (|f'(x)| < 1e-3, right) over the epochs, averaged over the hidden layers,
    one line per activation."""
    epochs = np.arange(1, results.epochs + 1)
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    layers = list(results.runs[0].dead_fraction)
    for ax, quantity, title in zip(axes, ("dead_fraction", "saturation"), ("dead units", "saturated units")):
        for k, name in enumerate(results.activations):
            mean = np.mean([results.curve(name, quantity, layer) for layer in layers], axis=0)
            ax.plot(epochs, mean, color=f"C{k}", label=name)
        ax.set_title(f"{title} (mean over hidden layers)")
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("fraction")
    axes[1].legend(fontsize="small", ncols=2)
    return fig


def activation_overlay(names: Sequence[str | _activations.Activation], z: np.ndarray | None = None) -> Figure:
    """All the given activations f(z) on one axes (the minimal-model notebooks' first figure)."""
    z = np.linspace(-5, 5, 501) if z is None else np.asarray(z, dtype=np.float64)
    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.subplots()
    for name in names:
        act = _activations.get(name) if not isinstance(name, _activations.Activation) else name
        ax.plot(z, act.function(z), label=act.name)
    ax.set_ylim(-1.5, 4)
    ax.set_xlabel("net input z = w x + b")
    ax.set_ylabel("f(z)")
    ax.set_title("activations of the minimal model")
    ax.legend(fontsize="small", ncol=2)
    return fig


def neuron_output_grid(activations, x: np.ndarray, weights: Sequence[float], ncols: int = 4) -> Figure:
    """One panel per activation: the neuron's output T = f(w x) against x for a few weights.

    `activations` maps a label to an Activation (or registry name); saturation
    shows as flat tails, which is what makes binned I(X;T) fall as w grows.
    """
    x = np.sort(np.asarray(x, dtype=np.float64))
    items = list(activations.items())
    if not items:
        raise ValueError("neuron_output_grid needs at least one activation")
    fig, axes = _panel_grid(len(items), ncols, 2.9, 2.4)
    for ax, (label, act) in zip(axes.flat, items):
        act = _activations.get(act)
        for w in weights:
            ax.plot(x, act.function(w * x), label=f"w = {w:g}")
        ax.set_title(label)
        ax.set_xlabel("x")
        ax.set_ylabel("T = f(w x)")
    axes.flat[0].legend(fontsize="x-small")
    return fig


def information_vs_weight(
    weights: np.ndarray,
    curves,
    title: str = "",
    reference: float | None = None,
    ylabel: str = "I(X;T) = H(T) (bits)",
) -> Figure:
    """Binned I(X;T) against the weight w, one curve per label in `curves`
    (label -> values, one per weight); `reference` draws a dashed line, e.g. H(X)."""
    fig = Figure(figsize=(7.2, 4.6), layout="constrained")
    ax = fig.subplots()
    for i, (label, values) in enumerate(curves.items()):
        # the colour cycle has 10 colours: later curves are dashed so none look alike
        ax.plot(weights, values, "-" if i < 10 else "-.", label=label)
    if reference is not None:
        ax.axhline(reference, color="0.4", ls="--", lw=1, label=f"H(X) = {reference:.2f} bits")
    ax.set_xlabel("weight w")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small", ncol=2)
    return fig


def information_panels(
    weights: np.ndarray,
    panels,
    legend_title: str = "",
    title: str = "",
    ylabel: str = "I(X;T) = H(T) (bits)",
) -> Figure:
    """One panel per entry of `panels` (panel title -> {curve label -> values per weight}),
    I(X;T) against w: the bias sweep and the bin-count comparison."""
    fig = Figure(figsize=(5.0 * len(panels), 4.0), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (name, curves) in zip(axes, panels.items()):
        for label, values in curves.items():
            ax.plot(weights, values, label=str(label))
        ax.set_title(name)
        ax.set_xlabel("weight w")
        ax.set_ylabel(ylabel)
        ax.legend(title=legend_title, fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def binning_picture(x: np.ndarray, t: np.ndarray, edges: np.ndarray, title: str = "") -> Figure:
    """Where the samples of one weight fall in the bins (the notebooks' plot_binning):
    T against x with the bin edges as horizontal lines, and the count per bin."""
    x, t, edges = (np.asarray(a, dtype=np.float64) for a in (x, t, edges))
    counts, _ = np.histogram(t, edges)
    fig = Figure(figsize=(8.4, 4.2), layout="constrained")
    ax, axh = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]}, sharey=True)
    ax.plot(x, t, ".", ms=2)
    for e in edges:
        ax.axhline(e, color="0.8", lw=0.5, zorder=0)
    ax.set_xlabel("x")
    ax.set_ylabel("T")
    ax.set_title(title)
    axh.barh(edges[:-1], counts, height=np.diff(edges), align="edge")
    axh.set_xlabel("samples per bin")
    p = counts[counts > 0] / counts.sum()
    axh.set_title(f"H(T) = {-np.sum(p * np.log2(p)):.2f} bits")
    return fig


# ------------------------------------------------ the information plane of whole networks
# These take the `InformationPlaneResults` of nnlite.experiments.information_plane;
# curves are means over seeds, layer l is drawn with marker/line style l in every figure.

_ESTIMATOR_TITLES = {
    "binning": "binning, bin size {bin_size:g}",
    "fixed_binning": "{fixed_bins} bins over [{lo:g}, {hi:g}]",
    "kde_upper": "KDE upper bound, noise var. {noise_variance:g}",
    "kde_lower": "pairwise lower bound, noise var. {noise_variance:g}",
}
_LAYER_MARKERS = "osD^vP*X"


def _estimator_title(results, key: str) -> str:
    lo, hi = results.fixed_range
    return _ESTIMATOR_TITLES[key].format(bin_size=results.bin_size, fixed_bins=results.fixed_bins, lo=lo, hi=hi,
                                         noise_variance=results.noise_variance)


def _information_estimators(results, estimators: Sequence[str] | None) -> list[str]:
    keys = results.estimator_keys if estimators is None else list(estimators)
    unknown = [k for k in keys if k not in results.estimator_keys]
    if unknown or not keys:
        raise ValueError(f"estimators must be a non-empty selection of {results.estimator_keys}, got {keys}")
    return keys


def information_plane_figure(results, estimators: Sequence[str] | None = None) -> Figure:
    """The information plane, I(T;Y) against I(X;T), one panel per activation (rows) and estimator
    (columns): one curve per layer, its points coloured by epoch (log colour scale), as in
    Shwartz-Ziv & Tishby (2017, Fig. 3) and Saxe et al. (2018, Fig. 1)."""
    keys = _information_estimators(results, estimators)
    epochs = np.asarray(results.runs[0].epochs)
    norm = matplotlib.colors.LogNorm(vmin=max(1, epochs[epochs > 0].min()), vmax=max(2, epochs.max()))
    fig = Figure(figsize=(3.9 * len(keys) + 0.8, 3.5 * len(results.activations)), layout="constrained")
    axes = fig.subplots(len(results.activations), len(keys), squeeze=False)
    points = None
    for row, activation in zip(axes, results.activations):
        for ax, key in zip(row, keys):
            xt = results.mean_curve(activation, "mi_xt", key)
            ty = results.mean_curve(activation, "mi_ty", key)
            for layer, name in enumerate(results.layers):
                ax.plot(xt[:, layer], ty[:, layer], color="0.75", lw=0.8, zorder=1)
                points = ax.scatter(xt[:, layer], ty[:, layer], c=np.maximum(epochs, 1), cmap="viridis", norm=norm,
                                    s=14, marker=_LAYER_MARKERS[layer % len(_LAYER_MARKERS)], zorder=2,
                                    label=f"layer {name}")
            ax.set_title(f"{activation}: {_estimator_title(results, key)}", fontsize="medium")
            ax.set_xlabel("I(X;T) (bits)")
            ax.set_ylabel("I(T;Y) (bits)")
    # outside the panels: a legend inside would cover points of some run
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=len(results.layers),
               fontsize="small")
    fig.colorbar(points, ax=axes, label="epoch", shrink=0.8)
    return fig


def information_plane_epochs(results, estimators: Sequence[str] | None = None) -> Figure:
    """I(X;T) against epoch (log scale; epoch 0 drawn at 0.5), one line per layer, one panel per
    activation (rows) and estimator (columns): where compression would show as a fall late in training."""
    keys = _information_estimators(results, estimators)
    epochs = np.maximum(np.asarray(results.runs[0].epochs, dtype=np.float64), 0.5)
    fig = Figure(figsize=(3.8 * len(keys), 3.0 * len(results.activations)), layout="constrained")
    axes = fig.subplots(len(results.activations), len(keys), squeeze=False, sharey=True)
    shades = matplotlib.colormaps["viridis"](np.linspace(0, 0.9, len(results.layers)))
    for row, activation in zip(axes, results.activations):
        for ax, key in zip(row, keys):
            xt = results.mean_curve(activation, "mi_xt", key)
            for layer, (name, shade) in enumerate(zip(results.layers, shades)):
                ax.plot(epochs, xt[:, layer], color=shade, label=f"layer {name}")
            ax.set_xscale("log")
            ax.set_title(f"{activation}: {_estimator_title(results, key)}", fontsize="medium")
            ax.set_xlabel("epoch")
        row[0].set_ylabel("I(X;T) (bits)")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=len(results.layers),
               fontsize="small")
    return fig


def information_plane_snr(results) -> Figure:
    """Per Dense layer, the norm of the mean (solid) and of the std (dashed) of the weight gradient over
    an epoch's batches against epoch, and their ratio (the SNR), one column per activation
    (Shwartz-Ziv & Tishby 2017, Fig. 4: a high-SNR drift phase, then a low-SNR diffusion phase)."""
    epochs = np.maximum(np.asarray(results.runs[0].epochs, dtype=np.float64), 0.5)
    n_layers = len(results.layers)
    shades = matplotlib.colormaps["viridis"](np.linspace(0, 0.9, n_layers))
    fig = Figure(figsize=(4.4 * len(results.activations), 6.4), layout="constrained")
    axes = fig.subplots(2, len(results.activations), squeeze=False, sharex=True)
    tiny = np.finfo(np.float64).tiny  # log axes: an exactly zero gradient is drawn at the bottom
    for col, activation in enumerate(results.activations):
        mean = results.mean_curve(activation, "grad_mean")
        std = results.mean_curve(activation, "grad_std")
        top, bottom = axes[0, col], axes[1, col]
        for layer, shade in enumerate(shades):
            top.plot(epochs, np.maximum(mean[:, layer], tiny), color=shade, label=f"Dense {layer + 1}")
            top.plot(epochs, np.maximum(std[:, layer], tiny), color=shade, ls="--")
            bottom.plot(epochs, mean[:, layer] / np.maximum(std[:, layer], tiny), color=shade)
        top.set_title(f"{activation}: gradient mean (solid) and std (dashed)", fontsize="medium")
        bottom.set_title(f"{activation}: signal-to-noise ratio mean / std", fontsize="medium")
        for ax in (top, bottom):
            ax.set_xscale("log")
            ax.set_yscale("log")
        bottom.set_xlabel("epoch")
    axes[0, 0].set_ylabel("norm over the layer's weights")
    axes[1, 0].set_ylabel("SNR")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=n_layers,
               fontsize="small")
    return fig
