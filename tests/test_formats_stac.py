"""STAC / Molweni discourse JSON: EDUs as turns, speaker roles, relations with the corpus's own
labels, explicit root links and links that point forward kept as data, errors, and STAC -> native ->
STAC identity."""

import json

import pytest

from mtdialog.data.formats import READERS, WRITERS, labels_of, stac
from mtdialog.data.native import dump_line
from mtdialog.data.schema import (
    Annotations,
    DataError,
    Relation,
    Session,
    SkipReport,
    Turn,
    parse_links,
    relation_kinds,
)

STAC_GAME = {  # three players; one forward-pointing and one repeated relation, as the STAC conversion has
    "id": "s1-league1-game3",
    "edus": [
        {"text": "anyone got wheat for a sheep?", "speaker": "Cat"},
        {"text": "sorry, not me", "speaker": "Dog"},
        {"text": "nope.", "speaker": "Bird"},
        {"text": "you seem to have plenty of sheep", "speaker": "Dog"},
        {"text": "i do :)", "speaker": "Cat"},
    ],
    "relations": [
        {"type": "Question-answer_pair", "x": 0, "y": 1},
        {"type": "Question-answer_pair", "x": 0, "y": 2},
        {"type": "Comment", "x": 1, "y": 3},
        {"type": "Acknowledgement", "x": 4, "y": 3},
        {"type": "Q-Elab", "x": 0, "y": 1},
        {"type": "Comment", "x": 3, "y": 4},
    ],
}
SECOND_DIALOGUE_OF_GAME = {
    "id": "s1-league1-game3",
    "edus": [{"text": "i'll build a road", "speaker": "Bird"}, {"text": "ok", "speaker": "Cat"}],
    "relations": [{"type": "Acknowledgement", "x": 0, "y": 1}],
}
MOLWENI = {
    "id": "molweni-1021",
    "edus": [
        {"text": "how do i mount an iso in ubuntu ?", "speaker": "nbx909", "turn": 0},
        {"text": "use mount -o loop", "speaker": "Amaranth", "turn": 1},
        {"text": "thanks", "speaker": "nbx909", "turn": 2},
    ],
    "relations": [{"type": "Clarification_question", "x": 0, "y": 1, "annotator": 2},
                  {"type": "Acknowledgement", "x": 1, "y": 2}],
    "split": "dev",
}
CHINESE = {  # no "id": the session id comes from the file name and index
    "edus": [
        {"text": "你好，洗衣机显示E3#E-s57", "speaker": "A"},
        {"text": "亲亲，请问是什么型号呢", "speaker": "B"},
        {"text": "用户发起转人工", "speaker": "A"},
    ],
    "relations": [{"type": "Root", "x": -1, "y": 0}, {"type": "Elaboration", "x": 0, "y": 1},
                  {"type": "Result", "x": 1, "y": 2}],  # an explicit root link first
}
DIALOGUES = [STAC_GAME, SECOND_DIALOGUE_OF_GAME, MOLWENI, CHINESE]


def write_json(tmp_path, data, name="stac_dev.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def fresh():
    return json.loads(json.dumps(DIALOGUES))


def test_registered_as_reader_and_writer():
    assert READERS["stac"] is stac.read and WRITERS["stac"] is stac.write


def test_edus_become_turns_with_roles_by_first_appearance(tmp_path):
    game, _, _, chinese = stac.read(write_json(tmp_path, DIALOGUES))
    assert [(t.speaker, t.text, t.images) for t in game.turns] == [
        ("Q", "anyone got wheat for a sheep?", []), ("A", "sorry, not me", []), ("Q", "nope.", []),
        ("A", "you seem to have plenty of sheep", []), ("Q", "i do :)", [])]
    assert [t.name for t in game.turns] == ["Cat", "Dog", "Bird", "Dog", "Cat"]
    assert game.roles == "other"  # not customers and agents: the response task leaves it out
    assert [e.text for e in game.edus()] == [e["text"] for e in STAC_GAME["edus"]]
    assert (game.shop, game.product_id) == ("other", None)
    assert [t.speaker for t in chinese.turns] == ["Q", "A", "Q"]
    assert [t.name for t in chinese.turns] == ["A", "B", "A"]  # the names "A"/"B" are not the roles Q/A


def test_roles_from_a_mapping_make_a_customer_service_dialogue(tmp_path):
    path = write_json(tmp_path, [CHINESE])
    (session,) = stac.read(path, roles={"A": "Q", "B": "A"})
    assert [t.speaker for t in session.turns] == ["Q", "A", "Q"] and session.roles == "customer-agent"
    with pytest.raises(DataError, match=r"record 0: edus\[1\].speaker: speaker 'B' has no role \(--roles names A\)"):
        list(stac.read(path, roles={"A": "Q"}))


def test_relations_keep_their_labels_and_are_kept_as_annotated(tmp_path):
    game, second, molweni, chinese = stac.read(write_json(tmp_path, DIALOGUES))
    assert game.annotations.discourse == [Relation(r["x"], r["y"], r["type"]) for r in STAC_GAME["relations"]]
    assert relation_kinds(game.annotations.discourse) == {"forward": 1, "repeated": 1}  # 4->3, and 0->1 again
    assert parse_links(game.annotations.discourse) == [
        Relation(0, 1, "Question-answer_pair"), Relation(0, 2, "Question-answer_pair"),
        Relation(1, 3, "Comment"), Relation(3, 4, "Comment")]
    assert chinese.annotations.discourse[0] == Relation(-1, 0, "Root")
    assert relation_kinds(chinese.annotations.discourse) == {"root": 1}
    assert "relations" not in chinese.meta.get("stac", {})
    assert molweni.meta["stac"]["relations"] == MOLWENI["relations"]  # an extra relation field
    assert labels_of([game, second, molweni, chinese]) == [
        "Acknowledgement", "Clarification_question", "Comment", "Elaboration", "Q-Elab",
        "Question-answer_pair", "Result", "Root"]


def test_session_ids_and_extra_fields(tmp_path):
    game, second, molweni, chinese = stac.read(write_json(tmp_path, DIALOGUES))
    assert [s.session_id for s in (game, second, molweni, chinese)] == [
        "s1-league1-game3-0", "s1-league1-game3-1", "molweni-1021", "stac_dev-3"]
    assert game.meta["stac"]["id"] == "s1-league1-game3"
    assert molweni.meta["stac"]["fields"] == {"split": "dev"}
    assert molweni.meta["stac"]["edu_fields"] == [{"turn": 0}, {"turn": 1}, {"turn": 2}]
    assert chinese.meta["stac"]["has_id"] is False


def test_round_trip_through_native_keeps_every_edu_relation_and_label(tmp_path):
    sessions = list(stac.read(write_json(tmp_path, DIALOGUES)))
    native = [Session.from_dict(json.loads(dump_line(s.to_dict()))) for s in sessions]
    out = tmp_path / "out.json"
    stac.write(native, out)
    text = out.read_text(encoding="utf-8")
    assert text.count("\n") == 1 and "你好" in text  # one line, as Deep Sequential's loader reads it
    assert json.loads(text) == DIALOGUES


def test_native_sessions_with_images_are_written_with_marked_image_edus(tmp_path):
    s = Session("jd-1", "xjd", "p1", [Turn("Q", "洗衣机坏了", ["img7"]), Turn("A", "收到", [])],
                Annotations(discourse=[Relation(0, 1, "Contingency/Contingency/Elaboration"),
                                       Relation(1, 2, "Question&Answer/Answer/Hold")]))
    out = tmp_path / "pred.json"
    stac.write([s], out)
    [record] = json.loads(out.read_text(encoding="utf-8"))
    assert record == {"id": "jd-1", "edus": [
        {"text": "洗衣机坏了", "speaker": "Q"},
        {"text": "[image:img7]", "speaker": "Q", "image": "img7"},
        {"text": "收到", "speaker": "A"}],
        "relations": [{"x": 0, "y": 1, "type": "Contingency/Contingency/Elaboration"},
                      {"x": 1, "y": 2, "type": "Question&Answer/Answer/Hold"}]}
    [back] = stac.read(out)
    assert [(e.text, e.image, e.speaker) for e in back.edus()] == [(e.text, e.image, e.speaker) for e in s.edus()]
    assert back.annotations.discourse == s.annotations.discourse and back.session_id == "jd-1"


def test_predicted_relations_replace_the_read_ones(tmp_path):
    [game] = stac.read(write_json(tmp_path, [STAC_GAME]))
    game.annotations = Annotations(discourse=[Relation(0, 1, "Comment"), Relation(1, 4, "Comment")])
    out = tmp_path / "pred.json"
    stac.write([game], out)
    [record] = json.loads(out.read_text(encoding="utf-8"))
    assert record["relations"] == [{"x": 0, "y": 1, "type": "Comment"}, {"x": 1, "y": 4, "type": "Comment"}]
    assert [e["speaker"] for e in record["edus"]] == ["Cat", "Dog", "Bird", "Dog", "Cat"]


@pytest.mark.parametrize("change, record, field, message", [
    (lambda d: d[2]["relations"].append({"x": 1, "y": 7, "type": "Comment"}), 2, "relations[2].y",
     "EDU index 7 out of range (dialogue has 3 EDUs)"),
    (lambda d: d[0]["relations"][1].pop("type"), 0, "relations[1].type", "missing required field"),
    (lambda d: d[0]["relations"][1].update(x="0"), 0, "relations[1].x", "expected integer, got string"),
    (lambda d: d[3]["edus"][1].pop("speaker"), 3, "edus[1].speaker", "missing required field"),
    (lambda d: d[3]["edus"][2].update(text=""), 3, "edus[2].text", "empty EDU text"),
    (lambda d: d[1].update(edus=[]), 1, "edus", "no EDUs"),
    (lambda d: d[1].pop("relations"), 1, "relations", "missing required field"),
    (lambda d: d[2].update(id=["x"]), 2, "id", "expected string or integer, got array"),
    (lambda d: d[3]["edus"].append({"text": "看图", "speaker": "A", "image": "img1"}), 3, "edus[3].image",
     "an image EDU needs"),
])
def test_bad_dialogues_name_file_record_and_field(tmp_path, change, record, field, message):
    data = fresh()
    change(data)
    path = write_json(tmp_path, data)
    with pytest.raises(DataError) as e:
        list(stac.read(path))
    assert (e.value.path, e.value.record, e.value.field) == (str(path), record, field)
    assert message in e.value.message
    assert str(e.value) == f"{path}: record {record}: {field}: {e.value.message}"


def test_file_level_errors(tmp_path):
    with pytest.raises(DataError, match="expected a JSON array of records, got object"):
        list(stac.read(write_json(tmp_path, {"edus": []})))
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'[{"edus": [{"text": "caf\xe9"}]}]')
    with pytest.raises(DataError, match="invalid UTF-8"):
        list(stac.read(bad))
    with pytest.raises(DataError, match="cannot read file"):
        list(stac.read(tmp_path / "missing.json"))


def test_skip_invalid_counts_bad_dialogues(tmp_path):
    data = fresh()
    data[0]["relations"].append({"x": 0, "y": 99, "type": "Comment"})
    data[3]["edus"][0]["text"] = 5
    report = SkipReport()
    sessions = list(stac.read(write_json(tmp_path, data), skip_invalid=True, report=report))
    assert [s.session_id for s in sessions] == ["s1-league1-game3-1", "molweni-1021"]
    assert [(e.record, e.field) for e in report.errors] == [(0, "relations[6].y"), (3, "edus[0].text")]


def test_a_customer_service_session_keeps_its_roles_through_stac(tmp_path):
    session = Session("x", "other", None, [Turn("A", "您好"), Turn("Q", "在吗"), Turn("A", "在的")],
                      Annotations(discourse=[Relation(0, 1, "QAP")]))
    stac.write([session], tmp_path / "s.json")
    (back,) = stac.read(tmp_path / "s.json")
    assert back.roles == "customer-agent" and back.to_dict() == session.to_dict()  # names Q/A are the roles
