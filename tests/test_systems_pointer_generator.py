"""The pointer-generator summarizer (See et al. 2017): trained at the smoke budget on the small generated
corpus, text-only and multimodal; its copy mixture, coverage, beam search, images and save/load."""

import dataclasses
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from systems import repeat_batch

import mtdialog.systems.pointer_generator  # noqa: F401 (registers the system)
from mtdialog.data.native import Corpus
from mtdialog.errors import ConfigError
from mtdialog.evaluation import MODEL_ROW
from mtdialog.systems.recipe import load_system_recipe
from mtdialog.systems.run import evaluate, load, train

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "paper" / "pointer-generator-summary.yaml"


@pytest.fixture(scope="module", params=[False, True], ids=["text-only", "multimodal"])
def trained(request, synth_corpus, tmp_path_factory):
    """A smoke-budget run of one variant, its evaluation and the loaded system."""
    out = tmp_path_factory.mktemp("pg") / "run"
    summary = train(load_system_recipe(RECIPE, [f"corpus={synth_corpus}", f"multimodal={request.param}"],
                                       budget="smoke"), out, log=lambda _: None)
    scores = evaluate(out, synth_corpus, max_sessions=4, num_beams=1)
    corpus = Corpus(synth_corpus)
    system = load(out, corpus)
    examples = list(system.task.all_examples(corpus.sessions("train")))[:4]
    return SimpleNamespace(out=out, summary=summary, scores=scores, system=system, examples=examples, corpus=corpus)


def test_trains_evaluates_and_reloads(trained):
    out, summary, system, examples = trained.out, trained.summary, trained.system, trained.examples
    assert summary["steps"] == 4 and system.multimodal == summary["multimodal"]
    logged = [json.loads(line)["loss"]["summary"] for line in (out / "log.jsonl").read_text().splitlines()]
    assert len(logged) == 2 and all(math.isfinite(v) for v in logged)
    for value in trained.scores["scores"][MODEL_ROW]["summary"].values():
        assert 0 <= value <= 100
    predictions = system.predict(examples, num_beams=3)
    assert len(predictions) == 4 and all(isinstance(p, str) for p in predictions)
    assert all(len(p) <= system.settings.max_summary_length for p in predictions)
    assert load(out, trained.corpus).predict(examples, num_beams=3) == predictions
    with pytest.raises(ConfigError, match="num_beams"):
        system.predict(examples, num_beams=0)


def test_loss_decreases_on_a_repeated_batch(trained):
    losses = repeat_batch(trained.system, trained.examples, steps=8, lr=1e-2)
    assert losses[-1] < losses[0]


def _teacher_forced(system, examples, coverage: bool):
    memory, state = system.encode(examples)
    targets = [system.inputs.text(e.target, 6) for e in examples]
    inputs = torch.tensor([[system.inputs.bos, *t[:5]] for t in targets])
    return memory, system.decode(inputs, state, memory, torch.zeros(memory.mask.shape) if coverage else None)


@torch.no_grad()
def test_final_distribution_and_pointer(trained):
    system, examples = trained.system, trained.examples
    memory, d = _teacher_forced(system, examples, coverage=True)
    torch.testing.assert_close(d.probs.sum(-1), torch.ones(d.probs.shape[:2]))
    assert ((d.p_gen > 0) & (d.p_gen < 1)).all()
    saved = {k: v.clone() for k, v in system.p_gen.state_dict().items()}
    try:  # p_gen = 0: pure copying, every bit of mass on the session's own tokens
        system.p_gen.weight.zero_()
        system.p_gen.bias.fill_(-1e4)
        _, copied = _teacher_forced(system, examples, coverage=True)
    finally:
        system.p_gen.load_state_dict(saved)
    assert float(copied.p_gen.max()) == 0
    on_source = torch.zeros_like(copied.probs[:, 0], dtype=torch.bool).scatter_(1, memory.source, True)
    assert float(copied.probs.masked_fill(on_source[:, None], 0).sum()) == 0
    assert float(copied.probs[..., system.inputs.pad].sum()) == 0  # padding gets no attention
    torch.testing.assert_close(copied.probs.sum(-1), torch.ones(copied.probs.shape[:2]))


@torch.no_grad()
def test_coverage_accumulates_attention_and_steers_it(trained):
    system, examples = trained.system, trained.examples
    _, d = _teacher_forced(system, examples, coverage=True)
    for t in range(d.attention.size(1)):
        torch.testing.assert_close(d.coverage_seen[:, t], d.attention[:, :t].sum(1))
    torch.testing.assert_close(d.coverage, d.attention.sum(1))
    saved = system.w_c.weight.clone()
    try:
        system.w_c.weight.normal_(0, 5)
        _, steered = _teacher_forced(system, examples, coverage=True)
        _, plain = _teacher_forced(system, examples, coverage=False)
    finally:
        system.w_c.weight.copy_(saved)
    assert plain.coverage_seen is None
    torch.testing.assert_close(steered.attention[:, 0], plain.attention[:, 0])  # no coverage yet at step 0
    assert not torch.allclose(steered.attention[:, 1:], plain.attention[:, 1:])


def test_coverage_comes_on_for_the_last_part_of_training(trained):
    system = trained.system
    steps, start = system.recipe.training.steps, system.settings.coverage_from
    system.train()
    try:
        system.steps_done = 0
        assert not system._coverage_now()
        system.steps_done = math.ceil(start * steps)
        assert system._coverage_now()
    finally:
        system.eval()
    assert system._coverage_now()  # decoding uses the coverage it was trained with


@torch.no_grad()
def test_one_beam_is_greedy_decoding(trained):
    system, examples = trained.system, trained.examples
    memory, state = system.encode(examples)
    coverage = torch.zeros(memory.mask.shape)
    token = torch.full((len(examples), 1), system.inputs.bos)
    greedy, done = [[] for _ in examples], [False] * len(examples)
    for _ in range(system.settings.max_summary_length):
        d = system.decode(token, state, memory, coverage)
        state, coverage, token = d.state, d.coverage, d.probs[:, 0].argmax(-1, keepdim=True)
        for i, t in enumerate(token[:, 0].tolist()):
            done[i] = done[i] or t == system.inputs.eos
            if not done[i]:
                greedy[i].append(t)
    assert system.predict(examples, num_beams=1) == [system.inputs.decode(g) for g in greedy]


@torch.no_grad()
def test_an_image_feature_reaches_the_encoder_only_when_multimodal(trained):
    system, corpus = trained.system, trained.corpus
    example = next(e for e in system.task.all_examples(corpus.sessions("train"))
                   if e.context[0].images)  # an image in the first turn: inside max_context
    other = next(i for i in corpus.image_index if i not in example.context[0].images)
    first = dataclasses.replace(example.context[0], images=[other, *example.context[0].images[1:]])
    changed = dataclasses.replace(example, session=dataclasses.replace(example.session,
                                                                       turns=[first, *example.context[1:]]))
    before, _ = system.encode([example])
    after, _ = system.encode([changed])
    assert torch.equal(before.source, after.source)
    assert torch.equal(before.states, after.states) != system.multimodal
