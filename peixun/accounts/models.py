"""The User model: identity, password, profile and the session token."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from peixun.core.db import CreatedMixin, IdMixin, UTCDateTime
from peixun.extensions import db

USERNAME_PATTERN = r"^[a-z][a-z0-9_]{2,31}$"


def new_auth_token() -> str:
    return secrets.token_urlsafe(32)


class User(IdMixin, CreatedMixin, db.Model):
    __tablename__ = "users"
    # One person per mobile number (a unique index, which SQLite adds without rebuilding the table).
    __table_args__ = (Index("ix_users_phone", "phone", unique=True),)

    username: Mapped[str] = mapped_column(String(32), unique=True)
    real_name: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(256))
    # Flask-Login's "alternative token": the session and remember cookies carry this
    # instead of the id, so rotating it ends every session at once (STACK_NOTES 6).
    auth_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_auth_token)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # From the roster (学员信息表): the mobile number is how a re-import finds her again, and
    # it is shown masked (138****2264) to all but the admins of her scope.
    phone: Mapped[str | None] = mapped_column(String(11), nullable=True)
    gender: Mapped[str] = mapped_column(String(1), default="", server_default="")  # 男 / 女 / ""
    subject: Mapped[str] = mapped_column(String(16), default="")
    stage: Mapped[str] = mapped_column(String(8), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    # Flask-Login protocol
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return not self.is_disabled

    def get_id(self) -> str:
        return self.auth_token

    @property
    def policy_owner_id(self) -> int:
        return self.id

    @property
    def masked_phone(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}" if self.phone else ""

    @property
    def display_name(self) -> str:
        return self.real_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.username}>"
