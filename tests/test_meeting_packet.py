"""The meeting packet's files (issue 15), read back: the PDF with pypdf, the Word document with python-docx;
and the job path: the page answers at once, a worker runs the queued job, the downloads follow."""
from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from docx.parts.image import ImagePart
from docx.shared import Cm
from pypdf import PdfReader
from pypdf.generic import ContentStream
from sqlalchemy import select

from contracts_app.meetings.packet import gather_packet
from contracts_app.meetings.packet_docx import packet_docx
from contracts_app.meetings.packet_pdf import packet_pdf
from models import Job, JobStatus, Role, db

from .factories import TEST_PASSWORD, UserFactory
from .meeting_city import PERIOD, build_meeting_city
from .notification_support import job_queue, run_queued  # noqa: F401

URL = f"/meetings/street-resurfacing/{PERIOD}"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
VENDORS = ["Northgate Asphalt", "Riverbend Paving", "Cobalt Street Works"]


@pytest.fixture
def city(app):
    return build_meeting_city()


def pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def curves(reader: PdfReader) -> int:
    """Bézier segments (the `c` operator) in the pages' content: the charts' dots are drawn as vector circles,
    while the tables are straight lines and text only."""
    return sum(1 for page in reader.pages for _, operator in ContentStream(page.get_contents(), reader).operations
               if operator == b"c")


def test_the_pdf_reads_back_with_vendors_failed_clause_action_items_and_charts(app, city):
    data = packet_pdf(gather_packet(city.category, PERIOD))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "meeting-packet.pdf").write_bytes(data)  # to look at (pdftoppm), git-ignored
    reader, text = pdf_text(data)
    flat = " ".join(text.split())
    assert "Street resurfacing: monthly meeting packet, 2026-06" in flat
    for vendor in VENDORS:
        assert vendor in flat
    assert "Clauses failed in 2026-06" in flat and "Pavement condition after resurfacing (pci_after)" in flat
    assert "72.50 PCI" in flat and "17.50" in flat
    assert "Audit ten Elm Street work orders" in flat and "Send the corrected April sheet" in flat
    assert "Agree a winter patching protocol" in flat  # carried from an older meeting
    assert "Retrain the rolling crew" in flat and "Readings on Elm Street" in flat
    assert "category mean" in flat  # the interval chart's legend, drawn as text
    # Seven circles of four segments each: three shrunk scores and the legend's dot in the interval chart,
    # and the last month's dot of each vendor's sparkline.
    assert curves(reader) == 4 * (3 + 1 + 3)
    assert reader.metadata.title == "Street resurfacing: monthly meeting packet, 2026-06"


def test_the_word_document_has_headings_tables_and_pictures(app, city):
    document = docx.Document(io.BytesIO(packet_docx(gather_packet(city.category, PERIOD))))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "Street resurfacing: monthly meeting packet, 2026-06"
    assert {"Rankings with 90 % intervals", "Each vendor's trend", "Clauses failed in 2026-06", "Open disputes",
            "Open corrective action plans", "Action items of the last meeting (2026-05)"} <= set(headings)
    cells = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert ["1", "Northgate Asphalt"] == cells[1][:2]
    assert any(row[0] == "Cobalt Street Works" and "72.50 PCI" in row for row in cells)
    assert any("Audit ten Elm Street work orders" in row and "open" in row for row in cells)
    # The interval chart (full width) and a sparkline per vendor, in the trend table's cells, all PNG.
    shapes = list(document.inline_shapes)
    assert [shape.width for shape in shapes] == [Cm(22)] + [Cm(4.5)] * len(VENDORS)
    pictures = [part for part in document.part.package.parts if isinstance(part, ImagePart)]
    assert len(pictures) == 1 + len(VENDORS) and all(part.blob[:8] == b"\x89PNG\r\n\x1a\n" for part in pictures)


def signed_in(app, user):
    client = app.test_client()
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return client


def test_the_packet_is_a_job_whose_files_city_users_download(app, city, job_queue):  # noqa: F811
    client = signed_in(app, city.finance)
    response = client.post(f"{URL}/packet", data={"csrf_token": client.csrf_token(URL)})
    assert response.status_code == 302 and response.location.startswith("/jobs/")
    job = db.session.scalars(select(Job)).one()
    assert job.kind == "meeting_packet" and job.status == JobStatus.QUEUED
    page = client.get(response.location).get_data(as_text=True)
    assert "Preparing the monthly meeting packet" in page and "queued" in page

    assert run_queued(job_queue) == 1
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert "3 vendors, 1 failed clause results" in job.message
    page = client.get(response.location).get_data(as_text=True)
    assert f"/meetings/packets/{job.id}.pdf" in page and f"/meetings/packets/{job.id}.docx" in page
    folder = Path(app.config["UPLOAD_FOLDER"]) / "meeting-packets"
    assert (folder / job.result["pdf"]).is_file() and job.result["pdf"] != "street-resurfacing-2026-06.pdf"

    other = signed_in(app, UserFactory(role=Role.PROCUREMENT))  # any city user downloads it
    pdf = other.get(f"/meetings/packets/{job.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "street-resurfacing-2026-06-meeting-packet.pdf" in pdf.headers["Content-Disposition"]
    assert "Cobalt Street Works" in pdf_text(pdf.data)[1]
    word = other.get(f"/meetings/packets/{job.id}.docx")
    assert word.status_code == 200 and word.data[:2] == b"PK"
    assert f"/meetings/packets/{job.id}.pdf" in other.get(URL).get_data(as_text=True)
    assert other.get(f"/meetings/packets/{job.id}.xlsx").status_code == 404

    vendor = signed_in(app, UserFactory(role=Role.VENDOR))
    assert vendor.get(f"/meetings/packets/{job.id}.pdf").status_code == 404


def test_a_packet_for_a_category_gone_fails_with_a_message(app, city, job_queue):  # noqa: F811
    from contracts_app.jobs.starters import start_packet_job
    from contracts_app.unit_of_work import commit_now

    job = start_packet_job(city.category, PERIOD, city.finance)
    job.payload = {"category_id": 999999, "period": PERIOD}
    commit_now()
    run_queued(job_queue)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == JobStatus.FAILED and job.message == "The category no longer exists."


def test_a_packet_of_a_category_without_contracts_says_so(app):
    from .factories import CategoryFactory

    category = CategoryFactory(name="Tree trimming")
    packet = gather_packet(category, PERIOD)
    _, text = pdf_text(packet_pdf(packet))
    flat = " ".join(text.split())
    assert "No vendor to rank in this window." in flat and "No vendor has a contract in this category." in flat
    assert "No clause failed in 2026-06." in flat and "No action item was recorded at an earlier meeting." in flat
    document = docx.Document(io.BytesIO(packet_docx(packet)))
    assert "No dispute is open." in [p.text for p in document.paragraphs]
    assert len(document.inline_shapes) == 0
