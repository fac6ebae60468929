"""Gunicorn settings for the web service: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Long work (a big sheet's commit, a recompute over many months) runs on the jobs worker, so a request
only checks a sheet (about 16 s for 200,000 rows) or answers at once; the timeout leaves room for that.
"""
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("WEB_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))  # staging a 200,000-row sheet takes ~16 s
graceful_timeout = 30
keepalive = 5
# Workers are recycled now and then, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
# Load the app once in the master; when_ready below settles its heap before the workers fork.
preload_app = True
# Logs (README "What is logged, where"): the app writes one JSON line per request (with its X-Request-ID) and
# per warning or error on stderr, so gunicorn's own access log is off; its error log (start, stop, worker
# timeouts) goes to stderr as JSON lines too. LOG_FORMAT=text in the environment switches both to text.
os.environ.setdefault("LOG_FORMAT", "json")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
if os.environ["LOG_FORMAT"] == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "contracts_app.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"level": "WARNING", "handlers": []},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False}},
    }
# Behind the reverse proxy on the same host: trust its X-Forwarded-* headers only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """Once, in the master, after the preloaded app is built and before the first fork: settle the heap
    (gc.freeze), so the workers share the loaded app's pages and full collections skip it."""
    from contracts_app.health.services import migration_heads
    from contracts_app.server_heap import settle_heap

    migration_heads()  # /readyz compares the database with these; read once here, not in every worker
    settle_heap()


def post_fork(server, worker):
    """Each worker opens its own database connections; none is shared across the fork."""
    from models import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)
