"""One prediction call's encoder work, done once for every task that reads the same input.

The tasks of a session often read the same encoder input: the rewritability and the rewrite of a
turn, the discourse and the summary of a session (its windows), an image's category and its turn's
rewritability. :class:`SharedEncoding` runs the dialogue encoder once per distinct input (its token
rows, memory layout and images) and the visual backbone once per distinct image (or reads the frozen
backbone's feature cache, where the processor has one), and hands each task's batch the encoder outputs it needs. It lives for one
:class:`~mtdialog.pipeline.DialoguePipeline` call; ``tokens`` and ``images`` count the work it did.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from mtdialog.models.outputs import DialogueEncoderOutput
from mtdialog.models.processing import MTDialogProcessor, collate_encoder

#: What makes two items' encoder outputs the same: token rows, memory layout, image ids.
Key = tuple


def encoder_key(item: dict[str, Any]) -> Key:
    """The encoder input of an item from ``MTDialogProcessor.encode``, hashable."""
    memory = None if item["memory"] is None else tuple(item["memory"])
    return tuple(map(tuple, item["rows"])), memory, tuple(item["images"])


def to_model(batch: dict[str, Any], model: torch.nn.Module) -> dict[str, Any]:
    """``batch`` with its tensors on the model's device, floating ones in the model's dtype."""
    device, dtype = model.device, model.dtype
    return {k: (v.to(device, dtype) if v.is_floating_point() else v.to(device)) if torch.is_tensor(v) else v
            for k, v in batch.items()}


class SharedEncoding:
    """Encoder outputs by encoder input, computed on first request (``batch_size`` inputs at a time).

    ``tokens``: text-encoder tokens run (padding excluded); ``images``: images through the backbone;
    ``requested``: the tokens of every item asked for, what encoding each task's batch for itself costs.
    """

    def __init__(self, model: torch.nn.Module, processor: MTDialogProcessor, batch_size: int):
        self.model, self.processor, self.batch_size = model, processor, batch_size
        self._memory: dict[Key, tuple[torch.Tensor, torch.Tensor]] = {}  # -> states (M, H), token ids (M,)
        self._features: dict[str, torch.Tensor] = {}  # image id -> backbone features (T, F)
        self.tokens = self.images = self.requested = 0

    def outputs(self, items: Sequence[dict[str, Any]]) -> DialogueEncoderOutput:
        """The encoder outputs of ``items`` (encoded with ``with_images=False``): memory ``(B, M, H)``
        right-padded with zeros, its mask and its token ids, as ``DialogueEncoder`` gives them."""
        keys = [encoder_key(item) for item in items]
        self.requested += sum(len(row) for item in items for row in item["rows"])
        todo = {key: item for key, item in zip(keys, items) if key not in self._memory}
        todo = sorted(todo.items(), key=lambda pair: sum(map(len, pair[1]["rows"])))  # less padding
        for start in range(0, len(todo), self.batch_size):
            self._encode(todo[start:start + self.batch_size])
        states, ids = zip(*(self._memory[key] for key in keys))
        longest = max(len(s) for s in states)
        memory = states[0].new_zeros(len(items), longest, states[0].shape[-1])
        mask = torch.zeros(len(items), longest, dtype=torch.long, device=memory.device)
        token_ids = torch.full_like(mask, self.processor.pad)
        for b, (s, i) in enumerate(zip(states, ids)):
            memory[b, : len(s)], mask[b, : len(s)], token_ids[b, : len(s)] = s, 1, i
        return DialogueEncoderOutput(last_hidden_state=memory, attention_mask=mask, token_ids=token_ids)

    def _encode(self, todo: list[tuple[Key, dict[str, Any]]]) -> None:
        # every item as a memory over its rows (a single row is its own memory), so one batch takes both
        items = [item if item["memory"] is not None else {**item, "memory": [(0, p) for p in range(len(item["rows"][0]))]}
                 for _, item in todo]
        batch = collate_encoder(items)
        if not self.model.text_only:
            ids = [i for item in items for i in item["images"]]
            # no images: the empty input a training batch has (the backbone's or the cache's kind)
            batch.update({"image_features": self.image_features(ids)} if ids else self.processor.image_inputs([]))
        out = self.model.encoder(**to_model(batch, self.model))
        for b, ((key, _), item) in enumerate(zip(todo, items)):
            n = len(item["memory"])
            self._memory[key] = (out.last_hidden_state[b, :n], out.token_ids[b, :n])
        self.tokens += int(batch["attention_mask"].sum())

    def image_features(self, image_ids: Sequence[str]) -> torch.Tensor:
        """Backbone features ``(N, T, F)`` of ``image_ids``; each distinct image is computed once."""
        vision, cache = self.model.encoder.vision, self.processor.feature_cache
        missing = list(dict.fromkeys(i for i in image_ids if i not in self._features))
        if cache is not None:  # a frozen backbone's features computed before (in training: validation)
            self._features.update((i, cache.get(i).to(self.model.device, self.model.dtype)) for i in missing if i in cache)
            missing = [i for i in missing if i not in self._features]
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start:start + self.batch_size]
            pixels = self.processor.pixel_values(chunk).to(self.model.device, self.model.dtype)
            self._features.update(zip(chunk, vision.features(pixels)))
            self.images += len(chunk)
        return torch.stack([self._features[i] for i in image_ids])


__all__ = ["SharedEncoding", "encoder_key", "to_model"]
