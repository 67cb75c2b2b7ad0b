"""Train, save, load and evaluate a paper system: the one loop every system shares.

A trained system is a directory: ``recipe.yaml`` (the resolved recipe), ``model.safetensors``,
``tokenizer/`` (its character vocabulary), ``extra.json`` (what is not a tensor), ``log.jsonl`` (the
loss every ``log_every`` steps, as the unified model's runs log it) and ``train_summary.json``.
Evaluation scores its predictions with the task's own scorer, the one ``mtdialog evaluate`` uses.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from mtdialog.data.native import Corpus
from mtdialog.errors import ConfigError, DataError
from mtdialog.evaluation import MODEL_ROW
from mtdialog.fileio import atomic_write
from mtdialog.systems.base import ImageFeatures, Inputs, PaperSystem
from mtdialog.systems.recipe import SystemRecipe, load_system_recipe, recipe_from_dict, save_system_recipe
from mtdialog.systems.registry import get_system
from mtdialog.tasks import get_task

RECIPE, WEIGHTS, TOKENIZER, EXTRA, LOG, SUMMARY = ("recipe.yaml", "model.safetensors", "tokenizer", "extra.json",
                                                    "log.jsonl", "train_summary.json")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build_system(recipe: SystemRecipe, tokenizer, corpus: Corpus, *, progress: bool = True) -> PaperSystem:
    """The system of ``recipe`` over ``tokenizer`` (and ``corpus``'s image features when multimodal)."""
    cls = get_system(recipe.system)
    features = ImageFeatures.for_corpus(corpus, recipe.vision, progress=progress) if recipe.multimodal else None
    settings = cls.Settings(**recipe.model)
    return cls(settings, Inputs(tokenizer, features), get_task(recipe.task), recipe)


def _schedule(group: dict[str, Any], recipe: SystemRecipe) -> Callable[[int], float]:
    warmup, steps = group["warmup"], max(1, recipe.training.steps)
    if recipe.training.schedule == "inverse_sqrt":  # the Transformer's (and BertSumAbs's) schedule
        return lambda step: min((step + 1) / max(1, warmup), math.sqrt(max(1, warmup) / (step + 1)))
    return lambda step: min((step + 1) / max(1, warmup), max(0.0, (steps - step) / max(1, steps - warmup)))


def train(recipe: SystemRecipe, out: Path, *, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train ``recipe`` on its corpus's train split and save the system under ``out``; returns the summary."""
    from mtdialog.models.tokenization import build_char_tokenizer, corpus_texts

    if recipe.corpus is None:
        raise ConfigError("no corpus: give --corpus or set corpus in the recipe", field="corpus")
    start = time.perf_counter()
    corpus = Corpus(recipe.corpus)
    task = get_task(recipe.task)
    sessions = list(corpus.sessions("train"))
    try:
        examples = task.training_examples(sessions)
    except DataError as e:
        raise e.located(path=str(corpus.split_path("train"))) from None
    seed_everything(recipe.training.seed)
    tokenizer = build_char_tokenizer(corpus_texts(sessions))
    system = build_system(recipe, tokenizer, corpus)
    log(f"{recipe.system} on {task.name} ({'multimodal' if recipe.multimodal else 'text-only'}): "
        f"{len(examples):,} train examples, {sum(p.numel() for p in system.parameters()):,} parameters")
    system.prepare(examples, corpus)
    groups = system.param_groups()
    optimizer = torch.optim.AdamW([{k: v for k, v in g.items() if k != "warmup"} for g in groups],
                                  weight_decay=recipe.training.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, [_schedule(g, recipe) for g in groups])
    rng = random.Random(recipe.training.seed)
    order: list[int] = []
    out.mkdir(parents=True, exist_ok=True)
    system.train()
    losses = []
    with open(out / LOG, "w", encoding="utf-8") as log_file:
        for step in tqdm(range(recipe.training.steps), desc=f"train {recipe.system}", unit="step", mininterval=5):
            if len(order) < recipe.training.batch_size:  # epochs of shuffled examples
                more = list(range(len(examples)))
                rng.shuffle(more)
                order += more
            batch = [examples[i] for i in order[:recipe.training.batch_size]]
            del order[:recipe.training.batch_size]
            loss = system.loss(batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(system.parameters(), recipe.training.max_grad_norm)
            optimizer.step()
            scheduler.step()
            losses.append(float(loss.detach()))
            if (step + 1) % recipe.training.log_every == 0 or step + 1 == recipe.training.steps:
                mean = sum(losses) / len(losses)
                log_file.write(json.dumps({"step": step + 1, "loss": {task.name: round(mean, 5)},
                                           "lr": scheduler.get_last_lr()[0]}) + "\n")
                log_file.flush()
                losses = []
    system.eval()
    save(system, tokenizer, out)
    summary = {"system": recipe.system, "task": task.name, "multimodal": recipe.multimodal,
               "steps": recipe.training.steps, "train_examples": len(examples),
               "parameters": sum(p.numel() for p in system.parameters()),
               "train_s": round(time.perf_counter() - start, 1)}
    with atomic_write(out / SUMMARY) as f:
        f.write(json.dumps(summary, indent=1) + "\n")
    return summary


def save(system: PaperSystem, tokenizer, out: Path) -> None:
    """Write the system's recipe, weights, tokenizer and extra state under ``out``."""
    from safetensors.torch import save_model

    out.mkdir(parents=True, exist_ok=True)
    save_system_recipe(system.recipe, out / RECIPE)
    save_model(system, str(out / WEIGHTS))
    tokenizer.save_pretrained(out / TOKENIZER)
    with atomic_write(out / EXTRA) as f:
        f.write(json.dumps(system.extra_state(), ensure_ascii=False) + "\n")


def load(path: str | Path, corpus: Corpus) -> PaperSystem:
    """The system saved under ``path``, reading images (when multimodal) from ``corpus``."""
    import yaml
    from safetensors.torch import load_model
    from transformers import PreTrainedTokenizerFast

    path = Path(path)
    if not (path / RECIPE).is_file() or not (path / WEIGHTS).is_file():
        raise ConfigError(f"not a trained system (no {RECIPE} or {WEIGHTS})", path=str(path))
    recipe = recipe_from_dict(yaml.safe_load((path / RECIPE).read_text(encoding="utf-8")), source=str(path / RECIPE))
    tokenizer = PreTrainedTokenizerFast.from_pretrained(path / TOKENIZER)
    system = build_system(recipe, tokenizer, corpus)
    system.load_extra_state(json.loads((path / EXTRA).read_text(encoding="utf-8")))
    load_model(system, str(path / WEIGHTS))
    return system.eval()


@torch.no_grad()
def evaluate(path: str | Path, corpus: str | Path, *, split: str = "test", num_beams: int = 4,
             batch_size: int = 32, max_sessions: int | None = None, predictions: Path | None = None
             ) -> dict[str, Any]:
    """Score the system saved under ``path`` on ``split`` of ``corpus`` (its first ``max_sessions``) with
    its task's scorer; with ``predictions``, write ``TASK.pred.txt`` and ``TASK.ref.txt`` there."""
    corpus = Corpus(corpus)
    system = load(path, corpus)
    task = system.task
    sessions = list(corpus.sessions(split))[:max_sessions]
    examples = list(task.all_examples(sessions))
    if not examples:
        raise DataError(f"no {task.name} examples", path=str(corpus.split_path(split)), field=task.annotation)
    start = time.perf_counter()
    predicted: list[Any] = []
    for i in tqdm(range(0, len(examples), batch_size), desc=f"predict {system.name}", unit="batch", mininterval=5):
        predicted += system.predict(examples[i:i + batch_size], num_beams=num_beams)
    seconds = time.perf_counter() - start
    if predictions is not None:
        task.write_file(predicted, examples, predictions / task.file_name("pred"))
        task.write_references(examples, predictions / task.file_name("ref"))
    return {"checkpoint": str(path), "system": system.name, "paper": system.paper, "task": task.name,
            "multimodal": system.multimodal, "corpus": str(corpus.root), "split": split, "sessions": len(sessions),
            "examples": {task.name: len(examples)}, "settings": {"num_beams": num_beams},
            "scores": {MODEL_ROW: {task.name: task.scores(predicted, examples)}},
            "conventions": {task.name: task.stated_conventions()}, "seconds": round(seconds, 2)}


def recipe_for(config: Path, overrides: list[str], *, budget: str | None, corpus: Path | None,
               out: Path | None) -> SystemRecipe:
    """The recipe of the command line: the file at the budget, then ``--corpus``/``--out``, then overrides."""
    extra = [f"corpus={corpus}"] * (corpus is not None) + [f"output_dir={out}"] * (out is not None)
    return load_system_recipe(config, [*extra, *overrides], budget=budget)


__all__ = ["build_system", "evaluate", "load", "recipe_for", "save", "train"]
