"""nnlite: neural layers from scratch in numpy, every gradient checked.

Quick start::

    import numpy as np
    import nnlite

    act = nnlite.activations.get("tanh")        # or nnlite.Tanh(); nnlite.activations.names() lists all
    y = act.forward(np.linspace(-3, 3, 7))      # f(x); keeps the inputs for backward
    dx = act.backward(np.ones_like(y))          # dL/dx for L = sum(y)
    print(nnlite.gradcheck(act, np.random.default_rng(0).normal(size=(4, 5))))

    X, y = nnlite.datasets.spiral(100, 3, seed=0)
    model = nnlite.Sequential([nnlite.Dense(2, 64, seed=0), nnlite.ReLU(), nnlite.Dense(64, 3, seed=1)])
    history = model.fit(X, y, loss="softmax_cross_entropy", optimizer=nnlite.Adam(learning_rate=0.02),
                        epochs=300, seed=0)
    fig = nnlite.plotting.training_curves(history)   # a matplotlib Figure: fig.savefig("curves.png")

The names re-exported here are the public API. From a shell,
`nnlite minimal-model --out results/` runs the one-neuron information
experiment, `nnlite info-plane` the information plane of whole networks
(Saxe et al. 2018, Figure 1), and `nnlite` alone lists every subcommand.
Your own classes are checked with `nnlite.testing` (check_activation,
check_layer, check_loss, parametrize_with_checks). `nnlite.plotting`
(and so matplotlib) is imported on first use, not by `import nnlite`.
"""

import importlib

from . import activations, callbacks, datasets, experiments, information, layers, losses, optimizers, schedules
from .activations import (
    CELU,
    ELU,
    GELU,
    SELU,
    Activation,
    Gaussian,
    HardSigmoid,
    HardSwish,
    HardTanh,
    LeakyReLU,
    Linear,
    LogSoftmax,
    Maxout,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    Softmax,
    Softplus,
    Softsign,
    Step,
    Swish,
    Tanh,
)
from .bench import bench
from .callbacks import EarlyStopping, LambdaCallback, ModelCheckpoint
from .explain import explain
from .gradcheck import GradCheckError, GradCheckResult, gradcheck
from .layers import BatchNorm, Dense, Dropout, Layer, LayerNorm
from .losses import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    MeanAbsoluteError,
    MeanSquaredError,
    SoftmaxCrossEntropy,
)
from .network import History, Sequential
from .neuron import NeuronHistory, OneNeuron
from .optimizers import SGD, AdaGrad, Adam, AdamW, RMSProp

__version__ = "0.1.0"

__all__ = [
    "information", "experiments", "OneNeuron", "NeuronHistory",
    "activations", "plotting", "bench", "explain", "Activation", "gradcheck", "GradCheckResult", "GradCheckError",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "SELU", "CELU", "PReLU", "ReLU6",
    "Softplus", "Softsign", "HardSigmoid", "HardTanh", "HardSwish", "Swish", "GELU",
    "Mish", "Gaussian", "Step", "Linear", "Softmax", "LogSoftmax", "Maxout",
    "datasets", "layers", "losses", "optimizers", "Layer", "Dense", "Sequential", "History",
    "MeanSquaredError", "MeanAbsoluteError", "BinaryCrossEntropy", "CategoricalCrossEntropy",
    "SoftmaxCrossEntropy", "SGD", "Adam",
    "Dropout", "BatchNorm", "LayerNorm", "AdamW", "RMSProp", "AdaGrad",
    "schedules", "callbacks", "EarlyStopping", "ModelCheckpoint", "LambdaCallback",
]


def __getattr__(name: str):
    # matplotlib takes about a third of a second to import: load the plotting module on first use only
    if name == "plotting":
        return importlib.import_module(".plotting", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
