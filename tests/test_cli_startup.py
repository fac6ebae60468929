"""A command that touches nothing heavy starts without loading the heavy libraries: they are imported where
they are used (README "Command line"). `flask … --help` gets the app with its commands only (wsgi.py): no
models, SQLAlchemy, views or extensions, the same help, and a command that runs in it anyway works as in the
full app. Not a timing test: it reads sys.modules in a fresh process."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from contracts_app import create_app
from contracts_app.cli import ROLE_VALUES
from models import AuditEvent, Role, User, db

PROJECT = Path(__file__).resolve().parent.parent
# Each costs tens to hundreds of milliseconds to import; none is needed to list or parse commands.
HEAVY = ["pandas", "numpy", "openpyxl", "docx", "python_calamine", "authlib", "joserfc", "requests", "segno",
         "zxcvbn", "email_validator", "huey", "redis", "psycopg", "alembic", "PIL"]


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
    """One `flask --app wsgi ARGS` run in-process: its exit code, output and which HEAVY modules it loaded."""
    return _probe(tmp_path, "wsgi", [list(args)], watched=HEAVY)[0]


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


# What only running a command needs: `flask … --help` must not import any of them.
APP_MACHINERY = ["sqlalchemy", "flask_sqlalchemy", "models", "flask_login", "flask_wtf", "flask_bootstrap",
                 "wtforms", "contracts_app.extensions", "contracts_app.auth.views"]
# Runs the real `flask` entry point in-process once per command line (the first one imports wsgi and decides
# what app it builds), and reports each output and what the process had loaded after it.
HELP_PROBE = """
import contextlib, io, json, sys
from flask.cli import main
command_lines, watched = json.loads(sys.argv[1]), json.loads(sys.argv[2])
outputs = []
for command_line in command_lines:
    sys.argv = ["flask", *command_line]
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        try:
            main()
        except SystemExit as exit:
            code = exit.code
        else:
            code = 0
    outputs.append({"code": code, "output": output.getvalue(), "loaded": [m for m in watched if m in sys.modules]})
print(json.dumps(outputs))
"""


def _env(tmp_path: Path) -> dict:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'outcomes.sqlite3'}", "SECRET_KEY": "startup-test",
            "JOBS_REDIS_URL": "", "REDIS_URL": "", "JOBS_SQLITE_PATH": str(tmp_path / "queue.sqlite3"),
            "OIDC_ISSUER": "", "COLUMNS": "80"}


def _probe(tmp_path: Path, app: str, command_lines: list[list[str]], watched: list[str] = APP_MACHINERY) -> list[dict]:
    lines = [["--app", app, *line] for line in command_lines]
    done = subprocess.run([sys.executable, "-c", HELP_PROBE, json.dumps(lines), json.dumps(watched)],
                          cwd=PROJECT, env=_env(tmp_path), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _full_app(tmp_path: Path):
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'outcomes.sqlite3'}",
                       "SECRET_KEY": "startup-test", "JOBS_REDIS_URL": "",
                       "JOBS_SQLITE_PATH": str(tmp_path / "queue.sqlite3")})


def _listed(help_text: str) -> dict[str, str]:
    """`flask --help`'s Commands section: name -> short help."""
    section = help_text.split("Commands:\n", 1)[1]
    return {m.group(1): m.group(2) for m in re.finditer(r"^  (\S+)\s+(.*)$", section, re.MULTILINE)}


def test_flask_help_lists_every_command_of_the_full_app_with_its_short_help(tmp_path):
    full = _full_app(tmp_path)
    names = full.cli.list_commands(click.Context(full.cli))

    [result] = _probe(tmp_path, "wsgi", [["--help"]])

    assert result["code"] == 0, result["output"]
    listed = _listed(result["output"])
    assert set(names) == set(listed) - {"run", "shell", "routes"}  # flask's own three, listed by flask
    assert {"init-db", "create-user", "verify-audit", "recommend", "db", "jobs-worker"} <= set(names)
    for name in names:
        short = full.cli.get_command(click.Context(full.cli), name).get_short_help_str(limit=200)
        assert short.startswith(listed[name].removesuffix("...")), f"{name}: {listed[name]!r} vs {short!r}"
    assert result["loaded"] == [], f"`flask --help` imported {result['loaded']}"


def test_each_commands_help_is_the_full_apps_and_loads_none_of_the_app_machinery(tmp_path):
    """`flask --app wsgi CMD --help` (the commands-only app) prints what the full app prints, for every command;
    the full app is loaded the way `flask` loads any app (--app 'contracts_app:create_app()'). `db --help` comes
    last: it lists Flask-Migrate's own subcommands, so it imports Flask-Migrate (Alembic, and SQLAlchemy with it)."""
    full = _full_app(tmp_path)
    names = sorted(full.cli.list_commands(click.Context(full.cli)), key=lambda name: name == "db")
    command_lines = [["--help"]] + [[name, "--help"] for name in names]

    light = _probe(tmp_path, "wsgi", command_lines)
    reference = _probe(tmp_path, "contracts_app:create_app()", command_lines)

    for line, got, expected in zip(command_lines, light, reference, strict=True):
        assert got["code"] == expected["code"] == 0, got["output"]
        assert "Usage: flask" in got["output"]
        assert got["output"] == expected["output"], f"flask {' '.join(line)}"
    assert command_lines[-1] == ["db", "--help"] and light[-2]["loaded"] == [], \
        f"a command's --help imported {light[-2]['loaded']}"
    assert not {"models", "flask_sqlalchemy", "flask_login"} & set(light[-1]["loaded"]), "flask db --help"
    assert {"sqlalchemy", "models", "flask_sqlalchemy"} <= set(reference[0]["loaded"])  # the check can fail


def _wsgi_loads(tmp_path: Path, argv: list[str]) -> dict:
    """What importing wsgi loads when `flask` (which sets FLASK_RUN_FROM_CLI) runs with this command line."""
    code = ("import json, os, sys\n"
            "os.environ['FLASK_RUN_FROM_CLI'] = 'true'\n"
            f"sys.argv = {['flask', '--app', 'wsgi', *argv]!r}\n"
            "import wsgi\n"
            f"print(json.dumps({{m: m in sys.modules for m in {APP_MACHINERY!r}}}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, env=_env(tmp_path), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [["--help"], ["create-user", "--help"], ["import-sheet", "--help"]], ids=" ".join)
def test_a_help_command_line_builds_the_app_without_sqlalchemy_or_the_models(tmp_path, argv):
    loaded = _wsgi_loads(tmp_path, argv)

    assert not any(loaded.values()), f"flask {' '.join(argv)}: {[m for m, yes in loaded.items() if yes]}"


@pytest.mark.parametrize("argv", [["verify-audit"], ["run", "--help"], ["run", "--extra-files", "--help"]],
                         ids=" ".join)
def test_any_other_command_line_builds_the_full_app(tmp_path, argv):
    """A command that runs, and Flask's own serving commands even when --help is among their options: `flask run
    --extra-files --help` serves the app, which must have its pages."""
    loaded = _wsgi_loads(tmp_path, argv)

    assert loaded["sqlalchemy"] and loaded["models"] and loaded["contracts_app.auth.views"]


def test_role_choices_of_create_user_are_the_models_roles():
    """--help shows the roles without loading the models; the command accepts exactly the models' roles."""
    assert ROLE_VALUES == tuple(role.value for role in Role)


def _commands_only_twin(app):
    """The same configuration as `app`, built with its commands only (as for `flask … --help`)."""
    keys = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "UPLOAD_FOLDER", "JOBS_REDIS_URL", "JOBS_SQLITE_PATH")
    return create_app({key: app.config[key] for key in keys}, commands_only=True)


def test_a_command_run_in_the_commands_only_app_completes_its_setup_first(base_app):
    """Click may take "--help" as an option's value and run the command: it must then work as in the full app."""
    light = _commands_only_twin(base_app)
    assert "sqlalchemy" not in light.extensions and not light.blueprints  # nothing but the commands, yet
    refused = ["create-user", "short@springfield.gov", "--role", "admin", "--name", "--help", "--password-stdin"]
    try:
        outcomes = []
        for args, stdin in ((["verify-audit"], None), (refused, "short\n"), (["verify-audit"], None)):
            got = light.test_cli_runner().invoke(args=args, input=stdin)
            expected = base_app.test_cli_runner().invoke(args=args, input=stdin)

            assert (got.exit_code, got.stdout, got.stderr) == (expected.exit_code, expected.stdout, expected.stderr)
            outcomes.append((got.exit_code, got.stdout + got.stderr))
        assert outcomes[0][0] == 0 and "Audit trail intact" in outcomes[0][1]
        assert outcomes[1][0] == 1 and "at least 12 characters" in outcomes[1][1]
        assert outcomes[2] == outcomes[0]
        assert "sqlalchemy" in light.extensions and "auth" in light.blueprints  # set up, once (no error the 2nd time)
    finally:
        with light.app_context():
            db.engine.dispose()


def test_help_taken_as_an_option_value_runs_the_command_in_full(empty_database):
    """`--name --help`: "--help" is the display name, so wsgi builds the commands-only app, and the command still
    stores the user and audits it as the full app does."""
    env = _env(empty_database)
    created = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "create-user", "clerk@example.org",
                              "--role", "finance", "--name", "--help", "--password-stdin"], cwd=PROJECT, env=env,
                             input="a-long-password\n", capture_output=True, text=True, timeout=120)
    refused = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "import-sheet", "NO-SUCH", "2030-01",
                              "README.md", "--replace", "--reason", "--help"], cwd=PROJECT, env=env,
                             capture_output=True, text=True, timeout=120)

    assert created.returncode == 0, created.stderr
    assert created.stdout == "Created clerk@example.org (Finance).\n"
    assert refused.returncode == 1 and "No contract numbered NO-SUCH" in refused.stderr
    app = _full_app(empty_database)
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "clerk@example.org")).one()
        assert (user.name, user.role) == ("--help", Role.FINANCE)
        assert db.session.scalars(select(AuditEvent.action)).all() == ["user_created"]
        db.engine.dispose()
