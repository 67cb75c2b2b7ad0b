"""``mtdialog report`` on a real run: the page holds the run, its test tables, its plots and a gallery
with images and drawn parses; it needs no network; its data is in the JSON beside it; bad runs are
named. The arcs are checked against gold by hand-made parses.
"""

from __future__ import annotations

import json
import re

import pytest

from mtdialog.cli import main
from mtdialog.data.schema import Relation
from mtdialog.report import arcs_svg, build_report
from mtdialog.report.arcs import mark


@pytest.fixture(scope="module")
def report(trained_run, synth_corpus):
    """``mtdialog report RUN`` (the corpus from the recipe), its printed path and the HTML."""
    import contextlib
    import io

    run, out = trained_run, io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["report", str(run), "--sessions", "3", "--num-beams", "1"]) == 0
    return out.getvalue(), (run / "report.html").read_text(encoding="utf-8")


def test_the_report_holds_the_run_tables_plots_and_a_gallery(trained_run, report, synth_corpus):
    printed, html = report
    assert printed.strip() == f"report: {(trained_run / 'report.html').resolve()}"
    test = json.loads((trained_run / "test_scores.json").read_text())
    for title in ("Table 5: response generation", "Table 8: discourse parsing", "Table 9: summarization"):
        assert title in html
    assert f"{test['combined_score']['mtdialog']:.2f}" in html
    assert "previous-edu" in html and "lexrank" in html  # the baselines beside the model
    captions = re.findall(r'<figure class="plot"><figcaption>([^<]+)</figcaption><svg', html)
    assert captions == ["Test scores", "Training loss per task", "Learning rates", "Validation scores"]
    sessions = re.findall(r'<div class="session" id="session-([^"]+)">', html)
    assert len(sessions) == 3
    thumbs = re.findall(r'<img class="thumb" src="data:image/jpeg;base64,[A-Za-z0-9+/=]+"', html)
    assert len(thumbs) > 0
    annotated = sum(e["discourse"] is not None for e in json.loads((trained_run / "report.json").read_text())["gallery"])
    assert annotated >= 1 and html.count('<svg class="arcs"') == 2 * annotated  # gold beside predicted
    assert "step 4" in html or "step 2" in html  # the best checkpoint's step
    assert "transformers" in html and "recipe.yaml" in html


def test_the_report_needs_no_network(report):
    _, html = report
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "@import" not in html and "url(http" not in html


def test_the_json_beside_it_has_the_same_gallery_answers(trained_run, report):
    data = json.loads((trained_run / "report.json").read_text(encoding="utf-8"))
    assert data["test"] == json.loads((trained_run / "test_scores.json").read_text())
    assert [r["step"] for r in data["log"] if "eval" in r] == [2, 4]
    entry = data["gallery"][0]
    _, html = report
    assert f'id="session-{entry["session_id"]}"' in html
    assert {r["task"] for r in entry["rows"]} >= {"response", "image_category"}
    for row in entry["rows"]:
        assert row["correct"] == (row["predicted"] == row["gold"])
    assert len(entry["discourse"]["edus"]) == sum(bool(t["text"]) + len(t["images"]) for t in entry["turns"])
    assert all(isinstance(i, str) for t in entry["turns"] for i in t["images"])  # ids, not thumbnails


def test_a_report_without_corpus_or_checkpoint_says_why_the_gallery_is_empty(trained_run, tmp_path):
    html, _ = build_report(trained_run, corpus=tmp_path / "elsewhere", out=tmp_path / "r.html")
    assert "no gallery: the corpus" in html.read_text(encoding="utf-8")
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "log.jsonl").write_text('{"step": 1, "loss": {"summary": 2.0}}\n', encoding="utf-8")
    html, data = build_report(bare)
    text = html.read_text(encoding="utf-8")
    assert "no gallery: the run has no checkpoint" in text and "No test scores" in text
    assert "Training loss per task" in text and json.loads(data.read_text())["gallery"] == []


def test_a_directory_that_is_not_a_benchmark_is_named(trained_run, tmp_path, capsys):
    assert main(["report", str(trained_run), "--benchmark", str(tmp_path), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == (f"mtdialog: error: {tmp_path}: not a benchmark directory (no "
                                               "results.json): run `mtdialog benchmark paper` first")
    assert not (tmp_path / "r.html").exists()


def test_bad_run_directories_are_named(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.strip() == f"mtdialog: error: {tmp_path / 'missing'}: run directory does not exist"
    assert main(["report", str(tmp_path)]) == 2
    assert "not a run directory (no log.jsonl or recipe.yaml)" in capsys.readouterr().err
    (tmp_path / "log.jsonl").write_text('{"step": 1}\n{"step": 2, oops\n', encoding="utf-8")
    assert main(["report", str(tmp_path)]) == 2
    assert f"{tmp_path / 'log.jsonl'}:2: malformed JSON" in capsys.readouterr().err
    (tmp_path / "log.jsonl").write_text('{"loss": 1}\n', encoding="utf-8")
    assert main(["report", str(tmp_path)]) == 2
    assert f"{tmp_path / 'log.jsonl'}:1: step: expected a record with an integer step" in capsys.readouterr().err


# -------------------------------------------------------------------------------------------- arcs
GOLD = [Relation(0, 1, "A/x/Elaboration"), Relation(1, 2, "A/x/Social"), Relation(1, 3, "A/x/Yes-No")]


def test_each_predicted_link_is_marked_against_gold():
    predicted = [Relation(0, 1, "A/x/Elaboration"), Relation(1, 2, "A/x/Yes-No"), Relation(0, 3, "A/x/Yes-No")]
    assert [mark(r, GOLD) for r in predicted] == ["correct", "wrong-relation", "wrong-link"]
    svg = arcs_svg(["Q: 你好", "A: 您好", "Q: 在吗", "A: 在的"], predicted, gold=GOLD, title="predicted")
    arcs = re.findall(r'<path class="arc ([a-z-]+)" data-x="(\d+)" data-y="(\d+)"', svg)
    assert arcs == [("correct", "0", "1"), ("wrong-relation", "1", "2"), ("wrong-link", "0", "3")]
    assert 'stroke-dasharray' in svg.split('class="arc wrong-link"')[1].split(">")[0]
    assert "← 1 Yes-No" in svg and "Elaboration" in svg


def test_root_and_out_of_range_links_are_listed_not_drawn():
    relations = [Relation(-1, 0, "A/x/Root"), Relation(0, 1, "A/x/Elaboration"), Relation(5, 1, "A/x/Far")]
    svg = arcs_svg(["Q: <b>你好</b>", "A: 您好"], relations)
    assert svg.count('<path class="arc ') == 1 and 'class="arc gold"' in svg
    assert "root Root" in svg and "← 5 Far" in svg
    assert "&lt;b&gt;" in svg and "<b>" not in svg  # EDU text is escaped
