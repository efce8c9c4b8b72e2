"""Fixtures: a fresh database per test (SQLite, or PostgreSQL from
PEIXUN_TEST_DATABASE_URL with the schema built by the migrations), clients,
login_as, count_queries and get_page."""

from __future__ import annotations

import contextvars
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from peixun import create_app
from peixun.config import TestConfig
from peixun.extensions import db
from tests.pages import PageChecker

PG_URL = os.environ.get("PEIXUN_TEST_DATABASE_URL", "").strip()


def _migrate(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(_config(url, instance))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _config(url: str, instance: Path) -> TestConfig:
    os.environ["PEIXUN_INSTANCE_PATH"] = str(instance)
    return TestConfig(url)


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def database_template(instance_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the schema once per run by running the migrations.

    SQLite: a template file each test copies.  PostgreSQL: a fresh database on the
    given server, created for this run and dropped at the end.
    """
    if not PG_URL:
        path = tmp_path_factory.mktemp("db") / "template.db"
        _migrate(f"sqlite:///{path}", instance_dir)
        yield str(path)
        return
    with pg_database() as url:
        _migrate(url, instance_dir)
        yield url


@contextmanager
def pg_database() -> Iterator[str]:
    """A fresh, empty database on the PEIXUN_TEST_DATABASE_URL server, dropped afterwards."""
    server = make_url(PG_URL).set(drivername="postgresql+psycopg")
    name = f"peixun_test_{uuid.uuid4().hex[:10]}"
    # Create and drop through the maintenance database, which every server has.
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    if not PG_URL:
        path = tmp_path / "test.db"
        shutil.copyfile(database_template, path)
        return f"sqlite:///{path}"
    return database_template


class IsolatedClient(FlaskClient):
    """A test client whose requests each run in their own app context, as in production.

    The fixture keeps an app context open for factories and assertions; without
    this, requests would share its `g` (Flask-Login's cached user, the policy's
    Actor) and its database session.  After each request the test's own session is
    expired so that it reads what the request wrote.
    """

    def open(self, *args: object, **kwargs: object):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()
        return response

    def session_transaction(self, *args: object, **kwargs: object):
        raise NotImplementedError("log in through login_as() instead of editing the session")


@pytest.fixture
def settings(request: pytest.FixtureRequest) -> dict[str, object]:
    """Config overrides for the `app` of one test, given by indirect
    parametrisation (e.g. to switch the rate limiter on)."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def app(
    database_url: str, instance_dir: Path, settings: dict[str, object], tmp_path: Path
) -> Iterator[Flask]:
    config = _config(database_url, instance_dir)
    config.UPLOAD_PATH = str(tmp_path / "uploads")  # each test starts with no files
    config.SEARCH_PATH = str(tmp_path / "search")  # and an empty search index
    for key, value in settings.items():
        setattr(config, key, value)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        if PG_URL:
            # search_documents: the postgres search backend's table, outside the models.
            names = [t.name for t in db.metadata.sorted_tables] + ["search_documents"]
            tables = ", ".join(f'"{name}"' for name in names)
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[..., FlaskClient]:
    """Sign a user in on the test client through the real login form."""

    def login(user, password: str = "password123", remember: bool = False) -> FlaskClient:
        if client.get("/login").status_code == 302:  # someone is signed in: switch users
            client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        token = csrf_token(client, "/login")
        data = {"username": user.username, "password": password, "csrf_token": token}
        if remember:
            data["remember"] = "y"
        response = client.post("/login", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return login


def csrf_token(client: FlaskClient, url: str) -> str:
    """Fetch a page and return the CSRF token of its first form."""
    from bs4 import BeautifulSoup

    html = client.get(url).get_data(as_text=True)
    field = BeautifulSoup(html, "html.parser").find("input", {"name": "csrf_token"})
    assert field is not None, f"no CSRF token on {url}"
    return str(field["value"])


@pytest.fixture
def post(client: FlaskClient) -> Callable[..., object]:
    """POST a form with a valid CSRF token taken from `form_url` (default: the home page)."""

    def do_post(url: str, data: dict | None = None, form_url: str = "/", **kwargs: object):
        payload = dict(data or {})
        payload.setdefault("csrf_token", csrf_token(client, form_url))
        return client.post(url, data=payload, **kwargs)

    return do_post


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], object]:
    """`with count_queries() as counter:` counts SQL statements sent to the database."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def before(conn, cursor, statement, parameters, context, executemany) -> None:
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting


@pytest.fixture
def get_page(client: FlaskClient) -> PageChecker:
    """Fetch a page and check it: one <h1>, a <title>, labelled inputs, no inline
    script, under the size budget; returns the parsed page."""
    return PageChecker(client)


REDIS_URL = os.environ.get("PEIXUN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def fresh_limits(settings: dict[str, object]) -> Iterator[None]:
    """Rate-limit counters from zero, in memory or in the local Redis (skipped without
    it, except under CI, where a missing Redis is a failure)."""
    from peixun.extensions import limiter

    if str(settings.get("RATELIMIT_STORAGE_URI", "")).startswith("redis") and not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    limiter.reset()
    yield
    limiter.reset()
