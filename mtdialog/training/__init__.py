"""Joint multitask training: recipes, task sampling, optimisation groups, the loop, checkpoints.

``recipe`` (the YAML schema), ``sampling`` (which task, which examples), ``optim`` (parameter groups
and schedules), ``loop`` (the ``accelerate`` training loop), ``checkpoint`` (resumable state and
``save_pretrained`` directories), ``lora``, ``runlog`` (JSONL + TensorBoard), ``score`` (the
combined validation score), ``evaluation`` (validation with the pipeline and the metrics).
``mtdialog.train`` is the command that puts them together; docs/training.md describes its use.
"""
