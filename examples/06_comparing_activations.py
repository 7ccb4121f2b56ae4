# %% [markdown]
# # 6. Comparing activations
#
# Same network, same initial weights, same batches: only the activation
# differs. `nnlite.experiments.compare_activations` trains one MLP per
# activation and seed and records, besides loss and accuracy, the gradient
# norm of every layer, the share of saturated units (|f'(z)| < 1e-3) and of
# dead ones. The explain tables of lessons 1-5 say why this matters: every
# dL/dw carries a factor f'(z), and a saturated or dead unit multiplies its
# gradient by ~0.
#
#     python examples/06_comparing_activations.py [OUT_DIR]
#
# Figures go to OUT_DIR (or $NNLITE_OUT; by default a new temporary folder,
# never the working directory). NNLITE_SMALL=1 trains a tiny study (a small
# spiral, 3 epochs, one seed). Digits need scikit-learn; without it the
# full run uses the spiral too. The full study is `nnlite compare`.

# %%
import os
import sys
import tempfile

import numpy as np

import nnlite
from nnlite.experiments import compare_activations

SMALL = os.environ.get("NNLITE_SMALL") == "1"
arg = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None
OUT = arg or os.environ.get("NNLITE_OUT") or tempfile.mkdtemp(prefix="nnlite-course-")
os.makedirs(OUT, exist_ok=True)

# %% [markdown]
# ## The study
#
# Three hidden layers of 32 units make the difference visible: sigmoid's
# f'(z) <= 0.25 shrinks the gradient at every layer on its way back.

# %%
if SMALL:
    dataset, settings = nnlite.datasets.spiral(60, 3, seed=0), {"epochs": 3, "seeds": (0,)}
else:
    try:
        nnlite.datasets.load_digits()
        dataset = "digits"
    except ImportError:
        dataset = "spiral"
    settings = {"epochs": 15, "seeds": (0, 1, 2)}
results = compare_activations(dataset, ["relu", "tanh", "sigmoid", "gelu"], hidden=(32, 32, 32),
                              batch_size=32, learning_rate=3e-3, verbose=True, **settings)
print(results.table())

# %% [markdown]
# ## Gradient norms by layer
#
# Mean over seeds of ||dL/dW|| for each Dense layer after the first epoch,
# input side first. With sigmoid the first layer gets a far smaller
# gradient than the last.

# %%
layers = list(results.runs[0].grad_norm)
print("\ngradient norm of each Dense layer after epoch 1 (mean over seeds), input side first:")
print(f"{'activation':>10}  " + "  ".join(f"{layer:>9}" for layer in layers) + "  last/first")
for name in results.activations:
    norms = [results.curve(name, "grad_norm", layer)[0] for layer in layers]
    print(f"{name:>10}  " + "  ".join(f"{v:9.2e}" for v in norms) + f"  {norms[-1] / norms[0]:10.1f}")

# %% [markdown]
# ## Figures: learning curves, gradient norms per layer, saturated and dead units

# %%
nnlite.plotting.comparison_curves(results).savefig(os.path.join(OUT, "06_curves.png"), dpi=80)
nnlite.plotting.gradient_norm_by_layer(results).savefig(os.path.join(OUT, "06_gradient_by_layer.png"), dpi=80)
nnlite.plotting.comparison_unit_fractions(results).savefig(os.path.join(OUT, "06_units.png"), dpi=80)
mean_saturation = {name: float(np.mean(results.curve(name, "saturation", "hidden1"))) for name in results.activations}
print("\nshare of saturated first-layer units (|f'(z)| < 1e-3), mean over epochs and seeds:")
for name, share in mean_saturation.items():
    print(f"{name:>10}  {share:.3f}")
print(f"figures written to {OUT}")
