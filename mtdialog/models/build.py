"""Build a fresh model and its tokenizer from a recipe's ``model`` section and a corpus.

Recipe ``model`` section (every key optional)::

    text_encoder: intfloat/multilingual-e5-small      # hub name or local path (weights loaded), or
    text_encoder: {model_type: bert, hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 4,
                   intermediate_size: 512}             # a config (random init)
    tokenizer: chars            # character tokenizer from the corpus's train texts (default for a
                                # config), or a hub name / path (default: the encoder's own tokenizer)
    tokenizer_min_frequency: 1
    text_only: false
    vision: {model: resnet10t, pretrained: false, weights_file: null, freeze: true, image_size: 64,
             grid_size: 0}
    decoder: {layers: 2, attention_heads: 4, ffn_dim: 512, dropout: 0.1}
    max_source_length: 256      # and any other MTDialogConfig field (max_kb_tokens, ...)

Label sets (relations, image categories) come from the corpus's ``meta.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import AutoConfig, AutoModel, PreTrainedTokenizerBase

from mtdialog.data.native import Corpus
from mtdialog.data.tokenizer import build_char_tokenizer, corpus_texts, load_tokenizer, special_token_ids
from mtdialog.models.configuration import MTDialogConfig
from mtdialog.models.encoder import encoder_kwargs
from mtdialog.models.modeling import MTDialogModel
from mtdialog.models.vision import create_backbone, describe_backbone

_VISION_KEYS = {"model", "pretrained", "weights_file", "freeze", "image_size", "grid_size"}
_DECODER_KEYS = {"layers", "attention_heads", "ffn_dim", "dropout"}
_OWN_KEYS = {"text_encoder", "tokenizer", "tokenizer_min_frequency", "vision", "decoder"}
_DERIVED = {"text_encoder_name", "vision_pretrained_cfg", "vision_data_config", "vision_num_features",
            "relation_labels", "image_categories", "special_token_ids", "non_text_token_ids", "pad_token_id",
            "bos_token_id",
            "eos_token_id", "decoder_start_token_id", "task_prompts"}


def build_model_and_tokenizer(model_cfg: dict[str, Any], corpus: Corpus | str | Path
                              ) -> tuple[MTDialogModel, PreTrainedTokenizerBase]:
    """A new :class:`MTDialogModel` (pretrained parts loaded, the rest initialised) and its tokenizer."""
    corpus = corpus if isinstance(corpus, Corpus) else Corpus(corpus)
    cfg = dict(model_cfg)
    fields = {f for f in MTDialogConfig.__dataclass_fields__} - _DERIVED - {"text_encoder"}
    unknown = set(cfg) - _OWN_KEYS - fields
    if unknown:
        raise ValueError(f"unknown model settings {sorted(unknown)} (allowed: {sorted(_OWN_KEYS | fields)})")
    vision, decoder = _section(cfg.pop("vision", {}), _VISION_KEYS, "vision"), \
        _section(cfg.pop("decoder", {}), _DECODER_KEYS, "decoder")
    encoder_spec = cfg.pop("text_encoder", {"model_type": "bert"})
    tokenizer_spec = cfg.pop("tokenizer", "chars" if isinstance(encoder_spec, dict) else encoder_spec)
    min_frequency = cfg.pop("tokenizer_min_frequency", 1)

    if tokenizer_spec == "chars":
        train = corpus.sessions("train") if "train" in corpus.splits else ()
        tokenizer = build_char_tokenizer(corpus_texts(train, corpus.kb()), min_frequency=min_frequency)
    else:
        tokenizer = load_tokenizer(tokenizer_spec)

    text_encoder = None
    if isinstance(encoder_spec, dict):
        spec = dict(encoder_spec)
        encoder_config = AutoConfig.for_model(spec.pop("model_type", "bert"), **spec)
        encoder_config.vocab_size = len(tokenizer)
        encoder_config.pad_token_id = tokenizer.pad_token_id
    else:
        encoder_config = AutoConfig.from_pretrained(encoder_spec)
        text_encoder = AutoModel.from_pretrained(encoder_spec, **encoder_kwargs(encoder_config))
        if text_encoder.get_input_embeddings().num_embeddings < len(tokenizer):
            text_encoder.resize_token_embeddings(len(tokenizer))
        encoder_config = text_encoder.config

    ids = special_token_ids(tokenizer)
    config = MTDialogConfig(
        text_encoder=encoder_config,
        text_encoder_name=None if isinstance(encoder_spec, dict) else str(encoder_spec),
        **{f"vision_{k}": v for k, v in vision.items()},
        **{f"decoder_{k}": v for k, v in decoder.items()},
        relation_labels=list(corpus.relation_labels), image_categories=list(corpus.image_categories),
        special_token_ids=ids, non_text_token_ids=sorted(tokenizer.all_special_ids), pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=ids["[RESP]"], **cfg)
    backbone = None
    if not config.text_only:
        backbone = create_backbone(config, load_weights=True)
        describe_backbone(config, backbone)
    return MTDialogModel(config, text_encoder=text_encoder, vision_backbone=backbone), tokenizer


def _section(values: dict[str, Any] | None, allowed: set[str], name: str) -> dict[str, Any]:
    values = dict(values or {})
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"unknown {name} settings {sorted(unknown)} (allowed: {sorted(allowed)})")
    return values


__all__ = ["build_model_and_tokenizer"]
