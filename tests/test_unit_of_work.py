"""The request boundary commits once on success and rolls back on any failure (one unit of work)."""
from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from contracts_app import create_app
from contracts_app.transactions import write_separately
from contracts_app.unit_of_work import discard_changes
from models import Vendor, db


@pytest.fixture
def boundary_app(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "uow-test", "SESSION_COOKIE_SECURE": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'uow.sqlite3'}",
                      "UPLOAD_FOLDER": str(tmp_path / "uploads")})

    def add_vendor(name: str) -> None:
        db.session.add(Vendor(name=name))
        db.session.flush()

    @app.get("/_uow/ok")
    def ok():
        add_vendor("Committed Co")
        return "ok"

    @app.get("/_uow/boom")
    def boom():
        add_vendor("Exploded Co")
        raise RuntimeError("a bug after the flush")

    @app.get("/_uow/refused")
    def refused():
        add_vendor("Refused Co")
        return "bad input", 400

    @app.get("/_uow/refused-200")
    def refused_200():
        add_vendor("Discarded Co")
        discard_changes()
        return "form shown again with its errors"

    @app.get("/_uow/denied")
    def denied():
        add_vendor("Half-done Co")
        write_separately(add_vendor, "Kept alone Co")
        return "denied", 403

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        upgrade()
    app.before_request_funcs[None].clear()  # no sign-in wall for these test-only routes
    return app


def _names(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Vendor.name)))


def test_success_commits_and_failures_roll_back(boundary_app):
    client = boundary_app.test_client()
    assert client.get("/_uow/ok").status_code == 200
    assert client.get("/_uow/boom").status_code == 500
    assert client.get("/_uow/refused").status_code == 400
    assert client.get("/_uow/refused-200").status_code == 200
    assert client.get("/_uow/denied").status_code == 403
    assert _names(boundary_app) == {"Committed Co", "Kept alone Co"}


def test_cli_commands_commit_once_or_not_at_all(boundary_app):
    import click

    from contracts_app.unit_of_work import in_transaction

    @click.command("uow-add")
    @click.argument("name")
    @click.option("--fail", is_flag=True)
    @in_transaction
    def add(name: str, fail: bool) -> None:
        db.session.add(Vendor(name=name))
        db.session.flush()
        if fail:
            raise SystemExit(1)

    boundary_app.cli.add_command(add)
    runner = boundary_app.test_cli_runner()
    assert runner.invoke(args=["uow-add", "Kept Co"]).exit_code == 0
    assert runner.invoke(args=["uow-add", "Lost Co", "--fail"]).exit_code == 1
    with boundary_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Vendor).where(Vendor.name == "Kept Co")) == 1
    assert "Lost Co" not in _names(boundary_app)
