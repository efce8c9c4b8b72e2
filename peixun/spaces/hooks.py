"""Connects the spaces domain to the extension points of core and accounts."""

from __future__ import annotations

from flask import Flask

from peixun.accounts.models import User
from peixun.core.hooks import hooks
from peixun.spaces import queries, service
from peixun.spaces.models import KIND_PREFIX, ROLE_LABELS
from peixun.spaces.views import space_url


def _user_created(user: User, school_id: int | None = None) -> None:
    service.ensure_personal_space(user, school_id)


def _profile_changed(user: User, school_id: int | None = None) -> None:
    service.set_school(user, school_id)
    service.ensure_personal_space(user).name = service.personal_space_name(user)


def connect(app: Flask) -> None:
    registry = hooks(app)
    registry.connect("user.created", _user_created)
    registry.connect("user.profile_changed", _profile_changed)
    registry.connect("user.school_id", queries.school_id_of)
    registry.connect("school.choices", queries.school_choices)
    registry.connect("policy.actor_data", queries.actor_data)
    app.jinja_env.globals.update(KIND_PREFIX=KIND_PREFIX, ROLE_LABELS=ROLE_LABELS, space_url=space_url)
