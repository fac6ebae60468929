"""Extension objects, created without an app and bound in create_app()."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from models import db


class DeferredMigrate:
    """Flask-Migrate, bound without importing it: Alembic (a sixth of a second) loads only when migrations
    run (`flask db …`, init-db, /readyz), not for every command, worker or server start. The `flask db` group
    is registered with the other commands (db_cli.py)."""

    def init_app(self, app: Flask, database: Any, **options: Any) -> None:
        app.extensions["migrate"] = _MigrateOnFirstUse(app, database, options)


class _MigrateOnFirstUse:
    """Stands in app.extensions["migrate"] until something reads it; then Flask-Migrate binds for real."""

    def __init__(self, app: Flask, database: Any, options: dict):
        self._app, self._database, self._options = app, database, options

    def __getattr__(self, name: str) -> Any:
        from flask_migrate import Migrate

        Migrate().init_app(self._app, self._database, **self._options)  # replaces this stand-in
        return getattr(self._app.extensions["migrate"], name)


migrate = DeferredMigrate()
csrf = CSRFProtect()
login_manager = LoginManager()
bootstrap = Bootstrap5()

__all__ = ["bootstrap", "csrf", "db", "login_manager", "migrate"]
