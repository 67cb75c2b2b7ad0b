"""``mtdialog benchmark paper``: the JDDC 2.1 paper's experiments, every row trained and scored the same way.

:mod:`~mtdialog.benchmark.rows` registers the rows (the unified model and its ablations) and the
budgets, :mod:`~mtdialog.benchmark.runner` trains and scores each seed resumably,
:mod:`~mtdialog.benchmark.results` turns the seeds into tables, effects and plots.
"""
