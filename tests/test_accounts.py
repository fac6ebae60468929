"""Sign-in and accounts fit for a city (issue 12): throttling, one answer for known and unknown emails,
revocable sessions with timeouts, MFA, password rules, account management, and two people for approvals."""
from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta
from html import unescape

import pyotp
import pytest
from sqlalchemy import func, select

from contracts_app.auth.sessions import SEEN_AT, SIGNED_IN_AT
from models import AuditEvent, Recommendation, RecommendationStatus, Role, SignInThrottle, User, utcnow
from tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET, RecommendationFactory, UserFactory, VendorFactory

SIGN_IN = "/auth/sign-in"
WRONG = "That email and password do not match an active account."
TOO_MANY = "Too many failed attempts: try again in"


def _text(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _audit_count(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent))


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


def _goes_to(response, path: str) -> bool:
    return response.status_code == 302 and response.headers["Location"].split("?")[0] == path


@pytest.fixture
def finance(session):
    user = UserFactory(role=Role.FINANCE, email="fran.finance@springfield.gov", name="Fran Finance")
    session.flush()
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


def _unlock_everything(session) -> None:
    """Time passes: every wait and lock is over (the counters stay)."""
    for row in session.scalars(select(SignInThrottle)):
        row.locked_until = utcnow() - timedelta(seconds=1)
    session.flush()


# --- throttling ---------------------------------------------------------------------------------


def test_thirty_wrong_passwords_in_a_row_and_the_right_one_is_refused_too(client, session, finance):
    for _ in range(30):
        response = client.sign_in(finance.email, "not-the-password")
        assert response.status_code in (401, 429)

    response = client.sign_in(finance.email, TEST_PASSWORD)

    assert response.status_code == 429
    assert TOO_MANY in _text(response)
    assert not _signed_in(client)
    # Counted in aggregate: one row for the account, one for the address; nothing in the audit trail.
    assert session.scalar(select(func.count()).select_from(SignInThrottle)) == 2
    assert _events(session, "sign_in_failed") == [] and _events(session, "sign_in") == []


def test_ten_failures_however_slow_lock_the_account_for_minutes_with_one_audit_event(client, session, finance):
    for _ in range(10):
        _unlock_everything(session)  # each attempt waits out the delay before it
        client.sign_in(finance.email, "not-the-password")

    response = client.sign_in(finance.email, TEST_PASSWORD)

    assert response.status_code == 429
    assert TOO_MANY in _text(response) and "15 minutes" in _text(response)
    [lock] = _events(session, "sign_in_locked")
    assert lock.object_id == str(finance.id) and "locked" in lock.summary
    client.sign_in(finance.email, "not-the-password")
    assert len(_events(session, "sign_in_locked")) == 1, "attempts during the lock neither count nor log"


def test_waits_grow_after_a_few_failures_and_the_page_says_when_to_try_again(client, session, finance):
    for _ in range(3):
        assert client.sign_in(finance.email, "not-the-password").status_code == 401
    third = client.sign_in(finance.email, "still-not-the-password")
    assert "try again in" in _text(third)

    refused = client.sign_in(finance.email, TEST_PASSWORD)  # at once: still waiting
    assert refused.status_code == 429 and TOO_MANY in _text(refused)

    _unlock_everything(session)
    assert client.sign_in(finance.email, TEST_PASSWORD).status_code == 302
    assert _signed_in(client)
    account = session.scalars(select(SignInThrottle).where(SignInThrottle.kind == "account")).first()
    assert account is None, "a successful sign-in forgives the account's failures"


def test_an_unknown_email_locks_exactly_like_a_known_one(client, session, finance):
    answers = {}
    for email in (finance.email, "nobody@springfield.gov"):
        for _ in range(10):
            _unlock_everything(session)  # every attempt counts: the lock starts at the tenth
            client.sign_in(email, "not-the-password")
        session.query(SignInThrottle).filter_by(kind="address").delete()  # the address lock is another test
        response = client.sign_in(email, "not-the-password")
        answers[email] = (response.status_code, re.sub(r"\d+ (seconds?|minutes)|\d", "#", _text(response)))
    assert answers[finance.email] == answers["nobody@springfield.gov"]
    assert answers[finance.email][0] == 429


def test_one_address_trying_many_accounts_is_locked(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_ADDRESS_LOCK_AFTER", 12)
    for n in range(12):
        _unlock_everything(session)
        client.sign_in(f"guess{n}@springfield.gov", "not-the-password")
    victim = UserFactory(role=Role.PROCUREMENT, email="pat@springfield.gov")
    session.flush()

    response = client.sign_in(victim.email, TEST_PASSWORD)

    assert response.status_code == 429
    assert [e.summary.split(" until")[0] for e in _events(session, "sign_in_locked")] == [
        "sign-in locked for address 127.0.0.1"]


def test_anonymous_failures_write_no_audit_rows_whatever_email_is_typed(client, session):
    before = _audit_count(session)
    for n in range(20):
        client.sign_in(f"made-up-{n}@evil.example", "whatever-password")
    client.post(SIGN_IN, data={"email": "x@evil.example", "password": "p"})  # no CSRF token
    locks = len(_events(session, "sign_in_locked"))
    assert _audit_count(session) - before == locks <= 1


def test_unknown_email_takes_as_long_as_a_wrong_password(client, finance):
    """The password hash is checked either way (against a dummy hash for unknown emails)."""
    client.application.config["SIGN_IN_ACCOUNT_LOCK_AFTER"] = 10_000

    def timed(email: str) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            client.sign_in(email, "not-the-password")
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    try:
        known, unknown = timed(finance.email), timed("nobody@springfield.gov")
    finally:
        client.application.config["SIGN_IN_ACCOUNT_LOCK_AFTER"] = 10
    assert unknown > known * 0.5, f"unknown email answered in {unknown:.3f}s, a known one in {known:.3f}s"


# --- sessions -----------------------------------------------------------------------------------


def test_a_session_cookie_copied_before_sign_out_no_longer_works_after_it(app, client, finance):
    client.sign_in(finance.email, TEST_PASSWORD)
    copied = client.get_cookie("session").value

    client.post("/auth/sign-out", data={"csrf_token": client.csrf_token("/")})

    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert _goes_to(thief.get("/"), SIGN_IN)


def test_signing_out_ends_every_session_of_the_user(app, finance):
    laptop, phone = app.test_client(), app.test_client()
    laptop.sign_in(finance.email, TEST_PASSWORD)
    phone.sign_in(finance.email, TEST_PASSWORD)

    laptop.post("/auth/sign-out", data={"csrf_token": laptop.csrf_token("/")})

    assert _goes_to(phone.get("/"), SIGN_IN)


def test_csrf_token_changes_at_sign_in_and_at_sign_out(client, finance):
    before = client.csrf_token(SIGN_IN)
    client.sign_in(finance.email, TEST_PASSWORD)
    signed_in = client.csrf_token("/")
    client.post("/auth/sign-out", data={"csrf_token": signed_in})
    after = client.csrf_token(SIGN_IN)

    assert before != signed_in != after
    # The token from before sign-in does not work for the new session's forms.
    client.sign_in(finance.email, TEST_PASSWORD)
    assert client.post("/auth/sign-out", data={"csrf_token": signed_in}).status_code == 400


@pytest.mark.parametrize("key, age, message", [
    (SEEN_AT, 31 * 60, "without activity"),
    (SIGNED_IN_AT, 8 * 3600 + 60, "sign-in has expired"),
])
def test_idle_and_absolute_timeouts_are_enforced_by_the_server(client, finance, key, age, message):
    client.sign_in(finance.email, TEST_PASSWORD)
    assert _signed_in(client)
    with client.session_transaction() as session:
        session[key] = session[key] - age

    response = client.get("/contracts/")

    assert _goes_to(response, SIGN_IN)
    assert message in _text(client.get(SIGN_IN))


# --- MFA ----------------------------------------------------------------------------------------


def _enrol(client) -> tuple[str, list[str]]:
    page = client.get("/auth/mfa/setup")
    html = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html, "the QR code is drawn here, as a data: image"
    secret = re.search(r'data-testid="mfa-secret">([A-Z2-7]+)<', html).group(1)
    done = client.post("/auth/mfa/setup", data={"code": pyotp.TOTP(secret).now(),
                                                "csrf_token": client.csrf_token("/auth/mfa/setup")})
    assert done.status_code == 200 and "shown only this once" in _text(done)
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.get_data(as_text=True))
    return secret, codes


def test_an_admin_without_mfa_must_enrol_before_any_page_then_signs_in_with_a_code(app, session):
    newcomer = UserFactory(role=Role.ADMIN, email="new.admin@springfield.gov", totp_secret=None)
    session.flush()
    client = app.test_client()
    client.sign_in(newcomer.email, TEST_PASSWORD)

    for path in ("/", "/admin/users", "/contracts/"):
        assert _goes_to(client.get(path), "/auth/mfa/setup"), path
    secret, codes = _enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    session.refresh(newcomer)
    assert newcomer.totp_secret == secret
    assert all(code not in str(newcomer.recovery_code_hashes) for code in codes), "codes are stored hashed"
    assert _signed_in(client)

    again = app.test_client()
    asked = again.sign_in(newcomer.email, TEST_PASSWORD, complete_mfa=False)
    assert again.asks_for_code(asked)
    assert not _signed_in(again), "the password alone does not sign in"
    wrong = again.enter_code("000000")
    assert wrong.status_code == 401 and "not right" in _text(wrong)
    assert _goes_to(again.enter_code(pyotp.TOTP(secret).now()), "/")
    assert _signed_in(again)


def test_a_recovery_code_signs_in_once(app, session):
    user = UserFactory(role=Role.FINANCE, totp_secret=None)
    session.flush()
    client = app.test_client()
    client.sign_in(user.email, TEST_PASSWORD)
    _secret, codes = _enrol(client)

    first, second = app.test_client(), app.test_client()
    first.sign_in(user.email, TEST_PASSWORD, complete_mfa=False)
    assert _goes_to(first.enter_code(codes[0]), "/")
    second.sign_in(user.email, TEST_PASSWORD, complete_mfa=False)
    assert second.enter_code(codes[0]).status_code == 401
    assert [e.action for e in _events(session, "mfa_recovery_code_used")] == ["mfa_recovery_code_used"]


def test_a_totp_code_cannot_be_used_twice(app, session, finance, monkeypatch):
    monkeypatch.setitem(app.config, "MFA_REPLAY_PROTECTION", True)  # the default outside tests
    code = pyotp.TOTP(TEST_TOTP_SECRET).now()
    first, second = app.test_client(), app.test_client()
    first.sign_in(finance.email, TEST_PASSWORD, complete_mfa=False)
    assert _goes_to(first.enter_code(code), "/")
    second.sign_in(finance.email, TEST_PASSWORD, complete_mfa=False)
    assert second.enter_code(code).status_code == 401


def test_mfa_is_optional_for_procurement(app, session):
    user = UserFactory(role=Role.PROCUREMENT)
    session.flush()
    client = app.test_client()
    assert _goes_to(client.sign_in(user.email, TEST_PASSWORD), "/")
    assert _signed_in(client)


# --- passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "password12", "1234567890", "aaaaaaaaaaaa", "password1234",
                                      "123456789012", "clerk.jones-2026-x"])
def test_weak_or_guessable_passwords_are_refused(cli, session, password):
    result = cli.invoke(args=["create-user", "clerk.jones@springfield.gov", "--role", "procurement",
                              "--password-stdin"], input=password + "\n")
    assert result.exit_code == 1
    assert re.search(r"password: (must be at least 12|is too common|must not contain)", result.stderr), result.stderr
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_changing_your_password_needs_the_current_one_and_ends_other_sessions(app, finance):
    client, other = app.test_client(), app.test_client()
    client.sign_in(finance.email, TEST_PASSWORD)
    other.sign_in(finance.email, TEST_PASSWORD)

    wrong = client.post_form("/auth/password", {"current_password": "nope", "new_password": "zebra-copper-lantern",
                                                "confirm": "zebra-copper-lantern"})
    assert "not your current password" in _text(wrong)
    weak = client.post_form("/auth/password", {"current_password": TEST_PASSWORD, "new_password": "password1234",
                                               "confirm": "password1234"})
    assert "too common" in _text(weak)
    done = client.post_form("/auth/password", {"current_password": TEST_PASSWORD,
                                               "new_password": "zebra-copper-lantern", "confirm": "zebra-copper-lantern"})

    assert _goes_to(done, "/")
    assert _signed_in(client), "this session continues"
    assert _goes_to(other.get("/"), SIGN_IN), "the other session ended"
    assert app.test_client().sign_in(finance.email, "zebra-copper-lantern").status_code == 302


# --- account management -------------------------------------------------------------------------


def _manage(admin_client, user, **data):
    path = f"/admin/users/{user.id}"
    return admin_client.post_form(path, data, follow_redirects=True)


def test_deactivating_a_user_ends_their_open_session_and_is_audited(app, admin_client, session, finance):
    employee = app.test_client()
    employee.sign_in(finance.email, TEST_PASSWORD)
    assert _signed_in(employee)

    page = _manage(admin_client, finance, action="deactivate")

    assert "deactivated" in _text(page)
    assert _goes_to(employee.get("/"), SIGN_IN)
    assert app.test_client().sign_in(finance.email, TEST_PASSWORD).status_code == 401
    [event] = _events(session, "user_deactivated")
    assert event.before["is_enabled"] is True and event.after["is_enabled"] is False
    assert "totp_secret" not in event.after and "password_hash" not in event.after

    _manage(admin_client, finance, action="reactivate")
    assert app.test_client().sign_in(finance.email, TEST_PASSWORD).status_code == 302


def test_changing_a_role_ends_the_users_sessions(app, admin_client, session, finance):
    employee = app.test_client()
    employee.sign_in(finance.email, TEST_PASSWORD)

    page = _manage(admin_client, finance, action="role", role="procurement")

    assert "is now Procurement officer" in _text(page)
    assert _goes_to(employee.get("/"), SIGN_IN)
    [event] = _events(session, "user_role_changed")
    assert (event.before["role"], event.after["role"]) == ("finance", "procurement")


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(admin_client, session, admin):
    assert "last active admin" in _text(_manage(admin_client, admin, action="role", role="finance"))
    other = UserFactory(role=Role.ADMIN, email="other.admin@springfield.gov")
    session.flush()
    _manage(admin_client, other, action="deactivate")
    refused = _manage(admin_client, admin, action="role", role="finance")
    assert "last active admin" in _text(refused)
    session.refresh(admin)
    assert admin.role is Role.ADMIN and admin.is_enabled


def test_an_admin_reset_forces_a_new_password_at_next_sign_in(app, admin_client, session, finance):
    page = _manage(admin_client, finance, action="reset_password", confirm="y")
    temporary = re.search(r'data-testid="temporary-password">.*?<code>([^<]+)</code>', page.get_data(as_text=True),
                          re.S).group(1)
    assert [e.action for e in _events(session, "password_reset")] == ["password_reset"]
    assert temporary not in str([e.summary for e in _events(session, "password_reset")])

    client = app.test_client()
    assert client.sign_in(finance.email, TEST_PASSWORD).status_code == 401
    client.sign_in(finance.email, temporary)
    assert _goes_to(client.get("/"), "/auth/password")
    client.post_form("/auth/password", {"current_password": temporary, "new_password": "zebra-copper-lantern",
                                        "confirm": "zebra-copper-lantern"})
    assert _signed_in(client)


def test_users_page_shows_last_sign_in_and_a_manage_link(admin_client, admin):
    text = _text(admin_client.get("/admin/users"))
    assert "Last sign-in" in text and "Manage" in text and "never" not in text.split(admin.email)[1][:80]


def test_create_user_makes_a_vendor_user_of_one_vendor(cli, session):
    vendor = VendorFactory(name="Harbor Paving Co")
    session.flush()
    refused = cli.invoke(args=["create-user", "sam@harbor.example", "--role", "vendor", "--password-stdin"],
                         input="zebra-copper-lantern\n")
    assert refused.exit_code == 1 and "--vendor" in refused.stderr
    done = cli.invoke(args=["create-user", "sam@harbor.example", "--role", "vendor", "--vendor", "Harbor Paving Co",
                            "--password-stdin"], input="zebra-copper-lantern\n")
    assert done.exit_code == 0, done.stderr
    user = session.scalars(select(User).where(User.email == "sam@harbor.example")).one()
    assert user.role is Role.VENDOR and user.vendor_id == vendor.id


# --- two people for approvals (SPEC §8) ----------------------------------------------------------


def test_the_finance_user_who_drafted_a_recommendation_cannot_approve_it(app, session, finance, monkeypatch):
    draft = RecommendationFactory(created_by_id=finance.id)
    colleague = UserFactory(role=Role.FINANCE, email="cole.finance@springfield.gov")
    session.flush()
    drafter = app.test_client()
    drafter.sign_in(finance.email, TEST_PASSWORD)

    page = drafter.get(f"/recommendations/{draft.id}")
    assert "another finance user approves it" in _text(page)
    refused = drafter.post_form(f"/recommendations/{draft.id}/approve", {}, token_from="/", follow_redirects=True)
    assert "you drafted this recommendation" in _text(refused)
    session.expire_all()
    assert session.get(Recommendation, draft.id).status == RecommendationStatus.DRAFT

    second = app.test_client()
    second.sign_in(colleague.email, TEST_PASSWORD)
    second.post_form(f"/recommendations/{draft.id}/approve", {}, token_from="/")
    session.expire_all()
    approved = session.get(Recommendation, draft.id)
    assert approved.status == RecommendationStatus.APPROVED and approved.approved_by_id == colleague.id


def test_a_one_person_office_may_allow_self_approval(app, session, finance, monkeypatch):
    monkeypatch.setitem(app.config, "ALLOW_SELF_APPROVAL", True)
    draft = RecommendationFactory(created_by_id=finance.id)
    session.flush()
    client = app.test_client()
    client.sign_in(finance.email, TEST_PASSWORD)
    client.post_form(f"/recommendations/{draft.id}/approve", {}, token_from="/")
    session.expire_all()
    assert session.get(Recommendation, draft.id).status == RecommendationStatus.APPROVED


def test_an_admin_signs_a_user_out_everywhere(app, admin_client, session, finance):
    employee = app.test_client()
    employee.sign_in(finance.email, TEST_PASSWORD)

    page = _manage(admin_client, finance, action="end_sessions")

    assert "Every session of" in _text(page)
    assert _goes_to(employee.get("/"), SIGN_IN)
    assert [e.action for e in _events(session, "sessions_ended")] == ["sessions_ended"]


def test_a_temporary_password_stops_working_after_three_days(app, admin_client, session, finance):
    page = _manage(admin_client, finance, action="reset_password", confirm="y")
    temporary = re.search(r"<code>([^<]+)</code>", page.get_data(as_text=True)).group(1)
    finance.password_changed_at = utcnow() - timedelta(days=3, minutes=1)
    session.flush()
    assert app.test_client().sign_in(finance.email, temporary).status_code == 401


def test_new_recovery_codes_need_the_password_and_replace_the_old_ones(app, session, finance):
    client = app.test_client()
    client.sign_in(finance.email, TEST_PASSWORD)
    refused = client.post_form("/auth/account/recovery-codes", {"password": "wrong"}, token_from="/auth/account",
                               follow_redirects=True)
    assert "need your password" in _text(refused)
    page = client.post_form("/auth/account/recovery-codes", {"password": TEST_PASSWORD}, token_from="/auth/account")
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page.get_data(as_text=True))
    assert len(codes) == 10
    other = app.test_client()
    other.sign_in(finance.email, TEST_PASSWORD, complete_mfa=False)
    assert _goes_to(other.enter_code(codes[3].upper()), "/")
