"""Telling people: an in-app row per user, and one email job per user when SMTP is configured.

`notify` works inside a request, a CLI command or a job alike: it only adds rows to the caller's
transaction (the email jobs go to the queue once that transaction commits), so nothing is sent for work
that is rolled back.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, g, has_request_context, request
from sqlalchemy import func, select, update

from models import Notification, User, db, utcnow

from ..audit import record_event

SUBJECT_LIMIT = 200
LINK_LIMIT = 500


def email_enabled() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def _base_url() -> str:
    """Where the email's link points: PUBLIC_BASE_URL, else the address of the request that notified."""
    configured = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if configured:
        return configured
    return request.host_url.rstrip("/") if has_request_context() else ""


def notify(users: Iterable[User], kind: str, subject: str, body: str, link_path: str, *,
           dedupe_key: str | None = None, actor: User | None = None) -> list[Notification]:
    """Tells each enabled user once: an in-app notification, and an email queued as a background job.

    `link_path` is the app path the notification opens (e.g. "/action-plans/3"). With `dedupe_key`, a user
    already told under that key is skipped (a reminder never goes twice). Returns the rows written.
    """
    from ..jobs.kinds import SEND_EMAIL
    from ..jobs.services import start_job

    recipients = {user.id: user for user in users if user is not None and user.is_enabled}
    if dedupe_key and recipients:
        already = set(db.session.scalars(select(Notification.user_id).where(
            Notification.dedupe_key == dedupe_key, Notification.user_id.in_(recipients))))
        recipients = {uid: user for uid, user in recipients.items() if uid not in already}
    if not recipients:
        return []
    subject = " ".join(subject.split())  # one line: it becomes an email's Subject header
    written = [Notification(user_id=uid, kind=kind[:40], subject=subject[:SUBJECT_LIMIT], body=body,
                            link_path=link_path[:LINK_LIMIT], dedupe_key=dedupe_key)
               for uid in sorted(recipients)]
    db.session.add_all(written)
    db.session.flush()
    _forget_unread_count()
    emails = email_enabled()
    base_url = _base_url()
    for notification in written:
        if emails:
            start_job(SEND_EMAIL, f"notification-email:{notification.id}",
                      {"notification_id": notification.id, "base_url": base_url}, actor,
                      message=f"Waiting to email {recipients[notification.user_id].email}")
    record_event("notified", None, actor=actor, summary=f"{kind}: '{subject[:120]}' to "
                 f"{', '.join(recipients[n.user_id].email for n in written)}"
                 f"{' (in the app and by email)' if emails else ' (in the app; email is off)'}",
                 after={"kind": kind, "subject": subject, "link_path": link_path, "dedupe_key": dedupe_key,
                        "notification_ids": [n.id for n in written], "emailed": emails})
    return written


def unread_count_column():
    """The user's unread count as a column of the user query (the user loader reads both in one statement)."""
    return (select(func.count(Notification.id))
            .where(Notification.user_id == User.id, Notification.read_at.is_(None))
            .correlate(User).scalar_subquery())


def remember_unread_count(user: User, count: int) -> None:
    """Kept for this request: the navigation bar of every page shows it without a query of its own."""
    g.unread_notifications = (user.id, count)


def _forget_unread_count() -> None:
    """After this request wrote notifications or marked some read, the remembered count is counted again."""
    if has_request_context():
        g.pop("unread_notifications", None)


def unread_count(user: User) -> int:
    remembered = g.get("unread_notifications") if has_request_context() else None
    if remembered is not None and remembered[0] == user.id:
        return remembered[1]
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def recent(user: User, limit: int = 100) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Marks one of the user's notifications read (or all of them); returns how many changed."""
    query = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    changed = db.session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    _forget_unread_count()
    if changed:
        record_event("notifications_read", None, actor=user,
                     summary=f"{user.email} marked {changed} notification{'s' if changed != 1 else ''} read",
                     after={"notification_id": notification_id, "count": changed})
    return changed
