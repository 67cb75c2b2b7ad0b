"""``mtdialog predict`` and ``mtdialog evaluate``: a fine-tuned checkpoint on new sessions, and on a
corpus split beside the non-neural baselines.

``predict`` reads native session JSONL (one JSONL object of every task's predictions per session)
or a JDDC 2.0 test-question file (the ``[{"Id", "Answer"}]`` answer file). ``evaluate`` predicts every
task's examples of a split, scores them as ``mtdialog score`` does, runs the baselines on the same
sessions and prints the paper's tables with the model's row beside theirs (docs/inference.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mtdialog.data.native import KBEntry, read_jsonl, scan_images
from mtdialog.data.schema import DataError, Session, SkipReport
from mtdialog.data.tasks import TASKS

FORMATS = ("auto", "native", "jddc20-questions")
MISSING_IMAGES = ("error", "placeholder")

_PREDICT_EPILOG = """\
output (native input): one JSON object per session, in input order:
  {"session_id", "response": reply to the last customer query (null if none),
   "rewrites": [{"turn", "rewritable", "probability", "text"}] per customer turn,
   "discourse": [{"x": head EDU, "y": EDU, "type"}] (EDUs without one attach to the root),
   "summary", "images": [{"turn", "image", "category"}]}
  (only the fields of --tasks; EDUs and turns are 0-based, EDUs as Session.edus() derives them)
output (JDDC 2.0 questions): [{"Id", "Answer"}], the reply to each question."""


def _log(message: str) -> None:
    print(f"mtdialog: {message}", file=sys.stderr, flush=True)


def register(subparsers) -> None:
    """Add ``predict`` and ``evaluate`` to the ``mtdialog`` parser."""
    p = subparsers.add_parser(
        "predict", help="run a checkpoint on sessions: every task's prediction per session",
        description="Run a fine-tuned checkpoint on new sessions (native session JSONL; annotations "
                    "are not needed) or on a JDDC 2.0 test-question file.",
        epilog=_PREDICT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _model_arguments(p)
    p.add_argument("--input", required=True, type=Path, metavar="FILE",
                   help="native session JSONL, or a JDDC 2.0 test-question JSON array")
    p.add_argument("--output", required=True, type=Path, metavar="FILE",
                   help="predictions JSONL (native input) or answer JSON (JDDC 2.0 questions)")
    p.add_argument("--format", choices=FORMATS, default="auto",
                   help="input format; auto: a file starting with '[' is JDDC 2.0 questions, with '{' "
                        "native JSONL (default: auto)")
    p.add_argument("--images", type=Path, metavar="DIR",
                   help="image files <id>.<ext> (default: images/ next to the input file)")
    p.add_argument("--kb", type=Path, metavar="FILE",
                   help="product knowledge base, kb.jsonl lines (default: kb.jsonl next to the input "
                        "file, if there is one)")
    p.add_argument("--tasks", nargs="+", choices=TASKS, metavar="TASK",
                   help=f"tasks to predict (default: all; {', '.join(TASKS)}); JDDC 2.0 questions: "
                        "response only")
    p.add_argument("--max-sessions", type=_positive, metavar="N",
                   help="predict the first N sessions (or questions) of the input only")
    p.add_argument("--show", type=_count, default=0, metavar="N",
                   help="also print the first N sessions with their predictions, readably")
    p.add_argument("--skip-invalid", action="store_true",
                   help="skip bad session records (reported on stderr) instead of stopping at the first")
    p.set_defaults(func=lambda args: predict_command(args, p))

    e = subparsers.add_parser(
        "evaluate", help="score a checkpoint on a corpus split beside the non-neural baselines",
        description="Predict every task's examples of a split of a native corpus, score them as "
                    "`mtdialog score` does, run the non-neural baselines (fitted on the train split) "
                    "on the same sessions and print one table per task in the JDDC 2.1 paper's "
                    "layout, the model's row beside the baselines', plus the combined score.")
    _model_arguments(e)
    e.add_argument("--corpus", required=True, type=Path, metavar="DIR", help="native corpus directory")
    e.add_argument("--split", default="test", help="split to evaluate (default: test)")
    e.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS), metavar="TASK",
                   help="tasks to evaluate (default: all)")
    e.add_argument("--max-sessions", type=_positive, metavar="N",
                   help="evaluate the first N sessions of the split only (baselines too)")
    e.add_argument("--json", type=Path, metavar="FILE",
                   help="write every score, example count, setting and convention as JSON")
    e.add_argument("--predictions-dir", type=Path, metavar="DIR",
                   help="also write each task's predictions and references in the files `mtdialog "
                        "score` reads (TASK.pred.txt / TASK.ref.txt; discourse: .jsonl)")
    e.add_argument("--no-baselines", action="store_true", help="score the model only")
    e.set_defaults(func=evaluate_command)


def _count(value: str, least: int = 0) -> int:
    try:
        number = int(value)
    except ValueError:
        number = least - 1
    if number < least:
        raise argparse.ArgumentTypeError(f"expected an integer >= {least}, got {value!r}")
    return number


def _positive(value: str) -> int:
    return _count(value, 1)


def _model_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", required=True, type=Path, metavar="DIR",
                   help="a checkpoint directory (e.g. runs/tiny/best; a LoRA adapter directory is "
                        "applied to its run's base/)")
    p.add_argument("--num-beams", type=_positive, default=4, metavar="N",
                   help="beam width for response, rewrite and summary (default: 4)")
    p.add_argument("--batch-size", type=_positive, default=16, metavar="B",
                   help="examples per model batch (default: 16)")
    p.add_argument("--missing-images", choices=MISSING_IMAGES, default="error",
                   help="an image without a readable file: an error (default), or a placeholder image "
                        "(grey with a red cross; the images are listed on stderr)")


# ------------------------------------------------------------------------------------- checkpoint
def load_model(path: Path):
    """``(model, tokenizer)`` of a checkpoint directory (a LoRA adapter is merged into its base)."""
    from transformers import AutoTokenizer
    from transformers.utils import logging

    from mtdialog.models import MTDialogModel
    from mtdialog.training.checkpoint import ADAPTER_CONFIG, load_checkpoint

    if not path.is_dir():
        raise DataError("checkpoint directory does not exist", path=str(path))
    if not (path / "config.json").is_file() and not (path / ADAPTER_CONFIG).is_file():
        raise DataError(f"not a checkpoint directory (no config.json or {ADAPTER_CONFIG})", path=str(path))
    bars = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()  # the weights load in a moment: no bar
    try:
        model = load_checkpoint(path, MTDialogModel.from_pretrained, merge=True)
        tokenizer = AutoTokenizer.from_pretrained(str(path))
    except DataError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataError(f"cannot load the checkpoint: {reason}", path=str(path)) from None
    finally:
        if bars:
            logging.enable_progress_bar()
    return model.eval(), tokenizer


# ------------------------------------------------------------------------------------------ input
def detect_format(path: Path) -> str:
    """``native`` or ``jddc20-questions`` from the first non-blank character of ``path``."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096).lstrip()[:1]
    except OSError as e:
        raise DataError(f"cannot read file: {e.strerror or e}", path=str(path)) from None
    if head == b"{":
        return "native"
    if head == b"[":
        return "jddc20-questions"
    raise DataError("empty file" if not head else "expected native session JSONL (lines of {...}) or a "
                    "JDDC 2.0 test-question JSON array ([...])", path=str(path), line=1)


def read_sessions(path: Path, *, skip_invalid: bool = False) -> list[tuple[int, Session]]:
    """``(line, Session)`` of a native session JSONL file; a repeated session id is an error."""
    skipped = SkipReport()
    out, seen = [], {}
    for number, record in read_jsonl(path, on_error=skipped.add if skip_invalid else None):
        try:
            session = Session.from_dict(record)
            if session.session_id in seen:
                raise DataError(f"duplicate session id {session.session_id!r} (first at line "
                                f"{seen[session.session_id]})", field="session_id")
        except DataError as e:
            if not skip_invalid:
                raise e.located(path=str(path), line=number) from None
            skipped.add(e.located(path=str(path), line=number))
            continue
        seen[session.session_id] = number
        out.append((number, session))
    if len(skipped):
        _log(skipped.summary())
    return out


def read_kb(path: Path) -> dict[str, KBEntry]:
    """The knowledge base of a ``kb.jsonl`` file, by product id."""
    kb = {}
    for number, record in read_jsonl(path):
        try:
            entry = KBEntry.from_dict(record)
        except DataError as e:
            raise e.located(path=str(path), line=number) from None
        if entry.product_id in kb:
            raise DataError(f"duplicate product id {entry.product_id!r}", path=str(path), line=number,
                            field="product_id")
        kb[entry.product_id] = entry
    return kb


def image_loader(root: Path, located: list[tuple[str, Session]], mode: str, problems: dict[str, DataError]):
    """A loader of ``<root>/<id>.<ext>`` images after checking that every image of ``located``
    (``(where, Session)``: where = ``path:line`` or ``path: record n``) has a file.

    A missing or undecodable image is a :class:`DataError`, or in ``placeholder`` mode is recorded in
    ``problems`` (id -> error) and replaced by a placeholder image."""
    from mtdialog.data.encoding import directory_image_loader
    from mtdialog.data.images import placeholder_image

    index, _ = scan_images(root)
    for where, session in located:
        for i, turn in enumerate(session.turns):
            for j, image in enumerate(turn.images):
                if image not in index and image not in problems:
                    error = DataError(f"image {image!r} has no file in {root}", path=where,
                                      field=f"turns[{i}].images[{j}]")
                    if mode == "error":
                        raise error
                    problems[image] = error
    load = directory_image_loader(root)
    if mode == "error":
        return load

    def load_or_placeholder(image_id: str):
        try:
            return load(image_id)
        except DataError as e:
            problems.setdefault(image_id, e)
            return placeholder_image(image_id)

    return load_or_placeholder


def _report_placeholders(problems: dict) -> None:
    if problems:
        _log(f"{len(problems)} image(s) replaced by a placeholder:")
        for error in list(problems.values())[:10]:
            print(f"  {error}", file=sys.stderr)
        if len(problems) > 10:
            print(f"  ... and {len(problems) - 10} more", file=sys.stderr)


# ---------------------------------------------------------------------------------------- predict
def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def predict_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from tqdm.auto import tqdm

    from mtdialog.pipeline import DialoguePipeline
    from mtdialog.report import format_session, prediction_record

    start = time.perf_counter()
    if not args.input.is_file():
        raise DataError("input file does not exist", path=str(args.input))
    fmt = detect_format(args.input) if args.format == "auto" else args.format
    tasks = [t for t in TASKS if t in (args.tasks or TASKS)]
    if fmt == "jddc20-questions":
        from mtdialog.data.formats import jddc20

        if args.tasks not in (None, ["response"]):
            parser.error("JDDC 2.0 questions are answered with the response task only")
        tasks = ["response"]
        questions = jddc20.read_questions(args.input)
        located = [(f"{args.input}: record {i}", q.to_session()) for i, q in enumerate(questions)]
    else:
        located = [(f"{args.input}:{n}", s) for n, s in read_sessions(args.input, skip_invalid=args.skip_invalid)]
    if not located:
        raise DataError("no sessions to predict", path=str(args.input))
    if args.max_sessions is not None:
        located = located[: args.max_sessions]
    sessions = [s for _, s in located]

    kb_path = args.kb or args.input.parent / "kb.jsonl"
    if args.kb is not None and not args.kb.is_file():
        raise DataError("knowledge-base file does not exist", path=str(args.kb))
    kb = read_kb(kb_path) if kb_path.is_file() else {}
    model, tokenizer = load_model(args.checkpoint)
    problems: dict = {}
    loader = None
    if not model.text_only and any(s.image_ids() for s in sessions):
        loader = image_loader(args.images or args.input.parent / "images", located, args.missing_images, problems)
    pipe = DialoguePipeline(model, tokenizer, kb=kb, image_loader=loader, num_beams=args.num_beams,
                            batch_size=args.batch_size)
    if not kb:
        _log("no knowledge base: sessions are encoded without product facts (see --kb)")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    predictions = []
    with tqdm(total=len(sessions), desc="predict", unit="session", disable=len(sessions) <= args.batch_size,
              file=sys.stderr) as bar:
        for chunk in _chunks(sessions, args.batch_size):
            predictions += pipe(chunk, tasks=tasks)
            bar.update(len(chunk))
    if fmt == "jddc20-questions":
        jddc20.write_answers([(q.id, p.response) for q, p in zip(questions, predictions)], args.output)
    else:
        with open(args.output, "w", encoding="utf-8", newline="\n") as f:
            f.writelines(json.dumps(prediction_record(p, tasks), ensure_ascii=False) + "\n" for p in predictions)
    _report_placeholders(problems)
    for session, prediction in list(zip(sessions, predictions))[: args.show]:
        print(format_session(session, prediction, tasks) + "\n")
    _log(f"wrote {len(predictions)} {'answers' if fmt == 'jddc20-questions' else 'session predictions'} "
         f"to {args.output} ({time.perf_counter() - start:.1f}s)")
    return 0


# --------------------------------------------------------------------------------------- evaluate
def _write_task_files(directory: Path, predictions: dict, examples: dict) -> None:
    from mtdialog.baselines.files import write_references, write_task_file

    for task, values in predictions.items():
        name, ext = task.replace("_", "-"), ".jsonl" if task == "discourse" else ".txt"
        write_task_file(task, values, examples[task], directory / f"{name}.pred{ext}")
        write_references(task, examples[task], directory / f"{name}.ref{ext}")


def evaluate_command(args: argparse.Namespace) -> int:
    import torch

    from mtdialog.data.encoding import corpus_image_loader
    from mtdialog.data.native import Corpus
    from mtdialog.pipeline import DialoguePipeline
    from mtdialog.report import Evaluation, baseline_scores
    from mtdialog.training.evaluation import examples_by_task, predict_and_score

    corpus = Corpus(args.corpus, images="check" if args.missing_images == "error" else "placeholder")
    sessions = list(corpus.sessions(args.split))
    if args.max_sessions is not None:
        sessions = sessions[: args.max_sessions]
    tasks = [t for t in TASKS if t in args.tasks]
    examples = examples_by_task(sessions, tasks)
    if not examples:
        raise DataError(f"no examples of {', '.join(tasks)} in the {args.split} split",
                        path=str(corpus.split_path(args.split)))
    model, tokenizer = load_model(args.checkpoint)
    for name, ours, theirs in (("relations", model.config.relation_labels, corpus.relation_labels),
                               ("image_categories", model.config.image_categories, corpus.image_categories)):
        if tuple(ours) != tuple(theirs):
            raise DataError(f"the corpus's label set differs from the checkpoint's ({args.checkpoint})",
                            path=str(corpus.root / "meta.json"), field=f"labels.{name}")
    pipe = DialoguePipeline(model, tokenizer, kb=corpus.kb(), image_loader=corpus_image_loader(corpus),
                            num_beams=args.num_beams, batch_size=args.batch_size)
    _log(f"evaluating {args.checkpoint} on {len(sessions)} {args.split} sessions: "
         + ", ".join(f"{len(ex)} {task}" for task, ex in examples.items()))
    start = time.perf_counter()
    predictions, scores = predict_and_score(pipe, examples, progress=True)
    seconds: dict[str, Any] = {"model": round(time.perf_counter() - start, 3)}
    baselines: dict = {}
    if not args.no_baselines:
        start = time.perf_counter()
        baselines, seconds["baselines_by_name"], skipped = baseline_scores(
            list(corpus.sessions("train")), sessions, list(examples))
        seconds["baselines"] = round(time.perf_counter() - start, 3)
        for reason in skipped:
            _log(f"baseline left out: {reason}")
    info_path = args.checkpoint / "checkpoint.json"
    evaluation = Evaluation(
        str(args.checkpoint), str(args.corpus), args.split, len(sessions),
        {task: len(ex) for task, ex in examples.items()}, scores, baselines,
        settings={"num_beams": args.num_beams, "batch_size": args.batch_size, "max_sessions": args.max_sessions,
                  "tasks": list(examples), "missing_images": args.missing_images,
                  "text_only": model.text_only, "torch_threads": torch.get_num_threads()},
        seconds=seconds,
        checkpoint_info=json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else None)
    if corpus.image_problems:
        _report_placeholders(corpus.image_problems)
    if args.predictions_dir is not None:
        _write_task_files(args.predictions_dir, predictions, examples)
        _log(f"wrote predictions and references to {args.predictions_dir}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(evaluation.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        _log(f"wrote {args.json}")
    print(evaluation.tables())
    return 0
