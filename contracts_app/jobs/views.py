"""A job's page (live progress bar, then the outcome and a link to the result) and its JSON for polling."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from models import Job, JobStatus, db

from .kinds import COMMIT_UPLOAD, MEETING_PACKET, RECOMPUTE
from .queue import read_pulse
from .services import can_see

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
TITLES = {COMMIT_UPLOAD: "Committing a monthly sheet", RECOMPUTE: "Recomputing scores after an amendment",
          MEETING_PACKET: "Preparing the monthly meeting packet"}


def _visible_job(job_id: int) -> Job:
    job = db.session.get(Job, job_id, options=[joinedload(Job.created_by)])
    if job is None or not can_see(job, current_user._get_current_object()):
        abort(404)
    return job


def job_state(job: Job) -> dict:
    """What the page shows: the row's state, with the live pulse of a running attempt laid over it."""
    done, total, message = job.progress_done, job.progress_total, job.message
    if job.status == JobStatus.RUNNING:
        pulse = read_pulse(job.id)
        if pulse and pulse.get("attempt") == job.attempts:
            done, total, message = pulse["done"], pulse["total"] or total, pulse["message"] or message
    percent = int(100 * done / total) if total else 0
    return {"id": job.id, "kind": job.kind, "status": job.status.value, "done": done, "total": total,
            "percent": min(percent, 100), "message": message or "", "attempts": job.attempts,
            "finished": job.finished, "result_url": result_url(job), "result_label": result_label(job),
            "result_links": result_links(job)}


def result_url(job: Job) -> str | None:
    if job.status != JobStatus.SUCCEEDED or not job.result:
        return None
    if job.kind in (COMMIT_UPLOAD, RECOMPUTE):
        return url_for("scorecards.scorecard", contract_id=job.result["contract_id"])
    if job.kind == MEETING_PACKET:
        return url_for("meetings.download", packet_id=job.id, fmt="pdf")
    return None


def result_links(job: Job) -> list[dict]:
    """Further links of a finished job (the packet's Word document and its meeting), after the main one."""
    if job.kind != MEETING_PACKET or job.status != JobStatus.SUCCEEDED or not job.result:
        return []
    return [{"url": url_for("meetings.download", packet_id=job.id, fmt="docx"), "label": "Download the Word document",
             "testid": "job-result-docx"},
            {"url": url_for("meetings.meeting", category_slug=job.result["category_slug"],
                            period=job.result["period"]), "label": "Back to the meeting", "testid": "job-result-meeting"}]


def result_label(job: Job) -> str | None:
    if job.kind == COMMIT_UPLOAD and job.result:
        return f"See the scorecard with {job.result['period']}"
    if job.kind == RECOMPUTE and job.result:
        return "See the recomputed scorecard"
    if job.kind == MEETING_PACKET and job.result:
        return "Download the PDF"
    return None


@bp.get("/<int:job_id>")
def show(job_id: int):
    job = _visible_job(job_id)
    upload_url = (url_for("uploads.show", upload_id=(job.result or {}).get("upload_id") or job.payload["upload_id"])
                  if job.kind == COMMIT_UPLOAD else None)
    return render_template("jobs/show.html", job=job, state=job_state(job), title=TITLES.get(job.kind, job.kind),
                           upload_url=upload_url)


@bp.get("/<int:job_id>.json")
def state(job_id: int):
    response = jsonify(job_state(_visible_job(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response
