"""Non-neural baselines on hand-made sessions with hand-checked outputs."""

import pytest

from mtdialog.baselines.classify import Majority
from mtdialog.baselines.discourse import PreviousEDU
from mtdialog.baselines.registry import baselines, resolve
from mtdialog.baselines.retrieval import CopyQuery, NearestQuery, QueryRetrieval, query_text
from mtdialog.baselines.summary import Lead, LexRank, dialogue_text
from mtdialog.data.schema import DataError, Session, Turn
from mtdialog.tasks import get_task


def make(turns, sid="s", **annotations):
    """A session from ``(speaker, text, images)`` triples and native annotation fields."""
    record = {"session_id": sid, "shop": "xjd", "product_id": None,
              "turns": [{"speaker": s, "text": t, "images": list(i)} for s, t, i in turns]}
    if annotations:
        record["annotations"] = annotations
    return Session.from_dict(record)


def summarized(summary, *texts):
    return make([("Q" if i % 2 == 0 else "A", t, []) for i, t in enumerate(texts)], summary=summary)


# ------------------------------------------------------------------------------------------ summary
def test_lead_takes_mean_summary_length_of_train_from_the_concatenated_turns():
    train = [summarized("退货退款", "你好"), summarized("用户要退货", "在吗")]  # 4 and 5 chars -> 4.5 -> 4
    lead = Lead.fit(get_task("summary"), train)
    assert lead.budget == round(4.5)
    test = make([("Q", "#E-s57在吗", []), ("Q", "", ["img1"]), ("A", "亲亲您好", [])], summary="x")
    assert dialogue_text(test) == "#E-s57在吗亲亲您好"
    assert lead.predict(list(get_task("summary").all_examples([test]))) == ["#E-s57在吗"[: lead.budget]]


def test_lexrank_picks_the_central_utterance_and_keeps_dialogue_order():
    texts = ["手机屏幕", "屏幕碎了", "碎了的手机屏幕怎么办", "谢谢"]
    train = [summarized("手机屏幕碎了怎么办", *texts)]
    model = LexRank.fit(get_task("summary"), train)
    scores = model.centrality(texts)
    assert scores.argmax() == 2  # shares n-grams with both other screen utterances
    assert scores.argmin() == 3  # isolated
    assert model.budget == len("手机屏幕碎了怎么办")
    (example,) = get_task("summary").all_examples(train)
    # budget 9: the central utterance (10 chars) is cut to 9
    assert model.predict([example]) == ["碎了的手机屏幕怎么"]
    wider = LexRank(14, model.vectorizer)
    # the central utterance (10 chars) and the next most central one (4) fill 14, in dialogue order
    assert wider.summarize(example.session) == "手机屏幕" + "碎了的手机屏幕怎么办"


def test_lexrank_on_a_session_without_text_is_empty():
    model = LexRank.fit(get_task("summary"), [summarized("退货", "我要退货")])
    assert model.summarize(make([("Q", "", ["i1"])])) == ""


# ---------------------------------------------------------------------------------------- discourse
def discourse_session(relations, sid="d"):
    turns = [("Q", "屏幕坏了", ["i1"]), ("A", "亲，请问是哪里坏了", []), ("Q", "这里", [])]
    return make(turns, sid, discourse={"relations": [{"x": x, "y": y, "type": t} for x, y, t in relations]})


def test_previous_edu_chains_every_edu_to_the_one_before_with_the_most_frequent_train_relation():
    a, b = "Question&Answer/Question/SWIH", "Contingency/Contingency/Elaboration"
    train = [discourse_session([(0, 1, b), (1, 2, a), (2, 3, a)]), discourse_session([(0, 2, a)])]
    model = PreviousEDU.fit(get_task("discourse"), train)
    assert model.relation == a
    test = discourse_session([])
    (pred,) = model.predict(list(get_task("discourse").all_examples([test])))
    assert [(r.x, r.y, r.type) for r in pred] == [(0, 1, a), (1, 2, a), (2, 3, a)]  # 4 EDUs, EDU 0 is root
    assert PreviousEDU.fit(get_task("discourse"), [discourse_session([(0, 1, b), (1, 2, a)])]).relation == b  # tie: first seen


def test_fitting_without_annotations_is_a_data_error_naming_the_field():
    with pytest.raises(DataError, match="no discourse examples") as e:
        PreviousEDU.fit(get_task("discourse"), [make([("Q", "在吗", [])])])
    assert e.value.field == "annotations.discourse"
    with pytest.raises(DataError, match="no relations"):
        PreviousEDU.fit(get_task("discourse"), [discourse_session([])])


# ---------------------------------------------------------------------------------------- retrieval
def test_query_text_is_the_last_customer_text_of_the_last_customer_run():
    q = lambda t, *i: Turn("Q", t, list(i))
    a = lambda t: Turn("A", t)
    assert query_text([q("在吗"), a("在的"), q("多少钱")]) == "多少钱"
    assert query_text([q("多少钱"), a("您好"), a("99元")]) == "多少钱"  # agent turns after the query
    assert query_text([q("这个坏了"), q("", "img")]) == "这个坏了"  # image-only: text of the same run
    assert query_text([q("在吗"), a("在的"), q("", "img")]) == ""  # no text in the run
    assert query_text([a("您好")]) == ""


def test_nearest_query_answers_with_the_most_frequent_target_of_the_nearest_query():
    index = NearestQuery(["这个多少钱", "什么时候发货", "这个多少钱", "这个多少钱", "退货"],
                         ["99元", "今天发货", "100元", "99元", "可以退"])
    assert index.queries == ["这个多少钱", "什么时候发货", "退货"]
    assert index.lookup(["这件衣服多少钱呀", "什么时候能发货", "退货"]) == ["99元", "今天发货", "可以退"]
    assert index.nearest(["", "火星文"]) == [-1, -1]  # no shared n-gram
    assert index.lookup(["火星文"]) == ["99元"]  # fallback: most frequent target overall
    tie = NearestQuery(["多少", "少钱"], ["a", "b"])
    assert tie.lookup(["少"]) == ["a"]  # equal cosine: first seen


def test_response_retrieval_over_sessions_and_the_empty_query():
    train = [make([("Q", "什么时候发货", []), ("A", "今天发货", [])], "t1"),
             make([("Q", "", ["img"]), ("A", "亲，图片收到了", [])], "t2"),
             make([("Q", "多少钱", []), ("A", "99元", [])], "t3")]
    model = QueryRetrieval.fit(get_task("response"), train)
    test = [make([("Q", "哪天发货呢", []), ("A", "明天", [])], "e1"),
            make([("Q", "在吗", []), ("A", "在", []), ("Q", "", ["x"]), ("A", "收到", [])], "e2")]
    examples = list(get_task("response").all_examples(test))
    assert [e.turn for e in examples] == [1, 1, 3]
    # nearest query; "在吗" shares no n-gram (fallback: most frequent response, ties first seen);
    # the empty query of an image-only run matches the empty train query exactly
    assert model.predict(examples) == ["今天发货", "今天发货", "亲，图片收到了"]


def rewrite_session(sid, query, rewrite, rewritable=True, images=()):
    return make([("Q", query, images), ("A", "好的", [])], sid,
                rewrites=[{"turn": 0, "rewritable": rewritable, "text": rewrite}])


def test_copy_query_and_rewrite_retrieval():
    train = [rewrite_session("a", "这个颜色有吗", "这件红色外套有黑色吗"),
             rewrite_session("b", "坏了", "冰箱不制冷了"),
             rewrite_session("c", "你好", "", rewritable=False)]
    test = [rewrite_session("t1", "这个颜色还有吗", "x"), rewrite_session("t2", "", "y", images=["i"])]
    examples = list(get_task("rewrite").all_examples(test))
    assert CopyQuery.fit(get_task("rewrite"), train).predict(examples) == ["这个颜色还有吗", ""]
    model = QueryRetrieval.fit(get_task("rewrite"), train)
    assert model.index.queries == ["这个颜色有吗", "坏了"]  # only rewritable queries
    assert model.predict(examples) == ["这件红色外套有黑色吗", "这件红色外套有黑色吗"]


# ------------------------------------------------------------------------------------------ majority
def test_majority_class_of_train():
    train = [rewrite_session("a", "q", "r", True), rewrite_session("b", "q", "", False),
             rewrite_session("c", "q", "", False)]
    model = Majority.fit(get_task("rewritable"), train)
    assert model.label is False
    assert model.predict([object()] * 3) == [False] * 3
    images = make([("Q", "看", ["i1", "i2"]), ("Q", "还有", ["i3"])], image_categories={
        "i1": "photo_malfunction", "i2": "screenshot_product", "i3": "screenshot_product"})
    assert Majority.fit(get_task("image_category"), [images]).label == "screenshot_product"
    tie = make([("Q", "看", ["i1", "i2"])], image_categories={"i1": "photo_malfunction",
                                                              "i2": "screenshot_product"})
    assert Majority.fit(get_task("image_category"), [tie]).label == "photo_malfunction"


# ------------------------------------------------------------------------------------------- names
def test_names_resolve_by_full_name_or_unique_method():
    known = baselines()
    assert resolve("lead") == known["summary-lead"]
    assert resolve("image-category-majority") == resolve("image_category-majority") == known["image_category-majority"]
    with pytest.raises(ValueError, match="ambiguous"):
        resolve("retrieval")
    with pytest.raises(ValueError, match="unknown baseline"):
        resolve("bert")
    assert [spec.name for spec in known.values()] == [
        "response-retrieval", "rewritable-majority", "rewrite-copy-query", "rewrite-retrieval",
        "discourse-previous-edu", "summary-lead", "summary-lexrank", "image_category-majority"]
