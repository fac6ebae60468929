"""The comparison's small charts: monthly medians, ours and each comparable peer's, drawn by charts.py."""
from __future__ import annotations

from markupsafe import Markup

from ..charts import Frame, line_chart


def comparison_charts(comparison) -> dict[str, Markup]:
    """One line chart per clause with at least one comparable peer: key → SVG."""
    charts = {}
    for clause in comparison.clauses:
        comparable = [p for p in clause.peers if p.refusal is None]
        if not comparable:
            continue
        series = [("Ours (median)", [_median(clause.our_months, p) for p in comparison.periods])]
        series += [(f"{p.city} (median)", [_median(p.months, m) for m in comparison.periods]) for p in comparable]
        charts[clause.key] = line_chart(
            [period[2:] for period in comparison.periods], series,
            title=f"{clause.ours['label']}: monthly median, ours and peers ({clause.ours['unit']})",
            frame=Frame(width=560, height=200))
    return charts


def _median(months: dict, period: str) -> float | None:
    month = months.get(period)
    return None if month is None else float(month["median"])
