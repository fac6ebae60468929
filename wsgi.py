"""Entry point for `flask --app wsgi` and gunicorn (`gunicorn -c deploy/gunicorn.conf.py wsgi:app`).

Kept light: a command's start-up is this import, so heavy libraries load where they are used, and the
server-only step (settle_heap) runs in gunicorn's when_ready hook, not here. A `flask … --help` command line
gets the app with its commands only (no models, views or extensions): help runs no command.
"""
import os
import sys

from contracts_app import create_app

SERVING_COMMANDS = {"run", "shell", "routes"}  # Flask's own: they use the whole app, and no setup-first guard covers them


def only_help_is_asked() -> bool:
    """Help never runs a command, so `flask … --help` needs only the app's commands (FlaskGroup sets the variable)."""
    arguments = sys.argv[1:]
    return (os.environ.get("FLASK_RUN_FROM_CLI") == "true" and "--help" in arguments
            and not SERVING_COMMANDS.intersection(arguments))


app = create_app(commands_only=only_help_is_asked())
