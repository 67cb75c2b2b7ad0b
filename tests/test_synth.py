"""The embedded corpus generator: valid native output, determinism, coverage and annotation shape."""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from mtdialog.data.labels import IMAGE_CATEGORIES, JDDC21_RELATIONS
from mtdialog.data.native import Corpus
from mtdialog.data.schema import DataError
from mtdialog.data.synth import check_generated, generate_corpus
from mtdialog.data.synth.acts import ALL_ACTS
from mtdialog.data.synth.corpus import GENERATOR_VERSION
from mtdialog.data.synth.hidden import ATTRIBUTES


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "small"
    return generate_corpus(root, sessions=60, annotated=30, seed=7, workers=1, progress=False)


@pytest.fixture(scope="module")
def medium(tmp_path_factory):
    """A few hundred sessions, read once: (corpus, {split: sessions})."""
    root = generate_corpus(tmp_path_factory.mktemp("synth") / "medium", sessions=400, annotated=300, seed=1,
                           workers=2, progress=False)
    corpus = Corpus(root)
    return corpus, {split: list(corpus.sessions(split)) for split in corpus.splits}


def _all(medium):
    return [s for sessions in medium[1].values() for s in sessions]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_label_tables_cover_the_taxonomy_and_every_category():
    assert set(ALL_ACTS) == set(JDDC21_RELATIONS) and len(ALL_ACTS) == 33
    assert set(ATTRIBUTES) == set(IMAGE_CATEGORIES)
    for attribute in ATTRIBUTES.values():
        assert 4 <= len(attribute.all_values()) <= 16


def test_small_corpus_validates_in_every_split(small):
    corpus = Corpus(small)
    assert corpus.splits == ["train", "valid", "test"]
    sessions = {split: list(corpus.sessions(split)) for split in corpus.splits}
    assert {k: len(v) for k, v in sessions.items()} == {"train": 48, "valid": 6, "test": 6}
    annotated = {k: [s for s in v if s.annotations is not None] for k, v in sessions.items()}
    assert {k: len(v) for k, v in annotated.items()} == {"train": 24, "valid": 3, "test": 3}
    for split_sessions in annotated.values():
        for s in split_sessions:
            a = s.annotations
            assert a.rewrites and a.discourse and a.summary and a.image_categories
    assert corpus.meta["counts"]["image_files"] == sum(len(s.image_ids()) for v in sessions.values() for s in v)
    assert corpus.meta["generator"]["seed"] == 7


def test_same_seed_gives_byte_identical_output_whatever_the_workers(small, tmp_path):
    again = generate_corpus(tmp_path / "again", sessions=60, annotated=30, seed=7, workers=2, progress=False)
    assert _tree(again) == _tree(small)
    other = generate_corpus(tmp_path / "other", sessions=60, annotated=30, seed=8, workers=1, progress=False)
    assert _tree(other)["sessions.train.jsonl"] != _tree(small)["sessions.train.jsonl"]


def test_a_corpus_generated_otherwise_is_refused_not_reused(small, tmp_path):
    check_generated(Corpus(small), sessions=60, annotated=30, seed=7)  # the settings it was generated with
    with pytest.raises(DataError, match=r"small/meta.json: generator: .* seed 7 \(wanted 8\)"):
        check_generated(Corpus(small), sessions=60, annotated=30, seed=8)
    older = Corpus(small)
    older.meta = {**older.meta, "generator": {**older.meta["generator"], "version": "0"}}  # an earlier generator
    with pytest.raises(DataError, match=rf"version '0' \(wanted '{GENERATOR_VERSION}'\); delete the directory"):
        check_generated(older, sessions=60, annotated=30, seed=7)
    del older.meta["generator"]  # not generated here: not checked
    check_generated(older, sessions=60, annotated=30, seed=7)


def test_bad_arguments(tmp_path, small):
    with pytest.raises(DataError, match="not empty"):
        generate_corpus(small, sessions=20, annotated=5, progress=False)
    with pytest.raises(ValueError, match="at least 10"):
        generate_corpus(tmp_path / "x", sessions=5, progress=False)
    with pytest.raises(ValueError, match="annotated"):
        generate_corpus(tmp_path / "y", sessions=20, annotated=30, progress=False)


def test_both_shops_every_category_and_the_kb(medium):
    corpus, _ = medium
    sessions = _all(medium)
    assert Counter(s.shop for s in sessions).keys() == {"xjd", "fx"}
    categories = Counter(m["category"] for s in sessions for m in s.meta["images"].values())
    assert set(categories) == set(IMAGE_CATEGORIES)
    kb = corpus.kb()
    assert len(kb) >= 400 and {e.category for e in kb.values()} >= {"洗衣机", "冰箱", "外套", "连衣裙"}
    assert all(s.product_id is None or s.product_id in kb for s in sessions)
    assert 0.5 < sum(s.product_id is not None for s in sessions) / len(sessions) < 0.95


def test_agents_quote_the_kb(medium):
    corpus, _ = medium
    kb = corpus.kb()
    quoted = 0
    spec_sessions = [s for s in _all(medium) if "spec_question" in s.meta["scenes"]]
    assert spec_sessions
    for s in spec_sessions:
        values = {v for _, _, v in kb[s.product_id].triples}
        agent = " ".join(t.text for t in s.turns if t.speaker == "A")
        quoted += any(v in agent for v in values)
    assert quoted == len(spec_sessions)


def test_the_real_logs_noise_occurs(medium):
    text = "\n".join(t.text for s in _all(medium) for t in s.turns)
    for token in ("#E-s", "***", "<url>", "用户发起转人工", "|||", "[订单编号:***，订单金额:***"):
        assert token in text, token


def test_turn_counts_have_a_long_tail(medium):
    lengths = [len(s.turns) for s in _all(medium)]
    assert 11 <= statistics.mean(lengths) <= 18
    assert max(lengths) >= 30 and min(lengths) <= 8
    images = [len(s.image_ids()) for s in _all(medium)]
    assert 1.0 <= statistics.mean(images) and max(images) >= 3


def test_rewrites_summaries_and_image_categories(medium):
    annotated = [s for s in _all(medium) if s.annotations is not None]
    rewrites = [r for s in annotated for r in s.annotations.rewrites]
    not_rewritable = sum(not r.rewritable for r in rewrites) / len(rewrites)
    assert 0.09 <= not_rewritable <= 0.2
    for s in annotated:
        for r in s.annotations.rewrites:
            assert s.turns[r.turn].speaker == "Q"
            assert bool(r.text) == r.rewritable
            assert "|||" not in r.text and "#E-" not in r.text
        assert s.annotations.image_categories == {i: s.meta["images"][i]["category"] for i in s.image_ids()}
    lengths = [len(s.annotations.summary) for s in annotated]
    assert 32 <= statistics.mean(lengths) <= 45
    assert sum(30 <= n <= 50 for n in lengths) / len(lengths) >= 0.95


def test_image_only_turns_are_rewritten_with_what_the_image_shows(medium):
    checked = 0
    for s in _all(medium):
        if s.annotations is None:
            continue
        for r in s.annotations.rewrites:
            turn = s.turns[r.turn]
            if not turn.text and turn.images:
                meta = s.meta["images"][turn.images[0]]
                if meta["attribute"] in ("error_code", "logistics_state", "damage"):
                    assert meta["value"] in r.text
                    checked += 1
    assert checked >= 5


def test_discourse_relations_are_a_dependency_tree_over_the_edus(medium):
    annotated = [s for s in _all(medium) if s.annotations is not None]
    labels = Counter()
    for s in annotated:
        edus = s.edus()
        heads = Counter(r.y for r in s.annotations.discourse)
        assert all(n == 1 for n in heads.values())  # at most one head per EDU
        assert set(heads) == set(range(1, len(edus)))  # every EDU but the first is attached
        for r in s.annotations.discourse:
            assert 0 <= r.x < r.y < len(edus)
            labels[r.type] += 1
            if edus[r.y].image is not None:
                assert edus[r.x].turn == edus[r.y].turn or r.x == r.y - 1 or edus[r.x].speaker == "A"
    total = sum(labels.values())
    assert len(labels) >= 30
    assert labels.most_common(1)[0][1] / total < 0.2  # no leaf dominates
    top = Counter(label.split("/")[0] for label in labels.elements())
    assert top["Question&Answer"] / total > 0.25 and top["Contingency"] / total > 0.15


def test_image_files_exist_for_every_image(medium):
    corpus, _ = medium
    for s in _all(medium):
        for image_id in s.image_ids():
            meta = s.meta["images"][image_id]
            assert meta["value"] in ATTRIBUTES[meta["category"]].all_values()
            path = corpus.image_path(image_id)
            assert path is not None and path.suffix == ".png"
    with Image.open(path) as im:
        assert 128 <= max(im.size) <= 224
