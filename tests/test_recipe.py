"""Recipes: the schema rejects bad keys, types, values and files with one located line; overrides
go through the same validation; the shipped recipes load."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from mtdialog.errors import ConfigError
from mtdialog.models.configuration import MTDialogConfig
from mtdialog.tasks import BUILTIN_TASKS as TASKS
from mtdialog.training.recipe import (
    DecoderSection,
    ModelSection,
    Recipe,
    VisionSection,
    differences,
    load_recipe,
    parse_override,
    save_recipe,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def recipe_file(tmp_path, monkeypatch):
    """Write a recipe (relative paths resolve in tmp_path, where a corpus directory exists)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus").mkdir()

    def write(content: dict) -> Path:
        content = {"data": {"corpus": "corpus"}, **content}
        path = tmp_path / "r.yaml"
        path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
        return path

    return write


def error_of(path, overrides=()) -> str:
    with pytest.raises(ConfigError) as info:
        load_recipe(path, overrides)
    return str(info.value)


def test_defaults_and_values(recipe_file):
    path = recipe_file({"training": {"steps": 50, "lr_new": "1e-4", "mixed_precision": "bf16"},
                        "tasks": {"response": {}, "summary": {"weight": 2, "batch_size": 3}},
                        "model": {"text_encoder": {"model_type": "bert", "hidden_size": 32},
                                  "vision": {"model": "resnet10t", "freeze": False}}})
    recipe = load_recipe(path)
    assert recipe.training.steps == 50 and recipe.training.lr_new == 1e-4  # YAML 1.1 reads 1e-4 as text
    assert isinstance(recipe.training.lr_new, float) and recipe.training.mixed_precision == "bf16"
    assert list(recipe.tasks) == ["response", "summary"]
    assert recipe.tasks["summary"].weight == 2.0 and recipe.batch_size("summary") == 3
    assert recipe.batch_size("response") == recipe.training.batch_size == 8
    assert recipe.sampling.strategy == "temperature" and recipe.lora is None
    # only what the recipe sets reaches the model builder (the model keeps its own defaults)
    assert recipe.model.settings() == {"text_encoder": {"model_type": "bert", "hidden_size": 32},
                                       "vision": {"model": "resnet10t", "freeze": False}}
    assert list(Recipe().tasks) == list(TASKS)


@pytest.mark.parametrize("content, message", [
    ({"training": {"lr_new": "fast"}}, "r.yaml: training.lr_new: expected number, got 'fast'"),
    ({"training": {"stepz": 3}}, "r.yaml: training.stepz: unknown key (expected one of output_dir, steps"),
    ({"trainer": {}}, "r.yaml: trainer: unknown key (expected one of model, data, imports, tasks"),
    ({"training": {"steps": 0}}, "r.yaml: training.steps: must be at least 1, got 0"),
    ({"training": {"steps": 2.5}}, "r.yaml: training.steps: expected integer, got 2.5"),
    ({"training": {"gradient_checkpointing": "yes"}},
     "r.yaml: training.gradient_checkpointing: expected boolean, got 'yes'"),
    ({"training": {"mixed_precision": "fp16"}},
     "r.yaml: training.mixed_precision: expected one of no, bf16, got 'fp16'"),
    ({"training": []}, "r.yaml: training: expected mapping, got []"),
    ({"tasks": {"translation": {}}}, "r.yaml: tasks.translation: unknown task (registered: response, rewritable"),
    ({"tasks": {}}, "r.yaml: tasks: at least one task is required"),
    ({"tasks": {"response": {"weight": -1}}}, "r.yaml: tasks.response.weight: must be at least 0.0"),
    ({"model": {"text_encoder": 5}}, "r.yaml: model.text_encoder: expected string or mapping, got 5"),
    ({"model": {"vision": {"weights_file": "missing.pth"}}},
     "r.yaml: model.vision.weights_file: vision weights file 'missing.pth' does not exist"),
    ({"model": {"decoder": {"layers": "two"}}}, "r.yaml: model.decoder.layers: expected integer, got 'two'"),
    ({"model": {"decoder": {"layers": 0}}}, "r.yaml: model.decoder.layers: must be at least 1, got 0"),
    ({"model": {"copy_mechanism": "no"}}, "r.yaml: model.copy_mechanism: expected boolean, got 'no'"),
    ({"model": {"max_turn_recency": -1}}, "r.yaml: model.max_turn_recency: must be at least 0, got -1"),
    ({"model": {"vision": {"modle": "x"}}}, "r.yaml: model.vision.modle: unknown key (expected one of model, "),
    ({"imports": ["no_such_module_here"]},
     "r.yaml: imports[0]: cannot import 'no_such_module_here': ModuleNotFoundError"),
    ({"lora": {"target_modules": "query"}}, "r.yaml: lora.target_modules: expected list, got 'query'"),
    ({"lora": {"target_modules": ["query", 3]}}, "r.yaml: lora.target_modules[1]: expected string, got 3"),
    ({"model": {"vision": {"weights_file": "pypi:resnet-9000"}}},
     "r.yaml: model.vision.weights_file: unknown offline weights"),
    ({"sampling": {"strategy": "weights"}},
     "r.yaml: sampling.weights: required when sampling.strategy is 'weights'"),
    ({"tasks": {"response": {}, "summary": {}}, "sampling": {"strategy": "weights", "weights": {"response": 1}}},
     "r.yaml: sampling.weights.summary: missing weight for this task"),
    ({"tasks": {"response": {}}, "sampling": {"strategy": "weights", "weights": {"response": 1, "summary": 1}}},
     "r.yaml: sampling.weights.summary: not a task of this recipe"),
    ({"data": {"corpus": "nowhere"}}, "r.yaml: data.corpus: directory not found: nowhere"),
])
def test_rejections_name_file_and_key(recipe_file, content, message):
    text = error_of(recipe_file(content))
    assert message in text, text
    assert "\n" not in text


@pytest.mark.parametrize("content, message", [
    ({"training": {"lr_new": float("nan")}}, "training.lr_new: expected a finite number, got nan"),
    ({"training": {"lr_encoder": float("inf")}}, "training.lr_encoder: expected a finite number, got inf"),
    ({"training": {"max_grad_norm": float("nan")}}, "training.max_grad_norm: expected a finite number"),
    ({"tasks": {"response": {"weight": float("nan")}}}, "tasks.response.weight: expected a finite number"),
    ({"tasks": {"response": {}}, "sampling": {"strategy": "weights", "weights": {"response": float("nan")}}},
     "sampling.weights.response: expected a finite number"),
    ({"training": {"batch_size": 10**20}}, "training.batch_size: must be at most 65536"),
    ({"training": {"seed": -1}}, "training.seed: must be at least 0, got -1"),
    ({"training": {"steps": 10**12}}, "training.steps: must be at most 1000000000"),
    ({"model": {"max_target_length": 10**9}}, "model.max_target_length: must be at most 4096"),
    ({"model": {"decoder": {"dropout": 1.5}}}, "model.decoder.dropout: must be at most 0.99"),
    ({"training": {"output_dir": "\ud800"}}, "training.output_dir: invalid Unicode: a lone surrogate"),
    ({"data": {"corpus": "长" * 200_000}}, "data.corpus: unusable path: File name too long"),
    ({"model": {"max_source_length": 64, "max_turn_tokens": 40}},  # lengths are checked against each other
     ("model.max_turn_tokens: max_turn_tokens (40) does not fit a window: max_source_length (64) minus the KB "
     "prefix (32 tokens with max_kb_tokens 48) and a speaker token leaves 31")),
    ({"model": {"vision": {"weights_file": "x" * 100_000}}}, "model.vision.weights_file: unusable path: File name too long"),
    ({"training": {"steps": "长" * 200_000}}, "长长... (200,024 characters)"),  # a value quoted in a message is cut
])
def test_numbers_and_sizes_that_make_no_sense_are_refused(recipe_file, content, message):
    text = error_of(recipe_file(content))
    assert message in text, text


def test_hostile_recipe_files(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n", encoding="utf-8")
    assert "the recipe is empty" in error_of(empty)
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("training: {output_dir: caf\xe9}\n".encode("latin-1"))
    assert error_of(latin1) == f"{latin1}: invalid UTF-8 at byte 26"
    bomb = tmp_path / "bomb.yaml"
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(8)]
    bomb.write_text("\n".join(levels) + "\nmodel: {text_encoder: *i}\n", encoding="utf-8")
    assert "more than 10000 values (aliases that expand too far?)" in error_of(bomb)  # 9^9 values, refused at once
    assert "is a directory, not a recipe file" in error_of(tmp_path)


def test_missing_corpus_is_fine_when_generated(recipe_file):
    recipe = load_recipe(recipe_file({"data": {"corpus": "later", "synth": {"sessions": 40, "annotated": 10}}}))
    assert recipe.data.synth.sessions == 40 and recipe.data.corpus == "later"


def test_bad_file_and_bad_yaml(tmp_path):
    assert "recipe file not found" in error_of(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("training:\n  steps: [1,\n", encoding="utf-8")
    assert error_of(bad).startswith(f"{bad}:")
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n", encoding="utf-8")
    assert "a recipe is a mapping of sections, got list" in error_of(listed)


def test_overrides_are_validated_and_blamed_on_the_command_line(recipe_file):
    path = recipe_file({"training": {"steps": 5}})
    recipe = load_recipe(path, ["training.steps=7", "sampling.strategy=uniform", "lora.r=4",
                                "tasks.summary.weight=0.5", "model.vision.freeze=false"])
    assert recipe.training.steps == 7 and recipe.sampling.strategy == "uniform"
    assert recipe.lora is not None and recipe.lora.r == 4 and recipe.lora.alpha == 16
    assert recipe.tasks["summary"].weight == 0.5 and recipe.model.vision.freeze is False
    assert error_of(path, ["training.steps=many"]) == \
        "command line: training.steps: expected integer, got 'many'"
    assert error_of(path, ["training.stepz=3"]).startswith("command line: training.stepz: unknown key")
    assert error_of(path, ["training.lr_new=.nan"]) == "command line: training.lr_new: expected a finite number, got nan"
    assert error_of(path, ["training.lr_new=[1,"]).startswith("command line: override 'training.lr_new=[1,': bad YAML")
    assert error_of(path, ["tasks.bogus.weight=1"]).startswith("command line: tasks.bogus: unknown task")
    assert "expected key=value" in error_of(path, ["training.steps"])
    assert "training.steps is not a mapping" in error_of(path, ["training.steps.x=1"])
    assert parse_override("lora=null") == ("lora", None)
    assert parse_override("lora.target_modules=[query, value]") == ("lora.target_modules", ["query", "value"])


def test_one_override_selects_the_tasks(recipe_file):
    path = recipe_file({"tasks": {"response": {"weight": 2.0}, "discourse": {"batch_size": 8}, "summary": {}},
                        "sampling": {"strategy": "weights", "weights": {"response": 0.6, "discourse": 0.2,
                                                                        "summary": 0.2}}})
    recipe = load_recipe(path, ["tasks=[discourse]"])
    assert list(recipe.tasks) == ["discourse"] and recipe.tasks["discourse"].batch_size == 8  # the file's setting
    assert recipe.sampling.weights == {"discourse": 0.2}  # the weights follow the selection
    recipe = load_recipe(path, ["tasks.response=null"])
    assert list(recipe.tasks) == ["discourse", "summary"] and set(recipe.sampling.weights) == {"discourse", "summary"}
    assert error_of(path, ["tasks=[summary, image_category]"]) == (
        "command line: sampling.weights.image_category: missing weight for this task")
    assert list(load_recipe(path, ["tasks=[summary, image_category]", "sampling.strategy=proportional"]).tasks) == [
        "summary", "image_category"]
    assert error_of(path, ["tasks=[discourse, discourse]"]) == (
        "command line: tasks: a list of tasks names each task once, got ['discourse', 'discourse']")
    assert error_of(path, ["tasks=[parsing]"]).startswith("command line: tasks.parsing: unknown task")
    # weights given on the command line too are the user's: a mismatch is blamed on the command line
    assert error_of(path, ["tasks=[discourse]", "sampling.weights={summary: 1}"]).startswith(
        "command line: sampling.weights.summary: not a task of this recipe")
    listed = recipe_file({"tasks": ["discourse", "summary"]})
    assert list(load_recipe(listed).tasks) == ["discourse", "summary"]


def test_saved_recipe_reloads_identically(recipe_file, tmp_path):
    recipe = load_recipe(recipe_file({"lora": {"r": 2}, "model": {"decoder": {"layers": 1}}}))
    save_recipe(recipe, tmp_path / "saved.yaml")
    again = load_recipe(tmp_path / "saved.yaml")
    assert again == recipe and differences(recipe, again) == []
    longer = load_recipe(tmp_path / "saved.yaml", ["training.steps=9", "lora=null"])
    assert differences(recipe, longer) == ["training.steps", "lora"]
    assert differences(recipe, longer, ignore=["training.steps"]) == ["lora"]


def test_model_keys_are_the_model_configs_settings():
    """The model section is derived from MTDialogConfig: each setting once, nothing else, and the
    settings documented in the docs drift-free (copy_mechanism and max_turn_recency included)."""
    settings = MTDialogConfig.settings()
    keys = {f.name for f in dataclasses.fields(ModelSection)} - {"vision", "decoder"}
    keys |= {"vision_" + f.name for f in dataclasses.fields(VisionSection)}
    keys |= {"decoder_" + f.name for f in dataclasses.fields(DecoderSection)}
    assert keys == set(settings)
    assert {"copy_mechanism", "max_turn_recency", "tokenizer", "vision_model"} <= keys
    assert not keys & {"relation_labels", "special_token_ids", "tasks", "vision_data_config"}  # derived
    for name in settings:  # every setting is documented in the config's docstring
        assert name in MTDialogConfig.__doc__, name


def test_model_settings_reach_the_config(recipe_file, tmp_path):
    from tiny_model import build, write_corpus

    recipe = load_recipe(recipe_file({"model": {"copy_mechanism": False, "max_turn_recency": 3,
                                                "decoder": {"layers": 1}}}))
    model, _ = build(write_corpus(tmp_path / "c"), **recipe.model.settings())
    assert (model.config.copy_mechanism, model.config.max_turn_recency, model.config.decoder_layers) == (False, 3, 1)
    assert model.pointer is None and model.encoder.turn_recency.num_embeddings == 4


def test_shipped_recipes_load(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # their relative data paths do not exist here
    tiny = load_recipe(ROOT / "recipes" / "tiny.yaml")  # its corpus is generated when missing
    assert tiny.data.synth is not None and tiny.training.mixed_precision == "no"
    # the real-data recipe needs the user's corpus
    assert "data.corpus: directory not found" in error_of(ROOT / "recipes" / "jddc21_base.yaml")
    base = load_recipe(ROOT / "recipes" / "jddc21_base.yaml", ["data.corpus=."])
    assert base.training.mixed_precision == "bf16" and base.training.lr_encoder < base.training.lr_new
    for recipe in (tiny, base):
        assert set(recipe.tasks) == set(TASKS)
