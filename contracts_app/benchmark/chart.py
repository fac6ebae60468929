"""The comparison's small charts: monthly medians, ours and each comparable peer's, drawn by charts.py."""
from __future__ import annotations

from markupsafe import Markup

from ..charts import Frame, bar_chart, line_chart


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


def vendor_chart(comparison) -> Markup | None:
    """Each vendor's median monthly composite (0–100), ours and the peers', as bars."""
    if not comparison.vendors:
        return None
    return bar_chart([(f"{row.city}: {row.label}", row.median) for row in comparison.vendors],
                     title="Vendors' median monthly composite, ours and peers (0–100)")
