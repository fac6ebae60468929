"""Notifications: in-app rows for every role, one email per user sent by a background job to a real SMTP
server (aiosmtpd on localhost), a committed month told to the vendor's users, and the daily milestone
reminder sent once per milestone and day."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts_app.jobs.periodic import remind_milestones_due
from contracts_app.notifications import notify
from models import (
    ActionPlan,
    ActionPlanMilestone,
    AuditEvent,
    Job,
    JobStatus,
    Notification,
    PlanReason,
    Role,
    Upload,
    db,
)

from .factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ContractAssignmentFactory,
    ContractFactory,
    OutcomeClauseFactory,
    UserFactory,
    VendorFactory,
)
from .notification_support import job_queue, run_queued, smtp  # noqa: F401
from .smtp_server import free_port
from .test_uploads import commit, sheet_rows, upload, write_xlsx

DECEMBER = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)


def notifications_of(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def test_notify_writes_one_row_per_user_and_emails_each_through_the_job(app, smtp, job_queue):
    alice = UserFactory(role=Role.FINANCE, email="alice@city.test")
    bob = UserFactory(role=Role.CONTRACT_MANAGER, email="bob@city.test")
    gone = UserFactory(role=Role.FINANCE, email="gone@city.test", is_enabled=False)
    written = notify([alice, bob, gone], "test_event", "PW-2026-014 needs you", "Look at the scorecard.",
                     "/contracts/7/scorecard")
    assert sorted(n.user_id for n in written) == sorted([alice.id, bob.id])  # a disabled account is not told
    jobs = db.session.scalars(select(Job).where(Job.kind == "send_email")).all()
    assert len(jobs) == 2 and {j.status for j in jobs} == {JobStatus.QUEUED}
    db.session.commit()  # the request's commit: only now do the jobs reach the queue
    assert smtp.messages == []
    assert run_queued(job_queue) == 2
    received = sorted(smtp.messages, key=lambda m: m.recipients)
    assert [m.recipients for m in received] == [["alice@city.test"], ["bob@city.test"]]
    assert {m.subject for m in received} == {"PW-2026-014 needs you"}
    assert received[0].sender == "tracker@city.test"
    assert "Look at the scorecard." in received[0].body
    assert "https://outcomes.city.test/contracts/7/scorecard" in received[0].body
    db.session.expire_all()
    assert all(n.emailed_at is not None for n in notifications_of(alice) + notifications_of(bob))
    assert {j.status for j in db.session.scalars(select(Job).where(Job.kind == "send_email"))} == {JobStatus.SUCCEEDED}

    # A job delivered again sends nothing twice.
    job = db.session.scalars(select(Job).where(Job.kind == "send_email")).first()
    from contracts_app.notifications.email import send_notification_email

    assert "Already emailed" in send_notification_email(job.payload["notification_id"], "")
    assert len(smtp.messages) == 2


def test_without_an_smtp_host_email_is_off_and_the_notification_is_still_in_the_app(app, job_queue):
    assert not app.config["SMTP_HOST"]
    user = UserFactory(role=Role.FINANCE)
    notify([user], "test_event", "Subject", "Body", "/")
    assert len(notifications_of(user)) == 1
    assert db.session.scalar(select(func.count(Job.id))) == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notified")).one()
    assert "email is off" in event.summary


def test_an_unreachable_smtp_server_fails_the_attempt_and_the_job_is_tried_again(app, job_queue, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nothing listens there
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)
    user = UserFactory(role=Role.FINANCE, email="carol@city.test")
    notify([user], "test_event", "Subject", "Body", "/")
    db.session.commit()
    run_queued(job_queue)
    db.session.expire_all()
    job = db.session.scalars(select(Job)).one()
    assert job.status == JobStatus.QUEUED and "Attempt 1 failed (EmailNotSent" in job.message
    assert notifications_of(user)[0].emailed_at is None


def test_the_in_app_list_counts_unread_and_marks_them_read_for_a_vendor_user(app, client):
    vendor_user = UserFactory(role=Role.VENDOR, vendor=VendorFactory(), email="ops@harbor.test")
    someone_else = UserFactory(role=Role.FINANCE)
    notify([vendor_user], "test_event", "First thing", "Body one", "/action-plans/")
    notify([vendor_user], "test_event", "Second thing", "Body two", "/action-plans/")
    theirs = notify([someone_else], "test_event", "Not yours", "Body", "/")[0]
    client.sign_in("ops@harbor.test", TEST_PASSWORD)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "First thing" in page and "Second thing" in page and "Not yours" not in page
    assert 'data-testid="unread-count">2<' in page
    first = notifications_of(vendor_user)[0]
    token = client.csrf_token("/notifications/")
    assert client.post(f"/notifications/{first.id}/read", data={"csrf_token": token}).status_code == 302
    assert 'data-testid="unread-count">1<' in client.get("/notifications/").get_data(as_text=True)
    # Someone else's notification is not touched.
    client.post(f"/notifications/{theirs.id}/read", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Notification, theirs.id).read_at is None
    response = client.post("/notifications/read", data={"csrf_token": token}, follow_redirects=True)
    assert "1 notification marked read." in response.get_data(as_text=True)
    assert "unread-count" not in client.get("/notifications/").get_data(as_text=True)
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notifications_read")).first()


@pytest.fixture
def sheet_contract(app, time_machine):
    time_machine.move_to(DECEMBER, tick=True)
    vendor = VendorFactory(name="Harbor Paving Co")
    category = CategoryFactory(slug="asphalt", row_key="work_order_id", date_column="completed_on",
                               context_columns=["street"])
    contract = ContractFactory(category=category, number="PW-2026-300", vendor=vendor)
    OutcomeClauseFactory(contract=contract, key="pci_after", weight=Decimal("60"), aliases=["PCI"])
    OutcomeClauseFactory(contract=contract, key="on_time", label="Completed on time", weight=Decimal("40"),
                         aggregation="percent_true", unit="%", target=Decimal("95"), minimum=Decimal("80"),
                         valid_min=None, valid_max=None)
    assignment = ContractAssignmentFactory(contract=contract)
    vendor_users = [UserFactory(role=Role.VENDOR, vendor=vendor, email=f"ops{i}@harbor.test") for i in (1, 2)]
    UserFactory(role=Role.VENDOR, vendor=VendorFactory(name="Other Co"), email="ops@other.test")
    return contract, assignment.user, vendor_users


@pytest.mark.parametrize("as_job", [False, True], ids=["small sheet", "background job"])
def test_a_committed_month_is_told_to_the_vendors_users(app, client, sheet_contract, smtp, job_queue, tmp_path,
                                                       monkeypatch, as_job):
    contract, manager, vendor_users = sheet_contract
    monkeypatch.setitem(app.config, "JOBS_COMMIT_ROWS_THRESHOLD", 50 if as_job else 20_000)
    client.sign_in(manager.email, TEST_PASSWORD)
    assert upload(client, contract, write_xlsx(tmp_path / "march.xlsx", sheet_rows(60))).status_code == 302
    staged = db.session.scalars(select(Upload).order_by(Upload.id.desc())).first()
    commit(client, staged.id)
    if as_job:
        assert db.session.scalar(select(func.count(Notification.id))) == 0  # not before the job commits the month
        run_queued(job_queue)  # the commit job; it queues the emails
    run_queued(job_queue)  # the emails
    db.session.expire_all()
    told = db.session.scalars(select(Notification).where(Notification.kind == "month_committed")).all()
    assert sorted(n.user_id for n in told) == sorted(u.id for u in vendor_users)
    assert told[0].subject == "PW-2026-300 2026-03 scores committed"
    assert sorted(m.recipients[0] for m in smtp.messages) == ["ops1@harbor.test", "ops2@harbor.test"]
    assert all(f"/contracts/{contract.id}/scorecard" in m.body and "60 rows" in m.body for m in smtp.messages)


def plan_with_milestone_due(due: date):
    vendor = VendorFactory(name="Harbor Paving Co")
    contract = ContractFactory(number="PW-2026-014", vendor=vendor)
    manager = UserFactory(role=Role.CONTRACT_MANAGER, email="manager@city.test")
    ContractAssignmentFactory(user=manager, contract=contract)
    vendor_user = UserFactory(role=Role.VENDOR, vendor=vendor, email="ops@harbor.test")
    plan = ActionPlan(contract_id=contract.id, reason=PlanReason.PROBATION, clause_keys=[], outcome_required="Recover",
                      opened_on=due - timedelta(days=30), opened_by_id=manager.id)
    db.session.add(plan)
    db.session.flush()
    milestone = ActionPlanMilestone(plan_id=plan.id, position=1, description="Re-train crews", due_on=due)
    db.session.add(milestone)
    db.session.flush()
    return plan, milestone, manager, vendor_user


def test_the_milestone_reminder_goes_once_per_day_to_managers_and_vendor_users(app, smtp, job_queue,
                                                                              time_machine, cli):
    due = date(2031, 6, 20)
    plan, milestone, manager, vendor_user = plan_with_milestone_due(due)
    time_machine.move_to(datetime(2031, 6, 16, 6, 0, tzinfo=UTC), tick=False)  # 4 days before: not yet
    assert remind_milestones_due() == 0
    time_machine.move_to(datetime(2031, 6, 17, 6, 0, tzinfo=UTC), tick=False)  # 3 days before
    assert remind_milestones_due() == 2
    assert remind_milestones_due() == 0  # the same day again: nothing twice
    run_queued(job_queue)
    assert sorted(m.recipients[0] for m in smtp.messages) == ["manager@city.test", "ops@harbor.test"]
    assert smtp.messages[0].subject == "PW-2026-014: action plan milestone 1 due in 3 days"
    assert f"https://outcomes.city.test/action-plans/{plan.id}" in smtp.messages[0].body

    time_machine.move_to(datetime(2031, 6, 20, 6, 0, tzinfo=UTC), tick=False)  # the day itself, by hand
    result = cli.invoke(args=["remind-milestones"])
    assert result.exit_code == 0 and "2 notifications written" in result.output
    again = cli.invoke(args=["remind-milestones"])
    assert "0 notifications written (nothing due, or today's reminders already went out)" in again.output
    run_queued(job_queue)
    assert len(smtp.messages) == 4 and smtp.messages[-1].subject.endswith("due today")

    # The day after, still not marked: the contract's managers are asked, once, to mark it.
    time_machine.move_to(datetime(2031, 6, 21, 6, 0, tzinfo=UTC), tick=False)
    assert remind_milestones_due() == 1
    time_machine.move_to(datetime(2031, 6, 22, 6, 0, tzinfo=UTC), tick=False)
    assert remind_milestones_due() == 0
    overdue = notifications_of(manager)[-1]
    assert overdue.kind == "milestone_overdue" and "is past due, not yet marked" in overdue.subject

    milestone = db.session.get(ActionPlanMilestone, milestone.id)
    milestone.status = milestone.status.MET
    db.session.flush()
    time_machine.move_to(datetime(2031, 6, 19, 6, 0, tzinfo=UTC), tick=False)
    assert remind_milestones_due() == 0  # marked milestones are not reminded
    assert len(notifications_of(manager)) == 3 and len(notifications_of(vendor_user)) == 2


def test_the_reminder_is_on_the_schedule_once_a_day_at_six_utc(app, job_queue):
    tasks = {task.name: task for task in job_queue._registry.periodic_tasks}
    reminder = tasks["remind_milestones_due"]
    due = [hour for hour in range(24) if reminder.validate_datetime(datetime(2031, 6, 17, hour, 0))]
    assert due == [6] and not reminder.validate_datetime(datetime(2031, 6, 17, 6, 1))
