"""The one number that picks the best checkpoint.

The combined validation score is the unweighted mean, over the tasks that were evaluated, of one
headline metric per task (all in percent, higher is better; names as ``mtdialog.metrics`` gives them):

==============  ==============================================
response        BLEU-4 (``bleu``)
rewrite         BLEU-4 (``bleu``)
rewritable      binary F1 of "can be rewritten" (``f1``)
discourse       micro-F1 of Link&Relation (``link_rel_f1``)
summary         ROUGE-L (``rougeL``)
image_category  accuracy (``accuracy``)
==============  ==============================================
"""

from __future__ import annotations

from collections.abc import Mapping

HEADLINE = {
    "response": "bleu",
    "rewrite": "bleu",
    "rewritable": "f1",
    "discourse": "link_rel_f1",
    "summary": "rougeL",
    "image_category": "accuracy",
}


def combined_score(results: Mapping[str, Mapping[str, float]]) -> float:
    """Mean of the headline metric of every evaluated task; raises if a result lacks its headline."""
    values = []
    for task, metric in HEADLINE.items():
        if task in results:
            if metric not in results[task]:
                raise KeyError(f"evaluation of {task!r} has no {metric!r} (has: {', '.join(results[task])})")
            values.append(float(results[task][metric]))
    if not values:
        raise ValueError(f"no headline metric among the evaluated tasks {sorted(results)}")
    return sum(values) / len(values)
