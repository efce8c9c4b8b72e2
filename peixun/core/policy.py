"""The one permission oracle: can(user, action, target) and require(action, target).

Rules are a table: each action names the relations that grant it and, where the
state of the target matters, a condition.  A relation is what the user is to the
target: anyone, a signed-in user, the target's owner ("self"), a member of its space,
or a role held in its space or in any space above it (a role in a region reaches
every school, workshop and group below it).  The user's memberships and roles are
loaded once per request, so templates may ask can() for every row of a list without
another query.
"""

from __future__ import annotations

from typing import Any

from flask import abort, g, has_request_context
from flask_login import current_user

from peixun.core.hooks import hooks
from peixun.core.rules import (  # noqa: F401 - the names other modules use through the policy
    ANYONE,
    EXPERT,
    GROUP_LEADER,
    HOST,
    MANAGERS,
    MEMBER,
    OWNER,
    REGION_ADMIN,
    ROLES,
    RULES,
    SCHOOL_ADMIN,
    SELF,
    SITE_ADMIN,
    USER,
    Actor,
    Rule,
    relations,
)


def load_actor(user: Any) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor()
    data = hooks().first("policy.actor_data", user, default=None) or {}
    return Actor(user=user, **data)


def current_actor() -> Actor:
    """The signed-in user's Actor, loaded on first use in a request."""
    user = current_user._get_current_object() if current_user.is_authenticated else None
    if not has_request_context():
        return load_actor(user)
    cached = g.get("_policy_actor")
    if cached is None or cached.user is not user:
        cached = g._policy_actor = load_actor(user)
    return cached


def forget_actor() -> None:
    """Drop the cached Actor after a change to the user's memberships or roles."""
    g.pop("_policy_actor", None)


def can(actor: Actor | Any, action: str, target: Any = None) -> bool:
    """True when the rule for `action` grants it to this actor on this target."""
    rule = RULES[action]
    if not isinstance(actor, Actor):
        actor = load_actor(actor)
    if actor.user is not None and not actor.user.is_active:
        return False
    if rule.who.isdisjoint(relations(actor, target)):
        return False
    return rule.when is None or rule.when(actor, target)


def can_current(action: str, target: Any = None) -> bool:
    return can(current_actor(), action, target)


def require(action: str, target: Any = None) -> None:
    """Abort with 401 (guests: sent to the login page) or 403 unless allowed."""
    actor = current_actor()
    if can(actor, action, target):
        return
    abort(401 if actor.user is None else 403)
