"""Rewritability classifiers (JDDC 2.1 Table 6): BERT (text-only) and TransResNet (multimodal).

Both read the query turn as BERT reads a sentence pair: ``[CLS]`` context ``[SEP]`` query ``[SEP]``
(segment 0 the context, cut from its end; segment 1 the query turn, images as ``[IMG]`` tokens), with
a BERT-style encoder built from a config over the system's characters.

* ``bert-classifier``: a linear layer over ``[CLS]``'s state -> 2 classes (BERT's sequence classifier).
* ``transresnet-classifier``: TransResNet's fusion (Shuster et al. 2020): the mean-pooled text
  encoding plus the image encoder's feature of the query turn's images (their mean; the context's last
  image when the turn has none), then an MLP -> 2 classes. With ``multimodal: false`` the image term is
  absent and only the text encoding is classified.

The encoders are the retrieval system's (:mod:`mtdialog.systems.retrieval`).
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from mtdialog.errors import ConfigError
from mtdialog.systems.base import PaperSystem, pad_ids
from mtdialog.systems.registry import register_system
from mtdialog.systems.retrieval import EncoderSettings, ImageEncoder, TextEncoder, last_image


@dataclass
class ClassifierSettings(EncoderSettings):
    """The encoder's size and the query turn's length cap (the rest of ``max_context`` is its context)."""

    max_query: int = field(default=64, metadata={"min": 1})


class RewritableClassifier(PaperSystem):
    """What both classifiers share: the sentence-pair input, the loss and the prediction."""

    tasks = ("rewritable",)
    Settings = ClassifierSettings

    def __init__(self, settings, inputs, task, recipe):
        super().__init__(settings, inputs, task, recipe)
        self.encoder = TextEncoder(settings, inputs, recipe.max_context)

    def pairs(self, examples) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(B, L)`` ids, mask and segment ids of ``[CLS]`` context ``[SEP]`` query ``[SEP]``."""
        sequences, segments = [], []
        for e in examples:
            turns = e.session.turns
            query = self.inputs.turn(turns[e.turn]).ids[:min(self.settings.max_query, self.recipe.max_context - 3)]
            room = self.recipe.max_context - len(query) - 3
            context = self.inputs.context(turns[:e.turn], room).ids if room > 0 else []
            sequences.append([self.inputs.cls, *context, self.inputs.sep, *query, self.inputs.sep])
            segments.append([0] * (len(context) + 2) + [1] * (len(query) + 1))
        ids, mask = pad_ids(sequences, self.inputs.pad)
        return ids, mask, pad_ids(segments, 0)[0]

    @abstractmethod
    def logits(self, examples) -> torch.Tensor:
        """``(B, 2)``: the scores of not rewritable / rewritable."""

    def loss(self, examples):
        gold = torch.tensor([int(self.task.gold(e)) for e in examples])
        return F.cross_entropy(self.logits(examples), gold)

    @torch.no_grad()
    def predict(self, examples, *, num_beams=1):
        return [bool(label) for label in self.logits(examples).argmax(-1).tolist()]


@register_system
class BertClassifier(RewritableClassifier):
    name = "bert-classifier"
    paper = "BERT (Devlin et al. 2019) over context + query, [CLS] -> linear; text only"

    def __init__(self, settings, inputs, task, recipe):
        if inputs.features is not None:
            raise ConfigError("bert-classifier is the text-only system of Table 6 (its multimodal counterpart is "
                              "transresnet-classifier): set multimodal: false", field="multimodal")
        super().__init__(settings, inputs, task, recipe)
        self.dropout = nn.Dropout(settings.dropout)
        self.head = nn.Linear(settings.hidden_size, 2)

    def logits(self, examples):
        ids, mask, types = self.pairs(examples)
        return self.head(self.dropout(self.encoder.states(ids, mask, types)[:, 0]))


@register_system
class TransResNetClassifier(RewritableClassifier):
    name = "transresnet-classifier"
    paper = ("TransResNet (Shuster et al. 2020, Image-Chat): BERT context encoding + encoded CNN feature of the "
             "query's images, summed, -> MLP")

    def __init__(self, settings, inputs, task, recipe):
        super().__init__(settings, inputs, task, recipe)
        hidden = settings.hidden_size
        self.image_encoder = ImageEncoder(inputs, hidden, settings.dropout) if self.multimodal else None
        self.head = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(settings.dropout),
                                  nn.Linear(hidden, 2))

    def query_images(self, example) -> list[str]:
        """The query turn's images, or the context's last image when the turn has none."""
        turns = example.session.turns
        return list(turns[example.turn].images) or [i for i in [last_image(turns[:example.turn])] if i]

    def logits(self, examples):
        encoded = self.encoder(*self.pairs(examples))
        if self.image_encoder is not None:
            encoded = encoded + self.image_encoder([self.query_images(e) for e in examples])
        return self.head(encoded)


__all__ = ["BertClassifier", "ClassifierSettings", "RewritableClassifier", "TransResNetClassifier"]
