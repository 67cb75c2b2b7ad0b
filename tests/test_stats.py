"""Corpus statistics (JDDC 2.1 Tables 2, 3, 12, rewrite ratio, summary length) on a corpus whose
numbers are counted by hand, through the library and through ``mtdialog data stats``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from native_corpus import session_record, set_line, write_corpus

from mtdialog.cli import main
from mtdialog.data.native import Corpus
from mtdialog.data.stats import corpus_stats

# Every session of write_corpus has 3 turns of 12 + 9 + 4 characters, and annotated sessions have one
# rewritable and one non-rewritable turn, relations Yes-No and Social, and a 19-character summary.
SUMMARY_LEN = len("用户询问洗衣机报错，客服答复进水故障。")


@pytest.fixture
def stats(tmp_path: Path):
    return corpus_stats(Corpus(write_corpus(tmp_path / "corpus")))


def test_table2_counts_per_split_and_shop(stats):
    train = stats.dialogues["train"]
    assert (train["xjd"].dialogues, train["xjd"].utterances, train["xjd"].images) == (2, 6, 1)
    assert (train["fx"].dialogues, train["fx"].utterances, train["fx"].images) == (1, 3, 2)
    assert (train["all"].dialogues, train["all"].utterances, train["all"].images) == (3, 9, 3)
    assert train["xjd"].avg_images == 0.5 and train["all"].avg_utterances == 3.0
    assert train["all"].avg_utterance_length == pytest.approx(25 / 3)
    assert stats.shops("train") == ["xjd", "fx", "all"] and stats.shops("valid") == ["xjd", "all"]
    assert "fx" not in stats.dialogues["valid"] and stats.dialogues["test"]["fx"].images == 1


def test_table3_and_relation_distribution(stats):
    assert {s: (d.dialogues, d.turns, d.edus, d.relations) for s, d in stats.discourse.items()} == {
        "train": (2, 6, 4 + 5, 4), "valid": (1, 3, 4, 2)}
    rows = {(l1, l2, l3): (n, pct) for l1, l2, l3, n, pct in stats.relation_rows()}
    assert len(rows) == 33
    assert rows[("Question&Answer", "Question", "Yes-No")] == (3, 50.0)
    assert rows[("Communication", "Social", "Social")] == (3, 50.0)
    assert rows[("Promise", "Promise", "Promise")] == (0, 0.0)


def test_rewrites_and_summaries(stats):
    assert (stats.rewritable, stats.not_rewritable, stats.rewrite_ratio) == (3, 3, 0.5)
    assert (stats.summaries, stats.summary_length) == (3, SUMMARY_LEN)


def test_labels_without_levels(tmp_path):
    record = session_record("s1")
    for r in record["annotations"]["discourse"]["relations"]:
        r["type"] = "QAP"
    root = write_corpus(tmp_path / "c", {"train": [record]})
    meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
    meta["labels"]["relations"] = ["QAP", "Comment"]
    (root / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    stats = corpus_stats(Corpus(root))
    assert not stats.leveled and stats.relation_rows() == [("QAP", 2, 100.0), ("Comment", 0, 0.0)]
    assert stats.to_dict()["relations"][0] == {"label": "QAP", "count": 2, "percent": 100.0}


def test_stats_command_prints_the_tables(tmp_path, capsys):
    root = write_corpus(tmp_path / "corpus")
    assert main(["data", "stats", str(root)]) == 0
    out = capsys.readouterr().out
    for title in ("Table 2", "Table 3", "Table 12"):
        assert title in out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("statistic"))
    assert header.split()[1:] == ["train/xjd", "train/fx", "train/all", "valid/xjd", "valid/all", "test/fx",
                                  "test/all"]  # the shops each split has
    assert next(line for line in lines if line.startswith("dialogues")).split()[1:] == ["2", "1", "3", "1", "1",
                                                                                         "1", "1"]
    assert next(line for line in lines if line.startswith("train ")).split() == ["train", "2", "6", "9", "4"]
    assert next(line for line in lines if line.startswith("Question&Answer")).split()[-2:] == ["3", "50.00"]
    assert "3 rewritable (50.00%), 3 not rewritable" in out
    assert f"mean length {SUMMARY_LEN:.2f} chars" in out


def test_stats_json_and_skip_invalid(tmp_path, capsys):
    root = write_corpus(tmp_path / "corpus")
    set_line(root, "valid", 1, b"{oops")
    assert main(["data", "stats", str(root), "--json"]) == 2
    assert "sessions.valid.jsonl:1: malformed JSON" in capsys.readouterr().err
    assert main(["data", "stats", str(root), "--json", "--skip-invalid"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["dialogues"]["valid"]["all"]["dialogues"] == 0
    assert data["dialogues"]["train"]["all"]["dialogues"] == 3
    assert data["rewrites"] == {"rewritable": 2, "not_rewritable": 2, "ratio": 0.5}
    assert "skipped 1 invalid record(s)" in err
