"""JDDC 2.0 / JDMDC 2020 training TSV, and its test questions and answers.

Training TSV: one message per row, five tab-separated columns::

    session id <TAB> shop (xjd|fx) <TAB> product id (md5 hex | null) <TAB> text <TAB> waiter flag

``1`` marks the agent (``A``), ``0`` the customer (``Q``); the rows of a session are consecutive.
An image message is a bare ``<32 hex>.jpg`` file name; several messages of one speaker may be joined
with ``|||`` in one row, mixing text and image names. Each row becomes one :class:`Turn`:
its ``|||``-separated segments that are image names give ``images`` (the hex is the image id), the
other segments, joined again with ``|||``, give ``text``. What else the exact row needs is kept in
``Session.meta["jddc20"]`` (see :data:`META_KEY`), so TSV -> ``Session`` -> TSV is byte-identical.

Test questions: a JSON array of ``{"Id", "SessionId", "Shop", "ProductId", "Context": ["Q:..",
"A:.."], "Question"}``, read by :func:`read_questions`; answers are written by :func:`write_answers`
as ``[{"Id", "Answer"}]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from mtdialog.data.formats import iter_records, load_json_array
from mtdialog.data.schema import DataError, Session, SkipReport, Turn, get_field, type_name
from mtdialog.fileio import atomic_write

COLUMNS = ("session_id", "shop", "product_id", "text", "waiter")
SEPARATOR = "|||"
IMAGE_NAME = re.compile(r"[0-9a-fA-F]{32}\.jpg")
NULL_PRODUCT = "null"
SPEAKER_OF_FLAG = {"0": "Q", "1": "A"}
FLAG_OF_SPEAKER = {v: k for k, v in SPEAKER_OF_FLAG.items()}

#: ``Session.meta`` key of what a row needs beyond the turn, each a list of ``[turn, value]``
#: pairs present only when needed: ``layouts`` (segment order, ``"T"`` text / ``"I"`` image, where
#: it differs from "all text segments, then all images"), ``shops`` and ``product_ids`` (the raw
#: column of rows that differ from the session's first row).
META_KEY = "jddc20"


# ------------------------------------------------------------------------------ one text column
def split_text(column: str) -> tuple[str, list[str], str]:
    """A text column as ``(turn text, image ids, layout)``: ``"看下|||<hex>.jpg"`` ->
    ``("看下", ["<hex>"], "TI")``."""
    texts, images, layout = [], [], []
    for segment in column.split(SEPARATOR):
        if IMAGE_NAME.fullmatch(segment):
            images.append(segment[:-len(".jpg")])
            layout.append("I")
        else:
            texts.append(segment)
            layout.append("T")
    return SEPARATOR.join(texts), images, "".join(layout)


def default_layout(text: str, n_images: int) -> str:
    """The layout assumed when none is stored: every text segment, then every image."""
    return ("T" * len(text.split(SEPARATOR)) if text else "") + "I" * n_images


def join_text(turn: Turn, layout: str | None = None) -> str:
    """The text column of ``turn``; raises DataError (field ``text``) if the row would not read
    back as the same turn (an image id that is not 32 hex digits, text that looks like an image
    name, a tab or newline, or a layout that does not fit the turn)."""
    layout = layout or default_layout(turn.text, len(turn.images))
    texts = turn.text.split(SEPARATOR) if "T" in layout else []
    if layout.count("T") != len(texts) or layout.count("I") != len(turn.images) or (not texts and turn.text):
        raise DataError(f"segment layout {layout!r} does not fit the turn", field="text")
    text_iter, image_iter = iter(texts), iter(turn.images)
    column = SEPARATOR.join(next(text_iter) if c == "T" else f"{next(image_iter)}.jpg" for c in layout)
    if "\t" in column or "\n" in column:
        raise DataError("a tab or line feed cannot be written to a TSV column", field="text")
    if not column:
        raise DataError("empty text", field="text")
    if split_text(column) != (turn.text, list(turn.images), layout):
        raise DataError(f"turn cannot be written unambiguously as {column!r} (image ids must be 32 hex "
                        "digits; text segments must not look like image names)", field="text")
    return column


# ------------------------------------------------------------------------------------ reading
@dataclass
class _Pending:
    """The rows read so far of the session being assembled."""

    session_id: str
    turns: list[Turn] = field(default_factory=list)
    meta: dict[str, list] = field(default_factory=dict)
    shop: str = ""
    product: str = ""
    error: DataError | None = None

    def add_row(self, cols: list[str]) -> None:
        _, shop, product, column, flag = cols
        if flag not in SPEAKER_OF_FLAG:
            raise DataError(f"bad waiter flag {flag!r} (expected '1' for the agent or '0' for the "
                            "customer)", field="waiter")
        if not column:
            raise DataError("empty text", field="text")
        index = len(self.turns)
        if not self.turns:
            self.shop, self.product = shop, product
        if shop != self.shop:
            self.meta.setdefault("shops", []).append([index, shop])
        if product != self.product:
            self.meta.setdefault("product_ids", []).append([index, product])
        text, images, layout = split_text(column)
        if layout != default_layout(text, len(images)):
            self.meta.setdefault("layouts", []).append([index, layout])
        self.turns.append(Turn(SPEAKER_OF_FLAG[flag], text, images))

    def session(self) -> Session:
        product_id = None if self.product == NULL_PRODUCT else self.product
        meta = {META_KEY: self.meta} if self.meta else {}
        return Session(self.session_id, self.shop, product_id, self.turns, None, meta)


def _columns(raw: bytes, number: int) -> list[str]:
    """The columns of one raw line; raises DataError for invalid UTF-8 or a wrong column count."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        column = raw[:e.start].count(b"\t")
        raise DataError(f"invalid UTF-8 at byte {e.start}", line=number,
                        field=COLUMNS[column] if column < len(COLUMNS) else "columns") from None
    cols = line.rstrip("\n").removesuffix("\r").split("\t")
    if len(cols) != len(COLUMNS):
        raise DataError(f"expected {len(COLUMNS)} tab-separated columns ({', '.join(COLUMNS)}), "
                        f"got {len(cols)}", line=number, field="columns")
    if not cols[0]:
        raise DataError("empty session id", line=number, field="session_id")
    return cols


def read(path: str | Path, *, skip_invalid: bool = False, report: SkipReport | None = None) -> Iterator[Session]:
    """Stream the sessions of a JDDC 2.0 training TSV, one row at a time (blank lines are ignored).

    Errors name the file, line and column; with ``skip_invalid`` a bad row's whole session is
    skipped and its first error added to ``report``.
    """
    where = str(path)
    first_line: dict[str, int] = {}  # session id -> line of its first row
    pending: _Pending | None = None

    def fail(error: DataError) -> None:
        error = error.located(path=where)
        if not skip_invalid:
            raise error
        if report is not None:
            report.add(error)

    if not Path(path).is_file():
        raise DataError("file does not exist", path=where)
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.rstrip(b"\r\n"):
                continue
            error: DataError | None = None
            try:
                cols = _columns(raw, number)
                session_id = cols[0]
            except DataError as e:
                error, session_id = e, raw.rstrip(b"\r\n").split(b"\t")[0].decode("utf-8", "replace")
            if pending is None or session_id != pending.session_id:
                if pending is not None and pending.error is None:
                    yield pending.session()
                pending = _Pending(session_id)
                if session_id in first_line:
                    pending.error = DataError(
                        f"session {session_id!r} reappears after other sessions (first row at line "
                        f"{first_line[session_id]}); the rows of a session must be consecutive",
                        line=number, field="session_id")
                    fail(pending.error)
                    continue
                first_line[session_id] = number
            if pending.error is not None:
                continue
            if error is None:
                try:
                    pending.add_row(cols)
                except DataError as e:
                    error = e.located(line=number)
            if error is not None:
                pending.error = error
                fail(error)
        if pending is not None and pending.error is None:
            yield pending.session()


# ------------------------------------------------------------------------------------ writing
def rows(session: Session) -> list[str]:
    """The TSV rows (with newlines) of one session; raises DataError (field ``turns[i]...``) if a
    value cannot be written so that it reads back unchanged."""
    meta = session.meta.get(META_KEY, {})
    layouts, shops, products = (dict(map(tuple, meta.get(k, []))) for k in ("layouts", "shops", "product_ids"))
    product = NULL_PRODUCT if session.product_id is None else session.product_id
    if not session.session_id:
        raise DataError("empty session id", field="session_id")
    for name, value in (("session_id", session.session_id), ("shop", session.shop), ("product_id", product)):
        if "\t" in value or "\n" in value:
            raise DataError(f"{value!r} holds a tab or line feed, which a TSV column cannot", field=name)
    out = []
    for i, turn in enumerate(session.turns):
        try:
            if turn.speaker not in FLAG_OF_SPEAKER:
                raise DataError(f"unknown speaker {turn.speaker!r} (expected 'Q' or 'A')", field="speaker")
            column = join_text(turn, layouts.get(i))
        except DataError as e:
            raise DataError(e.message, field=f"turns[{i}].{e.field}") from None
        out.append("\t".join((session.session_id, shops.get(i, session.shop), products.get(i, product),
                              column, FLAG_OF_SPEAKER[turn.speaker])) + "\n")
    return out


def write(sessions: Iterable[Session], path: str | Path) -> None:
    """Write sessions as JDDC 2.0 training TSV (UTF-8, LF line ends).

    Raises DataError naming the session (0-based record index) and field of a value that would not
    read back unchanged, or a session id written twice (its rows would not be consecutive).
    """
    written: set[str] = set()
    with atomic_write(path, newline="") as f:
        for index, session in enumerate(sessions):
            try:
                if session.session_id in written:
                    raise DataError(f"session {session.session_id!r} written twice", field="session_id")
                f.writelines(rows(session))
            except DataError as e:
                raise DataError(f"session {session.session_id!r}: {e.message}", path=str(path),
                                record=index, field=e.field) from None
            written.add(session.session_id)


# ----------------------------------------------------------------------- test questions, answers
@dataclass
class Question:
    """One test question: the dialogue so far (``context``) and the customer's question."""

    id: str | int
    session_id: str
    shop: str
    product_id: str | None
    context: list[Turn]
    question: Turn
    record: int = 0  # its index in the file (errors name it)

    def to_session(self) -> Session:
        """The dialogue with the question as its last turn (``meta["jddc20"]["question_id"]``)."""
        turns = [Turn(t.speaker, t.text, list(t.images)) for t in self.context]
        turns.append(Turn(self.question.speaker, self.question.text, list(self.question.images)))
        return Session(self.session_id, self.shop, self.product_id, turns, None,
                       {META_KEY: {"question_id": self.id}})


def _message(text: str, speaker: str, field_name: str, *, empty_ok: bool = False) -> Turn:
    """The turn of one message; an empty one (a context line ``"A:"`` alone, where the message was an
    image or a card the file does not hold) is an empty turn when ``empty_ok``."""
    if not text:
        if empty_ok:
            return Turn(speaker, "", [])
        raise DataError("empty message", field=field_name)
    turn_text, images, _ = split_text(text)
    return Turn(speaker, turn_text, images)


def empty_turns(questions: Iterable[Question]) -> int:
    """How many context turns of ``questions`` are empty (see :func:`_message`)."""
    return sum(not t.text and not t.images for q in questions for t in q.context)


def _question(record: object) -> Question:
    if not isinstance(record, dict):
        raise DataError(f"a question must be a JSON object, got {type_name(record)}")
    qid = get_field(record, "Id", (str, int), "")
    session_id = get_field(record, "SessionId", str, "")
    shop = get_field(record, "Shop", str, "")
    product = get_field(record, "ProductId", (str, type(None)), "")
    context = []
    for j, line in enumerate(get_field(record, "Context", list, "")):
        name = f"Context[{j}]"
        if not isinstance(line, str) or line[:2] not in ("Q:", "A:"):
            raise DataError(f"expected a string starting with 'Q:' or 'A:', got {line!r}", field=name)
        context.append(_message(line[2:], line[0], name, empty_ok=True))
    question = _message(get_field(record, "Question", str, ""), "Q", "Question")
    return Question(qid, session_id, shop, None if product in (None, NULL_PRODUCT) else product,
                    context, question)


def read_questions(path: str | Path, *, skip_invalid: bool = False, report: SkipReport | None = None
                   ) -> list[Question]:
    """Read a JDDC 2.0 test-question file; errors name the file, 0-based record index and field (with
    ``skip_invalid``, a bad question is left out and added to ``report``). Empty context lines are
    kept as empty turns (:func:`empty_turns` counts them)."""
    seen: dict[str | int, int] = {}

    def build(record: object, index: int) -> Question:
        question = replace(_question(record), record=index)
        question.to_session().check_size()
        if question.id in seen:
            raise DataError(f"duplicate Id {question.id!r} (first at record {seen[question.id]})", field="Id")
        seen[question.id] = index
        return question

    return list(iter_records(path, load_json_array(path), build, skip_invalid=skip_invalid, report=report))


def write_answers(answers: Iterable[tuple[str | int, str]], path: str | Path) -> None:
    """Write ``(question id, answer)`` pairs as ``[{"Id", "Answer"}]`` (UTF-8, not ASCII-escaped)."""
    out, seen = [], set()
    for index, (qid, answer) in enumerate(answers):
        if not isinstance(answer, str):
            raise DataError(f"expected a string answer, got {type(answer).__name__}", path=str(path),
                            record=index, field="Answer")
        if qid in seen:
            raise DataError(f"duplicate Id {qid!r}", path=str(path), record=index, field="Id")
        seen.add(qid)
        out.append({"Id": qid, "Answer": answer})
    with atomic_write(path) as f:
        f.write(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
