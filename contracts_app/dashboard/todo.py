"""Each role's to-do list on the dashboard (issue 15): what is waiting, why, and a link to where it is fixed.

Every list is a fixed handful of queries whatever the amount of data (tests/test_query_counts.py).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from models import (
    ActionPlan,
    ActionPlanMilestone,
    AuditEvent,
    Contract,
    ContractAssignment,
    ContractPeriodScore,
    ContractStatus,
    Dispute,
    DisputeStatus,
    MilestoneStatus,
    PlanStatus,
    Recommendation,
    RecommendationStatus,
    Role,
    ServiceCategory,
    SignInThrottle,
    Upload,
    UploadStatus,
    User,
    Vendor,
    db,
    today,
    utcnow,
)
from scoring.periods import add_months, period_of, period_range, sheet_due_on
from scoring.rankings import DEFAULT_PROBATION_THRESHOLD, on_probation

RENEWAL_HORIZON_DAYS = 120  # procurement is told of contracts ending this soon
LIST_LIMIT = 50  # items shown per section; the section says how many more there are


@dataclass(frozen=True)
class TodoItem:
    """One thing to do: what, why, and the link that leads to the fix."""

    what: str
    why: str
    link: str
    link_text: str
    kind: str = ""  # a word for the badge: overdue, due, staged, dispute, ...


@dataclass
class TodoSection:
    title: str
    empty: str  # what the section says when nothing is waiting
    items: list[TodoItem] = field(default_factory=list)

    @property
    def shown(self) -> list[TodoItem]:
        return self.items[:LIST_LIMIT]

    @property
    def more(self) -> int:
        return max(0, len(self.items) - LIST_LIMIT)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def last_finished_period() -> str:
    """The month before this one: the latest month whose sheet can be complete."""
    return add_months(period_of(today()), -1)


def _open_disputes(contract_ids: list[int] | None) -> list[TodoItem]:
    query = (select(Dispute.contract_id, Dispute.period, Contract.number, func.count(Dispute.id),
                    func.min(Dispute.opened_at))
             .join(Contract, Contract.id == Dispute.contract_id)
             .where(Dispute.status == DisputeStatus.OPEN)
             .group_by(Dispute.contract_id, Dispute.period, Contract.number)
             .order_by(func.min(Dispute.opened_at)))
    if contract_ids is not None:
        query = query.where(Dispute.contract_id.in_(contract_ids))
    items = []
    for contract_id, period, number, count, opened_at in db.session.execute(query):
        items.append(TodoItem(
            what=f"{number} {period}: {_plural(count, 'open dispute')}",
            why=f"the vendor disputed this month (since {opened_at:%Y-%m-%d}); its bonus and penalty are on hold "
                "until the dispute is upheld or rejected",
            link=url_for("disputes.month", contract_id=contract_id, period=period),
            link_text="Resolve on the month's page", kind="dispute"))
    return items


def manager_sections(user: User) -> list[TodoSection]:
    """Sheets due and overdue, staged sheets to commit, disputes to resolve, milestones to mark."""
    contracts = list(db.session.scalars(
        select(Contract).options(joinedload(Contract.category))
        .join(ContractAssignment, ContractAssignment.contract_id == Contract.id)
        .where(ContractAssignment.user_id == user.id, Contract.status != ContractStatus.DRAFT)
        .order_by(Contract.number)))
    ids = [c.id for c in contracts]
    uploads = db.session.execute(
        select(Upload.id, Upload.contract_id, Upload.period, Upload.status, Upload.uploaded_at, Upload.report)
        .where(Upload.contract_id.in_(ids), Upload.status.in_([UploadStatus.COMMITTED, UploadStatus.STAGED]))
        .order_by(Upload.uploaded_at)).all() if ids else []
    committed = {(u.contract_id, u.period) for u in uploads if u.status == UploadStatus.COMMITTED}
    staged = [u for u in uploads if u.status == UploadStatus.STAGED]
    staged_months = {(u.contract_id, u.period) for u in staged}
    now, last = today(), last_finished_period()
    overdue, due = [], []
    for contract in contracts:
        first = period_of(contract.start_date)
        end = min(period_of(contract.end_date), last)
        for period in period_range(first, end) if first <= end else []:
            if (contract.id, period) in committed:
                continue
            due_on = sheet_due_on(period, contract.category.sheet_due_days)
            waiting = " A sheet is staged for it: commit it (below)." if (contract.id, period) in staged_months else ""
            link = url_for("uploads.contract_sheets", contract_id=contract.id, period=period)
            if now > due_on:
                late = (now - due_on).days
                overdue.append((due_on, TodoItem(
                    what=f"{contract.number} {period}: sheet overdue",
                    why=f"due {due_on:%Y-%m-%d}, {_plural(late, 'day')} ago; no sheet is committed, so the month "
                        f"is not scored.{waiting}",
                    link=link, link_text="Upload the sheet", kind="overdue")))
            else:
                left = (due_on - now).days
                due.append((due_on, TodoItem(
                    what=f"{contract.number} {period}: sheet due",
                    why=f"due {due_on:%Y-%m-%d}, in {_plural(left, 'day')}.{waiting}",
                    link=link, link_text="Upload the sheet", kind="due")))
    numbers = {c.id: c.number for c in contracts}
    staged_items = [TodoItem(
        what=f"{numbers[u.contract_id]} {u.period}: sheet staged, not committed",
        why=(f"uploaded {u.uploaded_at:%Y-%m-%d}; the check found {_plural(u.report.get('error_count', 0), 'error')}"
             if (u.report or {}).get("error_count") else f"uploaded {u.uploaded_at:%Y-%m-%d}; nothing is stored "
             "until it is committed"),
        link=url_for("uploads.show", upload_id=u.id), link_text="Read the check and commit", kind="staged")
        for u in staged]
    milestones = db.session.execute(
        select(ActionPlanMilestone.description, ActionPlanMilestone.due_on, ActionPlanMilestone.vendor_answer,
               ActionPlan.id, Contract.number)
        .join(ActionPlan, ActionPlan.id == ActionPlanMilestone.plan_id)
        .join(Contract, Contract.id == ActionPlan.contract_id)
        .where(ActionPlan.contract_id.in_(ids), ActionPlan.status == PlanStatus.OPEN,
               ActionPlanMilestone.status == MilestoneStatus.PENDING,
               or_(ActionPlanMilestone.due_on <= now, ActionPlanMilestone.vendor_answer.is_not(None)))
        .order_by(ActionPlanMilestone.due_on)).all() if ids else []
    milestone_items = [TodoItem(
        what=f"{number}: milestone “{description[:80]}”",
        why=(f"due {due_on:%Y-%m-%d}; " + ("the vendor has answered: mark it met or missed"
                                          if answer else "the due date has come: mark it met or missed")),
        link=url_for("action_plans.show", plan_id=plan_id), link_text="Mark it on the plan", kind="milestone")
        for description, due_on, answer, plan_id, number in milestones]
    return [
        TodoSection("Overdue sheets", "No sheet is overdue.", [item for _, item in sorted(overdue, key=_by_date)]),
        TodoSection("Sheets due soon", "No sheet is due before its deadline.",
                    [item for _, item in sorted(due, key=_by_date)]),
        TodoSection("Staged sheets waiting for a commit", "No sheet is waiting for a commit.", staged_items),
        TodoSection("Open disputes on your contracts", "No dispute is open on your contracts.",
                    _open_disputes(ids) if ids else []),
        TodoSection("Action-plan milestones to mark", "No milestone is waiting to be marked.", milestone_items),
    ]


def _by_date(pair: tuple) -> tuple:
    return (pair[0], pair[1].what)


def _uninvoiced() -> list[TodoItem]:
    rows = db.session.execute(
        select(ContractPeriodScore.period, Contract.id, Contract.number)
        .join(Contract, Contract.id == ContractPeriodScore.contract_id)
        .where(ContractPeriodScore.composite.is_not(None), ContractPeriodScore.invoice_amount.is_(None))
        .order_by(ContractPeriodScore.period.desc(), Contract.number)).all()
    by_period: dict[str, list[str]] = defaultdict(list)
    first_of: dict[str, int] = {}
    for period, contract_id, number in rows:
        by_period[period].append(number)
        first_of.setdefault(period, contract_id)
    items = []
    for period, numbers in by_period.items():
        shown = ", ".join(numbers[:8]) + (f" and {len(numbers) - 8} more" if len(numbers) > 8 else "")
        items.append(TodoItem(
            what=f"{period}: {_plural(len(numbers), 'scored contract')} without an invoice ({shown})",
            why="no bonus or penalty is worked out until the invoice amount is entered",
            link=url_for("payments.index", period=period) + f"#contract-{first_of[period]}",
            link_text="Enter the invoices", kind="invoice"))
    return items


def _awaiting_approval(user: User) -> list[TodoItem]:
    query = (select(Recommendation).options(joinedload(Recommendation.category), joinedload(Recommendation.created_by))
             .where(Recommendation.status == RecommendationStatus.DRAFT).order_by(Recommendation.created_at))
    if not current_app.config["ALLOW_SELF_APPROVAL"]:
        query = query.where(or_(Recommendation.created_by_id.is_(None), Recommendation.created_by_id != user.id))
    return [TodoItem(
        what=f"{r.category.name} {r.target_period}: draft recommendation #{r.id}",
        why=f"drafted {r.created_at:%Y-%m-%d} by {r.created_by.email if r.created_by else 'the system'}; "
            "it needs a second finance user's approval before the work is reallocated",
        link=url_for("recommendations.show", recommendation_id=r.id), link_text="Review and approve",
        kind="approval") for r in db.session.scalars(query)]


def newly_on_probation() -> list[tuple[str, str, str, str]]:
    """(vendor name, category name, category slug, month) for each vendor that entered probation at its
    category's latest scored month: on probation at that month and not at the month before (SPEC §3).
    One query for every category."""
    rows = db.session.execute(
        select(ServiceCategory.id, ServiceCategory.name, ServiceCategory.slug, Vendor.id, Vendor.name,
               ContractPeriodScore.period,
               func.sum(ContractPeriodScore.composite * ContractPeriodScore.observations),
               func.sum(ContractPeriodScore.observations))
        .join(Contract, Contract.id == ContractPeriodScore.contract_id)
        .join(ServiceCategory, ServiceCategory.id == Contract.category_id)
        .join(Vendor, Vendor.id == Contract.vendor_id)
        .where(ContractPeriodScore.composite.is_not(None), ContractPeriodScore.observations > 0)
        .group_by(ServiceCategory.id, ServiceCategory.name, ServiceCategory.slug, Vendor.id, Vendor.name,
                  ContractPeriodScore.period)).all()
    history: dict[tuple, dict[str, float]] = defaultdict(dict)
    latest: dict[int, str] = {}
    for category_id, category_name, slug, vendor_id, vendor_name, period, total, count in rows:
        history[(category_id, category_name, slug, vendor_id, vendor_name)][period] = float(total) / float(count)
        latest[category_id] = max(latest.get(category_id, period), period)
    entered = []
    for (category_id, category_name, slug, _, vendor_name), composites in history.items():
        month = latest[category_id]
        before = add_months(month, -1)
        if (on_probation(_two_latest(composites, month), month, DEFAULT_PROBATION_THRESHOLD)
                and not on_probation(_two_latest(composites, before), before, DEFAULT_PROBATION_THRESHOLD)):
            entered.append((vendor_name, category_name, slug, month))
    return sorted(entered, key=lambda e: (e[1], e[0]))


def _two_latest(composites: dict[str, float], period: str) -> dict[str, float]:
    months = sorted((p for p in composites if p <= period), reverse=True)[:2]
    return {p: composites[p] for p in months}


def finance_sections(user: User) -> list[TodoSection]:
    """Scored months without an invoice, drafts awaiting someone else's approval, new probation, disputes."""
    probation = [TodoItem(
        what=f"{vendor} entered probation in {category} at {month}",
        why=f"its composite was below {DEFAULT_PROBATION_THRESHOLD:g} in its two most recent scored months; "
            "it was not on probation the month before",
        link=url_for("rankings.index", category=slug, period=month), link_text="See the rankings",
        kind="probation") for vendor, category, slug, month in newly_on_probation()]
    disputes = _open_disputes(None)
    return [
        TodoSection("Scored months without an invoice", "Every scored month has its invoice.", _uninvoiced()),
        TodoSection("Recommendations awaiting your approval", "No draft recommendation awaits your approval.",
                    _awaiting_approval(user)),
        TodoSection("Vendors newly on probation", "No vendor entered probation at the latest scored month.",
                    probation),
        TodoSection("Open disputes (payments on hold)", "No dispute is open; no payment is on hold.", disputes),
    ]


def procurement_sections() -> list[TodoSection]:
    """Active contracts ending within the renewal horizon, each with its renewal summary."""
    now = today()
    contracts = db.session.scalars(
        select(Contract).options(joinedload(Contract.vendor))
        .where(Contract.status == ContractStatus.ACTIVE, Contract.end_date >= now,
               Contract.end_date <= now + timedelta(days=RENEWAL_HORIZON_DAYS))
        .order_by(Contract.end_date, Contract.number))
    items = [TodoItem(
        what=f"{c.number} {c.title} ({c.vendor.name}) ends {c.end_date:%Y-%m-%d}",
        why=f"in {_plural((c.end_date - now).days, 'day')}: decide whether to renew, rebid or let it end",
        link=url_for("renewals.summary", contract_id=c.id), link_text="Read the renewal summary", kind="ending")
        for c in contracts]
    return [TodoSection(f"Contracts ending within {RENEWAL_HORIZON_DAYS} days",
                        f"No active contract ends within {RENEWAL_HORIZON_DAYS} days.", items)]


def admin_sections() -> list[TodoSection]:
    """Accounts needing attention, and failed sign-ins and locks of the last 24 hours."""
    from ..auth.mfa import required_for

    mfa_roles = [role for role in Role if required_for(role)]
    users = db.session.scalars(
        select(User).where(or_(User.must_change_password.is_(True), User.is_enabled.is_(False),
                               User.role.in_(mfa_roles) & User.totp_secret.is_(None)))
        .order_by(User.email)).all()
    accounts = []
    for user in users:
        reasons = []
        if not user.is_enabled:
            reasons.append("deactivated: cannot sign in")
        else:
            if user.must_change_password:
                reasons.append("must change a temporary password at the next sign-in")
            if user.role in mfa_roles and not user.totp_secret:
                reasons.append(f"not enrolled in two-step sign-in, which the {user.role.label.lower()} role requires")
        accounts.append(TodoItem(what=f"{user.email} ({user.role.label.lower()})", why="; ".join(reasons),
                                 link=url_for("admin.manage_user", user_id=user.id), link_text="Manage",
                                 kind="deactivated" if not user.is_enabled else "account"))
    since = utcnow() - timedelta(hours=24)
    now = utcnow()
    throttles = db.session.scalars(select(SignInThrottle).where(SignInThrottle.last_failure_at >= since)
                                   .order_by(SignInThrottle.last_failure_at.desc())).all()
    emails = {t.key.lower() for t in throttles if t.kind == "account"}
    known = {email.lower(): uid for uid, email in db.session.execute(
        select(User.id, User.email).where(func.lower(User.email).in_(emails)))} if emails else {}
    sign_ins = []
    for t in throttles:
        locked = t.locked_until is not None and t.locked_until > now
        what = f"{'account' if t.kind == 'account' else 'address'} {t.key}: {_plural(t.failures, 'failed sign-in')}"
        why = (f"last at {t.last_failure_at:%Y-%m-%d %H:%M} UTC"
               + (f"; locked until {t.locked_until:%Y-%m-%d %H:%M} UTC" if locked else ""))
        uid = known.get(t.key.lower()) if t.kind == "account" else None
        link = url_for("admin.manage_user", user_id=uid) if uid else url_for("admin.users")
        sign_ins.append(TodoItem(what=what, why=why, link=link, link_text="Manage" if uid else "Users",
                                 kind="locked" if locked else "failed"))
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(["sign_in_failed", "sign_in_locked"]),
                                 AuditEvent.occurred_at >= since)
        .order_by(AuditEvent.id.desc()).limit(LIST_LIMIT)).all()
    sign_ins += [TodoItem(what=f"{e.occurred_at:%Y-%m-%d %H:%M} UTC {e.action.replace('_', ' ')}",
                          why=e.summary or "", link=url_for("admin.audit"), link_text="Audit log",
                          kind="locked" if e.action == "sign_in_locked" else "failed") for e in events]
    return [
        TodoSection("Accounts needing attention", "Every account is in order.", accounts),
        TodoSection("Failed sign-ins and locks in the last 24 hours", "No failed sign-in in the last 24 hours.",
                    sign_ins),
    ]


def todo_sections(user: User) -> list[TodoSection]:
    if user.role == Role.CONTRACT_MANAGER:
        return manager_sections(user)
    if user.role == Role.FINANCE:
        return finance_sections(user)
    if user.role == Role.PROCUREMENT:
        return procurement_sections()
    if user.role == Role.ADMIN:
        return admin_sections()
    return []
