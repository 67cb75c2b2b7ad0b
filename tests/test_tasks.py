"""Tasks: which turns are examples of which task, each task's files and table, and the registry as
the one list of tasks (command line, recipes, tables, tokenizer, model, baselines)."""

import argparse
import ast
import json
from pathlib import Path

import pytest

import mtdialog
from mtdialog.baselines.registry import baselines
from mtdialog.cli import build_parser
from mtdialog.data.schema import DataError, Session
from mtdialog.errors import ConfigError
from mtdialog.models.configuration import MTDialogConfig
from mtdialog.models.tokenization import LAYOUT_TOKENS, dialogue_tokens
from mtdialog.tasks import BUILTIN_TASKS, GenerationTask, get_task, get_tasks, register_task, task_names
from mtdialog.training.recipe import Recipe


def session():
    return Session.from_dict({
        "session_id": "s", "shop": "fx", "product_id": None,
        "turns": [
            {"speaker": "A", "text": "您好", "images": []},
            {"speaker": "Q", "text": "这个有色差", "images": ["i1"]},
            {"speaker": "A", "text": "亲，请问是哪个颜色", "images": []},
            {"speaker": "Q", "text": "那个", "images": []},
            {"speaker": "A", "text": "", "images": ["i2"]},
            {"speaker": "A", "text": "好的", "images": []},
        ],
        "annotations": {
            "rewrites": [{"turn": 3, "rewritable": False, "text": ""},
                         {"turn": 1, "rewritable": True, "text": "这件红色外套有色差"}],
            "discourse": {"relations": [{"x": 1, "y": 3, "type": "a"}, {"x": 0, "y": 1, "type": "b"}]},
            "summary": "用户反馈色差。",
            "image_categories": {"i1": "photo_damaged_appearance"},
        },
    })


def test_response_examples_skip_greeting_before_any_query_and_image_only_turns():
    ex = list(get_task("response").all_examples([session()]))
    assert [(e.turn, e.target) for e in ex] == [(2, "亲，请问是哪个颜色"), (5, "好的")]
    assert len(ex[0].context) == 2


def test_rewrite_examples_in_turn_order_and_rewritable_filter():
    assert [e.turn for e in get_task("rewritable").all_examples([session()])] == [1, 3]
    rw = list(get_task("rewrite").all_examples([session()]))
    assert [(e.turn, e.target) for e in rw] == [(1, "这件红色外套有色差")]
    assert rw[0].context[-1].text == "这个有色差"


def test_discourse_summary_and_image_examples():
    (d,) = get_task("discourse").all_examples([session()])
    assert [(r.x, r.y) for r in d.relations] == [(0, 1), (1, 3)]
    assert len(d.edus) == 7  # 5 texts + 2 images
    (s,) = get_task("summary").all_examples([session()])
    assert s.target == "用户反馈色差。"
    (im,) = get_task("image_category").all_examples([session()])
    assert (im.turn, im.image, im.target) == (1, "i1", "photo_damaged_appearance")


# ------------------------------------------------------------------------------ the task's own files
def test_prediction_lines_one_per_example_and_gold_references(tmp_path):
    rewrite, rewritable, discourse = get_task("rewrite"), get_task("rewritable"), get_task("discourse")
    examples = list(rewrite.all_examples([session()]))
    assert rewrite.file_lines(["多\n行\u2028"], examples) == ["多 行 \n"]
    assert rewritable.file_lines([True, False], [None, None]) == ["1\n", "0\n"]
    with pytest.raises(ValueError, match="2 rewrite values for 1 examples"):
        rewrite.write_file(["a", "b"], examples, tmp_path / "x.txt")
    path = discourse.write_references(list(discourse.all_examples([session()])), tmp_path / "ref.jsonl")
    (line,) = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert record["annotations"] == {"discourse": {"relations": [{"x": 0, "y": 1, "type": "b"},
                                                                 {"x": 1, "y": 3, "type": "a"}]}}
    assert Session.from_dict(record).turns == session().turns
    assert (discourse.file_name("pred"), rewrite.file_name("ref")) == ("discourse.pred.jsonl", "rewrite.ref.txt")


def test_table_layout_and_training_examples():
    text = get_task("summary").table({"lead": {"rouge1": 31.234, "rouge2": 12.0, "rougeL": 25.5},
                                      "model": {"rouge1": 50.0}}, note="test, 3 examples")
    lines = text.splitlines()
    assert lines[0] == "Table 9: summarization (test, 3 examples)"
    assert lines[1].split() == ["model", "RG-1", "RG-2", "RG-L", "RG-Lsum"]
    assert lines[2].split() == ["lead", "31.23", "12.00", "25.50", "-"]
    assert lines[3].split() == ["model", "50.00", "-", "-", "-"]
    bare = Session.from_dict({"session_id": "b", "shop": "fx", "product_id": None,
                              "turns": [{"speaker": "Q", "text": "在吗", "images": []}]})
    with pytest.raises(DataError, match="annotations.summary: no summary examples to fit on"):
        get_task("summary").training_examples([bare])


# ------------------------------------------------------------------------------------- the registry
def test_the_registry_is_the_one_list_of_tasks(tmp_path, capsys):
    """Every place that lists tasks gets them from the registry, in its order and spelling."""
    names = task_names()
    assert names[:6] == BUILTIN_TASKS == ("response", "rewritable", "rewrite", "discourse", "summary",
                                          "image_category")
    # command-line choices
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(next(a for a in sub.choices["score"]._actions if a.dest == "task").choices) == list(names)
    for command in ("predict", "evaluate"):
        assert list(next(a for a in sub.choices[command]._actions if a.dest == "tasks").choices) == list(names)
    assert get_task("image-category") is get_task("image_category")
    # the recipe's tasks section
    assert list(Recipe().tasks) == list(BUILTIN_TASKS)
    # tables and headlines: every task's headline is one of its columns
    for task in get_tasks():
        assert task.headline in {key for _, key in task.columns}, task.name
        assert task.table({"x": {}}).splitlines()[0] == task.title
    # generation tasks: the decoder prompts, the tokenizer's tokens and the model config's prompts
    generation = [t for t in get_tasks() if isinstance(t, GenerationTask)]
    assert [t.name for t in generation] == ["response", "rewrite", "summary"]
    assert dialogue_tokens()[len(LAYOUT_TOKENS):] == ("[RESP]", "[REWRITE]", "[SUMM]")
    assert MTDialogConfig().task_prompts == {"response": "[RESP]", "rewrite": "[REWRITE]", "summary": "[SUMM]"}
    # baselines are named by their task
    assert {spec.task.name for spec in baselines().values()} == set(BUILTIN_TASKS)


class Concrete(GenerationTask):
    """A generation task with every method defined (it never finds examples)."""

    def examples(self, session):
        return iter(())

    def session_examples(self, session, record):
        return []


def test_registering_a_task_checks_its_name_and_declarations():
    with pytest.raises(ConfigError, match="already registered by mtdialog.tasks.summary.SummaryTask"):
        @register_task
        class Another(Concrete):
            name, annotation, title, prompt = "summary", "meta.x", "x", "[X]"
    with pytest.raises(ConfigError, match="lowercase letters"):
        @register_task
        class Bad(Concrete):
            name, annotation, title, prompt = "Bad Name", "meta.x", "x", "[X]"
    with pytest.raises(ConfigError, match="must set annotation"):
        @register_task
        class Incomplete(Concrete):
            name, title, prompt = "incomplete", "x", "[X]"
    with pytest.raises(ConfigError, match="Unfinished cannot be registered: .*abstract method"):
        @register_task
        class Unfinished(GenerationTask):
            name, annotation, title, prompt = "unfinished", "meta.x", "x", "[X]"
    with pytest.raises(ConfigError, match="unknown task 'nope'.*--import"):
        get_task("nope")
    assert not {"bad_name", "incomplete", "unfinished"} & set(task_names())


def test_corpus_io_imports_nothing_above_it():
    """``mtdialog.data`` is corpus I/O: no module under it imports the model, the tasks or training."""
    root = Path(mtdialog.__file__).parent
    upward = ("mtdialog.models", "mtdialog.tasks", "mtdialog.training", "mtdialog.pipeline", "mtdialog.evaluation")
    for path in (root / "data").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            assert not any(n.startswith(upward) for n in names), f"{path.relative_to(root)} imports {names}"
