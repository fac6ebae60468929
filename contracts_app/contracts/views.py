from dataclasses import dataclass

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
from .forms import ClauseForm, ConfirmForm, ContractForm, ReopenForm, StatusChangeForm
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
    """The contract form; its vendors are the chosen category's (and vendors with no contract yet), or every
    vendor when asked for. The category comes from the form (POST), the query string (the first step of a new
    contract, which works without JavaScript) or the contract."""
    form = ContractForm(obj=contract)
    form.category_id.choices = select_choices(editing.category_choices())
    if request.method == "GET":
        chosen = as_id(request.args.get("category") or "")
        if chosen and chosen in {c.value for c in form.category_id.choices}:
            form.category_id.data = chosen
        form.every_vendor.data = "1" if request.args.get("vendors") == "all" else ""
    category_id = as_id(form.category_id.data)  # typed text: a huge number is no category (never a database error)
    if form.every_vendor.data == "1":
        vendors = editing.vendor_choices()
    else:
        vendors = editing.vendors_for_category(category_id, contract.vendor_id if contract else None)
    form.vendor_id.choices = select_choices(vendors)
    return form


def _name_the_vendor_refusal(form: ContractForm) -> None:
    """A vendor outside the category's list gets a message saying why and what to do, not "Not a valid choice"."""
    if form.vendor_id.errors and form.vendor_id.data not in {c.value for c in form.vendor_id.choices}:
        category = dict(editing.category_choices()).get(form.category_id.data, "this category")
        form.vendor_id.errors = [f"That vendor has no contract in {category}. Choose one of the vendors listed, or "
                                 "“offer every vendor” for a vendor new to this category."]


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.PROCUREMENT)
def new():
    form = _contract_form()
    valid = form.validate_on_submit()
    if form.is_submitted() and not valid:
        _name_the_vendor_refusal(form)
    if valid:
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
    valid = form.validate_on_submit()
    if form.is_submitted() and not valid:
        _name_the_vendor_refusal(form)
    if valid:
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


@dataclass(frozen=True)
class StatusStep:
    """What a confirm page says before a contract's status changes, and what it does."""

    title: str
    from_status: ContractStatus
    consequences: tuple[str, ...]
    checkbox: str
    button: str
    done: str
    button_class: str = "btn-primary"


STEPS = {
    "activate": StatusStep(
        "Activate contract", ContractStatus.DRAFT,
        ("Its clauses are scored every month from the first month of its term.",
         "Its number, vendor and category can no longer be changed; clause changes become dated amendments.",
         "It counts in rankings and in work reallocation for its category.",
         "This cannot be undone: an active contract never goes back to draft."),
        "I understand that activating cannot be undone.", "Activate contract",
        "Contract {number} is active: its clauses are now scored every month.", "btn-success"),
    "close": StatusStep(
        "Close contract", ContractStatus.ACTIVE,
        ("No more monthly sheets can be uploaded and no clause can be amended.",
         "It gets no work in reallocations from now on; its past scores and payments stay readable.",
         "You cannot undo this yourself: only an administrator can reopen a closed contract."),
        "I understand that closing cannot be undone by procurement.", "Close contract",
        "Contract {number} is closed.", "btn-danger"),
    "reopen": StatusStep(
        "Reopen contract", ContractStatus.CLOSED,
        ("The contract is active again: monthly sheets can be uploaded and clauses amended.",
         "It counts again in rankings and work reallocation for its category.",
         "Your reason is kept in the audit log with your name."),
        "I understand that the contract becomes active again.", "Reopen contract",
        "Contract {number} is reopened and active again.", "btn-primary"),
}


def _confirmed_status_change(contract_id: int, action: str):
    """GET: the confirm page; POST: the change, only with the box ticked (and, to reopen, a reason)."""
    contract = _contract_or_404(contract_id)
    step = STEPS[action]
    if contract.status != step.from_status:
        flash(f"{contract.number} is {contract.status.value}: nothing to {action}.", "info")
        return redirect(url_for("contracts.detail", contract_id=contract_id))
    form = ReopenForm() if action == "reopen" else StatusChangeForm()
    form.confirm.label.text = step.checkbox
    form.submit.label.text = step.button
    problems = editing.activation_problems(contract) if action == "activate" else []
    if not problems and form.validate_on_submit():
        actor = current_user._get_current_object()
        try:
            if action == "reopen":
                editing.reopen_contract(contract, actor, form.reason.data)
            else:
                {"activate": editing.activate_contract, "close": editing.close_contract}[action](contract, actor)
        except editing.ContractRuleError as exc:
            discard_changes()
            _show_problems(form, exc.problems)
        else:
            flash(step.done.format(number=contract.number), "success")
            return redirect(url_for("contracts.detail", contract_id=contract_id))
    status = 400 if request.method == "POST" else 200
    return render_template("contracts/confirm.html", contract=contract, step=step, form=form, action=action,
                           problems=[message for _field, message in problems]), status


@bp.route("/<int:contract_id>/activate", methods=["GET", "POST"])
@role_required(Role.PROCUREMENT)
def activate(contract_id: int):
    return _confirmed_status_change(contract_id, "activate")


@bp.route("/<int:contract_id>/close", methods=["GET", "POST"])
@role_required(Role.PROCUREMENT)
def close(contract_id: int):
    return _confirmed_status_change(contract_id, "close")


@bp.route("/<int:contract_id>/reopen", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def reopen(contract_id: int):
    return _confirmed_status_change(contract_id, "reopen")


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
