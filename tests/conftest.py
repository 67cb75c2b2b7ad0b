"""Test-wide settings and fixtures: one torch thread per test, a small generated corpus, and a short
real run on it.

The test models are tiny, so thread start-up and contention cost far more than they save, above all
on a 2-core machine; one thread keeps every test's timing steady. Shared builders live beside this
file: ``native_corpus`` (hand-written native corpora) and ``tiny_model`` (the model at test size).
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


@pytest.fixture(scope="session", autouse=True)
def _own_cache(tmp_path_factory):
    """The package's cache (image features, imported encoders) in a temporary directory, never the
    user's; processes the tests start inherit it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MTDIALOG_CACHE", str(tmp_path_factory.mktemp("mtdialog-cache")))
        yield


@pytest.fixture(scope="session")
def synth_corpus(tmp_path_factory):
    """A small generated corpus (24 train, 3 valid sessions; 12 annotated)."""
    from mtdialog.data.synth import generate_corpus

    return generate_corpus(tmp_path_factory.mktemp("synth") / "corpus", sessions=30, annotated=12, seed=0,
                           workers=1, progress=False)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, synth_corpus):
    """A 4-step run of the tiny real model on ``synth_corpus`` (validation every 2 steps), its best
    checkpoint evaluated on the test split into ``test_scores.json``: what ``make train`` leaves, small."""
    from tiny_model import write_real_recipe

    from mtdialog.cli import main
    from mtdialog.train import main as train

    root = tmp_path_factory.mktemp("run")
    assert train(["--config", write_real_recipe(root / "r.yaml", synth_corpus, root / "run")]) == 0
    assert main(["evaluate", "--checkpoint", str(root / "run" / "best"), "--corpus", str(synth_corpus),
                 "--num-beams", "1", "--json", str(root / "run" / "test_scores.json")]) == 0
    return root / "run"
