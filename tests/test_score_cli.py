"""``mtdialog score``: every task from files, the paper's table layouts, JSON output, and located
one-line errors (exit 2) for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtdialog import cli, metrics
from mtdialog.data.labels import IMAGE_CATEGORIES, JDDC21_RELATIONS
from mtdialog.data.schema import Relation

PREDS = ["您好，请问有什么可以帮您？", "亲，已经发货了。明天到。", "", "USB-C接口坏了"]
REFS = ["您好，有什么可以帮您？", "亲亲，已经为您发货了哦。", "好的", "USB接口坏了"]
QA, SOCIAL = JDDC21_RELATIONS[0], "Communication/Social/Social"


@pytest.fixture
def score(monkeypatch, capsys):
    """Run ``mtdialog score ARGS`` through the real entry point; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(cli, "COMMANDS", ("mtdialog.metrics.cli",))

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main(["score", *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def lines(tmp_path: Path, name: str, rows: list[str]) -> Path:
    return write(tmp_path / name, "".join(f"{r}\n" for r in rows))


# -------------------------------------------------------------------------------- generation
def test_response_table_in_paper_layout(tmp_path, score):
    code, out, _ = score("response", "-p", lines(tmp_path, "p.txt", PREDS), "-r", lines(tmp_path, "r.txt", REFS))
    assert code == 0
    expected = metrics.generation_scores(PREDS, REFS)
    title, header, row, *notes = out.splitlines()
    assert title.startswith("Table 5: response generation (4 examples")
    assert header.split() == ["model", "BLEU", "RG-L", "Dt-1", "Dt-2"]
    assert row.split() == ["predictions"] + [f"{expected[k]:.2f}" for k in ("bleu", "rougeL", "distinct1", "distinct2")]
    assert "corpus BLEU over characters" in notes[0] and "Distinct" in notes[-1]


def test_json_output_has_the_metric_keys_in_percent(tmp_path, score):
    p, r = lines(tmp_path, "p.txt", PREDS), write(tmp_path / "r.txt", "\r\n".join(REFS))  # CRLF, no final newline
    code, out, _ = score("rewrite", "--predictions", p, "--references", r, "--json", "--bleu-tokenize", "sentence")
    assert code == 0
    result = json.loads(out)
    expected = metrics.generation_scores(PREDS, REFS, bleu_tokenize="sentence")
    assert {k: result[k] for k in expected} == pytest.approx(expected)
    assert result["examples"] == 4 and "sentence BLEU" in result["conventions"]


def test_summary_table_has_rouge_columns(tmp_path, score):
    code, out, _ = score("summary", "-p", lines(tmp_path, "p.txt", PREDS), "-r", lines(tmp_path, "r.txt", REFS))
    assert code == 0
    assert out.splitlines()[1].split() == ["model", "RG-1", "RG-2", "RG-L", "RG-Lsum"]


@pytest.mark.parametrize("pred, ref, message", [
    ("a\nb\n", "a\n", "p.txt: 2 lines but the references"),
    ("", "a\n", "p.txt: empty file"),
    (b"ok\n\xff\xfe\n", "a\nb\n", "p.txt:2: invalid UTF-8"),
])
def test_bad_text_files_give_one_located_line(tmp_path, score, pred, ref, message):
    code, out, err = score("response", "-p", write(tmp_path / "p.txt", pred), "-r", write(tmp_path / "r.txt", ref))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("mtdialog: error: ") and message in err


def test_unreadable_file(tmp_path, score):
    code, _, err = score("response", "-p", tmp_path / "missing.txt", "-r", lines(tmp_path, "r.txt", REFS))
    assert code == 2 and "missing.txt: cannot read file" in err


# ------------------------------------------------------------------------------- rewritable
def test_rewritable_precision_recall_f1(tmp_path, score):
    p = lines(tmp_path, "p.txt", ["1", "true", " FALSE ", "0", "1"])
    r = lines(tmp_path, "r.txt", ["1", "0", "false", "1", "True"])
    code, out, _ = score("rewritable", "-p", p, "-r", r)
    assert code == 0
    title, header, row, _ = out.splitlines()
    assert title.startswith("Table 6") and header.split() == ["model", "P", "R", "F1"]
    assert row.split() == ["predictions", "66.67", "66.67", "66.67"]


def test_rewritable_invalid_value_names_file_line_field(tmp_path, score):
    p = lines(tmp_path, "p.txt", ["1", "0", "yes"])
    code, _, err = score("rewritable", "-p", p, "-r", lines(tmp_path, "r.txt", ["1", "0", "1"]))
    assert code == 2 and f"{p}:3: rewritable: expected 0, 1, true or false, got 'yes'" in err


# --------------------------------------------------------------------------- image category
def test_image_category_accuracy_and_invalid_label(tmp_path, score):
    r = lines(tmp_path, "r.txt", [IMAGE_CATEGORIES[0], IMAGE_CATEGORIES[1]])
    code, out, _ = score("image-category", "-p", lines(tmp_path, "p.txt", [IMAGE_CATEGORIES[0]] * 2), "-r", r,
                         "--json")
    assert code == 0 and json.loads(out)["accuracy"] == pytest.approx(50.0)
    bad = lines(tmp_path, "bad.txt", [IMAGE_CATEGORIES[0], "selfie"])
    code, _, err = score("image-category", "-p", bad, "-r", r)
    assert code == 2 and f"{bad}:2: label: unknown label 'selfie'" in err


# -------------------------------------------------------------------------------- discourse
def session(session_id: str, relations: list[tuple[int, int, str]]) -> dict:
    """A native session of 4 text turns (4 EDUs) with the given discourse relations."""
    texts = ["洗衣机坏了", "您好，请问什么故障", "显示E3", "好的稍等"]
    return {"session_id": session_id, "shop": "xjd", "product_id": None,
            "turns": [{"speaker": "QA"[i % 2], "text": t, "images": []} for i, t in enumerate(texts)],
            "annotations": {"discourse": {"relations": [{"x": x, "y": y, "type": t} for x, y, t in relations]}}}


def jsonl(path: Path, records: list[dict]) -> Path:
    return write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


GOLD = {"s1": [(0, 1, QA), (1, 2, QA), (2, 3, SOCIAL)], "s2": [(0, 1, SOCIAL)]}
PRED = {"s2": [(0, 1, QA), (0, 2, SOCIAL)], "s1": [(0, 1, QA), (0, 2, QA), (2, 3, QA)]}


def expected_discourse() -> dict[str, float]:
    ids = list(GOLD)
    as_relations = [[Relation(*r) for r in GOLD[i]] for i in ids], [[Relation(*r) for r in PRED[i]] for i in ids]
    return metrics.discourse_scores(as_relations[1], as_relations[0], [4, 4])


def test_discourse_native_sessions_matched_by_id(tmp_path, score):
    g = jsonl(tmp_path / "gold.jsonl", [session(i, r) for i, r in GOLD.items()])
    p = jsonl(tmp_path / "pred.jsonl", [session(i, r) for i, r in PRED.items()])   # other order
    code, out, _ = score("discourse", "-p", p, "-r", g)
    assert code == 0
    title, header, row, note = out.splitlines()
    expected = expected_discourse()
    assert title.startswith("Table 8") and header.split() == ["model", "Link", "Link&Rel"]
    assert row.split() == ["predictions", f"{expected['link_f1']:.2f}", f"{expected['link_rel_f1']:.2f}"]
    assert "is linked to the root" in note and "(strict)" in note


def test_discourse_native_errors(tmp_path, score):
    g = jsonl(tmp_path / "gold.jsonl", [session(i, r) for i, r in GOLD.items()])
    p = jsonl(tmp_path / "pred.jsonl", [session("s1", PRED["s1"])])
    code, _, err = score("discourse", "-p", p, "-r", g)
    assert code == 2 and f"{p}: session_id: no prediction for session 's2'" in err
    p = jsonl(tmp_path / "pred.jsonl", [session("s1", PRED["s1"]), session("s2", [(0, 1, "Chitchat")])])
    code, _, err = score("discourse", "-p", p, "-r", g)
    assert code == 2 and f"{p}:2: annotations.discourse.relations[0].type" in err


def stac(path: Path, dialogues: list[list[tuple[int, int, str]]], n_edus: int = 3) -> Path:
    records = [{"edus": [{"text": f"话{k}", "speaker": "ab"[k % 2]} for k in range(n_edus)],
                "relations": [{"x": x, "y": y, "type": t} for x, y, t in rels]} for rels in dialogues]
    return write(path, json.dumps(records, ensure_ascii=False))


def test_discourse_stac_json_by_position(tmp_path, score):
    g = stac(tmp_path / "gold.json", [[(0, 1, "QAP"), (1, 2, "Comment")], [(0, 2, "QAP"), (2, 1, "Back")]])
    p = stac(tmp_path / "pred.json", [[(0, 1, "QAP"), (0, 2, "Comment")], [(0, 2, "QAP")]])
    code, out, err = score("discourse", "-p", p, "-r", g, "--json")
    assert code == 0
    pred = [[Relation(0, 1, "QAP"), Relation(0, 2, "Comment")], [Relation(0, 2, "QAP")]]
    gold = [[Relation(0, 1, "QAP"), Relation(1, 2, "Comment")], [Relation(0, 2, "QAP"), Relation(2, 1, "Back")]]
    expected = metrics.discourse_scores(pred, gold, [3, 3])
    result = json.loads(out)
    assert {k: result[k] for k in expected} == pytest.approx(expected)
    assert f"{g}: 1 pointing forward (kept as annotated" in err  # the link 2 -> 1
    # lenient: EDU 1 of the second dialogue (only a forward link) is left to the system
    code, out, _ = score("discourse", "-p", p, "-r", g, "--json", "--convention", "lenient")
    lenient, expected = json.loads(out), metrics.discourse_scores(pred, gold, [3, 3], "lenient")
    assert {k: lenient[k] for k in expected} == pytest.approx(expected)
    assert lenient["link_f1"] == pytest.approx(100 * 2 / 3) and "(lenient" in lenient["conventions"]

    short = stac(tmp_path / "short.json", [[], []], n_edus=2)
    code, _, err = score("discourse", "-p", short, "-r", g)
    assert code == 2 and f"{short}: record 0: edus: 2 EDUs but the reference" in err


def test_discourse_format_mismatch_and_garbage(tmp_path, score):
    g = jsonl(tmp_path / "gold.jsonl", [session(i, r) for i, r in GOLD.items()])
    p = stac(tmp_path / "pred.json", [[], []])
    code, _, err = score("discourse", "-p", p, "-r", g)
    assert code == 2 and "stac format but the references" in err
    code, _, err = score("discourse", "-p", write(tmp_path / "x.txt", "hello"), "-r", g)
    assert code == 2 and "x.txt:1: expected native session JSONL" in err
