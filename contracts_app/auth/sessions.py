"""Server-side session rules: a per-user session version (bumping it ends every session of the user),
an idle and an absolute timeout from timestamps in the session, and the steps a user must take first
(a forced password change, MFA enrolment) before any other page."""
from __future__ import annotations

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user

from models import User, utcnow

from .mfa import required_for

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
VERSION = "session_version"
# Pages a user who must first change their password or enrol MFA may still open.
ALWAYS_OPEN = {"auth.sign_out", "auth.sign_in", "static", "bootstrap.static", "health.healthz",
               "health.readyz"}


def start_session(user: User) -> None:
    """A fresh session (and so a fresh CSRF token) for a user who has passed every sign-in step."""
    session.clear()
    login_user(user)
    now = int(utcnow().timestamp())
    session[VERSION] = user.session_version
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now
    user.last_sign_in_at = utcnow()


def refresh_session(user: User) -> None:
    """After the user changed their own credentials: other sessions end, this one continues, new CSRF token."""
    session.pop("csrf_token", None)
    session[VERSION] = user.session_version


def end_all_sessions(user: User) -> None:
    """Every cookie issued to this user before now stops working on its next request."""
    user.session_version = (user.session_version or 1) + 1


def session_is_current(user: User) -> bool:
    """Checked by the user loader on every request; marks the session as seen."""
    now = int(utcnow().timestamp())
    signed_in_at, seen_at = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if session.get(VERSION) != user.session_version or signed_in_at is None or seen_at is None:
        return False
    if now - signed_in_at > current_app.permanent_session_lifetime.total_seconds():
        session.clear()
        flash("Your sign-in has expired; please sign in again.", "info")
        return False
    if now - seen_at > current_app.config["SESSION_IDLE_SECONDS"]:
        session.clear()
        flash("You were signed out after a period without activity; please sign in again.", "info")
        return False
    if now - seen_at >= 5:  # the cookie is re-sent only when the time moved on
        session[SEEN_AT] = now
    return True


def register_first_steps(app: Flask) -> None:
    """A user told to change their password, or of a role that needs MFA and has none, does that first."""

    @app.before_request
    def first_steps():
        if request.endpoint in ALWAYS_OPEN or request.endpoint is None or request.blueprint == "api" \
                or not current_user.is_authenticated:
            return None
        user = current_user
        if user.must_change_password and request.endpoint != "auth.change_password":
            flash("Choose a new password before you go on.", "warning")
            return redirect(url_for("auth.change_password"))
        # An SSO sign-in got its second factor from the city's provider (trusted, or shown in the token).
        second_factor_by_provider = session.get("signed_in_with") == "sso"
        if not user.must_change_password and not user.mfa_enabled and required_for(user.role) \
                and not second_factor_by_provider and request.endpoint != "auth.mfa_setup":
            flash("Your role needs two-step sign-in: set it up before you go on.", "warning")
            return redirect(url_for("auth.mfa_setup"))
        return None
