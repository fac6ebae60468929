"""`send-reminders` (SPEC §6) and its daily job: each contract manager is told their overdue sheets, each vendor's
users the months whose review window closes within REVIEW_REMINDER_DAYS; one message per person and kind, at most
once a day (the notification's dedupe key names the recipient, the kind and the day)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Contract, Notification, Upload, UploadStatus, User, db, today, utcnow
from scoring.periods import add_months

from ..notifications import notify
from ..notifications.recipients import vendor_users
from .cells import CellState
from .services import CalendarRequest, build_calendar, last_finished_month

SHEETS_OVERDUE = "sheets_overdue"
REVIEW_CLOSING = "review_closing"
LOOKBACK_MONTHS = 12  # overdue sheets are looked for in the months the calendar shows by default


@dataclass(frozen=True)
class Reminder:
    """One message to one person: what `--dry-run` prints and what `notify` is given."""

    user: User
    kind: str
    subject: str
    items: list[str]
    link_path: str
    dedupe_key: str

    @property
    def body(self) -> str:
        intro = ("These performance sheets are past their due date and not yet in:" if self.kind == SHEETS_OVERDUE
                 else "The review window of these months closes soon; after that a month can no longer be "
                      "disputed:")
        return intro + "\n" + "\n".join(f"- {item}" for item in self.items)


def _link(path: str) -> str:
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return f"{base}{path}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def overdue_reminders(day: date) -> list[Reminder]:
    """Every contract manager's overdue sheets (the calendar's overdue cells over its default months)."""
    last = last_finished_month(day)
    calendar = build_calendar(CalendarRequest(first=add_months(last, -(LOOKBACK_MONTHS - 1)), last=last), day)
    by_manager: dict[int, list[str]] = defaultdict(list)
    managers: dict[int, User] = {}
    contracts = {c.id: c for c in calendar.contracts}
    for (contract_id, period), cell in sorted(calendar.cells.items(), key=lambda kv: (contracts[kv[0][0]].number,
                                                                                      kv[0][1])):
        if cell.state != CellState.OVERDUE:
            continue
        contract = contracts[contract_id]
        for manager in calendar.managers_of.get(contract_id, []):
            if not manager.is_enabled:
                continue
            managers[manager.id] = manager
            by_manager[manager.id].append(
                f"{contract.number} ({contract.vendor.name}), {period}: due {cell.due_on.isoformat()}, "
                f"upload at {_link(f'/contracts/{contract_id}/sheets?period={period}')}")
    return [Reminder(managers[uid], SHEETS_OVERDUE, f"{_plural(len(items), 'sheet')} overdue", items,
                     f"/calendar/?manager={uid}", f"{SHEETS_OVERDUE}:{uid}:{day.isoformat()}")
            for uid, items in sorted(by_manager.items())]


def review_closing_reminders(day: date) -> list[Reminder]:
    """Every vendor user's months whose review window is open and closes within REVIEW_REMINDER_DAYS."""
    now = utcnow()
    horizon = now + timedelta(days=current_app.config["REVIEW_REMINDER_DAYS"])
    uploads = db.session.scalars(
        select(Upload).options(joinedload(Upload.contract).joinedload(Contract.vendor))
        .where(Upload.status == UploadStatus.COMMITTED, Upload.review_closes_at > now,
               Upload.review_closes_at <= horizon)
        .order_by(Upload.review_closes_at, Upload.id)).all()
    by_vendor: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for upload in uploads:
        contract = upload.contract
        path = f"/contracts/{contract.id}/months/{upload.period}"
        by_vendor[contract.vendor_id].append((
            f"{contract.number} {upload.period}: closes {upload.review_closes_at:%Y-%m-%d %H:%M} UTC, {_link(path)}",
            path))
    reminders = []
    for vendor_id, items in sorted(by_vendor.items()):
        subject = (f"Review window closing: {_plural(len(items), 'month')}" if len(items) > 1
                   else f"Review window closing: {items[0][0].split(':')[0]}")
        for user in vendor_users(vendor_id):
            reminders.append(Reminder(user, REVIEW_CLOSING, subject, [text for text, _ in items], items[0][1],
                                      f"{REVIEW_CLOSING}:{user.id}:{day.isoformat()}"))
    return reminders


def due_reminders(day: date | None = None) -> list[Reminder]:
    """Today's reminders not sent yet today (a person already told under the day's key is left out)."""
    day = day or today()
    planned = overdue_reminders(day) + review_closing_reminders(day)
    if not planned:
        return []
    sent = set(db.session.execute(select(Notification.user_id, Notification.dedupe_key).where(
        Notification.dedupe_key.in_({r.dedupe_key for r in planned}))).tuples())
    return [r for r in planned if (r.user.id, r.dedupe_key) not in sent]


def send_reminders(dry_run: bool = False, day: date | None = None) -> list[Reminder]:
    """Sends today's reminders through `notify` (in the app, and by email as background jobs); with `dry_run`
    only says what would go. Returns the reminders sent (or that would be)."""
    reminders = due_reminders(day)
    if dry_run:
        return reminders
    for reminder in reminders:
        notify([reminder.user], reminder.kind, reminder.subject, reminder.body, reminder.link_path,
               dedupe_key=reminder.dedupe_key)
    return reminders
