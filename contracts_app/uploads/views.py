from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from models import Contract, Role, Upload, UploadStatus, db
from scoring.periods import is_period

from ..contracts.forms import ConfirmForm
from ..form_choices import select_choices
from ..jobs.starters import commit_job_of, start_commit_job
from ..loading import load_related
from ..security import role_required
from ..unit_of_work import discard_changes
from .access import require_assignment
from .forms import CommitForm, UploadForm

# The sheet machinery (.flow, .storing: numpy, openpyxl, calamine) is imported inside the views that use it,
# so a process that never reads a sheet (a command, a page) does not load it at start-up.
bp = Blueprint("uploads", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# What the sheet pages read of a contract: its names (vendor, category: unit, row key, date column) and clauses.
CONTRACT_PARTS = (joinedload(Contract.vendor), joinedload(Contract.category), selectinload(Contract.clauses))


def _contract(contract_id: int) -> Contract:
    contract = db.session.get(Contract, contract_id, options=CONTRACT_PARTS)
    if contract is None:
        abort(404)
    return contract


def _upload(upload_id: int) -> Upload:
    upload = db.session.get(Upload, upload_id, options=[
        joinedload(Upload.contract).options(*CONTRACT_PARTS), joinedload(Upload.uploaded_by)])
    if upload is None:
        abort(404)
    return upload


@bp.route("/contracts/<int:contract_id>/sheets", methods=["GET", "POST"])
@role_required(Role.CONTRACT_MANAGER)
def contract_sheets(contract_id: int):
    from .flow import UploadRefused, limits_from_config, stage_upload, upload_months

    contract = _contract(contract_id)
    user = current_user._get_current_object()
    require_assignment(user, contract)
    form = UploadForm()
    form.period.choices = select_choices((p, p) for p in upload_months(contract))
    if request.method == "GET" and request.args.get("period") in {c.value for c in form.period.choices}:
        form.period.data = request.args["period"]  # the data calendar's link to a missing month
    if form.validate_on_submit():
        try:
            outcome = stage_upload(contract, form.period.data, form.sheet.data.filename, form.sheet.data.stream,
                                   user, limits_from_config())
        except UploadRefused as exc:
            discard_changes()
            form.sheet.errors = list(form.sheet.errors) + [str(exc)]
        else:
            if outcome.already_imported is not None:
                done = outcome.already_imported
                flash(f"Already imported: this exact file was committed for {done.period} on "
                      f"{done.committed_at:%Y-%m-%d}. Nothing changed.", "info")
                return redirect(url_for("uploads.contract_sheets", contract_id=contract.id))
            return redirect(url_for("uploads.show", upload_id=outcome.upload.id))
    uploads = list(db.session.scalars(
        select(Upload).options(joinedload(Upload.uploaded_by))
        .where(Upload.contract_id == contract.id).order_by(Upload.period.desc(), Upload.id.desc())))
    template_period = request.args.get("period") or (form.period.choices[0].value if form.period.choices else None)
    return render_template("uploads/contract_sheets.html", contract=contract, form=form, uploads=uploads,
                           template_period=template_period)


@bp.route("/contracts/<int:contract_id>/sheets/template.xlsx")
@role_required(Role.CONTRACT_MANAGER)
def template(contract_id: int):
    from .flow import template_bytes

    contract = _contract(contract_id)
    require_assignment(current_user._get_current_object(), contract)
    period = request.args.get("period", "")
    if not is_period(period) or not contract.covers(period):
        abort(400, description=f"Choose a month inside {contract.number}'s term, written YYYY-MM.")
    return send_file(BytesIO(template_bytes(contract, period)), mimetype=XLSX, as_attachment=True,
                     download_name=f"{contract.number}_{period}_template.xlsx")


@bp.route("/uploads/<int:upload_id>")
@role_required(Role.CONTRACT_MANAGER)
def show(upload_id: int):
    from .storing import committed_by, find_committed

    upload = _upload(upload_id)
    contract = upload.contract  # held: find_committed may re-read this very upload's row, relationships reset
    require_assignment(current_user._get_current_object(), contract)
    committed = find_committed(contract, upload.period)
    load_related([upload], Upload.contract, Upload.uploaded_by)  # from the session again: no query for the contract
    replacing = committed if committed is not None and committed.id != upload.id else None
    replaced_by = (db.session.get(Upload, upload.superseded_by_id)
                   if upload.status == UploadStatus.REPLACED and upload.superseded_by_id else None)
    return render_template("uploads/show.html", upload=upload, report=upload.report, replacing=replacing,
                           replaced_by=replaced_by, replaced_by_who=committed_by(replaced_by) if replaced_by else "",
                           commit_form=CommitForm(), action_form=ConfirmForm(),
                           commit_job=commit_job_of(upload))


@bp.route("/uploads/<int:upload_id>/commit", methods=["POST"])
@role_required(Role.CONTRACT_MANAGER)
def commit(upload_id: int):
    from .flow import AlreadyDone, UploadRefused, commit_staged
    from .storing import find_committed

    upload = _upload(upload_id)
    require_assignment(current_user._get_current_object(), upload.contract)
    form = CommitForm()
    if not form.validate_on_submit():
        abort(400)
    if upload.status == UploadStatus.STAGED and upload.row_count >= current_app.config["JOBS_COMMIT_ROWS_THRESHOLD"]:
        committed = find_committed(upload.contract, upload.period)
        if committed is not None and committed.sha256 != upload.sha256 and not (form.reason.data or "").strip():
            flash(f"Not committed: {upload.period} already has committed data ({committed.filename}); "
                  "say why it is replaced.", "danger")
            return redirect(url_for("uploads.show", upload_id=upload.id))
        job = start_commit_job(upload, current_user._get_current_object(), form.reason.data)
        return redirect(url_for("jobs.show", job_id=job.id))
    try:
        outcome = commit_staged(upload, current_user._get_current_object(), form.reason.data)
    except AlreadyDone as exc:
        discard_changes()
        flash(str(exc), "info")
        return redirect(url_for("uploads.show", upload_id=upload.id))
    except UploadRefused as exc:
        # The redirect keeps the refreshed report (the boundary commits it); a refusal writes no row.
        flash(f"Not committed: {exc}", "danger")
        return redirect(url_for("uploads.show", upload_id=upload.id))
    window = (f" {upload.contract.vendor.name} may comment on and dispute the month until "
              f"{outcome.upload.review_closes_at:%Y-%m-%d %H:%M} UTC." if outcome.upload.review_closes_at else "")
    if outcome.already_imported:
        flash("Already imported: this exact file is the month's committed data. Nothing changed.", "info")
    elif outcome.replaced is not None:
        flash(f"Committed {upload.row_count} rows for {upload.period}, replacing {outcome.replaced.filename} "
              f"(kept, readable, marked superseded).{window}", "success")
    else:
        flash(f"Committed {upload.row_count} rows for {upload.period}.{window}", "success")
    return redirect(url_for("uploads.show", upload_id=outcome.upload.id))


@bp.route("/uploads/<int:upload_id>/discard", methods=["POST"])
@role_required(Role.CONTRACT_MANAGER)
def discard(upload_id: int):
    from .flow import UploadRefused, discard_staged

    upload = _upload(upload_id)
    require_assignment(current_user._get_current_object(), upload.contract)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        discard_staged(upload, current_user._get_current_object())
    except UploadRefused as exc:
        discard_changes()
        flash(str(exc), "danger")
        return redirect(url_for("uploads.show", upload_id=upload.id))
    flash(f"{upload.filename} discarded; nothing was stored.", "info")
    return redirect(url_for("uploads.contract_sheets", contract_id=upload.contract_id))


@bp.route("/uploads/<int:upload_id>/marked.xlsx")
@role_required(Role.CONTRACT_MANAGER)
def marked(upload_id: int):
    from .flow import UploadRefused, marked_up_bytes

    upload = _upload(upload_id)
    require_assignment(current_user._get_current_object(), upload.contract)
    try:
        data = marked_up_bytes(upload)
    except UploadRefused as exc:
        flash(str(exc), "danger")
        return redirect(url_for("uploads.show", upload_id=upload.id))
    stem = upload.filename.rsplit(".", 1)[0]
    return send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=f"{stem}_checked.xlsx")
