"""The email of a notification, sent over SMTP by a background job (settings: README "Notifications")."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app

from models import Notification, User, db, utcnow

from ..audit import record_event


class EmailNotSent(RuntimeError):
    """The SMTP server could not be reached or refused the message; the job tries again."""


def compose(notification: Notification, user: User, base_url: str) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"] or f"outcomes@{config['SMTP_HOST']}"
    message["To"] = user.email
    message["Subject"] = notification.subject
    link = f"{base_url}{notification.link_path}" if base_url else notification.link_path
    message.set_content(f"{notification.body}\n\nOpen it: {link}\n\n"
                        "You get this email because of your account in the city outcome tracker. "
                        "Everything it tells you is also under Notifications when you sign in.\n")
    return message


def send(message: EmailMessage) -> None:
    config = current_app.config
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT_SECONDS"]) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise EmailNotSent(f"{config['SMTP_HOST']}:{config['SMTP_PORT']}: {exc}") from exc


def send_notification_email(notification_id: int, base_url: str) -> str:
    """Sends one notification's email (once: a notification already emailed is not sent again)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        return "The notification no longer exists; nothing sent."
    user = db.session.get(User, notification.user_id)
    if notification.emailed_at is not None:
        return f"Already emailed to {user.email}; nothing sent again."
    if not current_app.config["SMTP_HOST"]:
        return "Email is off (SMTP_HOST is not set); the notification is in the app."
    send(compose(notification, user, base_url))
    notification.emailed_at = utcnow()
    record_event("notification_emailed", notification, after={"emailed_at": notification.emailed_at, "to": user.email},
                 summary=f"emailed '{notification.subject}' to {user.email}")
    return f"Emailed '{notification.subject}' to {user.email}."
