"""The glossary page: what composite, coverage, γ, shrunk score ... mean, for everyone signed in."""
from __future__ import annotations

from flask import Blueprint, render_template

from .terms import BY_SLUG, TERMS

bp = Blueprint("glossary", __name__, url_prefix="/glossary")


@bp.get("/")
def index():
    return render_template("glossary/index.html", terms=TERMS)


@bp.app_template_global("glossary_term")
def glossary_term(slug: str):
    """The term of that slug, for the inline hints (a KeyError in a template is a typo to fix)."""
    return BY_SLUG[slug]
