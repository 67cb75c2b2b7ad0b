"""CSDS (Chinese customer-service dialogue summarization, built on JDDC): a JSON array of
``{"DialogueID", "Dialogue": [{"speaker": "Q"|"A", "turn", "utterance"}], "FinalSumm": [..],
"UserSumm": [..], "AgentSumm": [..], "QA": [..], "QRole", "Session_id", ...}``.

Mapping onto :class:`Session`: ``DialogueID`` is the session id; each utterance becomes one turn
with its text exactly as given (CSDS separates words with spaces and writes images as placeholders
such as ``[图片]``; both are kept); the summary annotation is ``"".join(FinalSumm)``. Everything else
is kept in ``meta["csds"]``: ``fields`` holds every top-level field but ``Dialogue`` and a string
``DialogueID`` (so ``FinalSumm`` keeps its per-QA segments, and ``UserSumm``, ``AgentSumm``, ``QA``,
``QRole``, ``Session_id`` and any other field are kept as read); ``utterance_fields`` holds, per
utterance, its fields other than ``speaker`` and ``utterance``, when some ``turn`` differs from the
utterance's position or an utterance has extra fields. CSDS names no shop or product: ``shop`` is
``"other"``, ``product_id`` is null.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mtdialog.data.formats import OTHER_SHOP, iter_records, load_json_array
from mtdialog.data.schema import Annotations, DataError, Session, SkipReport, Turn, get_field, type_name

META_KEY = "csds"


def _turn(raw: Any, j: int) -> tuple[Turn, dict[str, Any]]:
    name = f"Dialogue[{j}]"
    if not isinstance(raw, dict):
        raise DataError(f"expected an object, got {type_name(raw)}", field=name)
    speaker = get_field(raw, "speaker", str, name)
    if speaker not in ("Q", "A"):
        raise DataError(f"unknown speaker {speaker!r} (expected 'Q' or 'A')", field=f"{name}.speaker")
    get_field(raw, "turn", int, name)
    text = get_field(raw, "utterance", str, name)
    if not text:
        raise DataError("empty utterance", field=f"{name}.utterance")
    return Turn(speaker, text), {k: v for k, v in raw.items() if k not in ("speaker", "utterance")}


def _session(record: Any) -> Session:
    if not isinstance(record, dict):
        raise DataError(f"a dialogue must be a JSON object, got {type_name(record)}")
    dialogue_id = get_field(record, "DialogueID", (str, int), "")
    raw_turns = get_field(record, "Dialogue", list, "")
    if not raw_turns:
        raise DataError("dialogue has no utterances", field="Dialogue")
    turns, utterance_fields = zip(*(_turn(raw, j) for j, raw in enumerate(raw_turns)))
    annotations = None
    if "FinalSumm" in record:
        parts = get_field(record, "FinalSumm", list, "")
        for j, part in enumerate(parts):
            if not isinstance(part, str):
                raise DataError(f"expected string, got {type_name(part)}", field=f"FinalSumm[{j}]")
        annotations = Annotations(summary="".join(parts))
    fields = {k: v for k, v in record.items() if k != "Dialogue" and not (k == "DialogueID" and isinstance(v, str))}
    meta: dict[str, Any] = {"fields": fields}
    if any(f != {"turn": j} for j, f in enumerate(utterance_fields)):
        meta["utterance_fields"] = list(utterance_fields)
    return Session(str(dialogue_id), OTHER_SHOP, None, list(turns), annotations, {META_KEY: meta})


def read(path: str | Path, *, skip_invalid: bool = False, report: SkipReport | None = None) -> Iterator[Session]:
    """Read a CSDS JSON file (``train.json`` / ``val.json`` / ``test.json``); errors name the file,
    0-based record index and field (``Dialogue[4].speaker``, ``FinalSumm[1]``, a repeated
    ``DialogueID``, ...)."""
    records = load_json_array(path)
    first: dict[str, int] = {}

    def build(record: Any, index: int) -> Session:
        session = _session(record)
        if session.session_id in first:
            raise DataError(f"duplicate DialogueID {session.session_id!r} (first at record "
                            f"{first[session.session_id]})", field="DialogueID")
        first[session.session_id] = index
        return session

    yield from iter_records(path, records, build, skip_invalid=skip_invalid, report=report)
