"""Sessions read from disk on access: the same sessions and examples as in memory, in any process."""

from __future__ import annotations

import pytest
import torch
from tiny_model import build, make_processor, write_corpus
from torch.utils.data import DataLoader

from mtdialog.data.native import Corpus
from mtdialog.data.schema import DataError
from mtdialog.data.session_index import SessionIndex
from mtdialog.models.processing import ExamplePositions, TaskDataset
from mtdialog.tasks import BUILTIN_TASKS


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    return write_corpus(tmp_path_factory.mktemp("corpus"), n=6)


def test_an_index_reads_the_sessions_a_corpus_streams_and_visits_each_once(corpus):
    visited = []
    index = SessionIndex(corpus, "train", visit=lambda i, s: visited.append((i, s.session_id)))
    sessions = list(Corpus(corpus.root).sessions("train"))
    assert len(index) == len(sessions) == 6 and visited == [(i, s.session_id) for i, s in enumerate(sessions)]
    assert [index[i] for i in (5, 0, 3, -1)] == [sessions[5], sessions[0], sessions[3], sessions[-1]]
    assert list(index) == sessions
    with pytest.raises(IndexError):
        index[6]


def test_task_datasets_over_an_index_give_the_items_of_sessions_in_memory(corpus):
    model, tokenizer = build(corpus)
    processor = make_processor(model, tokenizer, corpus)
    sessions = list(corpus.sessions("train"))
    positions = ExamplePositions(BUILTIN_TASKS)
    index = SessionIndex(corpus, "train", visit=positions.add)
    found = positions.arrays()
    for task in BUILTIN_TASKS:
        in_memory = TaskDataset(task, processor, sessions=sessions)
        on_disk = TaskDataset(task, processor, sessions=index, positions=found[task])
        assert len(on_disk) == len(in_memory) > 0, task
        assert [on_disk.example(i) for i in range(len(on_disk))] == list(in_memory.task.all_examples(sessions))
        for i in (0, len(on_disk) - 1):
            a, b = on_disk[i], in_memory[i]
            assert a.keys() == b.keys() and all(
                torch.equal(a[k], b[k]) if torch.is_tensor(a[k]) else a[k] == b[k] for k in a), task
    # forked DataLoader workers each open the file for themselves
    dataset = TaskDataset("summary", processor, sessions=index, positions=found["summary"])
    loader = DataLoader(dataset, batch_size=None, num_workers=2, multiprocessing_context="fork")
    assert [item["rows"] for item in loader] == [dataset[i]["rows"] for i in range(len(dataset))]


def test_a_split_file_changed_after_indexing_is_named_at_its_line(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", n=3)
    index = SessionIndex(corpus, "train")
    path = corpus.split_path("train")
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0] + b'{"session_id": 1}\n' + b"".join(lines[2:]))
    with pytest.raises(DataError) as e:
        index[2]
    assert str(e.value).startswith(f"{path}:3:")
