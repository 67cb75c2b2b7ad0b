"""The Session contract: EDU derivation, validation errors that name the field, canonical records."""

import pytest

from mtdialog.data.labels import IMAGE_CATEGORIES, JDDC21_RELATIONS, relation_level
from mtdialog.data.schema import DataError, Session


def record(**over):
    base = {
        "session_id": "s1", "shop": "xjd", "product_id": "p1",
        "turns": [
            {"speaker": "Q", "text": "这个怎么回事", "images": ["img1"]},
            {"speaker": "A", "text": "您好，请问是哪里坏了", "images": []},
            {"speaker": "Q", "text": "", "images": ["img2", "img3"]},
        ],
        "annotations": {
            "rewrites": [{"turn": 0, "rewritable": True, "text": "洗衣机显示E3错误怎么回事"}],
            "discourse": {"relations": [{"x": 0, "y": 1, "type": JDDC21_RELATIONS[0]},
                                        {"x": 2, "y": 3, "type": JDDC21_RELATIONS[1]}]},
            "summary": "用户反馈洗衣机报错，客服询问故障。",
            "image_categories": {"img1": IMAGE_CATEGORIES[10]},
        },
    }
    base.update(over)
    return base


def test_taxonomy_has_33_leaves_and_15_categories():
    assert len(JDDC21_RELATIONS) == 33 == len(set(JDDC21_RELATIONS))
    assert len(IMAGE_CATEGORIES) == 15
    assert relation_level("Question&Answer/Question/Yes-No", 2) == "Question&Answer/Question"


def test_edus_are_text_then_images_per_turn():
    s = Session.from_dict(record())
    edus = s.edus()
    assert [(e.turn, e.text, e.image) for e in edus] == [
        (0, "这个怎么回事", None), (0, "", "img1"), (1, "您好，请问是哪里坏了", None),
        (2, "", "img2"), (2, "", "img3")]
    assert s.image_ids() == ["img1", "img2", "img3"]


def test_round_trip_is_identity():
    r = record(meta={"hidden": {"img1": "E3"}})
    assert Session.from_dict(r).to_dict() == r


@pytest.mark.parametrize("change, field, message", [
    (lambda r: r.pop("turns"), "turns", "missing required field"),
    (lambda r: r.update(session_id=3), "session_id", "expected string, got integer"),
    (lambda r: r["turns"][1].update(speaker="B"), "turns[1].speaker", "unknown speaker"),
    (lambda r: r.update(turns=[]), "turns", "empty session"),
    (lambda r: r.update(colour="red"), "colour", "unknown field"),
    (lambda r: r["annotations"]["discourse"]["relations"].append({"x": 0, "y": 9, "type": "x"}),
     "annotations.discourse.relations[2].y", "out of range"),
    (lambda r: r["annotations"]["discourse"]["relations"].append({"x": -2, "y": 2, "type": "x"}),
     "annotations.discourse.relations[2].x", "EDU index -2 out of range (session has 5 EDUs; -1 is the root)"),
    (lambda r: r["annotations"]["rewrites"].append({"turn": 1, "rewritable": False, "text": ""}),
     "annotations.rewrites[1].turn", "not a customer turn"),
    (lambda r: r["annotations"]["image_categories"].update(img9="photo_malfunction"),
     "annotations.image_categories.img9", "does not occur"),
])
def test_invalid_records_name_the_field(change, field, message):
    r = record()
    change(r)
    with pytest.raises(DataError) as e:
        Session.from_dict(r)
    assert e.value.field == field
    assert message in e.value.message


def test_label_outside_label_set():
    r = record()
    r["annotations"]["discourse"]["relations"][0]["type"] = "Made/Up/Label"
    with pytest.raises(DataError, match="not in the corpus's relation label set"):
        Session.from_dict(r, relation_labels=JDDC21_RELATIONS)


def test_error_message_names_file_line_and_field():
    err = DataError("missing required field", field="turns").located(path="a.jsonl", line=7)
    assert str(err) == "a.jsonl:7: turns: missing required field"
