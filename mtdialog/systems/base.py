"""What every paper system shares: the base class, the character inputs and the frozen image features.

A system reads a dialogue as the original papers' models do: the characters of its turns (each turn
after a ``[Q]``/``[A]`` speaker token, each image an ``[IMG]`` token where it was sent), cut to the last
``max_context`` tokens. A multimodal variant puts the image's pooled CNN features, projected by a
feed-forward layer (:class:`ImageSlots`), at its ``[IMG]`` position; a text-only variant keeps the bare
``[IMG]`` token. The features are those of the unified model's frozen backbone, computed once per image
and shared through the same cache (:class:`~mtdialog.models.vision.FeatureCache`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from mtdialog.data.native import Corpus
from mtdialog.data.schema import Turn
from mtdialog.systems.recipe import SystemRecipe, VisionSection
from mtdialog.tasks import Task


class ImageFeatures:
    """Pooled features ``(F,)`` of a corpus's images from a frozen timm backbone, by image id."""

    def __init__(self, cache, dim: int, load_image):
        self.cache, self.dim, self.load_image = cache, dim, load_image

    @classmethod
    def for_corpus(cls, corpus, vision: VisionSection, *, progress: bool = True) -> ImageFeatures:
        """Compute (or find in the shared cache) the features of every image of ``corpus``."""
        from mtdialog.cache import cache_dir
        from mtdialog.data.images import image_loader
        from mtdialog.models.configuration import MTDialogConfig
        from mtdialog.models.vision import FeatureCache, VisualEncoder, create_backbone, describe_backbone

        config = MTDialogConfig(vision_model=vision.model, vision_weights_file=vision.weights_file,
                                vision_pretrained=vision.pretrained, vision_image_size=vision.image_size,
                                vision_freeze=True)
        with torch.random.fork_rng():  # a backbone without weights is the same in every process
            torch.manual_seed(0)
            backbone = create_backbone(config, load_weights=True)
        describe_backbone(config, backbone)
        encoder = VisualEncoder(config, backbone)
        ids = corpus.image_index
        cache = FeatureCache(cache_dir("features") / corpus.image_fingerprint(), encoder, ids)
        load_image = image_loader(corpus)
        cache.ensure(ids, load_image, progress=progress)
        return cls(cache, config.vision_num_features, load_image)

    def __call__(self, image_ids: Sequence[str]) -> torch.Tensor:
        """``(len(image_ids), F)``: each image's pooled feature (an image without a file gets the
        feature of the placeholder the corpus shows for it)."""
        if not image_ids:
            return torch.zeros(0, self.dim)
        missing = [i for i in image_ids if i not in self.cache]
        if missing:
            self.cache.ensure(missing, self.load_image)
        return torch.stack([self.cache.get(i).mean(0) for i in image_ids])


class ImageSlots(nn.Module):
    """Puts each image's projected CNN feature at its ``[IMG]`` token (a feed-forward layer, as the
    paper's GPT and Deep Sequential variants do); text-only systems leave the ``[IMG]`` embedding."""

    def __init__(self, feature_dim: int, hidden: int, image_token_id: int):
        super().__init__()
        self.image_token_id = image_token_id
        self.project = nn.Sequential(nn.Linear(feature_dim, hidden), nn.Tanh())

    def forward(self, embeddings: torch.Tensor, input_ids: torch.Tensor, features: torch.Tensor | None) -> torch.Tensor:
        """``embeddings (B, L, H)`` with the rows of ``features (N, F)`` (the ``[IMG]`` tokens of
        ``input_ids (B, L)`` in row-major order) added at their positions."""
        if features is None or not len(features):
            return embeddings
        slots = input_ids == self.image_token_id
        if int(slots.sum()) != len(features):
            raise ValueError(f"{int(slots.sum())} [IMG] tokens but {len(features)} image features")
        out = embeddings.clone()
        out[slots] = out[slots] + self.project(features.to(embeddings.dtype))
        return out


@dataclass
class Encoded:
    """Token ids of a text or a context, and the ids of the images of its ``[IMG]`` tokens, in order."""

    ids: list[int]
    images: list[str]


class Inputs:
    """The character tokenizer of a system and, for a multimodal one, the image features."""

    def __init__(self, tokenizer, features: ImageFeatures | None):
        self.tokenizer, self.features = tokenizer, features
        token = tokenizer.convert_tokens_to_ids
        self.pad, self.unk, self.cls, self.sep = token("[PAD]"), token("[UNK]"), token("[CLS]"), token("[SEP]")
        self.bos, self.eos, self.image = token("[BOS]"), token("[EOS]"), token("[IMG]")
        self.speakers = {"Q": token("[Q]"), "A": token("[A]")}

    def __len__(self) -> int:
        return len(self.tokenizer)

    def token(self, text: str) -> int:
        return self.tokenizer.convert_tokens_to_ids(text)

    def text(self, text: str, max_length: int | None = None) -> list[int]:
        """The character ids of ``text`` (special-token spellings typed by a user stay characters)."""
        ids = self.tokenizer(text, add_special_tokens=False, split_special_tokens=True)["input_ids"] if text else []
        return ids[:max_length] if max_length is not None else ids

    def turn(self, turn: Turn) -> Encoded:
        """``[Q]``/``[A]``, the turn's characters, an ``[IMG]`` per image."""
        ids = [self.speakers.get(turn.speaker, self.unk), *self.text(turn.text), *[self.image] * len(turn.images)]
        return Encoded(ids, list(turn.images))

    def context(self, turns: Sequence[Turn], max_length: int, *, keep: str = "last") -> Encoded:
        """The turns one after another, cut to their last ``max_length`` tokens (a dialogue's recent
        context), or with ``keep="first"`` their first (a whole session, as summarisers read an
        article's opening), and the images of the ``[IMG]`` tokens kept."""
        ids: list[int] = []
        images: list[str] = []
        for turn in turns:
            encoded = self.turn(turn)
            ids += encoded.ids
            images += encoded.images
        if keep == "first":
            ids = ids[:max_length]
            return Encoded(ids, images[:ids.count(self.image)])
        ids = ids[-max_length:]
        return Encoded(ids, images[len(images) - ids.count(self.image):])

    def image_features(self, images: Sequence[str]) -> torch.Tensor | None:
        """The features of ``images`` (``None`` for a text-only system)."""
        return None if self.features is None else self.features(images)

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True).strip()


def pad_ids(sequences: Sequence[Sequence[int]], value: int, *, left: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """``(B, L)`` ids padded with ``value`` (on the left for generation) and their attention mask."""
    longest = max(map(len, sequences), default=0)
    ids = torch.full((len(sequences), longest), value, dtype=torch.long)
    mask = torch.zeros((len(sequences), longest), dtype=torch.long)
    for i, seq in enumerate(sequences):
        if seq:
            where = slice(longest - len(seq), longest) if left else slice(0, len(seq))
            ids[i, where] = torch.as_tensor(seq, dtype=torch.long)
            mask[i, where] = 1
    return ids, mask


class PaperSystem(nn.Module, ABC):
    """One system of the paper's tables, trained on one task.

    A subclass sets ``name``, ``tasks`` (those it answers), ``paper`` (the architecture it follows),
    ``Settings`` (the dataclass of its recipe's ``model:`` section) and implements ``loss`` and
    ``predict``; ``prepare`` sees the training examples first (an index to build), ``param_groups``
    gives parts of it their own learning rate, and ``extra_state``/``load_extra_state`` keep what is
    not a tensor (retrieval candidates) in the checkpoint.
    """

    name: ClassVar[str]
    tasks: ClassVar[tuple[str, ...]]
    paper: ClassVar[str]
    Settings: ClassVar[type]

    def __init__(self, settings: Any, inputs: Inputs, task: Task, recipe: SystemRecipe):
        super().__init__()
        self.settings, self.inputs, self.task, self.recipe = settings, inputs, task, recipe
        self.multimodal = inputs.features is not None

    def prepare(self, examples: Sequence[Any], corpus: Corpus) -> None:
        """Called once with the training examples and their corpus before the first step (default:
        nothing)."""

    @abstractmethod
    def loss(self, examples: Sequence[Any]) -> torch.Tensor:
        """The training loss of a batch of examples (a scalar)."""

    @abstractmethod
    def predict(self, examples: Sequence[Any], *, num_beams: int = 1) -> list[Any]:
        """One prediction per example, in the shape the task's ``gold`` has."""

    def param_groups(self) -> list[dict[str, Any]]:
        """Parameter groups, each with ``lr`` and ``warmup`` (default: one group, the recipe's)."""
        training = self.recipe.training
        return [{"params": [p for p in self.parameters() if p.requires_grad], "lr": training.lr,
                 "warmup": training.warmup}]

    def extra_state(self) -> dict[str, Any]:
        """JSON-ready state saved beside the weights (default: none)."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore what ``extra_state`` saved."""


__all__ = ["Encoded", "ImageFeatures", "ImageSlots", "Inputs", "PaperSystem", "pad_ids"]
