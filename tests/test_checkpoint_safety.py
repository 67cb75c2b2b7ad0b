"""Damaged, incomplete, mismatched or planted checkpoints and run directories: refused with one
clear line naming the file, never loaded silently wrong, never running code."""

from __future__ import annotations

import json
import pickle
import shutil

import pytest
from planted import Planted
from tiny_model import save_checkpoint

from mtdialog.cli import main
from mtdialog.errors import ConfigError
from mtdialog.fileio import CHECKSUMS, write_checksums
from mtdialog.models import MTDialogModel
from mtdialog.pipeline import DialoguePipeline


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A checkpoint saved by the pipeline (weights, config, tokenizer, checksums)."""
    return save_checkpoint(tmp_path_factory.mktemp("ckpt"), "good").parent


def copy(saved, tmp_path):
    target = tmp_path / "ckpt"
    shutil.copytree(saved / "good", target)
    return target


def edit_json(path, change):
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def load_error(path) -> str:
    with pytest.raises(ConfigError) as e:
        DialoguePipeline.from_pretrained(path)
    return str(e.value)


def test_a_saved_checkpoint_verifies_and_loads(saved):
    assert (saved / "good" / CHECKSUMS).is_file()
    assert isinstance(DialoguePipeline.from_pretrained(saved / "good").model, MTDialogModel)


@pytest.mark.parametrize("damage, file", [
    ("flip a data byte", "model.safetensors"),
    ("truncate", "model.safetensors"),
    ("reverse the relation labels", "config.json"),
    ("change the layer count", "config.json"),
    ("shuffle the vocabulary", "tokenizer.json"),
    ("delete", "tokenizer_config.json"),
])
def test_damage_is_found_by_the_checksums(saved, tmp_path, damage, file):
    ckpt = copy(saved, tmp_path)
    path = ckpt / file
    if damage == "flip a data byte":
        raw = bytearray(path.read_bytes())
        raw[-5] ^= 0xFF
        path.write_bytes(bytes(raw))
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "reverse the relation labels":
        edit_json(path, lambda c: c.__setitem__("relation_labels", c["relation_labels"][::-1]))
    elif damage == "change the layer count":
        edit_json(path, lambda c: c["text_encoder"].__setitem__("num_hidden_layers", 2))
    elif damage == "shuffle the vocabulary":
        edit_json(path, lambda t: t["model"].__setitem__("vocab", dict(zip(
            t["model"]["vocab"], reversed(list(t["model"]["vocab"].values()))))))
    else:
        path.unlink()
    message = load_error(ckpt)
    assert str(path) in message
    assert ("missing (listed in checksums.json)" if damage == "delete" else "changed since it was saved") in message


def test_without_checksums_weights_must_still_fit_the_config_and_the_tokenizer_the_model(saved, tmp_path):
    ckpt = copy(saved, tmp_path)
    (ckpt / CHECKSUMS).unlink()
    edit_json(ckpt / "config.json", lambda c: c["text_encoder"].__setitem__("num_hidden_layers", 2))
    assert "the weights do not fit the config (missing keys: encoder.text.encoder.layer.1" in load_error(ckpt)

    ckpt = copy(saved, tmp_path / "b")
    (ckpt / CHECKSUMS).unlink()
    vocab_file = ckpt / "tokenizer.json"
    edit_json(vocab_file, lambda t: t["added_tokens"][7].__setitem__("id", 9999) or t["model"]["vocab"].update(
        {t["added_tokens"][7]["content"]: 9999}))
    assert "the tokenizer does not belong to the model" in load_error(ckpt)


def test_a_pickle_or_garbage_in_place_of_the_weights_is_refused_without_running_it(saved, tmp_path):
    ckpt = copy(saved, tmp_path)
    marker = tmp_path / "ran"
    (ckpt / "model.safetensors").write_bytes(pickle.dumps(Planted(str(marker))))
    write_checksums(ckpt)  # even with matching checksums (the files were replaced, not damaged)
    assert "cannot load the checkpoint" in load_error(ckpt)
    assert not marker.exists()
    (ckpt / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{broken json}")
    write_checksums(ckpt)
    assert "cannot load the checkpoint" in load_error(ckpt)


def test_a_tokenizer_naming_remote_code_never_runs_it(saved, tmp_path, capsys):
    ckpt = copy(saved, tmp_path)
    edit_json(ckpt / "tokenizer_config.json",
              lambda t: t.update(auto_map={"AutoTokenizer": ["evil.EvilTokenizer", None]}))
    (ckpt / "evil.py").write_text(f"open({str(tmp_path / 'ran')!r}, 'w').write('x')\n", encoding="utf-8")
    write_checksums(ckpt)
    try:
        DialoguePipeline.from_pretrained(ckpt)
    except ConfigError:
        pass  # refusing is fine; running the file is not
    assert not (tmp_path / "ran").exists()


def test_the_cli_names_the_damaged_file_in_one_line(saved, tmp_path, capsys):
    ckpt = copy(saved, tmp_path)
    (ckpt / "model.safetensors").write_bytes(b"\x00" * 64)
    sessions = tmp_path / "in.jsonl"
    sessions.write_text('{"session_id": "s", "shop": "fx", "product_id": null, "turns": []}\n', encoding="utf-8")
    assert main(["predict", "--checkpoint", str(ckpt), "--input", str(sessions), "--output",
                 str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"{ckpt / 'model.safetensors'}: changed since it was saved" in err

