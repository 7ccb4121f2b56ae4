# %% [markdown]
# # Spiral: a non-linear boundary from two ReLU layers
#
# Three interleaved spiral arms of 100 points each cannot be split by lines;
# a 2-64-64-3 ReLU network learns them to >= 95% training accuracy.
#
#     python examples/spiral.py [OUT_DIR]
#
# Figures go to OUT_DIR (or $NNLITE_OUT; by default a new temporary folder,
# never the working directory). NNLITE_SMALL=1 trains for 100 epochs instead of 600.

# %%
import os
import sys
import tempfile

import numpy as np
from matplotlib.figure import Figure

import nnlite
from nnlite import Adam, Dense, ReLU, Sequential

SMALL = os.environ.get("NNLITE_SMALL") == "1"
# A notebook kernel passes "-f kernel.json": only a plain first argument is a folder.
arg = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None
OUT = arg or os.environ.get("NNLITE_OUT") or tempfile.mkdtemp(prefix="nnlite-spiral-")
os.makedirs(OUT, exist_ok=True)

# %% [markdown]
# ## Data and training (full batch: 300 points per step)

# %%
X, y = nnlite.datasets.spiral(100, 3, seed=0)
model = Sequential([Dense(2, 64, seed=0), ReLU(), Dense(64, 64, seed=1), ReLU(), Dense(64, 3, seed=2)])
history = model.fit(X, y, optimizer=Adam(learning_rate=0.02), epochs=100 if SMALL else 600,
                    batch_size=300, seed=0)
print(f"training accuracy {model.evaluate(X, y)['accuracy']:.2%} after {history.epochs} epochs")

# %% [markdown]
# ## Decision regions: the class the network predicts at every point of the plane

# %%
grid = np.linspace(-1.1, 1.1, 300)
xx, yy = np.meshgrid(grid, grid)
regions = model.predict(np.column_stack([xx.ravel(), yy.ravel()])).argmax(axis=1).reshape(xx.shape)
fig = Figure(figsize=(6.2, 5), layout="constrained")
ax = fig.subplots()
colors = np.array(["tab:blue", "tab:orange", "tab:green"])
ax.contourf(xx, yy, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=colors, alpha=0.25)
for k, color in enumerate(colors):
    ax.scatter(*X[y == k].T, color=color, s=12, edgecolors="k", linewidths=0.3, label=f"class {k}")
ax.set_xlabel("x1")
ax.set_ylabel("x2")
ax.set_title("spiral: points and predicted class regions (shaded)", fontsize="medium")
ax.set_aspect("equal")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize="small")
fig.savefig(os.path.join(OUT, "spiral_regions.png"), dpi=120)
nnlite.plotting.training_curves(history).savefig(os.path.join(OUT, "spiral_training.png"), dpi=120)
print(f"figures written to {OUT}")
