"""``MTDialogModel``: one encoder, three heads and one decoder for the four JDDC 2.1 tasks.

::

    dialogue tokens + [IMG] slots --(DialogueEncoder: text encoder + timm visual encoder)--> memory (B, M, H)
        memory -> RewritabilityHead           rewritable          (turn span)
        memory -> ImageCategoryHead           image_category      (image span)
        memory -> DiscourseParser             discourse           (EDU spans)
        memory -> GenerationDecoder + prompt  response / rewrite / summary (+ PointerGenerator copying)

``model(**batch)`` runs the head of ``batch["task"]`` and returns an :class:`MTDialogOutput` whose
``loss`` is that task's loss. The model is an encoder-decoder for ``transformers`` generation:
``generate`` (greedy, beam search) works with ``encoder_outputs`` or with raw encoder inputs, and
:meth:`MTDialogModel.generate_text` runs a generation task's batch end to end.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn
from transformers import GenerationMixin, PreTrainedModel
from transformers import initialization as init
from transformers.cache_utils import Cache

from mtdialog.compat import CACHE_NAME
from mtdialog.models.configuration import MTDialogConfig
from mtdialog.models.decoder import GenerationDecoder, PointerGenerator
from mtdialog.models.encoder import DialogueEncoder
from mtdialog.models.heads import DiscourseParser, ImageCategoryHead, RewritabilityHead
from mtdialog.models.outputs import DialogueEncoderOutput, MTDialogOutput

GENERATION_TASKS = ("response", "rewrite", "summary")
#: Batch keys the encoder reads.
ENCODER_INPUTS = ("input_ids", "attention_mask", "pixel_values", "image_features", "memory_index", "memory_mask")


class MTDialogModel(PreTrainedModel, GenerationMixin):
    """The multitask, multimodal dialogue model (see the module docstring and ``docs/model.md``)."""

    config_class = MTDialogConfig
    config: MTDialogConfig
    base_model_prefix = "mtdialog"
    main_input_name = "input_ids"
    _supports_sdpa = True
    supports_gradient_checkpointing = True  # the text encoder's layers
    _no_split_modules: ClassVar = ["DialogueEncoder"]

    def __init__(self, config: MTDialogConfig, text_encoder: nn.Module | None = None,
                 vision_backbone: nn.Module | None = None):
        """``text_encoder`` / ``vision_backbone``: already-built (e.g. pretrained) modules to use instead
        of building them from the config; their weights are kept."""
        if text_encoder is not None:
            config.text_encoder = text_encoder.config
        super().__init__(config)
        self.encoder = DialogueEncoder(self.config, text_encoder, vision_backbone)
        # One config object for the encoder and its owner, so that updates (vocab size, attention) agree.
        self.config.text_encoder._attn_implementation = self.encoder.text.config._attn_implementation
        self.encoder.text.config = self.config.text_encoder
        # timm initialises its own backbone (or loads its weights); our init must leave it alone.
        vision = self.encoder.vision
        self._backbone_modules = {id(m) for m in vision.backbone.modules()} if vision is not None else set()
        self.decoder = GenerationDecoder(self.config)
        # Output projection tied to the text encoder's word embeddings: one table for encoder input,
        # decoder input and decoder output (plus an output bias).
        embeddings = self.get_input_embeddings()
        self.lm_head = nn.Linear(self.config.hidden_size, embeddings.num_embeddings, bias=True)
        name = next(n for n, m in self.named_modules() if m is embeddings)
        self._tied_weights_keys = {"lm_head.weight": f"{name}.weight"}
        self.pointer = PointerGenerator(self.config.hidden_size) if self.config.copy_mechanism else None
        hidden, dropout = self.config.hidden_size, self.config.classifier_dropout
        self.rewritable_head = RewritabilityHead(hidden, dropout)
        self.image_category_head = ImageCategoryHead(hidden, len(self.config.image_categories), dropout)
        self.discourse_parser = DiscourseParser(hidden, len(self.config.relation_labels),
                                                self.config.max_edu_distance, dropout)
        self.post_init()
        generation = self.generation_config
        generation.decoder_start_token_id = self.config.decoder_start_token_id
        generation.max_new_tokens = self.config.max_target_length + 1
        generation.no_repeat_ngram_size = 3  # trigram blocking (as BertSumAbs decodes); 0 turns it off
        # Special tokens (roles, layout, prompts) never belong in generated text.
        generation.suppress_tokens = self.config.non_text_ids or None

    # ------------------------------------------------------------------------------------ plumbing
    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        if id(module) in self._backbone_modules:
            if hasattr(module, "init_non_persistent_buffers"):  # timm modules with derived buffers
                module.init_non_persistent_buffers()
            return
        super()._init_weights(module)
        std = self.config.initializer_range
        if isinstance(module, nn.GRU):
            for name, param in module.named_parameters():
                if "weight" in name:
                    init.xavier_uniform_(param)
                else:
                    init.zeros_(param)
        elif isinstance(module, DiscourseParser):
            init.normal_(module.root, std=std)
            module.reset_prior()

    @property
    def text_only(self) -> bool:
        """Whether the model has no visual encoder (images are bare ``[IMG]`` tokens)."""
        return self.encoder.vision is None

    def get_encoder(self) -> DialogueEncoder:
        return self.encoder

    def get_input_embeddings(self) -> nn.Module:
        return self.encoder.text.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.encoder.text.set_input_embeddings(value)

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def set_output_embeddings(self, value: nn.Linear) -> None:
        self.lm_head = value

    # ------------------------------------------------------------------------------------ forward
    def forward(
        self,
        task: str | None = None,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.LongTensor | None = None,
        pixel_values: torch.FloatTensor | None = None,
        image_features: torch.FloatTensor | None = None,
        memory_index: torch.LongTensor | None = None,
        memory_mask: torch.LongTensor | None = None,
        decoder_input_ids: torch.LongTensor | None = None,
        labels: torch.LongTensor | None = None,
        turn_spans: torch.LongTensor | None = None,
        image_spans: torch.LongTensor | None = None,
        edu_spans: torch.LongTensor | None = None,
        edu_speakers: torch.LongTensor | None = None,
        edu_mask: torch.LongTensor | None = None,
        link_labels: torch.LongTensor | None = None,
        relation_labels: torch.LongTensor | None = None,
        encoder_outputs: DialogueEncoderOutput | None = None,
        cache: Cache | None = None,
        past_key_values: Cache | None = None,
        use_cache: bool | None = None,
        **kwargs: Any,
    ) -> MTDialogOutput:
        r"""
        Run the head of ``task`` (or, with ``decoder_input_ids`` and no task, the decoder as ``generate``
        calls it).

        Encoder inputs: ``input_ids``/``attention_mask (R, L)``; images as ``pixel_values (N, 3, h, w)``
        or cached ``image_features (N, T, F)`` in ``[IMG]`` order; for windowed sessions
        ``memory_index``/``memory_mask (B, M)``. Or a precomputed ``encoder_outputs``. ``cache``: the
        decoder's key/value cache during generation (``past_key_values`` before transformers 5.24).

        Task inputs (spans are ``[start, end)`` memory positions):
            response / rewrite / summary: ``decoder_input_ids (B, T)`` (prompt token + target),
                ``labels (B, T)`` (target + ``[EOS]``, -100 on padding).
            rewritable: ``turn_spans (B, 2)``, ``labels (B,)`` (1 = rewritable).
            image_category: ``image_spans (B, 2)``, ``labels (B,)`` category ids.
            discourse: ``edu_spans (B, E, 2)``, ``edu_speakers (B, E)`` (0 = Q, 1 = A), ``edu_mask (B, E)``,
                ``link_labels (B, E, E+1)``, ``relation_labels (B, E, E+1)`` (see ``DiscourseParser``).
        """
        if encoder_outputs is None:
            encoder_outputs = self.encoder(input_ids, attention_mask, pixel_values, image_features,
                                           memory_index, memory_mask)
        memory = encoder_outputs.last_hidden_state
        mask = getattr(encoder_outputs, "attention_mask", None)
        mask = attention_mask if mask is None else mask
        task = task or ("generation" if decoder_input_ids is not None else None)

        if task in GENERATION_TASKS or task == "generation":
            if decoder_input_ids is None:
                raise ValueError(f"a {task} batch needs decoder_input_ids (to generate, use generate_text)")
            cache = (cache if cache is not None else past_key_values) if use_cache else None
            states = self.decoder(self.get_input_embeddings()(decoder_input_ids), memory, mask, cache)
            logits = self.lm_head(states)
            if self.pointer is not None:
                logits = self.pointer(states, logits, memory, *self._copy_source(encoder_outputs, input_ids, mask))
            loss = None
            if labels is not None:
                loss = F.cross_entropy(logits.flatten(0, 1).float(), labels.flatten(), ignore_index=-100,
                                       label_smoothing=self.config.label_smoothing)
            return MTDialogOutput(loss=loss, logits=logits, encoder_last_hidden_state=memory, **{CACHE_NAME: cache})
        if task == "rewritable":
            logits = self.rewritable_head(memory, turn_spans)
        elif task == "image_category":
            logits = self.image_category_head(memory, image_spans)
        elif task == "discourse":
            loss, link_logits, relation_logits, heads = self.discourse_parser(
                memory, edu_spans, edu_speakers, edu_mask, link_labels, relation_labels)
            return MTDialogOutput(loss=loss, logits=link_logits, link_logits=link_logits,
                                  relation_logits=relation_logits, heads=heads, encoder_last_hidden_state=memory)
        else:
            raise ValueError(f"unknown task {task!r} (expected one of {', '.join(GENERATION_TASKS)}, "
                             "rewritable, image_category, discourse)")
        loss = F.cross_entropy(logits.float(), labels) if labels is not None else None
        return MTDialogOutput(loss=loss, logits=logits, encoder_last_hidden_state=memory)

    def _copy_source(self, encoder_outputs, input_ids, mask) -> tuple[torch.Tensor, torch.Tensor]:
        """Token id of each memory slot ``(B, M)`` and whether the decoder may copy it (a text token)."""
        token_ids = getattr(encoder_outputs, "token_ids", None)
        token_ids = input_ids if token_ids is None else token_ids
        non_text = torch.tensor(self.config.non_text_ids, device=token_ids.device)
        return token_ids, mask.bool() & ~torch.isin(token_ids, non_text)

    # ------------------------------------------------------------------------------------ generation
    @torch.no_grad()
    def generate_text(self, batch: dict[str, Any], *, num_beams: int = 1, max_new_tokens: int | None = None,
                      **generate_kwargs: Any) -> torch.LongTensor:
        """Generate for a collated batch of a generation task; returns token ids ``(B, T)`` after the
        prompt, ending in ``[EOS]`` and padded with ``[PAD]``.

        The encoder runs once; ``generate`` then expands its memory for the beams.
        """
        task = batch["task"]
        if task not in GENERATION_TASKS:
            raise ValueError(f"task {task!r} does not generate text")
        encoder_outputs = self.encoder(**{k: batch[k] for k in ENCODER_INPUTS if batch.get(k) is not None})
        if max_new_tokens is None:
            max_new_tokens = (self.config.max_summary_length if task == "summary" else self.config.max_target_length) + 1
        prompt = self.config.token_id(self.config.task_prompts[task])
        sequences = self.generate(encoder_outputs=encoder_outputs, attention_mask=encoder_outputs.attention_mask,
                                  decoder_start_token_id=prompt, num_beams=num_beams,
                                  max_new_tokens=max_new_tokens, **generate_kwargs)
        return sequences[:, 1:]


__all__ = ["ENCODER_INPUTS", "GENERATION_TASKS", "MTDialogModel"]
