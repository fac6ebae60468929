"""The month review page (SPEC §8): the vendor comments and disputes; the city resolves."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from models import Contract, DisputeEvidence, Role, db
from scoring.periods import is_period

from ..security import open_to_vendors, require_contract_visible, role_required
from ..unit_of_work import discard_changes
from .forms import CommentForm, CorrectionCommitForm, CorrectionForm, DisputeForm, RejectForm
from .services import (
    DisputeRefused,
    EvidenceUpload,
    add_comment,
    can_resolve,
    contract_for_review,
    correction_reason,
    dispute_of,
    evidence_path,
    is_vendor_of,
    month_record,
    open_dispute,
    reject_dispute,
    stage_correction,
    staged_correction,
)

bp = Blueprint("disputes", __name__)
MEDIA_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "csv": "text/csv",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _user():
    return current_user._get_current_object()


def _contract(contract_id: int, period: str) -> Contract:
    """The contract with the names the month page and a dispute's checks read: its vendor and category."""
    contract = contract_for_review(contract_id) if is_period(period) else None
    if contract is None:
        abort(404)
    require_contract_visible(contract)
    return contract


def _dispute(dispute_id: int):
    dispute = dispute_of(dispute_id)
    if dispute is None:
        abort(404)
    require_contract_visible(dispute.contract)
    return dispute


def _page(contract: Contract, period: str, comment_form=None, dispute_form=None, status: int = 200,
          refusal: str | None = None):
    user = _user()
    record = month_record(contract, period)
    dispute_form = dispute_form or DisputeForm()
    dispute_form.clause_keys.choices = [(r.clause_key, r.clause.label) for r in record.results]
    return render_template(
        "disputes/month.html", record=record, contract=contract, period=period,
        is_vendor=is_vendor_of(user, contract), can_resolve=can_resolve(user, contract),
        comment_form=comment_form or CommentForm(), dispute_form=dispute_form, reject_form=RejectForm(),
        correction_form=CorrectionForm(), staged_correction=staged_correction, refusal=refusal,
    ), status


@bp.get("/contracts/<int:contract_id>/months/<period>")
@open_to_vendors
def month(contract_id: int, period: str):
    return _page(_contract(contract_id, period), period)


@bp.post("/contracts/<int:contract_id>/months/<period>/comments")
@open_to_vendors
@role_required(Role.VENDOR)
def comment(contract_id: int, period: str):
    contract = _contract(contract_id, period)
    form = CommentForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        add_comment(contract, period, form.body.data, _user())
    except DisputeRefused as exc:
        discard_changes()
        contract = _contract(contract_id, period)  # the rollback expired what was loaded
        form.body.errors = [str(exc)]
        return _page(contract, period, comment_form=form, status=422, refusal=f"Comment not added: {exc}")
    flash("Comment added to the month's record.", "success")
    return redirect(url_for("disputes.month", contract_id=contract.id, period=period))


@bp.post("/contracts/<int:contract_id>/months/<period>/disputes")
@open_to_vendors
@role_required(Role.VENDOR)
def open_(contract_id: int, period: str):
    contract = _contract(contract_id, period)
    form = DisputeForm()
    form.clause_keys.choices = []
    if not form.validate_on_submit():
        abort(400)
    files = [EvidenceUpload(f.filename, f.stream) for f in request.files.getlist(form.evidence.name) if f.filename]
    try:
        dispute = open_dispute(contract, period, clause_keys=form.clause_keys.data or [],
                               row_keys_text=form.row_keys.data, reason=form.reason.data, files=files, actor=_user())
    except DisputeRefused as exc:
        discard_changes()
        contract = _contract(contract_id, period)  # the rollback expired what was loaded
        form.reason.errors = [str(exc)]
        return _page(contract, period, dispute_form=form, status=422, refusal=f"Dispute not opened: {exc}")
    flash(f"Dispute #{dispute.id} opened. {contract.number} {period}'s bonus and penalty are on hold until the "
          "city resolves it.", "success")
    return redirect(url_for("disputes.month", contract_id=contract.id, period=period))


@bp.get("/disputes/<int:dispute_id>/evidence/<int:evidence_id>")
@open_to_vendors
def evidence(dispute_id: int, evidence_id: int):
    dispute = _dispute(dispute_id)
    item = db.session.get(DisputeEvidence, evidence_id)
    if item is None or item.dispute_id != dispute.id:
        abort(404)
    path = evidence_path(item)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype=MEDIA_TYPES.get(item.kind, "application/octet-stream"), as_attachment=True,
                     download_name=item.filename)


def _back(dispute):
    return redirect(url_for("disputes.month", contract_id=dispute.contract_id, period=dispute.period))


@bp.post("/disputes/<int:dispute_id>/reject")
@role_required(Role.CONTRACT_MANAGER, Role.FINANCE)
def reject(dispute_id: int):
    dispute = _dispute(dispute_id)
    form = RejectForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        reject_dispute(dispute, form.reason.data, _user())
    except DisputeRefused as exc:
        discard_changes()
        flash(f"Not rejected: {exc}", "danger")
        return _back(dispute)
    flash(f"Dispute #{dispute.id} rejected; the month's bonus and penalty are no longer on hold.", "success")
    return _back(dispute)


@bp.route("/disputes/<int:dispute_id>/uphold", methods=["GET", "POST"])
@role_required(Role.CONTRACT_MANAGER, Role.FINANCE)
def uphold(dispute_id: int):
    """Upholding supersedes the month: upload the corrected sheet, see its check, commit it with the reason."""
    from ..uploads.flow import UploadRefused  # the sheet machinery (numpy, calamine) loads on use

    dispute = _dispute(dispute_id)
    if not can_resolve(_user(), dispute.contract):
        abort(403, description=f"Only finance or a contract manager assigned to {dispute.contract.number} "
                               "resolves its disputes.")
    form = CorrectionForm()
    if form.validate_on_submit():
        try:
            staged = stage_correction(dispute, form.sheet.data.filename, form.sheet.data.stream, _user())
        except (DisputeRefused, UploadRefused) as exc:
            discard_changes()
            form.sheet.errors = [str(exc)]
        else:
            return redirect(url_for("disputes.uphold", dispute_id=dispute.id, staged=staged.id))
    staged = staged_correction(dispute)
    commit_form = CorrectionCommitForm(reason=correction_reason(dispute))
    return render_template("disputes/uphold.html", dispute=dispute, contract=dispute.contract, form=form,
                           staged=staged, report=staged.report if staged else None, commit_form=commit_form)


@bp.post("/disputes/<int:dispute_id>/uphold/commit")
@role_required(Role.CONTRACT_MANAGER, Role.FINANCE)
def commit_correction(dispute_id: int):
    from ..uploads.flow import UploadRefused, commit_staged

    dispute = _dispute(dispute_id)
    staged = staged_correction(dispute)
    form = CorrectionCommitForm()
    if not form.validate_on_submit():
        abort(400)
    if not can_resolve(_user(), dispute.contract) or not dispute.is_open:
        flash(f"Dispute #{dispute.id} is {dispute.status.value}; nothing changed.", "info")
        return _back(dispute)
    if staged is None:
        flash("Upload the corrected sheet first.", "danger")
        return redirect(url_for("disputes.uphold", dispute_id=dispute.id))
    reason = (form.reason.data or "").strip()
    if not reason:
        flash("Not committed: say why the month's data is replaced.", "danger")
        return redirect(url_for("disputes.uphold", dispute_id=dispute.id))
    try:
        commit_staged(staged, _user(), reason)
    except UploadRefused as exc:
        flash(f"Not committed: {exc}", "danger")
        return redirect(url_for("disputes.uphold", dispute_id=dispute.id))
    flash(f"Dispute #{dispute.id} upheld: {staged.filename} now is {dispute.contract.number} {dispute.period}'s data, "
          "and a new review window has started.", "success")
    return _back(dispute)
