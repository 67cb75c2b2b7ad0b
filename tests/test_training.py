"""The training loop: exact resume, LoRA save/load/merge, loss weights, checkpoints and logs.

The loop's mechanics are checked on a tiny two-task model (a 2-layer BERT with a classification head
per task, dropout on, so RNG restoring matters) over synthetic token data, where a step takes
milliseconds; ``test_real_model_*`` run the project's model through ``mtdialog.train`` on a tiny
generated corpus.
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil

import pytest
import torch
import torch.nn.functional as F
import transformers
from accelerate.state import AcceleratorState, GradientState
from planted import Planted
from tiny_model import TINY_MODEL, write_real_recipe
from torch import nn
from transformers import BertConfig, BertModel, BertTokenizer, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from mtdialog.environment import installed_packages, lock_mismatches, read_pins
from mtdialog.training.checkpoint import load_checkpoint
from mtdialog.training.loop import Trainer, checksum
from mtdialog.training.recipe import recipe_from_dict

TASK_LABELS = {"response": 3, "summary": 2}


class TinyConfig(PretrainedConfig):
    model_type = "mtdialog-test-tiny"

    def __init__(self, vocab_size: int = 40, hidden_size: int = 16, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.hidden_size = vocab_size, hidden_size


class TinyMultitask(PreTrainedModel):
    """BERT encoder + one linear head per task; ``forward(task=...)`` returns that task's loss. Like the
    project's model, it names its pretrained part and the heads that stay trainable under LoRA."""

    config_class = TinyConfig
    supports_gradient_checkpointing = True
    lora_modules_to_save = ("response_head", "summary_head")

    def __init__(self, config: TinyConfig):
        super().__init__(config)
        self.encoder = BertModel(BertConfig(vocab_size=config.vocab_size, hidden_size=config.hidden_size,
                                            num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                                            max_position_embeddings=16), add_pooling_layer=False)
        self.response_head = nn.Linear(config.hidden_size, TASK_LABELS["response"])
        self.summary_head = nn.Linear(config.hidden_size, TASK_LABELS["summary"])
        self.post_init()

    def pretrained_parameter_prefixes(self) -> list[str]:
        return ["encoder."]

    def forward(self, task, input_ids, attention_mask, labels=None):
        state = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state[:, 0]
        logits = getattr(self, f"{task}_head")(state)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


def make_data(seed: int = 1) -> dict[str, list[dict]]:
    """Learnable synthetic tasks: the label is the first token modulo the task's label count."""
    g = torch.Generator().manual_seed(seed)
    data = {}
    for task, n, size in (("response", 3, 30), ("summary", 2, 10)):
        ids = torch.randint(5, 40, (size, 8), generator=g)
        data[task] = [{"task": task, "input_ids": ids[i], "attention_mask": torch.ones(8, dtype=torch.long),
                       "labels": ids[i, 0] % n} for i in range(size)]
    return data


def collate(items: list[dict]) -> dict:
    return {"task": items[0]["task"], **{k: torch.stack([it[k] for it in items])
                                         for k in ("input_ids", "attention_mask", "labels")}}


@pytest.fixture(autouse=True)
def fresh_accelerate_state():
    """Each test builds its own Accelerator (precision, accumulation); accelerate keeps them global."""
    AcceleratorState._reset_state(True)
    GradientState._reset_state()
    yield
    AcceleratorState._reset_state(True)
    GradientState._reset_state()


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    vocab = tmp_path_factory.mktemp("vocab") / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(35)]),
                     encoding="utf-8")
    return BertTokenizer(str(vocab))


def make_recipe(out, lora=None, **training):
    raw = {"data": {"synth": {"sessions": 10}}, "tasks": {"response": {}, "summary": {"batch_size": 3}},
           "training": {"output_dir": str(out), "steps": 8, "batch_size": 4, "grad_accum": 2, "log_every": 2,
                        "eval_every": 3, "save_every": 3, "warmup_new": 2, "warmup_encoder": 2, "lr_new": 1e-2,
                        "lr_encoder": 1e-3, **training}, "lora": lora}
    return recipe_from_dict(raw, source="test")


def fake_scores(step_scores: list[float]):
    """An evaluate_fn whose combined score follows ``step_scores`` call by call."""
    calls = iter(step_scores)

    def evaluate(model):
        value = next(calls)
        return {"response": {"bleu": value}, "summary": {"rougeL": value}}

    return evaluate


def trainer(recipe, tokenizer, evaluate_fn=None, **kwargs) -> Trainer:
    torch.manual_seed(0)
    return Trainer(recipe, TinyMultitask(TinyConfig()), tokenizer, make_data(), collate, evaluate_fn=evaluate_fn,
                   **kwargs)


def weights(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_resume_continues_exactly(tmp_path, tokenizer):
    """N steps + save + new process state + resume + N steps == 2N steps, tensor for tensor."""
    recipe = make_recipe(tmp_path / "a")
    straight = trainer(recipe, tokenizer)
    for _ in range(6):
        straight.train_step()
    expected = weights(straight.accelerator.unwrap_model(straight.model))

    first = trainer(make_recipe(tmp_path / "b"), tokenizer)
    for _ in range(3):
        first.train_step()
    first.save_last()
    torch.manual_seed(1234)  # whatever happens in between, the saved RNG states win
    second = trainer(make_recipe(tmp_path / "b"), tokenizer)
    second.resume(tmp_path / "b")
    assert second.step == 3 and second.sampler.draws == 6
    for _ in range(3):
        second.train_step()
    resumed = weights(second.accelerator.unwrap_model(second.model))
    assert resumed.keys() == expected.keys()
    for name in expected:
        assert torch.equal(resumed[name], expected[name]), name
    assert second.optimizer.state_dict()["state"].keys() == straight.optimizer.state_dict()["state"].keys()
    assert second.scheduler.get_last_lr() == straight.scheduler.get_last_lr()
    # a fresh start is a different run, so the comparison above can fail
    third = trainer(make_recipe(tmp_path / "c"), tokenizer)
    for _ in range(3):
        third.train_step()
    assert not all(torch.equal(v, expected[k])
                   for k, v in weights(third.accelerator.unwrap_model(third.model)).items())


def test_data_workers_give_the_same_batches_and_the_same_resume(tmp_path, tokenizer):
    """Batches encoded by 2 DataLoader worker processes (which run ahead), interrupted and resumed, are
    the batches, and train the weights, of a run without workers."""
    def run(out, steps, workers, resume=False):
        AcceleratorState._reset_state(True)
        GradientState._reset_state()
        t = trainer(make_recipe(out, steps=steps, schedule="constant", trace_data=True, data_workers=workers),
                    tokenizer)
        if resume:
            t.resume(out)
        t.fit()
        return t

    plain = run(tmp_path / "plain", 8, 0)
    run(tmp_path / "workers", 4, 2)
    resumed = run(tmp_path / "workers", 8, 2, resume=True)
    trace = [(tmp_path / name / "trace" / "rank0.jsonl").read_text().splitlines() for name in ("plain", "workers")]
    assert len(trace[0]) == 16 and trace[0] == trace[1]
    assert checksum(resumed.accelerator.unwrap_model(resumed.model)) == checksum(
        plain.accelerator.unwrap_model(plain.model))


def test_fit_resume_with_more_steps_matches_one_long_fit(tmp_path, tokenizer):
    """The command-line flow: a run of 4 steps, resumed with steps=8, equals a run of 8 (constant lr)."""
    long = trainer(make_recipe(tmp_path / "long", steps=8, schedule="constant"), tokenizer,
                   fake_scores([1, 2, 3]))
    summary = long.fit()
    short = trainer(make_recipe(tmp_path / "run", steps=4, schedule="constant"), tokenizer, fake_scores([1, 5]))
    short.fit()
    resumed = trainer(make_recipe(tmp_path / "run", steps=8, schedule="constant"), tokenizer,
                      fake_scores([2, 3]))
    resumed.resume(tmp_path / "run")
    assert resumed.best["score"] == 5 and resumed.best["step"] == 4  # the best so far came along
    again = resumed.fit()
    assert again["param_checksums"] == summary["param_checksums"]
    assert again["steps"] == 8 and again["steps_this_run"] == 4
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "loss" in r] == [2, 4, 6, 8]


def test_run_artefacts_logs_and_best_checkpoint(tmp_path, tokenizer):
    t = trainer(make_recipe(tmp_path, steps=6, trace_data=True), tokenizer, fake_scores([3.0, 1.0]))
    summary = t.fit()
    out = tmp_path
    assert {p.name for p in out.iterdir()} >= {"best", "final", "last", "log.jsonl", "packages.txt", "recipe.yaml",
                                               "tb", "trace", "train_summary.json"}
    # the run records the exact versions it ran with, as a constraints file that rebuilds them
    pins = read_pins(out / "packages.txt")
    assert pins["torch"] == torch.__version__.split("+")[0] and pins["transformers"] == transformers.__version__
    assert pins == installed_packages() and lock_mismatches(out / "packages.txt") == []
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    train = [r for r in records if "loss" in r]
    evals = [r for r in records if "eval" in r]
    assert [r["step"] for r in train] == [2, 4, 6] and [r["step"] for r in evals] == [3, 6]
    for r in train:
        assert set(r["loss"]) <= {"response", "summary"} and all(v > 0 for v in r["loss"].values())
        assert sum(r["batches"].values()) == 2 * 2  # 2 steps x grad_accum 2 micro-batches
        assert set(r["lr"]) == {"encoder/decay", "encoder/no_decay", "new/decay", "new/no_decay"}
        assert r["examples_per_s"] > 0 and r["grad_norm"] > 0
    # lr logged is the one the step used: warmup of 2 steps at lr_new = 1e-2 gives 1/3, 2/3, 1
    assert train[0]["lr"]["new/decay"] == pytest.approx(1e-2 * 2 / 3)
    assert evals[0]["score"] == 3.0 and evals[1]["score"] == 1.0
    best = json.loads((out / "best" / "checkpoint.json").read_text())
    assert best["step"] == 3 and best["score"] == 3.0 and summary["best"]["step"] == 3
    loaded = load_checkpoint(out / "best", TinyMultitask.from_pretrained)
    final = load_checkpoint(out / "final", TinyMultitask.from_pretrained)
    assert checksum(final) == summary["param_checksums"][0] != checksum(loaded)
    assert (out / "best" / "tokenizer_config.json").exists()
    state = json.loads((out / "last" / "trainer_state.json").read_text())
    assert state["step"] == 6 and state["sampler"]["draws"] == 12 and state["world_size"] == 1
    trace = [json.loads(line) for line in (out / "trace" / "rank0.jsonl").read_text().splitlines()]
    assert len(trace) == 12 and all(len(r["examples"]) == (4 if r["task"] == "response" else 3) for r in trace)
    assert list((out / "tb").glob("events.out.tfevents.*"))


def test_early_stopping_ends_the_run_when_validation_stops_improving(tmp_path, tokenizer):
    # evaluations at steps 2, 4, 6, 8, ...: best at 4, no better at 6 and 8 -> stop after step 8
    t = trainer(make_recipe(tmp_path, steps=20, eval_every=2, save_every=0, early_stopping=2), tokenizer,
                fake_scores([1, 5, 4, 3] + [9] * 10))
    summary = t.fit()
    assert summary["steps"] == 8 and summary["stopped_early"] is True and summary["best"]["step"] == 4
    evals = [json.loads(line)["step"] for line in (tmp_path / "log.jsonl").read_text().splitlines()
             if "eval" in json.loads(line)]
    assert evals == [2, 4, 6, 8]
    assert json.loads((tmp_path / "best" / "checkpoint.json").read_text())["step"] == 4


def test_early_stopping_counts_evaluations_across_a_resume(tmp_path, tokenizer):
    first = trainer(make_recipe(tmp_path, steps=6, eval_every=2, save_every=0, early_stopping=2), tokenizer,
                    fake_scores([1, 5, 4]))  # best at 4; one evaluation without improvement so far
    first.fit()
    again = trainer(make_recipe(tmp_path, steps=20, eval_every=2, save_every=0, early_stopping=2), tokenizer,
                    fake_scores([3] * 10))
    again.resume(tmp_path)
    assert again.evals_since_best == 1
    summary = again.fit()
    assert summary["steps"] == 8 and summary["stopped_early"] and summary["best"]["step"] == 4


def test_loss_weight_zero_leaves_that_head_untouched(tmp_path, tokenizer):
    recipe = make_recipe(tmp_path, steps=4, weight_decay=0.0)
    recipe.tasks["summary"].weight = 0.0
    t = trainer(recipe, tokenizer)
    model = t.accelerator.unwrap_model(t.model)
    before = weights(model)
    for _ in range(4):
        t.train_step()
    after = weights(model)
    assert t.sampler.draws == 8 and "summary" in t.meter.tasks
    assert torch.equal(before["summary_head.weight"], after["summary_head.weight"])
    assert not torch.equal(before["response_head.weight"], after["response_head.weight"])


def test_gradient_checkpointing_and_bf16(tmp_path, tokenizer):
    trained = []
    for name, checkpointing in (("p", False), ("c", True)):  # one after the other: the RNG is global
        t = trainer(make_recipe(tmp_path / name, steps=2, gradient_checkpointing=checkpointing), tokenizer)
        layer = t.accelerator.unwrap_model(t.model).encoder.encoder.layer[0]
        assert layer.gradient_checkpointing is checkpointing
        t.train_step()
        t.train_step()
        trained.append(weights(t.accelerator.unwrap_model(t.model)))
    a, b = trained
    for name in a:  # recomputation replays dropout with the saved RNG state: same training
        torch.testing.assert_close(a[name], b[name], rtol=1e-5, atol=1e-6)

    AcceleratorState._reset_state(True)
    half = trainer(make_recipe(tmp_path / "h", steps=2, mixed_precision="bf16"), tokenizer)
    assert half.accelerator.mixed_precision == "bf16"
    half.train_step()
    loss, _, _ = half.meter.report(half.accelerator)
    assert all(torch.isfinite(torch.tensor(v)) for v in loss.values())


def test_lora_trains_adapters_and_heads_and_merges(tmp_path, tokenizer):
    lora = {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["query", "value"]}
    t = trainer(make_recipe(tmp_path, steps=4, lora=lora), tokenizer, fake_scores([1.0, 2.0]))
    trainable = {n for n, p in t.accelerator.unwrap_model(t.model).named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or "modules_to_save" in n for n in trainable)
    assert {g["owner"] for g in t.optimizer.param_groups} == {"new"}
    t.fit()
    assert (tmp_path / "final" / "adapter_model.safetensors").exists()
    assert not (tmp_path / "final" / "model.safetensors").exists()  # the adapter, not the whole model

    batch = collate(make_data(seed=7)["response"][:5])
    trained = t.accelerator.unwrap_model(t.model).eval()
    with torch.no_grad():
        expected = trained(**batch).logits
        reloaded = load_checkpoint(tmp_path / "final", TinyMultitask.from_pretrained).eval()
        merged_now = load_checkpoint(tmp_path / "final", TinyMultitask.from_pretrained, merge=True).eval()
        exported = TinyMultitask.from_pretrained(str(tmp_path / "merged")).eval()
        base = TinyMultitask.from_pretrained(str(tmp_path / "base")).eval()
        torch.testing.assert_close(reloaded(**batch).logits, expected)
        torch.testing.assert_close(merged_now(**batch).logits, expected, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(exported(**batch).logits, expected, rtol=1e-5, atol=1e-5)
        assert not torch.allclose(base(**batch).logits, expected)  # training changed something
    assert not any("lora" in k for k in exported.state_dict())


def test_task_without_examples_is_an_error(tmp_path, tokenizer):
    from mtdialog.errors import ConfigError

    data = make_data()
    data["summary"] = []
    with pytest.raises(ConfigError, match="tasks.summary: no training examples"):
        Trainer(make_recipe(tmp_path), TinyMultitask(TinyConfig()), tokenizer, data, collate)


# ------------------------------------------------------------------------------ the real model
def test_real_model_trains_evaluates_and_resumes_exactly(tmp_path, synth_corpus):
    from mtdialog.evaluation import combined_score
    from mtdialog.models import MTDialogModel
    from mtdialog.pipeline import DialoguePipeline
    from mtdialog.train import main, register

    straight = write_real_recipe(tmp_path / "straight.yaml", synth_corpus, tmp_path / "straight", steps=6,
                                 eval_every=3, schedule="constant")
    assert main(["--config", straight]) == 0
    summary = json.loads((tmp_path / "straight" / "train_summary.json").read_text())
    log = [json.loads(line) for line in (tmp_path / "straight" / "log.jsonl").read_text().splitlines()]
    evals = [r for r in log if "eval" in r]
    assert [r["step"] for r in evals] == [3, 6]
    assert set(evals[0]["eval"]) == {"response", "rewritable", "rewrite", "discourse", "summary", "image_category"}
    assert evals[0]["score"] == pytest.approx(combined_score(evals[0]["eval"]))
    best = json.loads((tmp_path / "straight" / "best" / "checkpoint.json").read_text())
    assert best["score"] == max(r["score"] for r in evals)
    pipe = DialoguePipeline.from_pretrained(tmp_path / "straight" / "best", num_beams=1)
    assert isinstance(pipe.model, MTDialogModel) and pipe.tokenizer is not None

    # 3 steps through the `mtdialog train` sub-command, then --resume to 6 steps: the same weights
    # (evaluation, here left out, changes nothing in training)
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    short = write_real_recipe(tmp_path / "short.yaml", synth_corpus, tmp_path / "run", steps=3,
                              eval_every=0, schedule="constant")
    args = parser.parse_args(["train", "--config", short])
    assert args.func(args) == 0
    assert main(["--resume", str(tmp_path / "run"), "training.steps=6"]) == 0
    resumed = json.loads((tmp_path / "run" / "train_summary.json").read_text())
    assert resumed["steps_this_run"] == 3
    assert resumed["param_checksums"] == summary["param_checksums"]


def test_real_model_resume_refuses_a_different_recipe(tmp_path, synth_corpus, capsys):
    from mtdialog.train import main

    config = write_real_recipe(tmp_path / "r.yaml", synth_corpus, tmp_path / "run", steps=2, eval_every=0)
    assert main(["--config", config]) == 0
    assert main(["--resume", str(tmp_path / "run"), "training.lr_new=0.5"]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("mtdialog.train: error: ") and "training.lr_new" in error
    assert main(["--config", config, "training.batch_size=many"]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "command line: training.batch_size: expected integer, got 'many'")


def test_zero_on_several_processes_refuses_a_trainable_batchnorm_backbone(tmp_path):
    """An empty image batch takes BatchNorm down another autograd path; ZeRO would add mismatched
    gradients of processes with and without images, so the run is refused before it starts."""
    from tiny_model import build, write_corpus

    from mtdialog.errors import ConfigError

    corpus = write_corpus(tmp_path / "corpus", n=1)
    trainable_bn, _ = build(corpus, vision={**TINY_MODEL["vision"], "freeze": False})  # resnet10t
    with pytest.raises(ConfigError, match=r"model\.vision\.freeze: a trainable resnet10t \(BatchNorm\)"):
        trainable_bn.check_data_parallel(zero_stage=2, num_processes=2)
    trainable_bn.check_data_parallel(zero_stage=2, num_processes=1)
    trainable_bn.check_data_parallel(zero_stage=None, num_processes=2)  # DDP
    for settings in ({"freeze": True}, {"model": "convnext_atto", "freeze": False}):
        model, _ = build(corpus, vision={**TINY_MODEL["vision"], **settings})
        model.check_data_parallel(zero_stage=3, num_processes=2)


# ------------------------------------------------------------------ damaged and moved run directories
@pytest.fixture
def saved_run(tmp_path, tokenizer):
    """A run directory whose last/ holds the state after 3 steps."""
    first = trainer(make_recipe(tmp_path / "run"), tokenizer)
    for _ in range(3):
        first.train_step()
    first.save_last()
    return tmp_path / "run"


def resume_error(run, tokenizer) -> str:
    from mtdialog.errors import ConfigError

    with pytest.raises(ConfigError) as e:
        trainer(make_recipe(run), tokenizer).resume(run)
    return str(e.value)


@pytest.mark.parametrize("damage", ["truncate optimizer.bin", "delete scheduler.bin", "flip trainer_state.json",
                                    "truncate model.safetensors"])
def test_a_damaged_training_state_is_refused_naming_the_file(saved_run, tokenizer, damage):
    verb, name = damage.split(" ")
    path = saved_run / "last" / name
    if verb == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif verb == "delete":
        path.unlink()
    else:
        path.write_text(path.read_text().replace('"step": 3', '"step": 2'))
    message = resume_error(saved_run, tokenizer)
    assert str(path) in message and ("missing" if verb == "delete" else "changed since it was saved") in message


def test_a_state_that_cannot_be_restored_is_an_error_not_a_skip(saved_run, tokenizer):
    from mtdialog.fileio import write_checksums

    last = saved_run / "last"
    (last / "rng_state_0.json").write_text('{"python": [3, [1, 2], null]}')
    write_checksums(last)  # replaced, not damaged: the checksums agree
    assert "cannot restore the training state: malformed RNG state" in resume_error(saved_run, tokenizer)
    (last / "trainer_state.json").write_text("[1, 2, 3]")
    write_checksums(last)
    assert "trainer_state.json: not a trainer state" in resume_error(saved_run, tokenizer)



def test_a_planted_pickle_in_a_training_state_is_refused_unopened(saved_run, tokenizer, tmp_path):
    from mtdialog.fileio import write_checksums

    last, marker = saved_run / "last", tmp_path / "it-ran"
    (last / "random_states_0.pkl").write_bytes(pickle.dumps(Planted(str(marker))))  # accelerate's name
    assert "random_states_0.pkl: not part of the saved state (not in checksums.json)" in resume_error(saved_run,
                                                                                                     tokenizer)
    write_checksums(last)  # the checksums rewritten as well: the files themselves are refused
    assert "random_states_0.pkl: not a file torch.save wrote" in resume_error(saved_run, tokenizer)
    (last / "random_states_0.pkl").unlink()
    torch.save({"state": Planted(str(marker)), "param_groups": []}, last / "optimizer.bin")
    write_checksums(last)
    assert "optimizer.bin: a pickle naming io.open: loading it could run code" in resume_error(saved_run, tokenizer)
    assert not marker.exists()


def test_an_interrupted_swap_is_recovered(saved_run, tokenizer):
    last = saved_run / "last"
    shutil.copytree(last, saved_run / "last.tmp")  # the new state was complete ...
    last.rename(saved_run / "last.old")  # ... and the old one moved aside when the run was killed
    resumed = trainer(make_recipe(saved_run), tokenizer)
    resumed.resume(saved_run)
    assert resumed.step == 3
    shutil.rmtree(saved_run / "last.tmp")  # killed before the new state was complete: the old one serves
    again = trainer(make_recipe(saved_run), tokenizer)
    again.resume(saved_run)
    assert again.step == 3


def test_a_moved_run_resumes_where_it_is(saved_run, tmp_path):
    from mtdialog.train import resolve_recipe

    moved = tmp_path / "elsewhere" / "copy"
    shutil.move(str(saved_run), moved)
    recipe = resolve_recipe(None, ["training.steps=9"], moved)
    assert recipe.training.output_dir == str(moved) and recipe.training.steps == 9
    assert resolve_recipe(None, [], moved / "last").training.output_dir == str(moved)


def test_a_nan_loss_stops_training_with_the_task_and_step(tmp_path, tokenizer):
    from mtdialog.errors import MTDialogError

    t = trainer(make_recipe(tmp_path), tokenizer)
    summary_head = t.accelerator.unwrap_model(t.model).summary_head
    with torch.no_grad():
        summary_head.weight.fill_(float("nan"))
    with pytest.raises(MTDialogError, match=r"tasks.summary: the summary loss became nan at step \d+"):
        for _ in range(8):
            t.train_step()
    assert not (tmp_path / "last").exists()  # nothing was saved
