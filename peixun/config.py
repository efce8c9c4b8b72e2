"""Configuration read from PEIXUN_* environment variables."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_PATH = PACKAGE_ROOT / "instance"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def instance_path() -> Path:
    return Path(os.environ.get("PEIXUN_INSTANCE_PATH") or DEFAULT_INSTANCE_PATH).resolve()


def load_or_create_secret_key(folder: Path) -> str:
    """Return PEIXUN_SECRET_KEY, or a random key kept in instance/secret_key.

    The key is generated once per instance so sessions survive restarts, and it is
    never a constant in the code.
    """
    given = os.environ.get("PEIXUN_SECRET_KEY", "").strip()
    if given:
        return given
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return key_file.read_text().strip()


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Settings for a running site; every value can be set from the environment."""

    def __init__(self) -> None:
        folder = instance_path()
        self.INSTANCE_PATH = str(folder)
        self.SECRET_KEY = load_or_create_secret_key(folder)
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            os.environ.get("PEIXUN_DATABASE_URL") or f"sqlite:///{folder / 'peixun.db'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

        secure = _env_bool("PEIXUN_SECURE_COOKIES", False)
        # Cookies: every flag set explicitly (Flask's defaults are lax, STACK_NOTES 7).
        self.SESSION_COOKIE_NAME = "peixun_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = secure
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("PEIXUN_SESSION_HOURS", 12))
        self.REMEMBER_COOKIE_NAME = "peixun_remember"
        self.REMEMBER_COOKIE_DURATION = timedelta(days=_env_int("PEIXUN_REMEMBER_DAYS", 14))
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = secure
        self.REMEMBER_COOKIE_REFRESH_EACH_REQUEST = False
        # Sessions are bound to a per-user token instead (accounts.models.User.auth_token);
        # Flask-Login's own protection hashes a client-controlled header.
        self.SESSION_PROTECTION = None

        # Static URLs carry a content hash (core/jinja.py static_url), so they may be cached for a year.
        self.SEND_FILE_MAX_AGE_DEFAULT = 365 * 24 * 3600
        # The largest file a teacher may upload (micro-lesson videos); a request may carry
        # the form's other fields besides.
        self.MAX_UPLOAD_BYTES = _env_int("PEIXUN_MAX_UPLOAD_MB", 200) * 1024 * 1024
        self.MAX_CONTENT_LENGTH = self.MAX_UPLOAD_BYTES + 1024 * 1024
        # Uploaded files, stored by content hash; may live on a volume of their own.
        self.UPLOAD_PATH = os.environ.get("PEIXUN_UPLOAD_PATH") or str(folder / "uploads")
        # Search: "whoosh" (files under SEARCH_PATH, one server) or "postgres" (full text in
        # the shared database, for several app servers).
        self.SEARCH_BACKEND = os.environ.get("PEIXUN_SEARCH_BACKEND", "whoosh")
        self.SEARCH_PATH = os.environ.get("PEIXUN_SEARCH_PATH") or str(folder / "search")
        # Index what a request changed as soon as it ends (the outbox keeps it otherwise).
        self.SEARCH_APPLY_AFTER_REQUEST = True
        # Load the segmenter and open the index when a worker starts serving.
        self.SEARCH_WARM = True
        self.MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024
        self.WTF_CSRF_TIME_LIMIT = 3600 * 4

        self.PASSWORD_HASH_METHOD = "scrypt"
        self.RATELIMIT_ENABLED = _env_bool("PEIXUN_RATELIMIT_ENABLED", True)
        # In-memory counters are per process; with several workers or servers, share
        # them through Redis so a throttle means the same everywhere.
        self.RATELIMIT_STORAGE_URI = os.environ.get("PEIXUN_REDIS_URL") or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = False
        self.LOGIN_LIMIT_PER_ACCOUNT = os.environ.get(
            "PEIXUN_LOGIN_LIMIT_PER_ACCOUNT", "5 per minute;20 per hour"
        )
        self.LOGIN_LIMIT_PER_ADDRESS = os.environ.get(
            "PEIXUN_LOGIN_LIMIT_PER_ADDRESS", "20 per minute;200 per hour"
        )
        self.REGISTER_LIMIT_PER_ADDRESS = os.environ.get("PEIXUN_REGISTER_LIMIT_PER_ADDRESS", "10 per hour")
        self.PASSWORD_LIMIT_PER_USER = "5 per minute;20 per hour"
        self.POST_LIMIT_PER_USER = os.environ.get("PEIXUN_POST_LIMIT_PER_USER", "10 per minute;200 per day")
        self.UPLOAD_LIMIT_PER_USER = os.environ.get(
            "PEIXUN_UPLOAD_LIMIT_PER_USER", "10 per minute;100 per day"
        )
        self.SEARCH_LIMIT = os.environ.get("PEIXUN_SEARCH_LIMIT", "60 per minute;2000 per day")
        # If Redis goes away, count in memory for a while rather than fail every request.
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.QUESTION_SLA_HOURS = _env_int("PEIXUN_QUESTION_SLA_HOURS", 12)
        self.PROXY_COUNT = _env_int("PEIXUN_PROXY_COUNT", 0)
        self.DEMO_PASSWORD = os.environ.get("PEIXUN_DEMO_PASSWORD", "peixun2026")


class TestConfig(Config):
    """Fast hashing and no throttling unless a test turns it on."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.TESTING = True
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(database_url)
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
        self.RATELIMIT_ENABLED = False
        self.RATELIMIT_STORAGE_URI = "memory://"
        # Tests that search switch these on; the others leave the outbox alone.
        self.SEARCH_APPLY_AFTER_REQUEST = False
        self.SEARCH_WARM = False
