"""Template globals: can(), the content-hashed stylesheet URL, labels."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, url_for

from peixun.core.policy import can_current


@cache
def _static_hash(folder: str, filename: str) -> str:
    return hashlib.sha256((Path(folder) / filename).read_bytes()).hexdigest()[:12]


def init_app(app: Flask) -> None:
    def static_url(filename: str) -> str:
        # A content hash in the URL lets browsers cache the file for a year.
        version = _static_hash(app.static_folder or "", filename)
        return url_for("static", filename=filename, v=version)

    app.jinja_env.globals.update(can=can_current, static_url=static_url)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
