"""Thread, Post (the opening post and every reply), PostVersion and Like."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from peixun.accounts.models import User
from peixun.core.db import AuthoredInSpace, CreatedMixin, IdMixin, UTCDateTime, utcnow
from peixun.extensions import db
from peixun.spaces.models import Space

TOPIC, QUESTION, JOURNAL, PERIODIC = "topic", "question", "journal", "periodic"
# The comments under an object of another domain (a resource, a brief): never listed
# among a space's discussions; that domain says who reads it and where it is shown.
COMMENTS = "comments"
KIND_LABELS = {
    TOPIC: "主题研讨",
    QUESTION: "问答",
    JOURNAL: "研修日志",
    PERIODIC: "学习园地",
    COMMENTS: "评论",
}
REPLIES_PER_PAGE = 20


class Thread(IdMixin, CreatedMixin, AuthoredInSpace, db.Model):
    """A discussion in one space; its body is its first Post."""

    __tablename__ = "threads"
    __table_args__ = (
        Index("ix_threads_space_activity", "space_id", "is_pinned", "last_activity_at"),
        # 学情 (stats): discussions and journals started in a period, by author.
        Index("ix_threads_kind_created", "kind", "created_at", "author_id"),
        # 学习园地 第N期: numbered per space, never twice (two hosts publishing at once).
        UniqueConstraint("space_id", "period_number"),
    )

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=TOPIC)
    title: Mapped[str] = mapped_column(String(120))
    # Journals only: False keeps it visible to the owner alone.
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    is_featured: Mapped[bool] = mapped_column(Boolean, default=False)
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set by a host: the thread is then shown only to its author and the hosts.
    period_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hidden_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The opening post matched the network-safety screen: shown to its author and the
    # hosts only, until a host releases it.
    is_held: Mapped[bool] = mapped_column(Boolean, default=False)
    accepted_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, ondelete="SET NULL")
    )
    # Sorting by latest activity needs a column; it is a timestamp, not a counter.
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    space: Mapped[Space] = relationship()
    author: Mapped[User] = relationship()

    @property
    def kind_label(self) -> str:
        if self.kind == PERIODIC:
            return f"学习园地 第{self.period_number}期"
        return KIND_LABELS[self.kind]


class Post(IdMixin, CreatedMixin, db.Model):
    """The opening post of a thread or a reply; HTML is rendered once when saved."""

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_thread_id_id", "thread_id", "id"),
        # 学情 (stats): who wrote how many in a period, read from the index alone.
        Index("ix_posts_created_author", "created_at", "author_id", "is_opening", "deleted_at"),
    )

    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_opening: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    renderer_version: Mapped[int] = mapped_column(Integer, default=1)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # One key per form render: a double-submitted form creates one post (STACK_NOTES 12).
    form_key: Mapped[str | None] = mapped_column(String(43), unique=True, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    is_held: Mapped[bool] = mapped_column(Boolean, default=False)

    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id])
    author: Mapped[User] = relationship()

    @property
    def policy_space(self) -> Space:
        return self.thread.space

    @property
    def policy_owner_id(self) -> int:
        return self.author_id


class PostVersion(IdMixin, CreatedMixin, db.Model):
    """An earlier text of an edited post, kept for the space's hosts."""

    __tablename__ = "post_versions"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)


class Like(IdMixin, CreatedMixin, db.Model):
    __tablename__ = "likes"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


MODERATION_LABELS = {
    "feature": "设为精华",
    "unfeature": "取消精华",
    "pin": "置顶",
    "unpin": "取消置顶",
    "lock": "锁定",
    "unlock": "解除锁定",
    "hide": "隐藏",
    "unhide": "取消隐藏",
    "accept": "采纳为最佳答案",
    "delete": "删除回帖",
    "release": "审核通过",
    "reject": "审核不通过",
    "move": "移动",
}


class ModerationAction(IdMixin, CreatedMixin, db.Model):
    """Who moderated what, when and why; read by the space's hosts."""

    __tablename__ = "moderation_actions"
    __table_args__ = (Index("ix_moderation_actions_space_created", "space_id", "created_at"),)

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200), default="")

    thread: Mapped[Thread] = relationship()
    actor: Mapped[User] = relationship()

    @property
    def label(self) -> str:
        return MODERATION_LABELS.get(self.action, self.action)


NOTIFICATION_LABELS = {
    "reply": "回复了",
    "mention": "提到了您，在",
    "accepted": "采纳了您的回答，在",
    "moderated": "管理了您的帖子",
    "thread": "发起了新讨论",
    # The upward flow of resources (resources domain), told on the resource's comments thread.
    "selected": "遴选了您的资源",
    "declined": "未选用您的资源",
    "excellent": "将您的资源评为精品",
    "brief": "发布了简报",
    # 督促 (stats domain): a host or admin urges a member who has not studied lately.
    "urge": "提醒您参加研修：",
}


class Notification(IdMixin, CreatedMixin, db.Model):
    """Something that happened to me: a reply, a mention, an accepted answer, moderation."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    # What it is about: a thread (and post), or for a notice from a space (督促) the space.
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), nullable=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    detail: Mapped[str] = mapped_column(String(200), default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    thread: Mapped[Thread | None] = relationship()
    space: Mapped[Space | None] = relationship()

    @property
    def label(self) -> str:
        return NOTIFICATION_LABELS.get(self.kind, self.kind)

    @property
    def policy_owner_id(self) -> int:
        return self.user_id


class Subscription(IdMixin, CreatedMixin, db.Model):
    """Watch (notify me) or mute (never notify me) a thread or a whole space."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "thread_id"),
        UniqueConstraint("user_id", "space_id"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    is_muted: Mapped[bool] = mapped_column(Boolean, default=False)


class ThreadVisit(db.Model):
    """When a user last read a thread: the unread markers of thread lists."""

    __tablename__ = "thread_visits"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Draft(IdMixin, db.Model):
    """What someone is writing, kept on the server so a dropped connection loses nothing.
    `key` names the form: "new:<space id>" or "reply:<thread id>"."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
