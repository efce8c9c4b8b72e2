"""A request id on every log line, so one incident can be followed through the logs.

Each request takes the id nginx sent (X-Request-ID, when it looks like one) or a new
one, returns it in the response header, and every log record made while it runs
carries it as `request_id`. gunicorn's access lines read it from that response
header, so an access line and the application's lines of the same request match.
Lines outside a request (start-up, the CLI) show "-".
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-ID"
FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
# Ids from the proxy are trusted only when they cannot smuggle anything into a log line.
_INCOMING = re.compile(r"[A-Za-z0-9._-]{8,64}")
# gunicorn's access record carries the atoms of its format; headers are keyed like this.
_ACCESS_ATOM = "{x-request-id}o"


def current_request_id() -> str:
    if has_request_context():
        return g.get("request_id", "-")
    return "-"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (attach it to handlers, not loggers, so that
    records propagated from any logger get it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            args: Any = record.args
            from_access = args.get(_ACCESS_ATOM) if isinstance(args, dict) else None
            record.request_id = from_access if from_access not in (None, "-") else current_request_id()
        return True


def _take_request_id() -> None:
    incoming = request.headers.get(HEADER, "")
    g.request_id = incoming if _INCOMING.fullmatch(incoming) else uuid.uuid4().hex


def _send_request_id(response: Response) -> Response:
    response.headers[HEADER] = g.get("request_id", "-")
    return response


def stream_handler() -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    return handler


def init_app(app: Flask) -> None:
    # First of all hooks, so that anything another hook logs carries the id.
    app.before_request_funcs.setdefault(None, []).insert(0, _take_request_id)
    app.after_request(_send_request_id)
    root = logging.getLogger()
    # gunicorn.conf.py configures logging for production; `flask run` gets the same format.
    # Tests keep pytest's capture untouched.
    if not app.testing and not root.handlers:
        root.addHandler(stream_handler())
        logging.getLogger("peixun").setLevel(logging.INFO)
