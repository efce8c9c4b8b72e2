"""Security headers, the Content-Security-Policy and safe ?next= redirects."""

from __future__ import annotations

import unicodedata

from flask import Flask, Response, abort, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def refuse_nul_bytes() -> None:
    """No text we accept contains NUL; PostgreSQL would refuse it mid-query (a 500)."""
    values = [request.path, *request.args.values()]
    if request.method == "POST" and request.mimetype in FORM_TYPES:
        values.extend(request.form.values())
    if any("\x00" in value for value in values):
        abort(400)


FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_bytes)
    app.after_request(add_security_headers)


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: one leading '/', no scheme, host or control character.

    Browsers treat '//host', '/\\host' and tabs or newlines inside them as another
    site (STACK_NOTES 10), so anything unusual is refused rather than cleaned.
    """
    if not target or len(target) > 2000 or not target.startswith("/"):
        return False
    if target.startswith(("//", "/\\")):
        return False
    return not any(unicodedata.category(ch)[0] in {"C", "Z"} or ch == "\\" for ch in target)


def safe_next(target: str | None, default: str) -> str:
    return target if is_safe_next(target) else default
