"""Issue 14: every public method of the catalogue has a docstring, and every class
docstring gives f and f' (or the forward/backward rule) and a reference paper."""

from __future__ import annotations

import inspect
import re

import pytest

from nnlite import activations

CLASSES = [getattr(activations, n) for n in activations.__all__
           if isinstance(getattr(activations, n), type) and issubclass(getattr(activations, n), activations.Activation)]
METHODS = ("function", "derivative", "second_derivative", "forward", "backward")
# functions with no single paper: the closed form is the reference
NO_PAPER = {"Linear", "Step", "Gaussian", "Softmax", "LogSoftmax", "Activation"}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_public_method_has_a_docstring(cls):
    for name in METHODS:
        method = cls.__dict__.get(name)
        if method is not None:
            assert inspect.getdoc(method), f"{cls.__name__}.{name} has no docstring"


@pytest.mark.parametrize("cls", [c for c in CLASSES if c is not activations.Activation], ids=lambda c: c.__name__)
def test_class_docstrings_give_the_formulas_and_a_reference(cls):
    doc = inspect.getdoc(cls)
    has_pair = ("f(x)" in doc and "f'(x)" in doc) or ("backward" in doc and "f(x)" in doc)
    assert has_pair, f"{cls.__name__}: f and f' (or the backward rule) missing"
    if cls.__name__ not in NO_PAPER:
        assert re.search(r"\b(19|20)\d\d\b", doc), f"{cls.__name__}: no reference (author, year)"
