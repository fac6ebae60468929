"""Corrective action plans: a contract manager opens, marks and closes them; the vendor's users answer them."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from models import ActionPlan, ActionPlanMilestone, Contract, PlanReason, Role, today
from scoring.periods import is_period

from ..form_choices import select_choices
from ..loading import load_related
from ..notifications.recipients import vendor_users
from ..security import open_to_vendors, require_contract_visible, role_required, vendor_scope
from ..unit_of_work import discard_changes
from ..uploads.access import is_assigned, require_assignment
from .forms import AnswerForm, CloseForm, MarkForm, OpenPlanForm
from .services import (
    MilestoneInput,
    PlanInputError,
    all_plans,
    answer_milestone,
    close_plan,
    contract_clauses,
    get_contract,
    get_plan,
    mark_milestone,
    next_due,
    open_plan,
    plans_for_contract,
    plans_for_vendor,
)

bp = Blueprint("action_plans", __name__)


def _show_problems(form, problems) -> None:
    """Each message next to its field (milestones-2-due_on names a row's field), else at the top of the form."""
    for name, message in problems:
        field = form
        for part in (name or "").split("-") if name else []:
            field = field[int(part)] if part.isdigit() else getattr(field, part, None)
            if field is None:
                break
        if name and field is not None and field is not form and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(message)


def _who_was_told(contract: Contract) -> str:
    told = len(vendor_users(contract.vendor_id))
    if not told:
        return f"{contract.vendor.name} has no user accounts here yet, so nobody there was told: tell them yourself."
    return f"{told} user{'s' if told != 1 else ''} of {contract.vendor.name} {'were' if told != 1 else 'was'} told."


def _plan(plan_id: int) -> ActionPlan:
    plan = get_plan(plan_id)
    if plan is None:
        abort(404)
    require_contract_visible(plan.contract)
    return plan


def _milestone(plan: ActionPlan, milestone_id: int) -> ActionPlanMilestone:
    milestone = next((m for m in plan.milestones if m.id == milestone_id), None)
    if milestone is None:
        abort(404)
    return milestone


@bp.route("/contracts/<int:contract_id>/action-plans/new", methods=["GET", "POST"])
@role_required(Role.CONTRACT_MANAGER)
def new(contract_id: int):
    contract = get_contract(contract_id)
    if contract is None:
        abort(404)
    user = current_user._get_current_object()
    require_assignment(user, contract)
    form, refused = OpenPlanForm(), False
    form.clauses.choices = select_choices(contract_clauses(contract))
    if request.method == "GET":
        form.reason.data = request.args.get("reason") or (PlanReason.FAILED_CLAUSE.value if request.args.get("clause")
                                                          else PlanReason.OTHER.value)
        period = request.args.get("period") or ""
        form.source_period.data = period if is_period(period) else ""
        form.clauses.data = [request.args["clause"]] if request.args.get("clause") else []
    elif form.validate_on_submit():
        rows = [MilestoneInput(row.form.description.data or "", row.form.due_on.data or "") for row in form.milestones]
        try:
            plan = open_plan(contract, user, clause_keys=form.clauses.data or [],
                             outcome_required=form.outcome_required.data or "", milestones=rows,
                             reason=form.reason.data or "", source_period=form.source_period.data or None)
        except PlanInputError as exc:
            discard_changes()
            load_related([contract], Contract.vendor, Contract.clauses)  # the rollback expired them
            _show_problems(form, exc.problems)
            refused = True
        else:
            flash(f"Action plan #{plan.id} opened on {contract.number}. {_who_was_told(contract)}", "success")
            return redirect(url_for("action_plans.show", plan_id=plan.id))
    return render_template("action_plans/new.html", contract=contract, form=form, opened_on=today(),
                           refused=refused)


@bp.get("/action-plans/")
@open_to_vendors
def index():
    scope = vendor_scope(current_user)
    plans = plans_for_vendor(scope) if scope is not None else all_plans()
    return render_template("action_plans/index.html", plans=plans, next_due=next_due)


@bp.get("/action-plans/<int:plan_id>")
@open_to_vendors
def show(plan_id: int):
    return _render_plan(_plan(plan_id))


def _render_plan(plan: ActionPlan, *, answer_form: AnswerForm | None = None, answering: int | None = None,
                 mark_form: MarkForm | None = None, marking: int | None = None, close_form: CloseForm | None = None,
                 status: int = 200):  # a form shown again with its messages answers 200, like every form here
    user = current_user._get_current_object()
    can_manage = user.role == Role.CONTRACT_MANAGER and is_assigned(user, plan.contract)
    can_answer = user.role == Role.VENDOR and user.vendor_id == plan.contract.vendor_id
    refusals = [message for form in (answer_form, mark_form, close_form) if form is not None
                for message in form.form_errors]
    return render_template("action_plans/show.html", plan=plan, refusals=refusals, contract=plan.contract, can_manage=can_manage,
                           can_answer=can_answer, answer_form=answer_form or AnswerForm(), answering=answering,
                           mark_form=mark_form or MarkForm(), marking=marking, close_form=close_form or CloseForm(),
                           clause_labels=dict(contract_clauses(plan.contract)),
                           next_due=next_due(plan)), status


@bp.post("/action-plans/<int:plan_id>/milestones/<int:milestone_id>/answer")
@open_to_vendors
@role_required(Role.VENDOR)
def answer(plan_id: int, milestone_id: int):
    plan = _plan(plan_id)  # another vendor's plan: 404
    milestone = _milestone(plan, milestone_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            answer_milestone(plan, milestone, current_user._get_current_object(), form.answer.data or "")
        except PlanInputError as exc:
            discard_changes()
            plan = _plan(plan_id)  # the rollback expired what was loaded: read it again, in one query
            _show_problems(form, exc.problems)
        else:
            flash(f"Your answer to milestone {milestone.position} was sent to the city.", "success")
            return redirect(url_for("action_plans.show", plan_id=plan.id, _anchor=f"milestone-{milestone.position}"))
    return _render_plan(plan, answer_form=form, answering=milestone.id)


def _managed_plan(plan_id: int) -> ActionPlan:
    plan = _plan(plan_id)
    require_assignment(current_user._get_current_object(), plan.contract)
    return plan


@bp.post("/action-plans/<int:plan_id>/milestones/<int:milestone_id>/mark")
@role_required(Role.CONTRACT_MANAGER)
def mark(plan_id: int, milestone_id: int):
    plan = _managed_plan(plan_id)
    milestone = _milestone(plan, milestone_id)
    form = MarkForm()
    if form.validate_on_submit():
        try:
            mark_milestone(plan, milestone, current_user._get_current_object(), form.outcome.data or "",
                           form.note.data or "")
        except PlanInputError as exc:
            discard_changes()
            plan = _plan(plan_id)  # the rollback expired what was loaded: read it again, in one query
            _show_problems(form, exc.problems)
        else:
            flash(f"Milestone {milestone.position} marked {form.outcome.data}. {_who_was_told(plan.contract)}",
                  "success")
            return redirect(url_for("action_plans.show", plan_id=plan.id, _anchor=f"milestone-{milestone.position}"))
    return _render_plan(plan, mark_form=form, marking=milestone.id)


@bp.post("/action-plans/<int:plan_id>/close")
@role_required(Role.CONTRACT_MANAGER)
def close(plan_id: int):
    plan = _managed_plan(plan_id)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            close_plan(plan, current_user._get_current_object(), form.outcome.data or "", form.note.data or "")
        except PlanInputError as exc:
            discard_changes()
            plan = _plan(plan_id)  # the rollback expired what was loaded: read it again, in one query
            _show_problems(form, exc.problems)
        else:
            flash(f"Plan #{plan.id} closed as {form.outcome.data}. {_who_was_told(plan.contract)}", "success")
            return redirect(url_for("action_plans.show", plan_id=plan.id))
    return _render_plan(plan, close_form=form)


def can_open_plan(contract: Contract) -> bool:
    """The signed-in user may open a plan on the contract (an assigned contract manager); once per request."""
    if not current_user.is_authenticated or current_user.role != Role.CONTRACT_MANAGER:
        return False
    known = g.setdefault("plan_openers", {})
    if contract.id not in known:
        known[contract.id] = is_assigned(current_user._get_current_object(), contract)
    return known[contract.id]


@bp.app_context_processor
def plan_helpers():
    """What the contract, vendor and scorecard pages need to show plans and the links that open them."""
    return {"plan_reason_words": lambda plan: {"failed_clause": "a failed clause", "probation": "probation",
                                               "other": "the manager's judgement"}[plan.reason.value],
            "can_open_plan": can_open_plan, "plans_of_contract": plans_for_contract,
            "plans_of_vendor": plans_for_vendor, "next_plan_due": next_due}
