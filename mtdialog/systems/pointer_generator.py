"""Pointer-generator (JDDC 2.1 Table 9): See et al. 2017, "Get To The Point: Summarization with
Pointer-Generator Networks", over the characters of the whole session.

The source is the session: each turn's ``[Q]``/``[A]``, its characters and an ``[IMG]`` per image, cut
to its first ``max_context`` tokens (the paper keeps an article's first 400 words). A bidirectional LSTM
encodes it; its final states, reduced by a ReLU layer, start a one-layer LSTM decoder. At step t the
attention ``a = softmax(v . tanh(W_h h_i + W_s s_t + w_c c_i + b))`` over the encoder states gives the
context vector ``h*``; ``P_vocab = softmax(V'(V[s_t; h*] + b) + b')`` and the generation probability
``p_gen = sigmoid(w_h* h* + w_s s_t + w_x x_t + b)`` mix it with the copy distribution:
``P(w) = p_gen P_vocab(w) + (1 - p_gen) sum_{i: w_i = w} a_i``. Source and summary share one character
vocabulary, so copying needs no per-article extended vocabulary: a character the training corpus never
showed is ``[UNK]`` on both sides. Coverage ``c = sum of the earlier steps' attention`` enters the
attention and the loss adds ``lambda sum_i min(a_i, c_i)``, for the whole run or (as in the paper) its
last part. The multimodal variant adds each image's projected CNN feature to its ``[IMG]`` token's
encoder input. Summaries are decoded by beam search, hypotheses ranked by mean log-probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from mtdialog.errors import ConfigError
from mtdialog.systems.base import ImageSlots, PaperSystem, pad_ids
from mtdialog.systems.registry import register_system


@dataclass
class PointerGeneratorSettings:
    """See et al.'s sizes (hidden 256, embedding 128), the coverage loss (weight 1, switched on for the
    last ``1 - coverage_from`` of training: the paper's 3k of 233k steps) and the summary's length cap."""

    hidden_size: int = field(default=256, metadata={"min": 1})
    embedding_size: int = field(default=128, metadata={"min": 1})
    coverage: bool = True
    coverage_loss_weight: float = field(default=1.0, metadata={"min": 0.0})
    coverage_from: float = field(default=0.987, metadata={"min": 0.0, "max": 1.0})  # fraction of the steps
    max_summary_length: int = field(default=100, metadata={"min": 1})  # characters


@dataclass
class Memory:
    """The encoded sources: states ``(B, L, 2H)``, their attention keys ``W_h h_i`` ``(B, L, 2H)``, the
    mask of real tokens ``(B, L)`` and the source ids ``(B, L)`` the copy distribution lands on."""

    states: torch.Tensor
    keys: torch.Tensor
    mask: torch.Tensor
    source: torch.Tensor

    def row(self, i: int) -> Memory:
        """Example ``i`` alone, without padding (batch 1: it broadcasts over a beam)."""
        n = int(self.mask[i].sum())
        return Memory(self.states[i:i + 1, :n], self.keys[i:i + 1, :n], self.mask[i:i + 1, :n],
                      self.source[i:i + 1, :n])


@dataclass
class Decoded:
    """``T`` decoder steps: final distributions ``(B, T, V)``, attention ``(B, T, L)``, the coverage each
    step saw ``(B, T, L)`` (None without coverage), ``p_gen`` ``(B, T, 1)``, and the LSTM state and
    coverage ``(B, L)`` after the last step."""

    probs: torch.Tensor
    attention: torch.Tensor
    coverage_seen: torch.Tensor | None
    p_gen: torch.Tensor
    state: tuple[torch.Tensor, torch.Tensor]
    coverage: torch.Tensor | None


def final_distribution(vocab: torch.Tensor, attention: torch.Tensor, p_gen: torch.Tensor,
                       source: torch.Tensor) -> torch.Tensor:
    """``p_gen P_vocab + (1 - p_gen) copy`` ``(B, T, V)`` from ``vocab (B, T, V)``, ``attention (B, T, L)``,
    ``p_gen (B, T, 1)`` and ``source (B, L)``: each source position's attention lands on its token."""
    copy = torch.zeros_like(vocab).scatter_add_(-1, source[:, None].expand(attention.shape), attention)
    return p_gen * vocab + (1 - p_gen) * copy


@register_system
class PointerGenerator(PaperSystem):
    name = "pointer-generator"
    tasks = ("summary",)
    paper = ("Pointer-generator with coverage (See et al. 2017): BiLSTM over the session's characters, LSTM "
             "decoder, attention, copy by p_gen; images as projected CNN features")
    Settings = PointerGeneratorSettings

    def __init__(self, settings, inputs, task, recipe):
        super().__init__(settings, inputs, task, recipe)
        e, h = settings.embedding_size, settings.hidden_size
        self.embedding = nn.Embedding(len(inputs), e, padding_idx=inputs.pad)  # shared by encoder and decoder
        self.slots = ImageSlots(inputs.features.dim, e, inputs.image) if self.multimodal else None
        self.encoder = nn.LSTM(e, h, batch_first=True, bidirectional=True)
        self.reduce = nn.ModuleList([nn.Linear(2 * h, h), nn.Linear(2 * h, h)])  # (h, c) of both directions
        self.decoder = nn.LSTM(e, h, batch_first=True)
        self.w_h = nn.Linear(2 * h, 2 * h, bias=False)
        self.w_s = nn.Linear(h, 2 * h)
        self.w_c = nn.Linear(1, 2 * h, bias=False)
        nn.init.zeros_(self.w_c.weight)  # coverage changes nothing until trained (it is switched on late)
        self.v = nn.Linear(2 * h, 1, bias=False)
        self.vocab = nn.Sequential(nn.Linear(3 * h, h), nn.Linear(h, len(inputs)))
        self.p_gen = nn.Linear(2 * h + h + e, 1)
        self.steps_done = 0  # training steps seen: coverage comes on at coverage_from of them

    def _sources(self, examples) -> tuple[list[list[int]], list[str]]:
        """Each session's first ``max_context`` tokens, and the images of their ``[IMG]`` tokens in order."""
        sources = [self.inputs.context(e.context, self.recipe.max_context, keep="first") for e in examples]
        return [s.ids for s in sources], [image for s in sources for image in s.images]

    def encode(self, examples) -> tuple[Memory, tuple[torch.Tensor, torch.Tensor]]:
        """The sessions' encoder memory and the decoder's first state ``(1, B, H)`` twice."""
        device = self.embedding.weight.device
        sources, images = self._sources(examples)
        source, mask = (t.to(device) for t in pad_ids(sources, self.inputs.pad))
        x = self.embedding(source)
        if self.slots is not None:
            x = self.slots(x, source, self.inputs.image_features(images).to(device))
        lengths = mask.sum(1).cpu()
        packed, (h, c) = self.encoder(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        states, _ = pad_packed_sequence(packed, batch_first=True, total_length=source.size(1))
        state = tuple(torch.relu(r(torch.cat([s[0], s[1]], -1)))[None] for r, s in zip(self.reduce, (h, c)))
        return Memory(states, self.w_h(states), mask.bool(), source), state

    def attend(self, s: torch.Tensor, memory: Memory, coverage: torch.Tensor | None
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attention ``(B, L)`` of decoder state ``s (B, H)`` over ``memory`` and its context ``(B, 2H)``."""
        features = memory.keys + self.w_s(s)[:, None]
        if coverage is not None:
            features = features + self.w_c(coverage[..., None])
        scores = self.v(torch.tanh(features)).squeeze(-1).masked_fill(~memory.mask, float("-inf"))
        attention = scores.softmax(-1)
        return attention, (attention[:, None] @ memory.states).squeeze(1)

    def decode(self, inputs: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], memory: Memory,
               coverage: torch.Tensor | None) -> Decoded:
        """Decoder steps over ``inputs (B, T)`` (the previous tokens) from ``state``; ``coverage (B, L)``
        (None: no coverage) is what the earlier steps' attention summed to."""
        x = self.embedding(inputs)
        s, state = self.decoder(x, state)
        attentions, seen, contexts = [], [], []
        for t in range(inputs.size(1)):  # coverage makes each step's attention depend on the ones before
            attention, context = self.attend(s[:, t], memory, coverage)
            if coverage is not None:
                seen.append(coverage)
                coverage = coverage + attention
            attentions.append(attention)
            contexts.append(context)
        attention, context = torch.stack(attentions, 1), torch.stack(contexts, 1)
        vocab = self.vocab(torch.cat([s, context], -1)).softmax(-1)
        p_gen = torch.sigmoid(self.p_gen(torch.cat([context, s, x], -1)))
        return Decoded(final_distribution(vocab, attention, p_gen, memory.source), attention,
                       torch.stack(seen, 1) if seen else None, p_gen, state, coverage)

    def _coverage_now(self) -> bool:
        """Coverage at predict time when trained with it; in training from ``coverage_from`` of the steps."""
        if not self.settings.coverage or not self.training:
            return self.settings.coverage
        return self.steps_done >= self.settings.coverage_from * self.recipe.training.steps

    def loss(self, examples):
        """Mean per-example negative log-likelihood of the summary (and ``[EOS]``) plus the coverage loss."""
        with_coverage = self._coverage_now()
        if self.training:
            self.steps_done += 1
        memory, state = self.encode(examples)
        device = memory.source.device
        targets = [self.inputs.text(e.target, self.settings.max_summary_length) + [self.inputs.eos]
                   for e in examples]
        inputs, _ = pad_ids([[self.inputs.bos, *t[:-1]] for t in targets], self.inputs.pad)
        gold, mask = (t.to(device) for t in pad_ids(targets, self.inputs.pad))
        coverage = torch.zeros(memory.mask.shape, device=device) if with_coverage else None
        d = self.decode(inputs.to(device), state, memory, coverage)
        step_loss = -d.probs.gather(-1, gold[..., None]).squeeze(-1).clamp_min(1e-12).log()
        if d.coverage_seen is not None:
            step_loss = step_loss + self.settings.coverage_loss_weight * torch.minimum(
                d.attention, d.coverage_seen).sum(-1)
        return ((step_loss * mask).sum(1) / mask.sum(1)).mean()

    @torch.no_grad()
    def beam_search(self, memory: Memory, state: tuple[torch.Tensor, torch.Tensor], num_beams: int) -> list[int]:
        """The best summary's ids (without ``[EOS]``) of one example (``memory`` of batch 1), hypotheses
        ranked by mean log-probability per generated token as the paper's code ranks them."""
        tokens: list[list[int]] = [[]]
        scores = torch.zeros(1, device=memory.source.device)
        coverage = torch.zeros(memory.mask.shape, device=scores.device) if self.settings.coverage else None
        finished: list[tuple[float, list[int]]] = []
        for _ in range(self.settings.max_summary_length):
            last = torch.tensor([[t[-1] if t else self.inputs.bos] for t in tokens], device=scores.device)
            d = self.decode(last, state, memory, coverage)
            candidates = (scores[:, None] + d.probs[:, 0].clamp_min(1e-12).log()).flatten()
            top = candidates.topk(min(2 * num_beams, len(candidates)))
            alive: list[tuple[int, int, float]] = []
            for score, index in zip(top.values.tolist(), top.indices.tolist()):
                beam, token = divmod(index, d.probs.size(-1))
                if token == self.inputs.eos:
                    finished.append((score / (len(tokens[beam]) + 1), tokens[beam]))
                else:
                    alive.append((beam, token, score))
                if len(alive) == num_beams or len(finished) >= num_beams:
                    break
            if len(finished) >= num_beams or not alive:
                break
            beams = torch.tensor([b for b, _, _ in alive], device=scores.device)
            tokens = [tokens[b] + [token] for b, token, _ in alive]
            scores = torch.tensor([score for _, _, score in alive], device=scores.device)
            state = (d.state[0][:, beams], d.state[1][:, beams])
            coverage = d.coverage[beams] if d.coverage is not None else None
        if not finished:  # none ended within max_summary_length: the paper's code keeps the open ones
            finished = [(float(s) / len(t), t) for s, t in zip(scores, tokens)]
        return max(finished, key=lambda f: f[0])[1]

    @torch.no_grad()
    def predict(self, examples, *, num_beams=1):
        if num_beams < 1:
            raise ConfigError(f"must be at least 1, got {num_beams}", field="num_beams")
        if not examples:
            return []
        memory, state = self.encode(examples)
        return [self.inputs.decode(self.beam_search(memory.row(i), (state[0][:, i:i + 1], state[1][:, i:i + 1]),
                                                    num_beams)) for i in range(len(examples))]
