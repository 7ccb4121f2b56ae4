# %% [markdown]
# # 1. Forward and backward through one activation, by hand
#
# One neuron, one sample: z = w*x + b, a = tanh(z), L = (a - y)^2.
# We compute every number of the forward pass and every factor of the chain
# rule with plain numpy, then let nnlite do the same and check both against
# finite differences.
#
#     python examples/01_forward_backward.py [OUT_DIR]
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

# A notebook kernel passes "-f kernel.json": only a plain first argument is a folder.
arg = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None
OUT = arg or os.environ.get("NNLITE_OUT") or tempfile.mkdtemp(prefix="nnlite-course-")
os.makedirs(OUT, exist_ok=True)

# %% [markdown]
# ## Forward pass
#
# Every step keeps what the backward pass will need: x for dz/dw, a for
# tanh'(z) = 1 - a^2.

# %%
x, y = 0.3, 1.0
w, b = 2.0, 0.5
z = w * x + b
a = np.tanh(z)
L = (a - y) ** 2
print(f"z = w*x + b = {z:.6g}    a = tanh(z) = {a:.6g}    L = (a - y)^2 = {L:.6g}")

# %% [markdown]
# ## Backward pass: the chain rule, one local factor at a time
#
# dL/dw = dL/da * da/dz * dz/dw. Each factor is a derivative of one small
# step, taken where the forward pass went.

# %%
dL_da = 2 * (a - y)          # derivative of (a - y)^2 with respect to a
da_dz = 1 - a ** 2           # tanh'(z), from the stored output a
dz_dw = x                    # z = w*x + b is linear in w
dL_dw = dL_da * da_dz * dz_dw
dL_db = dL_da * da_dz * 1.0  # dz/db = 1
print(f"dL/da = {dL_da:.6g}  da/dz = {da_dz:.6g}  dz/dw = {dz_dw:.6g}  ->  dL/dw = {dL_dw:.6g}, dL/db = {dL_db:.6g}")

# %% [markdown]
# ## The same with nnlite's `Tanh`
#
# `forward` stores its input and output; `backward(dvalues)` multiplies the
# incoming gradient dL/da by the local derivative f'(z): that is dL/dz.

# %%
tanh = nnlite.Tanh()
assert np.isclose(tanh.forward(np.array([z]))[0], a)
dL_dz = tanh.backward(np.array([dL_da]))[0]
assert np.isclose(dL_dz * x, dL_dw)
print(f"Tanh.backward gives dL/dz = {dL_dz:.6g}; times x = {dL_dz * x:.6g} = dL/dw")

# %% [markdown]
# ## Check with finite differences
#
# Nudge w by a tiny eps both ways and watch L: (L(w + eps) - L(w - eps)) / (2 eps)
# agrees with the chain rule to about 1e-10.

# %%
def loss_at(w_value: float) -> float:
    return float((np.tanh(w_value * x + b) - y) ** 2)


eps = 1e-6
numeric = (loss_at(w + eps) - loss_at(w - eps)) / (2 * eps)
print(f"finite difference {numeric:.10g} vs chain rule {dL_dw:.10g}")
assert abs(numeric - dL_dw) < 1e-8

# %% [markdown]
# ## `nnlite.explain` does all of the above
#
# It prints the forward values and every factor next to its finite
# difference (also `nnlite explain --weight 2 --bias 0.5 --x 0.3 --target 1`).

# %%
result = nnlite.explain(nnlite.OneNeuron("tanh", weight=w, bias=b), x, y)
print(result)
assert np.isclose(result.steps[0]["dL/dw"].values[0], dL_dw)

# %% [markdown]
# ## Pictures: the slope of L(w) is dL/dw; f'(z) is where the neuron sits
#
# Left: L as a function of w with the tangent of slope dL/dw. Right (from
# `result.figure()`): tanh and tanh', with z marked. Far out on either side
# tanh' is ~0: a saturated neuron passes almost no gradient back.

# %%
ws = np.linspace(-3, 5, 400)
fig = Figure(figsize=(5, 3.6), layout="constrained")
ax = fig.subplots()
ax.plot(ws, [loss_at(v) for v in ws], label="L(w)")
ax.plot(ws, L + dL_dw * (ws - w), "--", label=f"tangent, slope dL/dw = {dL_dw:.3f}")
ax.plot([w], [L], "ko")
ax.set_xlabel("weight w")
ax.set_ylabel("loss L = (tanh(w x + b) - y)^2")
ax.set_ylim(-0.2, 4.2)
ax.legend(fontsize="small")
fig.savefig(os.path.join(OUT, "01_loss_tangent.png"), dpi=100)
result.figure().savefig(os.path.join(OUT, "01_explain.png"), dpi=100)
print(f"figures written to {OUT}")
