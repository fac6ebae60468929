"""The clause schedule of a contract, as a printable page and as a Word document."""
from __future__ import annotations

import io

from flask import Blueprint, abort, make_response, render_template, request, send_file

from .services import DOCX_MIMETYPE, PeriodRefused, Schedule, build_schedule, caps_sentence, schedule_docx

bp = Blueprint("schedules", __name__, url_prefix="/contracts")


def _schedule_or_abort(contract_id: int) -> Schedule:
    try:
        schedule = build_schedule(contract_id, request.args.get("period") or None)
    except PeriodRefused as refused:
        abort(make_response(render_template("errors/400.html", description=str(refused)), 400))
    if schedule is None:
        abort(404)
    return schedule


@bp.get("/<int:contract_id>/schedule")
def schedule(contract_id: int):
    schedule = _schedule_or_abort(contract_id)
    return render_template("schedules/schedule.html", schedule=schedule, caps=caps_sentence(schedule))


@bp.get("/<int:contract_id>/schedule.docx")
def schedule_document(contract_id: int):
    schedule = _schedule_or_abort(contract_id)
    return send_file(
        io.BytesIO(schedule_docx(schedule)),
        mimetype=DOCX_MIMETYPE,
        as_attachment=True,
        download_name=schedule.filename,
        max_age=0,
    )
