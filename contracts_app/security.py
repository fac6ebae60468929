"""Role guard, what a vendor user may reach, and the security headers every response carries."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, g
from flask_login import current_user, login_required

from models import Role

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def role_required(*roles: Role) -> Callable:
    """Signed in and holding one of `roles`; anyone else gets a 403 that names the role needed."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                g.required_roles = roles
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


def open_to_vendors(view: Callable) -> Callable:
    """Marks a view a vendor user may reach; the sign-in wall turns vendors away (404) from every other."""
    view.open_to_vendors = True  # type: ignore[attr-defined]
    return view


def vendor_scope(user) -> int | None:
    """The vendor id a user is confined to: their vendor for a vendor user, None for city users."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role != Role.VENDOR:
        return None
    return user.vendor_id if user.vendor_id is not None else -1  # a vendor user with no vendor sees nothing


def require_contract_visible(contract) -> None:
    """404 when the current user is a vendor user and the contract is not their vendor's."""
    scope = vendor_scope(current_user)
    if scope is not None and contract.vendor_id != scope:
        abort(404)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
