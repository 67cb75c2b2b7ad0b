"""Every kind of bad input gives one line ``path:line: field: message`` and exit status 2 (no traceback);
``--skip-invalid`` skips the bad record and prints how many and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from native_corpus import session_record, set_line, write_corpus

from mtdialog.cli import main
from mtdialog.data.native import Corpus


def edit(root: Path, split: str, line: int, change) -> None:
    path = root / f"sessions.{split}.jsonl"
    record = json.loads(path.read_text(encoding="utf-8").splitlines()[line - 1])
    change(record)
    set_line(root, split, line, record)


def relations(r: dict) -> list[dict]:
    return r["annotations"]["discourse"]["relations"]


def corrupt(root: Path) -> None:
    png = root / "images" / "img2.png"
    png.write_bytes(png.read_bytes()[:40])


# (name, change to the default corpus, line in sessions.train.jsonl, field, message); session t2 on line 2
# has EDUs [Q text, img2, img3, A text, Q text] and relations 0->3, 3->4.
CASES = [
    ("malformed JSON", lambda d: set_line(d, "train", 2, b'{"session_id": "t2", "shop":'),
     None, "malformed JSON"),
    ("missing field", lambda d: edit(d, "train", 2, lambda r: r["turns"][0].pop("speaker")),
     "turns[0].speaker", "missing required field"),
    ("wrong type", lambda d: edit(d, "train", 2, lambda r: r["turns"][1].update(text=5)),
     "turns[1].text", "expected string, got integer"),
    ("unknown speaker", lambda d: edit(d, "train", 2, lambda r: r["turns"][2].update(speaker="C")),
     "turns[2].speaker", "unknown speaker 'C'"),
    ("relation out of range", lambda d: edit(d, "train", 2, lambda r: relations(r)[0].update(y=9)),
     "annotations.discourse.relations[0].y", "EDU index 9 out of range (session has 5 EDUs)"),
    ("relation before the root", lambda d: edit(d, "train", 2, lambda r: relations(r)[1].update(x=-2)),
     "annotations.discourse.relations[1].x", "EDU index -2 out of range (session has 5 EDUs; -1 is the root)"),
    ("label outside the label set", lambda d: edit(d, "train", 2, lambda r: relations(r)[0].update(type="A/B/C")),
     "annotations.discourse.relations[0].type", "label 'A/B/C' is not in the corpus's relation label set"),
    ("duplicate session id", lambda d: set_line(d, "train", 2, session_record("t1")),
     "session_id", "duplicate session id 't1' (first at "),
    ("empty session", lambda d: edit(d, "train", 2, lambda r: r.update(turns=[])),
     "turns", "empty session (no turns)"),
    ("missing image", lambda d: (d / "images" / "img3.png").unlink(),
     "turns[0].images[1]", "image 'img3' has no file"),
    ("corrupt image", corrupt, "turns[0].images[0]", "image 'img2' cannot be decoded"),
    ("invalid UTF-8", lambda d: set_line(d, "train", 2, b'{"session_id": "t\xe92"}'),
     None, "invalid UTF-8 at byte 17"),
    # what Python's json accepts but nothing after it can handle
    ("lone surrogate in a text", lambda d: set_line(d, "train", 2, _escaped(lambda r: r["turns"][1].update(
        text="SURROGATE"))), "turns[1].text", "invalid Unicode: lone surrogate U+D800"),
    ("lone surrogate in an id", lambda d: set_line(d, "train", 2, _escaped(lambda r: r.update(
        session_id="SURROGATE"))), "session_id", "invalid Unicode: lone surrogate U+D800"),
    ("JSON nested 3,000 levels", lambda d: set_line(d, "train", 2, _nested(3000)), None,
     "JSON nested deeper than 64 levels"),
    ("JSON nested 100,000 levels", lambda d: set_line(d, "train", 2, _nested(100_000)), None,
     "JSON nested deeper than 64 levels"),
    ("JSON nested 70 levels", lambda d: set_line(d, "train", 2, _nested(70)), "meta" + ".x" * 64,
     "JSON nested deeper than 64 levels"),
    ("5,000-digit integer", lambda d: set_line(d, "train", 2, json.dumps(session_record("t2")).replace(
        '"y": 3', '"y": ' + "7" * 5000).encode()), None, "integer of 5000 digits"),
    ("NaN", lambda d: set_line(d, "train", 2, json.dumps(session_record("t2")).replace('"y": 3', '"y": NaN')
                               .encode()), None, "NaN is not a JSON number"),
    # beyond the size limits (what predict and train would refuse, validate refuses first)
    ("501 turns", lambda d: edit(d, "train", 2, lambda r: r.update(turns=(r["turns"] + [
        {"speaker": "Q", "text": "好", "images": []}] * 501)[:501])), "turns", "501 turns, more than the 500"),
]


def _escaped(change) -> bytes:
    """Session t2 with ``SURROGATE`` placed by ``change``, written as the JSON escape of U+D800."""
    record = session_record("t2", images=("img2", "img3"))
    change(record)
    return json.dumps(record).replace("SURROGATE", "\\ud800").encode()


def _nested(levels: int) -> bytes:
    record = json.dumps(session_record("t2", images=("img2", "img3")))
    return (record[:-1] + ', "meta": ' + '{"x": ' * levels + "1" + "}" * levels + "}").encode()
IDS = [c[0] for c in CASES]


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


def located(root: Path, field: str | None) -> str:
    where = f"{root / 'sessions.train.jsonl'}:2: "
    return where + (f"{field}: " if field else "")


@pytest.mark.parametrize("name, change, field, message", CASES, ids=IDS)
def test_validate_prints_one_located_line_and_exits_2(corpus_dir, capsys, name, change, field, message):
    change(corpus_dir)
    assert main(["data", "validate", str(corpus_dir)]) == 2
    out, err = capsys.readouterr()
    lines = [line for line in (out + err).splitlines() if located(corpus_dir, field) in line]
    assert len(lines) == 1, out + err
    assert lines[0].split(located(corpus_dir, field), 1)[1].startswith(message)
    assert "Traceback" not in out + err


@pytest.mark.parametrize("name, change, field, message", [c for c in CASES if c[0] != "corrupt image"],
                         ids=[i for i in IDS if i != "corrupt image"])
def test_skip_invalid_skips_the_record_and_says_why(corpus_dir, tmp_path, capsys, name, change, field, message):
    change(corpus_dir)
    out_dir = tmp_path / "out"
    assert main(["data", "convert", str(corpus_dir), str(out_dir), "--from", "native", "--to", "native",
                 "--skip-invalid"]) == 0
    out, err = capsys.readouterr()
    assert "converted 4 sessions (train 2, valid 1, test 1)" in out
    assert f"skipped 1 invalid record(s): 1 x {field or 'record'}" in err
    assert f"  {located(corpus_dir, field)}{message}" in err
    assert [s.session_id for s in Corpus(out_dir, images="ignore").sessions("train")] == ["t1", "t3"]

    # validate --skip-invalid goes on to the end and lists the problem with the others' counts
    assert main(["data", "validate", str(corpus_dir), "--skip-invalid"]) == 2
    out, _ = capsys.readouterr()
    assert f"{located(corpus_dir, field)}{message}" in out and "INVALID" in out
    assert "valid         1" in out and "test          1" in out


def test_corrupt_image_is_listed_with_its_file(corpus_dir, capsys):
    corrupt(corpus_dir)
    (corpus_dir / "images" / "unused.png").write_bytes(b"GIF89a garbage")
    assert main(["data", "validate", str(corpus_dir), "--skip-invalid"]) == 2
    out = capsys.readouterr().out
    assert "corrupt images: 2 (img2, unused)" in out
    assert f"{corpus_dir / 'images' / 'unused.png'}: image: cannot decode image" in out


def test_missing_images_are_counted_with_ids(corpus_dir, capsys):
    (corpus_dir / "images" / "img1.png").unlink()
    (corpus_dir / "images" / "img4.png").unlink()
    assert main(["data", "validate", str(corpus_dir)]) == 2
    out = capsys.readouterr().out
    assert "missing images: 2 (img1, img4)" in out
    # each missing image is reported once, at its first reference (t1 in train; e1 in test also uses img1)
    assert sum("image 'img1' has no file" in line for line in out.splitlines()) == 1


def test_labels_come_from_meta_json(corpus_dir, capsys):
    meta = json.loads((corpus_dir / "meta.json").read_text(encoding="utf-8"))
    meta["labels"]["relations"] = ["QAP", "Comment", "Question&Answer/Question/Yes-No"]
    (corpus_dir / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    edit(corpus_dir, "train", 2, lambda r: [x.update(type="QAP") for x in relations(r)])
    assert main(["data", "validate", str(corpus_dir)]) == 2
    err = capsys.readouterr().err
    # line 2 now fits the corpus's own set; line 1 still uses a JDDC 2.1 label that the set lacks
    assert err.startswith(f"mtdialog: error: {corpus_dir / 'sessions.train.jsonl'}:1: "
                          "annotations.discourse.relations[1].type: label 'Communication/Social/Social'")


def test_meta_counts_are_checked(corpus_dir, capsys):
    meta = json.loads((corpus_dir / "meta.json").read_text(encoding="utf-8"))
    meta["counts"]["train"]["sessions"] = 4
    meta["counts"]["image_files"] = 3
    (corpus_dir / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    assert main(["data", "validate", str(corpus_dir)]) == 2
    out = capsys.readouterr().out
    assert f"{corpus_dir / 'meta.json'}: counts.train.sessions: says 4, found 3" in out
    assert f"{corpus_dir / 'meta.json'}: counts.image_files: says 3, found 4" in out


def test_bad_kb_record(corpus_dir, capsys):
    with open(corpus_dir / "kb.jsonl", "a", encoding="utf-8") as f:
        f.write('{"product_id": "p9", "category": 3, "triples": []}\n')
    assert main(["data", "validate", str(corpus_dir)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"mtdialog: error: {corpus_dir / 'kb.jsonl'}:3: category: expected string, got integer")


@pytest.mark.parametrize("change, field, message", [
    (lambda m: m.update(labels="all of them"), "labels", "expected an object, got string"),
    (lambda m: m["labels"].update(relations=None), "labels.relations", "expected a list of non-empty strings, got null"),
    (lambda m: m["labels"].update(relations=["A", "A"]), "labels.relations", "a label is listed twice"),
    (lambda m: m["counts"].update(train=3), "counts.train", "expected an object of counts, got integer"),
    (lambda m: m["counts"]["train"].update(sessions=-1), "counts.train.sessions", "expected a count, got -1"),
    (lambda m: m.update(name=["x"]), "name", "expected a string, got array"),
])
def test_wrongly_typed_meta_json_fields_are_named(corpus_dir, capsys, change, field, message):
    meta = json.loads((corpus_dir / "meta.json").read_text(encoding="utf-8"))
    change(meta)
    (corpus_dir / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    for command in (["data", "validate"], ["data", "stats"], ["baseline", "all", "--corpus"]):
        assert main([*command, str(corpus_dir)]) == 2
        assert capsys.readouterr().err.strip() == f"mtdialog: error: {corpus_dir / 'meta.json'}: {field}: {message}"


def test_files_that_are_directories_are_named(corpus_dir, capsys):
    (corpus_dir / "meta.json").unlink()
    (corpus_dir / "meta.json").mkdir()
    assert main(["data", "validate", str(corpus_dir)]) == 2
    assert capsys.readouterr().err.strip() == f"mtdialog: error: {corpus_dir / 'meta.json'}: is a directory, not a file"
    (corpus_dir / "meta.json").rmdir()
    (corpus_dir / "sessions.valid.jsonl").unlink()
    (corpus_dir / "sessions.valid.jsonl").mkdir()
    assert main(["data", "stats", str(corpus_dir)]) == 2
    assert "sessions.valid.jsonl: is a directory, not a file" in capsys.readouterr().err


def test_operating_system_errors_are_one_line(tmp_path, capsys):
    assert main(["data", "synth", "--out", "/proc/no-such/corpus", "--sessions", "10"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mtdialog: error: /proc/no-such") and "\n" not in err and "Traceback" not in err
