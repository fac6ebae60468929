from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from models import ClauseTemplate, Contract, ContractStatus, Role, db

from ..form_choices import select_choices
from ..input_guards import as_id
from ..jobs.services import find_by_key
from ..loading import load_related
from ..security import role_required
from ..unit_of_work import discard_changes
from . import editing
from .forms import ClauseForm, ConfirmForm, ContractForm
from .services import contract_detail, list_contracts

bp = Blueprint("contracts", __name__, url_prefix="/contracts")


# What the contract's forms read: names (vendor, category and its unit) and every clause version.
CONTRACT_PARTS = (joinedload(Contract.vendor), joinedload(Contract.category), selectinload(Contract.clauses))


def _contract_or_404(contract_id: int) -> Contract:
    contract = db.session.get(Contract, contract_id, options=CONTRACT_PARTS)
    if contract is None:
        abort(404)
    return contract


def _show_problems(form, problems) -> None:
    """Puts each problem next to its field, or at the top of the form when it has none."""
    for field, message in problems:
        target = getattr(form, field, None) if field else None
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + [message]
        else:
            form.form_errors.append(message)


@bp.route("/")
def index():
    status = request.args.get("status") or None
    return render_template("contracts/index.html", contracts=list_contracts(status), status=status)


@bp.route("/<int:contract_id>")
def detail(contract_id: int):
    detail = contract_detail(contract_id)
    if detail is None:
        abort(404)
    contract = detail["contract"]
    return render_template(
        "contracts/detail.html", **detail, history=editing.clause_history(contract),
        weight_warnings=editing.weight_warnings(contract), action_form=ConfirmForm(),
    )


def _contract_form(contract: Contract | None = None) -> ContractForm:
    form = ContractForm(obj=contract)
    form.vendor_id.choices = select_choices(editing.vendor_choices())
    form.category_id.choices = select_choices(editing.category_choices())
    return form


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.PROCUREMENT)
def new():
    form = _contract_form()
    if form.validate_on_submit():
        try:
            contract = editing.create_contract(
                {name: form[name].data for name in editing.CONTRACT_FIELDS}, current_user._get_current_object()
            )
        except editing.ContractRuleError as exc:
            _show_problems(form, exc.problems)
        else:
            flash(f"Contract {contract.number} drafted. Add its outcome clauses, then activate it.", "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render_template("contracts/form.html", form=form, contract=None)


@bp.route("/<int:contract_id>/edit", methods=["GET", "POST"])
@role_required(Role.PROCUREMENT)
def edit(contract_id: int):
    contract = _contract_or_404(contract_id)
    form = _contract_form(contract)
    if form.validate_on_submit():
        try:
            editing.update_contract(contract, {name: form[name].data for name in editing.CONTRACT_FIELDS},
                                    current_user._get_current_object())
        except editing.ContractRuleError as exc:
            discard_changes()
            _show_problems(form, exc.problems)
        else:
            flash(f"Contract {contract.number} saved.", "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render_template("contracts/form.html", form=form, contract=contract)


def _status_change(contract_id: int, change, done: str):
    contract = _contract_or_404(contract_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        change(contract, current_user._get_current_object())
    except editing.ContractRuleError as exc:
        discard_changes()
        flash(f"{contract.number} was not changed:", "danger")
        for _field, message in exc.problems:
            flash(message, "danger")
    else:
        flash(done.format(number=contract.number), "success")
    return redirect(url_for("contracts.detail", contract_id=contract_id))


@bp.route("/<int:contract_id>/activate", methods=["POST"])
@role_required(Role.PROCUREMENT)
def activate(contract_id: int):
    return _status_change(contract_id, editing.activate_contract,
                          "Contract {number} is active: its clauses are now scored every month.")


@bp.route("/<int:contract_id>/close", methods=["POST"])
@role_required(Role.PROCUREMENT)
def close(contract_id: int):
    return _status_change(contract_id, editing.close_contract, "Contract {number} is closed.")


def _render_clause_form(contract, form, clause=None, template=None):
    load_related([contract], Contract.vendor, Contract.category, Contract.clauses)  # again after a refusal's rollback
    return render_template(
        "contracts/clause_form.html", contract=contract, form=form, clause=clause,
        templates=editing.template_choices(contract), chosen_template=template,
        amending=contract.status == ContractStatus.ACTIVE,
    )


def _flash_recompute_job(contract: Contract, clause) -> None:
    job = find_by_key(f"recompute:{contract.id}:clause-{clause.id}")
    if job is not None:
        flash(f"Scores from {clause.effective_from} on are being recomputed in the background "
              f"(job #{job.id}, /jobs/{job.id}).", "info")


def _save_clause(contract: Contract, form: ClauseForm, key_before: str | None):
    return editing.save_clause(contract, form.terms(), current_user._get_current_object(),
                               effective_from=form.effective_from.data, reason=form.reason.data, key_before=key_before)


@bp.route("/<int:contract_id>/clauses/new", methods=["GET", "POST"])
@role_required(Role.PROCUREMENT)
def new_clause(contract_id: int):
    contract = _contract_or_404(contract_id)
    if contract.status == ContractStatus.CLOSED:
        abort(404)
    form = ClauseForm()
    template = None
    template_text = request.args.get("template")
    template_id = as_id(template_text)
    if template_text and template_id is None:
        abort(404)
    if template_id:
        template = db.session.get(ClauseTemplate, template_id)
        if template is None or template.category_id != contract.category_id:
            abort(404)
        if request.method == "GET":
            form.fill_from(template)
    if form.validate_on_submit():
        try:
            clause = _save_clause(contract, form, None)
        except editing.ContractRuleError as exc:
            discard_changes()
            _show_problems(form, exc.problems)
        else:
            flash(f"Clause {clause.key} added to {contract.number}.", "success")
            _flash_recompute_job(contract, clause)
            return redirect(url_for("contracts.detail", contract_id=contract.id) + "#clauses")
    return _render_clause_form(contract, form, template=template)


@bp.route("/<int:contract_id>/clauses/<key>/edit", methods=["GET", "POST"])
@role_required(Role.PROCUREMENT)
def edit_clause(contract_id: int, key: str):
    contract = _contract_or_404(contract_id)
    clause = editing.latest_version(contract, key)
    if clause is None or contract.status == ContractStatus.CLOSED:
        abort(404)
    form = ClauseForm()
    if request.method == "GET":
        form.fill_from(clause)
    if form.validate_on_submit():
        try:
            saved = _save_clause(contract, form, key)
        except editing.ContractRuleError as exc:
            discard_changes()
            _show_problems(form, exc.problems)
        else:
            if saved.amendment_reason:
                flash(f"Clause {key} amended from {saved.effective_from}; earlier months keep the old terms.", "success")
            else:
                flash(f"Clause {key} saved.", "success")
            _flash_recompute_job(contract, saved)
            return redirect(url_for("contracts.detail", contract_id=contract.id) + "#clauses")
    return _render_clause_form(contract, form, clause=clause)


@bp.route("/<int:contract_id>/clauses/<key>/remove", methods=["POST"])
@role_required(Role.PROCUREMENT)
def remove_clause(contract_id: int, key: str):
    safe_key = key.replace("{", "{{").replace("}", "}}")
    return _status_change(contract_id, lambda c, actor: editing.remove_draft_clause(c, key, actor),
                          f"Clause {safe_key} removed from {{number}}.")


@bp.route("/<int:contract_id>/clauses/preview", methods=["POST"])
@role_required(Role.PROCUREMENT)
def preview_clause(contract_id: int):
    """The live preview: the same language function the export uses, fed with what is typed so far."""
    contract = _contract_or_404(contract_id)
    form = ClauseForm()
    form.validate()
    return jsonify(editing.preview(contract, form.terms()))
