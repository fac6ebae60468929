"""One transaction per request and per command: the boundary commits once, on success, and rolls back
on any failure. Services only flush; the few writes a failure path must keep go through `write_alone`.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, g
from flask.cli import with_appcontext

from models import db

T = TypeVar("T")


def register_unit_of_work(app: Flask) -> None:
    """Commit when the response is a success (below 400), roll back otherwise or on an exception."""

    @app.after_request
    def end_of_request(response: Response) -> Response:
        if response.status_code < 400 and not g.get("discard_changes"):
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def roll_back_after_error(error: BaseException | None) -> None:
        if error is not None:
            db.session.rollback()


def discard_changes() -> None:
    """A refusal: nothing the request flushed so far is kept, even if the page answers 200."""
    db.session.rollback()
    g.discard_changes = True


def write_alone(write: Callable[[], T]) -> T:
    """For failure paths (a denied request, a failed sign-in): drop the request's changes, then keep
    only what `write` adds, in its own short transaction."""
    db.session.rollback()
    result = write()
    db.session.commit()
    return result


def commit_step() -> None:
    """Ends one independent step of a long command (one sheet of a bulk import) with a commit."""
    db.session.commit()


def in_transaction(command: Callable[..., Any]) -> Callable[..., Any]:
    """A CLI command's unit of work (in the app context): commit when it returns, roll back when it raises
    or exits."""

    @with_appcontext
    @functools.wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            result = command(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return result

    return wrapped
