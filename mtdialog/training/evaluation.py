"""Validation during training: the pipeline's predictions scored with the project's metrics.

:func:`make_evaluate_fn` fixes the validation examples once; the function it returns runs
``DialoguePipeline.predict_examples`` on the model being trained and scores each task as
``mtdialog score`` and the baselines do (:func:`mtdialog.baselines.run.score`), so numbers logged
during training compare directly with the baseline tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch

from mtdialog.data.native import KBEntry
from mtdialog.data.schema import Session
from mtdialog.data.tasks import task_examples


def make_evaluate_fn(tokenizer, sessions: Sequence[Session], tasks: Sequence[str], *,
                     kb: Mapping[str, KBEntry], image_loader: Callable | None, num_beams: int = 1,
                     batch_size: int = 16) -> Callable[[torch.nn.Module], dict[str, dict[str, float]]]:
    """``evaluate(model) -> {task: {metric: value}}`` over the examples of ``tasks`` in ``sessions``
    (tasks without examples there are left out)."""
    from mtdialog.baselines.run import score
    from mtdialog.pipeline import DialoguePipeline

    examples = {task: ex for task in tasks if (ex := list(task_examples(task, sessions)))}

    def evaluate(model: torch.nn.Module) -> dict[str, dict[str, float]]:
        pipe = DialoguePipeline(model, tokenizer, kb=dict(kb), image_loader=image_loader,
                                num_beams=num_beams, batch_size=batch_size)
        return {task: score(task, pipe.predict_examples(task, ex), ex) for task, ex in examples.items()}

    return evaluate
