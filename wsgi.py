"""Entry point for `flask --app wsgi` and gunicorn (`gunicorn -c deploy/gunicorn.conf.py wsgi:app`).

Kept light: a command's start-up is this import, so heavy libraries load where they are used, and the
server-only step (settle_heap) runs in gunicorn's when_ready hook, not here. A `flask … --help` command line
gets the app with its commands only (no models, views or extensions): help runs no command.
"""
import os
import sys

from contracts_app import create_app


def only_help_is_asked() -> bool:
    """Help never runs a command, so `flask … --help` needs only the app's commands (FlaskGroup sets the variable)."""
    return os.environ.get("FLASK_RUN_FROM_CLI") == "true" and "--help" in sys.argv[1:]


app = create_app(commands_only=only_help_is_asked())
