"""Space operations: create the tree, personal spaces, joining, roles, study groups."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from peixun.accounts.models import User
from peixun.core import audit
from peixun.core.errors import ServiceError
from peixun.extensions import db
from peixun.spaces.models import (
    ACTIVE,
    GROUP,
    GROUP_LEADER,
    HOST,
    INVITED,
    PERSONAL,
    REGION,
    REGION_LEVELS,
    REQUESTED,
    ROLE_KINDS,
    ROLE_LABELS,
    SCHOOL,
    WORKSHOP,
    Activity,
    Membership,
    RoleAssignment,
    Space,
)

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
# Which kind of parent each kind of space hangs under.
PARENT_KINDS = {REGION: {REGION, None}, SCHOOL: {REGION}, WORKSHOP: {REGION}, GROUP: {WORKSHOP, SCHOOL}}


def _commit_or_refuse(message: str, field: str | None = None) -> None:
    """Commit; a unique constraint hit by a double submit becomes a clear refusal."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(message, field) from None


def record(
    space: Space, actor: User | None, verb: str, detail: str = "", target_id: int | None = None
) -> None:
    db.session.add(
        Activity(
            space_id=space.id,
            actor_id=actor.id if actor else None,
            verb=verb,
            detail=detail[:200],
            target_id=target_id,
        )
    )


def _check_slug(kind: str, slug: str, current: Space | None = None) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_PATTERN.match(slug):
        raise ServiceError("网址标识须为 2–64 个小写字母、数字或连字符。", "slug")
    taken = db.session.execute(
        select(Space.id).where(Space.kind == kind, Space.slug == slug)
    ).scalar_one_or_none()
    if taken is not None and (current is None or taken != current.id):
        raise ServiceError("该网址标识已被使用。", "slug")
    return slug


def _place(space: Space, parent: Space | None) -> None:
    if (parent.kind if parent else None) not in PARENT_KINDS[space.kind]:
        raise ServiceError("上级空间的类型不正确。", "parent")
    if parent is not None and space.id is not None and space.id in parent.chain_ids:
        raise ServiceError("不能把空间移到它自己的下级。", "parent")
    space.parent = parent
    db.session.flush()
    old_path = space.path
    space.path = (parent.path if parent else "/") + f"{space.id}/"
    if old_path and old_path != space.path:
        # Moving a region moves everything below it: rewrite the descendants' paths.
        for child in db.session.execute(
            select(Space).where(Space.path.startswith(old_path), Space.id != space.id)
        ).scalars():
            child.path = space.path + child.path[len(old_path) :]


def create_space(
    kind: str, name: str, slug: str, parent: Space | None, *, commit: bool = True, **fields: object
) -> Space:
    """Create a region, school, workshop or study group under `parent`."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ServiceError("请填写名称（最多 80 字）。", "name")
    if kind == REGION:
        fields.setdefault("region_level", "county")
        if fields["region_level"] not in REGION_LEVELS:
            raise ServiceError("区域级别不正确。", "region_level")
    space = Space(kind=kind, name=name, slug=_check_slug(kind, slug), **fields)
    db.session.add(space)
    db.session.flush()
    _place(space, parent)
    if commit:
        db.session.commit()
    return space


def update_space(space: Space, *, name: str, slug: str, parent: Space | None, **fields: object) -> None:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ServiceError("请填写名称（最多 80 字）。", "name")
    space.name = name
    space.slug = _check_slug(space.kind, slug, space)
    for key, value in fields.items():
        setattr(space, key, value)
    if parent is not space.parent:
        _place(space, parent)
    db.session.commit()


def edit_info(actor: User, space: Space, *, description: str, is_open: bool) -> None:
    """A host or admin edits the space's introduction and whether it takes requests."""
    space.description = (description or "").strip()[:2000]
    if space.kind == WORKSHOP:
        space.is_open = is_open
    record(space, actor, "space.edited")
    db.session.commit()


def create_group(actor: User, parent: Space, name: str, leader: User) -> Space:
    """A study group (研修小组) inside a workshop or school, led by one of its members."""
    if not is_member(leader, parent):
        raise ServiceError("组长必须是本空间的成员。", "leader")
    # A random slug never collides with a concurrent creation or fails the pattern.
    group = create_space(
        GROUP,
        name,
        f"{parent.id}-{secrets.token_hex(4)}",
        parent,
        commit=False,
        subject=parent.subject,
        stage=parent.stage,
    )
    db.session.add(Membership(space_id=group.id, user_id=leader.id, state=ACTIVE))
    db.session.add(RoleAssignment(space_id=group.id, user_id=leader.id, role=GROUP_LEADER))
    record(parent, actor, "group.created", group.name, group.id)
    db.session.commit()
    return group


# --- personal spaces and schools (called from accounts through hooks) ---------------


def personal_space_name(user: User) -> str:
    return f"{user.real_name}的个人空间"


def ensure_personal_space(user: User, school_id: int | None = None) -> Space:
    space = db.session.execute(select(Space).where(Space.owner_id == user.id)).scalar_one_or_none()
    if space is None:
        (space,) = add_personal_spaces([user])
    if school_id is not None:
        set_school(user, school_id)
    return space


def add_personal_spaces(users: list[User], schools: dict[int, Space] | None = None) -> list[Space]:
    """Personal spaces for new accounts (flushed, with their ids and paths), and for a
    roster's new teachers their school memberships: one flush for thousands."""
    made = [Space(kind=PERSONAL, slug=u.username, name=personal_space_name(u), owner_id=u.id) for u in users]
    db.session.add_all(made)
    db.session.flush()
    for space in made:
        space.path = f"/{space.id}/"
    for user in users:
        school = (schools or {}).get(user.id)
        if school is not None:
            db.session.add(Membership(space_id=school.id, user_id=user.id, state=ACTIVE))
            record(school, user, "member.joined")
    return made


def school_membership(user: User) -> Membership | None:
    return (
        db.session.execute(
            select(Membership)
            .join(Space, Membership.space_id == Space.id)
            .where(Membership.user_id == user.id, Space.kind == SCHOOL)
        )
        .scalars()
        .first()
    )


def set_school(user: User, school_id: int | None) -> None:
    """A teacher belongs to at most one school; changing it moves her membership
    (and takes her out of the old school's study groups)."""
    current = school_membership(user)
    if current is not None and current.space_id == school_id:
        return
    school = db.session.get(Space, school_id) if school_id is not None else None
    if school_id is not None and (school is None or school.kind != SCHOOL):
        raise ServiceError("请选择列表中的学校。", "school")
    if current is not None:
        _check_no_roles(user, current.space, "更换学校", "school")
        _leave_with_groups(user, current.space)
    if school is not None:
        db.session.flush()
        db.session.add(Membership(space_id=school.id, user_id=user.id, state=ACTIVE))
        record(school, user, "member.joined")


# --- workshop and group membership --------------------------------------------------


def membership(user: User, space: Space) -> Membership | None:
    return db.session.execute(
        select(Membership).where(Membership.user_id == user.id, Membership.space_id == space.id)
    ).scalar_one_or_none()


def is_member(user: User, space: Space) -> bool:
    found = membership(user, space)
    return found is not None and found.state == ACTIVE


def add_member(actor: User | None, space: Space, user: User, *, commit: bool = True) -> Membership:
    """Make `user` an active member of a workshop or group at once (roster, demo, admin)."""
    found = membership(user, space)
    if found is None:
        found = Membership(
            space_id=space.id, user_id=user.id, state=ACTIVE, invited_by_id=actor.id if actor else None
        )
        db.session.add(found)
    elif found.state == ACTIVE:
        return found
    found.state = ACTIVE
    record(space, user, "member.joined")
    if commit:
        db.session.commit()
    return found


def request_to_join(user: User, workshop: Space) -> Membership:
    if workshop.kind != WORKSHOP or not workshop.is_open:
        raise ServiceError("该工作坊暂不接受加入申请。")
    if membership(user, workshop) is not None:
        raise ServiceError("您已是成员或已提交过申请。")
    found = Membership(space_id=workshop.id, user_id=user.id, state=REQUESTED)
    db.session.add(found)
    _commit_or_refuse("您已是成员或已提交过申请。")
    return found


def decide_request(actor: User, found: Membership, approve: bool) -> None:
    """A host approves (the user becomes a member) or rejects a join request."""
    action = "membership.approve" if approve else "membership.reject"
    audit.record(action, found.user, found.user.display_name, space_id=found.space_id, actor=actor)
    _settle(found, REQUESTED, approve, "该申请已处理。")


def invite(actor: User, space: Space, user: User) -> Membership:
    """A host invites a user into her workshop, or a member of it into a study group."""
    if membership(user, space) is not None:
        raise ServiceError(f"{user.display_name} 已是成员或已有待处理的邀请或申请。", "username")
    if space.kind == GROUP:
        if space.parent is None or not is_member(user, space.parent):
            raise ServiceError("只能把上级空间的成员加入研修小组。", "username")
        found = Membership(space_id=space.id, user_id=user.id, state=ACTIVE, invited_by_id=actor.id)
        record(space, user, "member.joined")
    else:
        found = Membership(space_id=space.id, user_id=user.id, state=INVITED, invited_by_id=actor.id)
    db.session.add(found)
    _commit_or_refuse(f"{user.display_name} 已是成员或已有待处理的邀请或申请。", "username")
    return found


def respond_to_invitation(found: Membership, accept: bool) -> None:
    _settle(found, INVITED, accept, "该邀请已处理。")


def _settle(found: Membership, pending: str, accept: bool, settled: str) -> None:
    """Accept or drop a pending membership exactly once, even if two clicks race:
    the statement only touches the row while it is still pending."""
    space, user = found.space, found.user
    still_pending = (Membership.id == found.id, Membership.state == pending)
    if accept:
        result = db.session.execute(update(Membership).where(*still_pending).values(state=ACTIVE))
    else:
        result = db.session.execute(delete(Membership).where(*still_pending))
    if not result.rowcount:
        db.session.rollback()
        raise ServiceError(settled)
    if accept:
        record(space, user, "member.joined")
    db.session.commit()


def _host_count(space: Space) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(RoleAssignment)
        .where(RoleAssignment.space_id == space.id, RoleAssignment.role == HOST)
    ).scalar_one()


def _with_groups(space: Space) -> list[int]:
    return [space.id, *db.session.execute(select(Space.id).where(Space.parent_id == space.id)).scalars()]


def _check_no_roles(user: User, space: Space, doing: str, field: str | None = None) -> None:
    """Hosts, experts and leaders are appointed by admins, so only admins un-appoint them:
    a role holder cannot leave or be removed (by a co-host, say) until it is revoked."""
    held = db.session.execute(
        select(RoleAssignment.role).where(
            RoleAssignment.user_id == user.id, RoleAssignment.space_id.in_(_with_groups(space))
        )
    ).scalars()
    labels = sorted({ROLE_LABELS[role] for role in held})
    if labels:
        raise ServiceError(
            f"{user.display_name} 在{space.name}担任{'、'.join(labels)}，须先由管理员撤销角色才能{doing}。",
            field,
        )


def _leave_with_groups(user: User, space: Space) -> None:
    db.session.execute(
        delete(Membership).where(Membership.user_id == user.id, Membership.space_id.in_(_with_groups(space)))
    )


def remove_member(actor: User, space: Space, user: User) -> None:
    """Leave (actor is user) or remove someone, from the space and its study groups."""
    found = membership(user, space)
    if found is None:
        raise ServiceError("该用户不是成员。")
    _check_no_roles(user, space, "退出或被移出")
    _leave_with_groups(user, space)
    if found.state == ACTIVE:
        record(space, user, "member.left" if actor.id == user.id else "member.removed")
    if actor.id != user.id:
        audit.record("member.remove", user, user.display_name, space_id=space.id, actor=actor)
    db.session.commit()


# --- roles --------------------------------------------------------------------------


def user_roles_in(user: User, space: Space) -> set[str]:
    return set(
        db.session.execute(
            select(RoleAssignment.role).where(
                RoleAssignment.user_id == user.id, RoleAssignment.space_id == space.id
            )
        ).scalars()
    )


def appoint(actor: User | None, space: Space, user: User, role: str, *, commit: bool = True) -> None:
    """Give `user` a role in `space`; hosts and leaders become members as well."""
    if role not in ROLE_KINDS or space.kind not in ROLE_KINDS[role]:
        raise ServiceError(f"{space.kind_label}中不能任命{ROLE_LABELS.get(role, role)}。", "role")
    if role in user_roles_in(user, space):
        raise ServiceError(f"{user.display_name} 已是{ROLE_LABELS[role]}。", "role")
    db.session.add(RoleAssignment(space_id=space.id, user_id=user.id, role=role))
    if space.kind in {WORKSHOP, GROUP}:
        found = membership(user, space)
        if found is None:
            db.session.add(Membership(space_id=space.id, user_id=user.id, state=ACTIVE))
        else:
            found.state = ACTIVE
    record(space, user, "role.appointed", ROLE_LABELS[role])
    audit.record(
        "role.appoint", user, f"{user.display_name}：{ROLE_LABELS[role]}", space_id=space.id, actor=actor
    )
    if commit:
        db.session.commit()


def revoke(space: Space, user: User, role: str) -> None:
    if role == HOST and HOST in user_roles_in(user, space) and _host_count(space) <= 1:
        raise ServiceError("工作坊至少需要一位坊主。", "role")
    result = db.session.execute(
        delete(RoleAssignment).where(
            RoleAssignment.space_id == space.id,
            RoleAssignment.user_id == user.id,
            RoleAssignment.role == role,
        )
    )
    if not result.rowcount:
        raise ServiceError("该用户没有这个角色。", "role")
    audit.record(
        "role.revoke", user, f"{user.display_name}：{ROLE_LABELS.get(role, role)}", space_id=space.id
    )
    db.session.commit()
