# %% [markdown]
# # 2. Gradient checking, and what a wrong derivative looks like
#
# Every backward in nnlite is written by hand, so every backward is checked
# against central finite differences:
#
#     numeric dL/dx_i = (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)
#
# with L = sum(dvalues * f(x)) for random weights dvalues. An entry passes when
# |analytic - numeric| <= atol + rtol |numeric|.
#
#     python examples/02_gradient_checking.py [OUT_DIR]
#
# Figures go to OUT_DIR (or $NNLITE_OUT; by default a new temporary folder,
# never the working directory).

# %%
import os
import sys
import tempfile

import numpy as np
from matplotlib.figure import Figure

import nnlite
from nnlite import Dense, Sequential, Tanh

arg = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None
OUT = arg or os.environ.get("NNLITE_OUT") or tempfile.mkdtemp(prefix="nnlite-course-")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Checking an activation, a layer and a whole network

# %%
x = rng.uniform(-3, 3, size=(4, 5))
print("Tanh:   ", nnlite.gradcheck(Tanh(), x))
print("Dense:  ", nnlite.gradcheck(Dense(5, 3, seed=0), x))
model = Sequential([Dense(5, 8, seed=0), Tanh(), Dense(8, 3, seed=1)])
print("network:", nnlite.gradcheck(model.with_loss("softmax_cross_entropy"), x, targets=[0, 2, 1, 1]))

# %% [markdown]
# ## A check that fails loudly
#
# `check_activation` is the check to run on any activation you write:
# `raise_exception=True` turns a failed comparison into a `GradCheckError`
# that names the worst entry, so a wrong derivative stops your script
# instead of quietly training a worse model.

# %%
def check_activation(activation: nnlite.Activation, seed: int = 0) -> nnlite.GradCheckResult:
    """gradcheck `activation` on 200 points in [-4, 4]; raises GradCheckError if any entry fails."""
    points = np.random.default_rng(seed).uniform(-4, 4, size=(20, 10))
    return nnlite.gradcheck(activation, points, raise_exception=True)


print(check_activation(Tanh()))

# %% [markdown]
# Now a classic slip: tanh'(x) = 1 - tanh(x)^2, written as 1 - tanh(x).
# (`register=False` keeps this broken class out of the activation registry.)

# %%
class ForgotTheSquare(Tanh, register=False):
    def derivative(self, x, y):
        return 1 - y  # wrong: should be 1 - y**2


try:
    check_activation(ForgotTheSquare())
except nnlite.GradCheckError as error:
    print("GradCheckError, as it should be:\n" + str(error))
else:
    raise AssertionError("the wrong derivative passed the gradient check")

# %% [markdown]
# ## What the wrong derivative looks like
#
# The analytic curve (what backward claims) leaves the numeric one (what the
# function actually does) everywhere except at x = 0 and far to the right,
# where the two happen to agree. That is why gradcheck uses many random
# points: a check at x = 0 alone would pass. Training with this derivative
# would follow the wrong slope: for x << 0 it claims 2 where the truth is ~0.

# %%
grid = np.linspace(-4, 4, 401)
broken, eps = ForgotTheSquare(), 1e-6
numeric = (broken.function(grid + eps) - broken.function(grid - eps)) / (2 * eps)
fig = Figure(figsize=(5.5, 3.6), layout="constrained")
ax = fig.subplots()
ax.plot(grid, numeric, label="finite differences (the truth)")
ax.plot(grid, broken.derivative(grid, broken.function(grid)), "--", label="derivative(x, y) = 1 - y  (wrong)")
ax.set_xlabel("x")
ax.set_ylabel("f'(x)")
ax.set_title("a wrong derivative, caught by gradcheck")
ax.legend(fontsize="small")
fig.savefig(os.path.join(OUT, "02_wrong_derivative.png"), dpi=100)
print(f"figures written to {OUT}")
