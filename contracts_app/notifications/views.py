"""The in-app list of what the signed-in person was told, for every role (vendor users included)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError

from ..security import open_to_vendors
from .services import mark_read, recent, unread_count

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
    if "unread_notifications" not in g:
        try:
            g.unread_notifications = unread_count(current_user._get_current_object())
        except SQLAlchemyError:  # an error page after a failed transaction still renders
            return {"unread_notifications": 0}
    return {"unread_notifications": g.unread_notifications}
