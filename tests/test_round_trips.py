"""Issue 13: what every page costs in round trips before its own work. The signed-in user is read once, with the
unread-notification count of the navigation bar in the same statement, and the count on the page stays right."""
from __future__ import annotations

import re

from sqlalchemy import event

from contracts_app.notifications import notify
from contracts_app.notifications.services import unread_count
from models import Role, User, db

from .factories import TEST_PASSWORD, UserFactory

USERS = re.compile(r"\bFROM users\b", re.I)
NOTIFICATIONS = re.compile(r"\bFROM notifications\b", re.I)


def _statements_of(client, path: str) -> list[str]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return seen


def _unread_badge(page: str) -> str | None:
    found = re.search(r'data-testid="unread-count">(\d+)', page)
    return found.group(1) if found else None


def test_a_page_reads_its_user_once_with_the_unread_count_joined(app, client):
    user = UserFactory(role=Role.PROCUREMENT)
    db.session.commit()
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    client.get("/contracts/")  # the first page after sign-in may refresh the session
    statements = _statements_of(client, "/contracts/")
    user_reads = [s for s in statements if USERS.search(s)]
    assert len(user_reads) == 1, user_reads  # not again after the commit (the request log), not twice
    assert NOTIFICATIONS.search(user_reads[0])  # the count rides along in the same statement
    assert not [s for s in statements if NOTIFICATIONS.search(s) and not USERS.search(s)]


def test_the_navigation_count_is_the_users_own_unread_count(app, client):
    user, other = UserFactory(role=Role.PROCUREMENT), UserFactory(role=Role.PROCUREMENT)
    db.session.flush()
    notify([user, user, other], "test", "First", "Body", "/contracts/")
    notify([user], "test", "Second", "Body", "/contracts/")
    notify([other], "test", "Third", "Body", "/contracts/")
    db.session.commit()
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    assert _unread_badge(client.get("/contracts/").get_data(as_text=True)) == "2"
    client.post_form("/notifications/read", {}, token_from="/notifications/")
    assert _unread_badge(client.get("/contracts/").get_data(as_text=True)) is None


def test_a_notification_written_during_the_request_is_counted(app):
    user = UserFactory(role=Role.PROCUREMENT)
    db.session.commit()
    with app.test_request_context("/"):
        from contracts_app.notifications.services import remember_unread_count

        remember_unread_count(user, 0)
        assert unread_count(user) == 0
        notify([db.session.get(User, user.id)], "test", "New", "Body", "/contracts/")
        assert unread_count(user) == 1  # counted again, not the remembered 0
