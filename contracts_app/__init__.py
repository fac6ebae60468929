"""The Flask application factory: it only calls small register_* functions.

Kept light at import (Flask only): `flask … --help` builds the app with its commands alone (wsgi.py), so the
models, SQLAlchemy and the extensions load in the register_* functions that use them.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, request

from .config import build_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PUBLIC_ENDPOINTS = {"auth.sign_in", "auth_sso.start", "auth_sso.callback", "health.healthz", "health.readyz",
                    "static", "bootstrap.static"}
_SETUP_COMPLETE = "contracts_app.setup_complete"


def create_app(overrides: dict | None = None, *, commands_only: bool = False) -> Flask:
    """The app. With commands_only, its configuration and commands alone (enough to print their help); a
    command run in it completes the setup first (cli.register_cli)."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    overrides = overrides or {}
    app.config.update(build_config(Path(app.instance_path), overrides))
    app.config.update(overrides)
    register_commands(app, commands_only=commands_only)
    if not commands_only:
        complete_setup(app)
    return app


def complete_setup(app: Flask) -> None:
    """Everything but the configuration and the commands, once: what pages, jobs and commands need."""
    if app.extensions.get(_SETUP_COMPLETE):
        return
    app.extensions[_SETUP_COMPLETE] = True
    register_url_converters(app)
    register_request_log(app)
    register_extensions(app)
    register_unit_of_work(app)
    register_blueprints(app)
    register_input_guards(app)
    register_sign_in_wall(app)
    register_security(app)
    register_errors(app)
    register_template_helpers(app)
    register_jobs(app)


def register_url_converters(app: Flask) -> None:
    from .input_guards import register_url_converters as bounded_ids

    bounded_ids(app)


def register_request_log(app: Flask) -> None:
    """First of the request hooks: the request id exists before anything logs, and the line is written last."""
    from .logs import register_request_log as register

    register(app)


def register_input_guards(app: Flask) -> None:
    from .input_guards import register_input_guards as refuse_control_characters

    refuse_control_characters(app)


def register_extensions(app: Flask) -> None:
    from . import database  # noqa: F401  (SQLite connection pragmas)
    from .extensions import bootstrap, csrf, db, login_manager, migrate

    db.init_app(app)
    from .pool_liveness import install_liveness_check

    with app.app_context():
        install_liveness_check(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from models import User

    from .auth.sessions import register_first_steps, session_is_current
    from .notifications.services import remember_unread_count, unread_count_column

    @login_manager.user_loader
    def load_user(user_id: str):
        """The signed-in user, only while their session is current (version, idle and absolute timeouts)."""
        # One query for all a page needs of its user: the vendor (a vendor user's pages name it) and the unread
        # notifications of the navigation bar, joined in; no second round trip.
        if not user_id.isdigit():
            return None
        row = db.session.execute(select(User, unread_count_column()).options(joinedload(User.vendor))
                                 .where(User.id == int(user_id))).first()
        if row is None:
            return None
        user, unread = row
        if not user.is_enabled or not session_is_current(user):
            return None
        remember_unread_count(user, unread)
        return user

    register_first_steps(app)


def register_unit_of_work(app: Flask) -> None:
    from .unit_of_work import register_unit_of_work as register

    register(app)


def register_blueprints(app: Flask) -> None:
    from .action_plans.views import bp as action_plans_bp
    from .admin.views import bp as admin_bp
    from .auth.views import bp as auth_bp
    from .benchmark.views import bp as benchmark_bp
    from .categories.views import bp as categories_bp
    from .contracts.views import bp as contracts_bp
    from .dashboard.views import bp as dashboard_bp
    from .data_calendar.views import bp as data_calendar_bp
    from .disputes.views import bp as disputes_bp
    from .glossary.views import bp as glossary_bp
    from .health.views import bp as health_bp
    from .jobs.views import bp as jobs_bp
    from .library.views import bp as library_bp
    from .meetings.views import bp as meetings_bp
    from .notifications.views import bp as notifications_bp
    from .ocds.views import bp as ocds_bp
    from .payments.views import bp as payments_bp
    from .public.views import bp as public_bp
    from .rankings.views import bp as rankings_bp
    from .recommendations.views import bp as recommendations_bp
    from .renewals.views import bp as renewals_bp
    from .schedules.views import bp as schedules_bp
    from .scorecards.views import bp as scorecards_bp
    from .uploads.views import bp as uploads_bp
    from .vendor_portal.views import bp as vendor_portal_bp
    from .vendors.views import bp as vendors_bp

    for blueprint in (
        renewals_bp,
        auth_bp, dashboard_bp, vendors_bp, categories_bp, contracts_bp, schedules_bp, uploads_bp, library_bp,
        scorecards_bp, rankings_bp, payments_bp, recommendations_bp, admin_bp, health_bp, jobs_bp,
        vendor_portal_bp, action_plans_bp, notifications_bp, disputes_bp, glossary_bp,
        data_calendar_bp, ocds_bp, meetings_bp, public_bp, benchmark_bp,
    ):
        app.register_blueprint(blueprint)

    from .api.token_views import bp as api_tokens_bp
    from .api.views import authenticate_request
    from .api.views import bp as api_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(api_tokens_bp)
    # First of the request hooks that read `current_user`: on /api/v1 it is the token's user, never the session's.
    app.before_request_funcs.setdefault(None, []).insert(0, authenticate_request)

    from .auth.oidc import register_sso

    register_sso(app)


def register_sign_in_wall(app: Flask) -> None:
    """Every page needs sign-in except the sign-in page, /healthz, /readyz, static files and the public scorecards
    (/public, the `public` blueprint: published categories' final months only); a vendor user reaches
    only their account and the views marked @open_to_vendors (security.py), and gets a 404 anywhere else."""
    from flask_login import current_user

    from models import Role

    from .extensions import login_manager

    @app.before_request
    def require_sign_in():
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None or request.blueprint == "public":
            return None
        if request.blueprint == "api":
            return None  # the API checks its own tokens (api/views.py), and answers JSON
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role == Role.VENDOR and not _open_to_vendors(app, request.endpoint):
            return _closed_to_vendors()
        return None


def _open_to_vendors(app: Flask, endpoint: str) -> bool:
    """A vendor user's own account pages, static files, and the views marked `security.open_to_vendors`."""
    if endpoint.startswith("auth.") or endpoint in ("static", "bootstrap.static"):
        return True
    return bool(getattr(app.view_functions.get(endpoint), "open_to_vendors", False))


def _closed_to_vendors():
    """The city's home sends a vendor user to their own; any other city page does not exist for them (404,
    never 403: a vendor learns nothing about what is there)."""
    from flask import abort, redirect, url_for

    if request.endpoint == "dashboard.index":
        return redirect(url_for("vendor_portal.home"))
    abort(404)


def register_security(app: Flask) -> None:
    from .security import register_security_headers

    register_security_headers(app)


def register_errors(app: Flask) -> None:
    from .errors import register_error_handlers

    register_error_handlers(app)


def register_template_helpers(app: Flask) -> None:
    from .templating import register_filters

    register_filters(app)


def register_jobs(app: Flask) -> None:
    from .jobs.queue import init_jobs

    init_jobs(app)


def register_commands(app: Flask, *, commands_only: bool = False) -> None:
    from .cli import register_cli

    register_cli(app, setup_first=(lambda: complete_setup(app)) if commands_only else None)
