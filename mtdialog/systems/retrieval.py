"""Retrieval (JDDC 2.1 Table 5): k-NN candidates from the training set, re-ranked by TransResNet.

A BERT-style encoder (built from a config over the system's characters) reads the context (its last
customer turn is the query) and mean-pools its states. The training examples' contexts, encoded the
same way and L2-normalised, form a faiss inner-product index; the responses of a query's
``text_neighbours`` nearest training contexts are its candidates. The multimodal variant adds the
responses of the ``image_neighbours`` training examples whose context's last image is nearest to the
query's last image (the frozen CNN's pooled features, a second faiss index). Every candidate is scored
by a TransResNet (Shuster et al. 2020, Image-Chat): the context encoding plus, when the context has an
image, that image's feature through a feed-forward image encoder, dotted with the candidate's
encoding by a second BERT-style encoder; it is trained with the other responses of the batch as
negatives. The prediction is the best-scoring candidate.

The indexes come from the trained encoder, so they are built at the first ``predict`` (and again after
any training step): the checkpoint keeps the training sessions' turns (text, not vectors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import faiss
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from transformers import BertConfig, BertModel

from mtdialog.data.schema import Turn
from mtdialog.errors import ConfigError
from mtdialog.systems.base import Inputs, PaperSystem, pad_ids
from mtdialog.systems.registry import register_system

ENCODE_BATCH = 64  # sequences per forward pass when the training contexts and candidates are encoded


@dataclass
class EncoderSettings:
    """A BERT-style encoder's size (the paper: BERT base, 12 layers of 768 with 12 heads)."""

    hidden_size: int = field(default=768, metadata={"min": 1})
    layers: int = field(default=12, metadata={"min": 1})
    heads: int = field(default=12, metadata={"min": 1})
    dropout: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})


def check_heads(settings: EncoderSettings) -> None:
    if settings.hidden_size % settings.heads:
        raise ConfigError(f"hidden_size {settings.hidden_size} is not a multiple of heads {settings.heads}",
                          field="model.heads")


class TextEncoder(nn.Module):
    """A BERT encoder from a config (no pretrained weights) over the system's characters; ``forward``
    mean-pools its states, as TransResNet's text encoders do."""

    def __init__(self, settings: EncoderSettings, inputs: Inputs, max_length: int):
        super().__init__()
        check_heads(settings)
        config = BertConfig(vocab_size=len(inputs), hidden_size=settings.hidden_size,
                            num_hidden_layers=settings.layers, num_attention_heads=settings.heads,
                            intermediate_size=4 * settings.hidden_size, hidden_dropout_prob=settings.dropout,
                            attention_probs_dropout_prob=settings.dropout, max_position_embeddings=max_length,
                            pad_token_id=inputs.pad)
        self.bert = BertModel(config, add_pooling_layer=False)

    def states(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, L, H)``: the last layer's states of ``ids (B, L)`` (``types``: BERT's segment ids)."""
        return self.bert(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, H)``: the mean of the states of the unmasked tokens of ``ids (B, L)``."""
        states = self.states(ids, mask, types)
        weights = mask.unsqueeze(-1).to(states.dtype)
        return (states * weights).sum(1) / weights.sum(1).clamp(min=1)


class ImageEncoder(nn.Module):
    """TransResNet's image encoder: a feed-forward net over the frozen CNN's pooled feature."""

    def __init__(self, inputs: Inputs, hidden: int, dropout: float):
        super().__init__()
        self.inputs, self.dim = inputs, inputs.features.dim
        self.net = nn.Sequential(nn.Linear(self.dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, hidden))

    def forward(self, groups: Sequence[Sequence[str]]) -> torch.Tensor:
        """``(B, H)``: for each group of image ids, their mean feature ``(F,)`` encoded; a zero row for
        a group without images (nothing is added to its context encoding)."""
        flat = [image for group in groups for image in group]
        features = self.inputs.image_features(flat) if flat else torch.zeros(0, self.dim)
        pooled = torch.zeros(len(groups), self.dim)
        start = 0
        for row, group in enumerate(groups):
            if group:
                pooled[row] = features[start:start + len(group)].mean(0)
            start += len(group)
        present = torch.tensor([bool(group) for group in groups], dtype=pooled.dtype).unsqueeze(-1)
        return self.net(pooled) * present


def last_image(turns: Sequence[Turn]) -> str | None:
    """The id of the last image sent in ``turns``, or None."""
    return next((image for turn in reversed(turns) for image in reversed(turn.images)), None)


def normalised(vectors: torch.Tensor) -> np.ndarray:
    """``(N, H)`` float32 rows of unit length: inner product is then cosine similarity."""
    array = np.ascontiguousarray(vectors.detach().float().numpy())
    faiss.normalize_L2(array)
    return array


@dataclass
class RetrievalSettings(EncoderSettings):
    """The encoders' size, the candidates' length cap and how many neighbours make the candidates."""

    max_candidate: int = field(default=64, metadata={"min": 1})  # candidate characters kept
    text_neighbours: int = field(default=40, metadata={"min": 1})  # nearest training contexts
    image_neighbours: int = field(default=10, metadata={"min": 1})  # nearest last images (multimodal)
    share_encoders: bool = False  # one BERT for contexts and candidates (TransResNet: two)


@dataclass
class Indexes:
    """The faiss indexes over the training examples: by context embedding, and by last image (the
    memory rows that have one, ``image_rows``); ``None`` for the text-only variant."""

    text: Any
    image: Any | None
    image_rows: np.ndarray


@register_system
class Retrieval(PaperSystem):
    name = "retrieval"
    tasks = ("response",)
    paper = ("k-NN retrieval over training contexts (faiss), re-ranked by TransResNet (Shuster et al. 2020, "
             "Image-Chat); images: CNN features of the last image")
    Settings = RetrievalSettings

    def __init__(self, settings, inputs, task, recipe):
        super().__init__(settings, inputs, task, recipe)
        length = max(recipe.max_context, settings.max_candidate)
        self.context_encoder = TextEncoder(settings, inputs, length)
        self.candidate_encoder = self.context_encoder if settings.share_encoders else TextEncoder(settings, inputs, length)
        self.image_encoder = ImageEncoder(inputs, settings.hidden_size, settings.dropout) if self.multimodal else None
        self.sessions: list[list[Turn]] = []  # the training sessions' turns, up to their last example
        self.memory: list[tuple[int, int]] = []  # each training example: (session, turn of its response)
        self._indexes: Indexes | None = None
        self._candidates: dict[str, torch.Tensor] = {}  # candidate encodings, for the current weights

    # ------------------------------------------------------------------ the training examples kept
    def prepare(self, examples, corpus):
        """Keep the training sessions' turns (up to their last example) and each example's place."""
        rows: dict[int, int] = {}  # id(session) -> its row in self.sessions
        sessions: list[list[Turn]] = []
        memory = []
        for example in examples:
            if id(example.session) not in rows:
                rows[id(example.session)] = len(sessions)
                sessions.append(example.session.turns)
            memory.append((rows[id(example.session)], example.turn))
        ends = [0] * len(sessions)
        for row, turn in memory:
            ends[row] = max(ends[row], turn + 1)
        self.sessions = [turns[:end] for turns, end in zip(sessions, ends)]
        self.memory = memory
        self._forget()

    def extra_state(self):
        return {"sessions": [[[t.speaker, t.text, t.images] for t in turns] for turns in self.sessions],
                "memory": [list(pair) for pair in self.memory]}

    def load_extra_state(self, state):
        try:
            self.sessions = [[Turn(speaker, text, list(images)) for speaker, text, images in turns]
                             for turns in state["sessions"]]
            self.memory = [(int(row), int(turn)) for row, turn in state["memory"]]
            for row, turn in self.memory:
                if min(row, turn) < 0 or self.sessions[row][turn].speaker != "A":
                    raise ValueError(f"memory row ({row}, {turn}) is not an agent turn")
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise ConfigError(f"not the retrieval memory this system saved ({type(e).__name__}: {e})",
                              field="extra.json") from None
        self._forget()

    def _forget(self) -> None:
        """Drop the indexes and candidate encodings: the encoders have changed (or the memory has)."""
        self._indexes, self._candidates = None, {}

    def response(self, row: int) -> str:
        session, turn = self.memory[row]
        return self.sessions[session][turn].text

    def memory_context(self, row: int) -> list[Turn]:
        session, turn = self.memory[row]
        return self.sessions[session][:turn]

    # ------------------------------------------------------------------ encoders
    def _context_ids(self, turns: Sequence[Turn]) -> list[int]:
        return self.inputs.context(turns, self.recipe.max_context).ids

    @torch.no_grad()
    def _encode(self, encoder: TextEncoder, sequences: Sequence[list[int]]) -> torch.Tensor:
        """``(N, H)``: ``encoder``'s pooled states of ``sequences``, in batches of similar length."""
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        out = torch.zeros(len(sequences), self.settings.hidden_size)
        for start in range(0, len(order), ENCODE_BATCH):
            rows = order[start:start + ENCODE_BATCH]
            ids, mask = pad_ids([sequences[i] for i in rows], self.inputs.pad)
            out[rows] = encoder(ids, mask)
        return out

    def embed_contexts(self, contexts: Sequence[Sequence[Turn]]) -> np.ndarray:
        """``(N, H)`` unit rows: the text encoder's pooled contexts, the space the k-NN search uses."""
        return normalised(self._encode(self.context_encoder, [self._context_ids(c) for c in contexts]))

    def image_vectors(self, images: Sequence[str]) -> np.ndarray:
        """``(N, F)`` unit rows: the images' pooled CNN features, the space the image search uses."""
        return normalised(self.inputs.image_features(list(images)))

    def encode_queries(self, contexts: Sequence[Sequence[Turn]]) -> torch.Tensor:
        """``(B, H)``: TransResNet's context side, the pooled context plus its last image encoded."""
        ids, mask = pad_ids([self._context_ids(c) for c in contexts], self.inputs.pad)
        encoded = self.context_encoder(ids, mask)
        if self.image_encoder is not None:
            encoded = encoded + self.image_encoder([[i] if (i := last_image(c)) else [] for c in contexts])
        return encoded

    def _candidate_ids(self, text: str) -> list[int]:
        return self.inputs.text(text, self.settings.max_candidate)

    # ------------------------------------------------------------------ training
    def loss(self, examples):
        """TransResNet's in-batch loss: each context's cross entropy over the ``(B, B)`` scores of the
        batch's responses, its own the target (the weights change, so the indexes are dropped)."""
        self._forget()
        queries = self.encode_queries([e.context for e in examples])
        ids, mask = pad_ids([self._candidate_ids(e.target) for e in examples], self.inputs.pad)
        scores = queries @ self.candidate_encoder(ids, mask).T  # (B, B): each context against each response
        targets = [e.target for e in examples]
        same = torch.tensor([[a == b for b in targets] for a in targets]) & ~torch.eye(len(examples), dtype=torch.bool)
        scores = scores.masked_fill(same, float("-inf"))  # another copy of the gold response is no negative
        return F.cross_entropy(scores, torch.arange(len(examples)))

    # ------------------------------------------------------------------ retrieval
    def indexes(self) -> Indexes:
        """The faiss indexes of the current weights (built now if the weights changed since)."""
        if self._indexes is not None:
            return self._indexes
        if not self.memory:
            raise ConfigError("the retrieval system has no training examples: train it or load a trained one",
                              field="extra.json")
        vectors = self.embed_contexts([self.memory_context(row) for row in range(len(self.memory))])
        text = faiss.IndexFlatIP(vectors.shape[1])
        text.add(vectors)
        image, image_rows = None, np.zeros(0, dtype=np.int64)
        if self.multimodal:
            last = [last_image(self.memory_context(row)) for row in range(len(self.memory))]
            image_rows = np.array([row for row, i in enumerate(last) if i], dtype=np.int64)
            if len(image_rows):
                features = self.image_vectors([last[row] for row in image_rows])
                image = faiss.IndexFlatIP(features.shape[1])
                image.add(features)
        self._indexes = Indexes(text, image, image_rows)
        return self._indexes

    def neighbours(self, contexts: Sequence[Sequence[Turn]]) -> tuple[list[list[int]], list[list[int]]]:
        """Memory rows nearest each context, best first: by context embedding (``text_neighbours``),
        and (multimodal, when the context has an image) by its last image (``image_neighbours``)."""
        indexes = self.indexes()
        k = min(self.settings.text_neighbours, indexes.text.ntotal)
        _, found = indexes.text.search(self.embed_contexts(contexts), k)
        by_text = [[int(r) for r in rows if r >= 0] for rows in found]
        by_image: list[list[int]] = [[] for _ in contexts]
        with_image = [(n, i) for n, c in enumerate(contexts) if (i := last_image(c))]
        if indexes.image is not None and with_image:
            k = min(self.settings.image_neighbours, indexes.image.ntotal)
            _, found = indexes.image.search(self.image_vectors([i for _, i in with_image]), k)
            for (n, _), rows in zip(with_image, found):
                by_image[n] = [int(indexes.image_rows[r]) for r in rows if r >= 0]
        return by_text, by_image

    def candidates(self, contexts: Sequence[Sequence[Turn]]) -> list[list[str]]:
        """Each context's candidate responses: its neighbours' gold responses, each text once."""
        by_text, by_image = self.neighbours(contexts)
        return [list(dict.fromkeys(self.response(r) for r in t + i)) for t, i in zip(by_text, by_image)]

    def _candidate_vectors(self, texts: Sequence[str]) -> torch.Tensor:
        """``(N, H)``: the candidate encoder's pooled ``texts`` (each encoded once per weights)."""
        new = [t for t in dict.fromkeys(texts) if t not in self._candidates]
        if new:
            self._candidates.update(zip(new, self._encode(self.candidate_encoder,
                                                          [self._candidate_ids(t) for t in new])))
        return torch.stack([self._candidates[t] for t in texts])

    @torch.no_grad()
    def scores(self, contexts: Sequence[Sequence[Turn]], candidates: Sequence[Sequence[str]]) -> list[torch.Tensor]:
        """TransResNet's score ``(C_i,)`` of each context's candidates."""
        queries = self.encode_queries(contexts)
        return [self._candidate_vectors(texts) @ query for query, texts in zip(queries, candidates)]

    @torch.no_grad()
    def predict(self, examples, *, num_beams=1):
        contexts = [e.context for e in examples]
        candidates = self.candidates(contexts)
        return [texts[int(s.argmax())] for texts, s in zip(candidates, self.scores(contexts, candidates))]


__all__ = ["EncoderSettings", "ImageEncoder", "Retrieval", "RetrievalSettings", "TextEncoder", "last_image"]
