"""The seed experiments as functions (see DESIGN.md)."""

from .compare import DEFAULT_ACTIVATIONS, ActivationRun, ComparisonResults, build_mlp, compare_activations

__all__ = ["compare_activations", "ComparisonResults", "ActivationRun", "build_mlp", "DEFAULT_ACTIVATIONS"]
