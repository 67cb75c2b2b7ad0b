"""JDDC 2.0 training TSV and test questions: field mapping, errors that locate the problem,
--skip-invalid counting, and TSV -> native -> TSV byte identity."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mtdialog.data.formats import READERS, WRITERS, jddc20
from mtdialog.data.native import dump_line
from mtdialog.data.schema import DataError, Session, SkipReport, Turn

P1 = "3f2b9c0d4e5f60718293a4b5c6d7e8f9"
P2 = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
IMG = ["8da95ffeda173c10b90752284aaed5a7", "7fc6cac592fa81f13a97e10cd9154dfc",
       "0b1c2d3e4f5061728394a5b6c7d8e9f0", "ffeeddccbbaa99887766554433221100"]

ROWS = [
    f"S1\txjd\t{P1}\t你好，我买的洗衣机显示E3是什么问题\t0",
    f"S1\txjd\t{P1}\t#E-s57在的亲，请问有什么可以帮您？\t1",
    f"S1\txjd\t{P1}\t{IMG[0]}.jpg\t0",
    f"S1\txjd\t{P1}\t看这个|||{IMG[1]}.jpg|||还有这个\t0",
    f"S1\txjd\t{P1}\t[数字x]号之前给您安排师傅上门，详情见<url>\t1",
    f"S1\txjd\t{P1}\t用户发起转人工\t0",
    "S2\tfx\tnull\t[订单编号:xxx，订单金额:xxx]\t0",
    "S2\tfx\tnull\t亲亲***已经为您登记了|||\t1",
    f"S2\tfx\tnull\t{IMG[2]}.jpg|||\t0",
    f"S2\tfx\t{P2}\t换个商品问下|||{IMG[2]}.jpg|||{IMG[3]}.jpg\t0",
    "S2\txjd\tnull\t好的|||||||谢谢\t1",
]


def write_rows(tmp_path, rows, name="train.tsv"):
    path = tmp_path / name
    path.write_bytes(("\n".join(rows) + "\n").encode("utf-8"))
    return path


def test_registered_as_reader_and_writer():
    assert READERS["jddc20-tsv"] is jddc20.read and WRITERS["jddc20-tsv"] is jddc20.write


def test_rows_map_onto_sessions(tmp_path):
    s1, s2 = jddc20.read(write_rows(tmp_path, ROWS))
    assert (s1.session_id, s1.shop, s1.product_id) == ("S1", "xjd", P1)
    assert [(t.speaker, t.text, t.images) for t in s1.turns] == [
        ("Q", "你好，我买的洗衣机显示E3是什么问题", []),
        ("A", "#E-s57在的亲，请问有什么可以帮您？", []),
        ("Q", "", [IMG[0]]),
        ("Q", "看这个|||还有这个", [IMG[1]]),
        ("A", "[数字x]号之前给您安排师傅上门，详情见<url>", []),
        ("Q", "用户发起转人工", []),
    ]
    # text, image, text: not the default "text segments first" order, so the layout is kept
    assert s1.meta == {"jddc20": {"layouts": [[3, "TIT"]]}}
    assert s1.annotations is None
    assert (s2.shop, s2.product_id) == ("fx", None)
    assert [(t.speaker, t.text, t.images) for t in s2.turns] == [
        ("Q", "[订单编号:xxx，订单金额:xxx]", []),
        ("A", "亲亲***已经为您登记了|||", []),
        ("Q", "", [IMG[2]]),
        ("Q", "换个商品问下", [IMG[2], IMG[3]]),
        ("A", "好的|||||||谢谢", []),
    ]
    assert s2.meta == {"jddc20": {"layouts": [[2, "IT"]], "product_ids": [[3, P2]], "shops": [[4, "xjd"]]}}
    assert [e.image for e in s1.edus() if e.image] == [IMG[0], IMG[1]]


def test_round_trip_through_native_is_byte_identical(tmp_path):
    src = write_rows(tmp_path, ROWS)
    native = [dump_line(s.to_dict()) for s in jddc20.read(src)]
    back = [Session.from_dict(json.loads(line)) for line in native]
    out = tmp_path / "out.tsv"
    jddc20.write(back, out)
    assert out.read_bytes() == src.read_bytes()


def test_reader_streams_sessions_before_a_later_error(tmp_path):
    it = jddc20.read(write_rows(tmp_path, ROWS[:6] + ["S2\tfx\tnull\t\t0"]))
    assert next(it).session_id == "S1"
    with pytest.raises(DataError, match="empty text"):
        next(it)


def test_crlf_line_ends_and_blank_lines_are_accepted(tmp_path):
    path = tmp_path / "crlf.tsv"
    path.write_bytes("\r\n".join(ROWS[:2] + ["", ROWS[6]]).encode("utf-8") + b"\r\n")
    sessions = list(jddc20.read(path))
    assert [len(s.turns) for s in sessions] == [2, 1]
    assert sessions[0].turns[1].text == "#E-s57在的亲，请问有什么可以帮您？"


@pytest.mark.parametrize("bad_row, line, field, message", [
    ("S2\tfx\tnull\t亲，在吗", 8, "columns",
     "expected 5 tab-separated columns (session_id, shop, product_id, text, waiter), got 4"),
    ("S2\tfx\tnull\t在吗\tx\t1", 8, "columns", "got 6"),
    ("S2\tfx\tnull\t在吗\t2", 8, "waiter", "bad waiter flag '2'"),
    ("S2\tfx\tnull\t\t0", 8, "text", "empty text"),
    ("\tfx\tnull\t在吗\t0", 8, "session_id", "empty session id"),
    ("S1\tfx\tnull\t我又回来了\t0", 8, "session_id",
     "session 'S1' reappears after other sessions (first row at line 1)"),
])
def test_bad_rows_name_file_line_and_field(tmp_path, bad_row, line, field, message):
    path = write_rows(tmp_path, ROWS[:6] + ["S3\tfx\tnull\t你好\t0", bad_row])
    with pytest.raises(DataError) as e:
        list(jddc20.read(path))
    assert (e.value.path, e.value.line, e.value.field) == (str(path), line, field)
    assert message in e.value.message
    assert str(e.value).startswith(f"{path}:{line}: {field}: ")


def test_invalid_utf8_names_the_column(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_bytes(ROWS[0].encode() + b"\n" + "S1\txjd\tnull\t坏".encode() + b"\xff\xfe\t0\n")
    with pytest.raises(DataError) as e:
        list(jddc20.read(path))
    assert (e.value.line, e.value.field) == (2, "text")
    assert "invalid UTF-8 at byte" in e.value.message


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="file does not exist"):
        list(jddc20.read(tmp_path / "nope.tsv"))


def test_skip_invalid_skips_whole_sessions_and_counts_them(tmp_path):
    rows = ROWS + [
        "S3\txjd\tnull\t第一句没问题\t0",
        "S3\txjd\tnull\t第二句标记错了\t9",
        "S3\txjd\tnull\t第三句也跳过\t1",
        "S4\tfx\tnull\t只有四列",
        "S5\tfx\tnull\t正常会话\t0",
        "S1\txjd\tnull\t重复出现的会话\t0",
        "S1\txjd\tnull\t它的后续行一起跳过\t1",
    ]
    report = SkipReport()
    sessions = list(jddc20.read(write_rows(tmp_path, rows), skip_invalid=True, report=report))
    assert [s.session_id for s in sessions] == ["S1", "S2", "S5"]
    assert len(report) == 3
    assert [(e.line, e.field) for e in report.errors] == [(13, "waiter"), (15, "columns"), (17, "session_id")]
    assert "skipped 3 invalid record(s)" in report.summary()


def test_writer_joins_text_then_images_for_sessions_from_elsewhere(tmp_path):
    s = Session("g1", "xjd", None, [Turn("Q", "屏幕上显示这个", [IMG[0], IMG[1]]), Turn("A", "收到")])
    path = tmp_path / "g.tsv"
    jddc20.write([s], path)
    assert path.read_text(encoding="utf-8") == (
        f"g1\txjd\tnull\t屏幕上显示这个|||{IMG[0]}.jpg|||{IMG[1]}.jpg\t0\ng1\txjd\tnull\t收到\t1\n")
    assert [t.__dict__ for t in next(jddc20.read(path)).turns] == [t.__dict__ for t in s.turns]


@pytest.mark.parametrize("turn, message", [
    (Turn("Q", "看图", ["img1"]), "cannot be written unambiguously"),
    (Turn("Q", f"{IMG[0]}.jpg"), "cannot be written unambiguously"),
    (Turn("Q", "a|", [IMG[0]]), "cannot be written unambiguously"),
    (Turn("Q", "换行\n不行"), "tab or line feed"),
])
def test_writer_refuses_turns_that_would_not_read_back(tmp_path, turn, message):
    sessions = [Session("ok", "fx", None, [Turn("Q", "你好")]), Session("bad", "fx", None, [Turn("A", "好"), turn])]
    with pytest.raises(DataError) as e:
        jddc20.write(sessions, tmp_path / "o.tsv")
    assert (e.value.record, e.value.field) == (1, "turns[1].text")
    assert message in e.value.message and "session 'bad'" in e.value.message


def test_writer_refuses_a_session_written_twice(tmp_path):
    s = Session("dup", "fx", None, [Turn("Q", "你好")])
    with pytest.raises(DataError, match="written twice"):
        jddc20.write([s, s], tmp_path / "o.tsv")


def text_segments():
    image = st.sampled_from(IMG).map(lambda h: f"{h}.jpg")
    text = st.text(alphabet=st.sampled_from(list("好的|.jpg0a\r ")), max_size=6)
    return st.lists(st.one_of(image, text), min_size=1, max_size=6).map("|||".join).filter(bool)


@settings(max_examples=300, deadline=None)
@given(text_segments())
def test_any_text_column_is_restored_exactly(column):
    text, images, layout = jddc20.split_text(column)
    stored = None if layout == jddc20.default_layout(text, len(images)) else layout
    assert jddc20.join_text(Turn("Q", text, images), stored) == column


# ------------------------------------------------------------------------------- test questions
QUESTIONS = [
    {"Id": "q1", "SessionId": "S9", "Shop": "xjd", "ProductId": P1,
     "Context": ["Q:空调不制冷了#E-s57", "A:亲亲***请问是什么型号呢", f"Q:{IMG[0]}.jpg"],
     "Question": "这个怎么办"},
    {"Id": "q2", "SessionId": "S9", "Shop": "xjd", "ProductId": "null", "Context": [],
     "Question": f"还有这个|||{IMG[1]}.jpg"},
]


def write_json(tmp_path, data, name="test_questions.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_questions_become_sessions_ending_in_the_question(tmp_path):
    q1, q2 = jddc20.read_questions(write_json(tmp_path, QUESTIONS))
    assert (q1.id, q1.session_id, q1.shop, q1.product_id, q2.product_id) == ("q1", "S9", "xjd", P1, None)
    s = q1.to_session()
    assert [(t.speaker, t.text, t.images) for t in s.turns] == [
        ("Q", "空调不制冷了#E-s57", []), ("A", "亲亲***请问是什么型号呢", []), ("Q", "", [IMG[0]]),
        ("Q", "这个怎么办", [])]
    assert s.meta == {"jddc20": {"question_id": "q1"}}
    assert [(t.text, t.images) for t in q2.to_session().turns] == [("还有这个", [IMG[1]])]


@pytest.mark.parametrize("change, record, field, message", [
    (lambda d: d[1].pop("Question"), 1, "Question", "missing required field"),
    (lambda d: d[0]["Context"].append("C:我是谁"), 0, "Context[3]", "starting with 'Q:' or 'A:'"),
    (lambda d: d[1].update(Question=""), 1, "Question", "empty message"),  # a bare "A:" context line is fine
    (lambda d: d[0].update(Context="Q:你好"), 0, "Context", "expected array, got string"),
    (lambda d: d[1].update(Id="q1"), 1, "Id", "duplicate Id 'q1'"),
    (lambda d: d[1].update(ProductId=3), 1, "ProductId", "expected string or null, got integer"),
    (lambda d: d.append(["Q:你好"]), 2, None, "a question must be a JSON object, got array"),
])
def test_bad_questions_name_record_and_field(tmp_path, change, record, field, message):
    data = json.loads(json.dumps(QUESTIONS))
    change(data)
    path = write_json(tmp_path, data)
    with pytest.raises(DataError) as e:
        jddc20.read_questions(path)
    assert (e.value.path, e.value.record, e.value.field) == (str(path), record, field)
    assert message in e.value.message


def test_malformed_question_file_names_the_line(tmp_path):
    path = tmp_path / "q.json"
    path.write_text('[\n{"Id": "q1",\n "SessionId": }\n]', encoding="utf-8")
    with pytest.raises(DataError) as e:
        jddc20.read_questions(path)
    assert e.value.line == 3 and "malformed JSON" in e.value.message


def test_answers_are_written_as_utf8_id_answer_pairs(tmp_path):
    path = tmp_path / "test_answers.json"
    jddc20.write_answers([("q1", "亲亲，请您重启一下空调哦"), ("q2", "好的")], path)
    text = path.read_text(encoding="utf-8")
    assert "亲亲" in text and "\\u" not in text
    assert json.loads(text) == [{"Id": "q1", "Answer": "亲亲，请您重启一下空调哦"}, {"Id": "q2", "Answer": "好的"}]
    with pytest.raises(DataError, match="duplicate Id"):
        jddc20.write_answers([("q1", "a"), ("q1", "b")], path)
