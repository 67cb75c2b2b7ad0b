"""``mtdialog benchmark paper``: every row's recipe is valid at every budget; at the smoke budget the runner
trains and scores every row for real (``mtdialog train`` and ``mtdialog evaluate`` processes), writes the
tables, results and plots, and does not run a finished seed again."""

from __future__ import annotations

import json
import re

import pytest

from mtdialog.benchmark.results import aggregate, effects, mean_sd
from mtdialog.benchmark.rows import ROWS
from mtdialog.cli import main
from mtdialog.tasks import BUILTIN_TASKS


@pytest.mark.parametrize("budget", ["smoke", "cpu", "paper"])
def test_every_row_is_a_valid_recipe_at_every_budget(budget, synth_corpus, tmp_path, capsys):
    assert main(["benchmark", "paper", "--corpus", str(synth_corpus), "--out", str(tmp_path), "--budget", budget,
                 "--check"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == list(ROWS)
    assert all(line.endswith(f"at the {budget} budget is valid") for line in lines)


def test_the_rows_cover_the_ablations():
    assert {"unified", "text-only", "no-kb", "annotated-only", "sampling-uniform"} <= set(ROWS)
    assert {f"single-{t}" for t in BUILTIN_TASKS} <= set(ROWS)
    assert ROWS["single-discourse"].tasks == ("discourse",) and ROWS["unified"].tasks == BUILTIN_TASKS


def test_every_paper_system_has_its_rows_scored_on_its_task():
    from mtdialog.benchmark.runner import recipe_path
    from mtdialog.systems import systems
    from mtdialog.systems.recipe import load_system_recipe

    system_rows = [row for row in ROWS.values() if row.system]
    for name, cls in systems().items():
        rows = [row for row in system_rows if load_system_recipe(recipe_path(row, "cpu")).system == name]
        assert rows, name
        assert all(row.tasks[0] in cls.tasks and row.seeds == 1 for row in rows)
    assert {"paper-gpt-response", "paper-gpt-response-mm", "paper-bert-classifier",
            "paper-transresnet-classifier"} <= set(ROWS)
    assert ROWS["paper-gpt-response"].overrides == ("multimodal=false",) and not ROWS["paper-gpt-response-mm"].overrides


def test_a_system_row_trains_with_its_recipe_at_the_budget_and_the_seed(tmp_path):
    from mtdialog.benchmark.runner import Settings, system_commands

    settings = Settings(tmp_path / "corpus", tmp_path, budget="cpu", num_beams=3)
    train, evaluate = system_commands(ROWS["paper-gpt-rewrite"], settings, 2, tmp_path / "run", tmp_path / "e.json")
    assert train[3:6] == ["system", "train", "--config"] and train[6].endswith("recipes/paper/gpt-rewrite.yaml")
    assert train[7:9] == ["--budget", "cpu"] and train[-2:] == ["multimodal=false", "training.seed=2"]
    assert evaluate[3:6] == ["system", "evaluate", "--checkpoint"] and "3" == evaluate[evaluate.index("--num-beams") + 1]


def test_the_cross_task_corpus_follows_rewritten_turns_with_the_models_own_rewrite(trained_run, synth_corpus,
                                                                                   tmp_path):
    from mtdialog.benchmark.crosstask import REWRITE_MARK, rewrite_corpus, with_rewrites
    from mtdialog.data.native import Corpus
    from mtdialog.pipeline import DialoguePipeline

    original = Corpus(synth_corpus)
    session = next(original.sessions("test"))
    changed = with_rewrites(session, {0: "改写后的问题"})
    assert changed.turns[0].text == session.turns[0].text + REWRITE_MARK.format("改写后的问题")
    assert changed.turns[1:] == session.turns[1:] and session.turns[0].text != changed.turns[0].text

    out = rewrite_corpus(trained_run / "best", synth_corpus, tmp_path / "rewritten")
    rewritten = Corpus(out)
    assert rewritten.image_fingerprint() == original.image_fingerprint()  # the same images: features shared
    pipe = DialoguePipeline.from_pretrained(trained_run / "best", original, num_beams=1)
    for split in original.splits:
        before, after = list(original.sessions(split)), list(rewritten.sessions(split))
        assert [s.session_id for s in before] == [s.session_id for s in after]
        for a, b, prediction in zip(before, after, pipe(before, tasks=["rewrite"])):
            expected = {r.turn: r.text for r in prediction["rewrites"] if r.rewritable and r.text}
            assert b == with_rewrites(a, expected)
            assert a.annotations == b.annotations


def test_a_row_with_a_step_factor_trains_that_many_times_the_budgets_steps(tmp_path):
    from mtdialog.benchmark.runner import Settings, train_overrides

    def steps(row, budget):
        overrides = train_overrides(ROWS[row], Settings(tmp_path, tmp_path, budget=budget), 0, tmp_path / "run")
        return [o for o in overrides if o.startswith("training.steps=")]

    assert steps("unified", "cpu") == ["training.steps=1000"]
    assert steps("unified-6x-steps", "cpu") == ["training.steps=6000"]
    assert steps("unified-6x-steps", "smoke") == ["training.steps=24"]
    assert steps("unified-6x-steps", "paper") == ["training.steps=360000"]  # 6x recipes/jddc21_base.yaml's
    assert steps("unified", "paper") == []


def test_unknown_rows_are_named(synth_corpus, tmp_path, capsys):
    assert main(["benchmark", "paper", "--corpus", str(synth_corpus), "--out", str(tmp_path), "--rows", "gpt9"]) == 2
    assert "--rows: unknown row(s) gpt9 (rows: paper-retrieval, " in capsys.readouterr().err


@pytest.mark.slow
def test_the_runner_trains_and_scores_every_row_at_the_smoke_budget_and_resumes(synth_corpus, trained_run, tmp_path,
                                                                                capsys):
    out = tmp_path / "bench"
    argv = ["benchmark", "paper", "--corpus", str(synth_corpus), "--out", str(out), "--budget", "smoke",
            "--jobs", "2"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "## Table 8: discourse parsing" in printed and "baseline: previous-edu" in printed
    results = json.loads((out / "results.json").read_text())
    assert list(results["rows"]) == list(ROWS)
    for name, row in results["rows"].items():
        assert row["seeds"] == [0] and row["parameters"] > 0 and row["train_s"] > 0
        assert set(row["scores"]) == set(ROWS[name].tasks)
    annotated = (out / "rows" / "annotated-only" / "seed0" / "train.log").read_text()
    every = (out / "rows" / "unified" / "seed0" / "train.log").read_text()
    kept, total = map(int, re.search(r"([\d,]+) train sessions of ([\d,]+) \(data.sessions: annotated\)",
                                     annotated).groups())
    assert kept < total and f"{total} train sessions; examples" in every
    assert "text_only: true" in (out / "rows" / "text-only" / "seed0" / "run" / "recipe.yaml").read_text()
    for task in BUILTIN_TASKS:
        assert (out / "plots" / f"bars-{task}.png").stat().st_size > 0
    assert (out / "plots" / "training-curves.svg").read_text().startswith("<?xml")
    assert "single-summary" in results["effects"] and "summary" in results["effects"]["single-summary"]
    corpus = out / "rows" / "response-own-rewrite" / "corpus"
    assert (corpus / "meta.json").is_file()
    assert f"corpus: {corpus}" in (out / "rows" / "response-own-rewrite" / "seed0" / "run" / "recipe.yaml").read_text()
    assert "reported by the JDDC 2.1 paper" in printed

    # the run report shows the benchmark's tables and its bars with error bars
    report = tmp_path / "report.html"
    assert main(["report", str(trained_run), "--sessions", "0", "--benchmark", str(out), "--out", str(report)]) == 0
    html = report.read_text(encoding="utf-8")
    assert html.count("<figcaption>Benchmark: ") == len(BUILTIN_TASKS) and "## Summary" in html
    assert json.loads(report.with_suffix(".json").read_text())["benchmark"]["rows"].keys() == results["rows"].keys()

    # a finished seed is read back, not run again; a removed one is run again
    finished = out / "rows" / "unified" / "seed0" / "scores.json"
    stamp = finished.stat().st_mtime_ns
    (out / "rows" / "no-kb" / "seed0" / "scores.json").unlink()
    assert main(argv + ["--rows", "unified", "no-kb"]) == 0
    assert finished.stat().st_mtime_ns == stamp
    assert (out / "rows" / "no-kb" / "seed0" / "scores.json").is_file()
    assert list(json.loads((out / "results.json").read_text())["rows"]) == list(ROWS)  # every finished row


def test_seeds_aggregate_to_mean_and_sd_and_effects_in_pooled_sd():
    def record(row, seed, summary):
        return {"row": row, "seed": seed, "train_s": 10.0, "evaluate_s": 2.0, "parameters": 7,
                "evaluation": {"scores": {"mtdialog": {"summary": {"rougeL": summary, "rouge1": 1.0}}}}}

    rows = aggregate([record("unified", 0, 40.0), record("unified", 1, 44.0),
                      record("single-summary", 0, 30.0), record("single-summary", 1, 34.0)])
    assert rows["unified"]["scores"]["summary"]["rougeL"] == [42.0, pytest.approx(2 ** 1.5)]
    assert rows["unified"]["combined"] == [42.0, pytest.approx(2 ** 1.5)]
    assert mean_sd([5.0]) == (5.0, 0.0)
    effect = effects(rows)["single-summary"]["summary"]
    assert effect["difference"] == -10.0 and effect["sd_units"] == pytest.approx(-10.0 / 2 ** 1.5)
