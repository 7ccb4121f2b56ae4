"""Constructor capture and qualified class names, shared by `Activation` and `Layer`.

A user's class that stores each constructor argument as an attribute of the
same name (scikit-learn's convention) gets `get_config()` for free: the
arguments are read back from those attributes. When they cannot be read back
(an attribute missing, a value JSON cannot hold, *args or **kwargs) the
error names the class and the argument, so `Sequential.save` refuses the
model instead of writing a file that loads into a different one.
"""

from __future__ import annotations

import inspect
import json
import math
from typing import Any

import numpy as np


class ConfigError(TypeError):
    """The constructor arguments of an object cannot be recovered (or stored as JSON)."""


def qualified_name(cls: type) -> str:
    """The key a class is saved and registered under: "module.QualName"."""
    return f"{cls.__module__}.{cls.__qualname__}"


def is_builtin(cls: type) -> bool:
    """True for the classes nnlite itself defines (they always load as themselves)."""
    return cls.__module__ == "nnlite" or cls.__module__.startswith("nnlite.")


def _json_value(value: Any) -> Any:
    """`value` as a JSON-friendly Python value (numpy scalars and dtypes become plain ones)."""
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    if isinstance(value, np.generic) and value.ndim == 0 and value.dtype.kind in "biuf":
        return value.item()
    return value


def check_json(owner: type, config: Any) -> None:
    """Raise `ConfigError` naming the argument of `owner` whose value JSON cannot store exactly."""
    if not isinstance(config, dict):
        raise ConfigError(f"{owner.__qualname__}.get_config() must return a dict, got {type(config).__name__}")
    for key, value in config.items():
        if not isinstance(key, str):
            raise ConfigError(f"{owner.__qualname__}.get_config() has a key {key!r} that is not a string")
        try:
            text = json.dumps(value, allow_nan=True)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"cannot save {owner.__qualname__}: constructor argument {key!r} = {value!r} "
                f"({type(value).__name__}) cannot be stored as JSON ({exc}); store a number, "
                f"string, bool, None, or a list/dict of them, or define get_config()"
            ) from None
        if not _same(json.loads(text), value):
            raise ConfigError(
                f"cannot save {owner.__qualname__}: constructor argument {key!r} = {value!r} "
                f"does not come back from JSON as the same value; define get_config()"
            )


def _same(a: Any, b: Any) -> bool:
    """a == b, where a came back from JSON: tuples come back as lists and NaN as NaN."""
    if isinstance(b, (list, tuple)):
        return isinstance(a, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in b)
    if isinstance(b, float) and math.isnan(b):
        return isinstance(a, float) and math.isnan(a)
    return type(a) is type(b) and a == b


def captured_config(obj: Any) -> dict[str, Any]:
    """{argument: getattr(obj, argument)} for every parameter of type(obj).__init__.

    Raises `ConfigError` naming the class and the argument when an attribute
    is missing or the signature takes *args / **kwargs (their values cannot
    be recovered). A class without its own constructor has the empty config.
    """
    cls = type(obj)
    if cls.__init__ is object.__init__:
        return {}
    config = {}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self":
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ConfigError(
                f"cannot capture the constructor arguments of {cls.__qualname__}: its __init__ takes "
                f"{'*' if param.kind is param.VAR_POSITIONAL else '**'}{name}, whose values are not "
                f"stored anywhere; name each argument, or define get_config()"
            )
        if param.kind is param.POSITIONAL_ONLY:
            # load rebuilds with cls(**config), which Python refuses for a positional-only parameter
            raise ConfigError(
                f"cannot capture the constructor arguments of {cls.__qualname__}: argument {name!r} is "
                f"positional-only (before '/' in __init__), and load passes arguments by keyword; "
                f"make it an ordinary parameter"
            )
        if not hasattr(obj, name):
            raise ConfigError(
                f"cannot capture the constructor arguments of {cls.__qualname__}: argument {name!r} is "
                f"not stored as self.{name}; store each constructor argument as an attribute of the "
                f"same name (self.{name} = {name}), or define get_config()"
            )
        config[name] = _json_value(getattr(obj, name))
    return config


def init_parameters(cls: type) -> tuple[str, ...] | None:
    """The names of cls.__init__'s parameters (None for object.__init__)."""
    if cls.__init__ is object.__init__:
        return None
    return tuple(name for name in inspect.signature(cls.__init__).parameters if name != "self")


def uses_capture(cls: type, base: type) -> bool:
    """Whether `cls` gets its config by constructor capture (`base.get_config`).

    A class keeps a get_config written by hand (its own, or inherited from a
    class with the same constructor parameters). A subclass that changes the
    constructor of a class with a hand-written get_config gets capture
    instead: the inherited one would save the parent's arguments and lose
    the subclass's own.
    """
    capture = base.__dict__["get_config"]
    owner = next((k for k in cls.__mro__ if k.__dict__.get("get_config", capture) is not capture), None)
    if owner is None:
        return True
    if owner is cls:
        return False
    return init_parameters(cls) != init_parameters(owner)
