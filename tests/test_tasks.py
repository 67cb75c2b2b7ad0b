"""Task example enumeration: which turns are examples of which task."""

from mtdialog.data.schema import Session
from mtdialog.data.tasks import task_examples


def session():
    return Session.from_dict({
        "session_id": "s", "shop": "fx", "product_id": None,
        "turns": [
            {"speaker": "A", "text": "您好", "images": []},
            {"speaker": "Q", "text": "这个有色差", "images": ["i1"]},
            {"speaker": "A", "text": "亲，请问是哪个颜色", "images": []},
            {"speaker": "Q", "text": "那个", "images": []},
            {"speaker": "A", "text": "", "images": ["i2"]},
            {"speaker": "A", "text": "好的", "images": []},
        ],
        "annotations": {
            "rewrites": [{"turn": 3, "rewritable": False, "text": ""},
                         {"turn": 1, "rewritable": True, "text": "这件红色外套有色差"}],
            "discourse": {"relations": [{"x": 1, "y": 3, "type": "a"}, {"x": 0, "y": 1, "type": "b"}]},
            "summary": "用户反馈色差。",
            "image_categories": {"i1": "photo_damaged_appearance"},
        },
    })


def test_response_examples_skip_greeting_before_any_query_and_image_only_turns():
    ex = list(task_examples("response", [session()]))
    assert [(e.turn, e.target) for e in ex] == [(2, "亲，请问是哪个颜色"), (5, "好的")]
    assert len(ex[0].context) == 2


def test_rewrite_examples_in_turn_order_and_rewritable_filter():
    assert [e.turn for e in task_examples("rewritable", [session()])] == [1, 3]
    rw = list(task_examples("rewrite", [session()]))
    assert [(e.turn, e.target) for e in rw] == [(1, "这件红色外套有色差")]
    assert rw[0].context[-1].text == "这个有色差"


def test_discourse_summary_and_image_examples():
    (d,) = task_examples("discourse", [session()])
    assert [(r.x, r.y) for r in d.relations] == [(0, 1), (1, 3)]
    assert len(d.edus) == 7  # 5 texts + 2 images
    (s,) = task_examples("summary", [session()])
    assert s.target == "用户反馈色差。"
    (im,) = task_examples("image_category", [session()])
    assert (im.turn, im.image, im.target) == (1, "i1", "photo_damaged_appearance")
