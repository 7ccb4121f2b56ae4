import re

from nnlite.cli import main


def test_cli_gradcheck_table_covers_activations_and_layers(capsys):
    assert main(["gradcheck"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    rows = lines[1:-1]
    names = {row.split()[0] for row in rows}
    assert {"sigmoid", "gelu", "softmax", "maxout", "prelu", "Dense(6,", "Sequential"} <= names
    assert all(" passed " in row for row in rows)
    n = len(rows)
    assert re.fullmatch(rf"{n} of {n} passed", lines[-1])


def test_cli_gallery_writes_the_figure(tmp_path, capsys):
    out = tmp_path / "sub" / "gallery.png"
    assert main(["gallery", "--out", str(out), "--activations", "tanh,relu", "--dpi", "40"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(out) in capsys.readouterr().out
