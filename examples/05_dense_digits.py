# %% [markdown]
# # 5. A Dense network on handwritten digits
#
# 8x8 digit images (64 pixels) -> Dense(64, 32) -> ReLU -> Dense(32, 10)
# -> softmax cross-entropy, trained with Adam. Without scikit-learn (which
# ships the digits) the same steps run on three spiral arms instead.
#
#     python examples/05_dense_digits.py [OUT_DIR]
#
# Figures go to OUT_DIR (or $NNLITE_OUT; by default a new temporary folder,
# never the working directory). NNLITE_SMALL=1 trains on fewer samples for
# fewer epochs.

# %%
import os
import sys
import tempfile

import numpy as np

import nnlite
from nnlite import Adam, Dense, ReLU, Sequential

SMALL = os.environ.get("NNLITE_SMALL") == "1"
arg = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None
OUT = arg or os.environ.get("NNLITE_OUT") or tempfile.mkdtemp(prefix="nnlite-course-")
os.makedirs(OUT, exist_ok=True)

# %% [markdown]
# ## Data: digits if scikit-learn is installed, spirals otherwise
#
# A fixed permutation splits 75% for training and 25% for testing.

# %%
try:
    X, y = nnlite.datasets.load_digits()
    dataset = "digits"
except ImportError:
    X, y = nnlite.datasets.spiral(100 if SMALL else 300, 3, seed=0)
    dataset = "spiral"
if SMALL:
    X, y = X[:400], y[:400]
order = np.random.default_rng(0).permutation(len(X))
n_test = len(X) // 4
X_test, y_test, X_train, y_train = X[order[:n_test]], y[order[:n_test]], X[order[n_test:]], y[order[n_test:]]
n_classes = int(y.max()) + 1
print(f"{dataset}: {len(X_train)} training and {len(X_test)} test samples, {X.shape[1]} features, {n_classes} classes")

# %% [markdown]
# ## Model and training
#
# The last Dense layer outputs logits; the softmax lives inside the loss,
# where its gradient is simply (softmax(z) - one_hot(y)) / n.
# `diagnostics=True` records the gradient norm of every layer per epoch
# (`verbose=1` would print a line per epoch).

# %%
# The spiral's curved boundary needs more units and more passes than the digits.
hidden, epochs, rate = (32, 40, 1e-3) if dataset == "digits" else (64, 300, 0.02)
model = Sequential([Dense(X.shape[1], hidden, seed=0), ReLU(), Dense(hidden, n_classes, seed=1)])
history = model.fit(
    X_train, y_train, loss="softmax_cross_entropy", optimizer=Adam(learning_rate=rate),
    epochs=4 if SMALL else epochs, batch_size=32, validation_data=(X_test, y_test), seed=0, verbose=0,
    diagnostics=True,
)
scores = model.evaluate(X_test, y_test)
print(f"test loss {scores['loss']:.4f}, test accuracy {scores['accuracy']:.2%}")
nnlite.plotting.training_curves(history).savefig(os.path.join(OUT, "05_training.png"), dpi=100)

# %% [markdown]
# ## One hidden unit's gradient, factor by factor
#
# `explain` follows weight W1[i, j] of the first layer (input i into hidden
# unit j) back from the loss: dL/da of unit j comes from every logit,
# sum_k dL/dz2_k W2[j, k]; ReLU's da/dz is 1 or 0, so samples where unit j
# is off contribute nothing to dL/dW1[i, j]. We pick a unit that is on for
# about half of the batch, and in the second layer its weight into the
# first sample's true class. The figure marks every hidden pre-activation of
# the batch on ReLU' (a dead unit has all of them left of 0).

# %%
X_batch, y_batch = X_test[:16], y_test[:16]
on = model.layers[1].forward(model.layers[0].forward(X_batch)) > 0
unit = int(np.argmin(np.abs(on.mean(axis=0) - 0.5)))
feature = int(np.argmax(X_train.std(axis=0)))  # an input that varies, so dz/dw = x is not always 0
explained = nnlite.explain(model, X_batch, y_batch, loss="softmax_cross_entropy",
                           entry=[(feature, unit), (unit, int(y_batch[0]))])
print(f"hidden unit {unit} is on for {on[:, unit].mean():.0%} of the batch")
print(explained)
explained.figure().savefig(os.path.join(OUT, "05_explain.png"), dpi=100)
print(f"figures written to {OUT}")
