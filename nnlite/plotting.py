"""Every nnlite figure. Each function takes data, draws on a new matplotlib
Figure (no pyplot state, so it runs headless) and returns the Figure; the
caller saves it (`fig.savefig(path)`). Nothing here calls `plt.show()`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from . import activations as _activations


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
    ncols = max(1, min(ncols, len(acts)))
    nrows = -(-len(acts) // ncols)
    fig = Figure(figsize=(2.8 * ncols, 2.4 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, act in zip(axes.flat, acts):
        y = act.forward(x)
        dy = act.backward(np.ones_like(y))
        ax.plot(x, y, label="f(x)")
        ax.plot(x, dy, "--", label="f'(x)")
        ax.axhline(0, color="0.8", lw=0.8, zorder=0)
        ax.axvline(0, color="0.8", lw=0.8, zorder=0)
        ax.set_title(act.name)
        ax.set_xlabel("x")
    for ax in list(axes.flat)[len(acts):]:
        ax.set_visible(False)
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
