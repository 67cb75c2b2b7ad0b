"""GPT (JDDC 2.1 Tables 5 and 7): a GPT-2 decoder-only model over context + query, then the answer.

The sequence is the dialogue context (the query is its last customer turn), the task's prompt token
(``[RESP]`` or ``[REWRITE]``), the target characters and ``[EOS]``; the loss is on the target and
``[EOS]`` only. The multimodal variant adds each image's CNN feature, projected by a feed-forward layer,
to the input embedding of its ``[IMG]`` token (the paper's "GPT with ResNet-18 features"). Answers are
decoded with ``generate`` (beam search) from the left-padded context.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import GPT2Config, GPT2LMHeadModel

from mtdialog.systems.base import ImageSlots, PaperSystem, pad_ids
from mtdialog.systems.registry import register_system


@dataclass
class GPTSettings:
    """GPT-2's size (the paper: GPT-2 base, 12 layers of 768) and the answer's length cap."""

    hidden_size: int = 768
    layers: int = 12
    heads: int = 12
    dropout: float = 0.1
    max_target: int = 64


@register_system
class GPT(PaperSystem):
    name = "gpt"
    tasks = ("response", "rewrite")
    paper = "GPT-2 (Radford et al. 2019), context + query -> answer; images as projected CNN features"
    Settings = GPTSettings

    def __init__(self, settings, inputs, task, recipe):
        super().__init__(settings, inputs, task, recipe)
        config = GPT2Config(vocab_size=len(inputs), n_positions=recipe.max_context + settings.max_target + 2,
                            n_embd=settings.hidden_size, n_layer=settings.layers, n_head=settings.heads,
                            resid_pdrop=settings.dropout, embd_pdrop=settings.dropout, attn_pdrop=settings.dropout,
                            bos_token_id=inputs.bos, eos_token_id=inputs.eos, pad_token_id=inputs.pad)
        self.gpt = GPT2LMHeadModel(config)
        self.prompt = inputs.token(task.prompt)
        self.slots = (ImageSlots(inputs.features.dim, settings.hidden_size, inputs.image)
                      if self.multimodal else None)

    def _sources(self, examples):
        contexts = [self.inputs.context(e.context, self.recipe.max_context) for e in examples]
        images = [i for c in contexts for i in c.images]
        return [c.ids + [self.prompt] for c in contexts], images

    def _embed(self, ids: torch.Tensor, images: list[str]) -> torch.Tensor:
        embeddings = self.gpt.transformer.wte(ids)
        return self.slots(embeddings, ids, self.inputs.image_features(images)) if self.slots else embeddings

    def loss(self, examples):
        sources, images = self._sources(examples)
        targets = [self.inputs.text(e.target, self.settings.max_target) + [self.inputs.eos] for e in examples]
        ids, mask = pad_ids([s + t for s, t in zip(sources, targets)], self.inputs.pad)
        labels = ids.masked_fill(mask == 0, -100)
        for row, source in enumerate(sources):
            labels[row, :len(source)] = -100
        return self.gpt(inputs_embeds=self._embed(ids, images), attention_mask=mask, labels=labels).loss

    @torch.no_grad()
    def predict(self, examples, *, num_beams=1):
        sources, images = self._sources(examples)
        ids, mask = pad_ids(sources, self.inputs.pad, left=True)
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)  # left padding: positions count real tokens
        out = self.gpt.generate(inputs_embeds=self._embed(ids, images), attention_mask=mask,
                                position_ids=position_ids, max_new_tokens=self.settings.max_target + 1,
                                num_beams=num_beams, do_sample=False, eos_token_id=self.inputs.eos,
                                pad_token_id=self.inputs.pad)
        return [self.inputs.decode(row) for row in out.tolist()]
