"""The JDDC 2.1 paper's own systems (Tables 5-9), each a registered model trained on one task.

``mtdialog system train|run|evaluate`` trains one from a recipe under ``recipes/paper/`` and scores it
with its task's scorer; the paper benchmark (``mtdialog benchmark paper``) runs them beside the unified
model. See ``docs/paper.md`` for each system's architecture and where it departs from the original.
"""

from mtdialog.systems.registry import get_system, register_system, systems

__all__ = ["get_system", "register_system", "systems"]
