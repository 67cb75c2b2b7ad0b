"""Tasks as first-class objects: one registered :class:`Task` per task (see ``docs/tasks.md``).

The built-in tasks, in the JDDC 2.1 paper's order: ``response`` (Table 5), ``rewritable`` (Table 6),
``rewrite`` (Table 7), ``discourse`` (Table 8), ``summary`` (Table 9) and ``image_category``. The
registry is the one list of tasks: the command line's choices, the recipe's ``tasks:`` keys, the
model's heads and decoder prompts, the metric tables and the baselines all come from it.
"""

import importlib

from mtdialog.tasks.base import (
    ENTRY_POINT_GROUP,
    GenerationTask,
    SessionExample,
    SpanLabelTask,
    Task,
    TurnExample,
    canonical_name,
    get_task,
    get_tasks,
    import_tasks,
    one_line,
    register_task,
    task_names,
)

# The built-in tasks register themselves when their modules are imported, in the paper's order.
for _module in ("response", "rewritable", "rewrite", "discourse", "summary", "image_category"):
    importlib.import_module(f"mtdialog.tasks.{_module}")

#: The built-in tasks, in the paper's order (the default of a model's ``tasks``).
BUILTIN_TASKS = task_names(plugins=False)

__all__ = ["BUILTIN_TASKS", "ENTRY_POINT_GROUP", "GenerationTask", "SessionExample", "SpanLabelTask", "Task",
           "TurnExample", "canonical_name", "get_task", "get_tasks", "import_tasks", "one_line", "register_task",
           "task_names"]
