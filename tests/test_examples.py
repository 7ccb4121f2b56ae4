"""examples/custom_activation.py runs, gradient-checks its activation and writes its figure."""

from __future__ import annotations

import runpy
from pathlib import Path

from nnlite import activations

EXAMPLES = Path(__file__).parents[1] / "examples"


def test_custom_activation_example(tmp_path, monkeypatch, capsys):
    out, cwd = tmp_path / "out", tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("NNLITE_OUT", str(out))
    monkeypatch.setattr("sys.argv", ["custom_activation.py"])
    saved = dict(activations._REGISTRY), dict(activations._ALIASES)
    try:
        ns = runpy.run_path(str(EXAMPLES / "custom_activation.py"), run_name="__main__")
        assert "snake" in activations.names()
        assert type(activations.get("snake")) is ns["Snake"]
    finally:  # the example's class must not leak into the registry other tests see
        activations._REGISTRY.clear()
        activations._REGISTRY.update(saved[0])
        activations._ALIASES.clear()
        activations._ALIASES.update(saved[1])
    result = ns["result"]
    assert result.passed
    assert {"inputs", "second_derivative"} <= set(result.tensors)
    png = out / "custom_activation.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(out.iterdir()) == [png]
    assert list(cwd.iterdir()) == []
    text = capsys.readouterr().out
    assert "gradcheck passed" in text and str(png) in text


def test_the_example_is_in_percent_format():
    text = (EXAMPLES / "custom_activation.py").read_text(encoding="utf-8")
    assert text.startswith("# %% [markdown]")
    assert text.count("# %%") >= 4
