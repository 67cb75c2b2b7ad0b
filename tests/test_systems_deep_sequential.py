"""Deep Sequential (discourse): trains at the smoke budget, text-only and multimodal; predictions link each
EDU to an earlier one or the root, parsing is causal EDU by EDU, and an image feature matters only when
multimodal."""

import dataclasses
from pathlib import Path

import pytest
import torch
from systems import repeat_batch

import mtdialog.systems.deep_sequential  # noqa: F401  (registers the system)
from mtdialog.data.native import Corpus
from mtdialog.data.schema import EDU, Relation, parse_links
from mtdialog.errors import ConfigError, DataError
from mtdialog.evaluation import MODEL_ROW
from mtdialog.systems.recipe import load_system_recipe
from mtdialog.systems.run import evaluate, load, save, train
from mtdialog.tasks import get_task

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "paper" / "deep-sequential-discourse.yaml"


@pytest.fixture(scope="module", params=[False, True], ids=["text-only", "multimodal"])
def trained(request, synth_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("deep-sequential") / "run"
    torch.set_num_threads(1)
    train(load_system_recipe(RECIPE, [f"corpus={synth_corpus}", f"multimodal={str(request.param).lower()}"],
                             budget="smoke"), out, log=lambda line: None)
    return out


@pytest.fixture(scope="module")
def examples(synth_corpus):
    return get_task("discourse").training_examples(Corpus(synth_corpus).sessions("train"))


def test_evaluate_scores_and_labels(trained, synth_corpus):
    result = evaluate(trained, synth_corpus, max_sessions=4, num_beams=1)
    scores = result["scores"][MODEL_ROW]["discourse"]
    assert scores and all(0 <= value <= 100 for value in scores.values())
    system = load(trained, Corpus(synth_corpus))
    assert system.extra_state()["relation_labels"] == list(Corpus(synth_corpus).relation_labels)


def test_predictions_link_back_within_reach(trained, synth_corpus, examples):
    system = load(trained, Corpus(synth_corpus))
    predictions = system.predict(examples)
    assert len(predictions) == len(examples)
    for relations, example in zip(predictions, examples):
        assert all(isinstance(r, Relation) and 0 <= r.x < r.y < len(example.edus) for r in relations)
        assert all(r.y - r.x <= system.settings.max_distance and r.type in system.labels for r in relations)
        assert len({r.y for r in relations}) == len(relations)  # one head per EDU; the rest are roots
    assert get_task("discourse").scores(predictions, examples)["link_f1"] >= 0


def test_loss_decreases_on_a_repeated_batch(trained, synth_corpus, examples):
    system = load(trained, Corpus(synth_corpus))
    batch = examples[:3]
    before = system.loss(batch).item()
    repeat_batch(system, batch, steps=8, lr=1e-2)
    assert system.loss(batch).item() < before


def test_save_load_gives_identical_predictions(trained, synth_corpus, examples, tmp_path):
    corpus = Corpus(synth_corpus)
    system = load(trained, corpus)
    save(system, system.inputs.tokenizer, tmp_path / "again")
    assert load(tmp_path / "again", corpus).predict(examples) == system.predict(examples)


def test_structure_is_built_edu_by_edu(trained, synth_corpus, examples):
    """EDU 2's gold parent feeds the structured representation: the link scores of EDUs 0-2 do not change
    with it, those of later EDUs do."""
    system = load(trained, Corpus(synth_corpus))
    example = next(e for e in examples if len(e.edus) > 4 and any(r.y == 2 for r in parse_links(e.relations)))
    link = next(r for r in parse_links(example.relations) if r.y == 2)
    moved = Relation(1 - link.x if link.x < 2 else 0, 2, link.type)
    changed = dataclasses.replace(example, relations=[r for r in example.relations if r.y != 2] + [moved])
    with torch.no_grad():
        a = system.parse([example], gold=True).link_logits[0]
        b = system.parse([changed], gold=True).link_logits[0]
    assert torch.equal(a[:3], b[:3])
    assert not torch.allclose(a[3:], b[3:])


def test_image_feature_matters_only_when_multimodal(trained, synth_corpus, examples):
    corpus = Corpus(synth_corpus)
    system = load(trained, corpus)
    example = next(e for e in examples if any(edu.image is not None for edu in e.edus))
    k = next(i for i, edu in enumerate(example.edus) if edu.image is not None)
    other = next(i for i in corpus.image_index if i != example.edus[k].image)
    edus = [EDU(edu.turn, edu.speaker, image=other) if i == k else edu for i, edu in enumerate(example.edus)]
    with torch.no_grad():
        a = system.parse([example], gold=False).link_logits
        b = system.parse([dataclasses.replace(example, edus=edus)], gold=False).link_logits
    assert torch.equal(a[0, :k], b[0, :k])  # EDUs before the image: untouched
    assert torch.equal(a, b) != system.multimodal


def test_bad_input(trained, synth_corpus, examples, tmp_path):
    system = load(trained, Corpus(synth_corpus))
    example = next(e for e in examples if parse_links(e.relations))
    link = parse_links(example.relations)[0]
    bad = dataclasses.replace(example, relations=[dataclasses.replace(link, type="Not/A/Label")])
    with pytest.raises(DataError, match="not in the relation label set"):
        system.loss([bad])
    recipe = load_system_recipe(RECIPE, [f"corpus={synth_corpus}", "multimodal=false", "model.hidden=15"],
                                budget="smoke")
    with pytest.raises(ConfigError, match="even") as error:
        train(recipe, tmp_path / "odd", log=lambda line: None)
    assert error.value.field == "model.hidden"
