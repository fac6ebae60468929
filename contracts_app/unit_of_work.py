"""One transaction per request and per command: the boundary commits once, on success, and rolls back
on any failure. Services only flush. A failure path that must keep a write does it in a short transaction
of its own (`transactions.write_separately`) or keeps what it recorded (`commit_now`).

The models load where used: the command modules import `in_transaction`, and `flask … --help` imports them
without the models.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g
from flask.cli import with_appcontext


def register_unit_of_work(app: Flask) -> None:
    """Commit when the response is a success (below 400), roll back otherwise or on an exception."""
    from models import db

    @app.after_request
    def end_of_request(response: Response) -> Response:
        if response.status_code < 400 and not g.get("discard_changes"):
            commit_now()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def roll_back_after_error(error: BaseException | None) -> None:
        if error is not None:
            db.session.rollback()


def discard_changes() -> None:
    """A refusal: nothing the request flushed so far is kept, even if the page answers 200."""
    from models import db

    db.session.rollback()
    g.discard_changes = True


def commit_now() -> None:
    """The one place that commits. Called by the boundaries below, and directly where a unit of work ends
    early: a refusal that must keep what it recorded (a failed sign-in's throttle count), one sheet of a
    bulk import, a job's claim or outcome in a worker."""
    from models import db

    db.session.commit()


def in_transaction(command: Callable[..., Any]) -> Callable[..., Any]:
    """A CLI command's unit of work (in the app context): commit when it returns, roll back when it raises
    or exits."""

    @with_appcontext
    @functools.wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from models import db

        from .transactions import writing

        try:
            with writing():
                result = command(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        commit_now()
        return result

    return wrapped
