"""Task datasets and their collation into model batches.

``TaskDataset(task, sessions, encoder)`` holds the examples of one task (``task_examples`` order) and
encodes each on access; ``collate(items)`` pads a list of items of one task into the tensors that
``MTDialogModel.forward`` takes, plus ``"task"``::

    input_ids, attention_mask (R, L)        encoder rows (R = B, or more for windowed sessions)
    pixel_values (N, 3, h, w) | image_features (N, T, F)      images in [IMG] order (multimodal; N may be 0)
    memory_index, memory_mask (B, M)        discourse / summary: each example's memory in the rows
    decoder_input_ids, labels (B, T)        response / rewrite / summary (prompt + target / target + EOS)
    turn_spans (B, 2), labels (B,)          rewritable
    image_spans (B, 2), labels (B,)         image_category
    edu_spans (B, E, 2), edu_speakers, edu_mask (B, E), link_labels, relation_labels (B, E, E+1)   discourse

Items encoded without targets (prediction) give the same batch without labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch.utils.data import Dataset

from mtdialog.data.encoding import SessionEncoder
from mtdialog.data.schema import Session
from mtdialog.data.tasks import task_examples


class TaskDataset(Dataset):
    """The examples of one ``task`` over ``sessions``, encoded by ``encoder`` when accessed.

    ``examples`` replaces the enumeration (e.g. prediction examples of unannotated sessions);
    ``with_targets=False`` encodes them without labels.
    """

    def __init__(self, task: str, sessions: Iterable[Session], encoder: SessionEncoder, *,
                 examples: Sequence | None = None, with_targets: bool = True):
        self.task, self.encoder, self.with_targets = task, encoder, with_targets
        self.examples = list(examples) if examples is not None else list(task_examples(task, sessions))

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.encoder.encode(self.task, self.examples[index], with_targets=self.with_targets)


def pad(sequences: Sequence[Sequence[int]], value: int) -> torch.Tensor:
    """Right-pad integer sequences into a ``(len(sequences), longest)`` long tensor."""
    out = torch.full((len(sequences), max(map(len, sequences), default=0)), value, dtype=torch.long)
    for i, seq in enumerate(sequences):
        out[i, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
    return out


def collate(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Pad items of one task (from :class:`TaskDataset`) into a model batch (see the module doc)."""
    task = items[0]["task"]
    if any(item["task"] != task for item in items):
        raise ValueError(f"a batch mixes tasks: {sorted({item['task'] for item in items})}")
    rows = [row for item in items for row in item["rows"]]
    input_ids = pad(rows, items[0]["pad_token_id"])
    batch: dict[str, Any] = {"task": task, "input_ids": input_ids, "attention_mask": pad([[1] * len(r) for r in rows], 0)}
    for key in ("pixel_values", "image_features"):
        tensors = [item[key] for item in items if key in item]
        if tensors:
            batch[key] = torch.cat(tensors)
    if "pixel_values" in batch and "image_features" in batch:
        raise ValueError("a batch mixes pixel_values and cached image_features")
    if items[0]["memory"] is not None:
        batch.update(_memory(items, input_ids.shape[1]))
    batch.update(_TASK_FIELDS[task](items))
    return batch


def _memory(items: Sequence[dict[str, Any]], row_length: int) -> dict[str, torch.Tensor]:
    """Flat indices into the padded ``(R, L)`` rows of each example's memory slots."""
    indices, first_row = [], 0
    for item in items:
        indices.append([(first_row + r) * row_length + p for r, p in item["memory"]])
        first_row += len(item["rows"])
    return {"memory_index": pad(indices, 0), "memory_mask": pad([[1] * len(i) for i in indices], 0)}


def _generation(items: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
    if "target" not in items[0]:
        return {}
    return {"decoder_input_ids": pad([[item["prompt"]] + item["target"] for item in items], items[0]["pad_token_id"]),
            "labels": pad([item["target"] + [item["eos_token_id"]] for item in items], -100)}


def _classification(span_key: str, out_key: str):
    def fields(items: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
        out = {out_key: torch.tensor([item[span_key] for item in items], dtype=torch.long)}
        if "label" in items[0]:
            out["labels"] = torch.tensor([item["label"] for item in items], dtype=torch.long)
        return out
    return fields


def _discourse(items: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
    n = max(len(item["edu_spans"]) for item in items)
    spans = torch.zeros(len(items), n, 2, dtype=torch.long)
    for b, item in enumerate(items):
        if item["edu_spans"]:
            spans[b, : len(item["edu_spans"])] = torch.tensor(item["edu_spans"])
    out = {"edu_spans": spans, "edu_speakers": pad([item["edu_speakers"] for item in items], 0),
           "edu_mask": pad([[1] * len(item["edu_spans"]) for item in items], 0)}
    if "heads" in items[0]:
        links = torch.zeros(len(items), n, n + 1, dtype=torch.long)
        relations = torch.full((len(items), n, n + 1), -100, dtype=torch.long)
        for b, item in enumerate(items):
            for y, heads in enumerate(item["heads"]):
                if not heads:
                    links[b, y, 0] = 1  # no gold head: linked to ROOT
                for j, label in heads:
                    links[b, y, j] = 1
                    relations[b, y, j] = label
        out["link_labels"], out["relation_labels"] = links, relations
    return out


_TASK_FIELDS = {
    "response": _generation, "rewrite": _generation, "summary": _generation,
    "rewritable": _classification("turn_span", "turn_spans"),
    "image_category": _classification("image_span", "image_spans"),
    "discourse": _discourse,
}

__all__ = ["TaskDataset", "collate", "pad"]
