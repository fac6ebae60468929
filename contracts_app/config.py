"""Configuration read from the environment; nothing secret is written in code."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def load_secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept under instance/."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def normalise_database_url(url: str) -> str:
    """Accept plain postgres:// URLs and route them through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def build_config(instance_path: Path, overrides: dict) -> dict:
    default_db = f"sqlite:///{instance_path / 'outcomes.sqlite3'}"
    return {
        "SECRET_KEY": overrides.get("SECRET_KEY") or load_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(os.environ.get("DATABASE_URL", default_db)),
        # No pool_pre_ping (a round trip per request): contracts_app/pool_liveness.py checks a pooled connection
        # without one, and every connection is replaced after half an hour.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1800},
        # Uploads (SPEC §5 limits); checked again before any parsing.
        "MAX_CONTENT_LENGTH": _env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
        "UPLOAD_MAX_ROWS": _env_int("UPLOAD_MAX_ROWS", 200_000),
        "UPLOAD_MAX_COLUMNS": _env_int("UPLOAD_MAX_COLUMNS", 200),
        "UPLOAD_MAX_UNCOMPRESSED_BYTES": _env_int("UPLOAD_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024),
        "UPLOAD_MAX_ZIP_ENTRIES": _env_int("UPLOAD_MAX_ZIP_ENTRIES", 1000),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(instance_path / "uploads")),
        # Evidence files of a vendor's dispute (SPEC §8), each.
        "DISPUTE_EVIDENCE_MAX_BYTES": _env_int("DISPUTE_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024),
        # Background jobs (Huey): Redis in production, a SQLite queue file under instance/ otherwise.
        "JOBS_REDIS_URL": os.environ.get("JOBS_REDIS_URL") or os.environ.get("REDIS_URL", ""),
        "JOBS_SQLITE_PATH": os.environ.get("JOBS_SQLITE_PATH", str(instance_path / "jobs.sqlite3")),
        "JOBS_QUEUE_NAME": os.environ.get("JOBS_QUEUE_NAME", "outcomes"),
        "JOBS_COMMIT_ROWS_THRESHOLD": _env_int("JOBS_COMMIT_ROWS_THRESHOLD", 20_000),
        "JOBS_RECOMPUTE_PERIODS_THRESHOLD": _env_int("JOBS_RECOMPUTE_PERIODS_THRESHOLD", 6),
        "JOBS_LEASE_SECONDS": _env_int("JOBS_LEASE_SECONDS", 30),
        "JOBS_PULSE_SECONDS": float(os.environ.get("JOBS_PULSE_SECONDS") or 2),
        "JOBS_MAX_ATTEMPTS": _env_int("JOBS_MAX_ATTEMPTS", 3),
        "JOBS_RETRY_DELAY_SECONDS": _env_int("JOBS_RETRY_DELAY_SECONDS", 10),
        "JOBS_WORKERS": _env_int("JOBS_WORKERS", 2),
        "JOBS_EMBEDDED_WORKER": _env_bool("JOBS_EMBEDDED_WORKER", False),
        # Logs on stderr (README "What is logged, where"): json under gunicorn (deploy/gunicorn.conf.py), else text.
        "LOG_FORMAT": (os.environ.get("LOG_FORMAT") or "text").strip().lower(),
        "LOG_REQUESTS": _env_bool("LOG_REQUESTS", True),
        "STAGED_UPLOAD_MAX_AGE_DAYS": _env_int("STAGED_UPLOAD_MAX_AGE_DAYS", 30),
        # Fault injection for the kill test only: a run holds this long after storing rows, before its commit.
        "JOBS_TEST_HOLD_AFTER_STORING_SECONDS": float(os.environ.get("JOBS_TEST_HOLD_AFTER_STORING_SECONDS") or 0),
        # Notifications by email (README "Notifications"): off while SMTP_HOST is unset; in-app notifications stay on.
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": _env_int("SMTP_PORT", 587),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _env_bool("SMTP_STARTTLS", True),
        "SMTP_TIMEOUT_SECONDS": _env_int("SMTP_TIMEOUT_SECONDS", 30),
        "MAIL_FROM": os.environ.get("MAIL_FROM", ""),
        # The address people reach the app at, for the links in emails (e.g. https://outcomes.example.gov).
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        # The daily reminder tells people about a pending milestone from this many days before it is due.
        "MILESTONE_REMINDER_DAYS": _env_int("MILESTONE_REMINDER_DAYS", 3),
        "REVIEW_REMINDER_DAYS": _env_int("REVIEW_REMINDER_DAYS", 3),
        # Cookies: secure by default; `make run` on plain http turns SESSION_COOKIE_SECURE off.
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", True),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", True),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": _env_int("SESSION_LIFETIME_SECONDS", 8 * 3600),
        # Sessions end server-side after this long without a request, and PERMANENT_SESSION_LIFETIME after sign-in.
        "SESSION_IDLE_SECONDS": _env_int("SESSION_IDLE_SECONDS", 30 * 60),
        # Sign-in throttling (per account and per client address, shared by every worker through the database).
        "SIGN_IN_ACCOUNT_LOCK_AFTER": _env_int("SIGN_IN_ACCOUNT_LOCK_AFTER", 10),
        "SIGN_IN_ADDRESS_LOCK_AFTER": _env_int("SIGN_IN_ADDRESS_LOCK_AFTER", 50),
        "SIGN_IN_LOCK_SECONDS": _env_int("SIGN_IN_LOCK_SECONDS", 15 * 60),
        "SIGN_IN_FAILURE_WINDOW_SECONDS": _env_int("SIGN_IN_FAILURE_WINDOW_SECONDS", 3600),
        # An admin's temporary password (reset) stops working after this long unless changed.
        "TEMPORARY_PASSWORD_SECONDS": _env_int("TEMPORARY_PASSWORD_SECONDS", 3 * 24 * 3600),
        # Two-step sign-in (TOTP): required for these roles, optional for the others.
        "MFA_REQUIRED_ROLES": os.environ.get("MFA_REQUIRED_ROLES", "admin,finance,vendor"),
        "MFA_ISSUER": os.environ.get("MFA_ISSUER", "City outcome tracker"),
        "MFA_REPLAY_PROTECTION": _env_bool("MFA_REPLAY_PROTECTION", True),
        # SPEC §8 two people: the drafter of a recommendation may approve it only when this is on.
        "ALLOW_SELF_APPROVAL": _env_bool("ALLOW_SELF_APPROVAL", False),
        "WTF_CSRF_TIME_LIMIT": None,
        "BOOTSTRAP_SERVE_LOCAL": True,
        # Single sign-on (README "Single sign-on"): off unless OIDC_ISSUER is set.
        "OIDC_ISSUER": os.environ.get("OIDC_ISSUER", ""),
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID", ""),
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET", ""),
        "OIDC_GROUP_ROLES": os.environ.get("OIDC_GROUP_ROLES", ""),
        "OIDC_GROUPS_CLAIM": os.environ.get("OIDC_GROUPS_CLAIM", "groups"),
        "OIDC_SCOPES": os.environ.get("OIDC_SCOPES", "openid email profile"),
        "OIDC_REDIRECT_URI": os.environ.get("OIDC_REDIRECT_URI", ""),
        "OIDC_TRUSTS_IDP_MFA": _env_bool("OIDC_TRUSTS_IDP_MFA", True),
        # Open Contracting (OCDS) export (README "Open Contracting (OCDS) export"): the city as buyer and publisher,
        # the registered ocid prefix (the default is the standard's unregistered placeholder), the currency code.
        "CITY_NAME": os.environ.get("CITY_NAME", "City"),
        "OCDS_PREFIX": os.environ.get("OCDS_PREFIX", "ocds-xxxxxx-"),
        "CURRENCY": (os.environ.get("CURRENCY") or "USD").strip().upper(),
    }
