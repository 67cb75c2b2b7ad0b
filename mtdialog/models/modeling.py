"""``MTDialogModel``: one encoder, a head per task and one decoder for the four JDDC 2.1 tasks.

::

    dialogue tokens + [IMG] slots --(DialogueEncoder: text encoder + timm visual encoder)--> memory (B, M, H)
        memory -> heads[task]                 rewritable, image_category (SpanClassifier), discourse
                                              (DiscourseParser), and any task with a head of its own
        memory -> GenerationDecoder + prompt  response / rewrite / summary (+ PointerGenerator copying)

The tasks the model answers are ``config.tasks``; each builds its head (``Task.build_head``) or, for
a generation task, has a decoder prompt token (``config.task_prompts``). ``model(**batch)`` runs the
head of ``batch["task"]`` and returns an :class:`MTDialogOutput` whose ``loss`` is that task's loss.
The model is an encoder-decoder for ``transformers`` generation: ``generate`` (greedy, beam search)
works with ``encoder_outputs`` or with raw encoder inputs, and :meth:`MTDialogModel.generate_text`
runs a generation task's batch end to end.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from torch import nn
from transformers import GenerationMixin, PreTrainedModel
from transformers import initialization as init
from transformers.cache_utils import Cache

from mtdialog.compat import CACHE_NAME
from mtdialog.errors import ConfigError
from mtdialog.fileio import verify_checksums
from mtdialog.models.configuration import MTDialogConfig
from mtdialog.models.decoder import GenerationDecoder, PointerGenerator
from mtdialog.models.encoder import DialogueEncoder
from mtdialog.models.heads import DiscourseParser
from mtdialog.models.outputs import DialogueEncoderOutput, MTDialogOutput
from mtdialog.models.vision import FeatureCache
from mtdialog.tasks import get_task

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
        heads = {name: get_task(name).build_head(self.config) for name in self.config.tasks}
        self.heads = nn.ModuleDict({name: head for name, head in heads.items() if head is not None})
        self.post_init()
        generation = self.generation_config
        generation.decoder_start_token_id = self.config.decoder_start_token_id
        generation.max_new_tokens = self.config.max_target_length + 1
        generation.no_repeat_ngram_size = 3  # trigram blocking (as BertSumAbs decodes); 0 turns it off
        # Special tokens (roles, layout, prompts) never belong in generated text.
        generation.suppress_tokens = self.config.non_text_ids or None

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | Path, *args: Any, **kwargs: Any):
        """``PreTrainedModel.from_pretrained``, checked: a directory's files are verified against its
        ``checksums.json`` first, and weights that do not fit the config (missing, unexpected or of
        another shape) are a :class:`ConfigError` naming them; pass ``output_loading_info=True`` to get
        the loading report instead and judge it yourself. A file that cannot be read is a ConfigError too."""
        path = Path(str(pretrained_model_name_or_path))
        if path.is_dir():
            verify_checksums(path)
        report = kwargs.pop("output_loading_info", False)
        try:
            model, info = super().from_pretrained(pretrained_model_name_or_path, *args, output_loading_info=True,
                                                   **kwargs)
        except (OSError, ValueError, RuntimeError, KeyError, SafetensorError) as e:
            if isinstance(e, ConfigError):
                raise
            reason = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
            raise ConfigError(f"cannot load the checkpoint: {reason}", path=str(path)) from None
        if report:
            return model, info
        problems = {kind: [str(k) for k in info.get(kind) or ()] for kind in
                    ("missing_keys", "unexpected_keys", "mismatched_keys")}
        problems = {kind: keys for kind, keys in problems.items() if keys}
        if problems:
            listed = "; ".join(f"{kind.replace('_', ' ')}: {', '.join(keys[:4])}{' ...' if len(keys) > 4 else ''}"
                               for kind, keys in problems.items())
            raise ConfigError(f"the weights do not fit the config ({listed})", path=str(path))
        return model

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

    # ------------------------------------------------------------------------------------ its facts
    def pretrained_parameter_prefixes(self) -> list[str]:
        """Parameter-name prefixes of the pretrained, trainable modules (trained with ``lr_encoder``): the
        text encoder when loaded by name, the visual backbone when its weights were loaded and it is
        not frozen."""
        config = self.config
        out = ["encoder.text."] if config.text_encoder_name else []
        if (not self.text_only and not config.vision_freeze
                and (config.vision_pretrained or config.vision_weights_file)):
            out.append("encoder.vision.backbone.")
        return out

    @property
    def lora_modules_to_save(self) -> list[str]:
        """Modules that stay fully trainable under LoRA: the task heads and the visual projection."""
        heads = [f"heads.{name}" for name in self.heads]
        return heads if self.text_only else heads + ["projector.0", "projector.2"]

    def check_data_parallel(self, *, zero_stage: int | None, num_processes: int) -> None:
        """Refuse a trainable BatchNorm backbone under DeepSpeed ZeRO with several processes.

        ZeRO reduces gradients in the order each process produces them, so all processes must
        back-propagate through the same graph. A batch without images runs the backbone on an empty
        batch, where BatchNorm takes another path (its weight and bias gradients come in the other
        order): ZeRO would then add mismatched gradients without any error. DDP matches gradients by
        parameter and is not affected.
        """
        if not zero_stage or num_processes < 2 or self.text_only or self.config.vision_freeze:
            return
        norms = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)
        if any(isinstance(m, norms) for m in self.encoder.vision.backbone.modules()):
            raise ConfigError(f"a trainable {self.config.vision_model} (BatchNorm) backbone cannot be trained by "
                              f"DeepSpeed ZeRO on {num_processes} processes: batches without images change its "
                              "gradient order; freeze it (model.vision.freeze: true), choose a backbone without "
                              "BatchNorm, or launch with DDP (recipes/accelerate/multi_gpu.yaml)",
                              field="model.vision.freeze")

    def feature_cache(self, root: str | Path, image_ids: Iterable[str]) -> FeatureCache | None:
        """A cache of the frozen backbone's features of ``image_ids`` under ``root`` (``None`` when the
        model has no frozen visual encoder, whose features could then change); see :class:`FeatureCache`."""
        if self.text_only or not self.config.vision_freeze:
            return None
        return FeatureCache(root, self.encoder.vision, image_ids)

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
        encoder_outputs: DialogueEncoderOutput | None = None,
        cache: Cache | None = None,
        past_key_values: Cache | None = None,
        use_cache: bool | None = None,
        **head_inputs: Any,
    ) -> MTDialogOutput:
        r"""
        Run the head of ``task``, or the decoder for a generation task (and, with ``decoder_input_ids``
        and no task, as ``generate`` calls it).

        Encoder inputs: ``input_ids``/``attention_mask (R, L)``; images as ``pixel_values (N, 3, h, w)``
        or cached ``image_features (N, T, F)`` in ``[IMG]`` order; for windowed sessions
        ``memory_index``/``memory_mask (B, M)``. Or a precomputed ``encoder_outputs``. ``cache``: the
        decoder's key/value cache during generation (``past_key_values`` before transformers 5.24).

        Task inputs (spans are ``[start, end)`` memory positions; ``Task.collate`` makes them):
            generation tasks: ``decoder_input_ids (B, T)`` (prompt token + target),
                ``labels (B, T)`` (target + ``[EOS]``, -100 on padding).
            rewritable, image_category (``SpanClassifier``): ``spans (B, 2)``, ``labels (B,)`` label ids.
            discourse: ``edu_spans (B, E, 2)``, ``edu_speakers (B, E)`` (0 = Q, 1 = A), ``edu_mask (B, E)``,
                ``link_labels (B, E, E+1)``, ``relation_labels (B, E, E+1)`` (see ``DiscourseParser``).
            a task with a head of its own: the fields its ``collate`` gives, passed to the head.
        Other keywords that ``generate`` passes (``output_attentions``, ...) are ignored by the decoder.
        """
        if encoder_outputs is None:
            encoder_outputs = self.encoder(input_ids, attention_mask, pixel_values, image_features,
                                           memory_index, memory_mask)
        memory = encoder_outputs.last_hidden_state
        if task in self.heads:
            if labels is not None:
                head_inputs["labels"] = labels
            output = self.heads[task](memory, **head_inputs)
            output.encoder_last_hidden_state = memory
            return output
        if task is not None and task not in self.config.task_prompts:
            raise ConfigError(f"the model does not answer task {task!r} (its tasks: {', '.join(self.config.tasks)})")
        if decoder_input_ids is None:
            raise ValueError(f"a {task} batch needs decoder_input_ids (to generate, use generate_text)")
        mask = getattr(encoder_outputs, "attention_mask", None)
        mask = attention_mask if mask is None else mask
        cache = (cache if cache is not None else past_key_values) if use_cache else None
        states = self.decoder(self.get_input_embeddings()(decoder_input_ids), memory, mask, cache)
        logits = self.lm_head(states)
        if self.pointer is not None:
            logits = self.pointer(states, logits, memory, *self._copy_source(encoder_outputs, input_ids, mask),
                                  keys=getattr(encoder_outputs, "copy_keys", None))
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.flatten(0, 1).float(), labels.flatten(), ignore_index=-100,
                                   label_smoothing=self.config.label_smoothing)
        return MTDialogOutput(loss=loss, logits=logits, encoder_last_hidden_state=memory, **{CACHE_NAME: cache})

    def _copy_source(self, encoder_outputs, input_ids, mask) -> tuple[torch.Tensor, torch.Tensor]:
        """Token id of each memory slot ``(B, M)`` and whether the decoder may copy it (a text token)."""
        token_ids = getattr(encoder_outputs, "token_ids", None)
        token_ids = input_ids if token_ids is None else token_ids
        non_text = torch.tensor(self.config.non_text_ids, device=token_ids.device)
        return token_ids, mask.bool() & ~torch.isin(token_ids, non_text)

    # ------------------------------------------------------------------------------------ generation
    def _reorder_cache(self, cache: Cache, beam_idx: torch.LongTensor) -> Cache:
        """Beam search keeps the best beams: only the decoder's self-attention keys follow them. The
        cross-attention keys are the same for every beam of an example (beams never move from one
        example to another), so they are not copied at every step."""
        cache.self_attention_cache.reorder_cache(beam_idx)
        return cache

    def _expand_inputs_for_generation(self, expand_size: int = 1, is_encoder_decoder: bool = False,
                                      input_ids: torch.LongTensor | None = None, **model_kwargs: Any):
        """Beam search runs ``expand_size`` beams per example; they share the example's encoder outputs,
        which are therefore not copied per beam (the decoder and the copy mechanism attend to one memory
        per example)."""
        encoder_outputs = model_kwargs.pop("encoder_outputs", None)
        input_ids, model_kwargs = super()._expand_inputs_for_generation(expand_size, False, input_ids, **model_kwargs)
        model_kwargs["encoder_outputs"] = encoder_outputs
        return input_ids, model_kwargs

    @torch.no_grad()
    def generate_text(self, batch: dict[str, Any], *, num_beams: int = 1, max_new_tokens: int | None = None,
                      **generate_kwargs: Any) -> torch.LongTensor:
        """Generate for a collated batch of a generation task; returns token ids ``(B, T)`` after the
        prompt, ending in ``[EOS]`` and padded with ``[PAD]``.

        The encoder runs once, or not at all when the batch carries its ``encoder_outputs``; the copy
        mechanism's keys of the memory are projected once; ``generate`` then expands both for the beams. ``max_new_tokens``
        defaults to the task's target cap plus the end token.
        """
        task = batch["task"]
        if task not in self.config.task_prompts:
            raise ValueError(f"task {task!r} does not generate text")
        encoder_outputs = batch.get("encoder_outputs")
        if encoder_outputs is None:
            encoder_outputs = self.encoder(**{k: batch[k] for k in ENCODER_INPUTS if batch.get(k) is not None})
        else:  # given (shared by several tasks): a copy, since copy keys are added to it
            encoder_outputs = DialogueEncoderOutput(**encoder_outputs)
        if self.pointer is not None:  # the memory does not change while decoding: project its copy keys once
            encoder_outputs["copy_keys"] = self.pointer.key(encoder_outputs.last_hidden_state)
        if max_new_tokens is None:
            max_new_tokens = get_task(task).max_length(self.config) + 1
        prompt = self.config.token_id(self.config.task_prompts[task])
        sequences = self.generate(encoder_outputs=encoder_outputs, decoder_start_token_id=prompt, num_beams=num_beams,
                                  max_new_tokens=max_new_tokens, **generate_kwargs)
        return sequences[:, 1:]


__all__ = ["ENCODER_INPUTS", "MTDialogModel"]
