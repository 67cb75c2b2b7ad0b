"""Character tokenizer: round trip, noise codes, special tokens (the tasks' prompts among them),
save/load; pretrained tokenizers."""

from __future__ import annotations

from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from mtdialog.data.native import KBEntry
from mtdialog.data.schema import Session
from mtdialog.models.tokenization import (
    ROLE_TOKENS,
    add_dialogue_tokens,
    build_char_tokenizer,
    corpus_texts,
    dialogue_tokens,
    kb_text,
    load_tokenizer,
    special_token_ids,
)

DIALOGUE_TOKENS = dialogue_tokens()  # the layout tokens and the built-in tasks' prompts
SPECIAL_TOKENS = tuple(ROLE_TOKENS.values()) + DIALOGUE_TOKENS

TEXTS = ["您好#E-s57，有什么可以帮您？", "订单***已发货 <url>", "用户发起转人工|||好的 OK", "第二行\n换行"]


def encode(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False, split_special_tokens=True)["input_ids"]


def test_round_trip_keeps_every_character_including_noise_and_whitespace():
    tokenizer = build_char_tokenizer(TEXTS)
    for text in TEXTS:
        ids = encode(tokenizer, text)
        assert len(ids) == len(text)  # one token per character: #E-s57 is six tokens
        assert tokenizer.unk_token_id not in ids
        assert tokenizer.decode(ids) == text


def test_special_tokens_come_first_and_are_skipped_when_decoding():
    tokenizer = build_char_tokenizer(TEXTS)
    assert tokenizer.convert_ids_to_tokens(list(range(len(SPECIAL_TOKENS)))) == list(SPECIAL_TOKENS)
    assert tokenizer.pad_token_id == 0 and tokenizer.eos_token == "[EOS]" and tokenizer.cls_token == "[CLS]"
    ids = special_token_ids(tokenizer)
    assert set(ids) == set(DIALOGUE_TOKENS)
    text = "好的"
    assert tokenizer.decode([ids["[RESP]"]] + encode(tokenizer, text) + [tokenizer.eos_token_id],
                            skip_special_tokens=True) == text


def test_typed_special_token_text_is_characters_and_unknown_characters_are_unk():
    tokenizer = build_char_tokenizer(TEXTS + ["[IMG]"])
    ids = encode(tokenizer, "[IMG]")
    assert len(ids) == 5 and special_token_ids(tokenizer)["[IMG]"] not in ids
    assert encode(tokenizer, "龘") == [tokenizer.unk_token_id]


def test_min_frequency_and_max_vocab():
    texts = ["甲甲乙", "甲丙"]
    assert len(build_char_tokenizer(texts)) == len(SPECIAL_TOKENS) + 3
    rare_dropped = build_char_tokenizer(texts, min_frequency=2)
    assert len(rare_dropped) == len(SPECIAL_TOKENS) + 1
    assert encode(rare_dropped, "乙") == [rare_dropped.unk_token_id]
    assert len(build_char_tokenizer(texts, max_vocab=len(SPECIAL_TOKENS) + 1)) == len(SPECIAL_TOKENS) + 1


def test_save_and_load_give_the_same_tokenizer(tmp_path):
    tokenizer = build_char_tokenizer(TEXTS)
    tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    assert loaded.get_vocab() == tokenizer.get_vocab()
    assert special_token_ids(loaded) == special_token_ids(tokenizer)
    for text in TEXTS:
        assert encode(loaded, text) == encode(tokenizer, text)
        assert loaded.decode(encode(loaded, text)) == text


def test_pretrained_tokenizer_gets_roles_and_dialogue_tokens(tmp_path):
    vocab = {"<unk>": 0, "hello": 1, "world": 2}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>").save_pretrained(tmp_path)
    tokenizer = load_tokenizer(str(tmp_path))
    assert tokenizer.unk_token == "<unk>"  # existing roles are kept
    assert tokenizer.pad_token == "[PAD]" and tokenizer.eos_token == "[EOS]"
    ids = special_token_ids(tokenizer)
    assert min(ids.values()) >= 3 and len(tokenizer) == 3 + 5 + len(DIALOGUE_TOKENS)
    assert add_dialogue_tokens(tokenizer) == 0  # idempotent
    assert encode(tokenizer, "hello [Q] world") == [1, 0, 0, 0, 2]  # a typed [Q] is "[", "Q", "]", not a speaker


def test_corpus_texts_cover_turns_targets_and_the_kb():
    session = Session.from_dict({
        "session_id": "s", "shop": "fx", "product_id": "p", "turns": [
            {"speaker": "Q", "text": "问", "images": ["i"]}, {"speaker": "A", "text": "", "images": ["j"]}],
        "annotations": {"rewrites": [{"turn": 0, "rewritable": True, "text": "改写"}], "summary": "摘要"}})
    kb = {"p": KBEntry("p", "外套", [("外套", "颜色", "红色")])}
    assert list(corpus_texts([session], kb)) == ["问", "改写", "摘要", "外套；颜色:红色"]
    assert kb_text(kb["p"]) == "外套；颜色:红色"


def test_a_new_generation_task_brings_its_prompt_token():
    assert DIALOGUE_TOKENS == ("[IMG]", "[Q]", "[A]", "[KB]", "[RESP]", "[REWRITE]", "[SUMM]")
    tokenizer = build_char_tokenizer(TEXTS, prompts=["[RESP]", "[SCENE]"])
    ids = special_token_ids(tokenizer, ["[RESP]", "[SCENE]"])
    assert set(ids) == {"[IMG]", "[Q]", "[A]", "[KB]", "[RESP]", "[SCENE]"}
    assert encode(tokenizer, "[SCENE]") != [ids["[SCENE]"]]  # typed text stays characters
