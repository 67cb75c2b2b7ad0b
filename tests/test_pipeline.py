"""Inference on sessions: every task's answer, Task.examples order, checkpoint round trip, learning."""

from __future__ import annotations

import pytest
import torch
from tiny_model import build, make_batch, session_record, write_corpus

from mtdialog.data.images import image_loader
from mtdialog.data.schema import DataError, Relation, Session
from mtdialog.pipeline import DialoguePipeline, SessionPrediction
from mtdialog.tasks import BUILTIN_TASKS as TASKS
from mtdialog.tasks import get_task
from mtdialog.tasks.response import last_query


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def pipeline(corpus):
    model, tokenizer = build(corpus)
    return DialoguePipeline(model, tokenizer, corpus.images_dir, kb=corpus.kb(), num_beams=2)


def test_a_session_without_annotations_gets_every_answer(pipeline, corpus):
    session = Session.from_dict(session_record(1, annotated=False))
    prediction = pipeline(session)
    assert isinstance(prediction, SessionPrediction) and prediction.session_id == "s1"
    assert isinstance(prediction.response, str)
    assert [r.turn for r in prediction.rewrites] == [1, 3]
    for r in prediction.rewrites:
        assert 0 <= r.probability <= 1 and r.rewritable == (r.probability > 0.5)
        assert r.text == "" or r.rewritable
    edus = session.edus()
    heads = [r.y for r in prediction.discourse]
    assert len(heads) == len(set(heads)) and all(0 <= r.x < r.y < len(edus) for r in prediction.discourse)
    assert all(r.type in pipeline.model.config.relation_labels for r in prediction.discourse)
    assert isinstance(prediction.summary, str)
    assert [(p.turn, p.image) for p in prediction.images] == [(1, "img1a"), (4, "img1b")]
    assert all(p.category in pipeline.model.config.image_categories for p in prediction.images)
    assert prediction.to_dict()["images"][0]["image"] == "img1a"


def records(predictions: list[SessionPrediction]) -> list[dict]:
    """Predictions as ``mtdialog predict`` writes them, probabilities to 5 decimals: the encoder runs on
    other batches (other padding) in other calls, which moves the last bits of a float."""
    out = [p.to_dict() for p in predictions]
    for record in out:
        for rewrite in record.get("rewrites", []):
            rewrite["probability"] = round(rewrite["probability"], 5)
    return out


def test_batched_calls_match_single_calls(pipeline):
    sessions = [Session.from_dict(session_record(i, annotated=False)) for i in range(3)]
    assert records(pipeline(sessions)) == records([pipeline(s) for s in sessions])


def test_one_call_for_every_task_shares_encoder_work_and_answers_as_one_call_per_task(pipeline):
    sessions = [Session.from_dict(session_record(i, annotated=False)) for i in range(3)]
    joint = pipeline(sessions)
    shared = pipeline.encoding
    assert shared.images == 6  # each distinct image through the backbone once
    separate = [{} for _ in sessions]
    tokens = images = 0
    for task in ("response", "rewrite", "discourse", "summary", "image_category"):  # rewrite brings rewritable
        for record, prediction in zip(separate, pipeline(sessions, tasks=[task])):
            record.update(prediction)
        tokens, images = tokens + pipeline.encoding.tokens, images + pipeline.encoding.images
    assert records(joint) == records([SessionPrediction(s.session_id, r) for s, r in zip(sessions, separate)])
    # rewritable + rewrite and discourse + summary read the same encoder inputs: encoded once
    assert shared.tokens < 0.7 * tokens
    assert images == 3 + 3 + 6 + 6 + 6  # response and rewrite read up to turn 3, before each session's 2nd image


def test_predict_follows_task_examples_order_and_shapes(pipeline, corpus):
    sessions = list(corpus.sessions("train"))
    predictions = pipeline.predict(sessions)
    assert set(predictions) == set(TASKS)
    for task in TASKS:
        assert len(predictions[task]) == len(list(get_task(task).all_examples(sessions))), task
    assert all(isinstance(p, bool) for p in predictions["rewritable"])
    assert all(isinstance(p, str) for t in ("response", "rewrite", "summary") for p in predictions[t])
    assert all(isinstance(r, Relation) for parse in predictions["discourse"] for r in parse)
    assert set(predictions["image_category"]) <= set(pipeline.model.config.image_categories)
    assert pipeline.predict(sessions, tasks=("summary",)) == {"summary": predictions["summary"]}


def test_checkpoint_round_trip_gives_the_same_predictions(pipeline, corpus, tmp_path):
    pipeline.save_pretrained(tmp_path)
    loaded = DialoguePipeline.from_pretrained(tmp_path, corpus.images_dir, kb=corpus.kb(), num_beams=2)
    session = Session.from_dict(session_record(2, annotated=False))
    assert loaded(session) == pipeline(session)


def test_last_query():
    session = Session.from_dict(session_record(0, annotated=False))
    assert last_query(session) == 3
    agent_only = Session.from_dict({"session_id": "a", "shop": "fx", "product_id": None,
                                    "turns": [{"speaker": "A", "text": "您好", "images": []}]})
    assert last_query(agent_only) is None


def test_agent_only_session_has_no_response(pipeline):
    session = Session.from_dict({"session_id": "a", "shop": "fx", "product_id": None,
                                 "turns": [{"speaker": "A", "text": "您好", "images": []}]})
    prediction = pipeline(session)
    assert prediction.response is None and prediction.rewrites == [] and prediction.images == []
    assert prediction.to_dict() == {"session_id": "a", "response": None, "rewrites": [], "discourse": [],
                                    "summary": prediction.summary, "images": []}


def test_the_model_learns_every_task_and_the_pipeline_reproduces_what_it_learned(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", n=2)
    model, tokenizer = build(corpus)
    batches = {task: make_batch(task, model, tokenizer, corpus, n=4) for task in TASKS}
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.eval()
    with torch.no_grad():
        before = {task: float(model(**batch).loss) for task, batch in batches.items()}
    model.train()
    torch.manual_seed(0)
    for _ in range(100):
        for batch in batches.values():
            optimizer.zero_grad()
            model(**batch).loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        after = {task: float(model(**batch).loss) for task, batch in batches.items()}
    for task in TASKS:
        assert after[task] < 0.25 * before[task], (task, before[task], after[task])
    pipe = DialoguePipeline(model, tokenizer, image_loader(corpus), kb=corpus.kb(), num_beams=2)
    sessions = list(corpus.sessions("train"))
    predictions = pipe.predict(sessions, tasks=("summary", "rewritable", "discourse"))
    assert predictions["summary"] == [s.annotations.summary for s in sessions]
    assert predictions["rewritable"] == [e.rewritable for e in get_task("rewritable").all_examples(sessions)]
    assert [{(r.x, r.y) for r in p} for p in predictions["discourse"]] == \
        [{(r.x, r.y) for r in s.annotations.discourse} for s in sessions]


def test_prediction_leaves_a_training_model_in_training_mode(pipeline, corpus):
    pipeline.model.train()
    pipeline.predict(list(corpus.sessions("train")), tasks=("rewritable", "summary"))
    assert pipeline.model.training and pipeline.model.decoder.training
    pipeline.model.eval()


def test_a_missing_image_file_is_a_data_error(pipeline):
    record = session_record(0, annotated=False)
    record["turns"][1]["images"] = ["not-there"]
    with pytest.raises(DataError, match="not-there"):
        pipeline(Session.from_dict(record))


def test_a_frozen_backbones_feature_cache_replaces_the_backbone_at_inference(pipeline, corpus, tmp_path):
    sessions = [Session.from_dict(session_record(i, annotated=False)) for i in range(3)]
    cache = pipeline.model.feature_cache(tmp_path, corpus.image_index)
    assert cache.ensure([i for s in sessions for i in s.image_ids()], image_loader(corpus)) == 6
    cached = DialoguePipeline(pipeline.model, pipeline.tokenizer, corpus.images_dir, kb=corpus.kb(), num_beams=2,
                              feature_cache=cache)
    assert records(cached(sessions)) == records(pipeline(sessions))
    assert cached.encoding.images == 0 and pipeline.encoding.images == 6
