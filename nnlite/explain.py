"""The chain rule made visible: every factor of dL/dw with its finite-difference check.

    result = nnlite.explain(nnlite.OneNeuron("tanh", weight=2.0, bias=0.5), x=0.3, y=1.0)
    print(result)              # plain-text tables
    result.to_markdown()       # the same tables in markdown
    result.figure()            # f and f' with the batch's pre-activations marked

For one weight w = W[i, j] of a Dense layer and the activation f after it,
the forward pass is

    z = sum_i W[i, j] x_i + b_j        a = f(z)        L = loss(output, y)

and the backward pass is the chain rule, one named factor at a time:

    dL/da                              from the loss, or from the next layer:
                                       dL/da_j = sum_k dL/dz'_k W'[j, k]
    da/dz = f'(z)
    dL/dz = dL/da * da/dz              (this is also dL/db: dz/db = 1)
    dz/dw = x_i
    dL/dw = dL/dz * dz/dw

Each factor is given per sample s for that sample's own loss l_s, where the
batch loss is L = mean_s l_s, so dl_s/da_s = n * dL/da_s. The batch gradient
is the average of the per-sample ones, dL/dw = mean_s dl_s/dw (the average
of the products, not the product of the averages), which is what `backward`
computes on the batch. Beside each factor is its central difference
(g(t + h) - g(t - h)) / (2 h), h = eps * max(1, |t|) as in `gradcheck`, taken
by perturbing that one quantity (a, z, w or b) and running the rest of the
network and the loss again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # matplotlib is imported by figure() only, so that `import nnlite` stays quick
    from matplotlib.figure import Figure

from . import activations as _activations
from . import losses as _losses
from ._arrays import as_float_array, check_finite
from .gradcheck import _ROUNDING, _perturbed
from .layers import Dense

__all__ = ["explain", "Explanation", "Step", "Quantity", "SATURATION"]

SATURATION = 0.01  # |f'(z)| below this passes almost no gradient back: the figure counts these as saturated


@dataclass
class Quantity:
    """One row of an explanation: a forward value or a backward factor.

    `values` holds one value per sample; `numeric` the finite-difference
    estimate per sample and `batch_numeric` the one of the batch average
    (None for forward values, which need no check); `noise` and
    `batch_noise` bound their rounding error (a disagreement inside it
    cannot be judged).
    """

    symbol: str
    formula: str
    values: np.ndarray
    numeric: np.ndarray | None = None
    batch_numeric: float | None = None
    noise: np.ndarray | None = None
    batch_noise: float = 0.0

    @property
    def batch(self) -> float:
        """Mean over the batch; for dL/dw and dL/db this is the gradient of the batch loss L."""
        return float(np.mean(self.values))


@dataclass
class Step:
    """One Dense layer and the activation after it, seen through one weight W[i, j].

    `forward` and `backward` are lists of `Quantity`; `step["dL/dw"]` looks
    a row up by symbol. `preactivations` holds every unit's z for the batch
    (shape (n, units)), for the figure.
    """

    layer: int
    title: str
    activation: _activations.Activation
    entry: tuple[int, int]
    preactivations: np.ndarray
    forward: list[Quantity] = field(default_factory=list)
    backward: list[Quantity] = field(default_factory=list)

    def __getitem__(self, symbol: str) -> Quantity:
        rows = self.forward + self.backward
        for q in rows:
            if q.symbol == symbol:
                return q
        raise KeyError(f"no quantity {symbol!r} in this step; it has {[q.symbol for q in rows]}")


@dataclass
class Explanation:
    """What `explain` recorded: one `Step` per Dense layer, input side first.

    `losses` are the per-sample losses l_s, `loss` their mean L (the batch
    loss); `sample` is the sample shown beside the batch averages.
    """

    model: str
    loss_name: str
    sample: int
    losses: np.ndarray
    loss: float
    steps: list[Step]

    @property
    def n_samples(self) -> int:
        """Number of samples in the explained batch."""
        return len(self.losses)

    def _rows(self, backward: bool) -> list[list[str]]:
        one = self.n_samples == 1
        rows = []
        steps = reversed(self.steps) if backward else self.steps
        for step in steps:
            for q in step.backward if backward else step.forward:
                row = [str(step.layer), q.symbol, q.formula, _fmt(q.values[self.sample])]
                if backward:
                    noise = 0.0 if q.noise is None else q.noise[self.sample]
                    row.append(_fmt_check(q.values[self.sample], q.numeric[self.sample], noise))
                if not one:
                    row.append(_fmt(q.batch))
                    if backward:
                        row.append(_fmt_check(q.batch, q.batch_numeric, q.batch_noise))
                rows.append(row)
        if not backward:
            loss_row = ["", "L", f"{self.loss_name}(output, y)", _fmt(self.losses[self.sample])]
            rows.append(loss_row if one else loss_row + [_fmt(self.loss)])
        return rows

    def _headers(self, backward: bool) -> list[str]:
        value = "value" if self.n_samples == 1 else f"sample {self.sample}"
        headers = ["layer", "quantity", "formula", value]
        if backward:
            headers.append("finite diff.")
        if self.n_samples > 1:
            headers.append("batch mean")
            if backward:
                headers.append("finite diff.")
        return headers

    def _caption(self) -> str:
        return f"{self.model}, loss {self.loss_name}, {self.n_samples} sample{'s' if self.n_samples > 1 else ''}"

    def __str__(self) -> str:
        parts = [f"explain: {self._caption()}"]
        for title, backward in (("forward pass", False), ("backward pass: dL/dw = dL/da * da/dz * dz/dw", True)):
            headers, rows = self._headers(backward), self._rows(backward)
            widths = [max(len(r[c]) for r in [headers, *rows]) for c in range(len(headers))]
            lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in [headers, *rows]]
            lines.insert(1, "  ".join("-" * w for w in widths))
            lines += _footnotes(rows)
            parts.append(f"\n{title}\n" + "\n".join(lines))
        return "\n".join(parts)

    def to_markdown(self) -> str:
        """Both passes as markdown tables (formulas in backticks)."""
        parts = [f"**explain**: {self._caption()}"]
        for title, backward in (("Forward pass", False), ("Backward pass: dL/dw = dL/da · da/dz · dz/dw", True)):
            headers, rows = self._headers(backward), self._rows(backward)
            lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            for r in rows:
                r = r[:2] + [f"`{r[2]}`"] + r[3:]
                lines.append("| " + " | ".join(r) + " |")
            notes = [note.replace("*", "\\*", 1) for note in _footnotes(rows)]
            if notes:
                lines.append("\n" + "\n\n".join(notes))
            parts.append(f"{title}\n\n" + "\n".join(lines))
        return "\n\n".join(parts) + "\n"

    def figure(self) -> Figure:
        """One panel per layer: f(z) and f'(z), the layer's pre-activations on the batch
        marked on f' (grey: every unit; coloured: the explained unit; star: the shown sample),
        and the share of them with |f'(z)| < SATURATION in the title."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(4.2 * len(self.steps), 3.4), layout="constrained")
        axes = fig.subplots(1, len(self.steps), squeeze=False)[0]
        for ax, step in zip(axes, self.steps):
            act, z_all = step.activation, step.preactivations
            z = z_all[:, step.entry[1]]
            lo, hi = min(-4.0, float(z_all.min()) - 0.5), max(4.0, float(z_all.max()) + 0.5)
            grid = np.linspace(lo, hi, 400)
            f = act.function(grid)
            ax.plot(grid, f, label="f(z)")
            ax.plot(grid, act.derivative(grid, f), "--", label="f'(z)")
            d_all = act.derivative(z_all, act.function(z_all))
            ax.plot(z_all.ravel(), d_all.ravel(), "|", color="0.6", ms=8, label="batch z, all units")
            d = d_all[:, step.entry[1]]
            ax.plot(z, d, "o", color="tab:red", ms=4, label=f"batch z, unit {step.entry[1]}")
            ax.plot(z[self.sample], d[self.sample], "*", color="k", ms=12, label=f"sample {self.sample}")
            saturated = float(np.mean(np.abs(d_all) < SATURATION))
            ax.set_title(f"layer {step.layer}: {act.name}, {saturated:.0%} with |f'(z)| < {SATURATION:g}",
                         fontsize="medium")
            ax.set_xlabel("pre-activation z")
            ax.set_ylabel("f(z) and f'(z)")
            ax.axhline(0, color="0.85", lw=0.8, zorder=0)
        axes[0].legend(loc="best", fontsize="x-small")
        return fig


def _fmt(value: float) -> str:
    return f"{value + 0.0:.6g}"  # + 0.0 prints -0.0 as 0


def _fmt_check(value: float, numeric: float, noise: float = 0.0) -> str:
    """The finite difference, marked when it disagrees with the chain rule (gradcheck's default
    tolerances): "*" beyond the rounding noise of the difference, "~" within it (no verdict)."""
    tolerance = 1e-5 + 1e-3 * abs(numeric)
    error = abs(value - numeric)
    mark = "" if error <= tolerance else " ~" if error <= tolerance + noise else " *"
    return _fmt(numeric) + mark


_FOOTNOTE = ("* disagrees with the chain rule: the step of +-eps crossed a kink or a clipping "
             "(relu at 0, cross-entropy's p clipped to [1e-7, 1 - 1e-7]), or a derivative is wrong")
_FOOTNOTE_NOISE = ("~ cannot be judged: the step moves the result by less than its rounding error "
                   "(values of very different magnitudes, e.g. a bias of 0 next to w*x = 1e8)")


def _footnotes(rows: list[list[str]]) -> list[str]:
    cells = [cell for r in rows for cell in r]
    return [note for mark, note in ((" *", _FOOTNOTE), (" ~", _FOOTNOTE_NOISE))
            if any(cell.endswith(mark) for cell in cells)]


def _difference(plus: np.ndarray, minus: np.ndarray, step: Any) -> tuple[np.ndarray, np.ndarray]:
    """(plus - minus) / step and its rounding noise: a few ulps of the larger of the two, over the step."""
    with np.errstate(over="ignore", invalid="ignore"):
        noise = 2 * _ROUNDING * np.maximum(np.abs(plus), np.abs(minus)) / step
    return (plus - minus) / step, noise


def _is_elementwise(act: _activations.Activation) -> bool:
    return type(act).derivative is not _activations.Activation.derivative


def _layers_of(model: Any) -> tuple[str, list[Any]]:
    """(description with a "{chain}" slot for the layers, layers) for each kind of model explain takes."""
    from .network import Sequential

    if isinstance(model, Sequential):
        return "Sequential: {chain}", list(model.layers)
    if isinstance(model, Dense):
        return "{chain}", [model]
    if isinstance(model, (tuple, list)):
        return "{chain}", [_activations.get(m) if isinstance(m, str) else m for m in model]
    if hasattr(model, "activation") and hasattr(model, "weight") and hasattr(model, "bias"):
        # A OneNeuron is a Dense(1, 1) with the same w and b: explain that copy.
        dense = Dense(1, 1, weight_init="zeros")
        dense.weights[...] = float(model.weight)
        dense.biases[...] = float(model.bias)
        act = _activations.get(model.activation)
        return f"OneNeuron({act.name}, w={float(model.weight):g}, b={float(model.bias):g})", [dense, act]
    raise TypeError(
        "explain takes a Sequential, a Dense, a (Dense, activation) pair or a OneNeuron; "
        f"got {type(model).__name__}"
    )


def _blocks(layers: list[Any]) -> list[tuple[int, int | None]]:
    """(index of a Dense, index of the activation after it or None) for each Dense layer."""
    blocks: list[tuple[int, int | None]] = []
    for i, layer in enumerate(layers):
        if isinstance(layer, Dense):
            if layer.l1 or layer.l2:
                raise ValueError(
                    f"explain: layer {i} has an L1/L2 penalty; explain shows the data loss only, "
                    "so build the layers without l1/l2"
                )
            if layer.dtype != np.float64:
                raise TypeError(f"explain needs float64 layers for finite differences; layer {i} is {layer.dtype}")
            blocks.append((i, None))
        elif isinstance(layer, _activations.Activation):
            if not blocks or blocks[-1][1] is not None or blocks[-1][0] != i - 1:
                raise ValueError(f"explain: layer {i} ({layer!r}) must follow a Dense layer directly")
            if not _is_elementwise(layer):
                raise ValueError(
                    f"explain: layer {i} ({layer!r}) is not elementwise, so da/dz is not one number; "
                    "end the network with logits and use loss='softmax_cross_entropy'"
                )
            blocks[-1] = (blocks[-1][0], i)
        else:
            raise TypeError(f"explain handles Dense layers and activations; layer {i} is {type(layer).__name__}")
    if not blocks:
        raise ValueError("explain needs at least one Dense layer")
    return blocks


def _batch(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """x as finite float64 samples (n, n_inputs); y with one target per sample (checked by the loss)."""
    x = check_finite(np.array(as_float_array(x, "explain x"), dtype=np.float64), "explain x")
    if x.ndim < 2:
        x = x.reshape(-1, 1)
    if len(x) == 0:
        raise ValueError("explain needs at least one sample; x is empty")
    y = np.asarray(y)
    y = y.reshape(-1) if y.ndim == 0 else y
    if len(y) != len(x):
        raise ValueError(f"explain: x has {len(x)} samples but y has {len(y)}")
    return x, y


def _check_arguments(layers: list[Any], blocks: list[tuple[int, int | None]], n: int, sample: Any, eps: Any) -> None:
    if isinstance(sample, (bool, np.bool_)) or not isinstance(sample, (int, np.integer)):
        raise TypeError(f"explain: sample must be an integer index, got {sample!r}")
    if not 0 <= sample < n:
        raise ValueError(f"explain: sample must lie in 0..{n - 1}, got {sample}")
    if not (isinstance(eps, (int, float, np.number)) and np.isfinite(eps) and eps > 0):
        raise ValueError(f"explain: eps must be a positive finite number, got {eps!r}")
    for d, a in blocks:
        params = dict(layers[d].params)
        if a is not None:
            params.update(getattr(layers[a], "params", None) or {})
        for name, value in params.items():
            check_finite(value, f"explain: layer {d}'s {name}")


def explain(
    model: Any,
    x: Any,
    y: Any,
    loss: str | _losses.Loss = "mse",
    *,
    sample: int = 0,
    entry: tuple[int, int] | Sequence[tuple[int, int]] = (0, 0),
    eps: float = 1e-6,
) -> Explanation:
    """Record the forward pass and the chain-rule factors of dL/dw for one weight per Dense layer.

    `model`: a `Sequential` of Dense layers each optionally followed by an
    elementwise activation, a `Dense`, a `(Dense, activation)` pair (an
    activation name works too) or a `OneNeuron`. `x`: the inputs, shape
    (n, n_inputs); a number or a 1-D array is taken as samples of a single
    input. `y`: the targets `loss` expects. `sample`: the sample shown beside
    the batch averages. `entry`: the weight W[i, j] explained, one (i, j) for
    every Dense layer or a list with one per layer. `eps`: the
    finite-difference step. The model's parameters are perturbed in place
    and restored exactly; afterwards the model holds the forward and
    backward state of the unperturbed batch. See the module doc for the
    formulas.
    """
    description, layers = _layers_of(model)
    blocks = _blocks(layers)
    loss_fn = _losses.get(loss)
    loss_name = loss if isinstance(loss, str) else loss_fn.name
    x, y = _batch(x, y)
    n = len(x)
    _check_arguments(layers, blocks, n, sample, eps)
    entries = [tuple(entry)] * len(blocks) if np.ndim(entry) == 1 else [tuple(e) for e in entry]
    if len(entries) != len(blocks):
        raise ValueError(f"explain: {len(entries)} entries for {len(blocks)} Dense layers")
    for (d, _), (i, j) in zip(blocks, entries):
        if not (0 <= i < layers[d].n_inputs and 0 <= j < layers[d].n_neurons):
            raise ValueError(f"explain: entry ({i}, {j}) is outside layer {d}'s weights {layers[d].weights.shape}")

    def run(start: int, values: np.ndarray) -> np.ndarray:
        for layer in layers[start:]:
            values = layer.forward(values)
        return values

    def per_sample(pred: np.ndarray) -> np.ndarray:
        # _forward: a perturbed prediction may step just outside the loss's domain (a probability of
        # -1e-7 near bce's clip); the targets were checked once, by the clean pass's forward
        return np.array([loss_fn._forward(pred[s:s + 1], targets[s:s + 1]) for s in range(n)])

    def clean_pass() -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], float]:
        """Forward and backward on the unperturbed batch: each layer's input, output and the dL/d(output) it got."""
        inputs, outputs, out = [], [], x
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is named just below
            for layer in layers:
                inputs.append(out)
                out = layer.forward(out)
                outputs.append(out.copy())  # copies: the finite differences below run the layers again
        if not all(np.all(np.isfinite(o)) for o in outputs):
            raise ValueError(
                "explain: the model's output is not finite on these inputs (the forward pass overflowed); "
                "finite differences cannot be taken there: use smaller inputs or weights"
            )
        value = loss_fn.forward(out, y)  # checks the targets and the predictions against the loss
        if not np.isfinite(value):
            raise ValueError(
                f"explain: the loss is not finite on these inputs (L = {value}: it overflowed although the "
                "output did not); finite differences cannot be taken there: use smaller inputs or weights"
            )
        douts: list[np.ndarray] = [None] * len(layers)  # type: ignore[list-item]
        d = loss_fn.backward()
        for k in reversed(range(len(layers))):
            douts[k] = d
            d = layers[k].backward(d)
        return inputs, outputs, douts, value

    inputs, outputs, douts, batch_loss = clean_pass()
    targets = loss_fn.prepare_targets(y, outputs[-1].shape, outputs[-1].dtype)
    losses = per_sample(outputs[-1])

    def central(start: int, base: np.ndarray, column: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-sample central differences of l_s, and their noise, when column `column` of input `start` moves."""
        plus, minus = base.copy(), base.copy()
        plus[:, column], minus[:, column] = _perturbed(base[:, column], eps)
        step = plus[:, column] - minus[:, column]
        return _difference(per_sample(run(start, plus)), per_sample(run(start, minus)), step)

    def central_param(d: int, tensor: np.ndarray, idx: tuple[int, int]) -> list[tuple[Any, Any]]:
        """Central differences (and noise) when tensor[idx] moves: of l_s, of the batch L, and of z[:, j]."""
        original, results = tensor[idx], []
        plus, minus = _perturbed(np.float64(original), eps)
        for value in (plus, minus):
            tensor[idx] = value
            pred = run(d, inputs[d])
            results.append((per_sample(pred), loss_fn._forward(pred, targets), layers[d].output[:, idx[1]].copy()))
        tensor[idx] = original
        (lp, Lp, zp), (lm, Lm, zm) = results
        step = plus - minus
        return [_difference(lp, lm, step), _difference(np.float64(Lp), np.float64(Lm), step),
                _difference(zp, zm, step)]

    steps = []
    for number, ((d, a), (i, j)) in enumerate(zip(blocks, entries), 1):
        dense = layers[d]
        act = layers[a] if a is not None else _activations.get("linear")
        last = number == len(blocks)
        x_i = inputs[d][:, i]
        z_all = outputs[d]
        z = z_all[:, j]
        a_out = outputs[a][:, j] if a is not None else z.copy()
        # dl_s/da_s = n dL/da_s: the loss is the mean of the per-sample losses
        dL_da = n * (douts[a] if a is not None else douts[d])[:, j]
        # whole layers, not column j: an activation may hold one parameter per unit (PReLU)
        da_dz = act.derivative(z_all, act.function(z_all))[:, j]
        dL_dz = dL_da * da_dz
        dL_dw = dL_dz * x_i

        a_idx = a if a is not None else d
        num_da = central(a_idx + 1, outputs[a_idx], j)
        num_dz = central(d + 1, z_all, j)
        z_plus, z_minus = _perturbed(z_all, eps)
        num_f = _difference(act.function(z_plus)[:, j], act.function(z_minus)[:, j], (z_plus - z_minus)[:, j])
        num_dw, batch_dw, num_zw = central_param(d, dense.weights, (i, j))
        num_db, batch_db, _ = central_param(d, dense.biases, (0, j))

        def check(symbol: str, formula: str, values: np.ndarray, numeric: tuple[Any, Any],
                  batch: tuple[Any, Any] | None = None) -> Quantity:
            """A backward row; the batch check is the mean of the per-sample ones unless given."""
            (num, noise), (b_num, b_noise) = numeric, batch or (np.mean(numeric[0]), np.mean(numeric[1]))
            return Quantity(symbol, formula, values, num, float(b_num), noise, float(b_noise))

        if d == 0:
            source = "input" if dense.n_inputs == 1 else f"input {i}"
        else:
            source = f"a[{i}] of layer {number - 1}"
        f_name = act.name  # a Dense without an activation after it: "linear", as in the figure
        step = Step(number, f"Dense({dense.n_inputs}, {dense.n_neurons}) + {f_name}", act, (i, j), z_all)
        step.forward = [
            Quantity("x", source, x_i.copy()),
            Quantity("w", "weight" if dense.weights.size == 1 else f"weights[{i}, {j}]",
                     np.full(n, dense.weights[i, j])),
            Quantity("b", "bias" if dense.biases.size == 1 else f"biases[{j}]", np.full(n, dense.biases[0, j])),
            Quantity("z", "w*x + b" if dense.n_inputs == 1 else f"sum_i weights[i, {j}] x_i + b", z.copy()),
            Quantity("a", f"{f_name}(z)", a_out),
        ]
        step.backward = [
            check("dL/da", f"from the loss ({loss_name})" if last else "sum_k dL/dz'_k w'_k (next layer)",
                  dL_da, num_da),
            check("da/dz", f"f'(z), f = {f_name}", da_dz, num_f),
            check("dL/dz", "dL/da * da/dz", dL_dz, num_dz),
            check("dz/dw", "x", x_i.copy(), num_zw),
            check("dL/dw", "dL/dz * dz/dw", dL_dw, num_dw, batch_dw),
            check("dL/db", "dL/dz * 1", dL_dz.copy(), num_db, batch_db),
        ]
        steps.append(step)

    clean_pass()  # leave the model holding the unperturbed batch's state and gradients
    description = description.format(chain=" -> ".join(step.title for step in steps))
    return Explanation(description, loss_name, sample, losses, batch_loss, steps)
