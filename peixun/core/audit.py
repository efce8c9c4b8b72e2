"""The audit log: who did which administration or moderation action, when, from where.

Services (and admin views before they call a service) add an entry to the session, so it
is committed with the action it records or rolled back with it: the log never claims
what did not happen, and never misses what did. Entries are only ever added; no page
edits or deletes them. Site admins read them at /admin/audit.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from peixun.core.db import CreatedMixin, IdMixin
from peixun.extensions import db

# Every action the log knows, grouped as the admin page filters them.
GROUPS: dict[str, tuple[str, dict[str, str]]] = {
    "moderation": (
        "帖子管理",
        {
            "thread.feature": "设为精华",
            "thread.unfeature": "取消精华",
            "thread.pin": "置顶",
            "thread.unpin": "取消置顶",
            "thread.lock": "锁定",
            "thread.unlock": "解除锁定",
            "thread.hide": "隐藏帖子",
            "thread.unhide": "取消隐藏",
            "thread.delete": "删除他人帖子",
            "thread.release": "放行待审帖子",
            "thread.reject": "拒绝待审帖子",
            "thread.move": "移动帖子",
        },
    ),
    "library": (
        "资源与资源库",
        {
            "resource.delete": "删除他人资源",
            "resource.release": "放行待审资源",
            "entry.selected": "遴选资源入库",
            "entry.declined": "不予遴选",
            "entry.excellent": "标为精品",
            "entry.not_excellent": "取消精品",
            "entry.withdrawn": "撤出资源库",
        },
    ),
    "members": (
        "成员与角色",
        {
            "membership.approve": "批准加入",
            "membership.reject": "拒绝加入",
            "member.remove": "移出成员",
            "role.appoint": "任命角色",
            "role.revoke": "撤销角色",
        },
    ),
    "accounts": (
        "账号",
        {
            "user.create": "创建账号",
            "user.disable": "停用账号",
            "user.enable": "启用账号",
            "user.reset_password": "重置密码",
            "roster.import": "导入学员名单",
            "roster.delete_logins": "删除初始登录信息",
        },
    ),
    "site": (
        "空间与站点设置",
        {
            "space.create": "创建空间",
            "space.edit": "修改空间",
            "screen.edit": "修改敏感词表",
            "vocab.edit": "修改分类词表",
            "dictionary.edit": "修改检索词典",
        },
    ),
}
LABELS = {action: label for _name, actions in GROUPS.values() for action, label in actions.items()}


class AuditEntry(IdMixin, CreatedMixin, db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_action_id", "action", "id"),)

    # The name is kept as it was, so the line still reads right after a rename.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_name: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str] = mapped_column(String(16), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="SET NULL"), index=True)
    summary: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str | None] = mapped_column(String(45))

    @property
    def label(self) -> str:
        return LABELS.get(self.action, self.action)


def record(
    action: str,
    target: Any = None,
    summary: str = "",
    *,
    space_id: int | None = None,
    actor: Any = None,
) -> None:
    """Add an entry for `action` on `target` to the session; the caller's commit keeps it.

    The actor defaults to whoever is signed in (none for the CLI, shown as 命令行)."""
    if action not in LABELS:
        raise ValueError(f"unknown audit action {action!r}")
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if target is not None and getattr(target, "id", None) is None:
        db.session.flush()  # a new target: its id is part of the entry
    if space_id is None and target is not None:
        space_id = getattr(target, "space_id", None)
    db.session.add(
        AuditEntry(
            actor_id=getattr(actor, "id", None),
            actor_name=f"{actor.real_name}（{actor.username}）" if actor is not None else "",
            action=action,
            target_type=type(target).__name__.lower() if target is not None else "",
            target_id=getattr(target, "id", None),
            space_id=space_id,
            summary=summary[:300],
            address=request.remote_addr if has_request_context() else None,
        )
    )
