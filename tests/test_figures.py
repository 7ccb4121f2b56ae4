"""Every plotting function returns a Figure whose axes all carry labels, and whose legends cover no data.

A new public function in nnlite.plotting needs a builder in BUILDERS (the
coverage test fails until it has one), so no figure escapes these checks.
"""

import inspect

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import nnlite
from nnlite import plotting
from nnlite.experiments import compare_activations, information_plane, run_minimal_model
from nnlite.network import Sequential


@pytest.fixture(scope="module")
def study():
    return compare_activations("spiral", ["relu", "tanh", "sigmoid"], hidden=(8, 8), epochs=2, seeds=(0,),
                               histogram_epochs=(0, 2))


@pytest.fixture(scope="module")
def minimal():
    return run_minimal_model(n_samples=200, weights=np.arange(0.5, 20, 0.5), activations={"tanh": {}, "relu": {}})


@pytest.fixture(scope="module")
def plane():
    X, y = np.random.default_rng(9).integers(0, 2, size=(80, 6)).astype(float), np.arange(80) % 2
    return information_plane((X, y), activation=("tanh", "relu"), hidden=(4, 3), epochs=6, batch_size=16,
                             learning_rate=1e-2, logged_epochs=(0, 2, 6), estimators=("binning", "kde"))


def _history():
    X, y = nnlite.datasets.spiral(30, 3, seed=0)
    model = Sequential([nnlite.Dense(2, 8, seed=0), nnlite.ReLU(), nnlite.Dense(8, 3, seed=1)])
    return model.fit(X, y, loss="softmax_cross_entropy", optimizer=nnlite.Adam(learning_rate=0.01), epochs=3,
                     seed=0, validation_data=(X, y), diagnostics=True)


BUILDERS = {
    "activation_gallery": lambda study, mm: plotting.activation_gallery(),
    "training_curves": lambda study, mm: plotting.training_curves(_history()),
    "comparison_curves": lambda study, mm: plotting.comparison_curves(study),
    "comparison_gradient_norms": lambda study, mm: plotting.comparison_gradient_norms(study),
    "gradient_norm_by_layer": lambda study, mm: plotting.gradient_norm_by_layer(study),
    "comparison_histograms": lambda study, mm: plotting.comparison_histograms(study),
    "comparison_unit_fractions": lambda study, mm: plotting.comparison_unit_fractions(study),
    "activation_overlay": lambda study, mm: plotting.activation_overlay(
        ["sigmoid", "tanh", "relu", "softsign", "softplus", "hard_sigmoid", "selu", "relu6", "elu", "leaky_relu",
         "linear"]),
    "neuron_output_grid": lambda study, mm: plotting.neuron_output_grid(
        {"tanh": "tanh", "relu": "relu"}, mm.x, (0.5, 5)),
    "information_vs_weight": lambda study, mm: plotting.information_vs_weight(
        mm.weights, mm.mi_per_row, "per-weight bins", reference=mm.input_entropy["x_50_bins"]),
    "information_panels": lambda study, mm: plotting.information_panels(
        mm.weights, {name: dict(zip(mm.bin_counts, curves)) for name, curves in mm.bin_dependence.items()},
        legend_title="bins", title="bins"),
    "binning_picture": lambda study, mm: plotting.binning_picture(
        mm.x, np.tanh(5 * mm.x), mm.binning_example["edges"], "tanh, w = 5"),
    "information_plane_figure": lambda study, mm, plane: plotting.information_plane_figure(plane),
    "information_plane_epochs": lambda study, mm, plane: plotting.information_plane_epochs(plane),
    "information_plane_snr": lambda study, mm, plane: plotting.information_plane_snr(plane),
}


def _public_functions():
    return sorted(name for name, obj in vars(plotting).items()
                  if inspect.isfunction(obj) and obj.__module__ == plotting.__name__ and not name.startswith("_"))


def test_every_plotting_function_has_a_builder_here():
    missing = set(_public_functions()) - set(BUILDERS)
    assert not missing, f"add a builder to BUILDERS in tests/test_figures.py for {sorted(missing)}"


def _visible_axes(fig):
    """The data axes: visible, and not a colorbar (labelled through the colorbar itself)."""
    return [ax for ax in fig.axes if ax.get_visible() and not hasattr(ax, "_colorbar")]


def _assert_every_axes_labelled(fig, what):
    assert isinstance(fig, Figure), what
    axes = _visible_axes(fig)
    assert axes, what
    for ax in axes:
        assert ax.get_xlabel().strip(), f"{what}: an axes without an x label ({ax.get_title()!r})"
        assert ax.get_ylabel().strip(), f"{what}: an axes without a y label ({ax.get_title()!r})"


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_figure_axes_are_labelled_and_legends_cover_no_axes(name, study, minimal, request):
    builder = BUILDERS[name]
    needs_plane = builder.__code__.co_argcount == 3
    fig = builder(study, minimal, request.getfixturevalue("plane")) if needs_plane else builder(study, minimal)
    _assert_every_axes_labelled(fig, name)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in _visible_axes(fig):
            assert not box.overlaps(ax.get_window_extent(renderer)), f"{name}: a legend lies over {ax.get_title()!r}"
    # a caption or title never runs off the saved image
    width, height = fig.canvas.get_width_height()
    for text in fig.texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0, f"{name}: {text.get_text()!r} is cut off"


def test_series_styles_are_distinct_in_the_eleven_curve_figures(minimal):
    names = ["sigmoid", "tanh", "relu", "softsign", "softplus", "hard_sigmoid", "selu", "relu6", "elu",
             "leaky_relu", "linear"]
    curves = {name: np.zeros(len(minimal.weights)) for name in names}
    for fig in (plotting.activation_overlay(names), plotting.information_vs_weight(minimal.weights, curves)):
        lines = fig.axes[0].get_lines()
        styles = {(line.get_color(), line.get_linestyle()) for line in lines}
        assert len(lines) == 11 and len(styles) == 11


def test_gallery_shows_vector_activations_and_relu6_cap():
    fig = plotting.activation_gallery()
    titles = [ax.get_title() for ax in _visible_axes(fig)]
    for name in ("softmax", "log_softmax", "maxout"):
        assert any(t.startswith(name) for t in titles), name
    relu6 = next(ax for ax in fig.axes if ax.get_title() == "relu6")
    assert relu6.get_lines()[0].get_ydata().max() == 6.0
    softmax = next(ax for ax in fig.axes if ax.get_title().startswith("softmax"))
    x, y = softmax.get_lines()[0].get_data()
    # softmax((x, 0))[0] is the logistic function of x; its derivative p (1 - p)
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(softmax.get_lines()[1].get_ydata(), y * (1 - y), rtol=1e-9, atol=1e-15)


def test_binning_picture_states_the_bin_count():
    x = np.linspace(-2, 2, 100)
    fig = plotting.binning_picture(x, np.tanh(x), np.linspace(-1, 1, 8), "tanh")
    assert "7 bins" in fig.axes[0].get_title()


def test_explanation_figure_axes_are_labelled():
    result = nnlite.explain(nnlite.OneNeuron("tanh", weight=2.0), [0.3, -1.0], [1.0, 0.0])
    _assert_every_axes_labelled(result.figure(), "Explanation.figure")


def test_explanation_names_a_bare_dense_layer_alike_in_figure_and_text():
    X = np.random.default_rng(0).normal(size=(4, 3))
    model = Sequential([nnlite.Dense(3, 2, seed=0), nnlite.Tanh(), nnlite.Dense(2, 2, seed=1)])
    result = nnlite.explain(model, X, np.zeros((4, 2)))
    last_title = result.figure().axes[-1].get_title()
    assert "linear" in last_title and "Dense(2, 2) + linear" in str(result) and "identity" not in str(result)


def test_readme_images_exist_under_the_names_the_commands_write():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (root / "README.md").read_text(encoding="utf-8"))
    assert images
    written = {"gallery.png", "mi_per_row.png", "mi_global.png", "entropy_vs_bins.png", "curves.png",
               "gradient_by_layer.png", "information_plane.png", "information_plane_epochs.png",
               "information_plane_snr.png"}  # names that nnlite gallery / minimal-model / compare / info-plane write
    for image in images:
        assert (root / image).is_file(), image
        assert Path(image).name in written, image
