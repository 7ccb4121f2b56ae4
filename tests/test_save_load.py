"""Sequential.save/load: user classes come back with their arguments or are refused, built-ins
cannot be hijacked, layer state is kept, and hostile or damaged files get a named error
without unsafe advice or huge allocations (issues 10 and 11)."""

from __future__ import annotations

import json
import math
import os
import stat
import sys
import textwrap
import tracemalloc
import zipfile

import numpy as np
import pytest

import nnlite
from nnlite import Dense, Sequential, activations, layers

X = np.random.default_rng(0).normal(size=(7, 4))


class SquarePlus(nnlite.Activation, register=False):
    """The README's activation, without a get_config of its own (out of the name registry, where
    lesson 03 registers its own square_plus; load finds it by its qualified name)."""

    def __init__(self, b: float = 4.0):
        self.b = b

    def function(self, x):
        return 0.5 * x + 0.5 * np.hypot(x, math.sqrt(self.b))

    def derivative(self, x, y):
        return 0.5 + 0.5 * (x / np.hypot(x, math.sqrt(self.b)))


class Scale(nnlite.Layer):
    """y = x * s, with a learnable per-feature s and a non-learnable running mean of |x| in `state`."""

    def __init__(self, n_features: int, init: float = 1.0, momentum: float = 0.9):
        self.n_features, self.init, self.momentum = n_features, init, momentum
        self.params = {"scale": np.full((1, n_features), float(init))}
        self.grads = {"scale": np.zeros((1, n_features))}
        self.state = {"running_abs": np.zeros(n_features)}

    def forward(self, inputs):
        self.inputs = np.asarray(inputs, dtype=np.float64)
        self.state["running_abs"] *= self.momentum
        self.state["running_abs"] += (1 - self.momentum) * np.abs(self.inputs).mean(axis=0)
        self.output = self.inputs * self.params["scale"]
        return self.output

    def backward(self, dvalues):
        self.grads["scale"][...] = np.sum(dvalues * self.inputs, axis=0, keepdims=True)
        self.dinputs = dvalues * self.params["scale"]
        return self.dinputs


def roundtrip(model, tmp_path, name="model.npz"):
    path = tmp_path / name
    model.save(path)
    return Sequential.load(path)


# ------------------------------------------------------------------ constructor capture (issue 10)


def test_readme_square_plus_round_trips_with_its_argument_and_bit_identical_predictions(tmp_path):
    model = Sequential([Dense(4, 3, seed=0), SquarePlus(b=0.01), Dense(3, 2, seed=1)])
    loaded = roundtrip(model, tmp_path)
    assert type(loaded.layers[1]) is SquarePlus and loaded.layers[1].b == 0.01
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert SquarePlus(b=0.01).get_config() == {"b": 0.01}


def test_user_layer_with_params_and_state_round_trips_bit_identically(tmp_path):
    layer = Scale(4, init=0.5)
    layer.params["scale"][...] = np.random.default_rng(1).normal(size=(1, 4))
    layer.forward(X)  # moves the running statistic away from its initial zeros
    loaded = roundtrip(Sequential([layer]), tmp_path)
    restored = loaded.layers[0]
    assert type(restored) is Scale and restored.get_config() == {"n_features": 4, "init": 0.5, "momentum": 0.9}
    np.testing.assert_array_equal(restored.params["scale"], layer.params["scale"])
    np.testing.assert_array_equal(restored.state["running_abs"], layer.state["running_abs"])
    assert restored.state["running_abs"].any()


@pytest.mark.parametrize("body, argument", [
    ("def __init__(self, b=1.0):\n    self._b = b", "'b'"),                       # not stored under its name
    ("def __init__(self, *args):\n    self.args = args", "*args"),
    ("def __init__(self, **kwargs):\n    self.kwargs = kwargs", "**kwargs"),
    ("def __init__(self, table=None):\n    self.table = np.ones(3)", "'table'"),    # not JSON
    ("def __init__(self, f=abs):\n    self.f = f", "'f'"),
])
def test_arguments_that_cannot_be_captured_make_save_refuse_naming_class_and_argument(tmp_path, body, argument):
    namespace = {"np": np, "nnlite": nnlite}
    source = "class Opaque(nnlite.Activation, register=False):\n" + textwrap.indent(body, "    ") + (
        "\n    def function(self, x):\n        return x + 0.0\n    def derivative(self, x, y):\n"
        "        return np.ones_like(x)\n"
    )
    exec(source, namespace)
    model = Sequential([namespace["Opaque"]()])
    path = tmp_path / "model.npz"
    with pytest.raises(TypeError, match=r"layer 0.*Opaque") as caught:
        model.save(path)
    assert argument in str(caught.value)
    assert not path.exists() and os.listdir(tmp_path) == []
    assert repr(model).startswith("Sequential([Opaque(")  # repr still works


def test_a_subclass_that_changes_the_constructor_is_captured_not_saved_as_its_parent(tmp_path):
    class Leakier(nnlite.LeakyReLU, register=False):
        def __init__(self, alpha=0.3, gain=2.0):
            super().__init__(alpha)
            self.gain = gain

        def function(self, x):
            return self.gain * super().function(x)

        def derivative(self, x, y):
            return self.gain * super().derivative(x, y)

    class SameArguments(nnlite.LeakyReLU, register=False):
        pass

    assert Leakier(0.1, 3.0).get_config() == {"alpha": 0.1, "gain": 3.0}
    assert SameArguments(0.2).get_config() == {"alpha": 0.2}  # the parent's hand-written get_config
    loaded = roundtrip(Sequential([Leakier(0.1, 3.0)]), tmp_path)
    assert (loaded.layers[0].alpha, loaded.layers[0].gain) == (0.1, 3.0)


# ------------------------------------------------------------------ registries (issue 10)


def test_a_user_class_named_dense_does_not_hijack_nnlite_dense(tmp_path):
    model = Sequential([nnlite.Dense(4, 2, seed=0)])
    model.save(tmp_path / "builtin.npz")

    class Dense(nnlite.Dense):  # noqa: F811 - the clash is the point
        def forward(self, inputs):
            raise AssertionError("the user's Dense was used")

    loaded = Sequential.load(tmp_path / "builtin.npz")
    assert type(loaded.layers[0]) is nnlite.Dense
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    # ...and the user's own Dense comes back as the user's
    Sequential([Dense(4, 2, seed=0)]).save(tmp_path / "user.npz")
    assert type(Sequential.load(tmp_path / "user.npz").layers[0]) is Dense
    assert layers.get("Dense", n_inputs=2, n_neurons=2).__class__ is nnlite.Dense


def test_version_1_files_load_their_bare_names_as_builtins(tmp_path):
    class Dense(nnlite.Dense):  # noqa: F811
        pass

    weights, biases = np.arange(8.0).reshape(4, 2), np.ones((1, 2))
    config = {"n_inputs": 4, "n_neurons": 2, "weight_init": "he", "l1": 0.0, "l2": 0.0, "dtype": "float64"}
    arch = {"format": "nnlite.Sequential", "version": 1, "loss": None, "layers": [
        {"kind": "layer", "class": "Dense", "config": config}, {"kind": "activation", "name": "relu", "config": {}}]}
    path = tmp_path / "v1.npz"
    np.savez(path, __nnlite__=np.array(json.dumps(arch)), **{"0.weights": weights, "0.biases": biases})
    loaded = Sequential.load(path)
    assert type(loaded.layers[0]) is nnlite.Dense and type(loaded.layers[1]) is nnlite.ReLU
    np.testing.assert_array_equal(loaded.layers[0].weights, weights)


def test_redefining_a_class_as_a_notebook_cell_rerun_does_keeps_working(tmp_path):
    def cell():
        class Rerun(nnlite.Activation):
            def __init__(self, k=1.0):
                self.k = k

            def function(self, x):
                return self.k * x

            def derivative(self, x, y):
                return np.full_like(x, self.k)

        return Rerun

    first, second = cell(), cell()
    try:
        assert first is not second
        loaded = roundtrip(Sequential([first(k=3.0)]), tmp_path)
        assert type(loaded.layers[0]) is second and loaded.layers[0].k == 3.0
    finally:
        activations._REGISTRY.pop("rerun", None)


def test_activation_name_clash_between_different_classes_is_an_error():
    with pytest.raises(ValueError, match="'tanh' is already used by nnlite.activations.Tanh"):
        class Tanh(nnlite.Activation):  # another class, nnlite's registry name
            pass


def test_a_subclass_of_a_builtin_loss_does_not_replace_it_and_a_name_clash_is_an_error(tmp_path):
    class LoudMSE(nnlite.MeanSquaredError):  # keeps its parent's name "mean_squared_error"
        pass

    assert type(nnlite.losses.get("mse")) is nnlite.MeanSquaredError
    model = Sequential([Dense(4, 2, seed=0)])
    model.loss = nnlite.MeanSquaredError()
    assert type(roundtrip(model, tmp_path).loss) is nnlite.MeanSquaredError
    with pytest.raises(ValueError, match="'mse' is already used by nnlite.losses.MeanSquaredError"):
        class Other(nnlite.losses.Loss):
            name = "other_loss_for_test"
            aliases = ("mse",)


def test_user_class_is_imported_from_its_module_and_a_missing_one_is_named(tmp_path, monkeypatch):
    module = tmp_path / "my_nnlite_layers.py"
    module.write_text(textwrap.dedent("""
        import numpy as np
        import nnlite

        class Halve(nnlite.Layer):
            def __init__(self, n_inputs):
                self.n_inputs = n_inputs

            def forward(self, inputs):
                self.inputs, self.output = inputs, inputs * 0.5
                return self.output

            def backward(self, dvalues):
                self.dinputs = dvalues * 0.5
                return self.dinputs
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import my_nnlite_layers

    path = tmp_path / "model.npz"
    Sequential([my_nnlite_layers.Halve(4)]).save(path)
    # as in a fresh process: the module is not imported and the class not registered
    monkeypatch.delitem(sys.modules, "my_nnlite_layers")
    monkeypatch.delitem(layers._REGISTRY, "my_nnlite_layers.Halve")
    loaded = Sequential.load(path)
    assert type(loaded.layers[0]).__qualname__ == "Halve" and "my_nnlite_layers" in sys.modules
    np.testing.assert_array_equal(loaded.predict(X), X * 0.5)

    module.unlink()
    monkeypatch.delitem(sys.modules, "my_nnlite_layers")
    monkeypatch.delitem(layers._REGISTRY, "my_nnlite_layers.Halve")
    with pytest.raises(ValueError, match=r"'my_nnlite_layers\.Halve', which is neither defined nor importable"):
        Sequential.load(path)


def test_a_bare_layer_name_shared_by_two_user_classes_is_a_clash():
    namespace = {}
    for module in ("first_module", "second_module"):
        exec(f"import nnlite\nclass Twin(nnlite.Layer):\n    __module__ = {module!r}\n", namespace)
    try:
        with pytest.raises(ValueError, match="'Twin' is ambiguous.*first_module.Twin.*second_module.Twin"):
            layers.get("Twin")
    finally:
        layers._REGISTRY.pop("first_module.Twin", None)
        layers._REGISTRY.pop("second_module.Twin", None)


# ------------------------------------------------------------------ hostile and damaged files (issue 11)


def test_a_text_file_is_refused_without_pickle_advice(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("these are my notes, not a model\n" * 40)
    with pytest.raises(ValueError, match="not an .npz") as caught:
        Sequential.load(path)
    assert "pickle" not in str(caught.value)


def test_an_object_array_is_refused_and_never_unpickled(tmp_path):
    good = tmp_path / "good.npz"
    Sequential([Dense(4, 2, seed=0)]).save(good)
    path = tmp_path / "pickled.npz"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        with dst.open("0.extra.npy", "w") as f:
            np.lib.format.write_array(f, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="Python objects") as caught:
        Sequential.load(path)
    assert "allow_pickle" not in str(caught.value)


def _crafted(path, n_inputs, n_neurons, weights_shape=(2, 2)):
    config = {"n_inputs": n_inputs, "n_neurons": n_neurons, "weight_init": "zeros", "l1": 0.0, "l2": 0.0,
              "dtype": "float64"}
    # version 1 (a bare class name), which nnlite before these fixes read too
    arch = {"format": "nnlite.Sequential", "version": 1, "loss": None,
            "layers": [{"kind": "layer", "class": "Dense", "config": config}]}
    np.savez(path, __nnlite__=np.array(json.dumps(arch)),
             **{"0.weights": np.zeros(weights_shape), "0.biases": np.zeros((1, weights_shape[1]))})


def test_a_crafted_small_file_with_a_huge_layer_is_refused_before_building_it(tmp_path, monkeypatch):
    path = tmp_path / "huge.npz"
    _crafted(path, 10**6, 10**6)
    assert path.stat().st_size < 2000

    def never(*args, **kwargs):
        raise AssertionError("Dense was built before the saved shapes were checked")

    monkeypatch.setattr(nnlite.Dense, "__init__", never)
    with pytest.raises(ValueError, match=r"needs weights of shape \(1000000, 1000000\).*\(2, 2\)"):
        Sequential.load(path)


def test_a_crafted_prelu_with_a_huge_parameter_count_is_refused_before_building_it(tmp_path, monkeypatch):
    arch = {"format": "nnlite.Sequential", "version": 1, "loss": None, "layers": [
        {"kind": "activation", "name": "prelu", "config": {"init": 0.25, "num_parameters": 10**12}}]}
    path = tmp_path / "huge_prelu.npz"
    np.savez(path, __nnlite__=np.array(json.dumps(arch)), **{"0.alpha": np.zeros(1)})

    def never(*args, **kwargs):
        raise AssertionError("PReLU was built before the saved shapes were checked")

    monkeypatch.setattr(nnlite.PReLU, "__init__", never)
    with pytest.raises(ValueError, match=r"needs alpha of shape \(1000000000000,\)"):
        Sequential.load(path)


@pytest.mark.parametrize("cls", [nnlite.BatchNorm, nnlite.LayerNorm])
def test_a_crafted_normalisation_layer_with_a_huge_width_is_refused_before_building_it(tmp_path, monkeypatch, cls):
    model = Sequential([cls(3)])
    path = tmp_path / "norm.npz"
    model.save(path)
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    arch = json.loads(str(arrays["__nnlite__"][()]))
    arch["layers"][0]["config"]["n_features"] = 2**40
    arrays["__nnlite__"] = np.array(json.dumps(arch))
    np.savez(path, **arrays)

    def never(*args, **kwargs):
        raise AssertionError(f"{cls.__name__} was built before the saved shapes were checked")

    monkeypatch.setattr(cls, "__init__", never)
    with pytest.raises(ValueError, match=r"needs gamma of shape \(1099511627776,\)"):
        Sequential.load(path)


class CountingClip(nnlite.Activation, register=False):
    """clip(x, -c, c), counting its forward calls in `state` (an activation with state)."""

    def __init__(self, c: float = 1.0):
        self.c = c
        self.state = {"calls": np.zeros(1)}

    def function(self, x):
        self.state["calls"] += 1
        return np.clip(x, -self.c, self.c)

    def derivative(self, x, y):
        return (np.abs(x) < self.c).astype(x.dtype)


def test_an_activation_with_state_round_trips_and_restores_best_weights(tmp_path):
    model = Sequential([nnlite.Dense(4, 3, seed=0), CountingClip(0.5)])
    model.predict(X)
    model.predict(X)
    loaded = roundtrip(model, tmp_path)
    np.testing.assert_array_equal(loaded.layers[1].state["calls"], [2.0])
    y = np.arange(len(X)) % 3
    stop = nnlite.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    model.fit(X, y, epochs=3, seed=0, callbacks=[stop])  # restores through set_state: no AttributeError
    assert model.layers[1].state["calls"][0] >= 2


def test_an_array_header_claiming_more_than_the_file_holds_allocates_nothing(tmp_path):
    path = tmp_path / "liar.npz"
    _crafted(path, 2, 2)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    header = members["0.weights.npy"]
    members["0.weights.npy"] = header.replace(b"(2, 2)", b"(200000, 200000)".ljust(6))[: len(header) + 10]
    liar = tmp_path / "liar2.npz"
    with zipfile.ZipFile(liar, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"claims shape \(200000, 200000\)"):
            Sequential.load(liar)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6


@pytest.mark.parametrize("loss, match", [
    ({"name": "mse", "config": {"from_logits": True}}, "cannot rebuild the loss"),
    ({"name": "no_such_loss", "config": {}}, "unknown loss"),
    ({"name": "mse", "config": [1, 2]}, "loss record"),
])
def test_a_bad_loss_record_is_a_value_error_naming_the_loss(tmp_path, loss, match):
    path = tmp_path / "model.npz"
    model = Sequential([Dense(4, 2, seed=0)])
    model.loss = nnlite.MeanSquaredError()
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    arch = json.loads(str(np.load(path)["__nnlite__"][()]))
    arch["loss"] = loss
    np.savez(path, __nnlite__=np.array(json.dumps(arch)),
             **{name[:-4]: np.load(path)[name[:-4]] for name in members if name != "__nnlite__.npy"})
    with pytest.raises(ValueError, match=match):
        Sequential.load(path)


@pytest.mark.parametrize("layers_record", [None, "Dense", [], [["layer"]], [{"kind": "layer", "class": 3}],
                                           [{"kind": "layer", "class": "nnlite.layers.Dense", "config": "x"}]])
def test_a_malformed_architecture_is_a_value_error(tmp_path, layers_record):
    path = tmp_path / "model.npz"
    arch = {"format": "nnlite.Sequential", "version": 2, "loss": None, "layers": layers_record}
    np.savez(path, __nnlite__=np.array(json.dumps(arch)))
    with pytest.raises(ValueError, match="not a readable nnlite model file"):
        Sequential.load(path)


# ------------------------------------------------------------------ writing (issue 11)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_saving_over_a_file_keeps_its_permissions_and_new_files_get_the_umask_default(tmp_path, umask_022):
    model = Sequential([Dense(4, 2, seed=0)])
    path = tmp_path / "model.npz"
    model.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    path.chmod(0o600)
    model.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o664)
    model.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o664


def test_saving_through_a_symlink_updates_the_file_it_points_to(tmp_path):
    real = tmp_path / "real.npz"
    link = tmp_path / "link.npz"
    Sequential([Dense(4, 2, seed=0)]).save(real)
    link.symlink_to(real)
    Sequential([Dense(4, 2, seed=5)]).save(link)
    assert link.is_symlink()
    np.testing.assert_array_equal(Sequential.load(real).layers[0].weights, Dense(4, 2, seed=5).weights)


def test_a_failed_save_names_the_target_not_the_temporary_file(tmp_path):
    path = tmp_path / "missing-folder" / "model.npz"
    with pytest.raises(FileNotFoundError) as caught:
        Sequential([Dense(4, 2, seed=0)]).save(path)
    assert caught.value.filename == str(path) and ".tmp" not in str(caught.value)
    assert "cannot save the model" in str(caught.value)
