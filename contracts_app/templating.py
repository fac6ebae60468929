"""Display helpers: values are stored at full precision and rounded only here."""
from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask import Flask
from flask_login import current_user

from models import Role

from .unit_names import plural_unit


def money(value) -> str:
    if value is None:
        return "—"
    return f"${Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def number(value, places: int = 1) -> str:
    if value is None:
        return "—"
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{rounded:,}"


def utc_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def register_filters(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(number, "number")
    app.add_template_filter(utc_time, "utc")
    app.add_template_filter(plural_unit, "plural_unit")

    @app.context_processor
    def inject_roles():
        role = current_user.role if current_user.is_authenticated else None
        return {"Role": Role, "current_role": role}
