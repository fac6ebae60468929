"""Configuration from the environment, the SQLite connection settings, and the migrations."""
from __future__ import annotations

import stat

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from contracts_app import create_app
from contracts_app.config import load_secret_key, normalise_database_url
from models import db, declared_for


def test_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_secret_key(tmp_path)
    assert len(first) >= 64
    assert load_secret_key(tmp_path) == first
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_secret_key_from_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert load_secret_key(tmp_path) == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_database_url_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://city@db.internal:5432/outcomes")
    monkeypatch.setenv("MAX_UPLOAD_BYTES", "1048576")
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://city@db.internal:5432/outcomes"
    assert app.config["MAX_CONTENT_LENGTH"] == 1048576


def test_default_database_is_a_sqlite_file_under_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/outcomes.sqlite3")
    assert normalise_database_url("postgresql://a@b/c") == "postgresql+psycopg://a@b/c"


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}"})
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        # a page cache that holds a 100,000-row sheet's index pages while it is stored (bench/import_bench.py)
        assert connection.execute(text("PRAGMA cache_size")).scalar() <= -32 * 1024


def test_migrations_create_exactly_the_models_schema(app):
    """The schema built by `init-db` (migrations) matches the models: nothing forgotten in a migration."""
    connection = db.session.connection()
    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "include_object": declared_for(connection.dialect.name)})
    differences = [d for d in compare_metadata(context, db.metadata) if d[0] != "remove_table" or d[1].name != "alembic_version"]
    assert differences == []
