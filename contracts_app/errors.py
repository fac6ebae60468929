"""Friendly error pages; denied requests are written to the audit trail."""
from __future__ import annotations

from flask import Flask, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from models import Role, db

from .audit import record_event
from .input_guards import without_control_characters
from .transactions import write_separately


def _record_denial(reason: str) -> None:
    """Signed-in users' denials only (an anonymous caller must not write audit rows at will), each in a short
    write transaction of its own: a GET's read transaction could not wait for SQLite's lock."""
    if not current_user.is_authenticated:
        return
    path = without_control_characters(request.path)[:300]
    write_separately(record_event, "request_denied", summary=f"{request.method} {path}: {reason}")


def register_error_handlers(app: Flask) -> None:
    from .api.errors import error_response, is_api_request

    @app.errorhandler(403)
    def forbidden(error):
        if is_api_request():  # on /api/ every error is JSON (api/errors.py), never a page
            return error_response(403)
        roles: tuple[Role, ...] = g.get("required_roles", ())
        needed = " or ".join(r.label for r in roles)
        _record_denial(f"needs role {needed}" if needed else "forbidden")
        return render_template("errors/403.html", needed=needed, description=error.description), 403

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        _record_denial(f"CSRF check failed: {error.description}")
        return render_template("errors/400.html", description=(
            "This form's security token was missing or had expired. "
            "Go back, reload the page and submit the form again; nothing was saved."
        )), 400

    @app.errorhandler(400)
    def bad_request(error):
        if is_api_request():
            return error_response(400, error.description)
        return render_template("errors/400.html", description=error.description), 400

    @app.errorhandler(404)
    def not_found(error):
        if is_api_request():
            return error_response(404)
        return render_template("errors/404.html"), 404

    @app.errorhandler(405)
    def method_not_allowed(error):
        if is_api_request():
            return error_response(405)
        return error

    @app.errorhandler(413)
    def too_large(error):
        if is_api_request():
            return error_response(413)
        limit_mb = app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024)
        return render_template("errors/413.html", limit_mb=limit_mb), 413

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        if is_api_request():
            return error_response(500)
        return render_template("errors/500.html"), 500
