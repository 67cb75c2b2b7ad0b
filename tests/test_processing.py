"""The processor: session -> model inputs (token layout, EDU spans, long-session policies, collation)."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from transformers import BertConfig

from mtdialog.data.native import KBEntry
from mtdialog.data.schema import Annotations, DataError, Session, Turn
from mtdialog.models.configuration import MTDialogConfig
from mtdialog.models.processing import MTDialogProcessor, TaskDataset, collate, owner_window, plan_windows
from mtdialog.models.tokenization import build_char_tokenizer, corpus_texts, special_token_ids
from mtdialog.tasks import get_task
from mtdialog.tasks.image_category import ImageCategoryExample
from mtdialog.tasks.rewritable import RewriteExample

KB = {"p1": KBEntry("p1", "洗衣机", [("洗衣机", "品牌", "海川"), ("洗衣机", "容量", "10公斤"),
                                     ("洗衣机", "颜色", "白色")])}
LABELS = ["Question&Answer/Question/Yes-No", "Communication/Social/Social"]


def long_session(n_turns: int = 12) -> Session:
    """Alternating customer/agent turns with texts ``第i句话...`` and an image on every third turn."""
    turns = [{"speaker": "QA"[i % 2], "text": f"第{i}句话说明问题", "images": [f"im{i}"] if i % 3 == 1 else []}
             for i in range(n_turns)]
    n_edus = sum(1 + len(t["images"]) for t in turns)
    relations = [{"x": y - 1, "y": y, "type": LABELS[y % 2]} for y in range(1, n_edus, 2)]
    return Session.from_dict({"session_id": "long", "shop": "xjd", "product_id": "p1", "turns": turns,
                              "annotations": {"discourse": {"relations": relations}, "summary": "总结"}},
                             relation_labels=LABELS)


def make_processor(max_source_length: int = 512, **overrides) -> MTDialogProcessor:
    """A processor of ``max_source_length`` windows whose turn cap is what a window holds beside a full KB."""
    kb = min(overrides.get("max_kb_tokens", 48), max_source_length // 2 - 3)
    overrides.setdefault("max_turn_tokens", min(96, max_source_length - (kb + 3 if kb > 0 else 2) - 1))
    tokenizer = build_char_tokenizer(corpus_texts([long_session(40)], KB))
    config = MTDialogConfig(text_encoder=BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1,
                                                    num_attention_heads=2, intermediate_size=32),
                            text_only=True, special_token_ids=special_token_ids(tokenizer),
                            relation_labels=LABELS, max_source_length=max_source_length, **overrides)
    return MTDialogProcessor(tokenizer, config, kb=KB)


def span_text(processor: MTDialogProcessor, memory_tokens: list[int], span) -> str:
    return processor.tokenizer.decode(memory_tokens[span[0]:span[1]])


def memory_tokens(item: dict) -> list[int]:
    rows = item["rows"]
    return rows[0] if item["memory"] is None else [rows[r][p] for r, p in item["memory"]]


def test_layout_kb_prefix_speakers_and_edu_spans():
    processor = make_processor()
    session = long_session(4)
    item = processor.encode("discourse", next(get_task("discourse").all_examples([session])))
    tokens = memory_tokens(item)
    text = processor.tokenizer.decode(tokens)
    assert text.startswith("[CLS][KB]洗衣机；品牌:海川；容量:10公斤；颜色:白色[SEP][Q]第0句话说明问题[A]第1句话说明问题[IMG][Q]")
    edus = session.edus()
    assert len(item["edu_spans"]) == len(edus)
    for edu, span in zip(edus, item["edu_spans"]):
        assert span_text(processor, tokens, span) == (edu.text if edu.image is None else "[IMG]")
    assert item["edu_speakers"] == [0 if e.speaker == "Q" else 1 for e in edus]


def test_text_caps_and_typed_special_tokens_stay_characters():
    processor = make_processor(max_turn_tokens=4)
    session = Session.from_dict({"session_id": "s", "shop": "fx", "product_id": None, "turns": [
        {"speaker": "Q", "text": "[IMG]你好啊啊啊", "images": []}]})
    row = processor.segments(session, session.turns)[0].ids
    assert len(row) == 1 + 4 and processor.image not in row


def test_kept_token_ids_are_the_tokenizers_also_when_the_store_starts_again(monkeypatch):
    from mtdialog.models import processing

    monkeypatch.setattr(processing, "TOKENIZED_KEPT", 3)
    processor = make_processor()
    texts = ["你好", "客服", "退货", "好的", "你好", "换货"]
    fresh = make_processor().tokenizer(texts, add_special_tokens=False)["input_ids"]
    for start in range(len(texts) - 1):  # overlapping calls: some texts kept, some new, the store full
        assert processor.tokenize(texts[start:start + 2]) == fresh[start:start + 2]
    assert processor.tokenize(texts) == fresh


def test_recent_context_cuts_the_kb_before_dropping_turns():
    processor = make_processor()
    session = long_session(12)
    examples = list(get_task("response").all_examples([session]))
    full = processor.encode("response", examples[-1], with_targets=False)["rows"][0]
    kb_len = full.index(processor.sep) - 2
    # A budget short by less than the KB: the KB shrinks, every turn stays.
    tight = make_processor(max_source_length=len(full) - kb_len + 3)
    row = tight.encode("response", examples[-1], with_targets=False)["rows"][0]
    assert row.index(tight.sep) - 2 == 3 and len(row) == len(full) - kb_len + 3
    assert tight.tokenizer.decode(row).endswith(tight.tokenizer.decode(full[full.index(processor.sep) + 1:]))
    # A shorter budget: no KB, whole turns dropped from the left, the last turn kept whole.
    short = make_processor(max_source_length=40)
    item = short.encode("response", examples[-1], with_targets=False)
    row = item["rows"][0]
    assert len(row) <= 40 and row[:2] == [short.cls, short.sep]
    text = short.tokenizer.decode(row[2:])
    last = examples[-1].turn - 1
    assert text.startswith(("[Q]", "[A]"))
    assert text.endswith(f"第{last}句话说明问题" + ("[IMG]" if last % 3 == 1 else ""))
    assert "第0句话" not in text


def test_rewritable_and_image_spans_point_at_the_judged_turn_and_image():
    processor = make_processor(max_source_length=48)
    session = long_session(12)
    item = processor.encode("rewritable", RewriteExample(session, 10, True, ""))
    start, end = item["span"]
    assert processor.tokenizer.decode(item["rows"][0][start:end]) == "[Q]第10句话说明问题[IMG]"
    assert item["label"] == 1 and end == len(item["rows"][0])
    item = processor.encode("image_category", ImageCategoryExample(session, 10, "im10", "photo_malfunction"),
                          with_targets=False)
    assert item["rows"][0][item["span"][0]:item["span"][1]] == [processor.image]


def test_windows_cover_every_edu_once_with_overlap():
    processor = make_processor(max_source_length=64, window_overlap_turns=1)
    session = long_session(20)
    item = processor.encode("discourse", next(get_task("discourse").all_examples([session])))
    assert len(item["rows"]) > 2 and all(len(r) <= 64 for r in item["rows"])
    tokens = memory_tokens(item)
    assert len(set(item["memory"])) == len(item["memory"])
    edus = session.edus()
    assert [span_text(processor, tokens, s) for s in item["edu_spans"]] == \
        [e.text if e.image is None else "[IMG]" for e in edus]
    # The memory is the prefix and every turn exactly once, in order.
    expected = processor.prefix(processor.kb_ids(session)) + [i for seg in processor.segments(session, session.turns) for i in seg.ids]
    assert tokens == expected
    summary = processor.encode("summary", next(get_task("summary").all_examples([session])))
    assert summary["memory"] == item["memory"] and summary["target"] == processor.tokenize(["总结"])[0]


@pytest.mark.parametrize("lengths, budget, overlap", [([5] * 10, 12, 1), ([3, 9, 1, 1, 8, 2, 7], 10, 2),
                                                      ([4] * 3, 100, 2), ([10, 10, 10], 10, 3)])
def test_window_plan_covers_all_turns_within_budget(lengths, budget, overlap):
    windows = plan_windows(lengths, budget, overlap)
    assert windows[0][0] == 0 and windows[-1][1] == len(lengths)
    for (s1, e1), (s2, _) in pairwise(windows):
        assert s1 < s2 <= e1 and e1 - s2 <= overlap
    assert all(sum(lengths[s:e]) <= budget for s, e in windows)
    owners = [owner_window(t, windows, len(lengths)) for t in range(len(lengths))]
    assert all(windows[w][0] <= t < windows[w][1] for t, w in enumerate(owners))


def test_owner_window_prefers_the_window_with_context_on_both_sides():
    windows = [(0, 5), (3, 8)]
    assert owner_window(3, windows, 8) == 0  # 1 turn after it in window 0, none before it in window 1
    assert owner_window(4, windows, 8) == 1  # last of window 0; one turn before it in window 1
    assert owner_window(0, windows, 8) == 0 and owner_window(7, windows, 8) == 1


def test_collate_builds_memory_index_and_discourse_labels():
    processor = make_processor(max_source_length=64)
    sessions = [long_session(20), long_session(5)]
    dataset = TaskDataset("discourse", processor, sessions=sessions)
    items = [dataset[0], dataset[1]]
    batch = collate(items)
    assert batch["task"] == "discourse" and batch["input_ids"].shape[0] == sum(len(i["rows"]) for i in items)
    for b, item in enumerate(items):
        m = len(item["memory"])
        gathered = batch["input_ids"].flatten()[batch["memory_index"][b, :m]]
        assert gathered.tolist() == memory_tokens(item)
        assert batch["memory_mask"][b].sum() == m
    edus = len(sessions[1].edus())
    assert batch["edu_mask"][1].sum() == edus and batch["edu_mask"][0].sum() == len(sessions[0].edus())
    links, relations = batch["link_labels"][1], batch["relation_labels"][1]
    for y in range(edus):
        gold = [r for r in sessions[1].annotations.discourse if r.y == y]
        if gold:
            assert links[y, gold[0].x + 1] == 1 and relations[y, gold[0].x + 1] == LABELS.index(gold[0].type)
        else:
            assert links[y, 0] == 1 and (relations[y] == -100).all()


def test_collate_generation_targets_and_rejects_mixed_tasks():
    processor = make_processor()
    session = long_session(6)
    response = TaskDataset("response", processor, sessions=[session])
    batch = collate([response[0], response[1]])
    prompt, eos = processor.config.token_id("[RESP]"), processor.eos
    assert (batch["decoder_input_ids"][:, 0] == prompt).all()
    target = processor.tokenize([response.example(0).target])[0]
    assert batch["labels"][0, : len(target) + 1].tolist() == target + [eos]
    assert batch["decoder_input_ids"][0, 1: len(target) + 1].tolist() == target
    summary = TaskDataset("summary", processor, sessions=[session])
    with pytest.raises(ValueError, match="mixes tasks"):
        collate([response[0], summary[0]])


def test_unknown_labels_are_data_errors():
    processor = make_processor()
    session = long_session(4)
    session.annotations.discourse[0].type = "Made/Up/Label"
    with pytest.raises(DataError, match="Made/Up/Label") as e:
        processor.encode("discourse", next(get_task("discourse").all_examples([session])))
    assert "long" in str(e.value)


def test_a_turn_too_long_for_a_window_keeps_the_start_of_its_text_and_is_counted():
    processor = make_processor(max_source_length=24)  # a turn of 11 tokens, one more with its image
    text = "说" * 30 + "明" * 5000  # a 5,000-character turn is cut before it is tokenized
    session = Session.from_dict({"session_id": "long", "shop": "xjd", "product_id": "p1", "turns": [
        {"speaker": "Q", "text": "问题", "images": []}, {"speaker": "A", "text": text, "images": ["a"]}],
        "annotations": {"summary": "x"}})
    item = processor.encode("summary", next(get_task("summary").all_examples([session])))
    assert all(len(row) <= 24 for row in item["rows"])
    decoded = processor.tokenizer.decode(memory_tokens(item))
    assert re.search(r"\[A\]说+\[IMG\]$", decoded) and "明" not in decoded  # the start of the text is kept
    assert decoded.startswith("[CLS][KB]")  # the knowledge base is cut to half a window, not dropped
    assert decoded.startswith("[CLS][KB]洗衣机；品") and len(decoded.split("[SEP]")[0]) <= 12 - 1 + 8
    assert processor.truncated_turns == {("long", 1)}
    response = processor.encode("response", get_task("response").session_examples(session, {})[0], with_targets=False)
    assert response["rows"][0][-1] != processor.image  # the context ends before the agent's turn


def test_sizes_beyond_the_limits_are_data_errors():
    processor = make_processor(max_source_length=16)
    session = Session.from_dict({"session_id": "big", "shop": "fx", "product_id": None, "turns": [
        {"speaker": "Q", "text": "你好", "images": [f"i{k}" for k in range(20)]}], "annotations": {"summary": "x"}})
    with pytest.raises(DataError, match=r"big.turns\[0\].images: turn 0 has 20 images"):
        processor.encode("summary", next(get_task("summary").all_examples([session])))
    record = {"session_id": "many", "shop": "fx", "product_id": None,
              "turns": [{"speaker": "QA"[i % 2], "text": "好", "images": []} for i in range(501)]}
    with pytest.raises(DataError, match="^turns: 501 turns, more than the 500 a session may have"):
        Session.from_dict(record)  # the reader's check (it adds file and line)
    many = Session("many", "fx", None, [Turn(**t) for t in record["turns"]], Annotations(summary="x"))
    with pytest.raises(DataError, match="many.turns: 501 turns, more than the 500 a session may have"):
        processor.encode("summary", next(get_task("summary").all_examples([many])))  # a session made in Python
