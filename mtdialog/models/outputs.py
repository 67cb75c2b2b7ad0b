"""Output types of the multitask model (``ModelOutput`` dataclasses; shapes in the docstrings)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers.modeling_outputs import BaseModelOutput, Seq2SeqLMOutput


@dataclass
class DialogueEncoderOutput(BaseModelOutput):
    r"""
    What the dialogue encoder gives the heads and the decoder.

    last_hidden_state (`torch.FloatTensor` of shape `(batch_size, memory_length, hidden_size)`):
        The encoder memory: one row per example (for windowed long sessions, the windows merged so
        that every token appears once).
    attention_mask (`torch.LongTensor` of shape `(batch_size, memory_length)`):
        1 for memory slots holding a token, 0 for padding.
    token_ids (`torch.LongTensor` of shape `(batch_size, memory_length)`):
        The token id in each memory slot (what the decoder's copy mechanism copies).
    copy_keys (`torch.FloatTensor` of shape `(batch_size, memory_length, hidden_size)`, *optional*):
        The copy mechanism's keys of the memory, set by `generate_text` so that decoding steps reuse them.
    """

    attention_mask: torch.LongTensor | None = None
    token_ids: torch.LongTensor | None = None
    copy_keys: torch.FloatTensor | None = None


@dataclass
class MTDialogOutput(Seq2SeqLMOutput):
    r"""
    Output of :class:`~mtdialog.models.modeling.MTDialogModel` for one task's batch: the fields of
    ``transformers``' ``Seq2SeqLMOutput`` (so ``generate`` finds its decoder cache under whatever name
    the installed release gives it) plus the discourse parser's.

    loss (`torch.FloatTensor` of shape `()`, *optional*):
        The task's loss, when the batch carries labels.
    logits (`torch.FloatTensor`):
        Generation tasks (and `generate`): next-token scores `(batch_size, target_length, vocab_size)`
        (log-probabilities when the copy mechanism is on);
        classification tasks: `(batch_size, num_labels)`; `discourse`: the link scores, as `link_logits`.
    encoder_last_hidden_state (`torch.FloatTensor` of shape `(batch_size, memory_length, hidden_size)`, *optional*):
        The encoder memory the heads and the decoder read.
    link_logits (`torch.FloatTensor` of shape `(batch_size, num_edus, num_edus + 1)`, *optional*):
        Discourse: score of each candidate head of each EDU; candidate 0 is ROOT, candidate `x + 1` is
        EDU `x`; impossible candidates hold the dtype's minimum.
    relation_logits (`torch.FloatTensor` of shape `(batch_size, num_edus, num_relations)`, *optional*):
        Discourse: relation scores of each EDU with its best-scoring head.
    heads (`torch.LongTensor` of shape `(batch_size, num_edus)`, *optional*):
        Discourse: the best-scoring candidate head of each EDU (0 = ROOT, `x + 1` = EDU `x`).
    """

    link_logits: torch.FloatTensor | None = None
    relation_logits: torch.FloatTensor | None = None
    heads: torch.LongTensor | None = None


__all__ = ["DialogueEncoderOutput", "MTDialogOutput"]
