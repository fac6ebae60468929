from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from models import User, db, utcnow

from ..audit import record_event
from ..unit_of_work import commit_now
from .forms import ChangePasswordForm, CodeForm, EnrolForm, RecoveryCodesForm, SignInForm
from .mfa import new_secret, provisioning_uri, qr_data_uri, required_for
from .services import (
    PasswordRefused,
    SignInResult,
    authenticate,
    change_own_password,
    check_second_step,
    enrol_mfa,
    record_sign_in,
    regenerate_recovery_codes,
)
from .sessions import end_all_sessions, refresh_session, start_session

bp = Blueprint("auth", __name__, url_prefix="/auth")

WRONG_CREDENTIALS = "That email and password do not match an active account."
WRONG_CODE = "That code is not right, or was already used. Check your authenticator app and try again."
PENDING = "mfa_pending"
PENDING_SECONDS = 300
SETUP_SECRET = "mfa_setup_secret"


def _safe_next(target: str | None) -> str:
    """Only same-site paths; anything else goes to the dashboard."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") \
                and "\\" not in target:
            return target
    return url_for("dashboard.index")


def _wait_message(result: SignInResult) -> str:
    seconds = max(1, int((result.retry_at - utcnow()).total_seconds() + 0.999))
    when = (f"{seconds} second{'s' if seconds != 1 else ''}" if seconds < 120
            else f"{(seconds + 59) // 60} minutes")
    return f"Too many failed attempts: try again in {when} (after {result.retry_at:%H:%M:%S} UTC)."


def _pending_user() -> User | None:
    """The user who gave the right password and still owes the second step, if that was recent."""
    pending = session.get(PENDING)
    if not pending or int(utcnow().timestamp()) - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    user = db.session.get(User, pending.get("uid"))
    if user is None or not user.is_enabled or user.session_version != pending.get("sv") or not user.mfa_enabled:
        session.pop(PENDING, None)
        return None
    return user


def _finish(user: User, next_target: str | None):
    start_session(user)
    record_sign_in(user)
    return redirect(_safe_next(next_target))


def _second_step(user: User):
    form = CodeForm()
    if request.method == "POST" and form.validate_on_submit():
        result = check_second_step(user, form.code.data, request.remote_addr)
        if result.user is not None:
            next_target = session.get(PENDING, {}).get("next")
            return _finish(user, next_target)
        commit_now()  # the failure counts toward the throttle although the answer is a refusal
        flash(_wait_message(result) if result.throttled else
              WRONG_CODE + (" " + _wait_message(result) if result.retry_at else ""), "danger")
        form.code.data = ""
        return render_template("auth/sign_in_code.html", form=form), 429 if result.throttled else 401
    return render_template("auth/sign_in_code.html", form=form)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    if request.args.get("restart"):
        session.pop(PENDING, None)
    pending = _pending_user()
    if pending is not None and (request.method == "GET" or "code" in request.form):
        return _second_step(pending)
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        result = authenticate(form.email.data, form.password.data, request.remote_addr)
        user = result.user
        if user is not None and user.mfa_enabled:
            session.clear()  # a new session for the second step; the CSRF token changes too
            session[PENDING] = {"uid": user.id, "sv": user.session_version, "at": int(utcnow().timestamp()),
                                "next": form.next.data or ""}
            return redirect(url_for("auth.sign_in"))
        if user is not None:
            return _finish(user, form.next.data)
        commit_now()  # the failure counts toward the throttle although the answer is a refusal
        if result.throttled:
            flash(_wait_message(result), "danger")
        else:
            flash(WRONG_CREDENTIALS + (" " + _wait_message(result) if result.retry_at else ""), "danger")
        form.password.data = ""
        return render_template("auth/sign_in.html", form=form), 429 if result.throttled else 401
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    user = current_user._get_current_object()
    record_event("sign_out", user)
    end_all_sessions(user)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account")
def account():
    return render_template("auth/account.html", user=current_user, codes_form=RecoveryCodesForm(),
                           mfa_required=required_for(current_user.role))


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        try:
            change_own_password(user, form.current_password.data, form.new_password.data)
        except PasswordRefused as exc:
            name, _, message = str(exc).partition(": ")
            getattr(form, name).errors.append(message)
        else:
            refresh_session(user)
            flash("Password changed. Any other session of yours has been signed out.", "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/change_password.html", form=form, forced=user.must_change_password)


@bp.route("/mfa/setup", methods=["GET", "POST"])
def mfa_setup():
    user = current_user._get_current_object()
    secret = session.get(SETUP_SECRET) or new_secret()
    session[SETUP_SECRET] = secret
    form = EnrolForm()
    if form.validate_on_submit():
        if user.mfa_enabled and not user.check_password(form.password.data or ""):
            form.password.errors.append("that is not your password")
        else:
            codes = enrol_mfa(user, secret, form.code.data)
            if codes is None:
                form.code.errors.append("that code does not match; check the time on your phone and type the newest code")
            else:
                session.pop(SETUP_SECRET, None)
                refresh_session(user)
                return render_template("auth/recovery_codes.html", codes=codes, first_time=True)
    uri = provisioning_uri(user, secret)
    return render_template("auth/mfa_setup.html", form=form, secret=secret, qr=qr_data_uri(uri),
                           replacing=user.mfa_enabled)


@bp.route("/account/recovery-codes", methods=["POST"])
def recovery_codes():
    user = current_user._get_current_object()
    form = RecoveryCodesForm()
    if not user.mfa_enabled:
        flash("Set up two-step sign-in first.", "warning")
        return redirect(url_for("auth.account"))
    if not form.validate_on_submit() or not user.check_password(form.password.data or ""):
        flash("New recovery codes need your password; nothing changed.", "danger")
        return redirect(url_for("auth.account"))
    codes = regenerate_recovery_codes(user)
    return render_template("auth/recovery_codes.html", codes=codes, first_time=False)
