"""The metric suite: Chinese character-level text metrics, binary / multi-class classification and
discourse micro-F1, all in percent (DESIGN §4; docs/metrics.md states every convention).

Plain functions live here; ``mtdialog.metrics.modules`` wraps them as ``evaluate`` metrics and
``mtdialog.metrics.cli`` is the ``mtdialog score`` command.
"""

from mtdialog.metrics.classification import binary_scores, classification_scores
from mtdialog.metrics.discourse import discourse_scores
from mtdialog.metrics.text import bleu, conventions, distinct, generation_scores, rouge
from mtdialog.metrics.tokens import char_tokens, split_sentences

__all__ = [
    "binary_scores", "bleu", "char_tokens", "classification_scores", "conventions", "discourse_scores",
    "distinct", "generation_scores", "rouge", "split_sentences",
]
