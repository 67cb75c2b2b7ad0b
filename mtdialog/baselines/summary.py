"""Extractive summarization baselines of the JDDC 2.1 paper: Lead and LexRank.

Both produce at most ``budget`` characters, where ``budget`` is the mean length (in characters,
rounded) of the train split's summaries, as the paper defines Lead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

from mtdialog.data.schema import Session


def dialogue_text(session: Session) -> str:
    """The session's turn texts concatenated in order, with no separator and noise left as is."""
    return "".join(turn.text for turn in session.turns)


def summary_budget(examples: Sequence) -> int:
    """The mean summary length in characters, rounded (at least 1)."""
    return max(1, round(sum(len(e.target) for e in examples) / len(examples)))


@dataclass
class Lead:
    """The first ``budget`` characters of the dialogue text."""

    budget: int

    @classmethod
    def fit(cls, task, train: Sequence[Session]) -> Lead:
        return cls(summary_budget(task.training_examples(train)))

    def predict(self, examples: Sequence) -> list[str]:
        return [dialogue_text(e.session)[: self.budget] for e in examples]


@dataclass
class LexRank:
    """LexRank (Erkan & Radev, 2004) over a session's utterances (its non-empty turn texts).

    Utterances are character 1-2-gram TF-IDF vectors (IDF from the train split's summarized sessions);
    two utterances are linked when their cosine similarity exceeds ``threshold``, with the similarity
    as edge weight (continuous LexRank); centrality is PageRank with damping ``damping``. Utterances
    are taken by decreasing centrality (ties: earlier first) until ``budget`` characters are used,
    the last one cut to fit, and joined in dialogue order.
    """

    budget: int
    vectorizer: TfidfVectorizer
    threshold: float = 0.1
    damping: float = 0.85

    @classmethod
    def fit(cls, task, train: Sequence[Session], *, threshold: float = 0.1, damping: float = 0.85) -> LexRank:
        from sklearn.feature_extraction.text import TfidfVectorizer  # imported when used: the CLI loads fast

        examples = task.training_examples(train)
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), dtype=np.float32)
        utterances = [t.text for e in examples for t in e.session.turns if t.text]
        vectorizer.fit(utterances or [" "])  # " ": a vocabulary even if every summarized turn is image-only
        return cls(summary_budget(examples), vectorizer, threshold, damping)

    def centrality(self, utterances: Sequence[str]) -> np.ndarray:
        """PageRank centrality of each utterance, shape ``(len(utterances),)``."""
        import networkx as nx

        vectors = self.vectorizer.transform(utterances)
        similarity = (vectors @ vectors.T).toarray()
        graph = nx.Graph()
        graph.add_nodes_from(range(len(utterances)))
        rows, cols = np.nonzero(np.triu(similarity > self.threshold, k=1))
        graph.add_weighted_edges_from((int(i), int(j), float(similarity[i, j])) for i, j in zip(rows, cols))
        rank = nx.pagerank(graph, alpha=self.damping, weight="weight")
        return np.array([rank[i] for i in range(len(utterances))])

    def summarize(self, session: Session) -> str:
        utterances = [turn.text for turn in session.turns if turn.text]
        if not utterances:
            return ""
        scores = self.centrality(utterances)
        chosen: dict[int, str] = {}
        left = self.budget
        for i in sorted(range(len(utterances)), key=lambda i: (-scores[i], i)):
            if left <= 0:
                break
            chosen[i] = utterances[i][:left]
            left -= len(chosen[i])
        return "".join(chosen[i] for i in sorted(chosen))

    def predict(self, examples: Sequence) -> list[str]:
        return [self.summarize(e.session) for e in examples]
