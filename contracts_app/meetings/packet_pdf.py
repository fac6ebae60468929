"""The meeting packet as a PDF (reportlab): headings, the pandas tables, and the pages' own charts as vector
drawings (the SVG through svglib)."""
from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .chart_files import drawing_of
from .packet import Packet

PAGE = landscape(A4)
MARGIN = 1.5 * cm
WIDTH = PAGE[0] - 2 * MARGIN
_styles = getSampleStyleSheet()
H1, H2, BODY = _styles["Title"], _styles["Heading2"], _styles["BodyText"]
NOTE = ParagraphStyle("note", parent=BODY, textColor=colors.HexColor("#6c757d"), fontSize=9)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8, leading=10)
HEAD = ParagraphStyle("head", parent=CELL, fontName="Helvetica-Bold")


def _table(frame: pd.DataFrame, empty: str, widths: list[float] | None = None) -> list:
    if frame.empty:
        return [Paragraph(escape(empty), NOTE)]
    data = [[Paragraph(escape(str(c)), HEAD) for c in frame.columns]]
    data += [[Paragraph(escape(str(v)), CELL) for v in row] for row in frame.itertuples(index=False)]
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#adb5bd")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return [table]


def _section(title: str, intro: str | None = None) -> list:
    parts = [Paragraph(escape(title), H2)]
    if intro:
        parts.append(Paragraph(escape(intro), NOTE))
    return parts


def _trend_table(packet: Packet) -> list:
    if not packet.trends:
        return [Paragraph("No vendor has a contract in this category.", NOTE)]
    data = [[Paragraph("Vendor", HEAD), Paragraph(f"Monthly composite, {packet.trend_months[0]} to {packet.period}",
                                                  HEAD), Paragraph("Latest scored month", HEAD)]]
    data += [[Paragraph(escape(t.vendor), CELL), drawing_of(t.chart, width=150), Paragraph(escape(t.latest), CELL)]
             for t in packet.trends]
    table = Table(data, colWidths=[7 * cm, 6 * cm, 5 * cm], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                               ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#adb5bd")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (1, 1), (1, -1), "CENTER")]))
    return [table]


def packet_pdf(packet: Packet) -> bytes:
    out = BytesIO()
    doc = SimpleDocTemplate(out, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=packet.title, author="Vendor outcome tracker",
                            subject=f"Monthly data meeting, {packet.category.name}, {packet.period}")
    story: list = [Paragraph(escape(packet.title), H1),
                   Paragraph(escape(f"Generated {packet.generated_at:%Y-%m-%d %H:%M} UTC from the stored scores. "
                                    f"Rankings over {packet.window_text}."), NOTE), Spacer(1, 6)]
    story += _section("Rankings with 90 % intervals",
                      "Shrunk scores and their 90 % intervals (SPEC 3b), the same chart as the rankings page.")
    if packet.interval_chart is not None:
        story += [drawing_of(packet.interval_chart, width=WIDTH * 0.8), Spacer(1, 6)]
    elif packet.no_intervals:
        story.append(Paragraph(escape(packet.no_intervals), NOTE))
    story += _table(packet.rankings, "No vendor to rank in this window.")
    story += _section("Each vendor's trend", f"Monthly composite over the last {len(packet.trend_months)} months.")
    story += _trend_table(packet)
    story.append(Spacer(1, 6))
    story += _table(packet.composites, "No composites.")
    story += _section(f"Clauses failed in {packet.period}",
                      "Each failed clause result with its value against the target and the minimum.")
    story += _table(packet.failed_clauses, f"No clause failed in {packet.period}.")
    story += _section("Open disputes")
    story += _table(packet.disputes, "No dispute is open.")
    story += _section("Open corrective action plans", "Each open plan with its milestones still pending.")
    story += _table(packet.plans, "No corrective action plan is open.")
    previous = (f"Action items of the last meeting ({packet.previous_period})" if packet.previous_period
                else "Action items of the last meeting")
    story += _section(previous)
    story += _table(packet.previous_items, "No action item was recorded at an earlier meeting.")
    if not packet.carried_items.empty:
        story += _section("Still open from earlier meetings")
        story += _table(packet.carried_items, "")
    if not packet.recorded_items.empty:
        story += _section(f"Recorded for the meeting of {packet.period}")
        story += _table(packet.recorded_items, "")
    doc.build(story)
    return out.getvalue()
