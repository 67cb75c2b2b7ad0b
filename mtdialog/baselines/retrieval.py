"""Query-based baselines: nearest-query retrieval for responses and rewrites, and copy-the-query.

The *query* of an example is the text of the last customer turn of its context. When that turn is
image-only, the query is the nearest earlier customer text in the same run of customer turns (a
customer usually types the question just before sending the photo), and the empty string if the
run has no text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mtdialog.data.schema import Session, Turn


def query_text(context: Sequence[Turn]) -> str:
    """The query of a context (see the module docstring); ``""`` when there is none."""
    in_query = False
    for turn in reversed(context):
        if turn.speaker == "Q":
            in_query = True
            if turn.text:
                return turn.text
        elif in_query:
            break
    return ""


class NearestQuery:
    """Maps a query to the target of its nearest training query.

    Training queries are grouped by exact text; each distinct query answers with its most frequent
    target (ties: first seen). A new query is matched exactly when its text was seen, otherwise to the
    distinct training query with the highest cosine similarity of character 1-2-gram TF-IDF vectors
    (ties: first seen; exact search over the sparse vectors in chunks via scikit-learn: 5,000 queries
    against 100,000 take a few seconds on one core). A query sharing no n-gram with any training
    query gets the most frequent target overall.
    """

    def __init__(self, queries: Sequence[str], targets: Sequence[str]):
        from sklearn.feature_extraction.text import TfidfVectorizer  # imported when used: the CLI loads fast

        groups: dict[str, Counter] = {}
        for query, target in zip(queries, targets, strict=True):
            groups.setdefault(query, Counter())[target] += 1
        self.queries = list(groups)
        self.answers = [counts.most_common(1)[0][0] for counts in groups.values()]
        self.fallback = Counter(targets).most_common(1)[0][0]
        self._position = {query: i for i, query in enumerate(self.queries)}
        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), dtype=np.float32)
        texts = [q for q in self.queries if q]
        self._rows = [self._position[q] for q in texts]
        self._matrix = self.vectorizer.fit_transform(texts) if texts else None

    def nearest(self, queries: Sequence[str]) -> list[int]:
        """Index into ``self.queries`` of each query's nearest training query, ``-1`` if none."""
        from sklearn.metrics import pairwise_distances_argmin

        out = np.array([self._position.get(q, -1) for q in queries])
        todo = np.flatnonzero(out < 0)
        if self._matrix is not None and len(todo):
            vectors = self.vectorizer.transform([queries[i] for i in todo])
            known = np.flatnonzero(vectors.getnnz(axis=1) > 0)
            if len(known):
                best = pairwise_distances_argmin(vectors[known], self._matrix, metric="cosine")
                out[todo[known]] = np.asarray(self._rows)[best]
        return out.tolist()

    def lookup(self, queries: Sequence[str]) -> list[str]:
        """The answer of each query's nearest training query (the fallback target if none)."""
        return [self.answers[i] if i >= 0 else self.fallback for i in self.nearest(queries)]


@dataclass
class QueryRetrieval:
    """For a task whose examples have a ``context`` and a text ``target`` (response, rewrite): the most
    frequent train target of the nearest train query."""

    index: NearestQuery

    @classmethod
    def fit(cls, task, train: Sequence[Session]) -> QueryRetrieval:
        examples = task.training_examples(train)
        return cls(NearestQuery([query_text(e.context) for e in examples], [e.target for e in examples]))

    def predict(self, examples: Sequence) -> list[str]:
        return self.index.lookup([query_text(e.context) for e in examples])


@dataclass
class CopyQuery:
    """The query turn's own text as its rewrite (empty for an image-only turn: it scores 0)."""

    @classmethod
    def fit(cls, task, train: Sequence[Session]) -> CopyQuery:
        return cls()

    def predict(self, examples: Sequence) -> list[str]:
        return [e.session.turns[e.turn].text for e in examples]
