"""Score tables in the JDDC 2.1 paper's layout: a title, one column per metric, one row per model.

Each task names its title and columns (``Task.title`` / ``Task.columns``); rows are models
(baselines or trained checkpoints), values in percent, so a model's scores print beside the
baselines'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def format_table(title: str, columns: Sequence[tuple[str, str]], rows: Mapping[str, Mapping[str, float]], *,
                 note: str = "") -> str:
    """A title line (plus ``note``), a header of the ``(header, metric key)`` columns, and one line per
    row (``-`` where a row lacks a metric)."""
    width = max([len("model"), *map(len, rows)])
    cells = [max(len(header), 6) for header, _ in columns]
    lines = [f"{title}{f' ({note})' if note else ''}",
             "model".ljust(width) + "".join(f"  {h:>{w}}" for (h, _), w in zip(columns, cells))]
    for name, scores in rows.items():
        values = [f"{scores[key]:.2f}" if key in scores else "-" for _, key in columns]
        lines.append(name.ljust(width) + "".join(f"  {v:>{w}}" for v, w in zip(values, cells)))
    return "\n".join(lines)


__all__ = ["format_table"]
