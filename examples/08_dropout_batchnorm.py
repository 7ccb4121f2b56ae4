# %% [markdown]
# # 8. Dropout and BatchNorm: what they do to activations and gradients
#
# Three copies of one deep, narrow ReLU network, started from the same small
# weights (N(0, 0.01^2), the nnfs book's choice): plain, with `BatchNorm`
# after every hidden Dense layer, and with `Dropout` after every hidden ReLU.
# With small weights every layer shrinks its input, so the plain network's
# activations and gradients fade layer by layer; BatchNorm rescales each
# unit to mean 0 and variance 1 over the batch, whatever the weights.
# Dropout zeroes a random share `rate` of the units in training and scales
# the rest by 1 / (1 - rate), so the expected activation is unchanged.
#
#     python examples/08_dropout_batchnorm.py [OUT_DIR]
#
# Figures go to OUT_DIR (or $NNLITE_OUT; by default a new temporary folder,
# never the working directory). NNLITE_SMALL=1 trains fewer samples for
# fewer epochs.

# %%
import os
import sys
import tempfile

import numpy as np
from matplotlib.figure import Figure

import nnlite
from nnlite import Adam, BatchNorm, Dense, Dropout, ReLU, Sequential

SMALL = os.environ.get("NNLITE_SMALL") == "1"
arg = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None
OUT = arg or os.environ.get("NNLITE_OUT") or tempfile.mkdtemp(prefix="nnlite-course-")
os.makedirs(OUT, exist_ok=True)

try:
    X, y = nnlite.datasets.load_digits()
except ImportError:
    X, y = nnlite.datasets.spiral(110 if SMALL else 300, 3, seed=0)
if SMALL:
    X, y = X[:320], y[:320]  # 240 training samples in batches of 32: no last batch of one, which BatchNorm refuses
order = np.random.default_rng(0).permutation(len(X))
n_test = len(X) // 4
X_test, y_test, X_train, y_train = X[order[:n_test]], y[order[:n_test]], X[order[n_test:]], y[order[n_test:]]
n_classes = int(y.max()) + 1

# %% [markdown]
# ## Three networks, one starting point
#
# Four hidden layers of 32 units. The Dense layers get the same seeds in
# every variant, so the three networks start from identical weights.

# %%
HIDDEN, DEPTH, RATE = 32, 4, 0.3


def build(kind):
    layers, width = [], X.shape[1]
    for i in range(DEPTH):
        layers.append(Dense(width, HIDDEN, weight_init="normal", seed=i))
        if kind == "batchnorm":
            layers.append(BatchNorm(HIDDEN))
        layers.append(ReLU())
        if kind == "dropout":
            layers.append(Dropout(RATE, seed=100 + i))
        width = HIDDEN
    layers.append(Dense(width, n_classes, weight_init="normal", seed=DEPTH))
    return Sequential(layers)


# %% [markdown]
# ## Training with the diagnostics on
#
# `diagnostics=True` records per epoch the gradient norm of every layer with
# parameters and the mean and spread of every activation layer's output
# (measured in inference mode on a fixed probe of training samples).

# %%
epochs = 3 if SMALL else 30
runs = {}
for kind in ("plain", "batchnorm", "dropout"):
    model = build(kind)
    history = model.fit(X_train, y_train, optimizer=Adam(1e-3), epochs=epochs, batch_size=32, seed=0,
                        validation_data=(X_test, y_test), diagnostics=True)
    runs[kind] = (model, history)
    print(f"{kind:10s} train accuracy {history.accuracy[-1]:.2%}, test accuracy {history.val_accuracy[-1]:.2%}")

# %% [markdown]
# ## The histograms, at the start
#
# One batch through each network as built (before any training), in
# training mode, the mode of a plain forward outside `predict`: the last
# hidden layer's outputs and the gradient reaching the first Dense layer's
# weights. In the plain network both are tiny: every layer multiplies by
# weights of size 0.01, forward and backward. BatchNorm puts each unit back
# to variance 1, so the gradient arrives at the scale of the top layer.
# Dropout's histogram has a spike at 0 (the dropped units) and the kept
# ones stretched by 1 / (1 - rate); it does nothing against the fading.

# %%
X_batch, y_batch = X_train[:256], y_train[:256]
fig = Figure(figsize=(10, 3.8), layout="constrained")
ax_act, ax_grad = fig.subplots(1, 2)
for kind in runs:
    model = build(kind)
    with_loss = model.with_loss("softmax_cross_entropy")
    with_loss.forward(X_batch, y_batch)
    with_loss.backward()
    out = np.abs(model.layers[-2].output.ravel())  # the last hidden ReLU (or the Dropout after it)
    ax_act.hist(np.log10(out[out > 0]), bins=60, histtype="step", label=f"{kind} ({np.mean(out == 0):.0%} zeros)")
    grads = np.abs(model.layers[0].dweights.ravel())
    ax_grad.hist(np.log10(grads[grads > 0]), bins=60, histtype="step", label=kind)
ax_act.set(xlabel="log10 of the last hidden layer's nonzero outputs", ylabel="count",
           title="activations at initialisation")
ax_grad.set(xlabel="log10 |dL/dW| of the first Dense layer", ylabel="count", title="gradients at initialisation")
ax_act.legend(loc="upper center", fontsize="small")
ax_grad.legend(loc="upper center", fontsize="small")
fig.savefig(os.path.join(OUT, "08_histograms.png"), dpi=100)

# %% [markdown]
# ## Per epoch: gradient norm and activation spread
#
# Left, the first Dense layer's gradient norm per epoch (History.grad_norm):
# the plain and dropout networks need a few epochs for Adam to grow their
# weights out of the fading regime, the BatchNorm one starts in it. Middle,
# the spread of the last hidden ReLU (History.activation_std). Right, the
# accuracy gap: dropout's training accuracy is measured with units
# dropped, its test accuracy without, so its gap is often negative.

# %%
fig = Figure(figsize=(12, 3.6), layout="constrained")
ax_norm, ax_std, ax_gap = fig.subplots(1, 3)
for kind, (_, history) in runs.items():
    epochs_axis = np.arange(1, history.epochs + 1)
    ax_norm.plot(epochs_axis, history.grad_norm["0.dense"], label=kind)
    last_relu = [label for label in history.activation_std if label.endswith("relu")][-1]
    ax_std.plot(epochs_axis, history.activation_std[last_relu], label=kind)
    ax_gap.plot(epochs_axis, np.array(history.accuracy) - np.array(history.val_accuracy), label=kind)
ax_norm.set(xlabel="epoch", ylabel="||dL/dW1||", yscale="log", title="first layer's gradient norm")
ax_std.set(xlabel="epoch", ylabel="std of the output", yscale="log", title="last hidden ReLU (inference)")
ax_gap.set(xlabel="epoch", ylabel="train - test accuracy", title="generalisation gap")
for ax in (ax_norm, ax_std, ax_gap):
    ax.legend(fontsize="small")
fig.savefig(os.path.join(OUT, "08_diagnostics.png"), dpi=100)
print(f"figures written to {OUT}")
