"""The daily reminder of milestones coming due: the plan's contract managers and the vendor's users are told,
once per milestone and day (the notification's dedupe key), however often the job runs."""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import ActionPlan, ActionPlanMilestone, Contract, MilestoneStatus, PlanStatus, db, today

from ..notifications import notify
from ..notifications.recipients import contract_managers, vendor_users
from .services import plan_path

MILESTONE_DUE = "milestone_due"
MILESTONE_OVERDUE = "milestone_overdue"


def _when(due: date, day: date) -> str:
    days = (due - day).days
    return "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"


def _pending(*conditions) -> list[ActionPlanMilestone]:
    return list(db.session.scalars(
        select(ActionPlanMilestone).join(ActionPlan, ActionPlan.id == ActionPlanMilestone.plan_id)
        .where(ActionPlan.status == PlanStatus.OPEN, ActionPlanMilestone.status == MilestoneStatus.PENDING, *conditions)
        .options(joinedload(ActionPlanMilestone.plan).joinedload(ActionPlan.contract).joinedload(Contract.vendor))
        .order_by(ActionPlanMilestone.due_on, ActionPlanMilestone.id)))


def remind_milestones_due(day: date | None = None) -> int:
    """Tells people about each pending milestone of an open plan due within MILESTONE_REMINDER_DAYS of `day`,
    and the contract managers, once, about each one past its due date and not yet marked.
    Returns the number of notifications written (0 when the day's reminders went out already)."""
    day = day or today()
    horizon = day + timedelta(days=current_app.config["MILESTONE_REMINDER_DAYS"])
    written = 0
    for milestone in _pending(ActionPlanMilestone.due_on >= day, ActionPlanMilestone.due_on <= horizon):
        plan, contract = milestone.plan, milestone.plan.contract
        when = _when(milestone.due_on, day)
        answered = ("The vendor has answered it." if milestone.vendor_answer
                    else "The vendor has not answered it yet.")
        written += len(notify(
            contract_managers(contract.id) + vendor_users(contract.vendor_id), MILESTONE_DUE,
            f"{contract.number}: action plan milestone {milestone.position} due {when}",
            f"Milestone {milestone.position} of the corrective action plan on {contract.number} ({contract.title}, "
            f"{contract.vendor.name}) is due {when}, on {milestone.due_on.isoformat()}: {milestone.description}\n"
            f"{answered} The vendor answers it on the plan's page; the contract manager marks it met or missed.",
            plan_path(plan), dedupe_key=f"milestone-due:{milestone.id}:{day.isoformat()}"))
    for milestone in _pending(ActionPlanMilestone.due_on < day):
        plan, contract = milestone.plan, milestone.plan.contract
        written += len(notify(
            contract_managers(contract.id), MILESTONE_OVERDUE,
            f"{contract.number}: action plan milestone {milestone.position} is past due, not yet marked",
            f"Milestone {milestone.position} of the corrective action plan on {contract.number} ({contract.vendor.name}) "
            f"was due on {milestone.due_on.isoformat()}: {milestone.description}\nMark it met or missed on the plan's "
            "page.", plan_path(plan), dedupe_key=f"milestone-overdue:{milestone.id}"))
    return written
