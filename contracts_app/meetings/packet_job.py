"""The meeting packet as a background job: gather, write the PDF and the Word document under the upload
folder with generated names, and record them in the job's result for the downloads."""
from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app

from models import Job, ServiceCategory, db

PACKET_FOLDER = "meeting-packets"
FORMATS = {"pdf": "application/pdf",
           "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def packet_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / PACKET_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def packet_key_prefix(category: ServiceCategory, period: str) -> str:
    return f"meeting-packet:{category.id}:{period}:"


def download_name(result: dict, fmt: str) -> str:
    return f"{result['category_slug']}-{result['period']}-meeting-packet.{fmt}"


def stored_file(job: Job, fmt: str) -> Path | None:
    """The packet file of a finished packet job, or None (not a packet, not finished, or the file is gone)."""
    from ..jobs.kinds import MEETING_PACKET

    if job.kind != MEETING_PACKET or not job.result or fmt not in FORMATS or not job.result.get(fmt):
        return None
    path = packet_folder() / Path(job.result[fmt]).name
    return path if path.is_file() else None


def build_packet(job: Job, progress) -> tuple[str, dict]:
    """Writes both files; returns the job's message and result. A missing category raises LookupError."""
    from .packet import gather_packet
    from .packet_docx import packet_docx
    from .packet_pdf import packet_pdf

    category = db.session.get(ServiceCategory, job.payload["category_id"])
    if category is None:
        raise LookupError("The category no longer exists.")
    period = job.payload["period"]
    progress.set(0, 4, f"Gathering the rankings, clauses, disputes, plans and action items of {period}")
    packet = gather_packet(category, period)
    folder, stem = packet_folder(), secrets.token_hex(16)
    progress.set(1, message="Writing the PDF")
    (folder / f"{stem}.pdf").write_bytes(packet_pdf(packet))
    progress.set(2, message="Writing the Word document")
    (folder / f"{stem}.docx").write_bytes(packet_docx(packet))
    progress.set(3, message="Done")
    result = {"category_id": category.id, "category_slug": category.slug, "category": category.name,
              "period": period, "pdf": f"{stem}.pdf", "docx": f"{stem}.docx", "vendors": len(packet.trends),
              "failed_clauses": len(packet.failed_clauses)}
    return (f"The {category.name} packet for {period} is ready: {len(packet.trends)} vendors, "
            f"{len(packet.failed_clauses)} failed clause results."), result
