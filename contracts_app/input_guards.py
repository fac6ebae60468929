"""Input anyone can type, checked once for every request: ids the database can hold, no control characters.

PostgreSQL refuses a NUL byte in text and an integer past its column's range with an error, not an
empty result; these guards answer such input with a 404 or a 400 that says what was wrong.
"""
from __future__ import annotations

import re

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32-bit signed on PostgreSQL
MAX_PAGE = 100_000
# Control characters other than tab, newline and carriage return (which a text area may send).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PATH_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
ID_RE = re.compile(r"^\s*\d{1,10}\s*$")


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` limited to what an INTEGER column holds: a larger number is a page that can't exist (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def as_id(text: object) -> int | None:
    """A form's or query's id as an int, or None when it is not one the database could hold."""
    if isinstance(text, int):
        return text if 0 < text <= MAX_ID else None
    if not isinstance(text, str) or not ID_RE.match(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def as_page(text: object) -> int:
    """A `?page=` number: anything unreadable is page 1, anything huge the last page we would ever show."""
    try:
        value = int(str(text).strip()) if text is not None else 1
    except ValueError:
        return 1
    return min(max(value, 1), MAX_PAGE)


def without_control_characters(text: str) -> str:
    return PATH_CONTROL_RE.sub("", text)


def _refuse(where: str) -> None:
    abort(400, description=(
        f"The {where} contains a control character (such as a NUL byte) that no page or form here accepts; "
        "remove it and try again. Nothing was saved."
    ))


def check_request_text() -> None:
    """400 for a control character in the path, a query parameter, a form field or an uploaded file's name."""
    if PATH_CONTROL_RE.search(request.path):
        _refuse("address (URL path)")
    for name, value in request.args.items(multi=True):
        if CONTROL_RE.search(name) or CONTROL_RE.search(value):
            _refuse(f"query parameter '{CONTROL_RE.sub('', name)[:40]}'")
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data"
    ):
        for name, value in request.form.items(multi=True):
            if CONTROL_RE.search(name) or CONTROL_RE.search(value):
                _refuse(f"form field '{CONTROL_RE.sub('', name)[:40]}'")
        for name, upload in request.files.items(multi=True):
            if CONTROL_RE.search(upload.filename or ""):
                _refuse(f"name of the uploaded file ('{CONTROL_RE.sub('', name)[:40]}')")


def register_url_converters(app: Flask) -> None:
    """Before any blueprint adds its rules, so every `<int:...>` is bounded."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def register_input_guards(app: Flask) -> None:
    """First of all before-request functions, ahead of the CSRF check and the sign-in wall (both audit the path)."""
    app.before_request_funcs.setdefault(None, []).insert(0, check_request_text)
