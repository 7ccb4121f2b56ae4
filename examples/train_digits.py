# %% [markdown]
# # Train a digit classifier with nnlite
#
# scikit-learn's 8x8 digits, a 64-128-10 ReLU network, softmax cross-entropy
# and Adam: the set-up of `benchmarks/training.py`, step by step.
#
#     python examples/train_digits.py [OUT_DIR]
#
# Figures and the saved model go to OUT_DIR (or $NNLITE_OUT; by default a
# new temporary folder, never the working directory). NNLITE_SMALL=1 trains
# for 3 epochs instead of 30. Needs scikit-learn
# (`pip install -e ".[datasets]"` from the checkout).

# %%
import os
import sys
import tempfile

import numpy as np
from sklearn.model_selection import train_test_split

import nnlite
from nnlite import Adam, Dense, ReLU, Sequential

SMALL = os.environ.get("NNLITE_SMALL") == "1"
# A notebook kernel passes "-f kernel.json": only a plain first argument is a folder.
arg = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None
OUT = arg or os.environ.get("NNLITE_OUT") or tempfile.mkdtemp(prefix="nnlite-digits-")
os.makedirs(OUT, exist_ok=True)

# %% [markdown]
# ## Data: 1797 images, pixels scaled to [0, 1], 75/25 split

# %%
X, y = nnlite.datasets.load_digits()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
print(f"{len(X_train)} training and {len(X_test)} test images of {X.shape[1]} pixels")

# %% [markdown]
# ## Model and training
#
# The last Dense layer gives logits; `SoftmaxCrossEntropy` applies the softmax
# inside the loss, where its gradient is simply (softmax - one_hot) / n.

# %%
model = Sequential([Dense(64, 128, seed=0), ReLU(), Dense(128, 10, seed=1)])
print(model)
history = model.fit(
    X_train, y_train, loss="softmax_cross_entropy", optimizer=Adam(learning_rate=1e-3),
    epochs=3 if SMALL else 30, batch_size=32, validation_data=(X_test, y_test),
    seed=0, verbose=1, diagnostics=True,
)

# %% [markdown]
# ## Results

# %%
scores = model.evaluate(X_test, y_test)
print(f"test loss {scores['loss']:.4f}, test accuracy {scores['accuracy']:.2%}")
print("dead ReLU units at the end:", history.dead_fraction["1.relu"][-1])
fig = nnlite.plotting.training_curves(history)
fig.savefig(os.path.join(OUT, "digits_training.png"), dpi=120)

# %% [markdown]
# ## Save and load: one .npz, bit-identical

# %%
path = os.path.join(OUT, "digits_mlp.npz")
model.save(path)
loaded = Sequential.load(path)
assert np.array_equal(loaded.predict(X_test), model.predict(X_test))
print(f"figure and model written to {OUT}")
