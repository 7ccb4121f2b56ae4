"""A network's layers as JSON records and back: what `Sequential.save/load` store.

A record names the class by its qualified name, "module.QualName"
(`nnlite.layers.Dense`, `my_project.layers.Scale`), with the constructor
keywords from `get_config()`. On load, nnlite's own classes always come
back as themselves (a user's `class Dense(nnlite.Dense)` has another
qualified name); a user's class is found in the registry of classes defined
so far, else by importing its module. Version-1 files (bare class names)
still load: a bare name means nnlite's own class of that name.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any

from . import activations as _activations
from . import layers as _layers
from . import losses as _losses
from ._config import ConfigError, check_json, is_builtin, qualified_name

FORMAT, VERSION, READABLE_VERSIONS = "nnlite.Sequential", 2, (1, 2)


@dataclass
class LayerSpec:
    """What a saved layer record resolves to, before the layer is built."""

    index: int
    cls: type
    config: dict[str, Any]

    def expected_shapes(self) -> dict[str, tuple[int, ...]] | None:
        """The params/state shapes the class predicts from the config, without building
        (only from nnlite's own classes or a class that defines param_shapes itself)."""
        hook = getattr(self.cls, "param_shapes", None)
        if hook is None or not (is_builtin(self.cls) or "param_shapes" in self.cls.__dict__):
            return None
        return hook(self.config)

    def build(self, path: str) -> Any:
        try:
            return self.cls(**self.config)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{path!r}: cannot rebuild layer {self.index} as {qualified_name(self.cls)}"
                f"(**{self.config}): {exc}"
            ) from exc


def encode(layers: list[Any], loss: _losses.Loss | None) -> dict[str, Any]:
    """The architecture record of `layers` and `loss`; raises ConfigError for a layer whose
    constructor arguments cannot be recovered or stored as JSON."""
    entries = []
    for i, layer in enumerate(layers):
        cls = type(layer)
        try:
            config = layer.get_config()
            check_json(cls, config)
            _check_callable(cls, config)
        except ConfigError as exc:
            raise ConfigError(f"Sequential.save: layer {i}: {exc}") from None
        kind = "activation" if isinstance(layer, _activations.Activation) else "layer"
        entries.append({"kind": kind, "class": qualified_name(cls), "config": config})
    record = None
    if loss is not None:
        config = loss.get_config()
        try:
            check_json(type(loss), config)
            _check_callable(type(loss), config)
        except ConfigError as exc:
            raise ConfigError(f"Sequential.save: the loss: {exc}") from None
        record = {"name": loss.name, "config": config}
    return {"format": FORMAT, "version": VERSION, "layers": entries, "loss": record}


def _check_callable(cls: type, config: dict[str, Any]) -> None:
    """Raise ConfigError unless cls(**config), the call load makes, fits the constructor's signature
    (a positional-only parameter or a key the constructor does not take would make the file unloadable)."""
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return  # no signature to check against: load will tell
    try:
        signature.bind(**config)
    except TypeError as exc:
        raise ConfigError(
            f"cannot save {cls.__qualname__}: load rebuilds it as {cls.__qualname__}(**{config}), "
            f"which its constructor refuses ({exc}); make get_config() return the constructor's keywords"
        ) from None


def check(path: str, arch: Any) -> dict[str, Any]:
    """`arch` if it has the structure `encode` writes; a ValueError naming the flaw otherwise."""
    def fail(what: str) -> None:
        raise ValueError(f"{path!r} is not a readable nnlite model file: {what}")

    if not isinstance(arch, dict) or arch.get("format") != FORMAT:
        fail("its architecture record is not an nnlite.Sequential one")
    if arch.get("version") not in READABLE_VERSIONS:
        fail(f"it has format version {arch.get('version')!r}; this nnlite reads {READABLE_VERSIONS}")
    layers = arch.get("layers")
    if not isinstance(layers, list) or not layers:
        fail("its architecture has no list of layers")
    name_key = "class" if arch["version"] >= 2 else None
    for i, entry in enumerate(layers):
        if not isinstance(entry, dict) or entry.get("kind") not in ("activation", "layer"):
            fail(f"layer {i} is not a record of kind 'activation' or 'layer': {entry!r}")
        key = name_key or ("name" if entry["kind"] == "activation" else "class")
        if not isinstance(entry.get(key), str) or not isinstance(entry.get("config"), dict):
            fail(f"layer {i} needs a string {key!r} and a dict 'config': {entry!r}")
    loss = arch.get("loss")
    if loss is not None and not (
        isinstance(loss, dict) and isinstance(loss.get("name"), str) and isinstance(loss.get("config"), dict)
    ):
        fail(f"its loss record needs a string 'name' and a dict 'config': {loss!r}")
    return arch


def resolve(path: str, arch: dict[str, Any]) -> list[LayerSpec]:
    """The class and config of each layer of a checked architecture (nothing is built)."""
    specs = []
    for i, entry in enumerate(arch["layers"]):
        activation = entry["kind"] == "activation"
        if arch["version"] >= 2:
            cls = _find_class(path, i, entry["class"], activation)
        elif activation:
            cls = _version_1_activation(path, i, entry["name"])
        else:
            cls = _version_1_layer(path, i, entry["class"])
        specs.append(LayerSpec(i, cls, entry["config"]))
    return specs


def rebuild_loss(path: str, record: dict[str, Any] | None) -> _losses.Loss | None:
    if record is None:
        return None
    try:
        return _losses.get(record["name"], **record["config"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path!r}: cannot rebuild the loss from {record}: {exc}") from None


def _find_class(path: str, index: int, name: str, activation: bool) -> type:
    base = _activations.Activation if activation else _layers.Layer
    registry = _activations._CLASSES if activation else _layers._REGISTRY
    cls = registry.get(name)
    if cls is None and not name.startswith("nnlite."):
        cls = _import(name)
        cls = registry.get(name, cls)
    if isinstance(cls, type) and issubclass(cls, base) and qualified_name(cls) == name:
        return cls
    kind = "activation" if activation else "layer"
    raise ValueError(
        f"{path!r}: layer {index} is the {kind} class {name!r}, which is neither defined nor importable "
        f"here; import or define it (the same module and class name) before loading"
    )


def _import(name: str) -> Any:
    """The object `name` ("pkg.module.Outer.Inner") by importing its longest importable module."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
        return obj
    return None


def _version_1_activation(path: str, index: int, name: str) -> type:
    key = _activations._normalise(name)
    cls = _activations._REGISTRY.get(_activations._ALIASES.get(key, key))
    if cls is None:
        raise ValueError(f"{path!r}: cannot rebuild layer {index}: the activation {name!r} is not registered here")
    return cls


def _version_1_layer(path: str, index: int, name: str) -> type:
    try:
        return _layers.find(name)
    except ValueError as exc:
        raise ValueError(f"{path!r}: layer {index}: {exc}") from None
