"""`/healthz`: what a load balancer or a monitor asks before sending traffic here.

The database is essential: without it the answer is 503 and the server should be taken
out of rotation. Other checks are connected by the domains above (hook "health_checks",
e.g. search's index and outbox) and are not: a failing one makes the answer "degraded"
with 200, because every other page still works.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from peixun.core.hooks import hooks
from peixun.core.policy import require
from peixun.extensions import db, limiter

bp = Blueprint("health", __name__)


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        found = check()
    except Exception as error:  # a check that fails says why; the response stays a JSON answer
        db.session.rollback()
        current_app.logger.warning("health check failed: %s", error)
        found = {"ok": False, "error": type(error).__name__}
    found["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return found


def _database() -> dict[str, Any]:
    db.session.execute(text("SELECT 1")).scalar_one()
    return {"ok": True, "engine": db.engine.dialect.name}


@bp.route("/healthz")
@limiter.exempt
def healthz():
    require("site.view")
    checks = {"database": _timed(_database)}
    for name, check in hooks().call("health_checks"):
        checks[name] = _timed(check)
    if not checks["database"]["ok"]:
        state, code = "fail", 503
    else:
        state, code = ("ok", 200) if all(check["ok"] for check in checks.values()) else ("degraded", 200)
    response = jsonify(status=state, checks=checks)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response
