"""Head kinds over the shared encoder states: a label for a span, and discourse parsing over EDUs.

Every head reads the encoder *memory* ``(B, M, H)`` (one row per example; for long sessions the
merged windows, see ``mtdialog.models.processing``) through token spans ``[start, end)`` and returns
an ``MTDialogOutput`` (with the loss when given labels). Tasks build them (``Task.build_head``); the
generation tasks share the decoder instead (``mtdialog.models.decoder``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from mtdialog.models.outputs import MTDialogOutput


def span_mean(memory: torch.Tensor, spans: torch.Tensor) -> torch.Tensor:
    """Mean of ``memory (B, M, H)`` over each span of ``spans (B, K, 2)`` -> ``(B, K, H)``.

    Empty (padding) spans give zeros.
    """
    positions = torch.arange(memory.shape[1], device=memory.device)
    inside = (positions >= spans[..., :1]) & (positions < spans[..., 1:])  # (B, K, M)
    weights = inside.to(memory.dtype)
    return weights @ memory / weights.sum(-1, keepdim=True).clamp(min=1)


class ClassificationHead(nn.Module):
    """Dropout -> dense -> tanh -> dropout -> linear (the BERT sequence-classification head)."""

    def __init__(self, in_dim: int, hidden: int, num_labels: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(nn.Dropout(dropout), nn.Linear(in_dim, hidden), nn.Tanh(),
                                 nn.Dropout(dropout), nn.Linear(hidden, num_labels))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


class SpanClassifier(nn.Module):
    """One label for one span of the memory: a classifier over the span's mean state, after the
    ``[CLS]`` state with ``with_cls`` (``[h_CLS ; span mean]``, e.g. a customer turn judged in context).

    ``forward(memory (B, M, H), spans (B, 2), labels (B,) = None)`` -> ``MTDialogOutput`` with
    ``logits (B, num_labels)`` and, given labels, the cross-entropy ``loss``.
    """

    def __init__(self, hidden: int, num_labels: int, dropout: float, *, with_cls: bool = False):
        super().__init__()
        self.with_cls = with_cls
        self.classifier = ClassificationHead((2 if with_cls else 1) * hidden, hidden, num_labels, dropout)

    def forward(self, memory: torch.Tensor, spans: torch.Tensor, labels: torch.Tensor | None = None
                ) -> MTDialogOutput:
        features = span_mean(memory, spans[:, None, :])[:, 0]
        if self.with_cls:
            features = torch.cat([memory[:, 0], features], dim=-1)
        logits = self.classifier(features)
        loss = F.cross_entropy(logits.float(), labels) if labels is not None else None
        return MTDialogOutput(loss=loss, logits=logits)


class DiscourseParser(nn.Module):
    """Dependency discourse parser over EDUs, in the spirit of Deep Sequential (Shi & Huang, 2019).

    EDU vectors (mean of their tokens) plus a speaker embedding go through a bidirectional GRU (the
    dialogue-level contextualiser). For each EDU ``y`` an MLP scores every earlier EDU ``x`` and a
    ROOT from ``[h_y, h_x, distance(y - x), same speaker]``, plus a learned scalar prior per
    (distance, same speaker) that starts at ``-log(distance)``, so an untrained parser already links
    each EDU to the previous one; a relation classifier labels the chosen pair. Candidates are indexed ``j = 0`` for ROOT and ``j = x + 1`` for EDU ``x``.

    Training: cross-entropy of the gold heads (an EDU with several gold heads maximises their total
    probability; one with none is linked to ROOT) plus cross-entropy of the gold relations.
    Decoding: the best-scoring head of each EDU and the best relation of that pair.
    """

    def __init__(self, hidden: int, num_relations: int, max_distance: int, dropout: float):
        super().__init__()
        if hidden % 2:
            raise ValueError(f"the discourse parser needs an even hidden size, got {hidden}")
        self.max_distance = max_distance
        self.speaker = nn.Embedding(2, hidden)
        self.contextualizer = nn.GRU(hidden, hidden // 2, batch_first=True, bidirectional=True)
        self.root = nn.Parameter(torch.zeros(hidden))
        self.distance = nn.Embedding(max_distance + 1, hidden)  # 0 = ROOT, d = distance d (clipped)
        self.same_speaker = nn.Embedding(3, hidden)  # 0 different, 1 same, 2 ROOT
        # A direct log-linear prior per (distance bucket, same speaker) on the link scores: most links
        # are local, a default the MLP alone learns only slowly (initialised by ``reset_prior``).
        self.link_prior = nn.Embedding(3 * (max_distance + 1), 1)
        self.dependent = nn.Linear(hidden, hidden)
        self.head = nn.Linear(hidden, hidden, bias=False)
        self.link_out = nn.Sequential(nn.Tanh(), nn.Dropout(dropout), nn.Linear(hidden, 1))
        self.relation = nn.Sequential(nn.Linear(5 * hidden, hidden), nn.Tanh(), nn.Dropout(dropout),
                                      nn.Linear(hidden, num_relations))
        self.dropout = nn.Dropout(dropout)

    def contextualize(self, memory: torch.Tensor, edu_spans: torch.Tensor, edu_speakers: torch.Tensor,
                      edu_mask: torch.Tensor) -> torch.Tensor:
        """EDU states ``(B, E, H)`` from spans ``(B, E, 2)``, speakers ``(B, E)`` (0 = Q, 1 = A), mask."""
        edus = span_mean(memory, edu_spans) + self.speaker(edu_speakers)
        lengths = edu_mask.sum(-1).clamp(min=1).cpu()
        packed = pack_padded_sequence(self.dropout(edus), lengths, batch_first=True, enforce_sorted=False)
        states, _ = pad_packed_sequence(self.contextualizer(packed)[0], batch_first=True,
                                        total_length=edus.shape[1])
        return states

    def pair_features(self, edu_speakers: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Distance buckets and same-speaker ids of every (y, j) pair ``(B, E, E+1)``, and the valid mask."""
        n = edu_speakers.shape[1]
        y = torch.arange(n, device=edu_speakers.device)[:, None]
        x = torch.arange(-1, n, device=edu_speakers.device)[None, :]  # candidate j -> EDU j - 1 (-1 = ROOT)
        is_root = (x < 0).expand(n, n + 1)
        distance = torch.where(is_root, 0, (y - x).clamp(1, self.max_distance))
        earlier = is_root | (x < y)
        speakers = torch.cat([edu_speakers[:, :1], edu_speakers], dim=1)  # (B, E+1), slot 0 unused
        same = (edu_speakers[:, :, None] == speakers[:, None, :]).long()
        same = torch.where(is_root, 2, same)
        return distance, same, earlier

    def forward(self, memory: torch.Tensor, edu_spans: torch.Tensor, edu_speakers: torch.Tensor,
                edu_mask: torch.Tensor, link_labels: torch.Tensor | None = None,
                relation_labels: torch.Tensor | None = None) -> MTDialogOutput:
        """``MTDialogOutput`` with ``loss`` (given the labels), ``link_logits (B, E, E+1)`` (also as
        ``logits``), ``relation_logits (B, E, R)`` at the predicted heads and ``heads (B, E)``, candidate
        indices (0 = ROOT, ``x + 1`` = EDU ``x``).

        ``link_labels (B, E, E+1)``: 1 for gold heads; ``relation_labels (B, E, E+1)``: gold relation
        ids of gold pairs, -100 elsewhere.
        """
        states = self.contextualize(memory, edu_spans, edu_speakers, edu_mask)
        candidates = torch.cat([self.root.expand(states.shape[0], 1, -1), states], dim=1)  # (B, E+1, H)
        distance, same, earlier = self.pair_features(edu_speakers)
        pair = (self.dependent(states)[:, :, None] + self.head(candidates)[:, None, :]
                + self.distance(distance) + self.same_speaker(same))
        valid = earlier & torch.cat([edu_mask.new_ones(edu_mask.shape[0], 1), edu_mask], 1)[:, None, :].bool()
        prior = self.link_prior(distance * 3 + same).squeeze(-1)
        link_logits = (self.link_out(pair).squeeze(-1) + prior).masked_fill(~valid, torch.finfo(pair.dtype).min)
        heads = link_logits.argmax(-1)
        relation_logits = self._relations(states, candidates, distance, same, heads)

        loss = None
        if link_labels is not None:
            rows = edu_mask.bool()
            gold = link_labels.bool() & valid
            log_probs = link_logits.log_softmax(-1)
            link_loss = -log_probs.masked_fill(~gold, torch.finfo(pair.dtype).min).logsumexp(-1)[rows].mean()
            loss = link_loss
            if relation_labels is not None and (relation_labels >= 0).any():
                b, y, j = (relation_labels >= 0).nonzero(as_tuple=True)
                pair_logits = self.relation(self._pair_vector(states[b, y], candidates[b, j],
                                                              distance[y, j], same[b, y, j]))
                loss = loss + F.cross_entropy(pair_logits, relation_labels[b, y, j])
        return MTDialogOutput(loss=loss, logits=link_logits, link_logits=link_logits,
                              relation_logits=relation_logits, heads=heads)

    @torch.no_grad()
    def reset_prior(self) -> None:
        """Start the link prior at ``-log(distance)`` (ROOT: ``-log(max_distance)``): nearer EDUs first."""
        distance = torch.arange(self.max_distance + 1, dtype=torch.float).repeat_interleave(3)
        distance[:3] = self.max_distance
        self.link_prior.weight.copy_(-distance.log()[:, None])

    def _pair_vector(self, dependent: torch.Tensor, head: torch.Tensor, distance: torch.Tensor,
                     same: torch.Tensor) -> torch.Tensor:
        return torch.cat([dependent, head, dependent * head, self.distance(distance), self.same_speaker(same)], -1)

    def _relations(self, states, candidates, distance, same, heads) -> torch.Tensor:
        chosen = candidates.gather(1, heads[..., None].expand(-1, -1, candidates.shape[-1]))
        n = states.shape[1]
        d = distance[torch.arange(n, device=heads.device), heads]
        s = same.gather(2, heads[..., None])[..., 0]
        return self.relation(self._pair_vector(states, chosen, d, s))


__all__ = ["ClassificationHead", "DiscourseParser", "SpanClassifier", "span_mean"]
