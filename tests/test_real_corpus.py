"""A real-style discourse corpus brought in with the command line alone: three STAC-style split files
with explicit root links, links that point forward, repeated pairs, speakers that are not customer and
agent and a label set of its own become one native corpus, which validates, describes itself and is
scored under both conventions."""

from __future__ import annotations

import json

import pytest

from mtdialog.cli import main
from mtdialog.data.native import Corpus
from mtdialog.data.schema import Relation, relation_kinds
from mtdialog.metrics.discourse import discourse_scores

LABELS = ("Root", "Question", "Answer", "Continuation", "Result")


def dialogue(k: int) -> dict:
    """Six EDUs of two people: an explicit root link, back links, one forward link every third dialogue
    and a repeated pair every fourth."""
    edus = [{"text": f"第{k}段第{i}句话", "speaker": "甲乙"[i % 2]} for i in range(6)]
    relations = [{"x": -1, "y": 0, "type": "Root"}, {"x": 0, "y": 1, "type": "Question"},
                 {"x": 1, "y": 2, "type": "Answer"}, {"x": 0, "y": 3, "type": "Continuation"},
                 {"x": 3, "y": 4, "type": "Result"}]
    if k % 3 == 0:
        relations.append({"x": 5, "y": 4, "type": "Continuation"})  # points forward
    else:
        relations.append({"x": 4, "y": 5, "type": "Answer"})
    if k % 4 == 0:
        relations.append({"x": 0, "y": 1, "type": "Question"})  # repeated
    return {"id": f"d{k}", "edus": edus, "relations": relations}


@pytest.fixture
def split_files(tmp_path):
    files = {}
    for split, ks in (("train", range(12)), ("valid", range(12, 15)), ("test", range(15, 21))):
        files[split] = tmp_path / f"{split}.json"
        files[split].write_text(json.dumps([dialogue(k) for k in ks], ensure_ascii=False), encoding="utf-8")
    return files


def test_three_split_files_become_one_corpus_and_are_scored_both_ways(split_files, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    for split, path in split_files.items():
        assert main(["data", "convert", str(path), str(corpus), "--from", "stac", "--to", "native",
                     "--split", split]) == 0
    out = capsys.readouterr().out
    assert "converted 3 sessions (valid 3)" in out
    assert "discourse relations: 3 explicit root link(s), 1 pointing forward, 1 repeating" in out  # the valid split
    loaded = Corpus(corpus)
    assert loaded.splits == ["train", "valid", "test"]
    assert sorted(loaded.relation_labels) == sorted(LABELS)  # the data's own labels
    test = list(loaded.sessions("test"))
    assert [s.session_id for s in test] == [f"d{k}" for k in range(15, 21)]
    assert test[0].annotations.discourse[0] == Relation(-1, 0, "Root")
    assert test[0].roles == "other" and [t.name for t in test[0].turns] == list("甲乙甲乙甲乙")  # names kept
    assert sum((relation_kinds(s.annotations.discourse) for s in test), start=relation_kinds([])) == {
        "root": 6, "forward": 2, "repeated": 2}  # d15, d18 forward; d16, d20 repeated

    assert main(["data", "validate", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "discourse relations: 21 explicit root link(s), 7 pointing forward, 6 repeating an (x, y) pair" in out
    assert main(["data", "stats", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "train/all" in out and "train/other" not in out  # one shop: the "all" column alone
    assert "of which root" in out and "of which forward" in out
    label_header = next(line for line in out.splitlines() if line.startswith("label"))
    assert label_header.split() == ["label", "count", "percent"]  # a flat label set: no fake levels

    # a split that is there already is refused, naming the file and the way out
    assert main(["data", "convert", str(split_files["test"]), str(corpus), "--from", "stac", "--to", "native",
                 "--split", "test"]) == 2
    assert "sessions.test.jsonl: the corpus has a test split already (`mtdialog data merge`" in \
        capsys.readouterr().err

    # tasks about customers and agents leave an everyday dialogue out, and say so
    assert main(["baseline", "all", "--corpus", str(corpus)]) == 0
    out, err = capsys.readouterr()
    assert "response-retrieval: skipped" in err
    assert "no response examples (it leaves out 6 session(s) whose speakers are not a customer and an agent)" in err
    assert "Table 5" not in out and "Table 8" in out

    pred, ref = tmp_path / "pred.jsonl", tmp_path / "ref.jsonl"
    scores = {}
    for convention in ("strict", "lenient"):
        assert main(["baseline", "previous-edu", "--corpus", str(corpus), "--output", str(pred), "--references",
                     str(ref), "--json", "--convention", convention]) == 0
        scores[convention] = json.loads(capsys.readouterr().out)["scores"]
        assert main(["score", "discourse", "-p", str(pred), "-r", str(ref), "--corpus", str(corpus), "--json",
                     "--convention", convention]) == 0
        scored = json.loads(capsys.readouterr().out)
        assert scored["link_f1"] == pytest.approx(scores[convention]["link_f1"])
    # previous-EDU on d15..d20 (6 EDUs each): 36 predicted heads (EDU 0 to the root). Strict gold: one head
    # per EDU (a repeated pair once), but in d15 and d18 EDU 4 has two (3 and the forward 5) and EDU 5 is
    # at the root: 4 x 6 + 2 x 7 = 38. Right: EDUs 0, 1, 2, 4 everywhere, EDU 5 in the other four: 28.
    assert scores["strict"]["link_f1"] == pytest.approx(100 * 2 * 28 / (36 + 38))
    # lenient: EDUs 1-4 and the back-linked EDU 5s are scored (6 x 4 + 4 = 28), EDU 0 and forward EDU 5s
    # are left to the system; right: EDUs 1, 2, 4 and the four EDU 5s = 22 of 28
    assert scores["lenient"]["link_f1"] == pytest.approx(100 * 22 / 28)
    expected = discourse_scores([[Relation(i - 1, i, "x") for i in range(1, 6)]] * 6,
                                [s.annotations.discourse for s in test], [6] * 6, "lenient")
    assert scores["lenient"]["link_f1"] == pytest.approx(expected["link_f1"])


def test_roles_make_a_customer_service_corpus(split_files, tmp_path, capsys):
    corpus = tmp_path / "c"
    assert main(["data", "convert", str(split_files["test"]), str(corpus), "--from", "stac", "--to", "native",
                 "--roles", "甲=Q,乙=A"]) == 0
    (session, *_) = Corpus(corpus).sessions("train")
    assert session.roles == "customer-agent" and [t.speaker for t in session.turns] == list("QAQAQA")
    assert main(["data", "convert", str(split_files["test"]), str(tmp_path / "d"), "--from", "stac", "--to",
                 "native", "--roles", "甲=Q"]) == 2
    assert "record 0: edus[1].speaker: speaker '乙' has no role (--roles names 甲)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["data", "convert", str(split_files["test"]), str(tmp_path / "e"), "--from", "stac", "--to",
              "native", "--roles", "甲=customer"])
    assert "expected NAME=Q or NAME=A pairs" in capsys.readouterr().err


def test_merge_joins_corpora_and_refuses_what_would_clash(split_files, tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["data", "convert", str(split_files["train"]), str(a), "--from", "stac", "--to", "native"]) == 0
    assert main(["data", "convert", str(split_files["test"]), str(b), "--from", "stac", "--to", "native",
                 "--split", "test"]) == 0
    joined = tmp_path / "joined"
    assert main(["data", "merge", str(a), str(b), str(joined)]) == 0
    assert "merged 18 sessions (train 12, test 6) from 2 corpora" in capsys.readouterr().out
    assert Corpus(joined).splits == ["train", "test"]
    assert main(["data", "merge", str(a), str(a), str(tmp_path / "twice")]) == 2
    assert "session_id: session id 'd0' is also in" in capsys.readouterr().err
    assert not (tmp_path / "twice").exists()


def test_merge_refuses_kb_entries_and_images_that_differ(tmp_path, capsys):
    from native_corpus import write_corpus as write_native

    a = write_native(tmp_path / "a")
    b = write_native(tmp_path / "b", {"train": []})  # no sessions; the same KB and images
    assert main(["data", "merge", str(a), str(b), str(tmp_path / "same")]) == 0  # identical copies kept once
    capsys.readouterr()
    kb = (b / "kb.jsonl").read_text(encoding="utf-8").replace('"', "'", 0)
    (b / "kb.jsonl").write_text(kb.replace("洗衣机", "冰箱", 1), encoding="utf-8")
    assert main(["data", "merge", str(a), str(b), str(tmp_path / "kb")]) == 2
    assert f"{b / 'kb.jsonl'}: product_id: product 'p1' has another KB entry in {a / 'kb.jsonl'}" in \
        capsys.readouterr().err
    (b / "kb.jsonl").write_text(kb, encoding="utf-8")
    image = next((b / "images").iterdir())
    image.write_bytes((a / "images" / "img2.png").read_bytes() if image.name != "img2.png"
                      else (a / "images" / "img3.png").read_bytes())
    assert main(["data", "merge", str(a), str(b), str(tmp_path / "img")]) == 2
    assert f"{image}: image: image '{image.stem}' differs from the file of that id in" in capsys.readouterr().err


def test_a_split_without_image_files_is_added_beside_a_backup_left_alone(tmp_path, capsys):
    tsv = "s{k}\txjd\tnull\t{text}\t0\ns{k}\txjd\tnull\t0123456789abcdef0123456789abcdef.jpg\t0\ns{k}\txjd\tnull\t好的\t1\n"
    (tmp_path / "a.tsv").write_text(tsv.format(k=1, text="有色差"), encoding="utf-8")
    (tmp_path / "b.tsv").write_text(tsv.format(k=2, text="坏了"), encoding="utf-8")
    corpus = tmp_path / "c"
    (tmp_path / "c.old").mkdir()
    (tmp_path / "c.old" / "mine.txt").write_text("a backup", encoding="utf-8")
    assert main(["data", "convert", str(tmp_path / "a.tsv"), str(corpus), "--from", "jddc20-tsv", "--to",
                 "native"]) == 0
    assert main(["data", "convert", str(tmp_path / "b.tsv"), str(corpus), "--from", "jddc20-tsv", "--to", "native",
                 "--split", "test"]) == 2  # its images have no file
    assert "has no file" in capsys.readouterr().err
    assert main(["data", "convert", str(tmp_path / "b.tsv"), str(corpus), "--from", "jddc20-tsv", "--to", "native",
                 "--split", "test", "--allow-missing-images"]) == 0
    assert Corpus(corpus, images="ignore").splits == ["train", "test"]
    assert (tmp_path / "c.old" / "mine.txt").read_text(encoding="utf-8") == "a backup"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("c")) == ["c", "c.old"]  # nothing left over


def test_self_links_are_gold_links_no_parser_predicts():
    gold = [Relation(0, 1, "Q"), Relation(2, 2, "Odd")]  # EDU 2 only links to itself
    pred = [Relation(0, 1, "Q"), Relation(1, 2, "Q")]
    strict = discourse_scores([pred], [gold], [3])  # y0 root, y1 <- 0, y2 <- 2: 3 gold, 2 right of 3 predicted
    assert strict["link_f1"] == pytest.approx(100 * 2 / 3)
    lenient = discourse_scores([pred], [gold], [3], "lenient")  # EDU 2 is left to the system
    assert lenient["link_f1"] == pytest.approx(100.0)
