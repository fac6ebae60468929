"""A command that touches nothing heavy starts without loading the heavy libraries: they are imported where
they are used (README "Command line"). Not a timing test: it reads sys.modules in a fresh process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask_migrate import upgrade

from contracts_app import create_app
from models import db

PROJECT = Path(__file__).resolve().parent.parent
# Each costs tens to hundreds of milliseconds to import; none is needed to list or parse commands.
HEAVY = ["pandas", "numpy", "openpyxl", "docx", "python_calamine", "authlib", "joserfc", "requests", "segno",
         "zxcvbn", "email_validator", "huey", "redis", "psycopg", "alembic", "PIL"]
# Runs the real `flask` entry point in-process, then reports which heavy modules it loaded.
PROBE = """
import contextlib, io, json, sys
from flask.cli import main
heavy = json.loads(sys.argv[2])
sys.argv = ["flask", "--app", "wsgi", *json.loads(sys.argv[1])]
output = io.StringIO()
with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
    try:
        main()
    except SystemExit as exit:
        code = exit.code
    else:
        code = 0
print(json.dumps({"code": code, "output": output.getvalue(),
                  "loaded": [m for m in heavy if m in sys.modules]}))
"""


@pytest.fixture
def empty_database(tmp_path) -> Path:
    """A migrated database with nothing in it, where the commands below look."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'outcomes.sqlite3'}",
                      "SECRET_KEY": "startup-test"})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return tmp_path


def _run(tmp_path: Path, *args: str) -> dict:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'outcomes.sqlite3'}", "SECRET_KEY": "startup-test",
           "JOBS_REDIS_URL": "", "REDIS_URL": "", "JOBS_SQLITE_PATH": str(tmp_path / "queue.sqlite3"),
           "OIDC_ISSUER": ""}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(args)), json.dumps(HEAVY)], cwd=PROJECT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["create-user", "--help"], ["import-sheet", "--help"]],
                         ids=" ".join)
def test_listing_and_help_load_no_heavy_library(tmp_path, args):
    result = _run(tmp_path, *args)

    assert result["code"] == 0, result["output"]
    assert "Usage: flask" in result["output"]
    assert result["loaded"] == [], f"`flask {' '.join(args)}` imported {result['loaded']}"


def test_flask_db_still_reaches_flask_migrate(tmp_path):
    """`flask db` is listed without loading Alembic, and loads it when used."""
    result = _run(tmp_path, "db", "--help")

    assert result["code"] == 0, result["output"]
    assert "upgrade" in result["output"] and "downgrade" in result["output"]
    assert "alembic" in result["loaded"]


def test_verifying_an_empty_audit_trail_loads_no_heavy_library(empty_database):
    result = _run(empty_database, "verify-audit")

    assert result["code"] in (0, None), result["output"]
    assert "Audit trail intact: 0 events" in result["output"]
    assert result["loaded"] == [], f"`flask verify-audit` imported {result['loaded']}"


def test_the_probe_sees_a_heavy_library_when_a_command_loads_one(empty_database):
    """The checks above can fail: a command that reads sheets loads the sheet machinery (numpy, calamine)."""
    result = _run(empty_database, "import-sheet", "NO-SUCH", "2030-01", str(PROJECT / "README.md"))

    assert result["code"] == 1 and "No contract numbered NO-SUCH" in result["output"]
    assert {"numpy", "python_calamine"} <= set(result["loaded"])
