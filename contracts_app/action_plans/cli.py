"""`flask remind-milestones`: the daily milestone reminder, run by hand (the scheduler runs it at 06:00 UTC)."""
from __future__ import annotations

import click

from ..unit_of_work import in_transaction


@click.command("remind-milestones")
@in_transaction
def remind_milestones_command() -> None:
    """Tells managers and vendor users about action-plan milestones coming due (once per milestone and day)."""
    from .reminders import remind_milestones_due

    written = remind_milestones_due()
    click.echo(f"Milestone reminders: {written} notification{'s' if written != 1 else ''} written"
               + ("" if written else " (nothing due, or today's reminders already went out)") + ".")
