"""The metric suite as ``evaluate`` metrics defined in this package, usable fully offline.

Instantiate a class directly (``ChineseRouge()``) or by name (``load("chinese_rouge")``), then
``add_batch(predictions=..., references=...)`` and ``compute()``; no hub access is involved. Scores
are in percent, computed by the plain functions of :mod:`mtdialog.metrics`.

Unlike ``evaluate.load``'s defaults, a single-process instance keeps its data in memory and gets a
unique ``experiment_id``, so two instances never share (or wait for) a cache file. With
``num_process > 1`` evaluate's distributed rules apply: give every process the same
``experiment_id`` and a ``cache_dir`` on a shared file system.
"""

from __future__ import annotations

import uuid
from typing import Any

import datasets
import evaluate
from evaluate.naming import camelcase_to_snakecase

from mtdialog.data.schema import Relation
from mtdialog.metrics import classification, discourse, text

_TEXT_PAIRS = datasets.Features({"predictions": datasets.Value("string"),
                                 "references": datasets.Value("string")})
_RELATIONS = datasets.List({"x": datasets.Value("int32"), "y": datasets.Value("int32"),
                            "type": datasets.Value("string")})
_CITATION = ("Zhao et al. JDDC 2.1: A Multimodal Chinese Dialogue Dataset with Joint Tasks of Query "
             "Rewriting, Response Generation, Discourse Parsing, and Summarization. EMNLP 2022.")


class _Metric(evaluate.Metric):
    """An offline ``evaluate.Metric``: in memory and with its own experiment id when single-process."""

    _description = ""
    _inputs = ""
    _features: datasets.Features

    def __init__(self, *, keep_in_memory: bool | None = None, experiment_id: str | None = None,
                 num_process: int = 1, **kwargs: Any):
        if keep_in_memory is None:
            keep_in_memory = num_process == 1
        if experiment_id is None and num_process == 1:
            experiment_id = uuid.uuid4().hex
        super().__init__(keep_in_memory=keep_in_memory, experiment_id=experiment_id,
                         num_process=num_process, **kwargs)

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(description=self._description, citation=_CITATION,
                                   inputs_description=self._inputs, features=self._features)


class ChineseBleu(_Metric):
    _description = text.__doc__
    _inputs = """
    predictions: list of generated texts; references: list of reference texts (one per prediction).
    tokenize: "char" (NLTK corpus_bleu over characters, default), "zh" (sacrebleu) or "sentence".
    Returns {"bleu": BLEU-4 in percent}.
    """
    _features = _TEXT_PAIRS

    def _compute(self, predictions: list[str], references: list[str], tokenize: str = "char") -> dict[str, float]:
        return {"bleu": text.bleu(predictions, references, tokenize=tokenize)}


class ChineseRouge(_Metric):
    _description = text.__doc__
    _inputs = """
    predictions: list of generated texts; references: list of reference texts (one per prediction).
    Returns rouge1, rouge2, rougeL, rougeLsum (mean per-pair character F1, percent), each also with
    _precision and _recall.
    """
    _features = _TEXT_PAIRS

    def _compute(self, predictions: list[str], references: list[str]) -> dict[str, float]:
        return text.rouge(predictions, references)


class ChineseDistinct(_Metric):
    _description = text.__doc__
    _inputs = """
    predictions: list of generated texts.
    Returns distinct1 and distinct2: unique / total character n-grams over all predictions, percent.
    """
    _features = datasets.Features({"predictions": datasets.Value("string")})

    def _compute(self, predictions: list[str]) -> dict[str, float]:
        return {f"distinct{n}": text.distinct(predictions, n) for n in (1, 2)}


class GenerationScores(_Metric):
    _description = text.__doc__
    _inputs = """
    predictions: list of generated texts; references: list of reference texts (one per prediction).
    bleu_tokenize: "char" (default), "zh" or "sentence".
    Returns bleu, rouge1, rouge2, rougeL, rougeLsum (+ _precision/_recall), distinct1, distinct2 (percent).
    """
    _features = _TEXT_PAIRS

    def _compute(self, predictions: list[str], references: list[str],
                 bleu_tokenize: str = "char") -> dict[str, float]:
        return text.generation_scores(predictions, references, bleu_tokenize=bleu_tokenize)


class BinaryScores(_Metric):
    _description = classification.__doc__
    _inputs = """
    predictions, references: lists of booleans (True = positive class, e.g. rewritable).
    Returns precision, recall, f1 (positive class) and accuracy, percent.
    """
    _features = datasets.Features({"predictions": datasets.Value("bool"),
                                   "references": datasets.Value("bool")})

    def _compute(self, predictions: list[bool], references: list[bool]) -> dict[str, float]:
        return classification.binary_scores(predictions, references)


class ClassificationScores(_Metric):
    _description = classification.__doc__
    _inputs = """
    predictions, references: lists of string labels (e.g. image categories).
    Returns accuracy and macro_f1, percent.
    """
    _features = datasets.Features({"predictions": datasets.Value("string"),
                                   "references": datasets.Value("string")})

    def _compute(self, predictions: list[str], references: list[str]) -> dict[str, float]:
        return classification.classification_scores(predictions, references)


class DiscourseScores(_Metric):
    _description = discourse.__doc__
    _inputs = """
    predictions, references: per session, a list of relations {"x": head EDU, "y": dependent EDU,
    "type": label}; n_edus: per session, its number of EDUs.
    Returns link_f1, link_rel_f1 (+ _precision/_recall), link_rel_f1_level1/2: micro scores, percent.
    """
    _features = datasets.Features({"predictions": _RELATIONS, "references": _RELATIONS,
                                   "n_edus": datasets.Value("int32")})

    def _compute(self, predictions: list[list[dict]], references: list[list[dict]],
                 n_edus: list[int]) -> dict[str, float]:
        def relations(sessions: list[list[dict]]) -> list[list[Relation]]:
            return [[Relation(r["x"], r["y"], r["type"]) for r in session] for session in sessions]

        return discourse.discourse_scores(relations(predictions), relations(references), n_edus)


#: Every module by its ``evaluate`` name (the snake-case class name).
MODULES: dict[str, type[_Metric]] = {
    camelcase_to_snakecase(cls.__name__): cls for cls in (ChineseBleu, ChineseRouge, ChineseDistinct, GenerationScores, BinaryScores,
                                ClassificationScores, DiscourseScores)
}


def load(name: str, **kwargs: Any) -> _Metric:
    """A fresh instance of the module called ``name`` (see :data:`MODULES`); ``kwargs`` go to
    ``evaluate.Metric`` (``cache_dir``, ``num_process``, ``process_id``, ``experiment_id``, ...)."""
    try:
        cls = MODULES[name]
    except KeyError:
        raise ValueError(f"unknown metric module {name!r} (available: {', '.join(MODULES)})") from None
    return cls(**kwargs)
