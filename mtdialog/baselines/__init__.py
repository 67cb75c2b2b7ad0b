"""Non-neural baselines of the JDDC 2.1 tasks: the floors every neural model must clear.

Each baseline is fitted on the train split (``SPEC.fit(train_sessions)``) and predicts one value per
task example of another split, in the order of :func:`mtdialog.data.tasks.task_examples`, so that
predictions line up with references. :func:`run_all_baselines` runs them all and scores them;
:func:`format_table` prints a task's scores in the JDDC 2.1 paper's layout.
"""

from mtdialog.baselines.registry import BASELINES, BaselineSpec, resolve
from mtdialog.baselines.run import BaselineRun, run_all_baselines, run_baseline, run_baselines, score
from mtdialog.metrics.tables import TABLES, format_table

__all__ = [
           "BASELINES",
           "TABLES",
           "BaselineRun",
           "BaselineSpec",
           "format_table",
           "resolve",
           "run_all_baselines",
           "run_baseline",
           "run_baselines",
           "score",
]
