"""One-line factories for tests: each builds through the real services."""

from __future__ import annotations

import itertools

from peixun.accounts import service as accounts
from peixun.accounts.models import User
from peixun.extensions import db
from peixun.spaces import service as spaces
from peixun.spaces.models import GROUP, REGION, SCHOOL, WORKSHOP, Membership, Space

PASSWORD = "password123"
_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def make_user(username: str | None = None, real_name: str = "张老师", **kwargs: object) -> User:
    return accounts.create_user(
        username or f"user{_n()}", real_name, kwargs.pop("password", PASSWORD), **kwargs
    )  # type: ignore[arg-type]


def make_admin(username: str | None = None) -> User:
    return make_user(username or f"admin{_n()}", "管理员", is_admin=True)


def make_region(name: str = "兴义市", parent: Space | None = None, level: str = "county") -> Space:
    return spaces.create_space(REGION, name, f"region-{_n()}", parent, region_level=level)


def make_school(region: Space | None = None, name: str = "兴义市第一中学") -> Space:
    return spaces.create_space(SCHOOL, name, f"school-{_n()}", region or make_region())


def make_workshop(
    region: Space | None = None,
    hosts: list[User] | tuple[User, ...] = (),
    name: str = "初中语文工作坊",
    subject: str = "语文",
    stage: str = "初中",
) -> Space:
    workshop = spaces.create_space(
        WORKSHOP, name, f"ws-{_n()}", region or make_region(), subject=subject, stage=stage
    )
    for host in hosts:
        spaces.appoint(None, workshop, host, "host")
    return workshop


def make_group(parent: Space, leader: User, name: str = "第一研修小组") -> Space:
    if not spaces.is_member(leader, parent):
        add_member(leader, parent)
    return spaces.create_group(leader, parent, name, leader)


def add_member(user: User, space: Space) -> Membership:
    if space.kind == SCHOOL:
        spaces.set_school(user, space.id)
        db.session.commit()
        return spaces.membership(user, space)  # type: ignore[return-value]
    return spaces.add_member(None, space, user)


def appoint(user: User, space: Space, role: str) -> None:
    spaces.appoint(None, space, user, role)


def make_resource(
    author: User,
    space: Space,
    title: str = "《春》教学设计",
    *,
    text: str | None = None,
    filename: str = "教案.txt",
    **fields: str,
):
    """A shared resource: a small text file by default, or a link when given link_url."""
    import io

    from peixun.resources import service as resources

    data = resources.ResourceData(title=title, type=fields.pop("type", "教案"), **fields)
    upload = None
    if not data.link_url:
        body = (text if text is not None else f"{title}\n教学目标：感受春天的美。").encode()
        upload = resources.store_upload(io.BytesIO(body), filename)
    return resources.share(author, space, data, upload=upload)


__all__ = [
    "GROUP",
    "PASSWORD",
    "add_member",
    "appoint",
    "make_admin",
    "make_group",
    "make_region",
    "make_resource",
    "make_school",
    "make_user",
    "make_workshop",
]


def mp4_bytes(size: int = 200_000) -> bytes:
    """Enough of an MP4 for the type sniffer: an ftyp box, then filler."""
    head = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
    return head + bytes(range(256)) * (size // 256)
