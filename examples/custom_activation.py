# %% [markdown]
# # A new activation in a few lines: Snake
#
# Snake (Liu, Ziyin and Ueda, 2020) adds a periodic wiggle to the identity,
# for data with periodic structure:
#
#     f(x)   = x + sin(a x)^2 / a
#     f'(x)  = 1 + sin(2 a x)
#     f''(x) = 2 a cos(2 a x)
#
# An `Activation` subclass with `function` and `derivative` is a complete
# activation: it registers itself as "snake" (its snake_case class name), so
# `nnlite.activations.get("snake")`, `nnlite.gradcheck`, the gallery and
# `nnlite.bench` take it as it is. Defining `second_derivative` too gets that
# checked as well.
#
#     python examples/custom_activation.py [OUT_DIR]
#
# The figure goes to OUT_DIR (or $NNLITE_OUT; by default a new temporary
# folder, never the working directory).

# %%
import os
import sys
import tempfile

import numpy as np

import nnlite

arg = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None
OUT = arg or os.environ.get("NNLITE_OUT") or tempfile.mkdtemp(prefix="nnlite-custom-activation-")
os.makedirs(OUT, exist_ok=True)

# %% [markdown]
# ## The subclass

# %%
class Snake(nnlite.Activation):
    """f(x) = x + sin(a x)^2 / a,  f'(x) = 1 + sin(2 a x),  f''(x) = 2 a cos(2 a x)."""

    def __init__(self, a: float = 1.0):
        self.a = float(a)

    def function(self, x):
        return x + np.sin(self.a * x) ** 2 / self.a

    def derivative(self, x, y):
        return 1 + np.sin(2 * self.a * x)

    def second_derivative(self, x, y):
        return 2 * self.a * np.cos(2 * self.a * x)

    def get_config(self):
        return {"a": self.a}


snake = nnlite.activations.get("snake", a=2.0)
print(snake, "registered:", "snake" in nnlite.activations.names())

# %% [markdown]
# ## Gradient check: backward and the second derivative against central differences

# %%
x = np.random.default_rng(0).uniform(-4, 4, size=(16, 8))
result = nnlite.gradcheck(snake, x, raise_exception=True)
print(result)

# %% [markdown]
# ## Plot it next to its relatives (f solid, f' dashed)

# %%
fig = nnlite.plotting.activation_gallery([snake, "swish", "relu"], ncols=3)
path = os.path.join(OUT, "custom_activation.png")
fig.savefig(path, dpi=100)
print(f"wrote {path}")
