from flask import Blueprint

bp = Blueprint("schedules", __name__, url_prefix="/contracts")
