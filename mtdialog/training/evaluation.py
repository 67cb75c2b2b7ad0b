"""Validation during training, and test evaluation: the pipeline's predictions scored with the
project's metrics.

:func:`predict_and_score` runs ``DialoguePipeline.predict_examples`` on each task's examples and
scores them as ``mtdialog score`` and the baselines do (:func:`mtdialog.baselines.run.score`), so
numbers logged during training and printed by ``mtdialog evaluate`` compare directly with the
baseline tables. :func:`make_evaluate_fn` fixes the validation examples once and returns the
function the trainer calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from tqdm.auto import tqdm

from mtdialog.data.native import KBEntry
from mtdialog.data.schema import Session
from mtdialog.data.tasks import task_examples


def examples_by_task(sessions: Sequence[Session], tasks: Sequence[str]) -> dict[str, list]:
    """``{task: examples}`` of ``sessions`` in ``tasks`` order; tasks without examples are left out."""
    return {task: ex for task in tasks if (ex := list(task_examples(task, sessions)))}


def predict_and_score(pipe, examples: Mapping[str, Sequence], *, progress: bool = False
                      ) -> tuple[dict[str, list], dict[str, dict[str, float]]]:
    """``(predictions, scores)`` per task of ``examples`` (``{task: examples}``).

    With ``progress``, a bar per task follows the examples; they are predicted in chunks of whole
    ``pipe.batch_size`` batches, so the batches (and predictions) are the same as without it."""
    from mtdialog.baselines.run import score

    predictions, scores = {}, {}
    chunk = pipe.batch_size * 8
    for task, ex in examples.items():
        out: list = []
        with tqdm(total=len(ex), desc=task, unit="ex", disable=not progress, leave=False) as bar:
            for start in range(0, len(ex), chunk):
                out += pipe.predict_examples(task, ex[start:start + chunk])
                bar.update(min(chunk, len(ex) - start))
        predictions[task], scores[task] = out, score(task, out, ex)
    return predictions, scores


def make_evaluate_fn(tokenizer, sessions: Sequence[Session], tasks: Sequence[str], *,
                     kb: Mapping[str, KBEntry], image_loader: Callable | None, num_beams: int = 1,
                     batch_size: int = 16) -> Callable[[torch.nn.Module], dict[str, dict[str, float]]]:
    """``evaluate(model) -> {task: {metric: value}}`` over the examples of ``tasks`` in ``sessions``
    (tasks without examples there are left out)."""
    from mtdialog.pipeline import DialoguePipeline

    examples = examples_by_task(sessions, tasks)

    def evaluate(model: torch.nn.Module) -> dict[str, dict[str, float]]:
        pipe = DialoguePipeline(model, tokenizer, kb=dict(kb), image_loader=image_loader,
                                num_beams=num_beams, batch_size=batch_size)
        return predict_and_score(pipe, examples)[1]

    return evaluate
