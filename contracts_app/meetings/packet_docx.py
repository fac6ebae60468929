"""The meeting packet as a Word document (python-docx): headings, the pandas tables, the charts as PNG."""
from __future__ import annotations

from io import BytesIO

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt

from .chart_files import png_of
from .packet import Packet


def _table(doc, frame: pd.DataFrame, empty: str) -> None:
    if frame.empty:
        doc.add_paragraph(empty)
        return
    table = doc.add_table(rows=1, cols=len(frame.columns))
    table.style = "Table Grid"
    for cell, heading in zip(table.rows[0].cells, frame.columns, strict=True):
        cell.text = str(heading)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in frame.itertuples(index=False):
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = str(value)


def _landscape(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))


def packet_docx(packet: Packet) -> bytes:
    doc = Document()
    _landscape(doc)
    doc.styles["Normal"].font.size = Pt(9)
    doc.add_heading(packet.title, level=0)
    doc.add_paragraph(f"Generated {packet.generated_at:%Y-%m-%d %H:%M} UTC from the stored scores. "
                      f"Rankings over {packet.window_text}.")
    doc.add_heading("Rankings with 90 % intervals", level=1)
    if packet.interval_chart is not None:
        doc.add_picture(BytesIO(png_of(packet.interval_chart)), width=Cm(22))
    elif packet.no_intervals:
        doc.add_paragraph(packet.no_intervals)
    _table(doc, packet.rankings, "No vendor to rank in this window.")
    doc.add_heading("Each vendor's trend", level=1)
    if packet.trends:
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, heading in zip(table.rows[0].cells, ["Vendor", f"Monthly composite, {packet.trend_months[0]} to "
                                                                f"{packet.period}", "Latest scored month"], strict=True):
            cell.text = heading
        for trend in packet.trends:
            cells = table.add_row().cells
            cells[0].text, cells[2].text = trend.vendor, trend.latest
            cells[1].paragraphs[0].add_run().add_picture(BytesIO(png_of(trend.chart)), width=Cm(4.5))
    doc.add_paragraph()
    _table(doc, packet.composites, "No composites.")
    doc.add_heading(f"Clauses failed in {packet.period}", level=1)
    _table(doc, packet.failed_clauses, f"No clause failed in {packet.period}.")
    doc.add_heading("Open disputes", level=1)
    _table(doc, packet.disputes, "No dispute is open.")
    doc.add_heading("Open corrective action plans", level=1)
    _table(doc, packet.plans, "No corrective action plan is open.")
    doc.add_heading(f"Action items of the last meeting ({packet.previous_period})" if packet.previous_period
                    else "Action items of the last meeting", level=1)
    _table(doc, packet.previous_items, "No action item was recorded at an earlier meeting.")
    if not packet.carried_items.empty:
        doc.add_heading("Still open from earlier meetings", level=1)
        _table(doc, packet.carried_items, "")
    if not packet.recorded_items.empty:
        doc.add_heading(f"Recorded for the meeting of {packet.period}", level=1)
        _table(doc, packet.recorded_items, "")
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
