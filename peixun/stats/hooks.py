"""Recording the days each person uses the site (ActiveDay), at most one write a day:
at sign-in, and on the first request of a new day (China time) of a remembered session."""

from __future__ import annotations

from flask import Flask, session
from flask_login import current_user, user_logged_in
from sqlalchemy.exc import IntegrityError

from peixun.extensions import db
from peixun.stats.models import ActiveDay
from peixun.stats.queries import china_today

SESSION_KEY = "active_day"


def mark_active(user_id: int) -> None:
    today = china_today()
    if session.get(SESSION_KEY) == today.isoformat():
        return
    if db.session.get(ActiveDay, (user_id, today)) is None:
        db.session.add(ActiveDay(user_id=user_id, day=today))
        try:
            db.session.commit()
        except IntegrityError:  # another request of hers recorded it a moment ago
            db.session.rollback()
    session[SESSION_KEY] = today.isoformat()


def _on_login(app: Flask, user, **extra) -> None:
    mark_active(user.id)


def _before_request() -> None:
    if current_user.is_authenticated:
        mark_active(current_user.id)


def connect(app: Flask) -> None:
    user_logged_in.connect(_on_login, app)
    app.before_request(_before_request)
