"""What is logged and how (README "What is logged, where"): one line per request and one per warning or
error, on stderr, as JSON (LOG_FORMAT=json, the default under gunicorn) or as text; every line carries the
request id, taken from a valid incoming X-Request-ID or made here, and sent back in the response.

A job started by a request logs with that request's id (the id travels with the job through the queue).
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import inspect

REQUEST_ID_HEADER = "X-Request-ID"
# Short and safe to copy into a log line or a header: letters, digits and . _ : - only, 1 to 64 of them.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
APP_LOGGER = "contracts_app"  # Flask's app.logger and every module logger under contracts_app/
LOGGERS = (APP_LOGGER, "huey")  # the job queue's consumer logs through the same handler in a worker
REQUEST_LOGGER = "contracts_app.requests"
_HANDLER_NAME = "outcomes-stderr"
# Outside a request (a job, a command): the id of the request that started the work, if any.
_work_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("work_request_id", default=None)


def accepted_request_id(candidate: str | None) -> str:
    """The caller's id when it is short and safe, else a new one (the caller's is never logged then)."""
    if candidate and VALID_REQUEST_ID.fullmatch(candidate):
        return candidate
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    if has_request_context():
        return g.get("request_id")
    return _work_request_id.get()


def working_for_request(request_id: str | None) -> contextvars.Token:
    """A job's log lines carry the id of the request that started it; reset with the returned token."""
    return _work_request_id.set(request_id if request_id and VALID_REQUEST_ID.fullmatch(request_id) else None)


def finished_working(token: contextvars.Token) -> None:
    _work_request_id.reset(token)


def _utc_time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record that has none."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when the line is written (a redirected or captured stream too)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class JsonFormatter(logging.Formatter):
    """One JSON object per line; a traceback stays inside its line, as the `exception` field."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": _utc_time(record), "level": record.levelname, "logger": record.name,
                "request_id": getattr(record, "request_id", None), "message": record.getMessage()}
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """For a person at a terminal: time, level, request id, the message and the request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None) or {}
        extra = " ".join(f"{key}={value}" for key, value in fields.items() if value is not None)
        text = f"{_utc_time(record)} {record.levelname} [{getattr(record, 'request_id', None) or '-'}] " \
               f"{record.getMessage()}" + (f" {extra}" if extra else "")
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure_logging(app: Flask) -> None:
    """One stderr handler on the app's loggers, in the configured format; calling it again replaces it."""
    log_format = app.config.get("LOG_FORMAT", "text")
    if log_format not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT: '{log_format}' is not a log format; use json or text")
    handler = StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    if not app.config.get("LOG_REQUESTS", True):
        logging.getLogger(REQUEST_LOGGER).setLevel(logging.WARNING)


def register_request_log(app: Flask) -> None:
    """Registered before the other request hooks, so the id exists first and the line is written last."""
    configure_logging(app)
    log = logging.getLogger(REQUEST_LOGGER)

    @app.before_request
    def take_request_id() -> None:
        g.request_started = time.perf_counter()
        g.request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))

    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = g.get("request_id") or accepted_request_id(None)
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
        fields = {"method": request.method, "path": request.path,
                  "query_keys": sorted(request.args.keys()) or None,  # names only: values may be personal
                  "status": response.status_code, "duration_ms": duration_ms, "user_id": _signed_in_user_id()}
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        log.log(level, "%s %s %s", request.method, request.path, response.status_code,
                extra={"fields": fields, "request_id": request_id})
        return response


def _signed_in_user_id() -> int | None:
    """The user Flask-Login already loaded for this request, without loading one (no query for /healthz), and
    without reading it again: the request's commit expired its attributes, its identity stays."""
    user = g.get("_login_user")
    # From the identity key, not the attributes: the commit before this expired the user, and reading `id` or
    # `is_authenticated` (is_enabled) would read the whole row again, a second user query on every page.
    # The anonymous user is not mapped: no state, no id.
    state = inspect(user, raiseerr=False) if user is not None else None
    if state is None or state.identity is None:
        return None
    return state.identity[0]
