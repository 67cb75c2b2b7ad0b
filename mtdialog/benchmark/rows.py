"""The rows of the paper benchmark: each a recipe with overrides, the tasks it is scored on, its seeds.

A row is one system of the JDDC 2.1 paper's Tables 5-9 or one ablation of the unified model. A
unified row trains with ``mtdialog train`` and is scored with ``mtdialog evaluate``; a paper system's row
trains with ``mtdialog system train`` from its recipe under ``recipes/paper/`` and is scored with
``mtdialog system evaluate``, which calls the same task scorer, so every score sits beside the others and
the paper's by construction. A budget sets every row's size: ``smoke`` (seconds, for tests), ``cpu``
(the reported tables, on 2 cores) and ``paper`` (the original sizes, for GPU users; checked as recipes,
not run here); unified rows take the overrides of :data:`BUDGETS`, a system's recipe carries its own.
Rows are registered in :data:`ROWS`; adding a system is adding a row.
"""

from __future__ import annotations

from dataclasses import dataclass

from mtdialog.errors import ConfigError
from mtdialog.tasks import BUILTIN_TASKS

UNIFIED = "recipes/tiny.yaml"  # the unified model: every task, one encoder, one decoder
UNIFIED_PAPER = "recipes/jddc21_base.yaml"  # the same at full size (a Chinese RoBERTa, ResNet-18)


@dataclass(frozen=True)
class Row:
    """One line of the benchmark's tables."""

    name: str  # identifier and directory name
    title: str  # as the tables print it
    group: str  # the table or ablation it belongs to
    recipe: str  # recipe path, relative to the package's source tree or absolute
    overrides: tuple[str, ...] = ()
    paper_recipe: str | None = None  # the recipe at the paper budget (default: ``recipe``)
    tasks: tuple[str, ...] = BUILTIN_TASKS  # scored tasks
    seeds: int = 3  # seeds at the cpu budget (the smoke budget runs one)
    step_factor: int = 1  # trains this many times the budget's steps
    system: bool = False  # a paper system's recipe (``mtdialog system``), not the unified model's
    rewrites_from: str | None = None  # trains on the corpus rewritten by this row's model (its first seed)


#: Every row, by name, in table order.
ROWS: dict[str, Row] = {}


def register_row(row: Row) -> Row:
    if row.name in ROWS:
        raise ValueError(f"row {row.name!r} is registered twice")
    ROWS[row.name] = row
    return row


def select(names: list[str] | None) -> list[Row]:
    """The rows named (all when ``names`` is empty), in table order; an unknown name is a ConfigError."""
    if not names:
        return list(ROWS.values())
    unknown = [n for n in names if n not in ROWS]
    if unknown:
        raise ConfigError(f"unknown row(s) {', '.join(unknown)} (rows: {', '.join(ROWS)})", field="--rows")
    return [row for name, row in ROWS.items() if name in names]


#: Overrides every row gets at each budget. ``smoke`` shrinks the unified model to test size; ``cpu``
#: trains the main job's model for half its steps, no validation, scored once at the end.
BUDGETS: dict[str, tuple[str, ...]] = {
    "smoke": ("training.steps=4", "training.eval_every=0", "training.save_every=4", "training.log_every=2",
              "training.batch_size=4", "model.text_encoder.hidden_size=32", "model.text_encoder.num_hidden_layers=1",
              "model.text_encoder.num_attention_heads=2", "model.text_encoder.intermediate_size=64",
              "model.vision.model=resnet10t", "model.vision.weights_file=null", "model.vision.image_size=32",
              "model.decoder.layers=1", "model.decoder.attention_heads=2", "model.decoder.ffn_dim=64",
              "data.synth=null"),
    "cpu": ("training.steps=1000", "training.eval_every=0", "training.save_every=1000", "data.synth=null"),
    "paper": ("data.synth=null",),
}

# ----------------------------------------------------------------------- the paper's own systems
PAPER = "recipes/paper"


def _system(name: str, title: str, recipe: str, task: str, *overrides: str) -> Row:
    return register_row(Row(name, title, "the paper's systems", f"{PAPER}/{recipe}", overrides, tasks=(task,),
                            seeds=1, system=True))


for _name, _title, _recipe, _task in (
        ("retrieval", "retrieval: BERT + faiss top-40, TransResNet re-ranking", "retrieval-response.yaml", "response"),
        ("gpt-response", "GPT", "gpt-response.yaml", "response"),
        ("gpt-rewrite", "GPT", "gpt-rewrite.yaml", "rewrite"),
        ("deep-sequential", "Deep Sequential", "deep-sequential-discourse.yaml", "discourse"),
        ("pointer-generator", "Pointer-Generator + coverage", "pointer-generator-summary.yaml", "summary"),
        ("bertsumabs", "BertSumAbs", "bertsumabs-summary.yaml", "summary")):
    _system(f"paper-{_name}", f"paper: {_title}, text-only", _recipe, _task, "multimodal=false")
    _system(f"paper-{_name}-mm", f"paper: {_title}, multimodal", _recipe, _task)
_system("paper-bert-classifier", "paper: BERT classifier, text-only", "bert-classifier-rewritable.yaml", "rewritable")
_system("paper-transresnet-classifier", "paper: TransResNet classifier, multimodal",
        "transresnet-classifier-rewritable.yaml", "rewritable")

# --------------------------------------------------------------------- the unified model's ablations
def _unified(name: str, title: str, group: str, *overrides: str, tasks: tuple[str, ...] = BUILTIN_TASKS,
             step_factor: int = 1, rewrites_from: str | None = None) -> Row:
    return register_row(Row(name, title, group, UNIFIED, overrides, UNIFIED_PAPER, tasks, step_factor=step_factor,
                            rewrites_from=rewrites_from))


_unified("unified", "unified: joint, multimodal, KB, every session", "unified")
for _task in BUILTIN_TASKS:
    _unified(f"single-{_task}", f"unified, {_task} alone", "single-task vs joint", f"tasks=[{_task}]", tasks=(_task,))
# the six single-task models together train six times the steps of one joint model: the same compute
_unified("unified-6x-steps", "unified, 6x the steps (the compute of the six single-task models)",
         "single-task vs joint", step_factor=len(BUILTIN_TASKS))
_unified("text-only", "unified, text only (each image a bare [IMG] token)", "text-only vs multimodal",
         "model.text_only=true")
_unified("no-kb", "unified, without the knowledge base", "with vs without the KB", "model.max_kb_tokens=0")
_unified("annotated-only", "unified, annotated sessions only", "annotated vs every session", "data.sessions=annotated")
for _strategy in ("proportional", "temperature", "uniform"):
    _unified(f"sampling-{_strategy}", f"unified, {_strategy} task sampling", "task sampling",
             f"sampling.strategy={_strategy}")
# the paper's future work: the response model reads the unified model's own rewrite of each query, made
# once by the unified model's first seed (compare with single-response: the same model, steps and task,
# on the corpus as it is)
_unified("response-own-rewrite", "unified, response alone, each query followed by the unified model's own rewrite",
         "cross-task", "tasks=[response]", tasks=("response",), rewrites_from="unified")
