"""The command helps a newcomer: `--version`, bare `nnlite`, every default in `--help`, a clear `--out` error."""

import argparse
import re
import subprocess
import sys

import pytest

import nnlite
from nnlite.cli import _build_parser, _names, main

SUBCOMMANDS = ["gallery", "gradcheck", "bench", "compare", "explain", "minimal-model"]


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"nnlite {nnlite.__version__}"


def test_bare_command_lists_every_subcommand_with_one_line(capsys):
    assert main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in SUBCOMMANDS:
        rows = [line for line in lines if line.split()[:1] == [name]]
        assert len(rows) == 1, name
        assert len(rows[0].split()) > 2, f"{name} has no description"


def _subparsers():
    parser = _build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_every_option_with_a_default_states_it_in_help():
    seen = 0
    for name, sub in _subparsers().items():
        for action in sub._actions:
            if isinstance(action, (argparse._HelpAction, argparse._StoreTrueAction)) or not action.option_strings:
                continue
            assert action.help and "default" in action.help, f"nnlite {name} {action.option_strings[0]}"
            seen += 1
    assert seen >= 25


@pytest.mark.parametrize("command, option, default", [
    ("gallery", "--dpi", "100"), ("gradcheck", "--seed", "0"), ("bench", "--size", "1000000"),
    ("bench", "--repeats", "7"), ("compare", "--epochs", "20"), ("compare", "--batch-size", "32"),
    ("compare", "--dpi", "70"), ("explain", "--weight", "1.0"), ("explain", "--bias", "0.0"),
    ("minimal-model", "--seed", "0"), ("minimal-model", "--dpi", "100"),
])
def test_help_text_shows_the_actual_default(command, option, default, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"{option} " in help_text
    actual = _subparsers()[command].get_default(option.lstrip("-").replace("-", "_"))
    assert str(actual) == default  # the table above is the code's default...
    assert f"(default {default}" in help_text  # ...and the help says so


@pytest.mark.parametrize("command", ["minimal-model", "compare"])
def test_out_naming_an_existing_file_is_a_clear_error(command, tmp_path, capsys):
    existing = tmp_path / "results.txt"
    existing.write_text("keep me")
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--out", str(existing)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "is a file; expected a folder" in err and str(existing) in err
    assert existing.read_text() == "keep me"


def test_gallery_out_naming_a_folder_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["gallery", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "expected an image file path" in capsys.readouterr().err


def test_minimal_model_says_what_it_wrote_where_and_how_long_it_took(tmp_path, capsys):
    out = tmp_path / "mm"
    assert main(["minimal-model", "--out", str(out), "--samples", "200", "--dpi", "30"]) == 0
    printed = capsys.readouterr().out
    files = sorted(p.name for p in out.iterdir())
    assert f"wrote {len(files)} files to {out}/ in " in printed
    for name in files:
        row = next(line for line in printed.splitlines() if line.split()[:1] == [name])
        assert len(row.split()) > 3, f"{name} has no description"


def test_import_nnlite_does_not_import_matplotlib():
    code = ("import sys, nnlite; assert 'matplotlib' not in sys.modules, 'imported early'; "
            "nnlite.plotting.activation_gallery(['relu']); assert 'matplotlib' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_compare_prints_the_layer_by_layer_gradient_ratio(tmp_path, capsys):
    import json

    out = tmp_path / "cmp"
    assert main(["compare", "--dataset", "spiral", "--activations", "relu,sigmoid", "--hidden", "4,4",
                 "--epochs", "1", "--seeds", "1", "--out", str(out), "--dpi", "20"]) == 0
    printed = capsys.readouterr().out
    assert "last Dense layer / first (dense3 / dense1" in printed
    runs = json.loads((out / "results.json").read_text())["runs"]
    for run in runs:  # one seed: the mean over seeds is the run itself
        ratio = run["grad_norm"]["dense3"][0] / run["grad_norm"]["dense1"][0]
        row = next(line for line in printed.splitlines() if line.split()[:1] == [run["activation"]]
                   and line.rstrip().endswith("x"))
        assert float(row.split()[1].rstrip("x")) == pytest.approx(ratio, rel=1e-3)


def test_package_docstring_quick_start_runs_and_trains():
    import textwrap

    code = textwrap.dedent(nnlite.__doc__.split("Quick start::")[1].split("The names")[0])
    namespace = {}
    exec(code, namespace)  # noqa: S102 - the quick start must run as printed
    history = namespace["history"]
    assert history.epochs == 300 and history.accuracy[-1] > 0.6  # three spiral arms: chance is 1/3
    assert namespace["fig"].axes


@pytest.mark.parametrize("argv, message", [
    (["info-plane", "--seeds", "0", "-1"], "--seeds must be distinct integers >= 0"),
    (["info-plane", "--seeds", "0", "0"], "--seeds must be distinct integers >= 0"),
    (["info-plane", "--max-logged", "1"], "--max-logged must be an integer >= 2"),
    (["minimal-model", "--samples", "1"], "--samples must be an integer >= 2"),
])
def test_bad_numbers_are_refused_before_any_work(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_diverging_run_is_an_error_line_not_a_traceback(tmp_path, capsys):
    argv = ["compare", "--dataset", "spiral", "--activations", "relu", "--seeds", "1", "--epochs", "1",
            "--lr", "1e300", "--out", str(tmp_path)]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "nnlite compare: error:" in err and "diverged" in err
    assert "Traceback" not in err


def test_a_reader_that_stops_early_gets_no_error_message():
    # `nnlite gradcheck | head -1`: the pipe closes after the first line
    proc = subprocess.Popen([sys.executable, "-m", "nnlite", "gradcheck"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    with proc:
        first = proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
    assert first.startswith(b"object") and b"Broken pipe" not in err and b"Traceback" not in err


def test_gradcheck_table_covers_the_normalisation_layers(capsys):
    assert main(["gradcheck"]) == 0
    out = capsys.readouterr().out
    # every registered activation is listed, so other tests' registrations change the count
    assert "BatchNorm(6)" in out and "LayerNorm(6)" in out
    assert re.search(r"^(\d+) of \1 passed$", out, flags=re.M)


@pytest.mark.parametrize("command", ["compare", "gallery", "info-plane"])
@pytest.mark.parametrize("given", [["tanh,relu"], ["tanh", "relu"], ["tanh,", "relu"]])
def test_activation_names_are_taken_space_or_comma_separated(command, given):
    # compare and gallery once took only "a,b" and info-plane only "a b" (as --activation)
    args = _subparsers()[command].parse_args(["--activations", *given])
    assert _names(args.activations) == ["tanh", "relu"]


@pytest.mark.parametrize("option", ["--activation", "--act"])
def test_info_plane_still_takes_the_singular_option_and_its_prefixes(option):
    args = _subparsers()["info-plane"].parse_args([option, "tanh", "relu"])
    assert _names(args.activations) == ["tanh", "relu"]
