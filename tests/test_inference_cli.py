"""``mtdialog predict`` and ``mtdialog evaluate`` on a tiny checkpoint: every task per session,
JDDC 2.0 answers, tables beside the baselines with the scores ``mtdialog score`` gives, clean errors.

The checkpoint is the tiny real model of ``test_model`` (1-layer BERT, timm ``resnet10t``), saved
with ``save_pretrained``; the corpus has 4 annotated train and 2 annotated test sessions with PNG images.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PIL import Image
from tiny_model import build, session_record

from mtdialog import cli
from mtdialog.baselines.run import run_corpus_baselines, scores_by_task
from mtdialog.data.native import Corpus, CorpusWriter, KBEntry
from mtdialog.data.schema import Session
from mtdialog.evaluation import combined_score
from mtdialog.metrics.discourse import discourse_scores
from mtdialog.pipeline import DialoguePipeline
from mtdialog.tasks import BUILTIN_TASKS as TASKS
from mtdialog.tasks import get_task, get_tasks

HEX = ["0" * 31 + "a", "0" * 31 + "b"]  # JDDC 2.0 image ids are 32 hex digits


def mtdialog(*argv) -> int:
    return cli.main([str(a) for a in argv])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    root = tmp_path_factory.mktemp("corpus")
    with CorpusWriter(root, name="tiny") as writer:
        for i in range(6):
            writer.add_session("train" if i < 4 else "test", Session.from_dict(session_record(i)))
            writer.add_image(f"img{i}a", Image.new("RGB", (40, 30), (40 * i, 90, 200)))
            writer.add_image(f"img{i}b", Image.new("RGB", (30, 40), (250, 40 * i, 10)))
        writer.add_kb(KBEntry("p1", "外套", [("外套", "颜色", "红色"), ("外套", "尺码", "L")]))
    return Corpus(root)


@pytest.fixture(scope="module")
def checkpoint(corpus, tmp_path_factory):
    path = tmp_path_factory.mktemp("checkpoint")
    model, tokenizer = build(corpus)
    DialoguePipeline(model, tokenizer).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def pipe(checkpoint, corpus):
    return DialoguePipeline.from_pretrained(checkpoint, corpus.images_dir, kb=corpus.kb(), num_beams=2)


@pytest.fixture(scope="module")
def new_sessions(corpus) -> list[Session]:
    """Unannotated sessions in a file next to the corpus's images/ and kb.jsonl (the defaults)."""
    sessions = [Session.from_dict(session_record(i, annotated=False)) for i in (0, 5, 2)]
    (corpus.root / "new.jsonl").write_text(
        "".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in sessions), encoding="utf-8")
    return sessions


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ------------------------------------------------------------------------------------------ predict
def test_predict_writes_every_task_of_every_session_as_the_pipeline_predicts_it(
        checkpoint, corpus, pipe, new_sessions, tmp_path, capsys):
    out = tmp_path / "out" / "predictions.jsonl"
    assert mtdialog("predict", "--checkpoint", checkpoint, "--input", corpus.root / "new.jsonl",
                    "--output", out, "--num-beams", 2, "--show", 1) == 0
    records = read_jsonl(out)
    assert [r["session_id"] for r in records] == ["s0", "s5", "s2"]
    assert records == [p.to_dict() for p in pipe(new_sessions)]
    first = records[0]
    assert set(first) == {"session_id", "response", "rewrites", "discourse", "summary", "images"}
    assert isinstance(first["response"], str)
    assert [r["turn"] for r in first["rewrites"]] == [1, 3]
    assert {tuple(sorted(r)) for r in first["discourse"]} <= {("type", "x", "y")}
    assert [(i["turn"], i["image"]) for i in first["images"]] == [(1, "img0a"), (4, "img0b")]

    shown = capsys.readouterr().out
    assert shown.strip() == pipe(new_sessions[0]).render(new_sessions[0], TASKS)
    assert "[图片 img0a]" in shown and "response (to turn 3): " in shown and "summary: " in shown
    assert "=== session s5" not in shown  # --show 1


def test_predict_only_the_tasks_asked_for(checkpoint, corpus, pipe, new_sessions, tmp_path):
    out = tmp_path / "p.jsonl"
    assert mtdialog("predict", "--checkpoint", checkpoint, "--input", corpus.root / "new.jsonl", "--output", out,
                    "--num-beams", 2, "--tasks", "summary", "rewritable", "--max-sessions", 2) == 0
    records = read_jsonl(out)
    expected = pipe(new_sessions[:2], tasks=("rewritable", "summary"))
    assert records == [p.to_dict() for p in expected]
    assert set(records[0]) == {"session_id", "rewrites", "summary"}
    assert set(records[0]["rewrites"][0]) == {"turn", "rewritable", "probability"}  # no rewrite asked for
    full = pipe(new_sessions[:2])
    assert [p.summary for p in expected] == [p.summary for p in full]
    assert [[r.rewritable for r in p.rewrites] for p in expected] == [[r.rewritable for r in p.rewrites] for p in full]
    # a rewrite asked for brings the rewritability it needs
    (rewrites,) = pipe(new_sessions[:1], tasks=("rewrite",))
    assert set(rewrites) == {"rewrites"} and all(r.text is not None for r in rewrites.rewrites)
    assert [r.rewritable for r in rewrites.rewrites] == [r.rewritable for r in full[0].rewrites]


def test_jddc20_questions_get_one_answer_per_id(checkpoint, pipe, tmp_path):
    from mtdialog.data.formats import jddc20

    (tmp_path / "images").mkdir()
    for k, image in enumerate(HEX):
        Image.new("RGB", (30, 30), (200, 30 * k, 60)).save(tmp_path / "images" / f"{image}.png")
    questions = [{"Id": qid, "SessionId": f"q{k}", "Shop": "fx", "ProductId": "p1" if k else "null",
                  "Context": ["A:您好，有什么可以帮您", f"Q:这件衣服有色差|||{HEX[k % 2]}.jpg", "A:亲，请问是哪个颜色呢"],
                  "Question": "红色那件" if k else f"{HEX[1]}.jpg"}
                 for k, qid in enumerate([7, "q-8", 9])]
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "answers.json"
    assert mtdialog("predict", "--checkpoint", checkpoint, "--input", path, "--output", out, "--num-beams", 2) == 0
    answers = json.loads(out.read_text(encoding="utf-8"))
    assert [a["Id"] for a in answers] == [7, "q-8", 9]
    pipe_here = DialoguePipeline.from_pretrained(checkpoint, tmp_path / "images", num_beams=2)
    sessions = [q.to_session() for q in jddc20.read_questions(path)]
    assert [a["Answer"] for a in answers] == [p.response for p in pipe_here(sessions, tasks=("response",))]
    assert all(isinstance(a["Answer"], str) for a in answers)


def test_real_question_files_with_bare_speaker_lines_and_bad_records(checkpoint, tmp_path, capsys):
    questions = [{"Id": k, "SessionId": f"q{k}", "Shop": "fx", "ProductId": "null",
                  "Context": ["Q:你好", "A:", "A:亲，请问有什么可以帮您"], "Question": "发票怎么开"} for k in range(3)]
    questions.append({"Id": 3, "SessionId": "q3", "Shop": "fx", "ProductId": "null", "Context": ["C:?"],
                      "Question": "x"})
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "answers.json"
    args = ["predict", "--checkpoint", checkpoint, "--input", path, "--output", out, "--num-beams", 1]
    assert mtdialog(*args) == 2
    assert f"{path}: record 3: Context[0]: expected a string starting with 'Q:' or 'A:'" in capsys.readouterr().err
    assert mtdialog(*args, "--skip-invalid") == 0
    err = capsys.readouterr().err
    assert "note: 3 context line(s) held only a speaker ('A:'" in err  # kept as empty turns
    assert "skipped 1 invalid record(s)" in err
    assert [a["Id"] for a in json.loads(out.read_text(encoding="utf-8"))] == [0, 1, 2]


def test_a_missing_image_is_an_error_naming_the_line_unless_placeholders_are_asked_for(
        checkpoint, corpus, tmp_path, capsys):
    record = session_record(3, annotated=False)
    record["turns"][4]["images"] = ["not-there"]
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(session_record(1, annotated=False)) + "\n" + json.dumps(record) + "\n", encoding="utf-8")
    args = ["predict", "--checkpoint", checkpoint, "--input", path, "--output", tmp_path / "p.jsonl",
            "--images", corpus.images_dir, "--num-beams", 1]
    assert mtdialog(*args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("mtdialog: error: ")
    assert f"{path}:2: turns[4].images[0]: image 'not-there' has no file" in err
    assert mtdialog(*args, "--missing-images", "placeholder") == 0
    assert "1 image(s) replaced by a placeholder" in capsys.readouterr().err
    assert [r["images"][-1]["image"] for r in read_jsonl(tmp_path / "p.jsonl")] == ["img1b", "not-there"]


@pytest.mark.parametrize("case", ["no checkpoint", "not a checkpoint", "no input", "bad json", "bad session",
                                  "duplicate id", "unknown format"])
def test_errors_give_one_line_and_exit_2(case, checkpoint, corpus, tmp_path, capsys):
    good = json.dumps(session_record(1, annotated=False))
    inputs = {"bad json": good + "\n{not json\n", "bad session": good + '\n{"session_id": "x", "turns": []}\n',
              "duplicate id": good + "\n" + good + "\n", "unknown format": "session,turns\n"}
    path = tmp_path / "in.jsonl"
    path.write_text(inputs.get(case, good + "\n"), encoding="utf-8")
    ckpt = {"no checkpoint": tmp_path / "nowhere", "not a checkpoint": tmp_path}.get(case, checkpoint)
    if case == "no input":
        path = tmp_path / "missing.jsonl"
    assert mtdialog("predict", "--checkpoint", ckpt, "--input", path, "--output", tmp_path / "o.jsonl",
                    "--images", corpus.images_dir) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mtdialog: error: ") and "\n" not in err and "Traceback" not in err
    expected = {"no checkpoint": f"{tmp_path / 'nowhere'}: checkpoint directory does not exist",
                "not a checkpoint": f"{tmp_path}: not a checkpoint directory",
                "no input": f"{path}: input file does not exist",
                "bad json": f"{path}:2: malformed JSON",
                "bad session": f"{path}:2: shop: missing",
                "duplicate id": f"{path}:2: session_id: duplicate session id 's1' (first at {path}:1)",
                "unknown format": f"{path}:1: expected native session JSONL"}[case]
    assert expected in err
    assert not (tmp_path / "o.jsonl").exists()
    assert mtdialog("evaluate", "--checkpoint", ckpt, "--corpus", tmp_path / "no-corpus") == 2


# ----------------------------------------------------------------------------------------- evaluate
def test_evaluate_prints_the_model_beside_the_baselines_with_the_scores_of_mtdialog_score(
        checkpoint, corpus, tmp_path, capsys):
    scores_json, pred_dir = tmp_path / "scores.json", tmp_path / "pred"
    assert mtdialog("evaluate", "--checkpoint", checkpoint, "--corpus", corpus.root, "--split", "test",
                    "--num-beams", 2, "--json", scores_json, "--predictions-dir", pred_dir) == 0
    out = capsys.readouterr().out
    for task in get_tasks():
        table = out[out.index(task.title):].split("\n\n")[0].splitlines()
        assert table[1].split() == ["model", *(header for header, _ in task.columns)]
        assert table[2].startswith("mtdialog ")
        assert len(table) >= 3, task
    for method in ("retrieval", "majority", "copy-query", "previous-edu", "lead", "lexrank"):
        assert f"\n{method} " in out
    assert "combined score" in out and "conventions:" in out

    report = json.loads(scores_json.read_text(encoding="utf-8"))
    test = list(corpus.sessions("test"))
    assert report["split"] == "test" and report["sessions"] == 2
    assert list(report["examples"]) == list(TASKS)
    assert report["examples"] == {t: len(list(get_task(t).all_examples(test))) for t in TASKS}
    assert report["settings"]["num_beams"] == 2
    model = report["scores"]["mtdialog"]
    assert report["combined_score"]["mtdialog"] == pytest.approx(combined_score(model))
    headline = {t: get_task(t).headline for t in TASKS}
    best = {t: {headline[t]: max(s[headline[t]] for s in methods.values())}
            for t, methods in report["scores"]["baselines"].items()}
    assert report["combined_score"]["baselines (best per task)"] == pytest.approx(combined_score(best))
    assert report["scores"]["baselines"] == scores_by_task(run_corpus_baselines(corpus.root, "test",
                                                                                skip_missing=True))
    for task in get_tasks():
        assert mtdialog("score", task.name, "--predictions", pred_dir / task.file_name("pred"),
                        "--references", pred_dir / task.file_name("ref"), "--json") == 0
        scored = json.loads(capsys.readouterr().out)
        assert scored["examples"] == report["examples"][task.name]
        assert {k: scored[k] for k in model[task.name]} == model[task.name], task


def test_evaluate_a_few_sessions_without_baselines(checkpoint, corpus, tmp_path, capsys):
    path = tmp_path / "s.json"
    assert mtdialog("evaluate", "--checkpoint", checkpoint, "--corpus", corpus.root, "--split", "train",
                    "--max-sessions", 1, "--no-baselines", "--tasks", "summary", "discourse",
                    "--num-beams", 1, "--json", path) == 0
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["sessions"] == 1 and report["examples"] == {"discourse": 1, "summary": 1}
    assert report["scores"]["baselines"] == {} and set(report["scores"]["mtdialog"]) == {"discourse", "summary"}
    out = capsys.readouterr().out
    assert "Table 8: discourse parsing (train, 1 examples)" in out and "Table 5" not in out
    assert "lexrank" not in out


def test_a_corpus_without_a_train_split_is_still_evaluated(checkpoint, corpus, tmp_path, capsys):
    root = tmp_path / "test-only"
    with CorpusWriter(root, name="test-only", relation_labels=corpus.relation_labels,
                      image_categories=corpus.image_categories) as writer:
        for session in corpus.sessions("test"):
            writer.add_session("test", session)
        for image in ("img4a", "img4b", "img5a", "img5b"):
            writer.add_image(image, corpus.image_path(image))
    report, files = tmp_path / "scores.json", tmp_path / "files"
    assert mtdialog("evaluate", "--checkpoint", checkpoint, "--corpus", root, "--tasks", "discourse",
                    "--convention", "lenient", "--json", report, "--predictions-dir", files) == 0
    out, err = capsys.readouterr()
    # the lenient scores are those of the files it wrote, scored by the metric itself
    pred = [s.annotations.discourse for s in Corpus.from_file(files / "discourse.pred.jsonl", images="ignore")
            .sessions("input")]
    gold = list(corpus.sessions("test"))
    expected = discourse_scores(pred, [s.annotations.discourse for s in gold], [len(s.edus()) for s in gold],
                                "lenient")
    scores = json.loads(report.read_text(encoding="utf-8"))["scores"]["mtdialog"]["discourse"]
    assert scores == pytest.approx(expected)
    assert f"baselines left out: they are fitted on the train split, which {root} lacks (has: test)" in err
    assert "Table 8: discourse parsing (test, 2 examples)" in out and "mtdialog" in out
    assert "num_beams" not in out.splitlines()[0]  # nothing generated
    assert "(lenient, as the discourse papers' scripts score)" in out
    # the baseline command says so before it reads anything
    assert mtdialog("baseline", "all", "--corpus", root) == 2
    assert (f"{root / 'sessions.train.jsonl'}: baselines are fitted on the train split, which this corpus lacks "
            "(has: test)") in capsys.readouterr().err


def test_evaluate_refuses_a_corpus_with_other_labels(checkpoint, corpus, tmp_path, capsys):
    root = tmp_path / "other"
    with CorpusWriter(root, name="other", relation_labels=["Elaboration", "Question"]) as writer:
        writer.add_session("test", Session.from_dict({**session_record(0, annotated=False), "session_id": "o"}))
        for image in ("img0a", "img0b"):
            writer.add_image(image, corpus.image_path(image))
    assert mtdialog("evaluate", "--checkpoint", checkpoint, "--corpus", root) == 2
    assert "labels.relations: the corpus's label set differs" in capsys.readouterr().err


def run_command(*argv) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "mtdialog", *map(str, argv)], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_predict_and_evaluate_run_as_a_command(checkpoint, corpus, new_sessions, tmp_path):
    out = tmp_path / "p.jsonl"
    done = run_command("predict", "--checkpoint", checkpoint, "--input", corpus.root / "new.jsonl",
                       "--output", out, "--tasks", "discourse", "--show", 1)
    assert done.returncode == 0, done.stderr
    assert [set(r) for r in read_jsonl(out)] == [{"session_id", "discourse"}] * len(new_sessions)
    assert "discourse (" in done.stdout and "wrote 3 session predictions" in done.stderr
    done = run_command("evaluate", "--checkpoint", tmp_path, "--corpus", corpus.root)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"mtdialog: error: {tmp_path}: not a checkpoint directory (no config.json "
                                   "or adapter_config.json)")
