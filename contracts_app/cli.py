"""The command line of SPEC §6: exit 0 on success, 1 when input is refused, 2 on usage errors."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_migrate import upgrade

from imports.contracts_file import ContractsFileError, parse_contracts_file
from models import Role, db

from .admin.services import UserInputError, create_user
from .contracts.importer import load_contracts
from .demo.city import DEMO_PASSWORD, DEMO_USERS
from .demo.seed import seed_demo


def refuse(message: str) -> None:
    """Input refused: the reason on stderr, nothing stored, exit status 1."""
    db.session.rollback()
    click.echo(message, err=True)
    sys.exit(1)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema (migrations)."""
    upgrade()
    click.echo("Database schema is up to date.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo city (idempotent) and print the demo sign-ins."""
    report = seed_demo()
    db.session.commit()
    if report.uploads_committed or report.users_created or report.contracts_changed:
        click.echo(
            f"Demo city loaded: {report.users_created} users, {report.uploads_committed} monthly sheets, "
            f"{report.rows_committed} rows."
        )
    else:
        click.echo("Demo city already loaded; nothing changed.")
    click.echo("Demo sign-ins (password for all: " + DEMO_PASSWORD + "):")
    for email, role, _name in DEMO_USERS:
        click.echo(f"  {Role(role).label:<22} {email}")


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="The user's role.")
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user_command(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Add a user."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, role, password, name)
    except UserInputError as exc:
        refuse(f"User not created: {exc}")
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role.label}).")


@click.command("import-contracts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_contracts_command(file: Path) -> None:
    """Load vendors, categories, contracts and clauses from a JSON file (format in the README)."""
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
    db.session.commit()
    for line in summary.lines():
        click.echo(line)


def register_cli(app: Flask) -> None:
    for command in (init_db_command, seed_demo_command, create_user_command, import_contracts_command):
        app.cli.add_command(command)
