"""Test-wide settings: one torch thread per test process.

The test models are tiny, so thread start-up and contention cost far more than they save, above all
on a 2-core machine; one thread keeps every test's timing steady.
"""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(autouse=True)
def _one_torch_thread():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
