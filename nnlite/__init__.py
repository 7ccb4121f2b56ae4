"""nnlite: neural layers from scratch in numpy, every gradient checked.

See DESIGN.md (shared) for the public contract; the names re-exported here
are the public API.
"""

from . import (
    activations,
    callbacks,
    datasets,
    experiments,
    information,
    layers,
    losses,
    optimizers,
    plotting,
    schedules,
)
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
from .callbacks import EarlyStopping, ModelCheckpoint
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
    "schedules", "callbacks", "EarlyStopping", "ModelCheckpoint",
]
