"""CSDS summarization JSON: utterances as turns, the overall summary as the annotation, every other
field kept in meta through a native round trip, and errors that locate the problem."""

import json

import pytest

from mtdialog.data.formats import READERS, csds
from mtdialog.data.native import dump_line
from mtdialog.data.schema import DataError, Session, SkipReport

DIALOGUES = [
    {
        "DialogueID": "10021",
        "QRole": "用户",
        "Session_id": "9c1e2f60a7b84d3e8f11aa0b2c3d4e5f",
        "Dialogue": [
            {"speaker": "Q", "turn": 0, "utterance": "你好 ， 我 的 快递 怎么 还 没 到"},
            {"speaker": "A", "turn": 1, "utterance": "#E-s57 亲亲 ， 请 您 提供 一下 订单 号"},
            {"speaker": "Q", "turn": 2, "utterance": "[ORDERID_10086] [图片]"},
            {"speaker": "A", "turn": 3, "utterance": "已 为 您 催促 站点 ， 预计 [数字x] 号 前 送达"},
        ],
        "QA": [{"QueSumm": "用户询问快递未到。", "AnsSummShort": "客服已催促站点。",
                "AnsSummLong": "客服已催促站点，预计近日送达。", "QueSummUttIDs": [0, 2],
                "AnsSummShortUttIDs": [3], "AnsSummLongUttIDs": [1, 3], "QASumm": "用户询问快递，客服已催促。",
                "Topic": "物流"}],
        "UserSumm": ["用户询问快递未到。"],
        "AgentSumm": ["客服已催促站点，预计近日送达。"],
        "FinalSumm": ["用户询问快递为何未到。", "客服表示已催促站点。"],
    },
    {
        "DialogueID": "10022",
        "QRole": "商家",
        "Session_id": "0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a",
        "Dialogue": [
            {"speaker": "Q", "turn": 0, "utterance": "用户 发起 转 人工"},
            {"speaker": "A", "turn": 0, "utterance": "您好 ， 请问 有 什么 可以 帮 您", "role": "客服"},
        ],
        "QA": [],
        "UserSumm": [],
        "AgentSumm": [],
        "FinalSumm": [],
    },
]


def write_json(tmp_path, data, name="val.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def fresh():
    return json.loads(json.dumps(DIALOGUES))


def test_registered_as_reader():
    assert READERS["csds"] is csds.read


def test_utterances_become_turns_and_final_summary_the_annotation(tmp_path):
    first, second = csds.read(write_json(tmp_path, DIALOGUES))
    assert (first.session_id, first.shop, first.product_id) == ("10021", "other", None)
    assert [(t.speaker, t.text, t.images) for t in first.turns] == [
        (u["speaker"], u["utterance"], []) for u in DIALOGUES[0]["Dialogue"]]
    assert first.annotations.summary == "用户询问快递为何未到。客服表示已催促站点。"
    assert second.annotations.summary == ""
    assert first.meta["csds"]["fields"] == {k: v for k, v in DIALOGUES[0].items()
                                            if k not in ("DialogueID", "Dialogue")}
    assert "utterance_fields" not in first.meta["csds"]  # turns are 0, 1, 2, ...: nothing to keep
    assert second.meta["csds"]["utterance_fields"] == [{"turn": 0}, {"turn": 0, "role": "客服"}]


def test_native_round_trip_keeps_every_utterance_summary_and_field(tmp_path):
    for original, s in zip(DIALOGUES, csds.read(write_json(tmp_path, DIALOGUES))):
        back = Session.from_dict(json.loads(dump_line(s.to_dict())))
        fields = back.meta["csds"]["fields"]
        assert back.session_id == original["DialogueID"]
        assert [t.text for t in back.turns] == [u["utterance"] for u in original["Dialogue"]]
        assert back.annotations.summary == "".join(original["FinalSumm"])
        for key in ("FinalSumm", "UserSumm", "AgentSumm", "QA", "QRole", "Session_id"):
            assert fields[key] == original[key]


def test_integer_dialogue_ids_are_kept_as_read(tmp_path):
    data = fresh()
    data[0]["DialogueID"] = 7
    [s, _] = csds.read(write_json(tmp_path, data))
    assert s.session_id == "7" and s.meta["csds"]["fields"]["DialogueID"] == 7


def test_summary_is_absent_without_final_summ(tmp_path):
    data = fresh()
    del data[0]["FinalSumm"]
    [s, _] = csds.read(write_json(tmp_path, data))
    assert s.annotations is None


@pytest.mark.parametrize("change, record, field, message", [
    (lambda d: d[1]["Dialogue"][1].update(speaker="B"), 1, "Dialogue[1].speaker", "unknown speaker 'B'"),
    (lambda d: d[0]["Dialogue"][2].update(utterance=""), 0, "Dialogue[2].utterance", "empty utterance"),
    (lambda d: d[0]["Dialogue"][0].pop("turn"), 0, "Dialogue[0].turn", "missing required field"),
    (lambda d: d[0].pop("Dialogue"), 0, "Dialogue", "missing required field"),
    (lambda d: d[1].update(Dialogue=[]), 1, "Dialogue", "no utterances"),
    (lambda d: d[0]["FinalSumm"].append(["嵌套"]), 0, "FinalSumm[2]", "expected string, got array"),
    (lambda d: d[1].update(DialogueID="10021"), 1, "DialogueID", "duplicate DialogueID '10021' (first at record 0)"),
    (lambda d: d.append("不是对象"), 2, None, "must be a JSON object"),
])
def test_bad_dialogues_name_file_record_and_field(tmp_path, change, record, field, message):
    data = fresh()
    change(data)
    path = write_json(tmp_path, data)
    with pytest.raises(DataError) as e:
        list(csds.read(path))
    assert (e.value.path, e.value.record, e.value.field) == (str(path), record, field)
    assert message in e.value.message


def test_skip_invalid_counts_bad_dialogues(tmp_path):
    data = fresh() + fresh()
    data[2]["DialogueID"], data[3]["DialogueID"] = "10023", "10024"
    data[1]["Dialogue"][0]["speaker"] = "客服"
    data[3]["FinalSumm"] = "不是列表"
    report = SkipReport()
    sessions = list(csds.read(write_json(tmp_path, data), skip_invalid=True, report=report))
    assert [s.session_id for s in sessions] == ["10021", "10023"]
    assert [(e.record, e.field) for e in report.errors] == [(1, "Dialogue[0].speaker"), (3, "FinalSumm")]
