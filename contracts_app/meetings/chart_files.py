"""The pages' SVG charts for documents: a reportlab drawing for the PDF (svglib), a PNG for Word.

The PNG is the same drawing put on a one-page PDF and rasterised by PDFium (pypdfium2 ships it), since
reportlab's own bitmap renderer needs the cairo library, which is not a Python package.
"""
from __future__ import annotations

from io import BytesIO

import pypdfium2
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing
from svglib.svglib import svg2rlg

PNG_SCALE = 3  # 216 dpi: sharp when printed at the drawing's size


def drawing_of(svg: str, width: float | None = None) -> Drawing:
    """The SVG as a reportlab drawing, scaled to `width` points when given."""
    drawing = svg2rlg(BytesIO(str(svg).encode("utf-8")))
    if drawing is None:
        raise ValueError("The chart could not be read as SVG.")
    if width is not None and drawing.width:
        factor = width / drawing.width
        drawing.width, drawing.height = drawing.width * factor, drawing.height * factor
        drawing.scale(factor, factor)
    return drawing


def png_of(svg: str) -> bytes:
    """The SVG drawn as a PNG, on white."""
    pdf = pypdfium2.PdfDocument(renderPDF.drawToString(drawing_of(svg)))
    try:
        image = pdf[0].render(scale=PNG_SCALE).to_pil()
    finally:
        pdf.close()
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
