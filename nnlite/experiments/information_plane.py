"""The information plane of whole networks: Saxe et al. (2018), Figure 1.

    results = information_plane(activation=("tanh", "relu"), epochs=10000)
    print(results.table())                 # peak and final I(X;T) per layer, the drop, I(T;Y), accuracy
    Path("results.json").write_text(results.to_json())

The recipe of Shwartz-Ziv & Tishby (2017) as Saxe et al. (2018) ran it: the
12-bit task (`nnlite.datasets.tishby_bits`, or the original file through
`load_tishby_mat`), a 12-10-7-5-4-3-2 network with hidden activation f and a
softmax output, cross-entropy, weights truncated normal N(0, 1/n_out) within
2 sd and zero biases, Adam (lr 4e-4, batch 256) on an 80/20 split. At the
logged epochs (every epoch below 20, every 5th below 100, every 20th below
2000, then every 100th; epoch 0 is the untrained network) every layer's
activity on all 4096 patterns goes through the estimators of
`nnlite.information`: binning (`layer_entropy`, `layer_mutual_information`;
I(X;T) = H(T) since the inputs are distinct and equally likely), the
Shwartz-Ziv & Tishby fixed binning (30 bins over [-1, 1]) and the Kolchinsky
& Tracey KDE upper and pairwise lower bounds (`kde_bounds`).

Training is `Sequential.fit` itself: between two logged epochs the model is
fit for that many epochs with ONE Adam object (its moments and step count
carry over from call to call) and a shuffling seed per segment derived from
the run's seed, so the schedule is one uninterrupted Adam run.

Gradient signal and noise (Shwartz-Ziv & Tishby's SNR view): at each logged
epoch, with the weights of that moment and without updating them, the
training set is shuffled (a seed per logged epoch) into batches of
`batch_size`; each batch gets a forward and backward pass, and per Dense
layer the weight gradients g_b of the batches give
grad_mean = ||mean_b g_b||_2 and grad_std = ||std_b g_b||_2 (element-wise
std over batches), their ratio the SNR.

Runs of several activations and seeds are independent and go through
`nnlite._parallel.run_parallel` (`n_jobs`, `backend`, `scheduler`); every
run draws from its own seed, so results do not depend on n_jobs.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Union

import numpy as np

from .. import activations as _activations
from .. import datasets as _datasets
from .. import information as _information
from .. import losses as _losses
from .._parallel import check_n_jobs, run_parallel
from ..layers import Dense
from ..network import Sequential
from ..optimizers import Adam

__all__ = ["information_plane", "InformationPlaneResults", "InformationPlaneRun", "log_epochs",
           "build_information_plane_network", "ESTIMATORS"]

ESTIMATORS = ("binning", "fixed_binning", "kde")
_TEST_FRACTION = 0.2
_LOSS = "softmax_cross_entropy"
# purposes of the seeds derived from a run's seed: SeedSequence([seed, purpose, ...])
_SPLIT, _WEIGHTS, _SEGMENT, _GRADIENT_PROBE = range(4)

Dataset = Union[str, Sequence[np.ndarray]]


def log_epochs(epochs: int, max_logged: int | None = None) -> list[int]:
    """Epochs at which to measure: 0..19, every 5th below 100, every 20th below 2000, then every 100th, and `epochs`.

    `max_logged` keeps about that many of them, evenly spread over the list
    (so still log-spaced), always the first and the last.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    schedule = sorted({*range(0, 20), *range(20, 100, 5), *range(100, 2000, 20), *range(2000, epochs + 1, 100)}
                      | {int(epochs)})
    schedule = [e for e in schedule if e <= epochs]
    if max_logged is not None:
        if isinstance(max_logged, bool) or not isinstance(max_logged, (int, np.integer)) or max_logged < 2:
            raise ValueError(f"max_logged must be an integer >= 2, got {max_logged!r}")
        keep = np.unique(np.round(np.linspace(0, len(schedule) - 1, max_logged)).astype(int))
        schedule = [schedule[i] for i in keep]
    return schedule


def _truncated_normal(shape: tuple[int, int], std: float, rng: np.random.Generator) -> np.ndarray:
    """N(0, std^2) redrawn where it falls more than 2 sd from 0 (Keras' TruncatedNormal), by rejection."""
    w = rng.standard_normal(shape)
    outside = np.abs(w) > 2
    while outside.any():
        w[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(w) > 2
    return w * std


def build_information_plane_network(
    n_inputs: int, hidden: Sequence[int], n_classes: int, activation: str, rng: np.random.Generator
) -> Sequential:
    """Dense -> f -> ... -> Dense (logits); W ~ N(0, 1/n_out) truncated at 2 sd, b = 0 (Saxe et al.'s code)."""
    widths = [int(n_inputs), *map(int, hidden), int(n_classes)]
    layers: list[Any] = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        dense = Dense(n_in, n_out, weight_init="zeros")
        dense.weights[...] = _truncated_normal((n_in, n_out), 1 / np.sqrt(n_out), rng)
        layers.append(dense)
        if i < len(widths) - 2:
            layers.append(_activations.get(activation))
    return Sequential(layers)


@dataclass
class InformationPlaneRun:
    """One training run (one activation, one seed), one list entry per logged epoch.

    `mi_xt[estimator][k][l]` is I(X;T) of layer l (input side first, the
    softmax output last) at `epochs[k]`, in bits; `mi_ty` likewise I(T;Y).
    Estimator keys: "binning", "fixed_binning", "kde_upper", "kde_lower"
    (those that were asked for). `grad_mean[k][l]` and `grad_std[k][l]`
    belong to Dense layer l. Times in seconds: `train_time` in fit,
    `estimate_time` in the estimators and the gradient probe.
    """

    activation: str
    seed: int
    epochs: list[int]
    mi_xt: dict[str, list[list[float]]] = field(default_factory=dict)
    mi_ty: dict[str, list[list[float]]] = field(default_factory=dict)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    grad_mean: list[list[float]] = field(default_factory=list)
    grad_std: list[list[float]] = field(default_factory=list)
    train_time: float = 0.0
    estimate_time: float = 0.0
    wall_time: float = 0.0


@dataclass
class InformationPlaneResults:
    """The settings of `information_plane` and one `InformationPlaneRun` per activation and seed."""

    dataset: str
    activations: list[str]
    seeds: list[int]
    hidden: list[int]
    epochs: int
    batch_size: int
    learning_rate: float
    estimators: list[str]
    bin_size: float
    fixed_bins: int
    fixed_range: list[float]
    noise_variance: float
    layers: list[str]
    runs: list[InformationPlaneRun]
    wall_time: float = 0.0

    @property
    def estimator_keys(self) -> list[str]:
        """The keys of `mi_xt`/`mi_ty`: "kde" gives "kde_upper" and "kde_lower"."""
        keys = []
        for name in self.estimators:
            keys += ["kde_upper", "kde_lower"] if name == "kde" else [name]
        return keys

    def runs_of(self, activation: str) -> list[InformationPlaneRun]:
        return [run for run in self.runs if run.activation == activation]

    def mean_curve(self, activation: str, quantity: str, estimator: str | None = None) -> np.ndarray:
        """(logged epochs, layers) mean over seeds of "mi_xt"/"mi_ty" (with `estimator`), "grad_mean" or "grad_std"."""
        rows = [getattr(run, quantity) for run in self.runs_of(activation)]
        if estimator is not None:
            rows = [row[estimator] for row in rows]
        return np.mean(np.asarray(rows, dtype=np.float64), axis=0)

    def summary(self) -> list[dict[str, Any]]:
        """Per activation, estimator and layer (means over seeds): peak and final I(X;T), the drop
        (peak - final), the epoch of the peak (first seed), final I(T;Y), final test and train accuracy."""
        rows = []
        for activation in self.activations:
            runs = self.runs_of(activation)
            test = float(np.mean([run.test_accuracy[-1] for run in runs]))
            train = float(np.mean([run.train_accuracy[-1] for run in runs]))
            for key in self.estimator_keys:
                xt = np.asarray([run.mi_xt[key] for run in runs])  # (seeds, epochs, layers)
                ty = np.asarray([run.mi_ty[key] for run in runs])
                for layer, name in enumerate(self.layers):
                    peak, final = xt[:, :, layer].max(axis=1), xt[:, -1, layer]
                    rows.append({
                        "activation": activation, "estimator": key, "layer": name,
                        "peak_mi_xt": float(peak.mean()), "final_mi_xt": float(final.mean()),
                        "drop": float((peak - final).mean()),
                        "peak_epoch": int(runs[0].epochs[int(np.argmax(xt[0, :, layer]))]),
                        "final_mi_ty": float(ty[:, -1, layer].mean()),
                        "test_accuracy": test, "train_accuracy": train,
                    })
        return rows

    def table(self) -> str:
        """The summary as a markdown table (bits; means over the seeds)."""
        lines = ["| activation | estimator | layer | peak I(X;T) | epoch of peak | final I(X;T) | drop "
                 "| final I(T;Y) | test acc. |",
                 "|---|---|---|---:|---:|---:|---:|---:|---:|"]
        for row in self.summary():
            lines.append(
                f"| {row['activation']} | {row['estimator']} | {row['layer']} | {row['peak_mi_xt']:.2f} "
                f"| {row['peak_epoch']} | {row['final_mi_xt']:.2f} | {row['drop']:.2f} | {row['final_mi_ty']:.3f} "
                f"| {row['test_accuracy']:.3f} |")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> InformationPlaneResults:
        data = json.loads(text)
        data["runs"] = [InformationPlaneRun(**run) for run in data["runs"]]
        return cls(**data)


@dataclass(frozen=True)
class _Task:
    """Everything one run needs (picklable for worker processes)."""

    X: np.ndarray
    y: np.ndarray
    activation: str
    seed: int
    hidden: tuple[int, ...]
    epochs: int
    batch_size: int
    learning_rate: float
    logged: tuple[int, ...]
    estimators: tuple[str, ...]
    bin_size: float
    fixed_bins: int
    fixed_range: tuple[float, float]
    noise_variance: float


def _seed(*words: int) -> int:
    return int(np.random.SeedSequence(list(words)).generate_state(1)[0])


def _split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng([seed, _SPLIT]).permutation(n)
    n_test = int(round(_TEST_FRACTION * n))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def _layer_activity(model: Sequential, X: np.ndarray) -> list[np.ndarray]:
    """Each hidden activation layer's output on X, then the softmax of the logits."""
    out, layers = X, []
    for layer in model.layers:
        out = layer.forward(out)
        if isinstance(layer, _activations.Activation):
            layers.append(out)
    shifted = out - out.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    layers.append(probs / probs.sum(axis=1, keepdims=True))
    return layers


def _estimate(task: _Task, activity: list[np.ndarray], y: np.ndarray, run: InformationPlaneRun) -> None:
    """Append one row (every layer) of I(X;T) and I(T;Y) per estimator to `run`."""
    rows: dict[str, tuple[list[float], list[float]]] = {}
    for t in activity:
        for name in task.estimators:
            if name == "kde":
                bounds = _information.kde_bounds(t, y, task.noise_variance)
                for key, xt, ty in (("kde_upper", bounds.upper, bounds.upper_y),
                                    ("kde_lower", bounds.lower, bounds.lower_y)):
                    rows.setdefault(key, ([], []))
                    rows[key][0].append(xt)
                    rows[key][1].append(ty)
                continue
            options = ({"bin_size": task.bin_size} if name == "binning"
                       else {"bin_size": None, "n_bins": task.fixed_bins, "range": task.fixed_range})
            rows.setdefault(name, ([], []))
            rows[name][0].append(_information.layer_entropy(t, **options))
            rows[name][1].append(_information.layer_mutual_information(t, y, **options))
    for key, (xt, ty) in rows.items():
        run.mi_xt.setdefault(key, []).append(xt)
        run.mi_ty.setdefault(key, []).append(ty)


def _gradient_signal(model: Sequential, X: np.ndarray, y: np.ndarray, batch_size: int,
                     rng: np.random.Generator) -> tuple[list[float], list[float]]:
    """Per Dense layer: ||mean_b g_b|| and ||std_b g_b|| of the weight gradients of one epoch's batches, no update."""
    loss = _losses.get(_LOSS)
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    order = rng.permutation(len(X))
    grads: list[list[np.ndarray]] = [[] for _ in dense]
    for start in range(0, len(X), batch_size):
        batch = order[start:start + batch_size]
        loss.forward(model.forward(X[batch]), y[batch])
        model.backward(loss.backward())
        for store, layer in zip(grads, dense):
            store.append(layer.dweights.ravel().copy())
    stacked = [np.asarray(g) for g in grads]
    return ([float(np.linalg.norm(g.mean(axis=0))) for g in stacked],
            [float(np.linalg.norm(g.std(axis=0))) for g in stacked])


def _run_one(task: _Task) -> InformationPlaneRun:
    """Train one network with `Sequential.fit` in segments and measure it at every logged epoch."""
    start = time.perf_counter()
    train, test = _split(len(task.X), task.seed)
    X_train, y_train = task.X[train], task.y[train]
    n_classes = int(task.y.max()) + 1
    model = build_information_plane_network(task.X.shape[1], task.hidden, n_classes, task.activation,
                                            np.random.default_rng([task.seed, _WEIGHTS]))
    optimizer = Adam(learning_rate=task.learning_rate)
    loss = _losses.get(_LOSS)
    run = InformationPlaneRun(task.activation, task.seed, list(task.logged))
    done = 0
    for segment, epoch in enumerate(task.logged):
        if epoch > done:
            t0 = time.perf_counter()
            model.fit(X_train, y_train, loss=loss, optimizer=optimizer, epochs=epoch - done,
                      batch_size=task.batch_size, seed=_seed(task.seed, _SEGMENT, segment))
            run.train_time += time.perf_counter() - t0
            done = epoch
        t0 = time.perf_counter()
        train_scores = model.evaluate(X_train, y_train, loss=loss)
        run.train_loss.append(float(train_scores["loss"]))
        run.train_accuracy.append(float(train_scores["accuracy"]))
        run.test_accuracy.append(float(model.evaluate(task.X[test], task.y[test], loss=loss)["accuracy"]))
        _estimate(task, _layer_activity(model, task.X), task.y, run)
        mean, std = _gradient_signal(model, X_train, y_train, task.batch_size,
                                     np.random.default_rng([task.seed, _GRADIENT_PROBE, epoch]))
        run.grad_mean.append(mean)
        run.grad_std.append(std)
        run.estimate_time += time.perf_counter() - t0
    run.wall_time = time.perf_counter() - start
    return run


def _load_dataset(dataset: Dataset) -> tuple[str, np.ndarray, np.ndarray]:
    if isinstance(dataset, str):
        if dataset == "tishby_bits":
            return dataset, *_datasets.tishby_bits(seed=0)
        if dataset.endswith(".mat") or os.path.isfile(dataset):
            return dataset, *_datasets.load_tishby_mat(dataset)
        raise ValueError(f"dataset must be 'tishby_bits', a path to a .mat file or a pair (X, y); got {dataset!r}")
    if not isinstance(dataset, Sequence) or len(dataset) != 2:
        raise ValueError("dataset must be 'tishby_bits', a path to a .mat file or a pair (X, y)")
    X, y = np.asarray(dataset[0], dtype=np.float64), np.asarray(dataset[1])
    if X.ndim != 2 or y.shape != (len(X),) or y.dtype.kind not in "iub":
        raise ValueError(f"dataset (X, y) needs X (n, features) and integer labels y (n,); got {X.shape}, "
                         f"{y.shape} {y.dtype}")
    return "custom", X, y.astype(np.int64)


def _check_options(activations: list[str], estimators: tuple[str, ...], epochs: int, batch_size: int,
                   learning_rate: float, bin_size: float, noise_variance: float, hidden: tuple[int, ...]) -> None:
    # an unknown name fails here, before any training; an alias (silu for swish) is the same activation
    canonical = [_activations.get(name).name for name in activations]
    if len(set(canonical)) != len(canonical):
        raise ValueError(f"activations must be distinct, got {list(activations)}")
    unknown = [e for e in estimators if e not in ESTIMATORS]
    if unknown or not estimators:
        raise ValueError(f"estimators must be a non-empty selection of {ESTIMATORS}; got {list(estimators)}")
    if len(set(estimators)) != len(estimators):  # a repeated one would log each layer twice per epoch
        raise ValueError(f"estimators must be distinct, got {list(estimators)}")
    for what, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{what} must be a positive integer, got {value!r}")
    for what, value in (("learning_rate", learning_rate), ("bin_size", bin_size),
                        ("noise_variance", noise_variance)):
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{what} must be positive and finite, got {value!r}")
    if not hidden or any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in hidden):
        raise ValueError(f"hidden must be a non-empty sequence of positive widths, got {hidden!r}")


def information_plane(
    dataset: Dataset = "tishby_bits",
    activation: str | Sequence[str] = "tanh",
    hidden: Sequence[int] = (10, 7, 5, 4, 3),
    epochs: int = 10000,
    batch_size: int = 256,
    learning_rate: float = 4e-4,
    seed: int | Sequence[int] = 0,
    estimators: Sequence[str] = ("binning", "kde"),
    *,
    bin_size: float = 0.07,
    fixed_bins: int = 30,
    fixed_range: tuple[float, float] = (-1.0, 1.0),
    noise_variance: float = 1e-3,
    logged_epochs: Sequence[int] | None = None,
    max_logged: int | None = None,
    n_jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    progress: bool | None = None,
) -> InformationPlaneResults:
    """Train the Shwartz-Ziv & Tishby network per activation and seed and log every layer's information.

    dataset: "tishby_bits" (the generated 12-bit task), a path to the
    original `var_u.mat`, or a pair (X, y) of patterns and integer labels.
    activation / seed: one or several (every pair is one run). estimators:
    any of "binning" (floor(t / bin_size)), "fixed_binning" (`fixed_bins`
    equal bins over `fixed_range`, Shwartz-Ziv & Tishby's 30 over [-1, 1]),
    "kde" (upper and pairwise lower bound with `noise_variance`).
    logged_epochs: the epochs to measure at (default `log_epochs(epochs,
    max_logged)`). n_jobs/backend/scheduler: see `nnlite._parallel.run_parallel`.
    """
    start = time.perf_counter()
    activations = [activation] if isinstance(activation, str) else list(activation)
    seeds = [seed] if isinstance(seed, (int, np.integer)) else list(seed)
    hidden, estimators = tuple(hidden), tuple(estimators)
    if not activations or not seeds:
        raise ValueError("information_plane needs at least one activation and one seed")
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in seeds) or \
            len(set(seeds)) != len(seeds):
        raise ValueError(f"information_plane seeds must be distinct integers >= 0, got {seeds}")
    _check_options(activations, estimators, epochs, batch_size, learning_rate, bin_size, noise_variance, hidden)
    check_n_jobs(n_jobs, backend)
    logged = log_epochs(epochs, max_logged) if logged_epochs is None else sorted({int(e) for e in logged_epochs})
    if not logged or logged[0] < 0 or logged[-1] > epochs:
        raise ValueError(f"logged_epochs must lie in 0..epochs ({epochs}); got {logged_epochs!r}")
    name, X, y = _load_dataset(dataset)
    tasks = [_Task(X, y, a, int(s), hidden, int(epochs), int(batch_size), float(learning_rate), tuple(logged),
                   estimators, float(bin_size), int(fixed_bins), tuple(map(float, fixed_range)), float(noise_variance))
             for a in activations for s in seeds]
    runs = run_parallel(_run_one, tasks, n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                        desc="information plane", progress=progress)
    layers = [f"{i + 1} ({width})" for i, width in enumerate(hidden)] + [f"{len(hidden) + 1} (softmax)"]
    return InformationPlaneResults(
        dataset=name, activations=activations, seeds=[int(s) for s in seeds], hidden=list(hidden),
        epochs=int(epochs), batch_size=int(batch_size), learning_rate=float(learning_rate),
        estimators=list(estimators), bin_size=float(bin_size), fixed_bins=int(fixed_bins),
        fixed_range=list(map(float, fixed_range)), noise_variance=float(noise_variance), layers=layers, runs=runs,
        wall_time=time.perf_counter() - start)
