"""Account operations: create, authenticate, passwords, profiles, ending sessions."""

from __future__ import annotations

import re
import unicodedata

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from peixun.accounts.models import USERNAME_PATTERN, User, new_auth_token
from peixun.core.db import utcnow
from peixun.core.errors import ServiceError
from peixun.core.hooks import hooks
from peixun.core.vocab import STAGES, SUBJECTS, terms
from peixun.extensions import db

MIN_PASSWORD, MAX_PASSWORD = 8, 128
_DUMMY_HASH: dict[str, str] = {}


def normalise_username(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw or "").strip().lower()


def clean_text(raw: str | None, limit: int) -> str:
    """NFC, no control or bidi-override characters, trimmed to `limit`.

    NFC, not NFKC: NFKC would turn full-width Chinese punctuation（，：）into ASCII.
    """
    text = unicodedata.normalize("NFC", raw or "")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cf", "Cs"})
    return text.strip()[:limit]


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password_rules(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ServiceError(f"密码长度应为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符。", "password")


def find_user(username: str) -> User | None:
    username = normalise_username(username)
    if not re.match(USERNAME_PATTERN, username):
        return None  # cannot exist; no need to ask the database
    return db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def create_user(
    username: str,
    real_name: str,
    password: str | None = None,
    *,
    password_hash: str | None = None,
    is_admin: bool = False,
    must_change_password: bool = False,
    subject: str = "",
    stage: str = "",
    bio: str = "",
    school_id: int | None = None,
    commit: bool = True,
) -> User:
    """Create an account and (through the spaces hook) its personal space.

    Accounts made by someone else (an admin, the shell, a roster) pass
    must_change_password so the owner picks her own password at first login.
    `password_hash` lets bulk loaders hash one shared password once.
    """
    user = build_user(
        username,
        real_name,
        password_hash or "",
        is_admin=is_admin,
        must_change_password=must_change_password,
        subject=subject,
        stage=stage,
        bio=bio,
    )
    if password_hash is None:
        check_password_rules(password or "")
        user.password_hash = hash_password(password or "")
    exists = db.session.execute(
        select(func.count()).select_from(User).where(User.username == user.username)
    ).scalar_one()
    if exists:
        raise ServiceError("该用户名已被使用，请换一个。", "username")
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # the same name registered a moment ago (a double submit)
        db.session.rollback()
        raise ServiceError("该用户名已被使用，请换一个。", "username") from None
    hooks().call("user.created", user, school_id=school_id)
    if commit:
        db.session.commit()
    return user


def build_user(username: str, real_name: str, password_hash: str, **fields: object) -> User:
    """A new account's row, checked but not yet added (create_user adds one; a roster
    import adds thousands at once)."""
    username = normalise_username(username)
    if not re.match(USERNAME_PATTERN, username):
        raise ServiceError("用户名须以英文字母开头，由 3–32 个小写字母、数字或下划线组成。", "username")
    real_name = clean_text(real_name, 32)
    if not real_name:
        raise ServiceError("请填写姓名。", "real_name")
    bio = clean_text(str(fields.pop("bio", "") or ""), 500)
    return User(username=username, real_name=real_name, password_hash=password_hash, bio=bio, **fields)


def authenticate(username: str, password: str) -> User | None:
    """The user when the password matches and the account is enabled, else None.

    Unknown names still pay for one hash check so timing does not reveal which
    usernames exist; overlong passwords are refused before hashing.
    """
    if len(password) > MAX_PASSWORD:
        return None
    user = find_user(username)
    if user is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        if method not in _DUMMY_HASH:
            _DUMMY_HASH[method] = generate_password_hash("not-a-password", method=method)
        check_password_hash(_DUMMY_HASH[method], password)
        return None
    if not check_password_hash(user.password_hash, password) or user.is_disabled:
        return None
    return user


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    db.session.commit()


def end_all_sessions(user: User, *, commit: bool = True) -> None:
    """Rotate the session token: every session and remember cookie stops working."""
    user.auth_token = new_auth_token()
    if commit:
        db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise ServiceError("当前密码不正确。", "current_password")
    if current == new:
        raise ServiceError("新密码不能与当前密码相同。", "new_password")
    set_password(user, new)


def set_password(user: User, new: str, *, must_change: bool = False) -> None:
    """Set a password and end every other session of the account."""
    check_password_rules(new)
    user.password_hash = hash_password(new)
    user.must_change_password = must_change
    end_all_sessions(user, commit=False)
    db.session.commit()


def update_profile(
    user: User,
    *,
    real_name: str,
    subject: str,
    stage: str,
    bio: str,
    school_id: int | None = None,
) -> None:
    real_name = clean_text(real_name, 32)
    if not real_name:
        raise ServiceError("请填写姓名。", "real_name")
    if subject not in ("", *terms(SUBJECTS)) or stage not in ("", *terms(STAGES)):
        raise ServiceError("请选择列表中的学科和学段。", "subject")
    user.real_name = real_name
    user.subject = subject
    user.stage = stage
    user.bio = clean_text(bio, 500)
    hooks().call("user.profile_changed", user, school_id=school_id)
    db.session.commit()


def set_disabled(user: User, disabled: bool) -> None:
    user.is_disabled = disabled
    end_all_sessions(user, commit=False)
    db.session.commit()


def school_choices() -> list[tuple[int, str, str]]:
    """(id, school, region) of every school, provided by the spaces domain."""
    return hooks().first("school.choices", default=[])


def school_of(user: User) -> int | None:
    return hooks().first("user.school_id", user, default=None)
