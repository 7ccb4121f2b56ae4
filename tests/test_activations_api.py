"""The activation API: the registry, subclassing, clear errors, NaN, the gradcheck CLI."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nnlite
from nnlite import Activation, activations, gradcheck
from nnlite.cli import main

CATALOGUE = [
    "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "celu", "prelu", "relu6", "softplus", "softsign",
    "hard_sigmoid", "hard_tanh", "hard_swish", "swish", "gelu", "mish", "gaussian", "step", "linear",
    "softmax", "log_softmax", "maxout",
]
ALIASES = {"silu": nnlite.Swish, "binary_step": nnlite.Step, "identity": nnlite.Linear}


@pytest.fixture
def registry():
    """Restore the registry after a test that defines activations, so they do not leak into others."""
    saved = dict(activations._REGISTRY), dict(activations._ALIASES)
    yield
    activations._REGISTRY.clear()
    activations._REGISTRY.update(saved[0])
    activations._ALIASES.clear()
    activations._ALIASES.update(saved[1])


# --- registry ---------------------------------------------------------------------------------------------

def test_names_hold_the_whole_catalogue():
    assert set(CATALOGUE) <= set(activations.names())
    assert activations.names() == sorted(activations.names())
    assert set(ALIASES) <= set(activations.names(aliases=True))
    assert not set(ALIASES) & set(activations.names())


@pytest.mark.parametrize("name", CATALOGUE)
def test_get_builds_each_and_its_name_round_trips(name):
    act = activations.get(name)
    assert isinstance(act, Activation)
    assert act.name == name
    rebuilt = activations.get(act.name, **act.get_config())
    assert type(rebuilt) is type(act) and rebuilt.get_config() == act.get_config()
    assert repr(act).startswith(type(act).__name__ + "(")


@pytest.mark.parametrize("alias, cls", list(ALIASES.items()))
def test_aliases(alias, cls):
    act = activations.get(alias)
    assert type(act) is cls
    x = np.array([-1.5, 0.5, 2.0])
    np.testing.assert_array_equal(act.forward(x), activations.get(cls.name).forward(x))


def test_get_with_parameters_and_spellings():
    assert activations.get("leaky_relu", alpha=0.2).alpha == 0.2
    assert activations.get("silu", beta=1.5).beta == 1.5
    assert activations.get("gelu", approximate="tanh").approximate == "tanh"
    assert activations.get("hard_sigmoid", slope=1 / 6, offset=0.5).get_config() == {"slope": 1 / 6, "offset": 0.5}
    assert activations.get("softmax", axis=0).axis == 0
    assert activations.get("maxout", pieces=3).pieces == 3
    assert activations.get("prelu", init=0.1, num_parameters=4).alpha.tolist() == [0.1] * 4
    assert type(activations.get("Leaky-ReLU")) is nnlite.LeakyReLU
    assert type(activations.get(" Hard Swish ")) is nnlite.HardSwish
    act = nnlite.Tanh()
    assert activations.get(act) is act
    assert type(activations.get(nnlite.ReLU6)) is nnlite.ReLU6
    with pytest.raises(TypeError, match="parameters"):
        activations.get(act, alpha=1)
    with pytest.raises(TypeError, match="name or an Activation"):
        activations.get(3)
    with pytest.raises(TypeError):
        activations.get("relu", alpha=0.1)  # relu has no parameter


def test_unknown_name_lists_close_matches():
    with pytest.raises(ValueError, match=r"unknown activation 'sigmoyd'.*Did you mean 'sigmoid'") as info:
        activations.get("sigmoyd")
    assert "Known activations" in str(info.value) and "log_softmax" in str(info.value)
    with pytest.raises(ValueError, match="leaky_relu"):
        activations.get("leaky_rellu")
    with pytest.raises(ValueError, match="unknown activation 'xyzzy'"):
        activations.get("xyzzy")


class SquarePlus(Activation, register=False):
    """f(x) = (x + sqrt(x^2 + b)) / 2 (So, 2021): a smooth ReLU from one square root."""

    def __init__(self, b: float = 4.0):
        self.b = float(b)

    def function(self, x):
        return (x + np.sqrt(x * x + self.b)) / 2

    def derivative(self, x, y):
        return (1 + x / np.sqrt(x * x + self.b)) / 2


def test_a_users_subclass_registers_under_its_snake_case_name(registry):
    class SquarePlusUnit(Activation):
        def function(self, x):
            return (x + np.sqrt(x * x + 4)) / 2

        def derivative(self, x, y):
            return (1 + x / np.sqrt(x * x + 4)) / 2

    assert SquarePlusUnit.name == "square_plus_unit"
    assert "square_plus_unit" in activations.names()
    act = activations.get("square_plus_unit")
    assert type(act) is SquarePlusUnit
    x = np.linspace(-3, 3, 13).reshape(13, 1)
    assert gradcheck(act, x).passed
    y = act.forward(x.astype(np.float32))
    assert y.dtype == np.float32
    np.testing.assert_allclose(act.forward(np.array([0.0, 1e6])), [1.0, 1e6 + 1e-6], rtol=1e-15)


def test_name_override_aliases_and_unregistered_helpers(registry):
    class Mine(Activation):
        name = "my_activation"
        aliases = ("mine", "my-act")

        def function(self, x):
            return 2 * x

        def derivative(self, x, y):
            return np.full_like(x, 2)

    class Helper(Activation, register=False):
        pass

    assert type(activations.get("my_activation")) is Mine
    assert type(activations.get("mine")) is Mine and type(activations.get("my_act")) is Mine
    assert "helper" not in activations.names(aliases=True)
    with pytest.raises(NotImplementedError, match="Helper must define function"):
        Helper().forward(np.ones(2))
    assert gradcheck(SquarePlus(), np.linspace(-2, 2, 9)).passed


def test_a_name_clash_with_a_different_class_raises(registry):
    with pytest.raises(ValueError, match=r"'sigmoid' is already used by nnlite\.activations\.Sigmoid"):
        class Sigmoid(Activation):
            def function(self, x):
                return x

    with pytest.raises(ValueError, match="'silu' is already used"):
        class Other(Activation):
            name = "other_unique_name"
            aliases = ("silu",)

    with pytest.raises(ValueError, match="already used"):
        class Tanh2(Activation):
            name = "TANH"
    assert activations.get("sigmoid").__class__ is nnlite.Sigmoid


def test_redefining_the_same_class_replaces_it_quietly(registry):
    # a notebook cell run twice defines the "same" class again
    def define():
        class Rerun(Activation):
            def function(self, x):
                return x

            def derivative(self, x, y):
                return np.ones_like(x)

        return Rerun

    first, second = define(), define()
    assert first is not second
    assert type(activations.get("rerun")) is second


# --- clear errors ----------------------------------------------------------------------------------------

def _inputs_for(name):
    return np.linspace(-2, 2, 12).reshape(3, 4)


@pytest.mark.parametrize("name", CATALOGUE)
def test_backward_before_forward(name):
    with pytest.raises(RuntimeError, match=r"backward was called before forward"):
        activations.get(name).backward(np.ones((3, 4)))


@pytest.mark.parametrize("name", CATALOGUE)
def test_dvalues_of_the_wrong_shape(name):
    act = activations.get(name)
    y = act.forward(_inputs_for(name))
    wrong = np.ones((y.shape[0] + 1, *y.shape[1:]))
    message = re.escape(f"dvalues has shape {wrong.shape}") + ".*" + re.escape(str(y.shape))
    with pytest.raises(ValueError, match=message):
        act.backward(wrong)
    with pytest.raises(ValueError, match="shape"):
        act.backward(np.ones(y.shape[::-1] + (1,)))


@pytest.mark.parametrize("name", CATALOGUE)
@pytest.mark.parametrize("bad", [np.array(["a", "b"]), np.array([1 + 2j, 3j]), np.array([{}, None], dtype=object),
                                 "text", [[1.0, 2.0], [3.0]]], ids=["str", "complex", "object", "string", "ragged"])
def test_non_numeric_inputs_raise_type_error(name, bad):
    with pytest.raises(TypeError, match="real numeric array"):
        activations.get(name).forward(bad)


@pytest.mark.parametrize("bad", [None, [1.0, None]], ids=["none", "list-with-none"])
def test_none_is_not_a_number(bad):
    with pytest.raises(TypeError, match="real numeric array"):
        nnlite.Tanh().forward(bad)


def test_non_numeric_dvalues_raise_type_error():
    act = nnlite.Tanh()
    act.forward(np.ones(2))
    with pytest.raises(TypeError, match="dvalues"):
        act.backward(np.array(["a", "b"]))


def test_numeric_object_arrays_and_lists_are_accepted():
    y = nnlite.ReLU().forward(np.array([1, -2.5], dtype=object))
    assert y.dtype == np.float64 and y.tolist() == [1.0, 0.0]
    assert nnlite.Tanh().forward([0.0, 1.0]).dtype == np.float64


def test_maxout_width_must_be_divisible():
    with pytest.raises(ValueError, match=r"Maxout\(pieces=3\).*divisible by 3.*\(2, 4\)"):
        nnlite.Maxout(pieces=3).forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match="shape"):
        nnlite.Maxout().forward(np.float64(1.0))
    with pytest.raises(ValueError, match="pieces must be >= 1"):
        nnlite.Maxout(pieces=0)


def test_prelu_feature_mismatch():
    act = nnlite.PReLU(num_parameters=3)
    with pytest.raises(ValueError, match=r"PReLU has 3 parameters.*shape \(2, 4\)"):
        act.forward(np.ones((2, 4)))
    assert act.forward(np.ones((5, 2, 3))).shape == (5, 2, 3)
    with pytest.raises(ValueError, match="num_parameters must be >= 1"):
        nnlite.PReLU(num_parameters=0)


def test_softmax_axis_out_of_range():
    with pytest.raises(ValueError, match=r"Softmax\(axis=2\).*\(3, 4\)"):
        nnlite.Softmax(axis=2).forward(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"LogSoftmax\(axis=-1\)"):
        nnlite.LogSoftmax().forward(np.float64(2.0))


@pytest.mark.parametrize("build, match", [
    (lambda: nnlite.CELU(alpha=0), "alpha must be > 0"),
    (lambda: nnlite.Softplus(beta=-1), "beta must be > 0"),
    (lambda: nnlite.GELU(approximate="fast"), "approximate must be"),
    (lambda: nnlite.HardTanh(min_val=1, max_val=-1), "min_val < max_val"),
])
def test_bad_parameters(build, match):
    with pytest.raises(ValueError, match=match):
        build()


# --- NaN, state, copies -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CATALOGUE)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nan_propagates_through_forward(name, dtype):
    x = np.array([[-1.0, np.nan, 0.5, 2.0], [0.3, -0.2, 1.0, -4.0]], dtype=dtype)
    y = activations.get(name).forward(x)
    assert y.dtype == dtype
    if name in ("softmax", "log_softmax"):
        assert np.all(np.isnan(y[0])) and not np.any(np.isnan(y[1]))
    elif name == "maxout":
        assert np.isnan(y[0, 0]) and not np.any(np.isnan(y[0, 1:])) and not np.any(np.isnan(y[1]))
    else:
        assert np.isnan(y[0, 1])
        mask = np.ones(x.shape, bool)
        mask[0, 1] = False
        assert not np.any(np.isnan(y[mask]))


@pytest.mark.parametrize("name", CATALOGUE)
def test_forward_and_backward_store_and_return(name):
    act = activations.get(name)
    x = np.linspace(-2, 2, 12).reshape(3, 4) + 0.01
    before = x.copy()
    y = act.forward(x)
    assert act.output is y and act.inputs is not None
    d = act.backward(np.ones_like(y))
    assert act.dinputs is d and d.shape == x.shape
    np.testing.assert_array_equal(x, before)  # the caller's array is never modified
    assert not np.shares_memory(y, x)


def test_backward_does_not_modify_dvalues():
    for name in CATALOGUE:
        act = activations.get(name)
        y = act.forward(np.linspace(-2, 2, 12).reshape(3, 4))
        dv = np.full_like(y, 0.5)
        act.backward(dv)
        assert np.all(dv == 0.5), name


# --- the command line ------------------------------------------------------------------------------------------

def test_cli_gradcheck_passes_for_every_activation(capsys):
    assert main(["gradcheck"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].split()[:2] == ["object", "result"]
    rows = {line.split()[0]: line.split() for line in out[1:-1]}
    assert set(CATALOGUE) <= set(rows)
    for name in CATALOGUE:
        assert rows[name][1] == "passed", rows[name]
        assert float(rows[name][2]) < 1e-6
    n = len(out) - 2
    assert out[-1] == f"{n} of {n} passed"


@pytest.mark.parametrize("name", [n for n in CATALOGUE if n not in ("softmax", "log_softmax", "maxout")])
@pytest.mark.parametrize("x", [0.7, np.float64(-0.7), np.array(1.3), np.float32(-2.1)],
                         ids=["float", "f64", "0d", "f32"])
def test_scalar_and_0d_inputs(name, x):
    # numpy makes scalars of 0-d results: the in-place formulas must still get arrays
    act = activations.get(name)
    y = act.forward(x)
    assert isinstance(y, np.ndarray) and y.shape == ()
    assert y.dtype == (np.float32 if isinstance(x, np.float32) else np.float64)
    d = act.backward(np.ones_like(y))
    assert isinstance(d, np.ndarray) and d.shape == () and d.dtype == y.dtype
    one = activations.get(name)
    assert one.forward(np.array([x]))[0] == y
    assert one.backward(np.ones((1,), dtype=y.dtype))[0] == d
    assert gradcheck(activations.get(name), np.asarray(x, dtype=np.float64) + 0.013).passed
