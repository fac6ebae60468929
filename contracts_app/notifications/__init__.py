"""Notifications: `notify(users, kind, subject, body, link_path)` tells people in the app and by email."""
from .services import notify

__all__ = ["notify"]
