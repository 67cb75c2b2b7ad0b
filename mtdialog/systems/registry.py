"""The paper's systems by name: a system is a registered :class:`~mtdialog.systems.base.PaperSystem` class."""

from __future__ import annotations

import importlib

from mtdialog.errors import ConfigError

#: Modules that register the built-in systems, in the paper's table order.
MODULES = ("retrieval", "gpt", "classifier", "deep_sequential", "pointer_generator", "bertsumabs")

_SYSTEMS: dict[str, type] = {}
_loaded = False


def register_system(cls: type) -> type:
    """Class decorator: register a paper system under ``cls.name``."""
    known = _SYSTEMS.get(cls.name)
    if known is not None and known.__qualname__ != cls.__qualname__:
        raise ConfigError(f"system {cls.name!r} is already registered by {known.__module__}.{known.__qualname__}")
    _SYSTEMS[cls.name] = cls
    return cls


def systems() -> dict[str, type]:
    """Every registered system by name, in table order."""
    global _loaded
    if not _loaded:
        _loaded = True
        for module in MODULES:
            importlib.import_module(f"mtdialog.systems.{module}")
    return dict(_SYSTEMS)


def get_system(name: str) -> type:
    """The system class called ``name``; an unknown name is a :class:`ConfigError` listing the known ones."""
    known = systems()
    if name not in known:
        raise ConfigError(f"unknown system {name!r} (known: {', '.join(known)})", field="system")
    return known[name]


__all__ = ["MODULES", "get_system", "register_system", "systems"]
