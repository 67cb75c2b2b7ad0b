"""Score tables in the JDDC 2.1 paper's layouts (Tables 5-9), one per task.

One home for the layouts used by ``mtdialog score``, the baselines and model evaluation. Rows are
models (baselines or trained checkpoints), columns the paper's metrics, in percent;
:func:`format_table` takes any rows, so a model's scores can be printed beside the baselines'.
"""

from __future__ import annotations

from collections.abc import Mapping

_GENERATION = (("BLEU", "bleu"), ("RG-L", "rougeL"), ("Dt-1", "distinct1"), ("Dt-2", "distinct2"))

#: ``task -> (title, ((column header, metric key), ...))``.
TABLES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "response": ("Table 5: response generation", _GENERATION),
    "rewritable": ("Table 6: query rewriting, rewritability", (("P", "precision"), ("R", "recall"), ("F1", "f1"))),
    "rewrite": ("Table 7: query rewriting, rewrite generation", _GENERATION),
    "discourse": ("Table 8: discourse parsing", (("Link", "link_f1"), ("Link&Rel", "link_rel_f1"))),
    "summary": ("Table 9: summarization",
                (("RG-1", "rouge1"), ("RG-2", "rouge2"), ("RG-L", "rougeL"), ("RG-Lsum", "rougeLsum"))),
    "image_category": ("Image category classification", (("Acc", "accuracy"), ("Macro-F1", "macro_f1"))),
}


def format_table(task: str, rows: Mapping[str, Mapping[str, float]], *, note: str = "") -> str:
    """``task``'s table: a title line (plus ``note``), a header, and one line per row (``-`` where a
    row lacks a metric)."""
    title, columns = TABLES[task]
    width = max([len("model"), *map(len, rows)])
    cells = [max(len(header), 6) for header, _ in columns]
    lines = [f"{title}{f' ({note})' if note else ''}",
             "model".ljust(width) + "".join(f"  {h:>{w}}" for (h, _), w in zip(columns, cells))]
    for name, scores in rows.items():
        values = [f"{scores[key]:.2f}" if key in scores else "-" for _, key in columns]
        lines.append(name.ljust(width) + "".join(f"  {v:>{w}}" for v, w in zip(values, cells)))
    return "\n".join(lines)
