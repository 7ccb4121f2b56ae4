# %% [markdown]
# # 9. The digits MLP with the training tools
#
# Lesson 5's network, grown into what a practical run uses: BatchNorm and
# Dropout between the layers, a learning-rate schedule (linear warm-up,
# then cosine decay), early stopping on the validation loss with the best
# epoch's weights restored, and a checkpoint from which training resumes
# exactly where it stopped.
#
#     python examples/09_training_tools.py [OUT_DIR]
#
# Figures go to OUT_DIR (or $NNLITE_OUT; by default a new temporary folder,
# never the working directory). NNLITE_SMALL=1 trains on fewer samples for
# fewer epochs. Without scikit-learn (which ships the digits) the same steps
# run on three spiral arms.

# %%
import os
import sys
import tempfile

import numpy as np
from matplotlib.figure import Figure

import nnlite
from nnlite import AdamW, BatchNorm, Dense, Dropout, EarlyStopping, ModelCheckpoint, ReLU, Sequential, schedules

SMALL = os.environ.get("NNLITE_SMALL") == "1"
arg = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None
OUT = arg or os.environ.get("NNLITE_OUT") or tempfile.mkdtemp(prefix="nnlite-course-")
os.makedirs(OUT, exist_ok=True)

try:
    X, y = nnlite.datasets.load_digits()
except ImportError:
    X, y = nnlite.datasets.spiral(110 if SMALL else 300, 3, seed=0)
if SMALL:
    X, y = X[:400], y[:400]  # 300 (digits) or 248 (spiral) training samples: no last batch of one
order = np.random.default_rng(0).permutation(len(X))
n_test = len(X) // 4
X_test, y_test, X_train, y_train = X[order[:n_test]], y[order[:n_test]], X[order[n_test:]], y[order[n_test:]]
n_classes = int(y.max()) + 1

# %% [markdown]
# ## The network and the optimizer
#
# `Dense -> BatchNorm -> ReLU -> Dropout`, twice. The schedule is the
# optimizer's learning rate: AdamW (Adam with decoupled weight decay) asks
# it for each epoch's rate. For a real hold-out protocol the validation set
# would be separate from the test set; here the test set plays both roles
# to keep the lesson short.

# %%
EPOCHS = 6 if SMALL else 60


def build():
    return Sequential([
        Dense(X.shape[1], 64, seed=0), BatchNorm(64), ReLU(), Dropout(0.2, seed=10),
        Dense(64, 64, seed=1), BatchNorm(64), ReLU(), Dropout(0.2, seed=11),
        Dense(64, n_classes, seed=2),
    ])


def optimizer():
    return AdamW(schedules.WarmupCosine(3e-3, warmup_epochs=3, epochs=EPOCHS), weight_decay=1e-2)


# %% [markdown]
# ## Early stopping and a checkpoint
#
# `EarlyStopping` ends training when the validation loss has not improved
# for `patience` epochs and puts back the best epoch's weights (and
# BatchNorm's running statistics). `ModelCheckpoint` writes the model and
# the optimizer's state (moments, step counts, schedule position) after
# every epoch.

# %%
checkpoints = tempfile.TemporaryDirectory(prefix="nnlite-lesson-09-")
path = os.path.join(checkpoints.name, "last.npz")
model, opt = build(), optimizer()
stop = EarlyStopping(monitor="val_loss", patience=2 if SMALL else 8, restore_best_weights=True)
history = model.fit(X_train, y_train, optimizer=opt, epochs=EPOCHS, batch_size=32, seed=0,
                    validation_data=(X_test, y_test), callbacks=[stop, ModelCheckpoint(path)])
print(f"ran {history.epochs} of {EPOCHS} epochs; best validation loss {stop.best:.4f} at epoch {stop.best_epoch}")
print(f"test accuracy with the best epoch's weights: {model.evaluate(X_test, y_test)['accuracy']:.2%}")

# %% [markdown]
# ## Resuming exactly
#
# Training 3 epochs, saving with the optimizer, loading and training 3 more
# gives the very same weights as 6 epochs in one go: the optimizer's state
# is restored, the schedule continues from its position, Dropout's random
# generator continues from its state, and each epoch's shuffle depends only
# on the seed and the epoch number.

# %%
straight = build()
straight.fit(X_train, y_train, optimizer=optimizer(), epochs=6, seed=0)
first, first_opt = build(), optimizer()
first.fit(X_train, y_train, optimizer=first_opt, epochs=3, seed=0)
first.save(path, optimizer=first_opt)
resumed_opt = optimizer()
resumed = Sequential.load(path, optimizer=resumed_opt)
resumed.fit(X_train, y_train, optimizer=resumed_opt, epochs=3, seed=0)
identical = all(np.array_equal(p, resumed.params[k]) for k, p in straight.params.items())
print(f"3 + 3 epochs through a checkpoint == 6 epochs: {identical}")
checkpoints.cleanup()

# %% [markdown]
# ## The curves
#
# Loss and accuracy per epoch, the learning rate the schedule gave each
# epoch (History.learning_rate) and the epoch whose weights were kept.

# %%
epochs_axis = np.arange(1, history.epochs + 1)
fig = Figure(figsize=(12, 3.6), layout="constrained")
ax_loss, ax_acc, ax_lr = fig.subplots(1, 3)
for ax, name in ((ax_loss, "loss"), (ax_acc, "accuracy")):
    ax.plot(epochs_axis, getattr(history, name), label="train")
    ax.plot(epochs_axis, getattr(history, f"val_{name}"), "--", label="validation")
    ax.axvline(stop.best_epoch, color="grey", linewidth=0.8, label="kept epoch")
    ax.set(xlabel="epoch", ylabel=name, title=name)
    ax.legend(fontsize="small", loc="center right")
ax_lr.plot(epochs_axis, history.learning_rate, label="WarmupCosine")
ax_lr.set(xlabel="epoch", ylabel="learning rate", title="schedule")
ax_lr.legend(fontsize="small", loc="upper right")
fig.savefig(os.path.join(OUT, "09_training.png"), dpi=100)
print(f"figures written to {OUT}")
