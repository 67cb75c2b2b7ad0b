"""``mtdialog data``: help texts, conversions between the native format and the public formats (with
images), validation of a clean corpus, and the console entry point's exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from native_corpus import set_line, write_corpus
from PIL import Image

from mtdialog.cli import main
from mtdialog.data.images import load_image
from mtdialog.data.native import Corpus

H1, H2 = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
TSV_ROWS = [
    ("s1", "xjd", "null", f"洗衣机坏了|||{H1}.jpg", "0"),
    ("s1", "xjd", "null", "您好，请问哪里坏了", "1"),
    ("s2", "fx", "9e107d9d372bb6826bd81d3542a419d6", "这件衣服有货吗", "0"),
    ("s2", "fx", "9e107d9d372bb6826bd81d3542a419d6", f"{H2}.jpg", "0"),
    ("s2", "fx", "9e107d9d372bb6826bd81d3542a419d6", "有的亲#E-s57", "1"),
]


@pytest.fixture
def tsv(tmp_path: Path) -> Path:
    """A JDDC 2.0 TSV whose two images lie as real JPEGs in ``imgs/``."""
    (tmp_path / "imgs").mkdir()
    Image.new("RGB", (20, 10), (250, 0, 0)).save(tmp_path / "imgs" / f"{H1}.jpg")
    Image.new("RGB", (10, 20), (0, 0, 250)).save(tmp_path / "imgs" / f"{H2}.jpg")
    path = tmp_path / "in.tsv"
    path.write_text("".join("\t".join(r) + "\n" for r in TSV_ROWS), encoding="utf-8")
    return path


def convert(src: Path, dst: Path, frm: str, to: str, *extra: str) -> int:
    return main(["data", "convert", str(src), str(dst), "--from", frm, "--to", to, *extra])


@pytest.mark.parametrize("argv, words", [
    (["data"], ["synth", "convert", "validate", "stats"]),
    (["data", "synth"], ["--out", "--sessions", "--annotated", "--seed", "--workers", "default: 3000"]),
    (["data", "convert"], ["--from", "--to", "--split", "--images", "--skip-invalid", "jddc20-tsv", "csds",
                           "byte-for-byte"]),
    (["data", "validate"], ["--skip-invalid", "decode every image", "exits 0"]),
    (["data", "stats"], ["--json", "Table 2", "Table 12"]),
])
def test_help(capsys, argv, words):
    with pytest.raises(SystemExit) as e:
        main(argv + ["--help"])
    assert e.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    for word in words:
        assert word in out


def test_tsv_to_native_with_images_and_back(tsv, tmp_path, capsys):
    out = tmp_path / "native"
    assert convert(tsv, out, "jddc20-tsv", "native", "--images", str(tmp_path / "imgs"), "--split", "valid") == 0
    printed = capsys.readouterr().out
    assert "converted 2 sessions (valid 2)" in printed and "image files 2" in printed
    corpus = Corpus(out)
    assert corpus.meta["name"] == "in" and corpus.meta["counts"]["valid"] == {"sessions": 2, "turns": 5, "images": 2}
    s2 = list(corpus.sessions("valid"))[1]
    assert s2.shop == "fx" and s2.turns[1].images == [H2]
    assert load_image(corpus, H2).size == (10, 20)
    assert main(["data", "validate", str(out)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("OK")
    back = tmp_path / "back.tsv"
    assert convert(out, back, "native", "jddc20-tsv") == 0
    assert back.read_bytes() == tsv.read_bytes()


def test_missing_input_images(tsv, tmp_path, capsys):
    (tmp_path / "imgs" / f"{H2}.jpg").unlink()
    assert convert(tsv, tmp_path / "a", "jddc20-tsv", "native", "--images", str(tmp_path / "imgs")) == 2
    assert capsys.readouterr().err.strip() == (
        f"mtdialog: error: {tsv}: turns[1].images[0]: image '{H2}' of session 's2' not found in {tmp_path / 'imgs'}")
    assert not (tmp_path / "a").exists()  # a failed conversion leaves nothing behind

    assert convert(tsv, tmp_path / "b", "jddc20-tsv", "native", "--images", str(tmp_path / "imgs"),
                   "--skip-invalid") == 0
    out, err = capsys.readouterr()
    assert "converted 1 sessions (train 1)" in out and "skipped 1 invalid record(s)" in err

    assert convert(tsv, tmp_path / "c", "jddc20-tsv", "native", "--images", str(tmp_path / "imgs"),
                   "--allow-missing-images") == 0
    assert f"images not found in {tmp_path / 'imgs'}: 1 ({H2})" in capsys.readouterr().out
    assert main(["data", "validate", str(tmp_path / "c")]) == 2
    assert f"missing images: 1 ({H2})" in capsys.readouterr().out

    assert convert(tsv, tmp_path / "d", "jddc20-tsv", "native") == 0
    assert "2 image references and no --images directory" in capsys.readouterr().err


def test_stac_into_native_keeps_its_own_labels(tmp_path, capsys):
    stac = tmp_path / "dev.json"
    stac.write_text(json.dumps([{"id": "g1", "edus": [
        {"text": "anyone has wood?", "speaker": "ann"}, {"text": "no", "speaker": "bob"},
        {"text": "ok", "speaker": "ann"}],
        "relations": [{"x": 0, "y": 1, "type": "QAP"}, {"x": 1, "y": 2, "type": "Acknowledgement"}]}]),
        encoding="utf-8")
    out = tmp_path / "native"
    assert convert(stac, out, "stac", "native") == 0
    corpus = Corpus(out)
    assert corpus.relation_labels == ("Acknowledgement", "QAP")
    [session] = corpus.sessions("train")
    assert [r.type for r in session.annotations.discourse] == ["QAP", "Acknowledgement"]
    again = tmp_path / "again.json"
    assert convert(out, again, "native", "stac") == 0
    assert json.loads(again.read_text(encoding="utf-8")) == json.loads(stac.read_text(encoding="utf-8"))


def test_native_to_file_one_split_or_all(tmp_path, capsys):
    root = write_corpus(tmp_path / "corpus")
    assert convert(root, tmp_path / "valid.json", "native", "stac", "--split", "valid") == 0
    assert [d["id"] for d in json.loads((tmp_path / "valid.json").read_text(encoding="utf-8"))] == ["v1"]
    assert convert(root, tmp_path / "all.json", "native", "stac") == 0
    assert "converted 5 sessions (train 3, valid 1, test 1)" in capsys.readouterr().out
    assert len(json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))) == 5


def test_convert_refuses_to_overwrite_and_bad_combinations(tmp_path, capsys):
    root = write_corpus(tmp_path / "corpus")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep")
    assert convert(root, tmp_path / "full", "native", "native") == 2
    assert "output exists and is not empty" in capsys.readouterr().err
    assert (tmp_path / "full" / "x").read_text() == "keep"
    assert convert(root, tmp_path / "o", "native", "native", "--images", str(tmp_path)) == 2
    assert "--images is for reading a file format" in capsys.readouterr().err


def test_native_subset_of_splits(tmp_path, capsys):
    root = write_corpus(tmp_path / "corpus")
    out = tmp_path / "only-test"
    assert convert(root, out, "native", "native", "--split", "test") == 0
    assert Corpus(out).splits == ["test"]
    assert (out / "sessions.test.jsonl").read_bytes() == (root / "sessions.test.jsonl").read_bytes()
    assert json.loads((out / "meta.json").read_text(encoding="utf-8"))["source"] == "tests"


def test_console_entry_point_exit_codes(tmp_path):
    """The installed ``mtdialog`` script (or ``python -m mtdialog``): 0 on a clean corpus, 2 and one
    error line without a traceback on a bad one."""
    root = write_corpus(tmp_path / "corpus")
    script = Path(sys.executable).parent / "mtdialog"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "mtdialog"]
    ok = subprocess.run(command + ["data", "validate", str(root)], check=False, capture_output=True, text=True,
                        timeout=120)
    assert ok.returncode == 0 and ok.stdout.rstrip().endswith("OK"), ok.stderr
    set_line(root, "test", 1, b'{"session_id": 7}')
    bad = subprocess.run([sys.executable, "-m", "mtdialog", "data", "validate", str(root)],
                         check=False, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr == (f"mtdialog: error: {root / 'sessions.test.jsonl'}:1: session_id: "
                          "expected string, got integer\n")


def test_synth_corpus_is_valid_and_round_trips(tmp_path, capsys):
    """The generated corpus passes validate, has every annotation in the stats, and copies byte for byte."""
    root = tmp_path / "synth"
    assert main(["data", "synth", "--out", str(root), "--sessions", "20", "--annotated", "6",
                 "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert f"wrote 20 sessions (train {Corpus(root).meta['counts']['train']['sessions']}, " in out
    assert "sessions/s" in out
    assert main(["data", "validate", str(root)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("OK")
    assert main(["data", "stats", str(root), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert sum(d["dialogues"] for d in stats["discourse"].values()) == 6 == stats["summaries"]["count"]
    assert {shop for cells in stats["dialogues"].values() for shop, c in cells.items() if c["dialogues"]} == \
        {"xjd", "fx", "all"}
    copy = tmp_path / "copy"
    assert convert(root, copy, "native", "native") == 0
    for path in sorted(root.rglob("*")):
        if path.is_file():
            assert (copy / path.relative_to(root)).read_bytes() == path.read_bytes(), path
