# %% [markdown]
# # 7. Your own layer: write it, check it, train it, save it
#
# A layer with a parameter: a learnable scale and shift per feature (the
# affine half of batch or layer normalisation, Ioffe & Szegedy, 2015):
#
#     forward:  y_ij = x_ij * s_j + b_j
#     backward: ds_j = sum_i dvalues_ij * x_ij
#               db_j = sum_i dvalues_ij
#               dinputs_ij = dvalues_ij * s_j
#
# Storing each constructor argument as an attribute of the same name
# (`self.n_inputs = n_inputs`) is all `Sequential.save/load` needs to
# rebuild it: no `get_config` to write. `nnlite.testing` checks it the way
# nnlite checks its own layers.
#
#     python examples/07_custom_layer.py [OUT_DIR]
#
# Figures go to OUT_DIR (or $NNLITE_OUT; by default a new temporary folder,
# never the working directory). NNLITE_SMALL=1 trains for fewer epochs.

# %%
import os
import sys
import tempfile

import numpy as np

import nnlite
from nnlite import Adam, Dense, Sequential, Tanh
from nnlite.testing import check_layer

SMALL = os.environ.get("NNLITE_SMALL") == "1"
arg = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None
OUT = arg or os.environ.get("NNLITE_OUT") or tempfile.mkdtemp(prefix="nnlite-course-")
os.makedirs(OUT, exist_ok=True)

# %% [markdown]
# ## The layer
#
# `params` and `grads` hold the layer's own arrays, and backward writes the
# gradients into them in place: optimizers and `load` use those very arrays.
# Bad input gets an error that names what was expected.

# %%
class FeatureScale(nnlite.Layer):
    """y = x * scale + shift, one learnable scale and shift per feature (inputs (n, n_inputs))."""

    def __init__(self, n_inputs: int, init: float = 1.0):
        self.n_inputs, self.init = n_inputs, init
        self.scale = np.full((1, n_inputs), float(init))
        self.shift = np.zeros((1, n_inputs))
        self.dscale, self.dshift = np.zeros_like(self.scale), np.zeros_like(self.shift)
        self.params = {"scale": self.scale, "shift": self.shift}
        self.grads = {"scale": self.dscale, "shift": self.dshift}

    def forward(self, inputs):
        inputs = np.asarray(inputs)
        if inputs.dtype.kind != "f":
            inputs = inputs.astype(np.float64)
        if inputs.ndim != 2 or inputs.shape[1] != self.n_inputs:
            raise ValueError(f"FeatureScale({self.n_inputs}) expects inputs (n, {self.n_inputs}); got {inputs.shape}")
        self.inputs = inputs
        self.output = inputs * self.scale + self.shift
        return self.output

    def backward(self, dvalues):
        if self.output is None:
            raise RuntimeError("FeatureScale.backward was called before forward")
        dvalues = np.asarray(dvalues)
        if dvalues.shape != self.output.shape:
            raise ValueError(f"FeatureScale.backward: dvalues has shape {dvalues.shape}, expected {self.output.shape}")
        np.sum(dvalues * self.inputs, axis=0, keepdims=True, out=self.dscale)
        np.sum(dvalues, axis=0, keepdims=True, out=self.dshift)
        self.dinputs = dvalues * self.scale
        return self.dinputs


print(FeatureScale(3, init=0.5))  # the repr comes from the captured arguments

# %% [markdown]
# ## Check it
#
# `check_layer` runs every check (gradients against finite differences,
# dtypes, aliasing, NaN, config and save/load round trips, clear errors)
# and raises one AssertionError listing every failure. In a project, the
# same checks are a test file of three lines:
#
#     from my_layers import FeatureScale
#     from nnlite.testing import check_layer
#     def test_feature_scale(): check_layer(FeatureScale(4, init=0.5))
#
# or, one pytest test per check, `@nnlite.testing.parametrize_with_checks([FeatureScale(4)])`
# on `def test_feature_scale(obj, check): check(obj)`.

# %%
report = check_layer(FeatureScale(4, init=0.5))
print(report)

# %% [markdown]
# ## Train it inside a Sequential
#
# Three spiral arms; the scale sits between the hidden Dense layer and its
# tanh, so it learns how far into the saturation each unit is driven.

# %%
X, y = nnlite.datasets.spiral(100, 3, seed=0)
model = Sequential([Dense(2, 32, seed=0), FeatureScale(32), Tanh(), Dense(32, 3, seed=1)])
history = model.fit(X, y, loss="softmax_cross_entropy", optimizer=Adam(learning_rate=0.02),
                    epochs=20 if SMALL else 300, batch_size=32, seed=0)
scores = model.evaluate(X, y)
print(f"training accuracy {scores['accuracy']:.2%}; learnt scales from "
      f"{model.layers[1].scale.min():.2f} to {model.layers[1].scale.max():.2f}")
nnlite.plotting.training_curves(history).savefig(os.path.join(OUT, "07_training.png"), dpi=100)

# %% [markdown]
# ## Save and load it
#
# The file records `FeatureScale` by its qualified name and its captured
# arguments; loading rebuilds it (importing its module if needed) and puts
# the saved scale and shift back, so the predictions are bit-identical.

# %%
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "spiral.npz")
    model.save(path)
    loaded = Sequential.load(path)
same = np.array_equal(loaded.predict(X), model.predict(X))
print(f"loaded {loaded}; predictions bit-identical: {same}")
assert same and type(loaded.layers[1]) is FeatureScale
print(f"figures written to {OUT}")
