"""Reading prediction and reference files for ``mtdialog score``, and scoring them per task.

Generation tasks (``response``, ``rewrite``, ``summary``): UTF-8 text, one example per line (a line
may be empty: an empty prediction scores 0). ``rewritable``: one ``0``/``1``/``true``/``false`` per
line. ``image-category``: one label of the corpus's category set per line. ``discourse``: native
session JSONL (each session's ``annotations.discourse`` holds its relations; sessions are matched by
``session_id``) or STAC / Molweni JSON (a JSON array of dialogues, matched by position); the format
is recognised from the first character (``[`` or ``{``). Every problem raises
:class:`~mtdialog.data.schema.DataError` naming the file, the line (or record) and the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mtdialog.data.labels import IMAGE_CATEGORIES, JDDC21_RELATIONS
from mtdialog.data.native import read_jsonl
from mtdialog.data.schema import DataError, Relation, Session
from mtdialog.metrics import classification, discourse, text

GENERATION_TASKS = ("response", "rewrite", "summary")
TASKS = ("response", "rewrite", "rewritable", "discourse", "summary", "image-category")
_BOOLEANS = {"1": True, "true": True, "0": False, "false": False}


@dataclass
class Scored:
    """Scores of one task (percent), the number of examples, how they were computed, and notes."""

    scores: dict[str, float]
    examples: int
    conventions: list[str]
    notes: list[str] = field(default_factory=list)


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"cannot read file: {e.strerror or e}", path=str(path)) from None
    if not raw:
        raise DataError("empty file", path=str(path))
    return raw


def read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file (``\\n`` or ``\\r\\n``; a final newline ends the last line)."""
    lines = []
    for number, raw in enumerate(_read_bytes(path).removesuffix(b"\n").split(b"\n"), start=1):
        try:
            lines.append(raw.removesuffix(b"\r").decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError as e:
            raise DataError(f"invalid UTF-8 at byte {e.start}", path=str(path), line=number) from None
    return lines


def read_booleans(path: Path) -> list[bool]:
    """One ``0``/``1``/``true``/``false`` (any case, surrounding spaces allowed) per line."""
    out = []
    for number, line in enumerate(read_lines(path), start=1):
        value = _BOOLEANS.get(line.strip().lower())
        if value is None:
            raise DataError(f"expected 0, 1, true or false, got {line!r}", path=str(path), line=number,
                            field="rewritable")
        out.append(value)
    return out


def read_labels(path: Path, allowed: Sequence[str]) -> list[str]:
    """One label per line (surrounding spaces ignored), each in ``allowed``."""
    known = set(allowed)
    out = []
    for number, line in enumerate(read_lines(path), start=1):
        label = line.strip()
        if label not in known:
            raise DataError(f"unknown label {label!r} (expected one of the {len(known)} categories of the "
                            "corpus)", path=str(path), line=number, field="label")
        out.append(label)
    return out


@dataclass
class DiscourseSession:
    """The relations of one session, its EDU count, and where it was read (line or record)."""

    key: str
    n_edus: int
    relations: list[Relation]
    path: str
    line: int | None = None
    record: int | None = None
    unscored: int = 0

    def error(self, message: str, field: str) -> DataError:
        return DataError(message, path=self.path, line=self.line, record=self.record, field=field)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else f"{self.path}: record {self.record}"


def _native_discourse(path: Path, labels: Sequence[str]) -> list[DiscourseSession]:
    out, seen = [], {}
    for number, record in read_jsonl(path):
        try:
            session = Session.from_dict(record, relation_labels=labels)
        except DataError as e:
            raise e.located(path=str(path), line=number) from None
        if session.annotations is None or session.annotations.discourse is None:
            raise DataError("session has no discourse relations", path=str(path), line=number,
                            field="annotations.discourse")
        if session.session_id in seen:
            raise DataError(f"session id {session.session_id!r} also on line {seen[session.session_id]}",
                            path=str(path), line=number, field="session_id")
        seen[session.session_id] = number
        out.append(DiscourseSession(session.session_id, len(session.edus()), session.annotations.discourse,
                                    str(path), line=number))
    return out


def _stac_discourse(path: Path) -> list[DiscourseSession]:
    from mtdialog.data.formats import stac

    out = []
    for index, session in enumerate(stac.read(path)):
        raw = session.meta.get(stac.META_KEY, {}).get("relations")
        relations = session.annotations.discourse or []
        unscored = len(raw) - len(relations) if raw is not None else 0
        out.append(DiscourseSession(str(index), len(session.edus()), relations, str(path), record=index,
                                    unscored=unscored))
    return out


def read_discourse(path: Path, labels: Sequence[str]) -> tuple[str, list[DiscourseSession]]:
    """``("native" | "stac", sessions)``; native relation labels must be in ``labels``."""
    head = _read_bytes(path).lstrip()[:1]
    if not head:
        raise DataError("empty file", path=str(path))
    if head == b"[":
        return "stac", _stac_discourse(path)
    if head == b"{":
        return "native", _native_discourse(path, labels)
    raise DataError("expected native session JSONL (lines of {...}) or a STAC JSON array ([...])",
                    path=str(path), line=1)


def _same_count(predictions: Path, n_pred: int, references: Path, n_ref: int, unit: str) -> None:
    if n_pred != n_ref:
        raise DataError(f"{n_pred} {unit} but the references ({references}) have {n_ref}", path=str(predictions))


def _score_discourse(predictions: Path, references: Path, labels: Sequence[str]) -> Scored:
    gold_format, gold = read_discourse(references, labels)
    pred_format, pred = read_discourse(predictions, labels)
    if pred_format != gold_format:
        raise DataError(f"{pred_format} format but the references ({references}) are {gold_format}",
                        path=str(predictions))
    if gold_format == "native":
        by_id = {s.key: s for s in pred}
        missing = [s.key for s in gold if s.key not in by_id]
        if missing:
            raise DataError(f"no prediction for session {missing[0]!r} ({len(missing)} missing)",
                            path=str(predictions), field="session_id")
        gold_ids = {s.key for s in gold}
        extra = [s for s in pred if s.key not in gold_ids]
        if extra:
            raise extra[0].error(f"session {extra[0].key!r} is not in the references ({len(extra)} such)",
                                 "session_id")
        pred = [by_id[s.key] for s in gold]
    else:
        _same_count(predictions, len(pred), references, len(gold), "dialogues")
    for p, g in zip(pred, gold):
        if p.n_edus != g.n_edus:
            raise p.error(f"{p.n_edus} EDUs but the reference ({g.where}) has {g.n_edus}", "edus")
    scores = discourse.discourse_scores([p.relations for p in pred], [g.relations for g in gold],
                                        [g.n_edus for g in gold])
    notes = [f"{n} relation(s) of {path} with x >= y or a repeated (x, y) pair are not scored"
             for path, n in ((references, sum(g.unscored for g in gold)),
                             (predictions, sum(p.unscored for p in pred))) if n]
    return Scored(scores, len(gold), [discourse.CONVENTION], notes)


def score_files(task: str, predictions: Path, references: Path, *, bleu_tokenize: str = "char",
                relation_labels: Sequence[str] = JDDC21_RELATIONS,
                image_categories: Sequence[str] = IMAGE_CATEGORIES) -> Scored:
    """Read both files of ``task`` and score them (see the module docstring for the formats)."""
    if task in GENERATION_TASKS:
        pred, gold = read_lines(predictions), read_lines(references)
        _same_count(predictions, len(pred), references, len(gold), "lines")
        return Scored(text.generation_scores(pred, gold, bleu_tokenize=bleu_tokenize), len(gold),
                      text.conventions(bleu_tokenize))
    if task == "rewritable":
        pred, gold = read_booleans(predictions), read_booleans(references)
        _same_count(predictions, len(pred), references, len(gold), "lines")
        return Scored(classification.binary_scores(pred, gold), len(gold), [classification.BINARY_CONVENTION])
    if task == "image-category":
        pred, gold = read_labels(predictions, image_categories), read_labels(references, image_categories)
        _same_count(predictions, len(pred), references, len(gold), "lines")
        return Scored(classification.classification_scores(pred, gold), len(gold),
                      [classification.CLASSIFICATION_CONVENTION])
    if task == "discourse":
        return _score_discourse(predictions, references, relation_labels)
    raise ValueError(f"unknown task {task!r} (expected one of {', '.join(TASKS)})")
