"""Entry point for `flask --app wsgi` and gunicorn (`gunicorn wsgi:app`)."""
from contracts_app import create_app
from contracts_app.server_heap import settle_heap

app = create_app()
settle_heap()
