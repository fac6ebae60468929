"""Signing in and out, the audit trail of it, CSRF, cookies, headers, error pages, user creation."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy import func, select

from models import AuditEvent, Role, User
from tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET, UserFactory

SIGN_IN = "/auth/sign-in"
WRONG_CREDENTIALS = "That email and password do not match an active account."


def _text(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _input_value(response, name: str) -> str | None:
    html = response.get_data(as_text=True)
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    if tag is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else ""


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _user_count(session, email: str) -> int:
    return session.scalar(select(func.count()).select_from(User).where(func.lower(User.email) == email.lower()))


def _is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == SIGN_IN


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


@pytest.fixture
def finance(session):
    user = UserFactory(role=Role.FINANCE, email="fran.finance@springfield.gov")
    session.flush()  # the password is set after the factory's own flush
    return user


@pytest.fixture
def admin(session):
    user = UserFactory(role=Role.ADMIN, email="ada.admin@springfield.gov")
    session.flush()
    return user


@pytest.fixture
def admin_client(app, admin):
    client = app.test_client()
    assert client.sign_in(admin.email, TEST_PASSWORD).status_code == 302
    return client


# --- signing in -------------------------------------------------------------------------------


def test_correct_password_goes_to_the_dashboard_and_is_audited(client, session, finance):
    response = client.sign_in(finance.email, TEST_PASSWORD)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert finance.email in _text(dashboard)
    [event] = _events(session, "sign_in")
    assert event.user_id == finance.id
    assert event.actor == finance.email


def test_email_is_matched_without_regard_to_case(client, finance):
    response = client.sign_in(finance.email.upper(), TEST_PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


def test_wrong_password_is_refused_with_a_clear_message_and_counted_not_audited(client, session, finance):
    response = client.sign_in(finance.email, "not-the-password")

    assert response.status_code == 401
    assert WRONG_CREDENTIALS in _text(response)
    assert _input_value(response, "email") == finance.email, "the form keeps the email typed"
    assert _input_value(response, "password") == "", "the password typed is not sent back"
    assert "not-the-password" not in response.get_data(as_text=True)
    assert not _signed_in(client)
    # Failures are counted in aggregate (sign-in throttling), not written one audit row each.
    assert _events(session, "sign_in_failed") == []
    assert _events(session, "sign_in") == []


def test_unknown_email_is_refused_the_same_way_and_writes_nothing_to_the_audit_trail(client, session):
    response = client.sign_in("nobody@city.test", TEST_PASSWORD)

    assert response.status_code == 401
    assert WRONG_CREDENTIALS in _text(response)
    assert _events(session, "sign_in_failed") == []


def test_disabled_user_cannot_sign_in(client, session, finance):
    finance.is_enabled = False
    session.flush()

    response = client.sign_in(finance.email, TEST_PASSWORD)

    assert response.status_code == 401
    assert WRONG_CREDENTIALS in _text(response)
    assert not _signed_in(client)
    assert _events(session, "sign_in_failed") == []


def test_disabling_a_user_ends_the_session_they_already_have(client, session, finance):
    client.sign_in(finance.email, TEST_PASSWORD)
    assert _signed_in(client)

    finance.is_enabled = False
    session.flush()

    assert _is_sign_in_redirect(client.get("/contracts/"))


def test_signed_in_user_visiting_sign_in_goes_to_the_dashboard(client, finance):
    client.sign_in(finance.email, TEST_PASSWORD)
    response = client.get(SIGN_IN)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# --- the `next` parameter ---------------------------------------------------------------------


def test_next_takes_the_user_back_to_the_page_they_asked_for(client, finance):
    bounced = client.get("/contracts/?status=active")
    assert _is_sign_in_redirect(bounced)
    sign_in_url = bounced.headers["Location"]
    assert parse_qs(urlsplit(sign_in_url).query)["next"] == ["/contracts/?status=active"]

    page = client.get(sign_in_url)
    assert "Please sign in to see that page." in _text(page)
    assert _input_value(page, "next") == "/contracts/?status=active"

    response = client.post(
        sign_in_url,
        data={
            "email": finance.email,
            "password": TEST_PASSWORD,
            "next": _input_value(page, "next"),
            "csrf_token": _input_value(page, "csrf_token"),
        },
    )
    if client.asks_for_code(response):  # finance signs in with a second step
        response = client.enter_code(pyotp.TOTP(TEST_TOTP_SECRET).now())
    assert response.status_code == 302
    assert response.headers["Location"] == "/contracts/?status=active"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\t/evil.example/", "javascript:alert(1)"])
def test_next_pointing_off_site_is_ignored(client, finance, target):
    token = client.csrf_token(SIGN_IN)
    response = client.post(
        SIGN_IN, data={"email": finance.email, "password": TEST_PASSWORD, "next": target, "csrf_token": token}
    )
    if client.asks_for_code(response):
        response = client.enter_code(pyotp.TOTP(TEST_TOTP_SECRET).now())
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_backslash_in_next_cannot_become_a_protocol_relative_redirect(client, finance):
    # Browsers read "/\evil.example" as "//evil.example"; the redirect must stay on this site.
    token = client.csrf_token(SIGN_IN)
    response = client.post(
        SIGN_IN, data={"email": finance.email, "password": TEST_PASSWORD, "next": "/\\evil.example", "csrf_token": token}
    )
    if client.asks_for_code(response):
        response = client.enter_code(pyotp.TOTP(TEST_TOTP_SECRET).now())
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))


# --- signing out ------------------------------------------------------------------------------


def test_sign_out_by_post_signs_out_and_is_audited(client, session, finance):
    client.sign_in(finance.email, TEST_PASSWORD)

    response = client.post("/auth/sign-out", data={"csrf_token": client.csrf_token("/")})

    assert _is_sign_in_redirect(response)
    assert "You are signed out." in _text(client.get(SIGN_IN))
    assert not _signed_in(client)
    [event] = _events(session, "sign_out")
    assert event.user_id == finance.id


def test_sign_out_by_get_is_not_possible(client, session, finance):
    client.sign_in(finance.email, TEST_PASSWORD)
    assert client.get("/auth/sign-out").status_code == 405
    assert _signed_in(client)
    assert _events(session, "sign_out") == []


# --- denied requests and CSRF ------------------------------------------------------------------


def test_forbidden_page_is_recorded_in_the_audit_trail(client, session, finance):
    client.sign_in(finance.email, TEST_PASSWORD)

    response = client.get("/admin/users")

    assert response.status_code == 403
    assert "This page needs the Admin role" in _text(response)
    assert "you are signed in as finance" in _text(response)
    [event] = _events(session, "request_denied")
    assert event.user_id == finance.id
    assert "GET /admin/users" in event.summary
    assert "Admin" in event.summary


def test_post_without_csrf_token_to_new_user_is_refused_and_creates_nothing(admin_client, session):
    response = admin_client.post(
        "/admin/users/new",
        data={"email": "sneaky@springfield.gov", "name": "Sneaky", "role": "admin", "password": "long-enough-password"},
    )

    assert response.status_code == 400
    assert "security token" in _text(response)
    assert "nothing was saved" in _text(response)
    assert _user_count(session, "sneaky@springfield.gov") == 0
    assert _events(session, "user_created") == []
    [event] = _events(session, "request_denied")
    assert "CSRF" in event.summary and "/admin/users/new" in event.summary


def test_post_with_a_forged_csrf_token_is_refused(admin_client, session):
    response = admin_client.post(
        "/admin/users/new",
        data={"email": "sneaky@springfield.gov", "role": "admin", "password": "long-enough-password", "csrf_token": "forged"},
    )
    assert response.status_code == 400
    assert _user_count(session, "sneaky@springfield.gov") == 0


def test_sign_in_without_csrf_token_is_refused(client, session, finance):
    response = client.post(SIGN_IN, data={"email": finance.email, "password": TEST_PASSWORD})

    assert response.status_code == 400
    assert "security token" in _text(response)
    assert not _signed_in(client)
    assert _events(session, "sign_in") == []


# --- passwords, cookies, headers ---------------------------------------------------------------


def test_passwords_are_stored_hashed(session, finance):
    assert finance.password_hash
    assert finance.password_hash != TEST_PASSWORD
    assert TEST_PASSWORD not in finance.password_hash
    assert finance.check_password(TEST_PASSWORD)
    assert not finance.check_password("something else")


def test_session_cookie_is_http_only_and_same_site_lax(client, finance):
    response = client.sign_in(finance.email, TEST_PASSWORD)

    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "signing in sets the session cookie"
    attributes = {part.strip().lower() for part in cookies[-1].split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


@pytest.mark.parametrize("path", [SIGN_IN, "/", "/contracts/"])
def test_pages_carry_the_security_headers_and_no_inline_script(client, finance, path):
    client.sign_in(finance.email, TEST_PASSWORD)
    response = client.get(path) if path != SIGN_IN else client.application.test_client().get(path)

    assert response.status_code == 200
    policy = {
        directive.strip().split(" ", 1)[0]: directive.strip()
        for directive in response.headers["Content-Security-Policy"].split(";")
    }
    assert policy["script-src"] == "script-src 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, f"inline script on {path}: the policy would block it"
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", html), f"inline event handler on {path}"


# --- public endpoints and error pages ----------------------------------------------------------


def test_healthz_answers_without_sign_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_unknown_url_shows_the_friendly_404_page(client, finance):
    client.sign_in(finance.email, TEST_PASSWORD)

    response = client.get("/no/such/page")

    assert response.status_code == 404
    text = _text(response)
    assert "Page not found" in text
    assert "Back to the dashboard" in text


def test_missing_contract_shows_the_friendly_404_page(client, finance):
    client.sign_in(finance.email, TEST_PASSWORD)
    response = client.get("/contracts/999999")
    assert response.status_code == 404
    assert "Page not found" in _text(response)


# --- admin creates users -----------------------------------------------------------------------


def test_admin_creates_a_user_who_can_then_sign_in(app, admin_client, session, admin):
    response = admin_client.post_form(
        "/admin/users/new",
        {"email": "New.Manager@Springfield.gov", "name": "Nia Manager", "role": "contract_manager",
         "password": "a-long-enough-secret"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"
    listing = admin_client.get("/admin/users")
    assert "User new.manager@springfield.gov created as Contract manager." in _text(listing)
    assert "Nia Manager" in _text(listing)

    user = session.scalars(select(User).where(User.email == "new.manager@springfield.gov")).one()
    assert user.role is Role.CONTRACT_MANAGER
    assert user.password_hash != "a-long-enough-secret"
    [event] = _events(session, "user_created")
    assert event.object_type == "User" and event.object_id == str(user.id)
    assert event.user_id == admin.id
    assert "password_hash" not in (event.after or {})

    newcomer = app.test_client()
    assert newcomer.sign_in("new.manager@springfield.gov", "a-long-enough-secret").status_code == 302
    assert "Contract manager" in _text(newcomer.get("/"))


def test_duplicate_email_reshows_the_form_with_a_message(admin_client, session, finance):
    typed = finance.email.upper()
    response = admin_client.post_form(
        "/admin/users/new", {"email": typed, "name": "Twin", "role": "finance", "password": "a-long-enough-secret"}
    )

    assert response.status_code == 200
    assert "already exists" in _text(response)
    assert _input_value(response, "email") == typed
    assert _input_value(response, "name") == "Twin"
    assert _user_count(session, finance.email) == 1
    assert _events(session, "user_created") == []


def test_too_short_password_reshows_the_form_with_a_message(admin_client, session):
    response = admin_client.post_form(
        "/admin/users/new", {"email": "shorty@springfield.gov", "name": "", "role": "finance", "password": "short"}
    )

    assert response.status_code == 200
    text = _text(response)
    assert "12" in text and "characters" in text
    assert re.search(r'class="invalid-feedback">[^<]*12[^<]*characters', response.get_data(as_text=True))
    assert _input_value(response, "email") == "shorty@springfield.gov"
    assert _input_value(response, "password") == "", "the password typed is not sent back"
    assert _user_count(session, "shorty@springfield.gov") == 0


def test_invalid_email_reshows_the_form_with_a_message(admin_client, session):
    response = admin_client.post_form(
        "/admin/users/new", {"email": "not-an-email", "role": "finance", "password": "a-long-enough-secret"}
    )
    assert response.status_code == 200
    assert _input_value(response, "email") == "not-an-email"
    assert re.search(r'class="invalid-feedback">[^<]+<', response.get_data(as_text=True))
    assert _user_count(session, "not-an-email") == 0
