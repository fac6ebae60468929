"""Entry point for `flask --app wsgi` and gunicorn (`gunicorn wsgi:app`)."""
from contracts_app import create_app

app = create_app()
