"""The declarative base and the single `db` object every model and service shares.

Every relationship is lazy="raise_on_sql": code that reads one loads it explicitly (selectinload, joinedload,
contains_eager in its query, or contracts_app/loading.load_related for objects it was handed), so a page never
runs a query per row by surprise (tests/test_query_counts.py). None is eager by default: no relationship is
wanted by every reader of its model.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so migrations are reproducible on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# The base class of every model. At run time it is Flask-SQLAlchemy's `db.Model` (which adds
# `query` and the table name); a type checker cannot see through that attribute, so it is told
# the declarative base instead, which declares every column and relationship the models use.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def utcnow() -> datetime:
    """Aware UTC now; every stored time is UTC. The one clock of the app: nothing else asks the system."""
    return datetime.now(UTC)


def today() -> date:
    """Today in UTC, from utcnow(): pages offer months up to it, never from date.today()."""
    return utcnow().date()


ONLY_ON = "only_on"  # a constraint's info key: the databases it is created on (with .ddl_if), e.g. ("sqlite",)


def declared_for(dialect_name: str):
    """Alembic's include_object for one database: leaves out what the models declare for other databases only,
    so comparing the models with a PostgreSQL schema does not ask for SQLite's foreign key."""
    def include(object_, name, type_, reflected, compare_to) -> bool:
        only_on = getattr(object_, "info", {}).get(ONLY_ON)
        return only_on is None or dialect_name in only_on
    return include
