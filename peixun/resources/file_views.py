"""Stored files: downloads (counted), inline display of media, thumbnails; each asks the policy."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, request, send_file

from peixun.core.policy import require
from peixun.core.storage import path_of, thumbnail_path_of
from peixun.resources import service
from peixun.resources.files import KINDS
from peixun.resources.models import Resource
from peixun.resources.views import load_resource

bp = Blueprint("files", __name__)
# Files a browser may show in the page; anything else (HTML, SVG, documents) downloads.
FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"


def _send(resource: Resource, inline: bool) -> Response:
    """The stored file under its original name (RFC 5987 encoded by Werkzeug), with Range
    support for audio and video; only images, PDF, audio and video ever show inline."""
    if resource.blob is None:
        abort(404)
    kind = KINDS[resource.blob.kind]
    inline = inline and kind.inline
    response = send_file(
        path_of(resource.blob.sha256),
        mimetype=kind.mimetype,
        as_attachment=not inline,
        download_name=resource.filename or f"{resource.title}.{kind.code}",
        conditional=True,
        etag=resource.blob.sha256,
        max_age=3600,
    )
    response.cache_control.public = False
    response.cache_control.private = True  # permission-checked: never in a shared cache
    response.headers["Content-Security-Policy"] = FILE_CSP if kind.media != "pdf" else "default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/res/<int:resource_id>/download")
def download(resource_id: int):
    resource = load_resource(resource_id)
    require("resource.view", resource)
    if resource.blob is None:
        if not resource.link_url:
            abort(404)
        service.count_download(resource)
        return redirect(resource.link_url)
    first = request.range is None or request.range.ranges[0][0] == 0
    if first and request.method == "GET":  # a resumed download counts once
        service.count_download(resource)
    return _send(resource, inline=False)


@bp.route("/res/<int:resource_id>/file")
def view_file(resource_id: int):
    """For <video>, <audio> and <img> in the page and PDF in the browser; not counted."""
    resource = load_resource(resource_id)
    require("resource.view", resource)
    return _send(resource, inline=True)


@bp.route("/res/<int:resource_id>/thumbnail")
def thumbnail(resource_id: int):
    resource = load_resource(resource_id)
    require("resource.view", resource)
    if resource.blob is None or not resource.blob.has_thumbnail:
        abort(404)
    response = send_file(
        thumbnail_path_of(resource.blob.sha256), mimetype="image/jpeg", conditional=True, max_age=86400
    )
    response.cache_control.public = False
    response.cache_control.private = True
    return response
