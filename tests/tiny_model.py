"""The project's model at test size, and what it trains on.

A 1-layer BERT of width 32 built from a config, timm ``resnet10t`` (random init) on 32-pixel images,
a character tokenizer, a 4-session corpus written with real PNG files, and recipes for real runs.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch
import yaml
from PIL import Image

from mtdialog.data.images import image_loader
from mtdialog.data.native import Corpus, CorpusWriter, KBEntry
from mtdialog.data.schema import Session
from mtdialog.models import MTDialogModel, MTDialogProcessor, TaskDataset, build_model_and_tokenizer
from mtdialog.tasks import BUILTIN_TASKS

TINY_MODEL = {
    "text_encoder": {"model_type": "bert", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "intermediate_size": 64, "max_position_embeddings": 128},
    "vision": {"model": "resnet10t", "image_size": 32},
    "decoder": {"layers": 1, "attention_heads": 2, "ffn_dim": 64},
    "max_source_length": 96, "max_turn_tokens": 40, "max_target_length": 16, "max_summary_length": 16,
}
RELATION = "Question&Answer/Question/Yes-No"
SOCIAL = "Communication/Social/Social"


def session_record(i: int, *, annotated: bool = True) -> dict:
    record = {
        "session_id": f"s{i}", "shop": "fx", "product_id": "p1",
        "turns": [
            {"speaker": "A", "text": "您好，有什么可以帮您", "images": []},
            {"speaker": "Q", "text": f"这件衣服有色差#E-s57 {i}号", "images": [f"img{i}a"]},
            {"speaker": "A", "text": "亲，请问是哪个颜色呢", "images": []},
            {"speaker": "Q", "text": "红色那件", "images": []},
            {"speaker": "A", "text": "", "images": [f"img{i}b"]},
            {"speaker": "A", "text": "好的，给您登记退换", "images": []},
        ],
    }
    if annotated:
        record["annotations"] = {
            "rewrites": [{"turn": 1, "rewritable": True, "text": "红色外套有色差"},
                         {"turn": 3, "rewritable": False, "text": ""}],
            "discourse": {"relations": [{"x": 0, "y": 1, "type": RELATION}, {"x": 1, "y": 3, "type": SOCIAL},
                                        {"x": 3, "y": 4, "type": RELATION}]},
            "summary": "用户反馈色差，客服登记退换。",
            "image_categories": {f"img{i}a": "photo_damaged_appearance", f"img{i}b": "screenshot_product"},
        }
    return record


def write_corpus(root, n: int = 4) -> Corpus:
    """A native corpus of ``n`` annotated train sessions, real PNG images and a KB entry."""
    with CorpusWriter(root, name="tiny") as writer:
        for i in range(n):
            writer.add_session("train", Session.from_dict(session_record(i)))
            writer.add_image(f"img{i}a", Image.new("RGB", (40, 30), (60 * i % 255, 90, 200)))
            writer.add_image(f"img{i}b", Image.new("RGB", (30, 40), (250, 40 * i % 255, 10)))
        writer.add_kb(KBEntry("p1", "外套", [("外套", "颜色", "红色"), ("外套", "尺码", "L")]))
    return Corpus(root)


def build(corpus: Corpus, tasks=BUILTIN_TASKS, **overrides) -> tuple[MTDialogModel, object]:
    torch.manual_seed(0)
    return build_model_and_tokenizer({**copy.deepcopy(TINY_MODEL), **overrides}, corpus, tasks)


def save_checkpoint(root, name: str = "ckpt") -> Path:
    """A tiny model of every built-in task saved by the pipeline (weights, config, tokenizer, checksums)
    as ``root/name``, with its corpus in ``root/corpus``."""
    from mtdialog.pipeline import DialoguePipeline

    model, tokenizer = build(write_corpus(Path(root) / "corpus"))
    DialoguePipeline(model, tokenizer).save_pretrained(Path(root) / name)
    return Path(root) / name


def make_processor(model, tokenizer, corpus: Corpus, **kwargs) -> MTDialogProcessor:
    return MTDialogProcessor(tokenizer, model.config, kb=corpus.kb(), image_loader=image_loader(corpus), **kwargs)


def make_batch(task: str, model, tokenizer, corpus: Corpus, n: int = 3, **processor_kwargs) -> dict:
    processor = make_processor(model, tokenizer, corpus, **processor_kwargs)
    dataset = TaskDataset(task, processor, sessions=list(corpus.sessions("train")))
    return processor.collate([dataset[i] for i in range(min(n, len(dataset)))])


def write_real_recipe(path, corpus, out, **training) -> str:
    """A recipe training the project's model (test-sized) on ``corpus`` into ``out``."""
    recipe = {"model": copy.deepcopy(TINY_MODEL), "data": {"corpus": str(corpus)},
              "tasks": {t: {"batch_size": 2} for t in BUILTIN_TASKS},
              "training": {"output_dir": str(out), "steps": 4, "batch_size": 4, "log_every": 2, "eval_every": 2,
                           "save_every": 2, "warmup_new": 1, "lr_new": 1e-3, **training},
              "eval": {"max_sessions": 2, "batch_size": 8}}
    path.write_text(yaml.safe_dump(recipe, allow_unicode=True), encoding="utf-8")
    return str(path)
