"""Single sign-on against a real OpenID provider (Authlib's authorization server) on a loopback port.

The browser's part is played by the test client (our app) and `requests` (the provider's /authorize,
which auto-approves the person signed in there); the app itself discovers the provider, fetches its
JWKS and exchanges the code over HTTP.
"""
from __future__ import annotations

import os

import pytest
import requests
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from contracts_app import create_app
from models import AuditEvent, Role, User, db

from .factories import UserFactory
from .oidc_provider import LoopbackOpenIDProvider, Person, random_secret

CALLBACK = "http://localhost/auth/sso/callback"
BUTTON = "Sign in with your city account"


@pytest.fixture(scope="module")
def provider():
    previous = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the provider runs on plain http on 127.0.0.1
    running = LoopbackOpenIDProvider("outcome-tracker", random_secret(), CALLBACK).start()
    yield running
    running.stop()
    if previous is None:
        os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
    else:
        os.environ["AUTHLIB_INSECURE_TRANSPORT"] = previous


@pytest.fixture
def sso(app, provider, monkeypatch):
    """The app configured for the provider, as the environment would configure it."""
    for key, value in {
        "OIDC_ISSUER": provider.issuer, "OIDC_CLIENT_ID": provider.client.client_id,
        "OIDC_CLIENT_SECRET": provider.client.client_secret,
        "OIDC_GROUP_ROLES": "city-finance=finance,city-admins=admin,public-works=contract_manager",
        "OIDC_GROUPS_CLAIM": "groups", "OIDC_TRUSTS_IDP_MFA": True,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    provider.signed_in = None
    provider.signing_key = None
    yield provider


def _sso_sign_in(client, provider, person: Person | None, next_path: str | None = None):
    """Start at our app, pass through the provider's /authorize, come back to our callback."""
    provider.signed_in = person
    start = client.get("/auth/sso/start" + (f"?next={next_path}" if next_path else ""))
    assert start.status_code == 302, start.get_data(as_text=True)
    authorize_url = start.headers["Location"]
    assert authorize_url.startswith(f"{provider.issuer}/authorize?")
    at_provider = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    callback_url = at_provider.headers["Location"]
    assert callback_url.startswith(CALLBACK + "?")
    return client.get(callback_url)


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_the_button_shows_only_when_single_sign_on_is_configured(client, app, provider, monkeypatch):
    assert BUTTON not in client.get("/auth/sign-in").get_data(as_text=True)
    assert client.get("/auth/sso/start").status_code == 404
    monkeypatch.setitem(app.config, "OIDC_ISSUER", provider.issuer)
    page = client.get("/auth/sign-in").get_data(as_text=True)
    assert BUTTON in page
    assert 'href="/auth/sso/start"' in page


def test_first_sign_in_creates_the_user_with_the_mapped_role(client, sso, session):
    person = Person("e-1001", "Pat.Lee@City.Example", "Pat Lee", groups=["all-staff", "city-finance"])
    response = _sso_sign_in(client, sso, person)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert sso.tokens, "the app exchanged the code at the provider's token endpoint"
    user = session.scalars(select(User).where(User.email == "pat.lee@city.example")).one()
    assert user.role == Role.FINANCE and user.name == "Pat Lee"
    assert client.get("/payments/").status_code == 200  # finance's page: signed in, as finance
    assert client.get("/admin/users").status_code == 403
    created, signed_in = _events("user_created")[-1], _events("sign_in")[-1]
    assert created.object_id == str(user.id) and "first sign-in with the city account" in created.summary
    assert signed_in.user_id == user.id and signed_in.after["method"] == "sso"


def test_an_existing_local_user_is_matched_by_email_and_given_the_groups_role(client, sso, session):
    user = UserFactory(email="admin.jo@city.example", role=Role.PROCUREMENT)
    session.commit()
    users_before = session.scalar(select(func.count()).select_from(User))
    response = _sso_sign_in(client, sso, Person("e-7", "admin.jo@city.example", groups=["city-admins"]),
                            next_path="/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"
    assert client.get("/admin/users").status_code == 200
    session.refresh(user)
    assert user.role == Role.ADMIN
    assert session.scalar(select(func.count()).select_from(User)) == users_before
    change = _events("user_updated")[-1]
    assert change.before["role"] == "procurement" and change.after["role"] == "admin"


def test_a_person_in_no_mapped_group_is_refused_with_a_clear_page(client, sso, session):
    users_before = session.scalar(select(func.count()).select_from(User))
    response = _sso_sign_in(client, sso, Person("e-9", "visitor@city.example", groups=["library-volunteers"]))
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "not in any group that has a role" in page
    assert session.scalar(select(func.count()).select_from(User)) == users_before
    assert client.get("/").status_code == 302  # not signed in: back to the sign-in page
    refused = _events("sign_in_failed")[-1]
    assert refused.actor == "visitor@city.example" and "library-volunteers" in refused.summary


def test_a_disabled_account_stays_out(client, sso, session):
    UserFactory(email="gone@city.example", role=Role.FINANCE, is_enabled=False)
    session.commit()
    response = _sso_sign_in(client, sso, Person("e-3", "gone@city.example", groups=["city-finance"]))
    assert response.status_code == 403
    assert "disabled" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_the_provider_refusing_is_a_clear_page_not_an_error(client, sso):
    response = _sso_sign_in(client, sso, None)
    assert response.status_code == 400
    assert "did not sign you in" in response.get_data(as_text=True)
    assert "access_denied" in _events("sign_in_failed")[-1].summary


def test_an_id_token_not_signed_by_the_providers_key_is_refused(client, sso):
    sso.signing_key = RSAKey.generate_key(2048, parameters={"kid": "test-signing-key"})
    response = _sso_sign_in(client, sso, Person("e-5", "mallory@city.example", groups=["city-admins"]))
    assert response.status_code == 400
    assert "bad_signature" in _events("sign_in_failed")[-1].summary
    assert client.get("/admin/users").status_code == 302
    assert db.session.scalar(select(User).where(User.email == "mallory@city.example")) is None


def test_a_callback_replayed_is_refused(client, sso):
    person = Person("e-1", "pat@city.example", groups=["city-finance"])
    sso.signed_in = person
    start = client.get("/auth/sso/start")
    callback_url = requests.get(start.headers["Location"], allow_redirects=False, timeout=10).headers["Location"]
    assert client.get(callback_url).status_code == 302
    other = type(client)(client.application)  # another browser, without the state cookie
    assert other.get(callback_url).status_code == 400
    assert "mismatching_state" in _events("sign_in_failed")[-1].summary
    assert other.get("/").status_code == 302


def test_when_the_provider_is_not_trusted_for_mfa_admins_need_it_in_the_token(client, sso, app, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_TRUSTS_IDP_MFA", False)
    password_only = Person("e-2", "ad@city.example", groups=["city-admins"], amr=["pwd"])
    response = _sso_sign_in(client, sso, password_only)
    assert response.status_code == 403
    assert "second factor" in response.get_data(as_text=True)
    with_mfa = Person("e-2", "ad@city.example", groups=["city-admins"], amr=["pwd", "otp", "mfa"])
    assert _sso_sign_in(client, sso, with_mfa).status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_an_unreachable_provider_is_a_clear_page(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_ISSUER", "http://127.0.0.1:9")  # the discard port: nothing listens
    response = client.get("/auth/sso/start")
    assert response.status_code == 502
    assert "cannot be reached" in response.get_data(as_text=True)
    assert "127.0.0.1:9" in _events("sso_provider_unusable")[-1].summary


@pytest.mark.parametrize("issuer, mapping, message", [
    ("https://login.city.example", "city-finance=finanse", "'finanse' in 'city-finance=finanse' is not a role"),
    ("https://login.city.example", "city-finance", "'city-finance' is not GROUP=ROLE"),
    ("http://login.city.example", "city-finance=finance", "must be an https:// address"),
])
def test_a_mistyped_setting_stops_the_app_at_start_naming_it(tmp_path, issuer, mapping, message):
    with pytest.raises(ValueError, match=message):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                    "OIDC_ISSUER": issuer, "OIDC_GROUP_ROLES": mapping})
