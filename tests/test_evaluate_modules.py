"""The metrics as ``evaluate`` modules defined in the package: offline, batched, independent instances."""

from __future__ import annotations

import time

import pytest

from mtdialog import metrics
from mtdialog.data.schema import Relation
from mtdialog.metrics import modules

PREDS = ["您好，请问有什么可以帮您？", "亲，已经发货了。明天到。", "", "USB-C接口"]
REFS = ["您好，有什么可以帮您？", "亲亲，已经为您发货了哦。", "好的", "USB接口"]


def test_every_module_loads_by_name_and_unknown_names_fail(tmp_path):
    for name in modules.MODULES:
        assert modules.load(name, cache_dir=str(tmp_path)).name == name
    with pytest.raises(ValueError, match="unknown metric module"):
        modules.load("bleurt")


def test_batches_then_compute_equal_the_plain_functions(tmp_path):
    rouge = modules.ChineseRouge(cache_dir=str(tmp_path))
    rouge.add_batch(predictions=PREDS[:2], references=REFS[:2])
    rouge.add_batch(predictions=PREDS[2:], references=REFS[2:])
    assert rouge.compute() == pytest.approx(metrics.rouge(PREDS, REFS))

    generation = modules.load("generation_scores", cache_dir=str(tmp_path))
    for p, r in zip(PREDS, REFS):
        generation.add(prediction=p, reference=r)
    assert generation.compute(bleu_tokenize="sentence") == pytest.approx(
        metrics.generation_scores(PREDS, REFS, bleu_tokenize="sentence"))

    bleu = modules.ChineseBleu(cache_dir=str(tmp_path))
    assert bleu.compute(predictions=PREDS, references=REFS) == {"bleu": pytest.approx(metrics.bleu(PREDS, REFS))}

    distinct = modules.ChineseDistinct(cache_dir=str(tmp_path))
    distinct.add_batch(predictions=PREDS)
    assert distinct.compute() == pytest.approx({"distinct1": metrics.distinct(PREDS, 1),
                                                "distinct2": metrics.distinct(PREDS, 2)})


def test_classification_and_discourse_modules(tmp_path):
    binary = modules.BinaryScores(cache_dir=str(tmp_path))
    binary.add_batch(predictions=[True, False, True], references=[True, True, False])
    assert binary.compute() == pytest.approx(metrics.binary_scores([True, False, True], [True, True, False]))

    labels = modules.ClassificationScores(cache_dir=str(tmp_path))
    assert labels.compute(predictions=["a", "b"], references=["a", "a"])["accuracy"] == pytest.approx(50.0)

    disc = modules.DiscourseScores(cache_dir=str(tmp_path))
    disc.add_batch(predictions=[[{"x": 0, "y": 1, "type": "A/B/C"}], []],
                   references=[[{"x": 0, "y": 1, "type": "A/B/D"}], [{"x": 0, "y": 2, "type": "E/F/G"}]],
                   n_edus=[2, 3])
    expected = metrics.discourse_scores([[Relation(0, 1, "A/B/C")], []],
                                        [[Relation(0, 1, "A/B/D")], [Relation(0, 2, "E/F/G")]], [2, 3])
    assert disc.compute() == pytest.approx(expected)


def test_two_instances_interleave_without_sharing_or_waiting(tmp_path):
    start = time.perf_counter()
    first, second = modules.ChineseRouge(cache_dir=str(tmp_path)), modules.ChineseRouge(cache_dir=str(tmp_path))
    assert first.experiment_id != second.experiment_id
    first.add_batch(predictions=PREDS[:1], references=REFS[:1])
    second.add_batch(predictions=PREDS[1:2], references=REFS[1:2])
    first.add_batch(predictions=PREDS[3:], references=REFS[3:])
    assert first.compute() == pytest.approx(metrics.rouge([PREDS[0], PREDS[3]], [REFS[0], REFS[3]]))
    assert second.compute() == pytest.approx(metrics.rouge(PREDS[1:2], REFS[1:2]))
    assert time.perf_counter() - start < 1.0      # no lock timeout (evaluate waits 1 s on a taken file)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))   # kept in memory: nothing on disk


def test_file_backed_instances_use_their_own_cache_files(tmp_path):
    first = modules.ChineseBleu(cache_dir=str(tmp_path), keep_in_memory=False)
    second = modules.ChineseBleu(cache_dir=str(tmp_path), keep_in_memory=False)
    first.add_batch(predictions=PREDS, references=REFS)
    second.add_batch(predictions=REFS, references=REFS)
    assert len(list(tmp_path.rglob("*.arrow"))) == 2
    assert first.compute()["bleu"] == pytest.approx(metrics.bleu(PREDS, REFS))
    assert second.compute()["bleu"] == pytest.approx(metrics.bleu(REFS, REFS))
    assert not list(tmp_path.rglob("*.arrow"))


def test_wrong_input_types_are_rejected(tmp_path):
    rouge = modules.ChineseRouge(cache_dir=str(tmp_path))
    with pytest.raises(ValueError):
        rouge.add_batch(predictions=[["你", "好"]], references=["你好"])
