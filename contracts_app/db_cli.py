"""`flask db`: Flask-Migrate's command group, listed without importing it (Alembic costs a sixth of a second)."""
from __future__ import annotations

from typing import Any

import click


class DeferredDbGroup(click.Group):
    """`flask db`: listed in --help from this stand-in; Flask-Migrate's own group parses and runs it."""

    @staticmethod
    def _real() -> click.Group:
        from flask_migrate.cli import db as db_group

        return db_group

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        return self._real().make_context(info_name, args, parent=parent, **extra)


db_command = DeferredDbGroup("db", help="Perform database migrations.")
