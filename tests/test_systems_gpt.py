"""The paper's GPT system (Tables 5 and 7) and what every system shares: recipes, the train loop,
save/load, scoring with the task's scorer, the ``mtdialog system`` command."""

import json
from pathlib import Path

import pytest
import torch
from systems import repeat_batch

from mtdialog.cli import main
from mtdialog.data.native import Corpus
from mtdialog.errors import ConfigError
from mtdialog.systems.recipe import load_system_recipe
from mtdialog.systems.run import evaluate, load, train

RECIPES = Path(__file__).resolve().parents[1] / "recipes" / "paper"


def _recipe(corpus, *overrides, name="gpt-response.yaml"):
    return load_system_recipe(RECIPES / name, [f"corpus={corpus}", *overrides], budget="smoke")


@pytest.fixture(scope="module")
def trained(synth_corpus, tmp_path_factory):
    """The multimodal GPT on responses, trained at the smoke budget (a few more steps)."""
    out = tmp_path_factory.mktemp("gpt") / "run"
    summary = train(_recipe(synth_corpus, "training.steps=6"), out, log=lambda _: None)
    return out, summary


def test_a_trained_system_saves_what_it_needs_and_scores_with_the_task_scorer(trained, synth_corpus):
    out, summary = trained
    assert {p.name for p in out.iterdir()} >= {"recipe.yaml", "model.safetensors", "tokenizer", "extra.json",
                                                "log.jsonl", "train_summary.json"}
    assert summary["parameters"] > 0 and summary["train_examples"] > 0
    steps = [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6]
    result = evaluate(out, synth_corpus, max_sessions=4, num_beams=2, predictions=out)
    scores = result["scores"]["mtdialog"]["response"]
    assert set(scores) >= {"bleu", "rougeL", "distinct1", "distinct2"}
    assert all(0 <= v <= 100 for v in scores.values())
    predictions = (out / "response.pred.txt").read_text(encoding="utf-8").splitlines()
    assert len(predictions) == result["examples"]["response"] > 0


def test_loading_gives_the_same_predictions(trained, synth_corpus):
    out, _ = trained
    corpus = Corpus(synth_corpus)
    examples = list(load(out, corpus).task.all_examples(corpus.sessions("valid")))[:5]
    first, second = load(out, corpus), load(out, corpus)
    assert first.predict(examples, num_beams=2) == second.predict(examples, num_beams=2)
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)


def test_a_batch_decodes_as_each_example_alone(trained, synth_corpus):
    """Left padding must not change an answer: positions count the real tokens only."""
    out, _ = trained
    corpus = Corpus(synth_corpus)
    system = load(out, corpus)
    examples = list(system.task.all_examples(corpus.sessions("test")))[:6]
    assert len({len(system.inputs.context(e.context, system.recipe.max_context).ids) for e in examples}) > 1
    assert system.predict(examples) == [system.predict([e])[0] for e in examples]


def test_a_context_keeps_its_last_or_first_tokens_with_the_images_of_their_img_tokens(trained, synth_corpus):
    from mtdialog.data.schema import Turn
    from mtdialog.systems.base import Encoded

    inputs = load(trained[0], Corpus(synth_corpus)).inputs
    turns = [Turn("Q", "坏了", ["a", "b"]), Turn("A", "您好"), Turn("Q", "", ["c"])]
    whole = inputs.context(turns, 100)
    assert whole.images == ["a", "b", "c"] and whole.ids.count(inputs.image) == 3
    assert inputs.context(turns, 100, keep="first") == whole
    last = inputs.context(turns, 5)  # [A] 您 好 [Q] [IMG]
    assert last.ids == whole.ids[-5:] and last.images == ["c"]
    assert inputs.context(turns, 4, keep="first") == Encoded(whole.ids[:4], ["a"])  # [Q] 坏 了 [IMG]
    assert inputs.context(turns, 3).images == ["c"] and inputs.context(turns, 2, keep="first").images == []


def test_the_loss_falls_on_a_repeated_batch(synth_corpus):
    from mtdialog.models.tokenization import build_char_tokenizer, corpus_texts
    from mtdialog.systems.run import build_system

    recipe = _recipe(synth_corpus, "multimodal=false")
    corpus = Corpus(synth_corpus)
    sessions = list(corpus.sessions("train"))
    system = build_system(recipe, build_char_tokenizer(corpus_texts(sessions)), corpus, progress=False)
    batch = system.task.training_examples(sessions)[:4]
    losses = repeat_batch(system, batch, steps=30, lr=1e-2)
    assert losses[-1] < 0.5 * losses[0]


def test_the_multimodal_answer_depends_on_the_image_and_the_text_only_one_cannot_see_it(trained, synth_corpus):
    from mtdialog.systems.base import pad_ids

    out, _ = trained
    system = load(out, Corpus(synth_corpus))
    example = next(e for e in system.task.all_examples(Corpus(synth_corpus).sessions("train"))
                   if system.inputs.context(e.context, system.recipe.max_context).images)
    sources, images = system._sources([example])
    ids, mask = pad_ids(sources, system.inputs.pad)
    with torch.no_grad():
        logits = system.gpt(inputs_embeds=system._embed(ids, images), attention_mask=mask).logits
        system.inputs.features = None  # the same weights, reading the bare [IMG] token
        system.slots = None
        blind = system.gpt(inputs_embeds=system._embed(ids, images), attention_mask=mask).logits
    assert not torch.allclose(logits, blind)
    text_only = load_system_recipe(RECIPES / "gpt-response.yaml", [f"corpus={synth_corpus}", "multimodal=false"],
                                   budget="smoke")
    assert text_only.multimodal is False


def test_rewrites_train_and_score_on_their_own_table(synth_corpus, tmp_path):
    train(_recipe(synth_corpus, "multimodal=false", name="gpt-rewrite.yaml"), tmp_path / "run", log=lambda _: None)
    result = evaluate(tmp_path / "run", synth_corpus, split="train", max_sessions=10, num_beams=1)
    assert result["task"] == "rewrite" and set(result["scores"]["mtdialog"]) == {"rewrite"}


@pytest.mark.parametrize("override, field", [
    ("model.depth=3", "model.depth"),
    ("model.layers=two", "model.layers"),
    ("task=summary", "task"),
    ("system=gpt3", "system"),
    ("training.schedule=cosine", "training.schedule"),
])
def test_a_bad_recipe_names_the_file_and_the_key(override, field, synth_corpus):
    with pytest.raises(ConfigError) as error:
        _recipe(synth_corpus, override)
    assert error.value.field == field and error.value.path.endswith("gpt-response.yaml")


def test_a_budget_the_recipe_lacks_is_named(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("system: gpt\ntask: response\nbudgets: {cpu: []}\n")
    with pytest.raises(ConfigError, match="no 'smoke' budget"):
        load_system_recipe(recipe, budget="smoke")


def test_every_paper_recipe_resolves_at_every_budget():
    for path in sorted(RECIPES.glob("*.yaml")):
        for budget in ("smoke", "cpu", None):
            recipe = load_system_recipe(path, budget=budget)
            assert recipe.task in __import__("mtdialog.systems", fromlist=["get_system"]).get_system(
                recipe.system).tasks


def test_the_command_line_trains_and_scores_a_system(synth_corpus, tmp_path, capsys):
    assert main(["system", "list"]) == 0
    assert "gpt" in capsys.readouterr().out
    assert main(["system", "run", "--config", str(RECIPES / "gpt-response.yaml"), "--budget", "smoke",
                 "--corpus", str(synth_corpus), "--out", str(tmp_path / "run"), "--max-sessions", "3",
                 "--num-beams", "1", "--json", str(tmp_path / "scores.json"), "multimodal=false"]) == 0
    assert "Table 5: response generation" in capsys.readouterr().out
    assert json.loads((tmp_path / "scores.json").read_text())["multimodal"] is False
    assert main(["system", "evaluate", "--checkpoint", str(tmp_path), "--corpus", str(synth_corpus)]) == 2
