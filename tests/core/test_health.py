"""/healthz: 200 while the database answers, "degraded" when search lags or breaks,
503 when the database is gone; open to probes without a session, never cached."""

from __future__ import annotations

from datetime import timedelta

import pytest

from peixun.core import health
from peixun.core.db import utcnow
from peixun.core.indexing import OutboxRow
from peixun.extensions import db
from peixun.search import service
from peixun.threads import service as threads
from tests.conftest import PG_URL
from tests.factories import add_member, make_region, make_user, make_workshop

BACKENDS = ["whoosh", "postgres"] if PG_URL else ["whoosh"]


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest) -> dict[str, object]:
    return {"SEARCH_BACKEND": request.param}


@pytest.fixture
def indexed(app) -> int:
    workshop = make_workshop(make_region())
    author = make_user("healthy", "李老师")
    add_member(author, workshop)
    threads.start_thread(author, workshop, kind="topic", title="校本研修", body="磨课记录")
    return service.sync()


def test_a_healthy_site_reports_its_database_and_index(app, client, indexed, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["engine"] == ("postgresql" if PG_URL else "sqlite")
    search = body["checks"]["search"]
    assert search["ok"] is True and search["backend"] == settings["SEARCH_BACKEND"]
    assert search["documents"] == indexed >= 1 and search["outbox"] == 0
    assert search["stale"] is False
    assert all(check["ms"] >= 0 for check in body["checks"].values())


def test_a_stuck_outbox_is_degraded_but_still_serves(app, client, indexed):
    db.session.add(OutboxRow(kind="thread", object_id=1, created_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    body = client.get("/healthz").get_json()
    assert client.get("/healthz").status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["search"]["outbox"] == 1
    assert body["checks"]["search"]["outbox_oldest_seconds"] >= 3600


def test_a_broken_index_is_degraded(app, client, monkeypatch):
    def unreadable():
        raise OSError("index gone")

    monkeypatch.setattr(service.backend(), "count", unreadable)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["search"] == {
        "ok": False,
        "error": "OSError",
        "ms": response.get_json()["checks"]["search"]["ms"],
    }
    assert response.get_json()["status"] == "degraded"


def test_without_a_database_the_answer_is_503(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def refused(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(health.db.session, "execute", refused)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["search"]["ok"] is False
