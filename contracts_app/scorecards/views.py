from flask import Blueprint

bp = Blueprint("scorecards", __name__)
