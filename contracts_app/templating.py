"""Template filters: every number is written by contracts_app.formatting, as the CLI and exports write it."""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_login import current_user

from models import Role

from . import formatting
from .recommendations.order import in_rank_order
from .unit_names import plural_unit

money = formatting.money
number = formatting.score


def utc_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def register_filters(app: Flask) -> None:
    app.add_template_filter(formatting.money, "money")
    app.add_template_filter(formatting.signed_money, "signed_money")
    app.add_template_filter(formatting.percent, "percent")
    app.add_template_filter(formatting.score, "number")
    app.add_template_filter(formatting.coverage, "coverage")
    app.add_template_filter(formatting.coverage_note, "coverage_note")
    app.add_template_test(formatting.is_incomplete, "incomplete_coverage")  # {% if coverage is incomplete_coverage %}
    app.add_template_filter(utc_time, "utc")
    app.add_template_filter(plural_unit, "plural_unit")
    app.add_template_filter(formatting.review_mark, "review_mark")
    app.add_template_filter(formatting.review_title, "review_title")
    app.add_template_filter(formatting.held_money, "held_money")
    app.jinja_env.globals["ON_HOLD"] = formatting.ON_HOLD
    from .disputes.review import worst_review

    app.jinja_env.globals["worst_review"] = worst_review  # a vendor's mark from its months not final
    app.add_template_filter(in_rank_order, "in_rank_order")

    @app.context_processor
    def inject_roles():
        role = current_user.role if current_user.is_authenticated else None
        return {"Role": Role, "current_role": role}
