"""Loading by model-hub name without the hub: one clear line when a name is neither local nor cached."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from mtdialog.errors import ConfigError

T = TypeVar("T")


def offline_note() -> str:
    """``", and HF_HUB_OFFLINE is set (the hub is off)"`` when it is, else nothing."""
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    return ", and HF_HUB_OFFLINE is set (the hub is off)" if offline else ""


def from_hub(load: Callable[..., T], name: str, *args: Any, field: str, **kwargs: Any) -> T:
    """``load(name, ...)`` (a ``from_pretrained``), with a missing local directory or cache entry turned
    into one :class:`ConfigError` line naming what was looked for and where."""
    try:
        return load(name, *args, **kwargs)
    except OSError as e:
        where = "a local directory" if os.path.isabs(name) or name.startswith(".") else \
            "a local directory, nor in the local model cache"
        if os.path.isdir(name):
            raise ConfigError(f"{name!r} cannot be loaded: {str(e).splitlines()[0][:200]}", field=field) from None
        raise ConfigError(f"{name!r} is neither {where}{offline_note()}", field=field) from None


__all__ = ["from_hub", "offline_note"]
