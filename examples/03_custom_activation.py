# %% [markdown]
# # 3. Your own activation: subclass, check, plot, bench
#
# Squareplus (Barron, 2021) is a softplus look-alike without exp or log:
#
#     f(x)  = (x + sqrt(x^2 + c))/2
#     f'(x) = (1 + x / sqrt(x^2 + c))/2
#
# Defining `function` and `derivative` on an `Activation` subclass is all it
# takes: the class registers itself under its snake_case name
# ("square_plus"), so `nnlite.activations.get`, `gradcheck`, the gallery,
# `nnlite.bench` and `nnlite.explain` work on it at once.
#
#     python examples/03_custom_activation.py [OUT_DIR]
#
# Figures go to OUT_DIR (or $NNLITE_OUT; by default a new temporary folder,
# never the working directory). NNLITE_SMALL=1 benchmarks a smaller array.

# %%
import os
import sys
import tempfile

import numpy as np

import nnlite

SMALL = os.environ.get("NNLITE_SMALL") == "1"
arg = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None
OUT = arg or os.environ.get("NNLITE_OUT") or tempfile.mkdtemp(prefix="nnlite-course-")
os.makedirs(OUT, exist_ok=True)

# %% [markdown]
# ## The subclass
#
# `np.hypot(x, sqrt(c))` is sqrt(x^2 + c) without squaring x, so x = 1e200
# does not overflow. `get_config` lets `get(name, **config)` and
# `Sequential.save/load` rebuild it.

# %%
class SquarePlus(nnlite.Activation):
    """f(x) = (x + sqrt(x^2 + c)) / 2,  f'(x) = (1 + x / sqrt(x^2 + c)) / 2."""

    def __init__(self, c: float = 4.0):
        self.c = float(c)

    def function(self, x):
        return 0.5 * (x + np.hypot(x, np.sqrt(self.c)))

    def derivative(self, x, y):
        return 0.5 * (1 + x / np.hypot(x, np.sqrt(self.c)))

    def get_config(self):
        return {"c": self.c}


act = nnlite.activations.get("square_plus", c=1.0)
print(act, "registered:", "square_plus" in nnlite.activations.names())

# %% [markdown]
# ## Check it
#
# The gradient check must pass before the activation is used anywhere.

# %%
x = np.random.default_rng(0).uniform(-5, 5, size=(20, 10))
result = nnlite.gradcheck(act, x, raise_exception=True)
print(result)
print("no overflow far out:", act.function(np.array([-1e200, 1e200])))

# %% [markdown]
# ## Plot it next to its relatives

# %%
fig = nnlite.plotting.activation_gallery([act, "softplus", "relu", "gelu"], ncols=4)
fig.savefig(os.path.join(OUT, "03_gallery.png"), dpi=100)

# %% [markdown]
# ## Time it
#
# `bench` compares forward and forward+backward with the memory-bandwidth
# floor (one read and one write of the array). "No exp, so it must be fast"
# is a guess; the numbers decide. Here the overflow-safe `np.hypot` is the
# expensive part: `np.sqrt(x * x + c)` is much quicker but overflows for
# |x| > 1e154. Measure before you trade safety for speed.

# %%
size, repeats = (20_000, 3) if SMALL else (1_000_000, 7)
for name in (act, "softplus", "relu"):
    print(nnlite.bench(name, size=size, repeats=repeats))

# %% [markdown]
# ## Use it: one neuron, explained

# %%
explained = nnlite.explain((nnlite.Dense(1, 1, seed=0), act), [-2.0, 0.5, 3.0], [0.0, 1.0, 2.0])
print(explained)
explained.figure().savefig(os.path.join(OUT, "03_explain.png"), dpi=100)
print(f"figures written to {OUT}")
