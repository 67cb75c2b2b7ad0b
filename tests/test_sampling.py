"""Task sampling and per-task streams: the probabilities of each strategy, determinism, exact
continuation after state_dict / load_state_dict, epochs and the split across processes."""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pytest

from mtdialog.training.sampling import TaskSampler, TaskStream, task_probabilities

COUNTS = {"response": 900, "summary": 100}


def test_strategies():
    assert task_probabilities(COUNTS, "proportional") == pytest.approx({"response": 0.9, "summary": 0.1})
    assert task_probabilities(COUNTS, "uniform") == pytest.approx({"response": 0.5, "summary": 0.5})
    # T = 2: p ~ sqrt(n) -> 30 : 10
    assert task_probabilities(COUNTS, "temperature", temperature=2.0) == pytest.approx(
        {"response": 0.75, "summary": 0.25})
    # T = 1 is proportional; T -> infinity approaches uniform
    assert task_probabilities(COUNTS, "temperature", temperature=1.0) == pytest.approx(
        task_probabilities(COUNTS, "proportional"))
    hot = task_probabilities(COUNTS, "temperature", temperature=1000.0)
    assert hot["response"] == pytest.approx(0.5, abs=0.01)
    assert task_probabilities(COUNTS, "weights", weights={"response": 1, "summary": 3}) == pytest.approx(
        {"response": 0.25, "summary": 0.75})


@pytest.mark.parametrize("kwargs, message", [
    ({"strategy": "weights", "weights": {"response": 1}}, "no sampling weight for task(s): summary"),
    ({"strategy": "weights", "weights": {"response": 0, "summary": 0}}, "positive sum"),
    ({"strategy": "temperature", "temperature": 0}, "temperature must be positive"),
    ({"strategy": "random"}, "unknown sampling strategy"),
])
def test_bad_strategies(kwargs, message):
    strategy = kwargs.pop("strategy")
    with pytest.raises(ValueError, match=re.escape(message)):
        task_probabilities(COUNTS, strategy, **kwargs)


def test_sampler_follows_its_probabilities_deterministically():
    probabilities = task_probabilities(COUNTS, "temperature", temperature=2.0)
    a, b = TaskSampler(probabilities, seed=3), TaskSampler(probabilities, seed=3)
    seq_a, seq_b = [a.next() for _ in range(4000)], [b.next() for _ in range(4000)]
    assert seq_a == seq_b
    assert Counter(seq_a)["summary"] / 4000 == pytest.approx(0.25, abs=0.03)
    other = TaskSampler(probabilities, seed=4)
    assert [other.next() for _ in range(50)] != seq_a[:50]


def test_sampler_resumes_exactly():
    probabilities = task_probabilities(COUNTS, "uniform")
    full = TaskSampler(probabilities, seed=0)
    expected = [full.next() for _ in range(200)]
    first = TaskSampler(probabilities, seed=0)
    head = [first.next() for _ in range(77)]
    state = json.loads(json.dumps(first.state_dict()))  # survives the JSON state file
    second = TaskSampler(probabilities, seed=0)
    second.load_state_dict(state)
    assert head + [second.next() for _ in range(123)] == expected
    assert second.draws == 200
    with pytest.raises(ValueError, match="sampler state is for tasks"):
        TaskSampler({"response": 1.0}, seed=0).load_state_dict(state)


def test_stream_epochs_cover_every_example_once():
    stream = TaskStream(10, 4, seed=1)
    batches = [stream.next() for _ in range(5)]  # 20 indices = 2 epochs
    flat = [i for b in batches for i in b]
    assert all(len(b) == 4 for b in batches)
    assert sorted(flat[:10]) == list(range(10)) and sorted(flat[10:]) == list(range(10))
    assert flat[:10] != flat[10:]  # reshuffled each epoch
    assert stream.state_dict() == {"size": 10, "epoch": 2, "offset": 0}
    assert TaskStream(10, 4, seed=1, stream=1).next() != TaskStream(10, 4, seed=1).next()


def test_stream_resumes_exactly():
    full = TaskStream(7, 3, seed=5)
    expected = [full.next() for _ in range(9)]
    first = TaskStream(7, 3, seed=5)
    head = [first.next() for _ in range(4)]
    second = TaskStream(7, 3, seed=5)
    second.load_state_dict(json.loads(json.dumps(first.state_dict())))
    assert head + [second.next() for _ in range(5)] == expected
    with pytest.raises(ValueError, match="over 7 examples, this run has 8"):
        TaskStream(8, 3, seed=5).load_state_dict(first.state_dict())


def test_ranks_split_each_global_batch():
    """Two processes take disjoint halves of the single-process stream of the doubled batch."""
    single = TaskStream(11, 6, seed=2)
    ranks = [TaskStream(11, 3, seed=2, rank=r, world_size=2) for r in range(2)]
    for _ in range(6):
        whole = single.next()
        parts = [s.next() for s in ranks]
        assert parts[0] + parts[1] == whole
    assert ranks[0].state_dict() == ranks[1].state_dict() == single.state_dict()


def test_stream_rejects_bad_setup():
    with pytest.raises(ValueError, match="at least one example"):
        TaskStream(0, 2, seed=0)
    with pytest.raises(ValueError, match="rank 2 outside world of size 2"):
        TaskStream(5, 2, seed=0, rank=2, world_size=2)


def test_stream_batches_are_numpy_free_ints():
    assert all(type(i) is int for i in TaskStream(5, 5, seed=0).next())
    assert np.array_equal(sorted(TaskStream(5, 5, seed=0).next()), np.arange(5))
