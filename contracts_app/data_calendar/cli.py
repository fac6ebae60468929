"""`flask send-reminders [--dry-run]` (SPEC §6): the daily reminders, run by hand (the scheduler runs them at
06:10 UTC)."""
from __future__ import annotations

import click

from ..unit_of_work import in_transaction


@click.command("send-reminders")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and store nothing.")
@in_transaction
def send_reminders_command(dry_run: bool) -> None:
    """Tells each contract manager their overdue sheets and each vendor's users the review windows closing."""
    from .reminders import send_reminders

    reminders = send_reminders(dry_run=dry_run)
    verb = "Would send" if dry_run else "Sent"
    for reminder in reminders:
        click.echo(f"{verb} to {reminder.user.email}: {reminder.subject}")
        for item in reminder.items:
            click.echo(f"  - {item}")
    click.echo(f"{verb} {len(reminders)} reminder{'s' if len(reminders) != 1 else ''}"
               + ("" if reminders else " (nothing overdue or closing, or today's reminders already went out)") + ".")
