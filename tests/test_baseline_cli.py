"""``mtdialog baseline``: files that line up with the references, scores printed, errors reported."""

import json

import pytest

from mtdialog import cli
from mtdialog.baselines.registry import baselines
from mtdialog.data.native import Corpus, CorpusWriter
from mtdialog.data.schema import Session

SOCIAL, SWIH, ANSWER = ("Communication/Social/Social", "Question&Answer/Question/SWIH",
                        "Question&Answer/Answer/Affirmation")


def run_cli(argv: list[str]) -> int:
    return cli.main(argv)


def session(i: int, *, summary: bool = True) -> Session:
    annotations = {
        "rewrites": [{"turn": 0, "rewritable": True, "text": f"冰箱{i}号不制冷怎么办"},
                     {"turn": 2, "rewritable": i % 3 == 0, "text": "这台冰箱的保修期多久" if i % 3 == 0 else ""}],
        "discourse": {"relations": [{"x": 0, "y": 1, "type": SOCIAL}, {"x": 1, "y": 2, "type": SWIH},
                                    {"x": 2, "y": 3, "type": ANSWER}, {"x": 1, "y": 4, "type": SWIH}]},
        "image_categories": {f"img{i}": "photo_malfunction" if i % 2 else "screenshot_product_order"},
    }
    if summary:
        annotations["summary"] = f"用户反映冰箱{i}号不制冷，客服答复保修。"
    return Session.from_dict({
        "session_id": f"s{i}", "shop": "xjd", "product_id": "p1",
        "turns": [{"speaker": "Q", "text": f"冰箱{i}号不制冷了\n怎么办", "images": [f"img{i}"]},
                  {"speaker": "A", "text": "亲，请问是哪个型号呢", "images": []},
                  {"speaker": "Q", "text": "", "images": [f"img{i}b"]},
                  {"speaker": "A", "text": f"这款保修{i}年哦", "images": []}],
        "annotations": annotations,
    })


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    with CorpusWriter(root, name="tiny") as writer:
        for i in range(6):
            writer.add_session("train", session(i))
        for i in range(6, 9):
            writer.add_session("test", session(i))
        writer.add_session("valid", session(9, summary=False))
    return root


BASELINES = baselines()


@pytest.mark.parametrize("name", list(BASELINES))
def test_each_baseline_writes_predictions_that_line_up_with_its_references(name, corpus, tmp_path, capsys):
    pred, ref = tmp_path / "pred.txt", tmp_path / "ref.txt"
    assert run_cli(["baseline", name, "--corpus", str(corpus), "--output", str(pred),
                    "--references", str(ref)]) == 0
    task = BASELINES[name].task
    n = len(list(task.all_examples(Corpus(corpus, images="ignore").sessions("test"))))
    assert n > 0
    pred_lines, ref_lines = pred.read_text("utf-8").splitlines(), ref.read_text("utf-8").splitlines()
    assert len(pred_lines) == len(ref_lines) == n
    if task.name == "discourse":
        pairs = [(json.loads(p)["session_id"], json.loads(r)["session_id"]) for p, r in zip(pred_lines, ref_lines)]
        assert pairs == [("s6", "s6"), ("s7", "s7"), ("s8", "s8")]
    if task.name == "rewritable":
        assert set(pred_lines) | set(ref_lines) <= {"0", "1"}
    assert f"wrote {n} {task.name} predictions" in capsys.readouterr().err


def test_texts_with_line_breaks_stay_on_one_line(corpus, tmp_path):
    out = tmp_path / "lead.txt"
    assert run_cli(["baseline", "lead", "--corpus", str(corpus), "--output", str(out)]) == 0
    lines = out.read_text("utf-8").splitlines()
    assert lines[0].startswith("冰箱6号不制冷了 怎么办")


def test_score_prints_the_papers_layout_and_json(corpus, tmp_path, capsys):
    args = ["baseline", "summary-lead", "--corpus", str(corpus), "--output", str(tmp_path / "p")]
    assert run_cli([*args, "--score"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Table 9: summarization (test, 3 examples)"
    assert out[1].split() == ["model", "RG-1", "RG-2", "RG-L", "RG-Lsum"]
    assert out[2].split()[0] == "lead" and len(out[2].split()) == 5
    assert run_cli([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["baseline"] == "summary-lead" and report["examples"] == 3
    assert 0 < report["scores"]["rouge1"] <= 100


def test_all_prints_one_table_per_task(corpus, capsys):
    assert run_cli(["baseline", "all", "--corpus", str(corpus)]) == 0
    out = capsys.readouterr().out
    for title in ("Table 5: response generation", "Table 6:", "Table 7:", "Table 8: discourse parsing",
                  "Table 9: summarization", "Image category classification"):
        assert title in out
    assert run_cli(["baseline", "all", "--corpus", str(corpus), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["scores"]["summary"]) == {"lead", "lexrank"}
    assert set(report["scores"]["rewrite"]) == {"copy-query", "retrieval"}
    assert report["examples"]["discourse"] == 3
    assert set(report["seconds"]) == set(BASELINES)


def test_all_skips_tasks_the_split_lacks(corpus, capsys):
    assert run_cli(["baseline", "all", "--corpus", str(corpus), "--split", "valid", "--json"]) == 0
    captured = capsys.readouterr()
    assert "summary" not in json.loads(captured.out)["scores"]
    assert "summary-lead: skipped" in captured.err and "sessions.valid.jsonl" in captured.err


def test_errors(corpus, tmp_path, capsys):
    out = str(tmp_path / "p")
    assert run_cli(["baseline", "lead", "--corpus", str(corpus), "--split", "valid", "--output", out]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mtdialog: error: ") and "sessions.valid.jsonl" in err
    assert "annotations.summary: no summary examples" in err
    for argv in (["baseline", "retrieval", "--corpus", str(corpus), "--output", out],
                 ["baseline", "bert", "--corpus", str(corpus), "--output", out],
                 ["baseline", "lead", "--corpus", str(corpus)],
                 ["baseline", "all", "--corpus", str(corpus), "--output", out]):
        with pytest.raises(SystemExit) as e:
            run_cli(argv)
        assert e.value.code == 2
    assert "ambiguous" in capsys.readouterr().err


def test_help_lists_every_baseline(capsys):
    with pytest.raises(SystemExit):
        run_cli(["baseline", "--help"])
    help_text = capsys.readouterr().out
    for name in BASELINES:
        assert name in help_text


def test_all_on_the_embedded_corpus_matches_the_runner(tmp_path, capsys):
    from mtdialog.baselines.run import run_corpus_baselines, scores_by_task
    from mtdialog.data.synth import generate_corpus

    root = generate_corpus(tmp_path / "synth", sessions=100, annotated=100, seed=1, workers=1, progress=False)
    assert run_cli(["baseline", "all", "--corpus", str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    scores = scores_by_task(run_corpus_baselines(root, "test", skip_missing=True))
    assert scores == report["scores"]
    assert list(scores) == ["response", "rewritable", "rewrite", "discourse", "summary", "image_category"]
    for task, rows in scores.items():
        for method, values in rows.items():
            assert all(0 <= v <= 100 for v in values.values()), (task, method)
