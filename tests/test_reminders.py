"""`send-reminders` (SPEC §6, issue 15) against a real SMTP server: each contract manager gets one message of
their overdue sheets, each vendor user one of the review windows closing within REVIEW_REMINDER_DAYS; never the
same reminder twice a day, again the next day; `--dry-run` sends and stores nothing."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from models import Notification, Role, UploadStatus, Vendor, db

from .factories import CategoryFactory, ContractAssignmentFactory, ContractFactory, UploadFactory, UserFactory
from .notification_support import job_queue, run_queued, smtp  # noqa: F401

MORNING = datetime(2026, 12, 15, 6, 10, tzinfo=UTC)
SITE = "https://outcomes.city.test"


def build_city():
    roads = CategoryFactory(name="Road resurfacing", slug="roads", sheet_due_days=10)
    ana = UserFactory(role=Role.CONTRACT_MANAGER, email="ana@city.test", name="Ana Reyes")
    ben = UserFactory(role=Role.CONTRACT_MANAGER, email="ben@city.test", name="Ben Okafor")
    first = ContractFactory(number="RD-001", category=roads, start_date=date(2026, 10, 1), end_date=date(2027, 9, 30))
    second = ContractFactory(number="RD-002", category=roads, start_date=date(2026, 11, 1), end_date=date(2027, 10, 31))
    done = ContractFactory(number="RD-003", category=roads, start_date=date(2026, 11, 1), end_date=date(2027, 10, 31))
    for user, contract in ((ana, first), (ana, second), (ben, done)):
        ContractAssignmentFactory(user=user, contract=contract)
    # RD-001: October committed, its review window closes in two days; November missing (due 12-10): overdue.
    UploadFactory(contract=first, period="2026-10", status=UploadStatus.COMMITTED, committed_at=MORNING - timedelta(days=12),
                  review_closes_at=MORNING + timedelta(days=2))
    # RD-003: November committed, window closing in five days (past the three-day horizon): no reminder yet.
    UploadFactory(contract=done, period="2026-11", status=UploadStatus.COMMITTED, committed_at=MORNING - timedelta(days=9),
                  review_closes_at=MORNING + timedelta(days=5))
    vendor = db.session.get(Vendor, first.vendor_id)
    ops = [UserFactory(role=Role.VENDOR, vendor=vendor, email=f"{name}@harbor.test") for name in ("ops", "lead")]
    UserFactory(role=Role.VENDOR, vendor=db.session.get(Vendor, done.vendor_id), email="crew@other.test")
    db.session.commit()
    return first, second, ana, ben, ops


def notification_count() -> int:
    return db.session.scalar(select(func.count(Notification.id)))


def test_send_reminders_tells_managers_and_vendor_users_once_a_day(app, smtp, job_queue, time_machine, cli):
    time_machine.move_to(MORNING, tick=False)
    first, second, ana, ben, ops = build_city()

    dry = cli.invoke(args=["send-reminders", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would send to ana@city.test: 2 sheets overdue" in dry.output
    assert "  - RD-001 (" in dry.output and "  - RD-002 (" in dry.output and "2026-11: due 2026-12-10" in dry.output
    assert "Would send to ops@harbor.test: Review window closing: RD-001 2026-10" in dry.output
    assert "Would send 3 reminders." in dry.output
    assert "ben@city.test" not in dry.output and "crew@other.test" not in dry.output
    assert notification_count() == 0 and run_queued(job_queue) == 0 and smtp.messages == []

    sent = cli.invoke(args=["send-reminders"])
    assert sent.exit_code == 0, sent.output
    assert "Sent to ana@city.test: 2 sheets overdue" in sent.output and "Sent 3 reminders." in sent.output
    assert run_queued(job_queue) == 3
    received = {m.recipients[0]: m for m in smtp.messages}
    assert sorted(received) == ["ana@city.test", "lead@harbor.test", "ops@harbor.test"]
    to_ana = received["ana@city.test"]
    assert to_ana.subject == "2 sheets overdue"
    assert "RD-001 (" in to_ana.body and "2026-11: due 2026-12-10" in to_ana.body
    assert f"{SITE}/contracts/{first.id}/sheets?period=2026-11" in to_ana.body
    assert f"{SITE}/contracts/{second.id}/sheets?period=2026-11" in to_ana.body
    assert f"{SITE}/calendar/?manager={ana.id}" in to_ana.body  # the message's own link: her calendar
    to_vendor = received["ops@harbor.test"]
    assert to_vendor.subject == "Review window closing: RD-001 2026-10"
    assert "closes 2026-12-17 06:10 UTC" in to_vendor.body
    assert f"{SITE}/contracts/{first.id}/months/2026-10" in to_vendor.body
    assert "RD-003" not in to_vendor.body  # another vendor's month, and closing past the horizon
    in_app = db.session.scalars(select(Notification).where(Notification.user_id == ana.id)).all()
    assert [n.kind for n in in_app] == ["sheets_overdue"]

    # The same day again: nothing more.
    again = cli.invoke(args=["send-reminders"])
    assert again.exit_code == 0 and "Sent 0 reminders (nothing overdue or closing, or today's reminders" in again.output
    assert run_queued(job_queue) == 0 and len(smtp.messages) == 3

    # The next day, still overdue and still closing: told again, by the daily job this time.
    time_machine.move_to(MORNING + timedelta(days=1), tick=False)
    from contracts_app.jobs.periodic import send_reminders

    assert send_reminders() == 3
    assert send_reminders() == 0
    run_queued(job_queue)
    assert len(smtp.messages) == 6
    assert "closes 2026-12-17 06:10 UTC" in smtp.messages[-1].body

    # Three days on, October's window has closed: only the overdue sheets are left to tell.
    time_machine.move_to(MORNING + timedelta(days=3), tick=False)
    dry = cli.invoke(args=["send-reminders", "--dry-run"])
    assert "Would send to ana@city.test: 2 sheets overdue" in dry.output and "harbor.test" not in dry.output


def test_reminders_are_on_the_schedule_once_a_day(app, job_queue):
    tasks = {task.name: task for task in job_queue._registry.periodic_tasks}
    due = [hour for hour in range(24) if tasks["send_reminders"].validate_datetime(datetime(2031, 6, 17, hour, 10))]
    assert due == [6] and not tasks["send_reminders"].validate_datetime(datetime(2031, 6, 17, 6, 11))
