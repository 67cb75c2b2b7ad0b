"""Parameter groups and schedules: pretrained encoder vs new layers, no decay on biases and norms,
one warmup per group, LoRA adapters counted as new layers."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from transformers import BertConfig, BertModel

from mtdialog.training.optim import GroupSpec, Schedule, build_optimizer, build_scheduler, param_groups

SPECS = {"encoder": GroupSpec(lr=1e-5, warmup=4), "new": GroupSpec(lr=1e-3, warmup=2)}


class Composite(nn.Module):
    """A pretrained-style encoder plus new layers, one of them frozen."""

    def __init__(self):
        super().__init__()
        self.encoder = BertModel(BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1,
                                            num_attention_heads=2, intermediate_size=16), add_pooling_layer=False)
        self.head = nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8), nn.Linear(8, 2))
        self.frozen = nn.Linear(8, 8)
        self.frozen.requires_grad_(False)


def names(model, group):
    ids = {id(p) for p in group["params"]}
    return {n for n, p in model.named_parameters() if id(p) in ids}


def test_groups_split_owner_and_decay():
    model = Composite()
    groups = param_groups(model.named_parameters(), ["encoder."], SPECS, weight_decay=0.1)
    by_name = {g["name"]: g for g in groups}
    assert list(by_name) == ["encoder/decay", "encoder/no_decay", "new/decay", "new/no_decay"]
    assert "encoder.embeddings.word_embeddings.weight" in names(model, by_name["encoder/decay"])
    assert {"encoder.embeddings.LayerNorm.weight", "encoder.embeddings.LayerNorm.bias"} <= \
        names(model, by_name["encoder/no_decay"])
    assert names(model, by_name["new/decay"]) == {"head.0.weight", "head.2.weight"}
    assert names(model, by_name["new/no_decay"]) == {"head.0.bias", "head.1.weight", "head.1.bias", "head.2.bias"}
    assert by_name["encoder/decay"]["lr"] == 1e-5 and by_name["new/decay"]["lr"] == 1e-3
    assert by_name["encoder/decay"]["weight_decay"] == 0.1 and by_name["new/no_decay"]["weight_decay"] == 0.0
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert set().union(*(names(model, g) for g in groups)) == trainable  # frozen ones left out, none twice
    assert sum(len(g["params"]) for g in groups) == len(trainable)


def test_without_pretrained_parts_everything_is_new():
    groups = param_groups(Composite().named_parameters(), [], SPECS, weight_decay=0.0)
    assert [g["name"] for g in groups] == ["new/decay", "new/no_decay"]
    with pytest.raises(ValueError, match="no trainable parameters"):
        param_groups(Composite().frozen.named_parameters(), [], SPECS, weight_decay=0.0)


def test_lora_adapters_are_new_layers():
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(Composite(), LoraConfig(r=2, target_modules=["query", "value"],
                                                   modules_to_save=["head"]))
    groups = param_groups(model.named_parameters(), ["encoder."], SPECS, weight_decay=0.0)
    owner = {n: g["owner"] for g in groups for n in names(model, g)}
    assert owner and all(o == "new" for o in owner.values())  # frozen encoder, adapters and head are new
    assert any("lora_A" in n for n in owner) and any("modules_to_save" in n for n in owner)


def test_schedules():
    linear = Schedule("linear", warmup=4, total=12)
    assert [linear(s) for s in range(4)] == pytest.approx([0.2, 0.4, 0.6, 0.8])  # never 0 at step 0
    assert linear(4) == 1.0 and linear(8) == 0.5 and linear(12) == 0.0 and linear(20) == 0.0
    noam = Schedule("inverse_sqrt", warmup=4, total=12)
    assert noam(4) == 1.0 and noam(16) == pytest.approx(0.5) and noam(100) == pytest.approx(math.sqrt(0.04))
    constant = Schedule("constant", warmup=0, total=12)
    assert constant(0) == constant(1000) == 1.0
    with pytest.raises(ValueError, match="unknown schedule"):
        Schedule("cosine", 1, 2)


def test_each_group_warms_up_on_its_own_and_state_round_trips():
    model = Composite()
    optimizer = build_optimizer(param_groups(model.named_parameters(), ["encoder."], SPECS, weight_decay=0.01))
    scheduler = build_scheduler(optimizer, SPECS, "linear", total_steps=10)
    seen = []
    for _ in range(5):
        seen.append({g["name"]: g["lr"] for g in optimizer.param_groups})
        optimizer.step()
        scheduler.step()
    assert [s["encoder/decay"] for s in seen] == pytest.approx([1e-5 * f for f in (0.2, 0.4, 0.6, 0.8, 1.0)])
    assert [s["new/decay"] for s in seen] == pytest.approx([1e-3 * f for f in (1 / 3, 2 / 3, 1.0, 7 / 8, 6 / 8)])
    assert seen[-1]["encoder/no_decay"] == seen[-1]["encoder/decay"]

    fresh = build_optimizer(param_groups(model.named_parameters(), ["encoder."], SPECS, weight_decay=0.01))
    again = build_scheduler(fresh, {"encoder": GroupSpec(1e-5, 99), "new": GroupSpec(1e-3, 99)}, "linear", 10)
    again.load_state_dict(scheduler.state_dict())  # the schedules' parameters travel with the state
    assert [f.warmup for f in again.lr_lambdas] == [4, 4, 2, 2]
    fresh.load_state_dict(optimizer.state_dict())
    assert again.get_last_lr() == scheduler.get_last_lr()
    assert isinstance(optimizer, torch.optim.AdamW)
