"""Every log line made during a request carries its id, and so does the response."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from peixun.core import requestlog
from peixun.core.errors import handle_unexpected


def test_each_response_carries_a_fresh_request_id(client):
    first = client.get("/").headers[requestlog.HEADER]
    second = client.get("/").headers[requestlog.HEADER]
    assert len(first) == 32 and first != second


def test_a_proxy_id_is_kept_only_when_it_is_safe_to_log(client):
    assert (
        client.get("/", headers={"X-Request-ID": "nginx-7f3a9c01"}).headers["X-Request-ID"]
        == "nginx-7f3a9c01"
    )
    for hostile in ["short", "a b c d e f g h", "x" * 65, "abcdefgh<script>", "编号编号编号编号编号"]:
        sent = client.get("/", headers={"X-Request-ID": hostile}).headers["X-Request-ID"]
        assert sent != hostile and len(sent) == 32


@contextmanager
def captured(name: str) -> Iterator[io.StringIO]:
    """Lines written by the production handler (format and filter) to logger `name`."""
    stream = io.StringIO()
    handler = requestlog.stream_handler()
    handler.stream = stream  # type: ignore[attr-defined]
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def test_log_lines_in_a_request_carry_its_id_and_others_a_dash(app, client):
    logger = logging.getLogger("peixun.test_requestlog")
    logger.setLevel(logging.INFO)

    @app.get("/log-test")
    def log_test():
        logger.info("inside")
        return "ok"

    with captured("peixun.test_requestlog") as stream:
        client.get("/log-test", headers={"X-Request-ID": "trace-0001-abcd"})
        logger.info("outside")
    lines = stream.getvalue().splitlines()
    assert "[trace-0001-abcd] peixun.test_requestlog: inside" in lines[0]
    assert "[-] peixun.test_requestlog: outside" in lines[1]


def test_gunicorn_access_lines_take_the_id_from_the_response_header():
    atoms = {"{x-request-id}o": "trace-0002-abcd", "s": "200"}
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '"%(s)s"', (atoms,), None)
    assert requestlog.RequestIdFilter().filter(record)
    assert record.request_id == "trace-0002-abcd"
    assert record.getMessage() == '"200"'


def test_an_unhandled_error_is_logged_with_its_traceback_and_id(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom-log-test")
    def boom():
        raise RuntimeError("boom for the log")

    app.register_error_handler(Exception, handle_unexpected)
    with captured(app.logger.name) as stream:
        response = client.get("/boom-log-test", headers={"X-Request-ID": "trace-0003-abcd"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "trace-0003-abcd"
    logged = stream.getvalue()
    assert "ERROR [trace-0003-abcd] peixun: unhandled error on GET /boom-log-test" in logged
    assert "Traceback" in logged and "RuntimeError: boom for the log" in logged
