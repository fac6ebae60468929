"""Entry point for `flask --app wsgi` and gunicorn (`gunicorn -c deploy/gunicorn.conf.py wsgi:app`).

Kept light: a command's start-up is this import, so heavy libraries load where they are used, and the
server-only step (settle_heap) runs in gunicorn's when_ready hook, not here.
"""
from contracts_app import create_app

app = create_app()
