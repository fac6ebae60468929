"""The command line of SPEC §6: exit 0 on success, 1 when input is refused, 2 on usage errors.

Light at import, like every command module: `flask … --help` loads them, so models, SQLAlchemy and services
are imported inside the commands that use them.
"""
from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import with_appcontext

from .db_cli import db_command
from .recommendations.cli import recommend_command
from .stored_scores.cli import COMMANDS as score_commands
from .unit_of_work import in_transaction

# models.Role's values, for --help without the models (tests/test_cli_startup.py checks they stay the same).
ROLE_VALUES = ("procurement", "contract_manager", "finance", "admin", "vendor")


def refuse(message: str) -> None:
    """Input refused: the reason on stderr, nothing stored, exit status 1."""
    from models import db

    db.session.rollback()
    click.echo(message, err=True)
    sys.exit(1)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema (migrations)."""
    from flask_migrate import upgrade

    upgrade()
    click.echo("Database schema is up to date.")


@click.command("seed-demo")
@in_transaction
def seed_demo_command() -> None:
    """Load the demo city (idempotent) and print the demo sign-ins."""
    from models import Role

    from .demo.city import DEMO_MFA_ROLES, DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_USER_VENDORS, DEMO_USERS
    from .demo.seed import seed_demo  # the sheet machinery loads only for the commands that read sheets

    report = seed_demo()
    if report.uploads_committed or report.users_created or report.contracts_changed:
        click.echo(
            f"Demo city loaded: {report.users_created} users, {report.uploads_committed} monthly sheets, "
            f"{report.rows_committed} rows."
        )
    else:
        click.echo("Demo city already loaded; nothing changed.")
    click.echo("Demo sign-ins (password for all: " + DEMO_PASSWORD + "):")
    for email, role, _name in DEMO_USERS:
        two_step = "  (two-step: TOTP key below)" if role in DEMO_MFA_ROLES else ""
        of_vendor = f" of {DEMO_USER_VENDORS[email]}" if email in DEMO_USER_VENDORS else ""
        click.echo(f"  {Role(role).label:<22} {email}{of_vendor}{two_step}")
    click.echo(f"Demo TOTP key (published, demo only) for admin, finance and vendor: {DEMO_TOTP_SECRET}")
    click.echo("  add it to any authenticator app, or: python -c \"import pyotp; "
               f"print(pyotp.TOTP('{DEMO_TOTP_SECRET}').now())\"")


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLE_VALUES), help="The user's role.")
@click.option("--name", default="", help="Display name.")
@click.option("--vendor", "vendor_name", default=None, help="For --role vendor: the vendor the user works for.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@in_transaction
def create_user_command(email: str, role: str, name: str, vendor_name: str | None, password_stdin: bool) -> None:
    """Add a user; a vendor user (--role vendor) needs --vendor NAME."""
    from .admin.services import UserInputError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, role, password, name, vendor_name=vendor_name)
    except UserInputError as exc:
        hint = " (--vendor NAME)" if str(exc).startswith("vendor:") else ""
        refuse(f"User not created: {exc}{hint}")
    click.echo(f"Created {user.email} ({user.role.label}).")


@click.command("import-contracts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@in_transaction
def import_contracts_command(file: Path) -> None:
    """Load vendors, categories, contracts and clauses from a JSON file (format in the README)."""
    from imports.contracts_file import ContractsFileError

    from .contracts.importer import load_contracts, parse_contracts_file

    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        refuse(f"{file.name}: not a UTF-8 text file; nothing was loaded.")
    try:
        summary = load_contracts(parse_contracts_file(text))
    except ContractsFileError as exc:
        count = len(exc.problems)
        refuse(f"{file.name} was refused; nothing was loaded. {count} problem{'s' if count != 1 else ''}:\n"
               + "\n".join(f"  - {p}" for p in exc.problems))
    for line in summary.lines():
        click.echo(line)


def _contract_by_number(number: str):
    from sqlalchemy import select

    from models import Contract, db

    contract = db.session.scalars(select(Contract).where(Contract.number == number)).first()
    if contract is None:
        refuse(f"No contract numbered {number}.")
    return contract


@click.command("import-sheet")
@click.argument("contract_number")
@click.argument("period")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commit", is_flag=True, help="Store the sheet when the check finds no errors.")
@click.option("--replace", is_flag=True, help="Replace the month's committed data (needs --reason).")
@click.option("--reason", default="", help="Why the month's data is replaced.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@in_transaction
def import_sheet_command(contract_number: str, period: str, file: Path, commit: bool, replace: bool, reason: str,
                         output: str) -> None:
    """Check a monthly sheet and print the report; with --commit store it."""
    from .uploads.cli_report import as_json, as_text
    from .uploads.flow import UploadRefused, import_path

    if replace and not reason.strip():
        raise click.UsageError("--replace needs --reason TEXT saying why the month's data is replaced.")
    if reason and not replace:
        raise click.UsageError("--reason goes with --replace.")
    contract = _contract_by_number(contract_number)
    try:
        result = import_path(contract, period, file, None, commit=commit, reason=reason if replace else None)
    except UploadRefused as exc:
        refuse(f"Refused: {exc} Nothing was stored.")
    click.echo(as_json(contract_number, period, result) if output == "json" else as_text(contract_number, period, result))
    if result.report and result.report.get("error_count"):
        click.echo(f"{file.name} has errors; nothing was stored.", err=True)
        sys.exit(1)


@click.command("import-sheets")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--commit", is_flag=True, help="Store every sheet whose check finds no errors.")
@in_transaction
def import_sheets_command(folder: Path, commit: bool) -> None:
    """Bulk mode: check (and with --commit store) every CONTRACT_PERIOD.xlsx or .csv in FOLDER."""
    from .uploads.bulk import BulkReport, import_sheets, sheets_in

    files = sheets_in(folder)
    if not files:
        refuse(f"No sheets named CONTRACT-NUMBER_YYYY-MM.xlsx (or .csv) in {folder}.")
    report = BulkReport()
    with click.progressbar(import_sheets(files, commit=commit, report=report), length=len(files),
                           label="Importing sheets", file=sys.stderr,
                           item_show_func=lambda p: p.name if p else "") as bar:
        for _done in bar:
            pass
    click.echo(report.summary(len(files)))
    if report.refused:
        click.echo("Refused:\n" + "\n".join(f"  - {r}" for r in report.refused), err=True)
        sys.exit(1)


@click.command("verify-audit")
@with_appcontext
def verify_audit_command() -> None:
    """Check the audit trail's hash chain; exit 1 naming the first event that does not fit."""
    from sqlalchemy import select

    from models import AuditEvent, db

    from .audit import verify_chain

    report = verify_chain()
    if not report.intact:
        refuse(f"Audit trail broken: event #{report.broken_event_id} does not fit: {report.problem}. "
               f"{report.events_checked} events before it fit.")
    click.echo(f"Audit trail intact: {report.events_checked} events")
    head = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    if head is not None:
        click.echo(f"Last event #{head.id}, hash {head.hash} (keep it elsewhere to notice events removed from the end)")


def register_cli(app: Flask, *, setup_first: Callable[[], None] | None = None) -> None:
    """The app's commands. `setup_first` (an app made with its commands only, for --help) runs before any of
    them does, so a command that runs in such an app (`--reason --help`: "--help" is the reason) works as in
    the full app."""
    from .action_plans.cli import remind_milestones_command
    from .benchmark.cli import COMMANDS as benchmark_commands
    from .data_calendar.cli import send_reminders_command
    from .jobs.cli import commands as job_commands
    from .ocds.cli import export_ocds_command

    for command in (*job_commands, init_db_command, verify_audit_command, seed_demo_command, create_user_command,
                    import_contracts_command,
                    import_sheet_command, import_sheets_command, *score_commands, recommend_command,
                    remind_milestones_command, send_reminders_command,
                    export_ocds_command, *benchmark_commands, db_command):
        app.cli.add_command(command if setup_first is None else _after_setup(command, setup_first))


def _after_setup(command: click.Command, setup_first: Callable[[], None]) -> click.Command:
    """A copy of `command` that runs `setup_first` once its command line is parsed: --help exits while parsing,
    so help stays light; a group's setup comes before its subcommand's line is read."""
    parse = command.make_context

    def make_context(info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        context = parse(info_name, args, parent=parent, **extra)
        setup_first()
        return context

    copied = copy.copy(command)
    copied.make_context = make_context  # type: ignore[method-assign]
    return copied
