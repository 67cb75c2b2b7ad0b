"""Native corpus reading: streaming validation, skip reports, duplicate ids, the image index, image
modes and placeholders, and the byte-for-byte native -> native round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from native_corpus import COLOURS, session_record, set_line, write_corpus
from PIL import Image

from mtdialog.cli import main
from mtdialog.data.images import check_images, image_loader, is_placeholder, load_image, placeholder_image
from mtdialog.data.native import Corpus, scan_images
from mtdialog.data.schema import DataError, SkipReport


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


def test_reads_every_split_with_annotations(corpus_dir):
    corpus = Corpus(corpus_dir)
    assert corpus.splits == ["train", "valid", "test"]
    train = list(corpus.sessions("train"))
    assert [s.session_id for s in train] == ["t1", "t2", "t3"]
    assert train[1].shop == "fx" and train[1].image_ids() == ["img2", "img3"]
    assert train[0].annotations.summary.startswith("用户")
    assert [s.session_id for s in corpus.sessions("valid")] == ["v1"]
    assert set(corpus.kb()) == {"p1", "p2"}
    assert corpus.kb()["p1"].triples[0] == ("洗衣机", "容量", "10kg")


def test_sessions_stream_lazily(corpus_dir):
    set_line(corpus_dir, "train", 3, b"{broken")
    stream = Corpus(corpus_dir).sessions("train")
    assert next(stream).session_id == "t1"  # the bad third line is not read yet
    assert next(stream).session_id == "t2"
    with pytest.raises(DataError, match="malformed JSON"):
        next(stream)


def test_bad_record_raises_with_file_line_field(corpus_dir):
    bad = session_record("t2")
    bad["turns"][1]["speaker"] = "B"
    path = set_line(corpus_dir, "train", 2, bad)
    with pytest.raises(DataError) as e:
        list(Corpus(corpus_dir).sessions("train"))
    assert (e.value.path, e.value.line, e.value.field) == (str(path), 2, "turns[1].speaker")


def test_skip_invalid_goes_on_and_reports(corpus_dir):
    set_line(corpus_dir, "train", 1, b"\xff\xfe not utf-8")
    set_line(corpus_dir, "train", 2, {**session_record("t2"), "turns": []})
    report = SkipReport()
    corpus = Corpus(corpus_dir)
    assert [s.session_id for s in corpus.sessions("train", skip_invalid=True, report=report)] == ["t3"]
    assert [(e.line, e.field) for e in report.errors] == [(1, None), (2, "turns")]
    assert "invalid UTF-8" in report.errors[0].message
    # without a report of its own, the corpus keeps the skipped records
    assert len(list(corpus.sessions("train", skip_invalid=True))) == 1
    assert len(corpus.skipped) == 2


def test_duplicate_ids_within_and_across_splits_name_both_places(corpus_dir):
    set_line(corpus_dir, "train", 3, session_record("t1"))
    with pytest.raises(DataError) as e:
        list(Corpus(corpus_dir).sessions("train"))
    assert e.value.line == 3 and e.value.field == "session_id"
    assert "sessions.train.jsonl:1" in e.value.message

    write_corpus(corpus_dir.parent / "c2", {"train": [session_record("a")], "test": [session_record("a")]})
    corpus = Corpus(corpus_dir.parent / "c2")
    assert len(list(corpus.sessions("train"))) == 1
    assert len(list(corpus.sessions("train"))) == 1  # reading a split again is not a duplicate
    with pytest.raises(DataError, match=r"duplicate session id 'a' \(first at .*sessions.train.jsonl:1\)") as e:
        list(corpus.sessions("test"))
    assert e.value.path.endswith("sessions.test.jsonl") and e.value.line == 1


def test_image_index_is_built_once_from_one_listing(corpus_dir, monkeypatch):
    (corpus_dir / "images" / ".DS_Store").write_bytes(b"x")
    (corpus_dir / "images" / "img1.webp").write_bytes(b"not used: img1.png sorts first")
    corpus = Corpus(corpus_dir)
    assert corpus.image_path("img1") == corpus_dir / "images" / "img1.png"
    assert corpus.image_path("nope") is None
    assert corpus.duplicate_image_files == ["img1.webp"]
    monkeypatch.setattr("mtdialog.data.native.os.scandir", lambda *a: pytest.fail("listed twice"))
    assert corpus.image_path("img4").name == "img4.png"
    assert sorted(corpus.image_index) == ["img1", "img2", "img3", "img4"]


def test_scan_images_keeps_dotted_ids(tmp_path):
    (tmp_path / "0a1b.jpg.jpg").write_bytes(b"")
    (tmp_path / "noext").write_bytes(b"")
    assert scan_images(tmp_path) == ({"0a1b.jpg": "0a1b.jpg.jpg"}, [])


def test_missing_image_check_mode_is_an_error(corpus_dir):
    (corpus_dir / "images" / "img3.png").unlink()
    with pytest.raises(DataError) as e:
        list(Corpus(corpus_dir).sessions("train"))
    assert (e.value.line, e.value.field) == (2, "turns[0].images[1]")
    assert "'img3' has no file" in e.value.message


def test_missing_image_placeholder_mode_records_and_loads_a_placeholder(corpus_dir):
    (corpus_dir / "images" / "img3.png").unlink()
    corpus = Corpus(corpus_dir, images="placeholder")
    assert len(list(corpus.sessions("train"))) == 3
    assert corpus.missing_images == ["img3"]
    assert corpus.image_problems["img3"].field == "turns[0].images[1]"
    image = load_image(corpus, "img3")
    assert is_placeholder(image) and image.mode == "RGB"
    real = load_image(corpus, "img2")
    assert not is_placeholder(real) and real.size == (16, 12) and real.getpixel((0, 0)) == COLOURS["img2"]
    assert not is_placeholder(Image.new("RGB", (224, 224), (128, 128, 128)))
    assert is_placeholder(placeholder_image("x").copy())


def test_ignore_mode_does_not_look_at_images(corpus_dir):
    for f in (corpus_dir / "images").iterdir():
        f.unlink()
    corpus = Corpus(corpus_dir, images="ignore")
    assert len(list(corpus.sessions("train"))) == 3
    with pytest.raises(DataError, match="'img1' has no file"):
        load_image(corpus, "img1")
    with pytest.raises(ValueError, match="images must be one of"):
        Corpus(corpus_dir, images="maybe")


def test_corrupt_images_are_found_by_full_decode(corpus_dir):
    png = (corpus_dir / "images" / "img2.png").read_bytes()
    (corpus_dir / "images" / "img2.png").write_bytes(png[: len(png) // 2])  # truncated
    (corpus_dir / "images" / "img4.png").write_bytes(b"\x89PNG not really")
    corpus = Corpus(corpus_dir)
    errors = check_images(corpus, workers=2)
    assert sorted(errors) == ["img2", "img4"]
    assert errors["img4"].path.endswith("img4.png") and errors["img4"].field == "image"
    with pytest.raises(DataError) as e:
        list(corpus.sessions("train"))
    assert e.value.field == "turns[0].images[0]" and "cannot be decoded" in e.value.message
    with pytest.raises(DataError, match="cannot decode image"):
        load_image(Corpus(corpus_dir), "img4")
    lenient = Corpus(corpus_dir, images="placeholder")
    assert is_placeholder(load_image(lenient, "img4")) and "img4" in lenient.image_problems


def test_kb_errors_name_line_and_field(corpus_dir):
    kb = corpus_dir / "kb.jsonl"
    kb.write_text(kb.read_text(encoding="utf-8")
                  + '{"product_id":"p3","category":"x","triples":[["a","b"]]}\n'
                  + '{"product_id":"p1","category":"x","triples":[]}\n', encoding="utf-8")
    with pytest.raises(DataError) as e:
        Corpus(corpus_dir).kb()
    assert (e.value.line, e.value.field) == (3, "triples[0]")
    report = SkipReport()
    assert [k.product_id for k in Corpus(corpus_dir).kb_entries(skip_invalid=True, report=report)] == ["p1", "p2"]
    assert [e.field for e in report.errors] == ["triples[0]", "product_id"]
    assert "duplicate product id 'p1'" in report.errors[1].message


def test_native_round_trip_is_byte_for_byte_stable(corpus_dir, tmp_path, capsys):
    out = tmp_path / "copy"
    assert main(["data", "convert", str(corpus_dir), str(out), "--from", "native", "--to", "native"]) == 0
    assert "converted 5 sessions (train 3, valid 1, test 1)" in capsys.readouterr().out
    for name in ["sessions.train.jsonl", "sessions.valid.jsonl", "sessions.test.jsonl", "kb.jsonl",
                 "meta.json"] + [f"images/{i}.png" for i in COLOURS]:
        assert (out / name).read_bytes() == (corpus_dir / name).read_bytes(), name
    again = tmp_path / "again"
    assert main(["data", "convert", str(out), str(again), "--from", "native", "--to", "native"]) == 0
    assert (again / "sessions.train.jsonl").read_bytes() == (corpus_dir / "sessions.train.jsonl").read_bytes()


def test_image_fingerprint_follows_the_image_files(corpus_dir):
    """Feature caches key on it: the same files give the same digest, a rewritten or added image another."""
    first = Corpus(corpus_dir).image_fingerprint()
    assert Corpus(corpus_dir).image_fingerprint() == first
    Image.new("RGB", (20, 20), (1, 2, 3)).save(corpus_dir / "images" / "img1.png")  # same id, new content
    rewritten = Corpus(corpus_dir).image_fingerprint()
    assert rewritten != first
    Image.new("RGB", (8, 8)).save(corpus_dir / "images" / "img9.png")
    assert Corpus(corpus_dir).image_fingerprint() not in {first, rewritten}


def test_a_session_file_is_read_like_a_split_with_its_images_and_kb_beside_it(corpus_dir, tmp_path):
    """Prediction input goes through the same reader and checks as a corpus split (Corpus.from_file)."""
    source = Corpus.from_file(corpus_dir / "sessions.train.jsonl")
    assert source.splits == ["input"] and source.images_dir == corpus_dir / "images"
    assert [s.session_id for s in source.sessions("input")] == ["t1", "t2", "t3"]
    assert set(source.kb()) == {"p1", "p2"}
    assert image_loader(source)("img2").getpixel((0, 0)) == COLOURS["img2"]

    lone = tmp_path / "lone" / "new.jsonl"  # no meta.json, images/ or kb.jsonl beside it
    lone.parent.mkdir()
    record = session_record("n1", images=("img1",))
    record["annotations"]["discourse"]["relations"][0]["type"] = "Elaboration"  # another corpus's label set
    lone.write_text(json.dumps(record, ensure_ascii=False) + "\n" + json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"new.jsonl:1: turns\[0\].images\[0\]: image 'img1' has no file"):
        list(Corpus.from_file(lone).sessions("input"))
    with pytest.raises(DataError, match=r"new.jsonl:2: session_id: duplicate session id 'n1' \(first at .*new.jsonl:1\)"):
        list(Corpus.from_file(lone, images_dir=corpus_dir / "images").sessions("input"))
    assert Corpus.from_file(lone, images="ignore").kb() == {}
    with pytest.raises(DataError, match="knowledge-base file does not exist"):
        Corpus.from_file(lone, kb=tmp_path / "kb.jsonl")
    with pytest.raises(DataError, match="input file does not exist"):
        Corpus.from_file(tmp_path / "none.jsonl")
    with pytest.raises(DataError, match="image 'nope' has no file"):
        image_loader(corpus_dir / "images")("nope")
