import numpy as np
import pytest

import nnlite
from nnlite.bench import BenchResult, bench
from nnlite.cli import main


class Cubic(nnlite.Activation):
    """f(x) = x^3, f'(x) = 3 x^2: a user's activation defined in a test."""

    def function(self, x):
        return x * x * x

    def derivative(self, x, y):
        return 3 * x * x


def test_bench_times_a_users_activation_by_name_and_instance():
    for target in ("cubic", Cubic()):
        result = bench(target, size=2000, repeats=3)
        assert isinstance(result, BenchResult)
        assert result.activation == "cubic"
        assert result.size == 2000 and result.dtype == "float32"
        assert min(result.floor, result.forward, result.forward_backward) > 0
        assert result.forward_ratio == pytest.approx(result.forward / result.floor)
        assert "cubic on 2,000 float32" in str(result)


def test_bench_trims_maxout_inputs_to_whole_groups():
    result = bench(nnlite.Maxout(pieces=3), size=1000, dtype="float64", repeats=1)
    assert result.size == 999 and result.dtype == "float64"


@pytest.mark.parametrize(
    "kwargs, error",
    [({"size": 0}, ValueError), ({"repeats": 0}, ValueError), ({"dtype": np.int32}, TypeError)],
)
def test_bench_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        bench("relu", **kwargs)


def test_cli_bench_prints_one_line_and_reports_unknown_names(capsys):
    assert main(["bench", "tanh", "--size", "1000", "--repeats", "2"]) == 0
    assert capsys.readouterr().out.startswith("tanh on 1,000 float32")
    with pytest.raises(SystemExit) as exc:
        main(["bench", "tanhh"])
    assert exc.value.code == 2
    assert "Did you mean 'tanh'" in capsys.readouterr().err
