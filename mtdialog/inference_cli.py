"""``mtdialog predict`` and ``mtdialog evaluate``: a fine-tuned checkpoint on new sessions, and on a
corpus split beside the non-neural baselines.

``predict`` reads native session JSONL (one JSONL object of every task's predictions per session)
or a JDDC 2.0 test-question file (the ``[{"Id", "Answer"}]`` answer file). ``evaluate`` predicts every
task's examples of a split, scores them as ``mtdialog score`` does, runs the baselines on the same
sessions and prints the paper's tables with the model's row beside theirs (docs/inference.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from mtdialog.errors import ConfigError, DataError
from mtdialog.fileio import atomic_write, check_output
from mtdialog.metrics.cli import add_convention_argument

FORMATS = ("auto", "native", "jddc20-questions")
MISSING_IMAGES = ("error", "placeholder")
DTYPES = ("float32", "bfloat16")

_PREDICT_EPILOG = """\
output (native input): one JSON object per session, in input order:
  {"session_id", "response": reply to the last customer query (null if none),
   "rewrites": [{"turn", "rewritable", "probability", "text"}] per customer turn,
   "discourse": [{"x": head EDU, "y": EDU, "type"}] (EDUs without one attach to the root),
   "summary", "images": [{"turn", "image", "category"}]}
  (only the fields of --tasks; EDUs and turns are 0-based, EDUs as Session.edus() derives them;
  a task of your own answers under its answer_field: mtdialog --import MODULE predict ...)
output (JDDC 2.0 questions): [{"Id", "Answer"}], the reply to each question."""


def _log(message: str) -> None:
    print(f"mtdialog: {message}", file=sys.stderr, flush=True)


def register(subparsers) -> None:
    """Add ``predict`` and ``evaluate`` to the ``mtdialog`` parser."""
    from mtdialog.tasks import task_names
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
    p.add_argument("--tasks", nargs="+", type=_task_name, choices=task_names(), metavar="TASK",
                   help=f"tasks to predict (default: every task of the checkpoint; {', '.join(task_names())}); "
                        "JDDC 2.0 questions: response only")
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
    e.add_argument("--tasks", nargs="+", type=_task_name, choices=task_names(), metavar="TASK",
                   help="tasks to evaluate (default: every task of the checkpoint)")
    e.add_argument("--max-sessions", type=_positive, metavar="N",
                   help="evaluate the first N sessions of the split only (baselines too)")
    e.add_argument("--json", type=Path, metavar="FILE",
                   help="write every score, example count, setting and convention as JSON")
    e.add_argument("--predictions-dir", type=Path, metavar="DIR",
                   help="also write each task's predictions and references in the files `mtdialog "
                        "score` reads (TASK.pred.txt / TASK.ref.txt; discourse: .jsonl)")
    e.add_argument("--no-baselines", action="store_true", help="score the model only")
    add_convention_argument(e)
    e.set_defaults(func=evaluate_command)


def _task_name(value: str) -> str:
    from mtdialog.tasks import canonical_name

    return canonical_name(value)


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
    p.add_argument("--dtype", choices=DTYPES, default="float32",
                   help="weights and activations: float32 (default) or bfloat16 (about half the memory; "
                        "faster on CPUs with AMX or AVX512-BF16 and on GPUs; see benchmarks/bench_inference.py)")


# ------------------------------------------------------------------------------------- checkpoint
def load_model(path: Path, dtype: str = "float32"):
    """``(model, tokenizer)`` of a checkpoint directory (a LoRA adapter is merged into its base), every
    file verified against its checksums and the tokenizer checked against the model; the model in
    eval mode with ``dtype`` weights."""
    import torch
    from transformers.utils import logging

    from mtdialog.models import MTDialogModel
    from mtdialog.models.tokenization import load_checkpoint_tokenizer
    from mtdialog.training.checkpoint import ADAPTER_CONFIG, load_checkpoint

    if not path.is_dir():
        raise ConfigError("checkpoint directory does not exist", path=str(path))
    if not (path / "config.json").is_file() and not (path / ADAPTER_CONFIG).is_file():
        raise ConfigError(f"not a checkpoint directory (no config.json or {ADAPTER_CONFIG})", path=str(path))
    bars = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()  # the weights load in a moment: no bar
    try:
        model = load_checkpoint(path, MTDialogModel.from_pretrained, merge=True)
        tokenizer = load_checkpoint_tokenizer(path, model)
    except ConfigError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConfigError(f"cannot load the checkpoint: {reason}", path=str(path)) from None
    finally:
        if bars:
            logging.enable_progress_bar()
    return model.to(getattr(torch, dtype)).eval(), tokenizer


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

    from mtdialog.data.images import image_loader
    from mtdialog.data.native import INPUT_SPLIT, Corpus
    from mtdialog.pipeline import DialoguePipeline

    start = time.perf_counter()
    if not args.input.is_file():
        raise DataError("input file does not exist", path=str(args.input))
    check_output(args.output)
    fmt = detect_format(args.input) if args.format == "auto" else args.format
    tasks = args.tasks
    if fmt == "jddc20-questions" and tasks not in (None, ["response"]):
        parser.error("JDDC 2.0 questions are answered with the response task only")
    model, tokenizer = load_model(args.checkpoint, args.dtype)
    unknown = [t for t in tasks or () if t not in model.config.tasks]
    if unknown:
        parser.error(f"the checkpoint does not answer {', '.join(unknown)} (its tasks: {', '.join(model.config.tasks)})")
    if fmt == "jddc20-questions":
        tasks = ["response"]
    else:
        tasks = [t for t in model.config.tasks if t in (tasks or model.config.tasks)]
    # the same reader and checks as a corpus split; images are looked at only when the model sees them
    mode = "ignore" if model.text_only else "check" if args.missing_images == "error" else "placeholder"
    source = Corpus.from_file(args.input, images_dir=args.images, kb=args.kb, images=mode)
    if fmt == "jddc20-questions":
        from mtdialog.data.formats import jddc20

        questions = jddc20.read_questions(args.input, skip_invalid=args.skip_invalid,
                                          report=source.skipped)[: args.max_sessions]
        sessions = [q.to_session() for q in questions]
        if empty := jddc20.empty_turns(questions):
            _log(f"note: {empty} context line(s) held only a speaker ('A:'; a message that was an image or a "
                 "card the file does not hold): kept as empty turns")
        if mode != "ignore":
            for question, session in zip(questions, sessions):
                source.check_images(session, args.input, record=question.record)
    else:
        sessions = list(source.sessions(INPUT_SPLIT, skip_invalid=args.skip_invalid))[: args.max_sessions]
    if len(source.skipped):
        _log(source.skipped.summary())
    if not sessions:
        raise DataError("no sessions to predict", path=str(args.input))
    from mtdialog.tasks import get_tasks

    for task in get_tasks(tasks):
        if n := task.left_out(sessions):
            _log(f"note: {task.name} is not answered for {n} session(s) whose speakers are not a customer and an "
                 "agent (roles: other)")
    kb = source.kb()
    if not kb:
        _log("no knowledge base: sessions are encoded without product facts (see --kb)")
    pipe = DialoguePipeline(model, tokenizer, image_loader(source) if mode != "ignore" else None, kb=kb,
                            num_beams=args.num_beams, batch_size=args.batch_size)

    predictions = []
    # session predictions are streamed (to <output>.partial until the last one), so a failure keeps them
    with contextlib.ExitStack() as stack:
        out = None if fmt == "jddc20-questions" else stack.enter_context(atomic_write(args.output))
        bar = stack.enter_context(tqdm(total=len(sessions), desc="predict", unit="session", file=sys.stderr,
                                       disable=len(sessions) <= args.batch_size))
        for chunk in _chunks(sessions, args.batch_size):
            answers = pipe(chunk, tasks=tasks)
            if out is not None:
                out.writelines(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in answers)
                out.flush()
            predictions += answers
            bar.update(len(chunk))
    if fmt == "jddc20-questions":
        jddc20.write_answers([(q.id, p.response) for q, p in zip(questions, predictions)], args.output)
    _report_placeholders(source.image_problems)
    if pipe.processor.truncated_turns:
        _log(f"note: {len(pipe.processor.truncated_turns)} turn text(s) were cut to fit the model "
             f"(max_turn_tokens {model.config.max_turn_tokens}, or what an encoder row holds)")
    for session, prediction in list(zip(sessions, predictions))[: args.show]:
        print(prediction.render(session, tasks) + "\n")
    _log(f"wrote {len(predictions)} {'answers' if fmt == 'jddc20-questions' else 'session predictions'} "
         f"to {args.output} ({time.perf_counter() - start:.1f}s)")
    return 0


# --------------------------------------------------------------------------------------- evaluate
def evaluate_command(args: argparse.Namespace) -> int:
    from mtdialog.data.native import Corpus
    from mtdialog.evaluation import evaluate_split

    if args.json is not None:
        check_output(args.json)
    corpus = Corpus(args.corpus, images="check" if args.missing_images == "error" else "placeholder")
    model, tokenizer = load_model(args.checkpoint, args.dtype)
    evaluation, predictions, examples = evaluate_split(
        model, tokenizer, corpus, args.split, checkpoint=args.checkpoint, tasks=args.tasks,
        max_sessions=args.max_sessions, num_beams=args.num_beams, batch_size=args.batch_size,
        baselines=not args.no_baselines, options={"convention": args.convention}, log=_log)
    if corpus.image_problems:
        _report_placeholders(corpus.image_problems)
    if args.predictions_dir is not None:
        from mtdialog.tasks import get_task

        for name, values in predictions.items():
            task = get_task(name)
            task.write_file(values, examples[name], args.predictions_dir / task.file_name("pred"))
            task.write_references(examples[name], args.predictions_dir / task.file_name("ref"))
        _log(f"wrote predictions and references to {args.predictions_dir}")
    if args.json is not None:
        with atomic_write(args.json) as f:
            f.write(json.dumps(evaluation.to_dict(), ensure_ascii=False, indent=1) + "\n")
        _log(f"wrote {args.json}")
    print(evaluation.tables())
    return 0
