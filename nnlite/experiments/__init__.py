"""The experiments as functions: the minimal model (`run_minimal_model`), the activation comparison
(`compare_activations`) and the information plane of whole networks (`information_plane`);
`nnlite minimal-model`, `nnlite compare` and `nnlite info-plane` run them from a shell."""

from .compare import DEFAULT_ACTIVATIONS, ActivationRun, ComparisonResults, build_mlp, compare_activations
from .information_plane import (
    ESTIMATORS,
    InformationPlaneResults,
    InformationPlaneRun,
    build_information_plane_network,
    information_plane,
    log_epochs,
)
from .minimal_model import MINIMAL_MODEL_ACTIVATIONS, MinimalModelResults, run_minimal_model, write_minimal_model

__all__ = ["compare_activations", "ComparisonResults", "ActivationRun", "build_mlp", "DEFAULT_ACTIVATIONS",
           "run_minimal_model", "write_minimal_model", "MinimalModelResults", "MINIMAL_MODEL_ACTIVATIONS",
           "information_plane", "InformationPlaneResults", "InformationPlaneRun", "log_epochs",
           "build_information_plane_network", "ESTIMATORS"]
