"""What differs between the ``transformers`` releases mtdialog supports (``pyproject.toml``), in one place.

Everything here is read from public names, so a new release that renames one fails here first.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from torch import nn
from transformers.modeling_outputs import Seq2SeqLMOutput

#: The decoder cache's name in model outputs and in the keywords ``generate`` passes to ``forward``:
#: ``cache`` since transformers 5.24, ``past_key_values`` before.
CACHE_NAME = "cache" if "cache" in {f.name for f in dataclasses.fields(Seq2SeqLMOutput)} else "past_key_values"


def enable_activation_checkpointing(model: nn.Module, kwargs: dict[str, Any]) -> None:
    """``model.activation_checkpointing_enable`` (transformers 5.23+; the older name is deprecated
    there), else ``model.gradient_checkpointing_enable``."""
    if hasattr(model, "activation_checkpointing_enable"):
        model.activation_checkpointing_enable(kwargs)
    else:
        model.gradient_checkpointing_enable(kwargs)


__all__ = ["CACHE_NAME", "enable_activation_checkpointing"]
