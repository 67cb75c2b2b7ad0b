"""The joint training loop: one task per micro-batch, ``accelerate`` for devices, precision and processes.

Each optimizer step runs ``training.grad_accum`` micro-batches; the :class:`TaskSampler` picks the task
of each (the same on every process), that task's :class:`TaskStream` picks its examples (disjoint
across processes), and the loss is scaled by the task's weight. Logging, evaluation, best/last
checkpoints happen at step intervals; :meth:`Trainer.resume` restores everything a later step depends
on, so N steps + resume + N steps equals 2N steps.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from mtdialog.compat import enable_activation_checkpointing
from mtdialog.environment import write_packages
from mtdialog.errors import ConfigError, MTDialogError
from mtdialog.evaluation import combined_score
from mtdialog.fileio import write_checksums
from mtdialog.training import checkpoint as ckpt
from mtdialog.training.optim import GroupSpec, build_optimizer, build_scheduler, param_groups
from mtdialog.training.recipe import Recipe, TrainingSection, save_recipe
from mtdialog.training.runlog import LossMeter, RunLog, flatten
from mtdialog.training.sampling import TaskSampler, TaskStream, task_probabilities

EvaluateFn = Callable[[torch.nn.Module], Mapping[str, Mapping[str, float]]]


def make_accelerator(t: TrainingSection):
    """The run's ``Accelerator``: accumulation, precision, TensorBoard under ``output_dir``.

    Tasks use different heads, so DDP must tolerate parameters without gradients in a step. Launched
    processes on a machine without CUDA (2 CPU processes, DeepSpeed on CPU) talk over gloo. The
    scheduler is stepped by the loop once per optimizer step, whatever the number of processes.
    """
    from accelerate import Accelerator
    from accelerate.utils import DistributedDataParallelKwargs, InitProcessGroupKwargs

    handlers: list = [DistributedDataParallelKwargs(find_unused_parameters=True)]
    if int(os.environ.get("LOCAL_RANK", "-1")) != -1 and not torch.cuda.is_available():
        handlers.append(InitProcessGroupKwargs(backend="gloo"))
    return Accelerator(gradient_accumulation_steps=t.grad_accum, mixed_precision=t.mixed_precision,
                       log_with="tensorboard", project_dir=t.output_dir, kwargs_handlers=handlers,
                       step_scheduler_with_optimizer=False)


def enable_checkpointing(model: torch.nn.Module) -> None:
    """Activation checkpointing of the model, or else of every ``transformers`` model inside it that
    supports it (e.g. the pretrained text encoder of a composite model)."""
    from transformers import PreTrainedModel

    targets = [model] if getattr(model, "supports_gradient_checkpointing", False) else [
        m for m in model.modules() if isinstance(m, PreTrainedModel) and m.supports_gradient_checkpointing]
    if not targets:
        raise ConfigError(f"{type(model).__name__} has no part that supports gradient checkpointing",
                        field="training.gradient_checkpointing")
    for target in targets:
        enable_activation_checkpointing(target, {"use_reentrant": False})


def checksum(model: torch.nn.Module) -> str:
    """SHA-256 of every tensor of the model's state dict (name order): equal weights, equal digest."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _as_is(batch: Any) -> Any:
    return batch


class _PlannedBatches(Dataset):
    """``(task, indices, positions)`` -> ``(task, indices, positions, collated batch)``: what a
    DataLoader worker makes of a planned micro-batch."""

    def __init__(self, datasets: Mapping[str, Sequence], collate: Callable[[list], dict]):
        self.datasets, self.collate = datasets, collate

    def __getitem__(self, plan: tuple[str, list[int], dict[str, Any]]) -> tuple:
        task, indices, positions = plan
        return task, indices, positions, self.collate([self.datasets[task][i] for i in indices])


class Trainer:
    """Joint multitask training of ``model`` on ``datasets`` (task -> indexable examples).

    ``collate(items) -> batch`` builds one task's batch (tensors plus ``"task"``); ``model(**batch)``
    returns an output with ``.loss``. ``evaluate_fn(model)`` returns ``{task: {metric: value}}`` on the
    validation data; :func:`~mtdialog.evaluation.combined_score` picks the best checkpoint.
    The model names its pretrained modules (``model.pretrained_parameter_prefixes()``: their
    parameters get ``lr_encoder``) and the modules that stay trainable under LoRA
    (``model.lora_modules_to_save``: the task heads); a model without them has neither. ``accelerator``: one
    made by :func:`make_accelerator` before the model (default: made here).
    """

    def __init__(self, recipe: Recipe, model: torch.nn.Module, tokenizer, datasets: Mapping[str, Sequence],
                 collate: Callable[[list], dict], *, evaluate_fn: EvaluateFn | None = None, accelerator=None):
        from accelerate.utils import set_seed

        self.recipe, self.tokenizer, self.collate = recipe, tokenizer, collate
        self.evaluate_fn = evaluate_fn
        t = recipe.training
        self.out = Path(t.output_dir)
        self.accelerator = acc = accelerator if accelerator is not None else make_accelerator(t)
        self.tasks = list(recipe.tasks)
        self.datasets = {task: datasets[task] for task in self.tasks}
        for task, data in self.datasets.items():
            if len(data) == 0:
                raise ConfigError("no training examples for this task in the corpus", field=f"tasks.{task}")

        if t.gradient_checkpointing:
            enable_checkpointing(model)
        prefixes = model.pretrained_parameter_prefixes() if hasattr(model, "pretrained_parameter_prefixes") else []
        self.lora = recipe.lora
        if self.lora is not None:
            from mtdialog.training.lora import apply_lora

            if acc.is_main_process:  # the frozen base, which every adapter checkpoint refers to
                model.save_pretrained(str(self.out / ckpt.BASE_DIR))
                tokenizer.save_pretrained(str(self.out / ckpt.BASE_DIR))
                write_checksums(self.out / ckpt.BASE_DIR)
            model = apply_lora(model, self.lora, getattr(model, "lora_modules_to_save", ()))

        specs = {"encoder": GroupSpec(t.lr_encoder, t.warmup_encoder), "new": GroupSpec(t.lr_new, t.warmup_new)}
        optimizer = build_optimizer(param_groups(model.named_parameters(), prefixes, specs, t.weight_decay))
        scheduler = build_scheduler(optimizer, specs, t.schedule, t.steps)
        self.group_names = [g["name"] for g in optimizer.param_groups]
        self._configure_deepspeed(max(recipe.batch_size(task) for task in self.tasks))
        self.model, self.optimizer, self.scheduler = acc.prepare(model, optimizer, scheduler)
        self._lr_source = optimizer  # the torch optimizer whose groups LambdaLR sets

        probabilities = task_probabilities(
            {task: len(d) for task, d in self.datasets.items()}, recipe.sampling.strategy,
            temperature=recipe.sampling.temperature, weights=recipe.sampling.weights)
        self.sampler = TaskSampler(probabilities, seed=t.seed)
        self.streams = {task: TaskStream(len(self.datasets[task]), recipe.batch_size(task), t.seed, stream=i,
                                         rank=acc.process_index, world_size=acc.num_processes)
                        for i, task in enumerate(self.tasks)}
        self._batches: Iterator | None = None  # (task, indices, positions, batch) of the micro-batches to come
        self._taken: dict[str, Any] | None = None  # sampler and stream positions after the last batch taken
        self.step = 0
        self.best: dict[str, Any] | None = None
        self.evals_since_best = 0  # evaluations since the best one (training.early_stopping)
        self.meter = LossMeter(self.tasks, acc.device)
        self.log = RunLog(acc, self.out / "log.jsonl")
        self._trace = None  # with training.trace_data: this process's file of example ids per batch
        self._grad_norm: torch.Tensor | float | None = None
        self._step_lrs: list[float] = []
        set_seed(t.seed, device_specific=True)  # dropout differs across processes, reproducibly

    # ------------------------------------------------------------------------------------- setup
    def _configure_deepspeed(self, micro_batch: int) -> None:
        """Fill DeepSpeed's ``auto`` batch and clipping entries (there is no DataLoader to infer them)."""
        plugin = self.accelerator.state.deepspeed_plugin
        if plugin is None:
            return
        config = plugin.deepspeed_config
        if plugin.is_auto("train_micro_batch_size_per_gpu"):
            config["train_micro_batch_size_per_gpu"] = micro_batch
        if plugin.is_auto("gradient_clipping"):
            config["gradient_clipping"] = self.recipe.training.max_grad_norm

    def _zero3(self) -> bool:
        plugin = self.accelerator.state.deepspeed_plugin
        return plugin is not None and plugin.zero_stage == 3

    # ------------------------------------------------------------------------------------ training
    def _plans(self) -> Iterator[tuple[str, list[int], dict[str, Any]]]:
        """The task and example indices of every micro-batch to come, with the sampler and stream
        positions after it (what a checkpoint saves once that micro-batch has been trained on)."""
        while True:
            task = self.sampler.next()
            indices = self.streams[task].next()
            yield task, indices, self._positions()

    def _positions(self) -> dict[str, Any]:
        return {"sampler": self.sampler.state_dict(), "streams": {task: s.state_dict() for task, s in self.streams.items()}}

    def _next_batch(self) -> tuple[str, list[int], dict[str, Any]]:
        """The next micro-batch, encoded in this process or by ``data_workers`` DataLoader workers (which
        run ahead of training: the positions saved are those of the last batch taken)."""
        if self._batches is None:
            workers = self.recipe.training.data_workers
            # its own generator: starting an iterator draws a seed, which must not move the global RNG
            self._batches = iter(DataLoader(_PlannedBatches(self.datasets, self.collate), sampler=self._plans(),
                                            batch_size=None, collate_fn=_as_is, num_workers=workers,
                                            prefetch_factor=2 if workers else None, persistent_workers=workers > 0,
                                            generator=torch.Generator().manual_seed(0)))
        task, indices, self._taken, batch = next(self._batches)
        return task, indices, batch

    def _micro_step(self) -> None:
        from accelerate.utils import send_to_device

        acc = self.accelerator
        task, indices, batch = self._next_batch()
        batch = send_to_device(batch, acc.device)
        if batch.get("task", task) != task:
            raise ValueError(f"collate produced a {batch['task']!r} batch for task {task!r}")
        if self._trace is not None:
            self._trace.write(json.dumps({"step": self.step + 1, "task": task, "examples": indices}) + "\n")
        with acc.accumulate(self.model):
            loss = self.model(**batch).loss
            if not torch.isfinite(loss.detach()).all():  # stop before a NaN reaches the weights or a checkpoint
                raise MTDialogError(f"the {task} loss became {float(loss.detach())} at step {self.step + 1} (examples "
                                    f"{indices[:8]}{'...' if len(indices) > 8 else ''}); lower the learning rates "
                                    "or check that task's data", field=f"tasks.{task}")
            acc.backward(loss * self.recipe.tasks[task].weight)
            if acc.sync_gradients and self.recipe.training.max_grad_norm > 0:
                self._grad_norm = acc.clip_grad_norm_(self.model.parameters(), self.recipe.training.max_grad_norm)
            self.optimizer.step()
            self.optimizer.zero_grad()
        if acc.sync_gradients:
            self._step_lrs = [g["lr"] for g in self._lr_source.param_groups]  # used by this step
            self.scheduler.step()
        self.meter.add(task, loss, len(indices))

    def train_step(self) -> None:
        """One optimizer step: ``grad_accum`` micro-batches, each of a freshly sampled task."""
        self.model.train()
        for _ in range(self.recipe.training.grad_accum):
            self._micro_step()
        self.step += 1

    def _write_log(self) -> dict[str, Any]:
        now = time.perf_counter()
        loss, batches, examples = self.meter.report(self.accelerator)
        record = {"step": self.step, "loss": loss, "batches": batches,
                  "lr": dict(zip(self.group_names, self._step_lrs)),
                  "examples_per_s": round(examples / max(now - self._log_time, 1e-9), 3),
                  "elapsed_s": round(now - self._start_time, 3)}
        if self._grad_norm is not None:  # of the last step (DeepSpeed clips itself and reports it)
            record["grad_norm"] = float(self._grad_norm)
        self.log.write(record)
        self._log_time = now
        return record

    # ---------------------------------------------------------------------------------- evaluation
    def evaluate(self) -> dict[str, dict[str, float]]:
        """``evaluate_fn`` on the unwrapped model (main process; every process under ZeRO-3, whose
        weights are sharded), shared with all processes; logs the results and the combined score."""
        from accelerate.utils import broadcast_object_list

        acc = self.accelerator
        results, start = None, time.perf_counter()
        if acc.is_main_process or self._zero3():
            model = acc.unwrap_model(self.model)
            model.eval()
            with torch.no_grad():
                results = {task: dict(metrics) for task, metrics in self.evaluate_fn(model).items()}
            model.train()
        results = broadcast_object_list([results])[0] if acc.num_processes > 1 else results
        self.log.write({"step": self.step, "eval": results, "score": combined_score(results),
                        "eval_s": round(time.perf_counter() - start, 3)})
        return results

    def _stale(self) -> bool:
        """Whether ``training.early_stopping`` evaluations in a row were no better than the best (the run
        then stops: the validation score has stopped improving)."""
        patience = self.recipe.training.early_stopping
        return bool(patience and self.evals_since_best >= patience)

    def _evaluate_and_keep_best(self) -> None:
        results = self.evaluate()
        score = combined_score(results)
        self.evals_since_best += 1
        if self.best is None or score > self.best["score"]:
            self.best, self.evals_since_best = {"step": self.step, "score": score, "results": results}, 0
            ckpt.save_pretrained_dir(self.accelerator, self.model, self.tokenizer, self.out / "best", self.best)

    # --------------------------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """What the loop itself adds to the accelerator's state (JSON-able)."""
        return {"step": self.step, **(self._taken if self._taken is not None else self._positions()),
                "best": self.best, "evals_since_best": self.evals_since_best,
                "world_size": self.accelerator.num_processes,
                "recipe": self.recipe.to_dict()}

    def save_last(self) -> None:
        ckpt.save_training_state(self.accelerator, self.out / "last", self.state_dict())

    def resume(self, path: str | Path) -> None:
        """Restore model, optimizer, scheduler, RNG states, step, sampler and stream positions."""
        state = ckpt.load_training_state(self.accelerator, path)
        self.step = int(state["step"])
        self.sampler.load_state_dict(state["sampler"])
        for task, stream in self.streams.items():
            if task not in state["streams"]:
                raise ConfigError(f"the saved state has no stream for task {task!r}", path=str(path))
            stream.load_state_dict(state["streams"][task])
        self._batches, self._taken = None, None  # batches are planned again from the restored positions
        self.best = state["best"]
        self.evals_since_best = int(state.get("evals_since_best", 0))
        self.log.truncate_after(self.step)

    # ----------------------------------------------------------------------------------------- run
    def fit(self) -> dict[str, Any]:
        """Train to ``training.steps``; returns the run summary also written to ``train_summary.json``."""
        acc, t = self.accelerator, self.recipe.training
        evaluating = self.evaluate_fn is not None and t.eval_every > 0
        if acc.is_main_process:
            self.out.mkdir(parents=True, exist_ok=True)
            save_recipe(self.recipe, self.out / "recipe.yaml")
            write_packages(self.out)  # the exact versions, to rebuild this environment later
        acc.init_trackers("tb", config=flatten(self.recipe.to_dict(), text=True),
                          init_kwargs={"tensorboard": {"purge_step": self.step}})
        self._start_time = self._log_time = time.perf_counter()
        start_step = self.step
        with contextlib.ExitStack() as stack:
            if t.trace_data:
                (self.out / "trace").mkdir(parents=True, exist_ok=True)
                self._trace = stack.enter_context(
                    open(self.out / "trace" / f"rank{acc.process_index}.jsonl", "a", encoding="utf-8"))
                stack.callback(setattr, self, "_trace", None)
            progress = stack.enter_context(tqdm(total=t.steps, initial=self.step, desc="train",
                                                dynamic_ncols=True, disable=not acc.is_local_main_process))
            while self.step < t.steps and not self._stale():
                self.train_step()
                step_end = time.perf_counter()
                progress.update(1)
                if t.log_every and self.step % t.log_every == 0:
                    progress.set_postfix({k: f"{v:.3f}" for k, v in self._write_log()["loss"].items()})
                if evaluating and self.step % t.eval_every == 0:
                    self._evaluate_and_keep_best()
                if t.save_every and self.step % t.save_every == 0:
                    self.save_last()
                self._log_time += time.perf_counter() - step_end  # throughput counts training only
        if evaluating and self.step % t.eval_every != 0 and not self._stale():
            self._evaluate_and_keep_best()
        if not t.save_every or self.step % t.save_every != 0:
            self.save_last()
        self._batches = None  # stops the workers
        summary = self._finish(time.perf_counter() - self._start_time, self.step - start_step)
        acc.end_training()
        return summary

    def _finish(self, elapsed: float, steps_run: int) -> dict[str, Any]:
        """Save ``final/`` (and ``merged/`` under LoRA with ``merge``) and write the run summary."""
        from accelerate.utils import gather_object

        acc = self.accelerator
        ckpt.save_pretrained_dir(acc, self.model, self.tokenizer, self.out / "final", {"step": self.step})
        if self.lora is not None and self.lora.merge and acc.is_main_process:
            base_cls = type(acc.unwrap_model(self.model).get_base_model())
            merged = ckpt.load_checkpoint(self.out / "final", base_cls.from_pretrained, merge=True)
            merged.save_pretrained(str(self.out / "merged"))
            self.tokenizer.save_pretrained(str(self.out / "merged"))
            write_checksums(self.out / "merged")
        # replicas must agree; ZeRO-3 has no replicas (each process holds a shard)
        digests = None if self._zero3() else gather_object([checksum(acc.unwrap_model(self.model))])
        summary = {"steps": self.step, "steps_this_run": steps_run, "elapsed_s": round(elapsed, 3),
                   "world_size": acc.num_processes, "distributed_type": str(acc.distributed_type),
                   "mixed_precision": acc.mixed_precision, "param_checksums": digests,
                   "stopped_early": self.step < self.recipe.training.steps, "best": self.best}
        if acc.is_main_process:
            (self.out / "train_summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
        return summary
