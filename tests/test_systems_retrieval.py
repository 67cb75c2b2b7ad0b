"""The paper's retrieval system (Table 5): faiss k-NN candidates re-ranked by a TransResNet scorer."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from systems import repeat_batch

import mtdialog.systems.retrieval  # noqa: F401 (registers the system)
from mtdialog.data.native import Corpus
from mtdialog.errors import ConfigError
from mtdialog.systems.recipe import load_system_recipe
from mtdialog.systems.retrieval import last_image
from mtdialog.systems.run import evaluate, load, train

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "paper" / "retrieval-response.yaml"


@pytest.fixture(scope="module", params=[True, False], ids=["multimodal", "text-only"])
def trained(request, synth_corpus, tmp_path_factory):
    """The system trained at the smoke budget, multimodal and text-only."""
    out = tmp_path_factory.mktemp("retrieval") / "run"
    recipe = load_system_recipe(RECIPE, [f"corpus={synth_corpus}", f"multimodal={request.param}"], budget="smoke")
    train(recipe, out, log=lambda _: None)
    return out


def _with_image(system, split="test"):
    return [e for e in system.task.all_examples(Corpus(system.recipe.corpus).sessions(split)) if last_image(e.context)]


def _assert_true_top_k(found: list[int], scores: np.ndarray, k: int) -> None:
    """``found`` are ``k`` rows whose ``scores`` are the ``k`` best (ties may come in any order)."""
    best = np.argsort(-scores, kind="stable")[:k]
    assert len(found) == len(set(found)) == k
    np.testing.assert_allclose(scores[found], scores[best], atol=1e-5)
    above = {int(r) for r in np.flatnonzero(scores > scores[best[-1]] + 1e-5)}
    assert above <= set(found)  # every row strictly better than the k-th is found


def test_training_evaluation_and_the_saved_state(trained, synth_corpus):
    losses = [json.loads(line)["loss"]["response"] for line in (trained / "log.jsonl").read_text().splitlines()]
    assert losses and all(np.isfinite(losses))
    extra = json.loads((trained / "extra.json").read_text(encoding="utf-8"))
    assert set(extra) == {"sessions", "memory"} and all(isinstance(t[1], str) for s in extra["sessions"] for t in s)
    result = evaluate(trained, synth_corpus, max_sessions=4, num_beams=1)
    scores = result["scores"]["mtdialog"]["response"]
    assert result["examples"]["response"] > 0 and all(0 <= v <= 100 for v in scores.values())


def test_loading_gives_the_same_answers_from_the_training_responses(trained, synth_corpus):
    corpus = Corpus(synth_corpus)
    first, second = load(trained, corpus), load(trained, corpus)
    examples = list(first.task.all_examples(corpus.sessions("test")))[:6]
    answers = first.predict(examples)
    assert answers == second.predict(examples)
    responses = {first.response(row) for row in range(len(first.memory))}
    assert all(isinstance(a, str) and a in responses for a in answers)
    assert len(first.memory) == len(first.task.training_examples(corpus.sessions("train")))


def test_the_faiss_neighbours_are_the_true_nearest_ones(trained, synth_corpus):
    system = load(trained, Corpus(synth_corpus))
    examples = _with_image(system)[:5]
    contexts = [e.context for e in examples]
    memory = system.embed_contexts([system.memory_context(r) for r in range(len(system.memory))])
    by_text, by_image = system.neighbours(contexts)
    k = min(system.settings.text_neighbours, len(system.memory))
    for found, scores in zip(by_text, system.embed_contexts(contexts) @ memory.T):
        _assert_true_top_k(found, scores, k)
    candidates = system.candidates(contexts)
    for rows, texts in zip(by_text, candidates):
        assert {system.response(r) for r in rows} <= set(texts) and len(texts) == len(set(texts))
    if not system.multimodal:
        assert by_image == [[] for _ in examples]
        return
    images = [(row, i) for row in range(len(system.memory)) if (i := last_image(system.memory_context(row)))]
    vectors = system.image_vectors([i for _, i in images])
    rows = np.array([row for row, _ in images])
    k = min(system.settings.image_neighbours, len(images))
    for example, found, texts in zip(examples, by_image, candidates):
        scores = vectors @ system.image_vectors([last_image(example.context)])[0]
        positions = [int(np.flatnonzero(rows == r)[0]) for r in found]
        assert rows[positions].tolist() == found
        _assert_true_top_k(positions, scores, k)
        assert {system.response(r) for r in found} <= set(texts)  # the image neighbours are candidates


def test_the_scorer_sees_the_last_image_only_when_multimodal(trained, synth_corpus):
    system = load(trained, Corpus(synth_corpus))
    example = _with_image(system)[0]
    other = next(i for e in _with_image(system, "train") if (i := last_image(e.context)) != last_image(example.context))
    turns = list(example.context)
    at = max(n for n, t in enumerate(turns) if t.images)
    turns[at] = replace(turns[at], images=[other])
    with torch.no_grad():
        before, after = system.encode_queries([example.context]), system.encode_queries([turns])
    assert torch.allclose(before, after) is not system.multimodal
    by_image = system.neighbours([example.context, turns])[1]
    assert (by_image[0] != by_image[1]) is system.multimodal


def test_the_loss_falls_on_a_repeated_batch_and_a_step_rebuilds_the_index(trained, synth_corpus):
    corpus = Corpus(synth_corpus)
    system = load(trained, corpus)
    batch = [e for e in system.task.training_examples(corpus.sessions("train"))][:8]
    assert len({e.target for e in batch}) == len(batch)
    indexes = system.indexes()
    losses = repeat_batch(system, batch, steps=15, lr=3e-3)
    assert losses[-1] < 0.5 * losses[0]
    assert system.indexes() is not indexes  # the encoders changed: new embeddings
    with torch.no_grad():
        scores = system.scores([e.context for e in batch], [[e.target for e in batch]] * len(batch))
    assert [int(s.argmax()) for s in scores] == list(range(len(batch)))


def test_shared_encoders_save_and_load(synth_corpus, tmp_path):
    recipe = load_system_recipe(RECIPE, [f"corpus={synth_corpus}", "multimodal=false", "model.share_encoders=true"],
                                budget="smoke")
    train(recipe, tmp_path / "run", log=lambda _: None)
    system = load(tmp_path / "run", Corpus(synth_corpus))
    assert system.candidate_encoder is system.context_encoder
    assert evaluate(tmp_path / "run", synth_corpus, max_sessions=2, num_beams=1)["examples"]["response"] > 0


@pytest.mark.parametrize("state", [{}, {"sessions": [[["A", "hi", []]]], "memory": [[0, 3]]},
                                   {"sessions": [[["Q", "hi", []]]], "memory": [[0, 0]]},
                                   {"sessions": [[["A", "hi", []]]], "memory": [[-1, 0]]}])
def test_a_bad_saved_memory_is_named(trained, synth_corpus, state):
    system = load(trained, Corpus(synth_corpus))
    with pytest.raises(ConfigError) as error:
        system.load_extra_state(state)
    assert error.value.field == "extra.json"
