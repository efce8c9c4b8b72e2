"""Connects search to the app: sources of documents, indexing after each request, warming."""

from __future__ import annotations

import threading
from dataclasses import asdict
from typing import Any

from flask import Flask, current_app

from peixun.core.hooks import hooks
from peixun.extensions import db
from peixun.search import service


def _apply_after_request(error: BaseException | None = None) -> None:
    """The request's changes are committed: index them now (the outbox keeps them if not)."""
    if error is not None or not db.session.info.pop("search_pending", False):
        return
    if current_app.config["SEARCH_APPLY_AFTER_REQUEST"]:
        try:
            service.sync()
        except Exception:  # never fail a request that already succeeded; sync retries
            db.session.rollback()
            service.log.exception("search outbox not applied")


def _warm_once(app: Flask) -> Any:
    started = threading.Event()

    def warm() -> None:
        if not started.is_set():
            started.set()
            threading.Thread(target=service.warm, args=(app,), daemon=True).start()

    return warm


# The outbox is applied after each write request; rows older than this mean it is stuck.
OUTBOX_LAG_SECONDS = 600


def _health() -> dict[str, Any]:
    """/healthz's search check (core.health): the index answers and keeps up."""
    found = asdict(service.status())
    found["ok"] = found["outbox_oldest_seconds"] < OUTBOX_LAG_SECONDS
    return found


def connect(app: Flask) -> None:
    from peixun.briefs import search as briefs_search
    from peixun.lessons import search as lessons_search
    from peixun.resources import search as resources_search
    from peixun.threads import search as threads_search

    threads_search.connect(app)
    resources_search.connect(app)
    briefs_search.connect(app)
    lessons_search.connect(app)
    app.teardown_request(_apply_after_request)
    hooks(app).connect("health_checks", lambda: ("search", _health))
    if app.config["SEARCH_WARM"]:
        app.before_request(_warm_once(app))
