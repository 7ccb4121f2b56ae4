# %% [markdown]
# # 4. One neuron: sweep, train, information plane
#
# The minimal model of the information-bottleneck debate is one neuron,
# T = f(w X + b). Saxe et al. (2018) argue that the "compression" Shwartz-Ziv
# & Tishby (2017) saw in I(X;T) comes from double-saturating activations:
# for a deterministic T, the binned I(X;T) is the entropy H(T), and as |w|
# grows tanh piles its outputs up at -1 and +1 (fewer occupied bins, lower
# H), while relu only stretches its outputs (the same bins, the same H).
#
#     python examples/04_one_neuron.py [OUT_DIR]
#
# Figures go to OUT_DIR (or $NNLITE_OUT; by default a new temporary folder,
# never the working directory). NNLITE_SMALL=1 uses fewer samples and epochs.

# %%
import os
import sys
import tempfile

import numpy as np
from matplotlib.figure import Figure

import nnlite
from nnlite import OneNeuron
from nnlite.information import entropy

SMALL = os.environ.get("NNLITE_SMALL") == "1"
arg = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None
OUT = arg or os.environ.get("NNLITE_OUT") or tempfile.mkdtemp(prefix="nnlite-course-")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(0)
n_samples, n_weights, epochs = (500, 40, 60) if SMALL else (5000, 200, 300)

# %% [markdown]
# ## Sweep: I(X;T) = H(T) as the weight grows
#
# `sweep` evaluates f(w x + b) for every weight at once: row k is the layer
# output for weights[k]. `entropy` bins each row between its own min and max
# (30 bins) and returns one H per row, in bits.

# %%
x = rng.standard_normal(n_samples)
weights = np.linspace(0.05, 20, n_weights)
fig = Figure(figsize=(5.5, 3.6), layout="constrained")
ax = fig.subplots()
for name in ("tanh", "relu", "sigmoid", "softplus"):
    h = entropy(OneNeuron(name).sweep(x, weights), bins=30)
    ax.plot(weights, h, label=name)
    print(f"{name:>8}: H(T) {h[0]:.2f} bits at w = {weights[0]:g}, {h[-1]:.2f} bits at w = {weights[-1]:g}")
ax.set_xlabel("weight w")
ax.set_ylabel("I(X;T) = H(T)  [bits, 30 bins]")
ax.set_title("only saturating activations compress")
ax.legend(fontsize="small")
fig.savefig(os.path.join(OUT, "04_sweep.png"), dpi=100)

# %% [markdown]
# ## Train: a sigmoid neuron learns the label y = [x > 0.5]
#
# `fit` is full-batch gradient descent on w and b. With `information=True` it
# records I(X;T) and I(T;Y) after every epoch: the neuron's path in the
# information plane. I(T;Y) reaches its plateau within a few epochs; after
# that w keeps growing (the loss still rewards confident outputs), the
# sigmoid saturates and I(X;T) falls: compression driven by saturation.

# %%
labels = (x > 0.5).astype(float)
neuron = OneNeuron("sigmoid", weight=0.1, bias=0.0)
history = neuron.fit(x, labels, loss="bce", epochs=epochs, learning_rate=2.0, information=True, bins=30)
print(f"after {epochs} epochs: w = {neuron.weight:.3f}, b = {neuron.bias:.3f}, loss {history.loss[-1]:.4f}")

fig = Figure(figsize=(13, 3.6), layout="constrained")
ax_w, ax_loss, ax_plane = fig.subplots(1, 3)
ax_w.plot(history.weight, label="weight w")
ax_w.plot(history.bias, "--", label="bias b")
ax_w.set_xlabel("epoch")
ax_w.set_ylabel("parameter value")
ax_w.set_title("the weight keeps growing")
ax_w.legend(fontsize="small")
ax_loss.plot(history.loss, color="C2")
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("binary cross-entropy")
ax_loss.set_title("loss")
points = ax_plane.scatter(history.mi_xt, history.mi_ty, c=np.arange(len(history.mi_xt)), cmap="viridis", s=12)
fig.colorbar(points, ax=ax_plane, label="epoch")
ax_plane.set_xlabel("I(X;T)  [bits]")
ax_plane.set_ylabel("I(T;Y)  [bits]")
ax_plane.set_title("information plane")
fig.savefig(os.path.join(OUT, "04_training.png"), dpi=100)

# %% [markdown]
# ## Why training slows down: explain the trained neuron
#
# da/dz = sigmoid'(z) is at most 0.25 and ~0 for the samples far from the
# threshold: those samples contribute almost nothing to dL/dw any more.
# (The samples lie in [-0.8, 1.6]: further out the trained sigmoid's output
# comes within 1e-6 of bce's clipping at 1e-7, and the finite difference of
# dL/da straddles the clip; explain stars such rows.)

# %%
x_shown = np.linspace(-0.8, 1.6, 8)
explained = nnlite.explain(neuron, x_shown, (x_shown > 0.5).astype(float), loss="bce", sample=2)
print(explained)
explained.figure().savefig(os.path.join(OUT, "04_explain.png"), dpi=100)
print(f"figures written to {OUT}")
