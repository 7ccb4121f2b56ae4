"""The course in examples/: every lesson runs top to bottom at small sizes and writes its figures,
and lesson 02's check fails loudly on a wrong derivative."""

import runpy
from pathlib import Path

import numpy as np
import pytest

import nnlite
from nnlite import activations

EXAMPLES = Path(__file__).parents[1] / "examples"
LESSONS = sorted(p.name for p in EXAMPLES.glob("0*.py"))
FIGURES = {
    "01_forward_backward.py": ["01_explain.png", "01_loss_tangent.png"],
    "02_gradient_checking.py": ["02_wrong_derivative.png"],
    "03_custom_activation.py": ["03_explain.png", "03_gallery.png"],
    "04_one_neuron.py": ["04_explain.png", "04_sweep.png", "04_training.png"],
    "05_dense_digits.py": ["05_explain.png", "05_training.png"],
    "06_comparing_activations.py": ["06_curves.png", "06_gradient_by_layer.png", "06_units.png"],
    "07_custom_layer.py": ["07_training.png"],
    "08_dropout_batchnorm.py": ["08_diagnostics.png", "08_histograms.png"],
    "09_training_tools.py": ["09_training.png"],
}


@pytest.fixture
def run_lesson(tmp_path, monkeypatch):
    """run_lesson(name) runs examples/name as a script with NNLITE_SMALL=1 and NNLITE_OUT set, from an
    empty working directory; returns (the script's globals, the output folder, the working directory)."""
    # Lesson 03 registers its own activation: give it a copy of the registry so other tests never see it.
    monkeypatch.setattr(activations, "_REGISTRY", dict(activations._REGISTRY))
    monkeypatch.setattr(activations, "_ALIASES", dict(activations._ALIASES))
    monkeypatch.setattr(activations, "_CLASSES", dict(activations._CLASSES))
    monkeypatch.setattr(nnlite.layers, "_REGISTRY", dict(nnlite.layers._REGISTRY))  # lesson 07's layer
    out, cwd = tmp_path / "out", tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("NNLITE_SMALL", "1")
    monkeypatch.setenv("NNLITE_OUT", str(out))

    def run(name):
        monkeypatch.setattr("sys.argv", [name])
        return runpy.run_path(str(EXAMPLES / name), run_name="__main__"), out, cwd

    return run


def test_the_course_lessons_are_listed_and_in_percent_format():
    assert LESSONS == sorted(FIGURES)
    for name in LESSONS:
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        assert text.startswith("# %% [markdown]\n# # ")
        assert text.count("\n# %%\n") >= 3 and text.count("# %% [markdown]") >= 3


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_runs_and_writes_its_figures_only_to_its_folder(name, run_lesson, capsys):
    _, out, cwd = run_lesson(name)
    assert sorted(p.name for p in out.iterdir()) == FIGURES[name]
    assert all(p.stat().st_size > 1000 for p in out.iterdir())
    assert list(cwd.iterdir()) == []
    assert str(out) in capsys.readouterr().out


def test_lesson_05_falls_back_to_the_spiral_without_scikit_learn(run_lesson, monkeypatch, capsys):
    def missing(*args, **kwargs):
        raise ImportError("load_digits needs scikit-learn")

    monkeypatch.setattr(nnlite.datasets, "load_digits", missing)
    namespace, out, _ = run_lesson("05_dense_digits.py")
    assert namespace["dataset"] == "spiral"
    assert sorted(p.name for p in out.iterdir()) == FIGURES["05_dense_digits.py"]
    assert "spiral:" in capsys.readouterr().out


def test_a_wrong_derivative_in_a_subclass_fails_lesson_02_loudly(run_lesson):
    namespace, _, _ = run_lesson("02_gradient_checking.py")
    check_activation = namespace["check_activation"]

    class Cube(nnlite.Activation, register=False):
        def function(self, x):
            return x ** 3

        def derivative(self, x, y):
            return 2 * x ** 2  # wrong: d(x^3)/dx = 3 x^2

    with pytest.raises(nnlite.GradCheckError, match="gradcheck FAILED") as caught:
        check_activation(Cube())
    result = caught.value.result
    assert not result.passed and result.worst_tensor == "inputs"
    assert result.analytic == pytest.approx(2 / 3 * result.numeric, rel=1e-6)

    class RightCube(Cube, register=False):
        def derivative(self, x, y):
            return 3 * x ** 2

    assert check_activation(RightCube()).passed
    # the broken tanh the lesson demonstrates stays out of the registry
    assert "forgot_the_square" not in activations.names()
    assert np.all(namespace["numeric"] >= 0)  # the plotted truth: tanh' = 1 - tanh^2 >= 0
