"""Classification metrics in percent: binary P/R/F1 (rewritability, positive class ``True``) and
accuracy / macro-F1 over string labels (image categories). scikit-learn computes them, with
``zero_division=0`` (a precision or recall with an empty denominator counts as 0)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BINARY_CONVENTION = "P/R/F1 of the positive class (true = rewritable); an empty denominator gives 0"
CLASSIFICATION_CONVENTION = ("accuracy; macro-F1 = unweighted mean of per-label F1 over the labels in the "
                             "references or the predictions")


def _checked_lengths(predictions: Sequence, references: Sequence) -> None:
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
    if not predictions:
        raise ValueError("no predictions to score")


def _as_bools(values: Sequence, name: str) -> list[bool]:
    out = []
    for i, v in enumerate(values):
        if isinstance(v, (bool, np.bool_)) or (isinstance(v, (int, np.integer)) and v in (0, 1)):
            out.append(bool(v))
        else:
            raise ValueError(f"{name}[{i}] is {v!r}, expected a boolean (or 0/1)")
    return out


def binary_scores(predictions: Sequence[bool], references: Sequence[bool]) -> dict[str, float]:
    """``precision``, ``recall``, ``f1`` of the positive class (``True``) and ``accuracy``, in percent."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    _checked_lengths(predictions, references)
    pred, gold = _as_bools(predictions, "predictions"), _as_bools(references, "references")
    p, r, f, _ = precision_recall_fscore_support(gold, pred, average="binary", pos_label=True,
                                                 labels=[False, True], zero_division=0)
    return {"precision": 100.0 * float(p), "recall": 100.0 * float(r), "f1": 100.0 * float(f),
            "accuracy": 100.0 * float(accuracy_score(gold, pred))}


def classification_scores(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """``accuracy`` and ``macro_f1`` (unweighted mean of per-label F1 over every label that occurs in
    the references or the predictions), in percent."""
    from sklearn.metrics import accuracy_score, f1_score

    _checked_lengths(predictions, references)
    for name, labels in (("predictions", predictions), ("references", references)):
        bad = next((i for i, v in enumerate(labels) if not isinstance(v, str)), None)
        if bad is not None:
            raise TypeError(f"{name}[{bad}] is {type(labels[bad]).__name__}, expected a str label")
    pred, gold = list(predictions), list(references)
    return {"accuracy": 100.0 * float(accuracy_score(gold, pred)),
            "macro_f1": 100.0 * float(f1_score(gold, pred, average="macro", zero_division=0))}
