"""Deep Sequential (JDDC 2.1 Table 8): Shi & Huang's discourse parser, EDU by EDU with a structured memory.

Each EDU is its speaker token and characters (capped at ``max_edu_chars``) through a bidirectional
GRU, its last states joined into ``e_j``; an image EDU is a bare ``[IMG]`` there, and in the
multimodal variant its CNN feature through a feed-forward layer instead. A dialogue-level GRU over the
EDU vectors gives the non-structured representation ``h_j``. The structured representation is built
EDU by EDU, one view per speaker role (Q, A; the paper's speaker highlighting): when EDU ``j`` attaches
to parent ``i`` with relation ``r``, ``g_j[s] = GRU_s(g_i[s], [emb(r); e_j])``, where ``GRU_s`` is the
*highlighted* cell for the view of ``j``'s own speaker and the *general* cell for the other; a parent
that is the root gives ``g_j[s] = GRU_s(0, [emb(none); e_j])``, and several parents sum.

For EDU ``j`` an MLP scores the root and every earlier EDU ``i`` within ``max_distance`` from
``[h_i; g_i[speaker_j]; e_j; h_j; f_ij]`` (``f_ij``: distance, same speaker, same turn, is root); a
second MLP over the same features labels the link. Training feeds the gold parents to the structured
encoder (teacher forcing): cross-entropy of the gold heads (several gold heads: their total
probability; none within ``max_distance``: the root) plus cross-entropy of each gold link's relation.
Prediction decodes greedily, EDU by EDU, with the predicted links and relations feeding ``g``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from mtdialog.data.labels import JDDC21_RELATIONS
from mtdialog.data.schema import EDU, Relation, parse_links
from mtdialog.errors import ConfigError, DataError
from mtdialog.systems.base import PaperSystem, pad_ids
from mtdialog.systems.registry import register_system

SPEAKER_VIEWS = {"Q": 0, "A": 1}  # the structured representation's speaker views (roles)
PAIR_FEATURES = 4  # distance / max_distance, same speaker, same turn, is root


@dataclass
class DeepSequentialSettings:
    """The paper's sizes: 256 hidden units, 100-d character and relation embeddings, dropout 0.5,
    candidate heads within 20 EDUs; ``dialogue_bidirectional``: the authors' code runs the
    dialogue-level GRU forward only (``False``)."""

    hidden: int = 256
    char_embedding: int = 100
    relation_embedding: int = 100
    dropout: float = 0.5
    max_edu_chars: int = 64
    max_distance: int = 20
    dialogue_bidirectional: bool = False


@dataclass
class _Batch:
    """A batch of sessions' EDUs: ``chars (N, L)`` of the ``N`` EDUs (``char_lengths (N,)``), their
    flat positions ``rows (N,)`` in ``(B, E)``, the image EDUs (``image_rows (M,)`` into ``N``, ``images``
    their ids), ``speakers``/``turns (B, E)`` and ``lengths (B,)``, the EDU count of each session."""

    chars: torch.Tensor
    char_lengths: torch.Tensor
    rows: torch.Tensor
    image_rows: torch.Tensor
    images: list[str]
    speakers: torch.Tensor
    turns: torch.Tensor
    lengths: torch.Tensor


@dataclass
class Parse:
    """What :meth:`DeepSequential.parse` returns: ``loss`` (with gold), ``relations`` (the decoded links
    of each session, without gold) and ``link_logits (B, E, E+1)`` (candidate 0 = root, ``x + 1`` = EDU ``x``;
    out-of-reach candidates at the dtype's minimum)."""

    loss: torch.Tensor | None
    relations: list[list[Relation]]
    link_logits: torch.Tensor


class PairMLP(nn.Module):
    """A one-hidden-layer MLP over ``[h_i; g_i; e_j; h_j; f_ij]`` whose first layer is split by block, so
    each block is projected once per EDU rather than once per pair (the same function as one
    ``Linear`` over the concatenation): ``out(tanh(candidate(h_i) + structured(g_i) + dependent([e_j; h_j])
    + features(f_ij)))``, hidden width ``2 * hidden`` as in the authors' code."""

    def __init__(self, hidden: int, out: int, dropout: float):
        super().__init__()
        self.candidate = nn.Linear(hidden, 2 * hidden)
        self.structured = nn.Linear(hidden, 2 * hidden, bias=False)
        self.dependent = nn.Linear(2 * hidden, 2 * hidden, bias=False)
        self.features = nn.Linear(PAIR_FEATURES, 2 * hidden, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(2 * hidden, out)

    def forward(self, summed: torch.Tensor) -> torch.Tensor:
        """``(..., out)`` from the sum of the block projections ``(..., 2 * hidden)``."""
        return self.out(self.dropout(torch.tanh(summed)))


@register_system
class DeepSequential(PaperSystem):
    name = "deep-sequential"
    tasks = ("discourse",)
    paper = ("Deep Sequential (Shi & Huang, AAAI 2019): EDU and dialogue GRUs, a speaker-highlighted structured "
             "GRU along the predicted links, greedy EDU-by-EDU link and relation; images as projected CNN features")
    Settings = DeepSequentialSettings

    def __init__(self, settings, inputs, task, recipe):
        super().__init__(settings, inputs, task, recipe)
        hidden = settings.hidden
        for key, value in (("hidden", hidden), ("char_embedding", settings.char_embedding),
                           ("relation_embedding", settings.relation_embedding),
                           ("max_edu_chars", settings.max_edu_chars), ("max_distance", settings.max_distance)):
            if value < 1:
                raise ConfigError(f"must be at least 1, got {value}", field=f"model.{key}")
        if hidden % 2:
            raise ConfigError(f"the bidirectional EDU encoder needs an even size, got {hidden}", field="model.hidden")
        if not 0 <= settings.dropout < 1:
            raise ConfigError(f"a dropout rate lies in [0, 1), got {settings.dropout}", field="model.dropout")
        self.embed = nn.Embedding(len(inputs), settings.char_embedding, padding_idx=inputs.pad)
        self.edu_encoder = nn.GRU(settings.char_embedding, hidden // 2, batch_first=True, bidirectional=True)
        self.image_edu = (nn.Sequential(nn.Linear(inputs.features.dim, hidden), nn.Tanh())
                          if self.multimodal else None)
        bidirectional = settings.dialogue_bidirectional
        self.dialogue = nn.GRU(hidden, hidden // 2 if bidirectional else hidden, batch_first=True,
                               bidirectional=bidirectional)
        self.root = nn.Parameter(torch.zeros(hidden))  # the root candidate's non-structured representation
        self.highlighted = nn.GRUCell(settings.relation_embedding + hidden, hidden)
        self.general = nn.GRUCell(settings.relation_embedding + hidden, hidden)
        self.link = PairMLP(hidden, 1, settings.dropout)
        self.relation = PairMLP(hidden, len(JDDC21_RELATIONS), settings.dropout)
        self.dropout = nn.Dropout(settings.dropout)
        self.labels: list[str] = []
        self._use_labels(JDDC21_RELATIONS)

    # ------------------------------------------------------------------------------------- labels
    def _use_labels(self, labels: Sequence[str]) -> None:
        """Size the relation classifier and embedding (one more: "none", a root parent's) for ``labels``."""
        if list(labels) == self.labels:
            return
        self.labels = list(labels)
        self.relation.out = nn.Linear(self.relation.out.in_features, len(labels))
        self.relation_embedding = nn.Embedding(len(labels) + 1, self.settings.relation_embedding)
        nn.init.zeros_(self.relation_embedding.weight)  # as the authors' code initialises it

    def prepare(self, examples, corpus):
        """Take the corpus's relation label set, and check every gold label against it now."""
        self._use_labels(corpus.relation_labels)
        for example in examples:
            self._gold_heads(example)

    def extra_state(self):
        return {"relation_labels": self.labels}

    def load_extra_state(self, state):
        labels = state.get("relation_labels")
        if not isinstance(labels, list) or not labels or not all(isinstance(label, str) for label in labels):
            raise ConfigError("the checkpoint's extra state has no relation label list", field="relation_labels")
        self._use_labels(labels)

    # -------------------------------------------------------------------------------------- inputs
    def _gold_heads(self, example) -> list[list[tuple[int, int]]]:
        """For each EDU ``y``, its gold ``(candidate, label id)`` pairs: the parse links within
        ``max_distance`` (candidate ``x + 1``)."""
        ids = {label: i for i, label in enumerate(self.labels)}
        heads: list[list[tuple[int, int]]] = [[] for _ in example.edus]
        for r in parse_links(example.relations):
            if r.type not in ids:
                raise DataError(f"label {r.type!r} (of the link {r.x} -> {r.y}) is not in the relation label set",
                                field=f"{example.session.session_id}: {self.task.annotation}")
            if r.y >= len(example.edus):
                raise DataError(f"the link {r.x} -> {r.y} is outside the session's {len(example.edus)} EDUs",
                                field=f"{example.session.session_id}: {self.task.annotation}")
            if r.y - r.x <= self.settings.max_distance:
                heads[r.y].append((r.x + 1, ids[r.type]))
        return heads

    def _edu_ids(self, edu: EDU) -> list[int]:
        speaker = self.inputs.speakers.get(edu.speaker, self.inputs.unk)
        if edu.image is not None:
            return [speaker, self.inputs.image]
        return [speaker, *self.inputs.text(edu.text, self.settings.max_edu_chars)]

    def _batch(self, examples: Sequence) -> _Batch:
        width = max((len(e.edus) for e in examples), default=0)
        ids, rows, image_rows, images, speakers, turns = [], [], [], [], [], []
        for b, example in enumerate(examples):
            for j, edu in enumerate(example.edus):
                if edu.image is not None:
                    image_rows.append(len(ids))
                    images.append(edu.image)
                ids.append(self._edu_ids(edu))
                rows.append(b * width + j)
            speakers.append([SPEAKER_VIEWS.get(edu.speaker, 0) for edu in example.edus])
            turns.append([edu.turn for edu in example.edus])
        chars, mask = pad_ids(ids, self.inputs.pad)
        return _Batch(chars, mask.sum(-1), torch.tensor(rows, dtype=torch.long),
                      torch.tensor(image_rows, dtype=torch.long), images, pad_ids(speakers, 0)[0], pad_ids(turns, -1)[0],
                      torch.tensor([len(e.edus) for e in examples], dtype=torch.long))

    # ------------------------------------------------------------------------------------ encoders
    def _encode(self, batch: _Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """EDU vectors ``e`` and non-structured representations ``h``, both ``(B, E, hidden)``."""
        size, width = len(batch.lengths), batch.speakers.shape[1]
        chars = self.dropout(self.embed(batch.chars))
        packed = pack_padded_sequence(chars, batch.char_lengths, batch_first=True, enforce_sorted=False)
        last = self.edu_encoder(packed)[1]  # (2, N, hidden / 2): the last state of each direction
        edus = torch.cat([last[0], last[1]], -1)
        if self.image_edu is not None and batch.images:
            features = self.inputs.image_features(batch.images).to(edus.dtype)
            edus = edus.index_put((batch.image_rows,), self.image_edu(features))
        e = edus.new_zeros(size * width, edus.shape[-1]).index_copy(0, batch.rows, edus).view(size, width, -1)
        packed = pack_padded_sequence(self.dropout(e), batch.lengths.clamp(min=1), batch_first=True,
                                      enforce_sorted=False)
        h = pad_packed_sequence(self.dialogue(packed)[0], batch_first=True, total_length=width)[0]
        return e, h

    def _pair_features(self, batch: _Batch, j: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The features ``(B, j+1, 4)`` of EDU ``j``'s candidates (root, EDUs ``0..j-1``) and which of them
        are within reach ``(j+1,)``."""
        size, limit = len(batch.lengths), self.settings.max_distance
        distance = j - torch.arange(-1, j)
        distance[0] = 0
        is_root = torch.zeros(j + 1)
        is_root[0] = 1
        none = torch.zeros(size, 1)
        same_speaker = torch.cat([none, (batch.speakers[:, :j] == batch.speakers[:, j:j + 1]).float()], 1)
        same_turn = torch.cat([none, (batch.turns[:, :j] == batch.turns[:, j:j + 1]).float()], 1)
        features = torch.stack([(distance.clamp(max=limit) / limit).expand(size, -1), same_speaker, same_turn,
                                is_root.expand(size, -1)], -1)
        return features, (distance <= limit) | (is_root > 0)

    def _structured(self, g: torch.Tensor, rows: torch.Tensor, parents: torch.Tensor, labels: torch.Tensor,
                    e_j: torch.Tensor, speaker: torch.Tensor) -> torch.Tensor:
        """EDU ``j``'s structured representation ``(B, 2, hidden)``: for each link ``rows[k]`` (session) ->
        ``parents[k]`` (candidate) with relation ``labels[k]``, both speaker views of the parent's ``g``
        ``(B, j+1, 2, hidden)`` through the highlighted cell (the view of ``j``'s speaker) or the general
        one, summed over the links of a session."""
        x = self.dropout(torch.cat([self.relation_embedding(labels), e_j[rows]], -1))
        own = speaker[rows]
        previous = g[rows, parents]  # (K, 2, hidden)
        arange = torch.arange(len(rows))
        highlighted = self.highlighted(x, previous[arange, own])
        general = self.general(x, previous[arange, 1 - own])
        views = torch.stack([torch.where((own == view)[:, None], highlighted, general) for view in (0, 1)], 1)
        return g.new_zeros(g.shape[0], 2, g.shape[-1]).index_add(0, rows, views)

    # ------------------------------------------------------------------------------------- parsing
    def parse(self, examples: Sequence, *, gold: bool) -> Parse:
        """Parse the sessions of ``examples`` EDU by EDU: with ``gold``, along the gold links (teacher
        forcing) for the loss; without, greedily along the predicted links."""
        batch = self._batch(examples)
        size, width = batch.speakers.shape
        hidden = self.settings.hidden
        relations: list[list[Relation]] = [[] for _ in examples]
        if width == 0:
            return Parse(self.root.sum() * 0 if gold else None, relations, torch.zeros(size, 0, 1))
        e, h = self._encode(batch)
        candidates = torch.cat([self.root.expand(size, 1, hidden), h], 1)  # (B, E+1, hidden)
        dependents = torch.cat([e, h], -1)
        link_candidate, relation_candidate = self.link.candidate(candidates), self.relation.candidate(candidates)
        link_dependent, relation_dependent = self.link.dependent(dependents), self.relation.dependent(dependents)
        g = h.new_zeros(size, 1, 2, hidden)  # candidate 0, the root: no structure
        link_g, relation_g = self.link.structured(g), self.relation.structured(g)
        if gold:
            heads = torch.zeros(size, width, width + 1, dtype=torch.bool)
            head_labels = torch.full((size, width, width + 1), len(self.labels), dtype=torch.long)
            for b, example in enumerate(examples):
                for y, pairs in enumerate(self._gold_heads(example)):
                    for candidate, label in pairs:
                        heads[b, y, candidate], head_labels[b, y, candidate] = True, label
        rows = torch.arange(size)
        floor = torch.finfo(h.dtype).min
        all_logits, link_losses, relation_scores, relation_gold = [], [], [], []
        for j in range(width):
            active = batch.lengths > j
            features, reach = self._pair_features(batch, j)
            speaker = batch.speakers[:, j]
            logits = self.link(link_candidate[:, :j + 1] + link_g[rows, :, speaker] + link_dependent[:, j, None]
                               + self.link.features(features)).squeeze(-1).masked_fill(~reach, floor)
            all_logits.append(nn.functional.pad(logits, (0, width - j), value=floor))
            if gold:
                chosen = heads[:, j, :j + 1].clone()
                chosen[:, 0] |= ~chosen.any(-1)  # no gold head in reach: the root
                link_losses.append((logits.logsumexp(-1) - logits.masked_fill(~chosen, floor).logsumexp(-1))[active])
                link_rows, parents = (chosen & active[:, None]).nonzero(as_tuple=True)
                labels = head_labels[link_rows, j, parents]
                pair = parents > 0
                r, p = link_rows[pair], parents[pair]
                relation_scores.append(relation_candidate[r, p] + relation_g[r, p, speaker[r]]
                                       + relation_dependent[r, j] + self.relation.features(features[r, p]))
                relation_gold.append(labels[pair])
            else:
                parents = logits.argmax(-1)
                scores = self.relation(relation_candidate[rows, parents] + relation_g[rows, parents, speaker]
                                       + relation_dependent[:, j] + self.relation.features(features[rows, parents]))
                labels = scores.argmax(-1).masked_fill(parents == 0, len(self.labels))
                for b in (active & (parents > 0)).nonzero().flatten().tolist():
                    relations[b].append(Relation(int(parents[b]) - 1, j, self.labels[int(labels[b])]))
                link_rows = rows
            new = self._structured(g, link_rows, parents, labels, e[:, j], speaker)[:, None]
            g = torch.cat([g, new], 1)
            link_g = torch.cat([link_g, self.link.structured(new)], 1)
            relation_g = torch.cat([relation_g, self.relation.structured(new)], 1)
        loss = None
        if gold:
            loss = torch.cat(link_losses).mean()
            scores = torch.cat(relation_scores)
            if len(scores):
                loss = loss + nn.functional.cross_entropy(self.relation(scores), torch.cat(relation_gold))
        return Parse(loss, relations, torch.stack(all_logits, 1))

    def loss(self, examples):
        return self.parse(examples, gold=True).loss

    @torch.no_grad()
    def predict(self, examples, *, num_beams=1):
        """Greedy EDU-by-EDU decoding (``num_beams`` is not used: the paper decodes greedily)."""
        return self.parse(examples, gold=False).relations
