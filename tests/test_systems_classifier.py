"""The paper's rewritability classifiers (Table 6): BERT (text only) and TransResNet (multimodal)."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from systems import repeat_batch

import mtdialog.systems.classifier  # noqa: F401 (registers the systems)
from mtdialog.data.native import Corpus
from mtdialog.errors import ConfigError
from mtdialog.systems.recipe import load_system_recipe
from mtdialog.systems.run import evaluate, load, train

RECIPES = Path(__file__).resolve().parents[1] / "recipes" / "paper"
VARIANTS = [("bert-classifier", False), ("transresnet-classifier", True), ("transresnet-classifier", False)]


def _recipe(corpus, system, *overrides):
    return load_system_recipe(RECIPES / f"{system}-rewritable.yaml", [f"corpus={corpus}", *overrides], budget="smoke")


@pytest.fixture(scope="module", params=VARIANTS, ids=lambda v: f"{v[0]}-{'multimodal' if v[1] else 'text-only'}")
def trained(request, synth_corpus, tmp_path_factory):
    """Each system variant trained at the smoke budget."""
    system, multimodal = request.param
    out = tmp_path_factory.mktemp(system) / "run"
    train(_recipe(synth_corpus, system, f"multimodal={multimodal}"), out, log=lambda _: None)
    return out


def _examples(system, split="train"):
    return list(system.task.all_examples(Corpus(system.recipe.corpus).sessions(split)))


def test_training_and_evaluation(trained, synth_corpus):
    losses = [json.loads(line)["loss"]["rewritable"] for line in (trained / "log.jsonl").read_text().splitlines()]
    assert losses and all(np.isfinite(losses))
    result = evaluate(trained, synth_corpus, max_sessions=4, num_beams=1)
    scores = result["scores"]["mtdialog"]["rewritable"]
    assert result["examples"]["rewritable"] > 0 and set(scores) >= {"precision", "recall", "f1"}
    assert all(0 <= v <= 100 for v in scores.values())


def test_loading_gives_the_same_bool_predictions(trained, synth_corpus):
    corpus = Corpus(synth_corpus)
    first, second = load(trained, corpus), load(trained, corpus)
    examples = _examples(first)[:8]
    answers = first.predict(examples)
    assert answers == second.predict(examples)
    assert all(type(a) is bool for a in answers) and len(answers) == len(examples)
    assert all(type(first.task.gold(e)) is bool for e in examples)


def test_the_input_is_a_sentence_pair_of_context_and_query(trained, synth_corpus):
    system = load(trained, Corpus(synth_corpus))
    examples = [e for e in _examples(system) if e.turn > 0][:4]
    ids, mask, types = system.pairs(examples)
    assert ids.shape[1] <= system.recipe.max_context and (ids[:, 0] == system.inputs.cls).all()
    for row, e in enumerate(examples):
        length = int(mask[row].sum())
        query = system.inputs.turn(e.session.turns[e.turn]).ids[:system.settings.max_query]
        assert ids[row, length - len(query) - 1:length - 1].tolist() == query
        assert types[row, :length].tolist() == [0] * (length - len(query) - 1) + [1] * (len(query) + 1)


def test_the_loss_falls_on_a_repeated_batch(trained, synth_corpus):
    system = load(trained, Corpus(synth_corpus))
    examples = _examples(system)
    batch = [e for e in examples if e.rewritable][:4] + [e for e in examples if not e.rewritable][:4]
    assert len({e.rewritable for e in batch}) == 2
    losses = repeat_batch(system, batch, steps=15, lr=3e-3)
    assert losses[-1] < 0.5 * losses[0]
    assert system.predict(batch) == [e.rewritable for e in batch]


def test_the_query_image_changes_the_answer_only_when_multimodal(trained, synth_corpus):
    system = load(trained, Corpus(synth_corpus))
    examples = _examples(system)
    example = next(e for e in examples if e.session.turns[e.turn].images)
    other = next(i for e in examples for t in e.session.turns for i in t.images
                 if i not in example.session.turns[example.turn].images)
    turns = list(example.session.turns)
    turns[example.turn] = replace(turns[example.turn], images=[other] * len(turns[example.turn].images))
    swapped = replace(example, session=replace(example.session, turns=turns))
    with torch.no_grad():
        before, after = system.logits([example]), system.logits([swapped])
    assert torch.allclose(before, after) is not system.multimodal


def test_a_query_without_images_reads_the_context_last_image(synth_corpus, tmp_path):
    from mtdialog.systems.retrieval import last_image

    train(_recipe(synth_corpus, "transresnet-classifier", "training.steps=1"), tmp_path / "run", log=lambda _: None)
    system = load(tmp_path / "run", Corpus(synth_corpus))
    examples = _examples(system)
    bare = next(e for e in examples if not e.session.turns[e.turn].images and last_image(e.session.turns[:e.turn]))
    assert system.query_images(bare) == [last_image(bare.session.turns[:bare.turn])]
    sent = next(e for e in examples if len(e.session.turns[e.turn].images))
    assert system.query_images(sent) == sent.session.turns[sent.turn].images


def test_the_text_only_bert_classifier_refuses_images(synth_corpus, tmp_path):
    with pytest.raises(ConfigError) as error:
        train(_recipe(synth_corpus, "bert-classifier", "multimodal=true"), tmp_path / "run", log=lambda _: None)
    assert error.value.field == "multimodal"
