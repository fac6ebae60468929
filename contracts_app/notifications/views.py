"""The in-app list of what the signed-in person was told, for every role (vendor users included)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError

from ..security import open_to_vendors
from .services import mark_read, recent, remember_unread_count, unread_count

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


class MarkReadForm(FlaskForm):
    """The CSRF token only."""


@bp.get("/")
@open_to_vendors
def index():
    user = current_user._get_current_object()
    return render_template("notifications/index.html", notifications=recent(user), form=MarkReadForm())


@bp.post("/read")
@open_to_vendors
def read_all():
    if MarkReadForm().validate_on_submit():
        changed = mark_read(current_user._get_current_object())
        flash(f"{changed} notification{'s' if changed != 1 else ''} marked read." if changed
              else "Nothing unread.", "info")
    return redirect(url_for("notifications.index"))


@bp.post("/<int:notification_id>/read")
@open_to_vendors
def read_one(notification_id: int):
    if MarkReadForm().validate_on_submit():
        mark_read(current_user._get_current_object(), notification_id)
    return redirect(url_for("notifications.index"))


@bp.app_context_processor
def unread_notifications():
    """The count in the navigation bar: one query per request, however many templates it renders (the rankings
    page renders its cached content apart)."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    user = current_user._get_current_object()
    try:
        count = unread_count(user)  # the user loader's count, or one query, then kept (services.py)
    except SQLAlchemyError:  # an error page after a failed transaction still renders
        return {"unread_notifications": 0}
    remember_unread_count(user, count)
    return {"unread_notifications": count}
