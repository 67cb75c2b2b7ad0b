"""``MTDialogConfig``: everything needed to rebuild the multitask model without the model hub.

The text encoder is a nested ``transformers`` config (``text_encoder``), so a checkpoint rebuilds it
with ``AutoModel.from_config`` even when it was first loaded by hub name (``text_encoder_name`` only
records where it came from). The visual encoder is a ``timm`` model name plus the timm
``pretrained_cfg`` and data config (input size, mean, std, interpolation) captured when it was built,
so image preprocessing travels with the checkpoint. Label sets come from the corpus, not from code.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import transformers
from transformers import AutoConfig, PreTrainedConfig

from mtdialog.data.labels import IMAGE_CATEGORIES, JDDC21_RELATIONS

#: Decoder prompt token of each generation task.
DEFAULT_TASK_PROMPTS = {"response": "[RESP]", "rewrite": "[REWRITE]", "summary": "[SUMM]"}


class MTDialogConfig(PreTrainedConfig):
    r"""
    Configuration of :class:`~mtdialog.models.modeling.MTDialogModel`.

    Args:
        text_encoder (`dict` or `PreTrainedConfig`): config of the shared text encoder (any ``AutoModel``
            encoder; a dict needs ``model_type``, default ``bert``).
        text_encoder_name (`str`, *optional*): hub name or path the encoder weights were first loaded from.
        text_only (`bool`): no visual encoder; ``[IMG]`` tokens keep their learned embedding.
        vision_model (`str`): timm model name of the visual encoder.
        vision_pretrained (`bool`): load timm's pretrained weights when the model is first built.
        vision_weights_file (`str`, *optional*): local weights file for the timm model (no hub needed).
        vision_freeze (`bool`): keep the backbone frozen (in eval mode); its features may then be cached.
        vision_grid_size (`int`): 0 = one pooled visual token per image; ``g`` = ``g*g`` grid tokens
            (CNN backbones only).
        vision_image_size (`int`, *optional*): square input size overriding the timm default (small
            images keep CPU training fast); the whole image is kept (no centre crop).
        vision_pretrained_cfg / vision_data_config / vision_num_features: filled from timm when built.
        decoder_layers / decoder_attention_heads / decoder_ffn_dim / decoder_dropout: the shared
            generation decoder (its width is the text encoder's hidden size).
        max_source_length (`int`): encoder tokens per sequence (at most the encoder's position limit).
        max_kb_tokens / max_turn_tokens (`int`): caps on the knowledge-base text and on one turn's text.
        max_target_length / max_summary_length (`int`): decoder tokens for response+rewrite / summary.
        window_overlap_turns (`int`): turns shared by consecutive windows of a long session.
        max_edu_distance (`int`): distances between EDUs beyond this share one embedding.
        relation_labels / image_categories (`list[str]`): the corpus's label sets.
        task_prompts (`dict[str, str]`): decoder prompt token of each generation task.
        special_token_ids (`dict[str, int]`): ids of the dialogue special tokens in the tokenizer.
        non_text_token_ids (`list[int]`): every special token id of the tokenizer (roles included).
        copy_mechanism (`bool`): pointer-generator output: the decoder may copy source tokens.
        label_smoothing (`float`): label smoothing of the generation loss.
    """

    model_type = "mtdialog"
    sub_configs: ClassVar = {"text_encoder": AutoConfig}

    text_encoder: dict | PreTrainedConfig | None = None
    text_encoder_name: str | None = None
    text_only: bool = False
    vision_model: str = "resnet10t"
    vision_pretrained: bool = False
    vision_weights_file: str | None = None
    vision_freeze: bool = True
    vision_grid_size: int = 0
    vision_image_size: int | None = None
    vision_pretrained_cfg: dict | None = None
    vision_data_config: dict | None = None
    vision_num_features: int | None = None
    decoder_layers: int = 2
    decoder_attention_heads: int = 4
    decoder_ffn_dim: int | None = None
    decoder_dropout: float = 0.1
    max_source_length: int = 256
    max_kb_tokens: int = 48
    max_turn_tokens: int = 96
    max_target_length: int = 64
    max_summary_length: int = 96
    window_overlap_turns: int = 2
    max_edu_distance: int = 16
    max_turn_recency: int = 8
    relation_labels: list[str] | None = None
    image_categories: list[str] | None = None
    task_prompts: dict[str, str] | None = None
    special_token_ids: dict[str, int] | None = None
    non_text_token_ids: list[int] | None = None
    copy_mechanism: bool = True
    label_smoothing: float = 0.0
    classifier_dropout: float = 0.1
    initializer_range: float = 0.02
    pad_token_id: int | None = 0
    bos_token_id: int | None = None
    eos_token_id: int | None = None
    decoder_start_token_id: int | None = None
    is_encoder_decoder: bool = True
    tie_word_embeddings: bool = True  # the decoder's output projection is the encoder's embedding table

    def __post_init__(self, **kwargs: Any):
        if not isinstance(self.text_encoder, PreTrainedConfig):
            spec = dict(self.text_encoder or {})
            self.text_encoder = AutoConfig.for_model(spec.pop("model_type", "bert"), **spec)
        super().__post_init__(**kwargs)
        _warn_other_major_version(self.transformers_version)
        if self.relation_labels is None:
            self.relation_labels = list(JDDC21_RELATIONS)
        if self.image_categories is None:
            self.image_categories = list(IMAGE_CATEGORIES)
        if self.task_prompts is None:
            self.task_prompts = dict(DEFAULT_TASK_PROMPTS)
        if self.decoder_ffn_dim is None:
            self.decoder_ffn_dim = 4 * self.hidden_size
        if self.hidden_size % self.decoder_attention_heads:
            raise ValueError(f"decoder_attention_heads ({self.decoder_attention_heads}) must divide the "
                             f"hidden size ({self.hidden_size})")
        limit = getattr(self.text_encoder, "max_position_embeddings", None)
        if limit is not None and self.max_source_length > limit:
            raise ValueError(f"max_source_length ({self.max_source_length}) exceeds the text encoder's "
                             f"max_position_embeddings ({limit})")

    @property
    def hidden_size(self) -> int:
        """Width of the text encoder, of the visual tokens and of the decoder."""
        return self.text_encoder.hidden_size

    @property
    def visual_tokens_per_image(self) -> int:
        return self.vision_grid_size ** 2 if self.vision_grid_size else 1

    @property
    def max_decoder_positions(self) -> int:
        """Decoder positions: the prompt token plus the longest target and its end token."""
        return max(self.max_target_length, self.max_summary_length) + 2

    @property
    def non_text_ids(self) -> list[int]:
        """Token ids that are never text: generation suppresses them and the decoder never copies them."""
        ids = set(self.non_text_token_ids or ()) | set((self.special_token_ids or {}).values()) | {self.pad_token_id}
        return sorted(ids - {None, self.eos_token_id})

    def token_id(self, token: str) -> int:
        """The id of dialogue special token ``token`` (``[IMG]``, ``[Q]``, ...)."""
        if not self.special_token_ids or token not in self.special_token_ids:
            raise KeyError(f"special token {token!r} has no id in the config (build the model with its tokenizer)")
        return self.special_token_ids[token]


def _warn_other_major_version(saved: str | None) -> None:
    """A checkpoint saved under another major version of ``transformers`` still loads, with a warning:
    its weights are the same, but generation defaults or numerics may differ (the run directory's
    ``packages.txt`` rebuilds the environment it was saved in)."""
    if saved and saved.split(".")[0] != transformers.__version__.split(".")[0]:
        warnings.warn(f"this checkpoint was saved with transformers {saved}; transformers "
                      f"{transformers.__version__} is installed (another major version): it loads, but results "
                      "may differ; rebuild the run's environment from its packages.txt to reproduce them",
                      UserWarning, stacklevel=2)


__all__ = ["DEFAULT_TASK_PROMPTS", "MTDialogConfig"]
