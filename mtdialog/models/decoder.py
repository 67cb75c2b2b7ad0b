"""The shared generation decoder: a pre-LayerNorm Transformer decoder with cross-attention.

One decoder writes responses, rewrites and summaries; the first decoder token is the task's prompt
token (``[RESP]``, ``[REWRITE]``, ``[SUMM]``). It reads token embeddings from the text encoder's
embedding matrix and its logits are scored against that same matrix (see ``MTDialogModel``), so
encoder and decoder share one vocabulary and one embedding table.

Keys and values are cached in a ``transformers`` :class:`~transformers.EncoderDecoderCache` (self-
attention keys grow each step; cross-attention keys are computed once), which ``generate`` creates,
reorders for beam search and passes back in.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from transformers.cache_utils import EncoderDecoderCache

from mtdialog.models.configuration import MTDialogConfig


class Attention(nn.Module):
    """Multi-head attention; ``cross=True`` attends to the encoder memory instead of the prefix."""

    def __init__(self, hidden: int, heads: int, dropout: float, layer_idx: int, cross: bool):
        super().__init__()
        self.heads, self.dropout, self.layer_idx, self.cross = heads, dropout, layer_idx, cross
        self.query = nn.Linear(hidden, hidden)
        self.key_value = nn.Linear(hidden, 2 * hidden)
        self.out = nn.Linear(hidden, hidden)

    def _split(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, H) -> (B, heads, T, H / heads)
        return x.view(x.shape[0], x.shape[1], self.heads, -1).transpose(1, 2)

    def _keys_values(self, source: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k, v = self.key_value(source).chunk(2, dim=-1)
        return self._split(k), self._split(v)

    def forward(self, x: torch.Tensor, memory: torch.Tensor | None = None,
                memory_mask: torch.Tensor | None = None, cache: EncoderDecoderCache | None = None) -> torch.Tensor:
        """``x (B, T, H)``; ``memory (B, S, H)`` and ``memory_mask (B, S)`` for cross-attention."""
        q = self._split(self.query(x))
        if self.cross:
            if cache is not None and cache.is_updated.get(self.layer_idx):
                layer = cache.cross_attention_cache.layers[self.layer_idx]
                k, v = layer.keys, layer.values
            else:
                k, v = self._keys_values(memory)
                if cache is not None:
                    k, v = cache.cross_attention_cache.update(k, v, self.layer_idx)
                    cache.is_updated[self.layer_idx] = True
            mask = memory_mask[:, None, None, :].bool()
            if (beams := q.shape[0] // k.shape[0]) > 1:  # the beams of an example share its memory
                return self.out(_attend_per_example(q, k, v, mask, beams).transpose(1, 2).reshape(x.shape))
        else:
            k, v = self._keys_values(x)
            if cache is not None:
                k, v = cache.self_attention_cache.update(k, v, self.layer_idx)
            t, s = q.shape[2], k.shape[2]
            # Query i (absolute position s - t + i) sees keys 0 .. s - t + i; one new token sees everything.
            mask = None if t == 1 else torch.ones(t, s, dtype=torch.bool, device=x.device).tril(s - t)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.out(y.transpose(1, 2).reshape(x.shape))


def _attend_per_example(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor,
                        beams: int) -> torch.Tensor:
    """Cross-attention of ``q (B * beams, heads, T, d)`` to one memory per example, ``k``/``v (B, heads,
    S, d)``: each example's beams are queries of one attention call, so the memory is neither copied
    per beam nor read once per beam. Returns ``(B * beams, heads, T, d)``."""
    b, heads, t, d = q.shape
    grouped = q.view(k.shape[0], beams, heads, t, d).transpose(1, 2).reshape(k.shape[0], heads, beams * t, d)
    y = F.scaled_dot_product_attention(grouped, k, v, attn_mask=mask)
    return y.view(k.shape[0], heads, beams, t, d).transpose(1, 2).reshape(b, heads, t, d)


class DecoderLayer(nn.Module):
    """Pre-LN block: causal self-attention, cross-attention to the encoder memory, feed-forward."""

    def __init__(self, config: MTDialogConfig, layer_idx: int):
        super().__init__()
        hidden, heads, dropout = config.hidden_size, config.decoder_attention_heads, config.decoder_dropout
        self.self_norm = nn.LayerNorm(hidden)
        self.self_attn = Attention(hidden, heads, dropout, layer_idx, cross=False)
        self.cross_norm = nn.LayerNorm(hidden)
        self.cross_attn = Attention(hidden, heads, dropout, layer_idx, cross=True)
        self.ffn_norm = nn.LayerNorm(hidden)
        self.ffn = nn.Sequential(nn.Linear(hidden, config.decoder_ffn_dim), nn.GELU(),
                                 nn.Linear(config.decoder_ffn_dim, hidden))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, memory, memory_mask, cache):
        x = x + self.dropout(self.self_attn(self.self_norm(x), cache=cache))
        x = x + self.dropout(self.cross_attn(self.cross_norm(x), memory, memory_mask, cache))
        return x + self.dropout(self.ffn(self.ffn_norm(x)))


class GenerationDecoder(nn.Module):
    """``decoder_layers`` blocks over token embeddings plus learned positions.

    ``forward(inputs_embeds (B, T, H), memory (B, S, H), memory_mask (B, S), cache)`` returns
    the final normalised states ``(B, T, H)``; positions continue after the cached prefix.
    """

    def __init__(self, config: MTDialogConfig):
        super().__init__()
        self.positions = nn.Embedding(config.max_decoder_positions, config.hidden_size)
        self.dropout = nn.Dropout(config.decoder_dropout)
        self.layers = nn.ModuleList(DecoderLayer(config, i) for i in range(config.decoder_layers))
        self.norm = nn.LayerNorm(config.hidden_size)

    def forward(self, inputs_embeds: torch.Tensor, memory: torch.Tensor, memory_mask: torch.Tensor,
                cache: EncoderDecoderCache | None = None) -> torch.Tensor:
        past = cache.get_seq_length() if cache is not None else 0
        length = past + inputs_embeds.shape[1]
        if length > self.positions.num_embeddings:
            raise ValueError(f"decoder sequence of {length} tokens exceeds the {self.positions.num_embeddings} "
                             "decoder positions (lower max_new_tokens)")
        positions = torch.arange(past, length, device=inputs_embeds.device)
        x = self.dropout(inputs_embeds + self.positions(positions))
        for layer in self.layers:
            x = layer(x, memory, memory_mask, cache)
        return self.norm(x)


class PointerGenerator(nn.Module):
    """Copy mechanism of the pointer-generator network (See et al., 2017).

    The final distribution mixes the vocabulary distribution with a copy distribution, the attention
    of the decoder state over the copyable source tokens summed per token id:
    ``p(w) = g * p_vocab(w) + (1 - g) * sum_{i: x_i = w} a_i``, with the gate ``g`` computed from the
    state and its attention context. Rewrites, summaries and answers reuse the dialogue's and the
    KB's words, which a small decoder trained briefly cannot otherwise spell out.

    ``forward(states (B * beams, T, H), vocab_logits (B * beams, T, V), memory (B, M, H), token_ids
    (B, M), copyable (B, M), keys (B, M, H) | None)`` returns float32 log-probabilities ``(B * beams, T,
    V)`` (valid as logits for ``generate``); the beams of an example share its memory. ``keys`` are the memory's copy keys (``key(memory)``), which ``generate``
    computes once per call rather than at every step. Attention and the copy distribution are summed
    in float32 whatever the model's dtype (bf16 autocast or weights).
    """

    def __init__(self, hidden: int):
        super().__init__()
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.gate = nn.Linear(2 * hidden, 1)

    def forward(self, states: torch.Tensor, vocab_logits: torch.Tensor, memory: torch.Tensor,
                token_ids: torch.Tensor, copyable: torch.Tensor, keys: torch.Tensor | None = None) -> torch.Tensor:
        keys = self.key(memory) if keys is None else keys
        rows, steps = states.shape[:2]
        examples = memory.shape[0]  # beams of an example (rows // examples) share its memory
        queries = self.query(states).reshape(examples, -1, states.shape[-1])  # (B, beams * T, H)
        scores = (queries @ keys.transpose(1, 2)).float() / memory.shape[-1] ** 0.5
        attention = scores.masked_fill(~copyable[:, None, :], float("-inf")).softmax(-1).nan_to_num(0.0)
        context = (attention.to(memory.dtype) @ memory).to(states.dtype).reshape(states.shape)
        gate = torch.sigmoid(self.gate(torch.cat([states, context], dim=-1)).float())
        anything = copyable.any(-1).repeat_interleave(rows // examples)
        gate = torch.where(anything[:, None, None], gate, torch.ones_like(gate))  # nothing to copy
        copy = torch.zeros((examples, attention.shape[1], vocab_logits.shape[-1]), dtype=torch.float,
                           device=states.device).scatter_add_(
            -1, token_ids[:, None, :].expand(-1, attention.shape[1], -1), attention).reshape(rows, steps, -1)
        probs = gate * vocab_logits.float().softmax(-1) + (1 - gate) * copy
        return probs.clamp_min(1e-12).log()


__all__ = ["GenerationDecoder", "PointerGenerator"]
