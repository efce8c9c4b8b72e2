"""Space (all four levels plus study groups), Membership, RoleAssignment, Activity."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from peixun.accounts.models import User
from peixun.core.db import CreatedMixin, IdMixin
from peixun.core.policy import EXPERT, GROUP_LEADER, HOST, REGION_ADMIN, SCHOOL_ADMIN
from peixun.extensions import db

REGION, SCHOOL, WORKSHOP, GROUP, PERSONAL = "region", "school", "workshop", "group", "personal"
KIND_LABELS = {
    REGION: "区域社区",
    SCHOOL: "学校社区",
    WORKSHOP: "工作坊",
    GROUP: "研修小组",
    PERSONAL: "个人空间",
}
# URL prefix of each kind: /r/<slug>, /s/<slug>, /w/<slug>, /g/<slug>; personal is /u/<username>.
KIND_PREFIX = {REGION: "r", SCHOOL: "s", WORKSHOP: "w", GROUP: "g"}
PREFIX_KIND = {prefix: kind for kind, prefix in KIND_PREFIX.items()}

REGION_LEVELS = {"province": "省", "city": "市州", "county": "区县"}

ACTIVE, REQUESTED, INVITED = "active", "requested", "invited"

ROLE_LABELS = {
    HOST: "坊主",
    GROUP_LEADER: "研修组长",
    EXPERT: "学科专家",
    SCHOOL_ADMIN: "学校管理员",
    REGION_ADMIN: "区域管理员",
}
# Which kind of space each role is held in.
ROLE_KINDS = {
    HOST: {WORKSHOP},
    GROUP_LEADER: {GROUP},
    EXPERT: {WORKSHOP, REGION},
    SCHOOL_ADMIN: {SCHOOL},
    REGION_ADMIN: {REGION},
}


class Space(IdMixin, CreatedMixin, db.Model):
    """One community space; `path` lists the ids from the top region down to this one."""

    __tablename__ = "spaces"
    __table_args__ = (
        UniqueConstraint("kind", "slug"),
        # Pattern ops let PostgreSQL use the index for `path LIKE '/1/5/%'` under any
        # collation; SQLite ignores the option.
        Index("ix_spaces_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )

    kind: Mapped[str] = mapped_column(String(16))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id"), index=True)
    # "/1/5/12/": ancestors without a query, descendants with one LIKE (materialised path).
    path: Mapped[str] = mapped_column(String(255), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    region_level: Mapped[str] = mapped_column(String(16), default="")
    subject: Mapped[str] = mapped_column(String(16), default="")
    stage: Mapped[str] = mapped_column(String(8), default="")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Space | None] = relationship(remote_side="Space.id", lazy="joined", join_depth=1)
    owner: Mapped[User | None] = relationship()

    @property
    def chain_ids(self) -> list[int]:
        """Ids from the top of the tree down to this space (this one last)."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    @property
    def kind_label(self) -> str:
        if self.kind == REGION and self.region_level:
            return REGION_LEVELS.get(self.region_level, "") + "区域"
        return KIND_LABELS[self.kind]

    @property
    def policy_space(self) -> Space:
        return self

    def __repr__(self) -> str:
        return f"<Space {self.kind}:{self.slug}>"


class Membership(IdMixin, CreatedMixin, db.Model):
    """A user in a school, workshop or study group; requested and invited are pending."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("space_id", "user_id"),
        # Covers "active members of these spaces" without visiting the table (bench/).
        Index("ix_memberships_space_state_user", "space_id", "state", "user_id"),
    )

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    space: Mapped[Space] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def policy_space(self) -> Space:
        return self.space

    @property
    def policy_owner_id(self) -> int:
        return self.user_id


class RoleAssignment(IdMixin, CreatedMixin, db.Model):
    """A role held in a space; a role in a region reaches every space below it."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("space_id", "user_id", "role"),)

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))

    space: Mapped[Space] = relationship()
    user: Mapped[User] = relationship()


class Activity(IdMixin, CreatedMixin, db.Model):
    """One line of a space's recent activity ("张丽 加入了工作坊")."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_space_created", "space_id", "created_at"),)

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    verb: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(200), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)

    space: Mapped[Space] = relationship()
    actor: Mapped[User | None] = relationship()
