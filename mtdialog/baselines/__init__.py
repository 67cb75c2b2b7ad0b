"""Non-neural baselines of the JDDC 2.1 tasks: the floors every neural model must clear.

Each task names its baselines (``Task.baselines``: method name -> ``fit(task, train_sessions)``);
a fitted baseline predicts one value per task example of another split, in the order of
``Task.examples``, so that predictions line up with references. :mod:`mtdialog.baselines.registry`
names them ``TASK-METHOD`` and :mod:`mtdialog.baselines.run` fits, runs and scores them.
"""
