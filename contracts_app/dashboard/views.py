from flask import Blueprint, render_template
from flask_login import current_user

from .services import dashboard_summary
from .todo import todo_sections

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def index():
    user = current_user._get_current_object()
    return render_template("dashboard/index.html", summary=dashboard_summary(user), todo=todo_sections(user))
