"""The activation comparison study: which activation trains, and why.

    results = compare_activations("digits", ["relu", "tanh", "sigmoid"], epochs=20)
    print(results.table())                      # mean +- std test accuracy per activation
    Path("results.json").write_text(results.to_json())

One MLP  Dense -> f -> ... -> Dense  (He initialisation, softmax
cross-entropy, Adam) is trained once per activation f and seed. Every run of
a seed starts from the same weights and sees the batches in the same order,
whatever f is, so the activation is the only thing that differs. After each
epoch the study records, besides loss and accuracy:

- per Dense layer, the gradient norm ||(dL/dW, dL/db)||_2, averaged over the
  epoch's batches (from `Sequential.fit(..., diagnostics=True)`);
- per hidden activation layer, the mean and std of its output and the dead
  fraction (units whose output is 0 on every probe sample), also from fit;
- per hidden activation layer, the saturation: the share of (sample, unit)
  pairs of a probe batch with |f'(x)| < 1e-3, where a unit passes
  essentially no gradient back (for relu this is the x <= 0 side);
- at chosen epochs, histograms (np.histogram counts and edges) of the
  first layer's weight gradient dL/dW1 on the probe batch and of the first
  hidden layer's activations f(x W1 + b1).

The probe batch is the one fit's diagnostics use: up to 1024 evenly spaced
training samples. The held-out split gives the validation curves and the
final test accuracy; nothing is tuned on it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Union

import numpy as np

from .. import activations as _activations
from .. import datasets as _datasets
from .._parallel import check_n_jobs, run_parallel
from ..layers import Dense
from ..network import Sequential
from ..optimizers import Adam

__all__ = ["compare_activations", "ComparisonResults", "ActivationRun", "build_mlp", "DEFAULT_ACTIVATIONS"]

DEFAULT_ACTIVATIONS = ("relu", "tanh", "sigmoid", "elu", "leaky_relu", "selu", "gelu", "swish")
SATURATION_THRESHOLD = 1e-3
_PROBE_SIZE = 1024  # the size of Sequential.fit's diagnostics probe
_BINS = 50
_TEST_FRACTION = 0.25
_SPLIT_SEED = 0  # one split for all runs: the seeds vary weights and batch order only
_SPIRAL_POINTS = 500  # per class
_LOSS = "softmax_cross_entropy"

Dataset = Union[str, Sequence[np.ndarray]]


@dataclass
class ActivationRun:
    """One training run (one activation, one seed), one list entry per epoch 1..epochs.

    Layer keys: "dense1".."denseK" for the Dense layers (input side first),
    "hidden1".."hiddenK-1" for the activation layers after them.
    `histograms[epoch]` has "gradient" and "activation", each
    {"counts": [...], "edges": [...]} (epoch 0 is before training).
    `initial_weights` is a SHA-256 prefix of the initial Dense parameters:
    equal for every activation of one seed.
    """

    activation: str
    seed: int
    initial_weights: str
    wall_time: float = 0.0
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    grad_norm: dict[str, list[float]] = field(default_factory=dict)
    activation_mean: dict[str, list[float]] = field(default_factory=dict)
    activation_std: dict[str, list[float]] = field(default_factory=dict)
    saturation: dict[str, list[float]] = field(default_factory=dict)
    dead_fraction: dict[str, list[float]] = field(default_factory=dict)
    histograms: dict[int, dict[str, dict[str, list]]] = field(default_factory=dict)

    @property
    def test_accuracy(self) -> float:
        """Accuracy on the held-out split after the last epoch."""
        return self.val_accuracy[-1]

    @property
    def epochs_to_95(self) -> int:
        """First epoch e with test accuracy_e >= 0.95 * final test accuracy."""
        acc = np.asarray(self.val_accuracy)
        return int(np.argmax(acc >= 0.95 * acc[-1])) + 1


@dataclass
class ComparisonResults:
    """Everything `compare_activations` measured: the settings and one `ActivationRun` per activation and seed."""

    dataset: str
    activations: list[str]
    hidden: tuple[int, ...]
    epochs: int
    seeds: tuple[int, ...]
    batch_size: int
    learning_rate: float
    histogram_epochs: tuple[int, ...]
    runs: list[ActivationRun]

    def runs_of(self, activation: str) -> list[ActivationRun]:
        """The runs of one activation, in seed order."""
        return [run for run in self.runs if run.activation == activation]

    def curve(self, activation: str, quantity: str, layer: str | None = None) -> np.ndarray:
        """Per-epoch mean over seeds of `quantity` ("val_accuracy", or "grad_norm" with layer="dense1", ...)."""
        rows = [getattr(run, quantity) for run in self.runs_of(activation)]
        if layer is not None:
            rows = [row[layer] for row in rows]
        return np.mean(rows, axis=0)

    def summary(self) -> dict[str, dict[str, float]]:
        """Per activation: test accuracy mean and std (sample std over seeds, 0 for one seed),
        mean epochs to 95% of the final accuracy, mean wall time per run in seconds."""
        out = {}
        for name in self.activations:
            runs = self.runs_of(name)
            acc = np.array([run.test_accuracy for run in runs])
            out[name] = {
                "test_accuracy_mean": float(acc.mean()),
                "test_accuracy_std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
                "epochs_to_95": float(np.mean([run.epochs_to_95 for run in runs])),
                "wall_time": float(np.mean([run.wall_time for run in runs])),
            }
        return out

    def table(self) -> str:
        """Markdown table, best mean test accuracy first."""
        rows = sorted(self.summary().items(), key=lambda item: -item[1]["test_accuracy_mean"])
        lines = [
            "| activation | test accuracy (mean ± std) | epochs to 95% of final | wall time per run (s) |",
            "|---|---|---|---|",
        ]
        for name, s in rows:
            lines.append(
                f"| {name} | {s['test_accuracy_mean']:.4f} ± {s['test_accuracy_std']:.4f} "
                f"| {s['epochs_to_95']:.1f} | {s['wall_time']:.2f} |"
            )
        return "\n".join(lines) + "\n"

    def to_json(self, indent: int | None = 1) -> str:
        """The settings, the summary and every run's records as JSON."""
        data = asdict(self)
        data["summary"] = self.summary()
        return json.dumps(data, indent=indent)


def build_mlp(n_inputs: int, hidden: Sequence[int], n_outputs: int, activation: str, seed: int) -> Sequential:
    """Dense(n_inputs, h1) -> f -> ... -> Dense(h_last, n_outputs), He-initialised.

    Dense layer i draws its weights from default_rng([seed, i]), so the
    weights depend on the seed and the shapes only, never on `activation`.
    """
    sizes = (n_inputs, *hidden, n_outputs)
    layers: list[Any] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(a, b, rng=np.random.default_rng([seed, i])))
        if i < len(hidden):
            layers.append(_activations.get(activation))
    return Sequential(layers)


def _split(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    order = np.random.default_rng(_SPLIT_SEED).permutation(len(X))
    n_test = max(1, int(round(_TEST_FRACTION * len(X))))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]


def _load(dataset: Dataset) -> tuple[str, tuple[np.ndarray, ...]]:
    """(name, (X_train, y_train, X_test, y_test)) for a dataset name or arrays."""
    if isinstance(dataset, str):
        if dataset == "digits":
            return dataset, _split(*_datasets.load_digits())
        if dataset == "spiral":
            return dataset, _split(*_datasets.spiral(_SPIRAL_POINTS, 3, seed=_SPLIT_SEED))
        if dataset.startswith("mnist:") and len(dataset) > len("mnist:"):
            directory = dataset[len("mnist:"):]
            return "mnist", (*_datasets.load_mnist(directory, "train"), *_datasets.load_mnist(directory, "t10k"))
        raise ValueError(f"unknown dataset {dataset!r}: expected 'digits', 'spiral', 'mnist:DIR' or arrays")
    if not isinstance(dataset, (tuple, list)) or len(dataset) not in (2, 4):
        raise ValueError(
            "dataset arrays must be (X, y), split 75/25 here, or (X_train, y_train, X_test, y_test); "
            f"got {type(dataset).__name__}"
        )
    arrays = [np.asarray(a) for a in dataset]
    for X, y in zip(arrays[::2], arrays[1::2]):
        if X.ndim != 2 or y.shape != (len(X),) or y.dtype.kind not in "iu":
            raise ValueError(
                f"dataset: expected X of shape (n, features) and integer class labels of shape (n,); "
                f"got X {X.shape} and y {y.dtype}{y.shape}"
            )
    return "arrays", (_split(*arrays) if len(arrays) == 2 else tuple(arrays))


def _histogram(values: np.ndarray) -> dict[str, list]:
    counts, edges = np.histogram(values, bins=_BINS)
    return {"counts": counts.tolist(), "edges": edges.tolist()}


def _train(
    data: tuple[np.ndarray, ...], activation: str, hidden: tuple[int, ...], seed: int, epochs: int,
    batch_size: int, learning_rate: float, histogram_epochs: tuple[int, ...],
) -> ActivationRun:
    X_train, y_train, X_test, y_test = data
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    start = time.perf_counter()
    model = build_mlp(X_train.shape[1], hidden, n_classes, activation, seed)
    dense = [(i, layer) for i, layer in enumerate(model.layers) if isinstance(layer, Dense)]
    acts = [(i, layer) for i, layer in enumerate(model.layers) if isinstance(layer, _activations.Activation)]
    # fit's History labels layers "<index>.<name>"; these are the study's stable names for them
    dense_keys = {f"{i}.{layer.name.lower()}": f"dense{k}" for k, (i, layer) in enumerate(dense, 1)}
    act_keys = {f"{i}.{layer.name.lower()}": f"hidden{k}" for k, (i, layer) in enumerate(acts, 1)}
    digest = hashlib.sha256(b"".join(p.tobytes() for _, layer in dense for p in layer.params.values()))
    run = ActivationRun(_activations.get(activation).name, seed, digest.hexdigest()[:16])

    probe_at = np.linspace(0, len(X_train) - 1, min(len(X_train), _PROBE_SIZE)).astype(np.intp)
    X_probe, y_probe = X_train[probe_at], y_train[probe_at]
    with_loss = model.with_loss(_LOSS)
    first_dense, first_act = dense[0][1], acts[0][1]

    def probe(epoch: int) -> None:
        # One forward/backward on the probe batch: f' for saturation, dL/dW1 for the histogram.
        with_loss.forward(X_probe, y_probe)
        for key, (_, act) in zip(act_keys.values(), acts if epoch else ()):
            small = np.abs(act.derivative(act.inputs, act.output)) < SATURATION_THRESHOLD
            run.saturation.setdefault(key, []).append(float(small.mean()))
        if epoch in histogram_epochs:
            with_loss.backward()
            run.histograms[epoch] = {"gradient": _histogram(first_dense.dweights),
                                     "activation": _histogram(first_act.output)}

    if 0 in histogram_epochs:
        probe(0)  # before training: histograms only, the curves start at epoch 1
    optimizer = Adam(learning_rate=learning_rate)
    for epoch in range(1, epochs + 1):
        # Adam keeps its moments across fit calls; the shuffle seed depends on (seed, epoch) only.
        shuffle_seed = int(np.random.SeedSequence((seed, epoch)).generate_state(1)[0])
        h = model.fit(X_train, y_train, loss=_LOSS, optimizer=optimizer, epochs=1, batch_size=batch_size,
                      validation_data=(X_test, y_test), seed=shuffle_seed, diagnostics=True)
        run.loss.append(h.loss[0])
        run.accuracy.append(h.accuracy[0])
        run.val_loss.append(h.val_loss[0])
        run.val_accuracy.append(h.val_accuracy[0])
        for label, values in h.grad_norm.items():
            if label in dense_keys:
                run.grad_norm.setdefault(dense_keys[label], []).extend(values)
        for mine, theirs in ((run.activation_mean, h.activation_mean), (run.activation_std, h.activation_std),
                             (run.dead_fraction, h.dead_fraction)):
            for label, values in theirs.items():
                mine.setdefault(act_keys[label], []).extend(values)
        probe(epoch)
    run.wall_time = time.perf_counter() - start
    return run


def _train_task(task: tuple, *data: np.ndarray) -> ActivationRun:
    """One run from its task tuple and the data (a top-level function, so worker processes can unpickle it)."""
    return _train(data, *task)


def compare_activations(
    dataset: Dataset,
    activations: Sequence[str] = DEFAULT_ACTIVATIONS,
    hidden: Sequence[int] = (128,),
    epochs: int = 20,
    seeds: Sequence[int] = (0, 1, 2),
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    histogram_epochs: Sequence[int] | None = None,
    verbose: bool = False,
    n_jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
) -> ComparisonResults:
    """Train `build_mlp(features, hidden, classes, f, seed)` for every activation f and seed; see the module doc.

    `dataset`: "digits" (scikit-learn's 8x8 digits, 75/25 split), "spiral"
    (3 arms of 500 points, 75/25 split), "mnist:DIR" (the IDX files in DIR,
    its train/t10k split), (X, y) (split 75/25) or (X_train, y_train,
    X_test, y_test), with integer class labels. `activations` are registry
    names of elementwise activations. `histogram_epochs` (default: 1, the
    middle and the last epoch; 0 means before training) are the epochs whose
    gradient and activation histograms are kept. `verbose` prints one
    line per run (in run order) on stdout.

    The runs are independent: `n_jobs` runs them in worker processes
    (`backend="loky"`, needs joblib) or on a Dask cluster (`backend="dask"`,
    `scheduler="tcp://HOST:PORT"`); the results are identical for every
    `n_jobs` and backend, apart from `wall_time`. On a terminal, stderr shows
    runs done / total, elapsed and remaining time.
    """
    check_n_jobs(n_jobs, backend)
    for what, value, low in (("epochs", epochs, 1), ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"compare_activations: {what} must be an integer >= {low}, got {value!r}")
    hidden, seeds = tuple(int(h) for h in hidden), tuple(int(s) for s in seeds)
    if not hidden or not seeds:
        raise ValueError("compare_activations needs at least one hidden layer and one seed")
    if isinstance(activations, str):
        raise TypeError(f"activations must be a list of registry names, got the string {activations!r}")
    names = []
    for act in activations:
        if not isinstance(act, str):
            raise TypeError(f"activations must be registry names, got {type(act).__name__}")
        instance = _activations.get(act)  # unknown names raise here, before any training
        if type(instance).derivative is _activations.Activation.derivative:
            raise ValueError(f"{act!r} is not elementwise (it has no derivative(x, y)); compare needs f'(x)")
        names.append(instance.name)
    if not names or len(set(names)) != len(names):
        raise ValueError(f"activations must be distinct and non-empty, got {list(activations)}")
    if histogram_epochs is None:
        histogram_epochs = (1, max(1, epochs // 2), epochs)
    histogram_epochs = tuple(sorted({int(e) for e in histogram_epochs}))
    if any(not 0 <= e <= epochs for e in histogram_epochs):
        raise ValueError(f"histogram_epochs must lie in 0..{epochs}, got {histogram_epochs}")
    name, data = _load(dataset)  # after the checks: a typo should not wait for MNIST to load

    tasks = [(act, hidden, seed, epochs, batch_size, learning_rate, histogram_epochs)
             for seed in seeds for act in names]

    def report(index: int, run: ActivationRun) -> str | None:
        if not verbose:
            return None
        return (f"[{index + 1}/{len(tasks)}] {run.activation:<11} seed {run.seed}: "
                f"test accuracy {run.test_accuracy:.4f}, {run.wall_time:.1f} s")

    # the data travel once per worker (shared), not once per run
    runs = run_parallel(_train_task, tasks, shared=data, n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                        desc="compare", on_result=report)
    return ComparisonResults(name, names, hidden, epochs, seeds, batch_size, float(learning_rate),
                             histogram_epochs, runs)
