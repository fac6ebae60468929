from flask import Blueprint, render_template
from flask_login import current_user

from .services import dashboard_summary

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def index():
    return render_template("dashboard/index.html", summary=dashboard_summary(current_user))
