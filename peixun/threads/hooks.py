"""Connects the threads domain to the page frame: the unread-notification count."""

from __future__ import annotations

from flask import Flask, g
from flask_login import current_user

from peixun.threads.queries import unread_notifications


def notification_count() -> int:
    """Unread notifications of the signed-in user, one query per request at most."""
    if not current_user.is_authenticated:
        return 0
    if "_unread_notifications" not in g:
        g._unread_notifications = unread_notifications(current_user)
    return g._unread_notifications


def connect(app: Flask) -> None:
    app.jinja_env.globals.update(notification_count=notification_count)
