"""Corrective action plans (SPEC §9): open one, the vendor answers each milestone, the manager marks them
met or missed and closes the plan. Who may do what is checked by the views; this is the work and its rules."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    ActionPlan,
    ActionPlanMilestone,
    Contract,
    ContractStatus,
    MilestoneStatus,
    PlanReason,
    PlanStatus,
    User,
    db,
    today,
    utcnow,
)
from scoring.periods import is_period

from ..audit import record_event, snapshot
from ..notifications import notify
from ..notifications.recipients import contract_managers, vendor_users

TEXT_LIMIT = 4000
MILESTONE_LIMIT = 1000


class PlanInputError(ValueError):
    """What was typed cannot be stored; `problems` pairs a form field (or None) with a message."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


@dataclass(frozen=True)
class MilestoneInput:
    description: str
    due_on: str  # as typed: YYYY-MM-DD


def plan_path(plan: ActionPlan) -> str:
    return f"/action-plans/{plan.id}"


def _with_everything():
    return (joinedload(ActionPlan.contract).joinedload(Contract.vendor),
            joinedload(ActionPlan.opened_by), joinedload(ActionPlan.closed_by),
            selectinload(ActionPlan.milestones).joinedload(ActionPlanMilestone.answered_by),
            selectinload(ActionPlan.milestones).joinedload(ActionPlanMilestone.marked_by))


def get_plan(plan_id: int) -> ActionPlan | None:
    """The plan with everything its page reads, the contract's clauses (their labels) included."""
    return db.session.scalars(select(ActionPlan).where(ActionPlan.id == plan_id).options(
        *_with_everything(), joinedload(ActionPlan.contract).selectinload(Contract.clauses))).unique().first()


def get_contract(contract_id: int) -> Contract | None:
    """The contract a plan is opened on, with what the form reads: its vendor's name and its clauses."""
    return db.session.scalars(select(Contract).where(Contract.id == contract_id)
                              .options(joinedload(Contract.vendor), selectinload(Contract.clauses))).first()


def plans_for_contract(contract_id: int) -> list[ActionPlan]:
    return _plans(select(ActionPlan).where(ActionPlan.contract_id == contract_id))


def plans_for_vendor(vendor_id: int) -> list[ActionPlan]:
    return _plans(select(ActionPlan).join(Contract, Contract.id == ActionPlan.contract_id)
                  .where(Contract.vendor_id == vendor_id))


def all_plans() -> list[ActionPlan]:
    return _plans(select(ActionPlan))


def _plans(query) -> list[ActionPlan]:
    """Open plans first, then the most recently opened."""
    plans = list(db.session.scalars(query.options(*_with_everything()).order_by(ActionPlan.opened_at.desc(),
                                                                                 ActionPlan.id.desc())).unique())
    return sorted(plans, key=lambda p: p.status != PlanStatus.OPEN)


def next_due(plan: ActionPlan) -> ActionPlanMilestone | None:
    pending = [m for m in plan.milestones if m.status == MilestoneStatus.PENDING]
    return min(pending, key=lambda m: m.due_on) if pending else None


def contract_clauses(contract: Contract) -> list[tuple[str, str]]:
    """(key, label) of the contract's clauses, each key once, labelled by its latest version."""
    latest: dict[str, str] = {}
    for clause in sorted(contract.clauses, key=lambda c: c.effective_from):
        latest[clause.key] = clause.label
    return sorted(latest.items(), key=lambda item: item[1].lower())


# --- opening ----------------------------------------------------------------------------------------

def _check_milestones(rows: list[MilestoneInput], opened_on: date) -> tuple[list[tuple[str, date]], list]:
    problems: list[tuple[str | None, str]] = []
    milestones: list[tuple[str, date]] = []
    for index, row in enumerate(rows):
        number, text, typed = index + 1, (row.description or "").strip(), (row.due_on or "").strip()
        if not text and not typed:
            continue
        field = f"milestones-{index}-"
        if not text:
            problems.append((field + "description", f"Milestone {number}: say what is to be done by {typed}."))
        elif len(text) > MILESTONE_LIMIT:
            problems.append((field + "description", f"Milestone {number}: at most {MILESTONE_LIMIT} characters "
                                                    f"(this one has {len(text)})."))
        if not typed:
            problems.append((field + "due_on", f"Milestone {number}: give its due date."))
            continue
        try:
            due = date.fromisoformat(typed)
        except ValueError:
            problems.append((field + "due_on", f"Milestone {number}: '{typed}' is not a date; write it as "
                                               "YYYY-MM-DD, e.g. 2026-09-30."))
            continue
        if due <= opened_on:
            problems.append((field + "due_on", f"Milestone {number}: the due date {due.isoformat()} must be after "
                                               f"the day the plan is opened ({opened_on.isoformat()})."))
            continue
        if text:
            milestones.append((text, due))
    if not milestones and not problems:
        problems.append(("milestones-0-description",
                         "Give at least one milestone: what the vendor is to do, and its due date."))
    return milestones, problems


def open_plan(contract: Contract, actor: User, *, clause_keys: list[str], outcome_required: str,
              milestones: list[MilestoneInput], reason: str = PlanReason.OTHER.value,
              source_period: str | None = None) -> ActionPlan:
    """Opens a plan with its milestones and tells the vendor's users. Refuses anything unclear, storing nothing."""
    opened_on = today()
    problems: list[tuple[str | None, str]] = []
    if contract.status != ContractStatus.ACTIVE:
        problems.append((None, f"{contract.number} is {contract.status.value}: a plan is opened on an active contract."))
    known = dict(contract_clauses(contract))
    keys = [key for key in dict.fromkeys(clause_keys or []) if key]
    if not keys:
        problems.append(("clauses", "Choose at least one clause the plan is about."))
    for key in keys:
        if key not in known:
            problems.append(("clauses", f"'{key}' is not a clause of {contract.number}."))
    outcome = (outcome_required or "").strip()
    if not outcome:
        problems.append(("outcome_required", "Say what outcome the vendor must reach, e.g. 'pothole repairs within "
                                             "48 hours for 95 % of work orders, two months running'."))
    elif len(outcome) > TEXT_LIMIT:
        problems.append(("outcome_required", f"At most {TEXT_LIMIT} characters (this has {len(outcome)})."))
    steps, milestone_problems = _check_milestones(milestones, opened_on)
    problems += milestone_problems
    try:
        plan_reason = PlanReason(reason or PlanReason.OTHER.value)
    except ValueError:
        plan_reason = PlanReason.OTHER
    period = source_period if source_period and is_period(source_period) else None
    if problems:
        raise PlanInputError(problems)
    plan = ActionPlan(contract_id=contract.id, reason=plan_reason, source_period=period, clause_keys=keys,
                      outcome_required=outcome, status=PlanStatus.OPEN, opened_on=opened_on, opened_by_id=actor.id)
    db.session.add(plan)
    db.session.flush()
    rows = [ActionPlanMilestone(plan_id=plan.id, position=number, description=text, due_on=due,
                                status=MilestoneStatus.PENDING)
            for number, (text, due) in enumerate(sorted(steps, key=lambda s: s[1]), start=1)]
    db.session.add_all(rows)
    db.session.flush()
    record_event("action_plan_opened", plan, actor=actor,
                 after={**snapshot(plan), "milestones": [snapshot(m) for m in rows]},
                 summary=f"{contract.number}: action plan #{plan.id} opened ({plan_reason.value.replace('_', ' ')}), "
                         f"{len(rows)} milestone{'s' if len(rows) != 1 else ''}, clauses {', '.join(keys)}")
    first = rows[0]
    notify(vendor_users(contract.vendor_id), "action_plan_opened",
           f"{contract.number}: corrective action plan opened",
           f"{actor.name or actor.email} opened a corrective action plan on {contract.number} ({contract.title}). "
           f"Outcome required: {outcome}\n\nFirst milestone, due {first.due_on.isoformat()}: {first.description}\n"
           "Answer each milestone on the plan's page.", plan_path(plan), actor=actor)
    return plan


# --- answering, marking, closing ------------------------------------------------------------------

def _require_open(plan: ActionPlan, doing: str) -> None:
    if plan.status != PlanStatus.OPEN:
        raise PlanInputError([(None, f"This plan was closed as {plan.status.value} on "
                                     f"{plan.closed_at:%Y-%m-%d}; {doing} is no longer possible.")])


def _require_pending(milestone: ActionPlanMilestone, doing: str) -> None:
    if milestone.status != MilestoneStatus.PENDING:
        raise PlanInputError([(None, f"Milestone {milestone.position} is already marked {milestone.status.value}; "
                                     f"{doing} is no longer possible.")])


def answer_milestone(plan: ActionPlan, milestone: ActionPlanMilestone, vendor_user: User, text: str) -> None:
    """The vendor's answer to a pending milestone (it may be rewritten until the milestone is marked)."""
    _require_open(plan, "answering")
    _require_pending(milestone, "answering it")
    answer = (text or "").strip()
    if not answer:
        raise PlanInputError([("answer", f"Milestone {milestone.position}: write your answer: what was done, "
                                         "or what will be done by the due date.")])
    if len(answer) > TEXT_LIMIT:
        raise PlanInputError([("answer", f"Milestone {milestone.position}: at most {TEXT_LIMIT} characters "
                                         f"(this has {len(answer)}).")])
    before = snapshot(milestone)
    milestone.vendor_answer, milestone.answered_at, milestone.answered_by_id = answer, utcnow(), vendor_user.id
    db.session.flush()
    contract = plan.contract
    record_event("action_plan_answered", milestone, before=before, after=snapshot(milestone), actor=vendor_user,
                 summary=f"{contract.number}: plan #{plan.id} milestone {milestone.position} answered by "
                         f"{vendor_user.email}")
    notify(contract_managers(contract.id), "action_plan_answered",
           f"{contract.number}: milestone {milestone.position} answered",
           f"{contract.vendor.name} answered milestone {milestone.position} ({milestone.description}) of plan "
           f"#{plan.id}:\n\n{answer}\n\nMark the milestone met or missed on the plan's page.", plan_path(plan),
           actor=vendor_user)


def mark_milestone(plan: ActionPlan, milestone: ActionPlanMilestone, manager: User, outcome: str, note: str) -> None:
    _require_open(plan, "marking milestones")
    _require_pending(milestone, "marking it again")
    if outcome not in (MilestoneStatus.MET.value, MilestoneStatus.MISSED.value):
        raise PlanInputError([("outcome", f"Milestone {milestone.position}: choose met or missed.")])
    text = (note or "").strip()
    if len(text) > TEXT_LIMIT:
        raise PlanInputError([("note", f"At most {TEXT_LIMIT} characters (this has {len(text)}).")])
    before = snapshot(milestone)
    milestone.status, milestone.marked_at = MilestoneStatus(outcome), utcnow()
    milestone.marked_by_id, milestone.marking_note = manager.id, text or None
    db.session.flush()
    contract = plan.contract
    record_event("action_plan_milestone_marked", milestone, before=before, after=snapshot(milestone), actor=manager,
                 summary=f"{contract.number}: plan #{plan.id} milestone {milestone.position} marked {outcome}")
    notify(vendor_users(contract.vendor_id), "action_plan_marked",
           f"{contract.number}: milestone {milestone.position} marked {outcome}",
           f"Milestone {milestone.position} of the corrective action plan on {contract.number} "
           f"({milestone.description}) was marked {outcome}." + (f"\n\nThe city's note: {text}" if text else ""),
           plan_path(plan), actor=manager)


def close_plan(plan: ActionPlan, manager: User, outcome: str, note: str) -> None:
    """Closes the plan as completed (every milestone met) or failed, with a note saying why."""
    _require_open(plan, "closing it again")
    if outcome not in (PlanStatus.COMPLETED.value, PlanStatus.FAILED.value):
        raise PlanInputError([("outcome", "Choose how the plan ends: completed or failed.")])
    text = (note or "").strip()
    problems: list[tuple[str | None, str]] = []
    if not text:
        problems.append(("note", "Write a closing note: what was achieved, or why the plan failed."))
    elif len(text) > TEXT_LIMIT:
        problems.append(("note", f"At most {TEXT_LIMIT} characters (this has {len(text)})."))
    if outcome == PlanStatus.COMPLETED.value:
        unmet = [m for m in plan.milestones if m.status != MilestoneStatus.MET]
        if unmet:
            listed = ", ".join(f"{m.position} ({m.status.value})" for m in unmet)
            problems.append(("outcome", f"A plan completes when every milestone is met; not met: milestone {listed}. "
                                        "Mark the pending ones, or close the plan as failed."))
    if problems:
        raise PlanInputError(problems)
    before = snapshot(plan)
    plan.status, plan.closed_at, plan.closed_by_id, plan.closing_note = PlanStatus(outcome), utcnow(), manager.id, text
    db.session.flush()
    contract = plan.contract
    record_event("action_plan_closed", plan, before=before, after=snapshot(plan), actor=manager,
                 summary=f"{contract.number}: plan #{plan.id} closed as {outcome}")
    notify(vendor_users(contract.vendor_id), "action_plan_closed",
           f"{contract.number}: corrective action plan {outcome}",
           f"The corrective action plan on {contract.number} ({contract.title}) was closed as {outcome}.\n\n"
           f"The city's note: {text}", plan_path(plan), actor=manager)
