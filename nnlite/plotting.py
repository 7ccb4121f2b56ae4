"""Every nnlite figure. Each function takes data, draws on a new matplotlib
Figure (no pyplot state, so it runs headless) and returns the Figure; the
caller saves it (`fig.savefig(path)`). Nothing here calls `plt.show()`.

Every axes has both labels, every series its own colour and line style,
legends sit outside the data, and a figure a reader could misread carries a
one-line caption at its foot. Margins are fixed in inches rather than
solved by constrained layout: the same picture, drawn about twice as fast.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter, MaxNLocator

from . import activations as _activations

_LINESTYLES = ("-", "--", ":", "-.")
_CAPTION_LINE = 0.2  # inches per caption line at the figure's foot


def _style(k: int, count: int | None = None) -> dict:
    """Colour and line style of series k: ten colours, then the next line style, so no two series look alike.

    With `count` <= 10 every series is solid; above, each series also gets its own dash pattern
    (k % 3), so curves that coincide (relu, leaky_relu and linear for z > 0) stay visible.
    """
    if count is not None and count <= 10:
        return {"color": f"C{k % 10}", "ls": "-"}
    return {"color": f"C{k % 10}", "ls": _LINESTYLES[k % 3 if count is not None else (k // 10) % 4]}


def _arrange(
    fig: Figure,
    *,
    left: float = 0.75,
    right: float = 0.2,
    top: float = 0.45,
    bottom: float = 0.55,
    wgap: float = 0.7,
    hgap: float = 0.7,
    caption_lines: int = 0,
) -> None:
    """Fix the subplot margins and gaps in inches (constrained layout would solve for them on every draw)."""
    width, height = fig.get_size_inches()
    bottom += caption_lines * _CAPTION_LINE
    grid = fig.axes[0].get_subplotspec().get_gridspec() if fig.axes else None
    nrows, ncols = grid.get_geometry() if grid is not None else (1, 1)
    axis_w = (width - left - right - wgap * (ncols - 1)) / ncols
    axis_h = (height - top - bottom - hgap * (nrows - 1)) / nrows
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height,
                        bottom=bottom / height, wspace=wgap / axis_w, hspace=hgap / axis_h)


def _caption(fig: Figure, text: str) -> None:
    """A caption at the figure's foot, for what a reader could otherwise misread (leave room with `_arrange`)."""
    fig.text(0.5, 0.06 / fig.get_size_inches()[1], text, ha="center", va="bottom", fontsize="small",
             color="0.25")


def _legend_outside(ax, **kwargs) -> None:
    """A legend right of the axes, where it cannot cover data (leave room with `_arrange(right=...)`)."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize="small", **kwargs)


class _PlainLogFormatter(LogFormatter):
    """matplotlib's choice of which log ticks to label, written as plain numbers (0.3, 1, 20), not 3x10^-1."""

    def _num_to_string(self, x, vmin, vmax):
        return f"{x:g}"


def _plain_log_ticks(ax, axis: str = "y") -> None:
    """Plain-number labels on a log axis; minor ticks are labelled too when it spans under two decades."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(_PlainLogFormatter())
    target.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))


def _subplots(fig: Figure, *args, **kwargs):
    """`fig.subplots` with titles at a fixed height: matplotlib would otherwise measure every axis's
    tick labels on each draw to lift the title over them, the costliest step of drawing a panel."""
    with matplotlib.rc_context({"axes.titley": 1.0}):
        return fig.subplots(*args, **kwargs)


def _panel_grid(count: int, ncols: int, width: float, height: float) -> tuple[Figure, np.ndarray]:
    """A Figure with `count` panels of width x height inches in rows of `ncols`, the spare ones hidden."""
    ncols = max(1, min(ncols, count))
    nrows = -(-count // ncols)
    fig = Figure(figsize=(width * ncols, height * nrows))
    axes = _subplots(fig, nrows, ncols, squeeze=False)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, axes


def _first_output_curve(act: _activations.Activation, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """(f, df/dx, label) along x: elementwise activations directly; softmax, log_softmax and maxout,
    which act on a vector, as their first output for the input vector (x, 0)."""
    if type(act).derivative is not _activations.Activation.derivative:
        y = act.forward(x)
        return y, act.backward(np.ones_like(y)), act.name
    y = act.forward(np.stack([x, np.zeros_like(x)], axis=1))
    dvalues = np.zeros_like(y)
    dvalues[:, 0] = 1.0
    return y[:, 0], act.backward(dvalues)[:, 0], f"{act.name}((x, 0))[0]"


def activation_gallery(
    names: Sequence[str | _activations.Activation] | None = None,
    x: np.ndarray | None = None,
    ncols: int = 5,
) -> Figure:
    """Grid of activations: f(x) (solid) and f'(x) (dashed) on one axes each.

    `names` are registry names or Activation instances (default: every
    registered activation). Softmax, log_softmax and maxout act on a vector:
    their panel shows the first output for the input (x, 0) and its
    derivative with respect to x. The default x runs over [-7, 7], wide
    enough to show relu6's cap at 6.
    """
    x = np.linspace(-7, 7, 561) if x is None else np.asarray(x, dtype=np.float64)
    names = _activations.names() if names is None else names
    acts = [_activations.get(n) for n in names]
    if not acts:
        raise ValueError("activation_gallery needs at least one activation")
    fig, axes = _panel_grid(len(acts), ncols, 3.0, 2.5)
    for ax, act in zip(axes.flat, acts):
        y, dy, label = _first_output_curve(act, x)
        ax.plot(x, y, color="C0", label="f(x)")
        ax.plot(x, dy, "--", color="C1", label="f'(x)")
        ax.axhline(0, color="0.8", lw=0.8, zorder=0)
        ax.axvline(0, color="0.8", lw=0.8, zorder=0)
        ax.set_title(label, fontsize="medium")
        ax.set_xlabel("x")
        ax.set_ylabel("f(x), f'(x)")
    fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="upper right", ncols=2, fontsize="small",
               frameon=False)
    _arrange(fig, left=0.75, top=0.55, bottom=0.5, wgap=0.85, hgap=0.75)
    return fig


def _layer_labels(keys: Sequence[str]) -> dict[str, str]:
    """History keys such as "0.dense", "2.dense" -> "dense 1 (input side)", "dense 2"."""
    seen: dict[str, int] = {}
    labels = {}
    for key in keys:
        match = re.fullmatch(r"\d+\.(.+)", key)
        kind = match.group(1) if match else key
        seen[kind] = seen.get(kind, 0) + 1
        labels[key] = f"{kind} {seen[kind]}" + (" (input side)" if seen[kind] == 1 and len(keys) > 1 else "")
    return labels


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
    fig = Figure(figsize=(4.2 * len(panels), 3.4))
    axes = _subplots(fig, 1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        if panel == "gradient norm":
            labels = _layer_labels(list(history.grad_norm))
            for k, (key, norms) in enumerate(history.grad_norm.items()):
                ax.plot(epochs, norms, label=labels[key], **_style(k, len(labels)))
            ax.set_yscale("log")
            _plain_log_ticks(ax)
            ax.set_ylabel("gradient L2 norm")
        else:
            train, val = getattr(history, panel), getattr(history, f"val_{panel}")
            ax.plot(epochs, train, color="C0", label="train")
            if val:
                ax.plot(epochs, val, "--", color="C1", label="validation")
            ax.set_ylabel(panel)
        ax.set_xlabel("epoch")
        ax.set_title(panel)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="upper left", ncols=2, fontsize="small", frameon=False)
    if history.grad_norm:
        _legend_outside(axes[-1], title="layer")
    _arrange(fig, left=0.7, right=1.9 if history.grad_norm else 0.2, top=0.6, wgap=0.95)
    return fig


# ------------------------------------------------ the activation comparison study
# These take the `ComparisonResults` of nnlite.experiments.compare_activations;
# every curve is the mean over seeds, and activation k is drawn in style k
# (`_style`) in every figure.


def comparison_curves(results) -> Figure:
    """Training and test loss and accuracy per epoch, one line per activation (2x2 panels)."""
    epochs = np.arange(1, results.epochs + 1)
    count = len(results.activations)
    fig = Figure(figsize=(10, 7))
    axes = _subplots(fig, 2, 2)
    panels = (("loss", "training loss"), ("val_loss", "test loss"),
              ("accuracy", "training accuracy"), ("val_accuracy", "test accuracy"))
    for ax, (quantity, title) in zip(axes.flat, panels):
        for k, name in enumerate(results.activations):
            ax.plot(epochs, results.curve(name, quantity), label=name, **_style(k, count))
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes[0]:
        ax.set_yscale("log")
        _plain_log_ticks(ax)
        ax.set_ylabel("cross-entropy loss (log scale)")
    for ax in axes[1]:
        ax.set_ylabel("accuracy")
    _legend_outside(axes[0, 1], title="activation")
    _arrange(fig, left=0.75, right=1.5, wgap=0.85, hgap=0.75, caption_lines=1)
    _caption(fig, "mean over seeds; test = the held-out split, never used for training")
    return fig


def comparison_gradient_norms(results) -> Figure:
    """Gradient norm ||(dL/dW_l, dL/db_l)||_2 of every Dense layer l over the
    epochs (the mean over each epoch's batches), one panel per activation,
    log scale shared by all panels; darker lines are nearer the input."""
    epochs = np.arange(1, results.epochs + 1)
    layers = list(results.runs[0].grad_norm)
    ncols = min(4, len(results.activations))
    nrows = -(-len(results.activations) // ncols)
    fig = Figure(figsize=(3.2 * ncols + 1.3, 2.8 * nrows))
    axes = _subplots(fig, nrows, ncols, squeeze=False, sharey=True)
    shades = matplotlib.colormaps["viridis"](np.linspace(0, 0.85, len(layers)))
    for ax, name in zip(axes.flat, results.activations):
        for k, (layer, shade) in enumerate(zip(layers, shades)):
            ax.plot(epochs, results.curve(name, "grad_norm", layer), color=shade, ls=_LINESTYLES[k % 4],
                    label=layer)
        ax.set_yscale("log")
        _plain_log_ticks(ax)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("gradient norm")
    for ax in list(axes.flat)[len(results.activations):]:
        ax.set_visible(False)
    _legend_outside(axes[0, -1], title="Dense layer")
    _arrange(fig, left=0.85, right=1.3, wgap=0.75, hgap=0.7)
    return fig


def gradient_norm_by_layer(results, epoch: int = 1) -> Figure:
    """Gradient norm of each Dense layer (input side first) at one epoch, one
    line per activation, log scale. Vanishing gradients show as a line that
    falls layer by layer towards the input (sigmoid in a deep narrow net)."""
    if not 1 <= epoch <= results.epochs:
        raise ValueError(f"gradient_norm_by_layer: epoch must lie in 1..{results.epochs}, got {epoch}")
    layers = list(results.runs[0].grad_norm)
    count = len(results.activations)
    fig = Figure(figsize=(7.5, 4.8))
    ax = _subplots(fig)
    depth = np.arange(1, len(layers) + 1)
    markers = "osD^vP*X"
    for k, name in enumerate(results.activations):
        norms = [results.curve(name, "grad_norm", layer)[epoch - 1] for layer in layers]
        ax.plot(depth, norms, marker=markers[k % len(markers)], label=name, **_style(k, count))
    ax.set_yscale("log")
    _plain_log_ticks(ax)
    ax.set_xticks(depth)
    ax.set_xlabel("Dense layer (1 = input side)")
    ax.set_ylabel("gradient norm (mean over the epoch's batches)")
    ax.set_title(f"gradient norm by layer, epoch {epoch}")
    _legend_outside(ax, title="activation")
    _arrange(fig, left=0.85, right=1.5)
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
    fig = Figure(figsize=(8.5, 2.0 * n + 0.4))
    axes = _subplots(fig, n, 2, squeeze=False)
    for row, name in zip(axes, results.activations):
        run = next(r for r in results.runs_of(name) if r.seed == seed)
        for k, (epoch, hists) in enumerate(sorted(run.histograms.items())):
            for ax, what in zip(row, ("gradient", "activation")):
                ax.stairs(hists[what]["counts"], hists[what]["edges"], label=f"epoch {epoch}", **_style(k))
        for ax, xlabel in zip(row, ("dL/dW1 entry", "activation value")):
            ax.set_yscale("log")
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.tick_params(labelsize="small")
            ax.set_xlabel(xlabel, fontsize="small", labelpad=1)
        row[0].set_ylabel(f"{name}\ncount", fontsize="small")
        row[1].set_ylabel("count", fontsize="small")
    axes[0, 0].set_title("first-layer weight gradient dL/dW1")
    axes[0, 1].set_title("first hidden layer activations")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="upper center", ncols=4, fontsize="small",
               frameon=False)
    _arrange(fig, left=0.85, top=0.65, bottom=0.45, wgap=0.7, hgap=0.6)
    return fig


def comparison_unit_fractions(results) -> Figure:
    """Dead units (output 0 on every probe sample, left) and saturated units
    (|f'(x)| < 1e-3, right) over the epochs, averaged over the hidden layers,
    one line per activation."""
    epochs = np.arange(1, results.epochs + 1)
    count = len(results.activations)
    fig = Figure(figsize=(11, 3.9))
    axes = _subplots(fig, 1, 2, sharey=True)
    layers = list(results.runs[0].dead_fraction)
    titles = ("dead units: output 0 on every probe sample",
              "saturated units: |f'(x)| < 1e-3, passing ~no gradient back")
    for ax, quantity, title in zip(axes, ("dead_fraction", "saturation"), titles):
        for k, name in enumerate(results.activations):
            mean = np.mean([results.curve(name, quantity, layer) for layer in layers], axis=0)
            ax.plot(epochs, mean, label=name, **_style(k, count))
        ax.set_title(title, fontsize="medium")
        ax.set_xlabel("epoch")
        ax.set_ylabel("fraction (mean over hidden layers)")
    axes[1].yaxis.set_tick_params(labelleft=True)
    _legend_outside(axes[1], title="activation")
    _arrange(fig, left=0.75, right=1.5, wgap=0.85, caption_lines=1)
    _caption(fig, "saturated: the share of (probe sample, unit) pairs where f' is below 1e-3 "
                  "(for relu, the x <= 0 side)")
    return fig


def activation_overlay(names: Sequence[str | _activations.Activation], z: np.ndarray | None = None) -> Figure:
    """All the given activations f(z) on one axes (the minimal-model notebooks' first figure).

    Each curve has its own colour and dash pattern, so curves that coincide
    (relu, leaky_relu, elu, selu and linear for z > 0) stay visible.
    """
    z = np.linspace(-5, 5, 501) if z is None else np.asarray(z, dtype=np.float64)
    acts = [_activations.get(name) if not isinstance(name, _activations.Activation) else name for name in names]
    fig = Figure(figsize=(7.6, 4.6))
    ax = _subplots(fig)
    for k, act in enumerate(acts):
        ax.plot(z, act.function(z), label=act.name, lw=1.8, **_style(k, max(len(acts), 11)))
    ax.set_ylim(-1.5, 4)
    ax.set_xlabel("net input z = w x + b")
    ax.set_ylabel("f(z)")
    ax.set_title("activations of the minimal model")
    _legend_outside(ax)
    _arrange(fig, left=0.6, right=1.45, caption_lines=1)
    _caption(fig, "dashed and dotted curves lie on top of solid ones where they coincide")
    return fig


def neuron_output_grid(activations, x: np.ndarray, weights: Sequence[float], ncols: int = 4) -> Figure:
    """One panel per activation: the neuron's output T = f(w x) against x for a few weights.

    `activations` maps a label to an Activation (or registry name); saturation
    shows as flat tails, which is what makes binned I(X;T) fall as w grows.
    """
    # a curve only needs ~400 points to look smooth, whatever the sample size
    x = np.sort(np.asarray(x, dtype=np.float64))
    x = np.linspace(x[0], x[-1], 401) if x.size > 401 else x
    items = list(activations.items())
    if not items:
        raise ValueError("neuron_output_grid needs at least one activation")
    fig, axes = _panel_grid(len(items), ncols, 2.9, 2.4)
    for ax, (label, act) in zip(axes.flat, items):
        act = _activations.get(act)
        for k, w in enumerate(weights):
            ax.plot(x, act.function(w * x), label=f"w = {w:g}", **_style(k, len(weights)))
        ax.set_title(label, fontsize="medium")
        ax.set_xlabel("x")
        ax.set_ylabel("T = f(w x)")
    fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="upper right", ncols=len(weights),
               fontsize="small", frameon=False)
    _arrange(fig, left=0.65, top=0.6, bottom=0.5, wgap=0.7, hgap=0.7)
    return fig


def information_vs_weight(
    weights: np.ndarray,
    curves: Mapping[str, np.ndarray],
    title: str = "",
    reference: float | None = None,
    ylabel: str = "I(X;T) = H(T) (bits)",
) -> Figure:
    """Binned I(X;T) against the weight w, one curve per label in `curves`
    (label -> values, one per weight); `reference` draws a black line, e.g. H(X),
    and a caption saying that estimates above it are a binning artefact.
    With 40 weights or fewer every point is marked, so a kink shows as one."""
    weights = np.asarray(weights, dtype=np.float64)
    fig = Figure(figsize=(8.2, 4.8))
    ax = _subplots(fig)
    marker = "o" if weights.size <= 40 else None
    for k, (label, values) in enumerate(curves.items()):
        ax.plot(weights, values, label=label, marker=marker, ms=3, **_style(k, len(curves)))
    if reference is not None:
        ax.axhline(reference, color="k", lw=0.9, label=f"H(X) = {reference:.2f} bits")
    ax.set_xlabel("weight w")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _legend_outside(ax)
    notes = []
    if reference is not None:
        notes.append("above the H(X) line: a binning artefact (T = f(w x) holds no more about x than x)")
    if marker:
        notes.append(f"markers: the {weights.size} weights computed")
    _arrange(fig, left=0.7, right=1.65, caption_lines=len(notes))
    if notes:
        _caption(fig, "\n".join(notes))
    return fig


def information_panels(
    weights: np.ndarray,
    panels: Mapping[str, Mapping],
    legend_title: str = "",
    title: str = "",
    ylabel: str = "I(X;T) = H(T) (bits)",
) -> Figure:
    """One panel per entry of `panels` (panel title -> {curve label -> values per weight}),
    I(X;T) against w: the bias sweep and the bin-count comparison."""
    fig = Figure(figsize=(5.0 * len(panels) + 0.6, 4.2))
    axes = _subplots(fig, 1, len(panels), squeeze=False)[0]
    for ax, (name, curves) in zip(axes, panels.items()):
        for k, (label, values) in enumerate(curves.items()):
            ax.plot(weights, values, label=str(label), **_style(k, len(curves)))
        ax.set_title(name)
        ax.set_xlabel("weight w")
        ax.set_ylabel(ylabel)
    _legend_outside(axes[-1], title=legend_title)
    if title:
        fig.suptitle(title)
    _arrange(fig, left=0.7, right=1.3, top=0.7 if title else 0.45, wgap=0.85)
    return fig


def binning_picture(x: np.ndarray, t: np.ndarray, edges: np.ndarray, title: str = "") -> Figure:
    """Where the samples of one weight fall in the bins (the notebooks' plot_binning):
    T against x with the bin edges as horizontal lines, and the count per bin."""
    x, t, edges = (np.asarray(a, dtype=np.float64) for a in (x, t, edges))
    counts, _ = np.histogram(t, edges)
    fig = Figure(figsize=(8.6, 4.4))
    ax, axh = _subplots(fig, 1, 2, gridspec_kw={"width_ratios": [2, 1]}, sharey=True)
    ax.plot(x, t, ".", ms=2)
    # one collection for all the edges, not one artist per line
    ax.hlines(edges, 0, 1, transform=ax.get_yaxis_transform(), color="0.8", lw=0.5, zorder=0)
    ax.set_xlabel("x")
    ax.set_ylabel("T (grey lines: bin edges)")
    ax.set_title(f"{title}: {len(edges) - 1} bins" if title else f"{len(edges) - 1} bins")
    axh.stairs(counts, edges, orientation="horizontal", fill=True)  # one artist, not a bar per bin
    axh.set_xlim(left=0)
    axh.set_xlabel("samples per bin")
    axh.yaxis.set_label_position("right")
    axh.set_ylabel("bin of T")
    _arrange(fig, left=0.75, wgap=0.3)
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
            ax.set_ylabel("I(X;T) (bits)")
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
    axes = fig.subplots(2, len(results.activations), squeeze=False)
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
            ax.set_xlabel("epoch")
        top.set_ylabel("norm over the layer's weights")
        bottom.set_ylabel("SNR")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=n_layers,
               fontsize="small")
    return fig
