"""Structured logs (README "What is logged, where"): one line per request on stderr, JSON or text, with a
request id taken from a valid X-Request-ID or made here, sent back in the response, and carried by the log
lines of a job the request started."""
from __future__ import annotations

import json
import logging
import re

import pytest

from contracts_app import create_app
from contracts_app.logs import REQUEST_ID_HEADER, configure_logging
from models import Role
from tests.factories import TEST_PASSWORD, UserFactory

from .test_jobs import queue, run_queued, staged_big_upload  # noqa: F401  (fixtures)
from .test_uploads import contract, manager  # noqa: F401  (fixtures)

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def json_logs(app, capsys):
    """The app logging JSON to stderr, as under gunicorn; yields a reader of the lines written so far."""
    app.config["LOG_FORMAT"] = "json"
    configure_logging(app)
    capsys.readouterr()

    def lines() -> list[dict]:
        return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]

    yield lines
    app.config["LOG_FORMAT"] = "text"
    configure_logging(app)


def _request_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "contracts_app.requests"]


def test_each_request_writes_one_json_line_with_its_id_status_and_user(client, json_logs):
    finance = UserFactory(role=Role.FINANCE)
    client.sign_in(finance.email, TEST_PASSWORD)
    json_logs()

    response = client.get("/rankings/?category=none&email=someone@example.org", headers={REQUEST_ID_HEADER: "lb-42.a"})

    [line] = _request_lines(json_logs())
    assert response.headers[REQUEST_ID_HEADER] == "lb-42.a"
    assert line["request_id"] == "lb-42.a"
    assert line["method"] == "GET" and line["path"] == "/rankings/"
    assert line["status"] == response.status_code and line["level"] == "INFO"
    assert line["user_id"] == finance.id
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert ISO_UTC.fullmatch(line["time"])
    assert line["query_keys"] == ["category", "email"]
    assert "someone@example.org" not in json.dumps(line), "query values are never logged"


def test_an_unsafe_or_overlong_request_id_is_replaced_by_a_new_one(client, json_logs):
    for hostile in ("x" * 65, "id with spaces", "id;Set-Cookie=a", "<script>", "ünïcode"):
        response = client.get("/healthz", headers={REQUEST_ID_HEADER: hostile})
        given = response.headers[REQUEST_ID_HEADER]
        assert given != hostile and re.fullmatch(r"[0-9a-f]{32}", given)
        [line] = _request_lines(json_logs())
        assert line["request_id"] == given and line["user_id"] is None


def test_without_a_request_id_each_request_gets_its_own(client, json_logs):
    first = client.get("/healthz").headers[REQUEST_ID_HEADER]
    second = client.get("/healthz").headers[REQUEST_ID_HEADER]

    assert first != second
    assert [line["request_id"] for line in _request_lines(json_logs())] == [first, second]


def test_a_refused_request_is_logged_with_its_status(client, json_logs):
    client.get("/admin/users", headers={REQUEST_ID_HEADER: "anon-1"})

    [line] = _request_lines(json_logs())
    assert line["status"] == 302 and line["path"] == "/admin/users" and line["user_id"] is None


def test_a_server_error_is_one_json_line_with_the_traceback_and_the_request_id(tmp_path, capsys):
    app = create_app({"SECRET_KEY": "log-test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                      "LOG_FORMAT": "json", "JOBS_SQLITE_PATH": str(tmp_path / "queue.sqlite3")})

    @app.get("/test-only/boom")
    def boom():
        raise RuntimeError("disk on fire")

    from contracts_app import PUBLIC_ENDPOINTS

    PUBLIC_ENDPOINTS.add("boom")
    try:
        capsys.readouterr()
        response = app.test_client().get("/test-only/boom", headers={REQUEST_ID_HEADER: "boom-1"})
    finally:
        PUBLIC_ENDPOINTS.discard("boom")
        configure_logging(create_app({"SECRET_KEY": "x", "LOG_FORMAT": "text"}))

    assert response.status_code == 500
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    [error] = [line for line in lines if line["logger"] != "contracts_app.requests"]
    assert error["level"] == "ERROR" and error["request_id"] == "boom-1"
    assert "RuntimeError: disk on fire" in error["exception"]
    [request_line] = _request_lines(lines)
    assert request_line["status"] == 500 and request_line["level"] == "ERROR"


def test_text_format_is_one_readable_line_per_request(client, capsys):
    capsys.readouterr()
    client.get("/healthz?verbose=1", headers={REQUEST_ID_HEADER: "text-1"})

    [line] = [line for line in capsys.readouterr().err.splitlines() if "[text-1]" in line]
    assert re.match(r"\d{4}-\d\d-\d\dT[\d:.]+Z INFO \[text-1\] GET /healthz 200 method=GET path=/healthz "
                    r"query_keys=\['verbose'\] status=200 duration_ms=[\d.]+$", line)


def test_an_unknown_log_format_stops_the_app_naming_the_setting():
    with pytest.raises(ValueError, match="LOG_FORMAT: 'xml'"):
        create_app({"LOG_FORMAT": "xml", "SECRET_KEY": "x"})


def test_warnings_from_app_code_carry_the_request_id(app, json_logs):
    with app.test_request_context("/"):
        from flask import g

        g.request_id = "warn-1"
        logging.getLogger("contracts_app.jobs.runner").warning("job #%s attempt %s was taken over", 7, 1)

    [line] = json_logs()
    assert line == {"time": line["time"], "level": "WARNING", "logger": "contracts_app.jobs.runner",
                    "request_id": "warn-1", "message": "job #7 attempt 1 was taken over"}


def test_a_job_started_by_a_request_logs_with_that_requests_id(client, contract, manager, queue, tmp_path,
                                                               json_logs):
    staged = staged_big_upload(client, contract, tmp_path)
    token = client.csrf_token(f"/uploads/{staged.id}")
    response = client.post(f"/uploads/{staged.id}/commit", data={"csrf_token": token, "reason": ""},
                           headers={REQUEST_ID_HEADER: "commit-77"})
    assert response.location.startswith("/jobs/")
    json_logs()

    assert run_queued(queue) >= 1

    [done] = [line for line in json_logs() if line["logger"] == "contracts_app.jobs.runner"]
    assert "succeeded" in done["message"] and done["request_id"] == "commit-77"
