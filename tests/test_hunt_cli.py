"""The `nnlite` command against a newcomer's and an adversary's input: one clear error line, exit code 2,
nothing left behind; and the minimal model's PNGs equal to what savefig writes under the user's settings."""

import io
import subprocess
import sys
import threading

import matplotlib
import numpy as np
import pytest

from nnlite import plotting
from nnlite.cli import main
from nnlite.experiments import information_plane, run_minimal_model, write_minimal_model
from nnlite.experiments.minimal_model import _figure_specs


def _user_error(argv, capsys) -> str:
    """Run `nnlite argv`, expecting a user error: exit code 2 and one line on stderr, which is returned."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert "Traceback" not in err
    return err


@pytest.fixture(scope="module")
def small_results():
    return run_minimal_model(n_samples=200, weights=[0.5, 2.0, 8.0], activations={"tanh": {}, "relu": {}},
                             bin_counts=(10, 30), kde_every=1)


# ------------------------------------------------------------------ the minimal model's figures

@pytest.mark.parametrize("rc", [{"image.origin": "lower"}, {"savefig.transparent": True},
                                {"savefig.bbox": "tight"}, {"savefig.facecolor": "yellow"}])
def test_minimal_model_pngs_are_savefigs_bytes_under_the_users_rcparams(rc, small_results, tmp_path):
    # a matplotlibrc with image.origin: lower once turned every figure upside down
    with matplotlib.rc_context(rc):
        written = {path.name: path for path in write_minimal_model(small_results, tmp_path, dpi=30)}
        for filename, (function, args, kwargs) in _figure_specs(small_results).items():
            buffer = io.BytesIO()
            getattr(plotting, function)(*args, **kwargs).savefig(buffer, format="png", dpi=30)
            assert written[filename].read_bytes() == buffer.getvalue(), (rc, filename)


def test_an_error_in_one_figure_propagates_and_leaves_no_thread(small_results, tmp_path, monkeypatch):
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise ValueError("figure 5 cannot be drawn")

    monkeypatch.setattr(plotting, "information_panels", broken)
    before = threading.active_count()
    with pytest.raises(ValueError, match="figure 5 cannot be drawn"):
        write_minimal_model(small_results, tmp_path / "out", dpi=20)
    assert calls == [1]  # the first failure stops the drawing
    assert threading.active_count() == before  # the encoder thread has ended
    assert list((tmp_path / "out").iterdir()) == []  # no half-written set of files


# ------------------------------------------------------------------ exit codes and error lines

def test_bare_command_into_a_closed_pipe_prints_no_traceback():
    proc = subprocess.Popen([sys.executable, "-m", "nnlite"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with proc:
        proc.stdout.close()
        err = proc.stderr.read()
    assert b"Traceback" not in err and b"Broken pipe" not in err, err.decode()


def test_a_typo_in_an_option_names_the_subcommand_and_the_option_meant(capsys):
    err = _user_error(["gallery", "--dpii", "30"], capsys)
    assert "usage: nnlite gallery" in err
    assert "nnlite gallery: error: unrecognized arguments: --dpii 30 (did you mean --dpi?)" in err


def test_an_unknown_option_before_any_subcommand_is_still_an_error(capsys):
    err = _user_error(["--dpii"], capsys)
    assert "nnlite: error: unrecognized arguments: --dpii" in err


@pytest.mark.parametrize("argv, message", [
    (["gallery", "--dpi", "4", "--activations", "relu"], "--dpi must be an integer between 5 and"),
    (["gallery", "--dpi", "100000", "--activations", "relu"], "--dpi must be an integer between 5 and"),
    (["minimal-model", "--dpi", "1", "--samples", "50"], "--dpi must be an integer between 5 and"),
    (["minimal-model", "--seed", "-1"], "--seed must be an integer >= 0, got -1"),
    (["gradcheck", "--seed", "-3"], "--seed must be an integer >= 0, got -3"),
    (["minimal-model", "--backend", "dask"], "--backend dask needs --scheduler"),
    (["info-plane", "--backend", "dask"], "--backend dask needs --scheduler"),
])
def test_numbers_no_run_can_use_are_refused_naming_the_option(argv, message, tmp_path, capsys):
    out = tmp_path / ("out.png" if argv[0] == "gallery" else "out")
    extra = [] if argv[0] == "gradcheck" else ["--out", str(out)]
    assert message in _user_error([*argv, *extra], capsys)
    assert not out.exists()


@pytest.mark.parametrize("argv", [
    ["compare", "--activations", "reluu"],
    ["compare", "--dataset", "digitz", "--activations", "relu"],
    ["info-plane", "--activations", "tanhh"],
    ["minimal-model", "--samples", "50", "--dpi", "20"],  # unwritable: fails before computing
])
def test_a_failed_run_leaves_no_empty_output_folder(argv, tmp_path, capsys, monkeypatch):
    from nnlite.experiments import minimal_model

    def refuse(*args, **kwargs):
        raise OSError("read-only file system")

    out = tmp_path / "new" / "out"
    if argv[0] == "minimal-model":
        monkeypatch.setattr(minimal_model, "run_minimal_model", lambda **kwargs: pytest.fail("computed first"))
        monkeypatch.setattr(type(out), "mkdir", refuse)
    err = _user_error([*argv, "--out", str(out)], capsys)
    assert f"nnlite {argv[0]}: error:" in err
    assert not out.exists()
    assert not out.parent.exists()  # the folder above, created for it, goes too


def test_an_existing_output_folder_is_kept_after_a_failed_run(tmp_path, capsys):
    _user_error(["compare", "--activations", "reluu", "--out", str(tmp_path)], capsys)
    assert tmp_path.is_dir()


def test_running_out_of_memory_is_one_error_line(capsys, monkeypatch):
    import importlib

    bench_module = importlib.import_module("nnlite.bench")  # nnlite.bench is also the function

    def too_big(*args, **kwargs):
        np.empty(1 << 62, dtype=np.uint8)  # numpy refuses at once: far beyond any address space

    monkeypatch.setattr(bench_module, "bench", too_big)
    err = _user_error(["bench", "relu", "--size", "100000000000"], capsys)
    assert err.startswith("nnlite bench: error: Unable to allocate") and err.count("\n") == 1


def test_bench_refuses_a_size_below_one_maxout_group(capsys):
    from nnlite import bench

    with pytest.raises(ValueError, match="which takes groups of 2"):
        bench("maxout", size=1, repeats=1)
    assert "which takes groups of 2" in _user_error(["bench", "maxout", "--size", "1", "--repeats", "1"], capsys)


# ------------------------------------------------------------------ duplicates

@pytest.mark.parametrize("option, values", [("--estimator", ["kde", "kde"]), ("--activations", ["tanh", "tanh"]),
                                            ("--activations", ["tanh,relu", "tanh"]),
                                            ("--activations", ["silu", "swish"])])  # an alias is the same one
def test_info_plane_refuses_duplicate_estimators_and_activations(option, values, tmp_path, capsys):
    # --estimator kde kde once wrote rows of 12 values for the 6 layers into results.json
    out = tmp_path / "ip"
    err = _user_error(["info-plane", option, *values, "--epochs", "1", "--max-logged", "2", "--out", str(out)],
                      capsys)
    assert "must be distinct" in err
    assert not out.exists()


def test_information_plane_refuses_duplicate_estimators():
    with pytest.raises(ValueError, match="estimators must be distinct"):
        information_plane(activation="tanh", epochs=1, estimators=("binning", "binning"))


# ------------------------------------------------------------------ explain

@pytest.mark.parametrize("argv", [["--x", "1e300", "--activation", "relu"],
                                  ["--x", "1e200", "--activation", "linear", "--target", "0"]])
def test_explain_names_a_loss_that_overflows_instead_of_blaming_the_derivative(argv, capsys):
    # the output 1e300 is finite but (1e300 - 1)^2 is not: the table once showed L = inf, nan finite
    # differences marked "disagrees with the chain rule", under numpy's overflow warnings
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        err = _user_error(["explain", *argv], capsys)
    assert "nnlite explain: error: explain: the loss is not finite on these inputs" in err
