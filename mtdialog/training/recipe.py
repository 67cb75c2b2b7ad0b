"""Training recipes: YAML files naming the model, data, tasks, sampling, optimisation and LoRA.

A recipe is loaded into the :class:`Recipe` dataclasses below, which are its schema: an unknown key,
a value of the wrong type, a value out of range or a missing file is a :class:`ConfigError` naming the
file and the dotted key, e.g. ``recipes/x.yaml: training.lr_new: expected number, got 'fast'``.
``key=value`` overrides (dotted keys, YAML values) are merged in before validation; an error in an
overridden key names the command line instead of the file. Relative paths are relative to the
working directory (recipes are run from the repository root).
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from mtdialog.errors import ConfigError
from mtdialog.models.configuration import SECTIONS, MTDialogConfig
from mtdialog.tasks import BUILTIN_TASKS, import_tasks, task_names

OVERRIDE_SOURCE = "command line"
#: The most values (mappings, lists, scalars) a recipe may hold: far more than any recipe needs, and a
#: bound on a YAML "billion laughs" (aliases of aliases) before anything expands it.
MAX_RECIPE_NODES = 10_000
_SURROGATE = re.compile("[\ud800-\udfff]")


def _range(low: float, high: float) -> dict:
    """Field metadata: the accepted range, both ends included (sizes bounded so that a typo cannot ask
    for more memory or time than any machine has)."""
    return {"min": low, "max": high}


BIG = 10**9  # steps, intervals, sessions: far beyond any run
SEED = _range(0, 2**32 - 1)  # what numpy and torch accept


# ------------------------------------------------------------------------------------------ schema
def _model_sections() -> tuple[type, type, type]:
    """The recipe's ``model:`` schema, derived from :class:`MTDialogConfig` (one place for each key):
    every setting, optional (left out = the config's default), ``vision_*`` and ``decoder_*`` fields
    nested as ``vision:`` and ``decoder:`` sections; ``text_encoder`` is also a hub name or path."""
    hints = MTDialogConfig.setting_types()
    nested: dict[str, list] = {section: [] for section in SECTIONS.values()}
    top: list = []
    for name, f in MTDialogConfig.settings().items():
        tp = str | dict[str, Any] if name == "text_encoder" else hints[name]
        entry = (name, tp | None, field(default=None, metadata=f.metadata))
        prefix = next((p for p in SECTIONS if name.startswith(p)), None)
        if prefix is None:
            top.append(entry)
        else:
            nested[SECTIONS[prefix]].append((name[len(prefix):], *entry[1:]))
    sections = {name: dataclasses.make_dataclass(f"{name.capitalize()}Section", fields,
                                                 namespace={"__module__": __name__})
                for name, fields in nested.items()}
    top += [(name, cls | None, field(default=None)) for name, cls in sections.items()]

    def settings(self) -> dict[str, Any]:
        """The keys the recipe sets (nested, ``None`` left out): what ``build_model_and_tokenizer`` takes."""
        def given(node: dict[str, Any]) -> dict[str, Any]:
            return {k: given(v) if isinstance(v, dict) and k != "text_encoder" else v
                    for k, v in node.items() if v is not None}
        return given(dataclasses.asdict(self))

    model = dataclasses.make_dataclass("ModelSection", top, namespace={
        "settings": settings, "__module__": __name__,
        "__doc__": "The model: ``MTDialogConfig``'s settings (see its docstring)."})
    return model, sections["vision"], sections["decoder"]


ModelSection, VisionSection, DecoderSection = _model_sections()


@dataclass
class SynthSection:
    """Generate the embedded corpus into ``data.corpus`` if that directory does not exist yet."""

    sessions: int = field(default=3000, metadata=_range(10, 10**7))
    annotated: int = field(default=600, metadata=_range(0, 10**7))
    seed: int = field(default=0, metadata=SEED)


@dataclass
class DataSection:
    """The native corpus (``synth``: generate it there when missing), which of its train sessions are
    trained on (``sessions``: ``all``, or ``annotated``: only those with annotations, as if the response
    corpus were just the annotated part) and image feature caching."""

    corpus: str = "data/jddc21-synth"
    synth: SynthSection | None = None
    train_split: str = "train"
    valid_split: str = "valid"
    sessions: Literal["all", "annotated"] = "all"
    feature_cache: bool = True  # frozen backbone: features computed once, shared in $MTDIALOG_CACHE/features


@dataclass
class TaskSection:
    """Per-task options: the loss weight, and a batch size replacing ``training.batch_size``."""

    weight: float = field(default=1.0, metadata=_range(0.0, 1e6))
    batch_size: int | None = field(default=None, metadata=_range(1, 65536))


@dataclass
class SamplingSection:
    """Task mixing: ``proportional`` (p ~ n examples), ``temperature`` (p ~ n^(1/T)), ``uniform``, or
    explicit ``weights`` per task."""

    strategy: Literal["proportional", "temperature", "uniform", "weights"] = "temperature"
    temperature: float = field(default=2.0, metadata=_range(1e-6, 1e6))
    weights: dict[str, float] | None = None


@dataclass
class TrainingSection:
    """Optimisation and bookkeeping. ``steps`` are optimizer steps; an interval of 0 turns it off."""

    output_dir: str = "runs/tiny"
    steps: int = field(default=1000, metadata=_range(1, BIG))
    batch_size: int = field(default=8, metadata=_range(1, 65536))  # per process and micro-batch
    grad_accum: int = field(default=1, metadata=_range(1, 65536))
    lr_encoder: float = field(default=3e-5, metadata=_range(0.0, 10.0))
    lr_new: float = field(default=3e-4, metadata=_range(0.0, 10.0))
    warmup_encoder: int = field(default=100, metadata=_range(0, BIG))
    warmup_new: int = field(default=50, metadata=_range(0, BIG))
    schedule: Literal["linear", "inverse_sqrt", "constant"] = "linear"
    weight_decay: float = field(default=0.01, metadata=_range(0.0, 10.0))
    max_grad_norm: float = field(default=1.0, metadata=_range(0.0, 1e6))  # 0: no clipping
    mixed_precision: Literal["no", "bf16"] = "no"
    gradient_checkpointing: bool = False
    log_every: int = field(default=10, metadata=_range(0, BIG))
    eval_every: int = field(default=200, metadata=_range(0, BIG))
    # stop after this many evaluations without a better combined score (0: never stop early)
    early_stopping: int = field(default=0, metadata=_range(0, BIG))
    save_every: int = field(default=200, metadata=_range(0, BIG))
    seed: int = field(default=0, metadata=SEED)
    trace_data: bool = False  # each process writes the example ids of every batch it trains on
    # processes that encode the next batches while the model trains (0: encode in the training process)
    data_workers: int = field(default=0, metadata=_range(0, 64))


@dataclass
class EvalSection:
    """Evaluation on the validation split during training (``max_sessions``: its first sessions only,
    for speed; generation decodes with ``num_beams``)."""

    max_sessions: int | None = field(default=None, metadata=_range(1, BIG))
    num_beams: int = field(default=1, metadata=_range(1, 64))
    batch_size: int = field(default=16, metadata=_range(1, 65536))
    convention: Literal["strict", "lenient"] = "strict"  # how discourse parsing is scored (docs/metrics.md)


@dataclass
class LoraSection:
    """PEFT LoRA on the named attention projections; ``modules_to_save`` (default: the model's task
    heads) stay fully trainable and are saved with the adapter; ``merge`` also exports a merged model."""

    r: int = field(default=8, metadata=_range(1, 4096))
    alpha: int = field(default=16, metadata=_range(1, 65536))
    dropout: float = field(default=0.05, metadata=_range(0.0, 0.99))
    target_modules: list[str] = field(default_factory=lambda: ["query", "value", "key_value"])
    modules_to_save: list[str] | None = None
    merge: bool = True


@dataclass
class Recipe:
    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    imports: list[str] = field(default_factory=list)  # modules to import first (e.g. ones registering tasks)
    tasks: dict[str, TaskSection] = field(default_factory=lambda: {t: TaskSection() for t in BUILTIN_TASKS})
    sampling: SamplingSection = field(default_factory=SamplingSection)
    training: TrainingSection = field(default_factory=TrainingSection)
    eval: EvalSection = field(default_factory=EvalSection)
    lora: LoraSection | None = None

    def batch_size(self, task: str) -> int:
        """Per-process micro-batch size of ``task``."""
        return self.tasks[task].batch_size or self.training.batch_size

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ------------------------------------------------------------------------------------- validation
def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(map(str, typing.get_args(tp)))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    if origin is list:
        return "list"
    if origin is dict or dataclasses.is_dataclass(tp):
        return "mapping"
    return {int: "integer", float: "number", bool: "boolean", str: "string"}.get(tp, str(tp))


MAX_MESSAGE = 300  # characters of a message quoting a value (a huge value is shown cut)


def _fail(key: str, message: str) -> ConfigError:
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + f"... ({len(message):,} characters)"
    return ConfigError(message, field=key or None)


def _convert(value: Any, tp: Any, key: str) -> Any:
    """``value`` checked against (and converted to) type ``tp``; raises a keyed :class:`ConfigError`."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    expected = f"expected {_type_name(tp)}, got {value!r}"
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return _convert(value, inner[0], key)
        for alternative in inner:
            try:
                return _convert(value, alternative, key)
            except ConfigError:
                continue
        raise _fail(key, expected)
    if origin is Literal:
        if value not in args:
            raise _fail(key, expected)
        return value
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise _fail(key, expected)
        return _build(tp, value, key)
    if origin is dict:
        if not isinstance(value, dict):
            raise _fail(key, expected)
        return {k: _convert(v, args[1], f"{key}.{k}") for k, v in value.items()}
    if origin is list:
        if not isinstance(value, list):
            raise _fail(key, expected)
        return [_convert(v, args[0], f"{key}[{i}]") for i, v in enumerate(value)]
    if tp is bool:
        if not isinstance(value, bool):
            raise _fail(key, expected)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(key, expected)
        return value
    if tp is float:
        if isinstance(value, str):  # YAML 1.1 reads "1e-4" (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                raise _fail(key, expected) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(key, expected)
        if not math.isfinite(value):
            raise _fail(key, f"expected a finite number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise _fail(key, expected)
        if _SURROGATE.search(value):
            raise _fail(key, "invalid Unicode: a lone surrogate (a \\u escape that encodes no character)")
        return value
    raise TypeError(f"unsupported schema type {tp!r} at {key}")


def _build(cls: type, raw: dict[str, Any], prefix: str) -> Any:
    """An instance of dataclass ``cls`` from ``raw``, defaults for absent keys, every value checked."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    dotted = (prefix + ".") if prefix else ""
    for name in raw:
        if name not in fields:
            raise _fail(f"{dotted}{name}", f"unknown key (expected one of {', '.join(fields)})")
    values = {}
    for name, value in raw.items():
        key = f"{dotted}{name}"
        value = _convert(value, hints[name], key)
        low, high = fields[name].metadata.get("min"), fields[name].metadata.get("max")
        exists = fields[name].metadata.get("exists")
        if low is not None and value is not None and value < low:
            raise _fail(key, f"must be at least {low}, got {value!r}")
        if high is not None and value is not None and value > high:
            raise _fail(key, f"must be at most {high}, got {value!r}")
        if exists == "file" and value is not None and not _is(Path.is_file, value, key):
            raise _fail(key, f"file not found: {value}")
        if exists == "weights" and value is not None:
            from mtdialog.models.weights import resolve_weights_file

            try:
                resolve_weights_file(value)
            except (FileNotFoundError, ValueError) as e:
                raise _fail(key, str(e)) from None
            except OSError as e:
                raise _fail(key, f"unusable path: {e.strerror}") from None
        values[name] = value
    return cls(**values)


def _is(test: Callable[[Path], bool], value: str, key: str) -> bool:
    """``test`` (``Path.is_file``, ``Path.is_dir``) of ``value``; a name the system refuses (too long,
    a NUL byte) is a ConfigError naming ``key``."""
    try:
        return test(Path(value))
    except (OSError, ValueError) as e:
        raise _fail(key, f"unusable path: {getattr(e, 'strerror', None) or e}") from None


def _check(recipe: Recipe) -> None:
    """Constraints across keys, and files that must exist (after importing ``imports``, which may
    register tasks)."""
    for i, source in enumerate(recipe.imports):
        try:
            import_tasks(source)
        except Exception as e:  # noqa: BLE001 (the user's module: any error it raises is its own)
            raise _fail(f"imports[{i}]", f"cannot import {source!r}: {type(e).__name__}: {e}") from None
    if not recipe.tasks:
        raise _fail("tasks", "at least one task is required")
    for task in recipe.tasks:
        if task not in task_names():
            raise _fail(f"tasks.{task}", f"unknown task (registered: {', '.join(task_names())}; a task of your "
                                         "own is registered by a module named in imports:)")
    s = recipe.sampling
    if s.strategy == "weights":
        if s.weights is None:
            raise _fail("sampling.weights", "required when sampling.strategy is 'weights'")
        for task in s.weights:
            if task not in recipe.tasks:
                raise _fail(f"sampling.weights.{task}", "not a task of this recipe")
        for task in recipe.tasks:
            if task not in s.weights:
                raise _fail(f"sampling.weights.{task}", "missing weight for this task")
        if any(w < 0 for w in s.weights.values()) or sum(s.weights.values()) <= 0:
            raise _fail("sampling.weights", "weights must be non-negative with a positive sum")
    if recipe.training.early_stopping and not recipe.training.eval_every:
        raise _fail("training.early_stopping", "needs evaluations (training.eval_every > 0) to stop on")
    lengths = {name: getattr(recipe.model, name, None) for name in ("max_source_length", "max_kb_tokens",
                                                                    "max_turn_tokens")}
    try:
        settings = MTDialogConfig.settings()
        MTDialogConfig.check_lengths(**{k: settings[k].default if v is None else v for k, v in lengths.items()})
    except ValueError as e:
        raise _fail("model.max_turn_tokens", str(e)) from None
    if recipe.data.synth is None and not _is(Path.is_dir, recipe.data.corpus, "data.corpus"):
        raise _fail("data.corpus", f"directory not found: {recipe.data.corpus} "
                                   "(give data.synth to generate the embedded corpus there)")


# ------------------------------------------------------------------------------------------ loading
def load_yaml(text: str, *, source: str, what: str = "") -> Any:
    """YAML (safe tags only), with at most :data:`MAX_RECIPE_NODES` values counted as they expand."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ConfigError(f"{what}bad YAML: {getattr(e, 'problem', None) or e}", path=source,
                          line=mark.line + 1 if mark and source != OVERRIDE_SOURCE else None) from None
    except RecursionError:
        raise ConfigError(f"{what}YAML nested too deep", path=source) from None
    except ValueError as e:  # e.g. an integer of thousands of digits
        raise ConfigError(f"{what}bad YAML value: {str(e).splitlines()[0][:200]}", path=source) from None
    count, stack = 0, [value]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_RECIPE_NODES:
            raise ConfigError(f"{what}more than {MAX_RECIPE_NODES} values (aliases that expand too far?)",
                              path=source)
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return value


def parse_override(text: str) -> tuple[str, Any]:
    """``"training.lr_new=1e-4"`` -> ``("training.lr_new", 1e-4)`` (the value is read as YAML)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or any(not part for part in key.strip().split(".")):
        raise ConfigError(f"override {text!r}: expected key=value with a dotted key", path=OVERRIDE_SOURCE)
    return key.strip(), load_yaml(value, source=OVERRIDE_SOURCE, what=f"override {text!r}: ")


def apply_overrides(raw: dict[str, Any], overrides: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """``raw`` with each dotted key set (missing or null mappings on the way are created).

    ``tasks=[a, b]`` selects tasks (keeping the settings the recipe gives them) and ``tasks.x=null``
    drops one; ``sampling.weights`` then follows the tasks that are left, so one override trains a
    subset of a recipe's tasks."""
    overrides = list(overrides)
    if isinstance(raw.get("tasks"), list) and any(k.startswith("tasks.") for k, _ in overrides):
        raw["tasks"] = select_tasks(None, raw["tasks"], field="tasks")  # so that tasks.x=... has a mapping
    for key, value in overrides:
        if key == "tasks" and isinstance(value, list):
            value = select_tasks(raw.get("tasks"), value, field="tasks", path=OVERRIDE_SOURCE)
        node = raw
        parts = key.split(".")
        for i, part in enumerate(parts[:-1]):
            if node.get(part) is None:
                node[part] = {}
            if not isinstance(node[part], dict):
                raise ConfigError(f"{'.'.join(parts[:i + 1])} is not a mapping", path=OVERRIDE_SOURCE,
                                  field=key)
            node = node[part]
        node[parts[-1]] = value
    tasks = raw.get("tasks")
    if isinstance(tasks, dict) and any(k == "tasks" or k.startswith("tasks.") for k, _ in overrides):
        raw["tasks"] = tasks = {name: section for name, section in tasks.items() if section is not None}
        weights = (raw.get("sampling") or {}).get("weights")
        if isinstance(weights, dict) and not any(k.startswith("sampling") for k, _ in overrides):
            raw["sampling"]["weights"] = {name: w for name, w in weights.items() if name in tasks}
    return raw


def select_tasks(current: Any, names: Any, *, field: str, path: str | None = None) -> dict[str, Any]:
    """The ``tasks`` mapping for a list of task ``names``: each with the settings ``current`` (the
    recipe's mapping, if any) gives it, or the defaults."""
    if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        raise ConfigError(f"a list of tasks names each task once, got {names!r}", path=path, field=field)
    current = current if isinstance(current, dict) else {}
    return {name: current.get(name) or {} for name in names}


_LENGTHS = ("model.max_source_length", "model.max_kb_tokens", "model.max_turn_tokens")  # checked together


def recipe_from_dict(raw: dict[str, Any], *, source: str, overridden: Iterable[str] = ()) -> Recipe:
    """Validate a raw recipe mapping; errors name ``source`` (or the command line for overridden keys)."""
    overridden = list(overridden)
    try:
        if isinstance(raw.get("tasks"), list):  # tasks: [response, summary]: each with its defaults
            raw = {**raw, "tasks": select_tasks(None, raw["tasks"], field="tasks")}
        recipe = _build(Recipe, raw, "")
        _check(recipe)
        return recipe
    except ConfigError as e:
        key = e.field or ""
        by_override = any(key == k or key.startswith((k + ".", k + "[")) or k.startswith(key + ".")
                          for k in overridden)
        # the weights of a recipe must match its tasks: tasks changed on the command line are the cause
        by_override |= key.startswith("sampling.weights") and any(k.split(".")[0] == "tasks" for k in overridden)
        by_override |= key == "model.max_turn_tokens" and any(k in _LENGTHS for k in overridden)
        raise ConfigError(e.message, path=OVERRIDE_SOURCE if by_override else source, field=e.field) from None


def load_recipe(path: str | Path, overrides: Iterable[str] = ()) -> Recipe:
    """Read, override (``key=value`` strings) and validate the recipe file ``path``."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("recipe file not found" if not path.is_dir() else "is a directory, not a recipe file",
                          path=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"invalid UTF-8 at byte {e.start}", path=str(path)) from None
    raw = load_yaml(text, source=str(path))
    if raw is None:
        raise ConfigError("the recipe is empty (it needs at least data: {corpus: ...} or data.synth)", path=str(path))
    if not isinstance(raw, dict):
        raise ConfigError(f"a recipe is a mapping of sections, got {type(raw).__name__}", path=str(path))
    parsed = [parse_override(o) for o in overrides]
    raw = apply_overrides(raw, parsed)
    return recipe_from_dict(raw, source=str(path), overridden=[k for k, _ in parsed])


def save_recipe(recipe: Recipe, path: str | Path) -> None:
    Path(path).write_text(yaml.safe_dump(recipe.to_dict(), sort_keys=False, allow_unicode=True),
                          encoding="utf-8")


def differences(a: Recipe, b: Recipe, ignore: Iterable[str] = ()) -> list[str]:
    """Dotted keys whose values differ between two recipes (leaves only), minus ``ignore``."""
    out: list[str] = []

    def walk(x: Any, y: Any, key: str) -> None:
        if isinstance(x, dict) and isinstance(y, dict):
            for k in list(x) + [k for k in y if k not in x]:
                walk(x.get(k), y.get(k), f"{key}.{k}" if key else str(k))
        elif x != y and key not in ignore:
            out.append(key)

    walk(a.to_dict(), b.to_dict(), "")
    return out
