"""Read-side builders for the administration pages; each runs a fixed number of queries."""

from __future__ import annotations

from sqlalchemy import or_, select

from peixun.accounts.models import User
from peixun.core.audit import GROUPS, AuditEntry
from peixun.core.pagination import Page, paginate
from peixun.extensions import db
from peixun.spaces.models import REGION, SCHOOL, WORKSHOP, Space

# The kinds of space the administration pages create and edit.
LISTED_KINDS = (REGION, SCHOOL, WORKSHOP)
PER_PAGE = 30


def spaces_page(kind: str | None, page: int, per_page: int = PER_PAGE) -> Page:
    """Regions, schools and workshops in tree order; each row's parent comes in the same query."""
    statement = (
        select(Space).where(Space.kind.in_([kind] if kind else LISTED_KINDS)).order_by(Space.path, Space.id)
    )
    return paginate(statement, page, per_page)


def region_choices(exclude: Space | None = None) -> list[tuple[int, str]]:
    """(id, "省 › 市 › 区县") of every region, parents before children.

    `exclude` drops a region and everything below it: a region cannot move under itself.
    """
    rows = db.session.execute(select(Space.id, Space.name, Space.path).where(Space.kind == REGION)).all()
    names = {row.id: row.name for row in rows}
    found = []
    for row in rows:
        if exclude is not None and row.path.startswith(exclude.path):
            continue
        chain = [names.get(int(part), "") for part in row.path.strip("/").split("/") if part]
        found.append((chain, row.id))
    found.sort()
    return [(region_id, " › ".join(chain)) for chain, region_id in found]


def users_page(q: str, page: int, per_page: int = PER_PAGE) -> Page:
    """Accounts by username; `q` matches part of the username or the real name."""
    statement = select(User).order_by(User.username)
    if q:
        statement = statement.where(
            or_(
                User.username.contains(q.lower(), autoescape=True),
                User.real_name.contains(q, autoescape=True),
            )
        )
    return paginate(statement, page, per_page)


def audit_page(
    group: str, username: str, page: int, per_page: int = PER_PAGE
) -> tuple[Page, dict[int, Space]]:
    """The newest audit entries first, of one group of actions and/or one actor, and the
    spaces they name: two queries and a count, however long the log."""
    statement = select(AuditEntry).order_by(AuditEntry.id.desc())
    if group in GROUPS:
        statement = statement.where(AuditEntry.action.in_(list(GROUPS[group][1])))
    if username:
        actor = select(User.id).where(User.username == username.lower()).scalar_subquery()
        statement = statement.where(AuditEntry.actor_id == actor)
    found = paginate(statement, page, per_page)
    ids = {entry.space_id for entry in found.items if entry.space_id is not None}
    spaces = {}
    if ids:
        spaces = {
            space.id: space for space in db.session.execute(select(Space).where(Space.id.in_(ids))).scalars()
        }
    return found, spaces
