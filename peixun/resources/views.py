"""Libraries, sharing, resource pages, downloads, 推荐 and the upward flow, calls."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from peixun.accounts.models import User
from peixun.core.db import get_or_404, sane_id_or_404
from peixun.core.errors import ServiceError, form_status, show_refusal
from peixun.core.limits import posting, uploading
from peixun.core.pagination import page_arg
from peixun.core.policy import can_current, require
from peixun.core.vocab import RESOURCE_TYPES, STAGES, SUBJECTS, terms
from peixun.extensions import db
from peixun.resources import queries, service
from peixun.resources.files import KINDS
from peixun.resources.forms import DecideForm, RecommendForm, ResourceForm, ShareForm
from peixun.resources.hooks import remember_attachment
from peixun.resources.models import SORTS, Blob, Call, LibraryEntry, Resource
from peixun.spaces.views import PERSONAL_SPACE, SPACE, load_space, render_in_space, route_space, space_url
from peixun.threads import queries as thread_queries
from peixun.threads import service as threads
from peixun.threads.forms import PostForm

bp = Blueprint("resources", __name__)
HELD = "标题或简介中有需要审核的词语，已提交坊主审核；审核通过前只有您和坊主能看到。"


def _me() -> User:
    return current_user._get_current_object()


def _viewer() -> User | None:
    return _me() if current_user.is_authenticated else None


def load_resource(resource_id: int) -> Resource:
    resource = queries.resource_for_page(sane_id_or_404(resource_id))
    if resource is None:
        abort(404)
    return resource


def _library_query() -> queries.LibraryQuery:
    """Filters from the query string; a value not in the lists is a 404, never a 500."""
    args = request.args
    query = queries.LibraryQuery(
        subject=args.get("subject", ""),
        stage=args.get("stage", ""),
        type=args.get("type", ""),
        tag=args.get("tag", "")[:20],
        sort=args.get("sort", "newest"),
        excellent=args.get("excellent") == "1",
    )
    known = (
        (query.subject, terms(SUBJECTS)),
        (query.stage, terms(STAGES)),
        (query.type, terms(RESOURCE_TYPES)),
    )
    if query.sort not in SORTS or any(value and value not in values for value, values in known):
        abort(404)
    return query


@bp.route(SPACE + "/resources")
@bp.route(PERSONAL_SPACE + "/resources")
def library(prefix: str | None = None, slug: str | None = None, username: str | None = None):
    space = route_space(prefix, slug, username)
    require("resource.list", space)
    query = _library_query()
    reviewer = can_current("library.review", space)
    page = queries.library_page(space, _viewer(), query, page_arg(), reviewer)
    where = {"username": username} if username else {"prefix": prefix, "slug": slug}
    return render_in_space(
        "resources/library.html",
        space,
        "resources",
        page=page,
        query=query,
        where=where,
        tags=queries.tag_cloud(space),
        waiting=queries.waiting_count(space) if reviewer else 0,
        subjects=terms(SUBJECTS),
        stages=terms(STAGES),
        types=terms(RESOURCE_TYPES),
        sorts=SORTS,
    )


@bp.route(SPACE + "/resources/new", methods=["GET", "POST"])
@bp.route(PERSONAL_SPACE + "/resources/new", methods=["GET", "POST"])
@uploading
def share(prefix: str | None = None, slug: str | None = None, username: str | None = None):
    space = route_space(prefix, slug, username)
    require("resource.share", space)
    form = ShareForm()
    if space.subject and request.method == "GET":
        form.subject.data, form.stage.data = space.subject, space.stage
    upload, upload_error = _kept_upload(form.kept_file.data), None
    if request.method == "POST" and form.file.data and form.file.data.filename:
        # Stored before the other fields are checked: a form sent back for a missing
        # title keeps the file, and the teacher need not upload 200 MB again.
        try:
            upload = service.store_upload(form.file.data.stream, form.file.data.filename)
        except ServiceError as error:
            upload, upload_error = None, error
    form.kept_file.data = _keep_upload(upload) if upload else ""
    if form.validate_on_submit() and upload_error is None:
        try:
            resource = service.share(
                _me(), space, form.data_for_service(), upload=upload, form_key=form.form_key.data
            )
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(HELD if resource.is_held else "资源已分享。", "info" if resource.is_held else "success")
            return redirect(url_for("resources.show", resource_id=resource.id))
    if upload_error is not None:
        show_refusal(form, upload_error)
    return render_in_space("resources/share.html", space, "resources", form=form, kept=upload), form_status(
        form
    )


def _uploads_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="kept-upload")


def _keep_upload(upload: tuple[Blob, str]) -> str:
    return _uploads_signer().dumps([upload[0].sha256, upload[1], current_user.id])


def _kept_upload(token: str | None) -> tuple[Blob, str] | None:
    """A file this user uploaded with an earlier try of the same form (signed, a day at most)."""
    if not token:
        return None
    try:
        sha256, name, user_id = _uploads_signer().loads(token, max_age=86400)
    except (BadSignature, ValueError, TypeError):
        return None
    blob = db.session.get(Blob, sha256) if user_id == current_user.id else None
    return (blob, name) if blob is not None else None


@bp.route("/res/<int:resource_id>")
def show(resource_id: int):
    resource = load_resource(resource_id)
    require("resource.view", resource)
    remember_attachment(resource)
    comments = None
    if resource.thread is not None:
        comments = thread_queries.thread_page(
            resource.thread, _viewer(), page_arg(), can_current("post.review", resource.thread)
        )
    targets = []
    if can_current("resource.recommend", resource):
        targets = queries.recommend_targets(_me(), resource)
    recommend = RecommendForm()
    recommend.target.choices = [(space.id, f"{space.kind_label} · {space.name}") for space, _src in targets]
    return render_in_space(
        "resources/show.html",
        resource.space,
        "resources",
        resource=resource,
        kind=KINDS[resource.blob.kind] if resource.blob else None,
        comments=comments,
        comment_form=PostForm(),
        recommend=recommend,
        voted=_viewer() is not None and queries.has_voted(_me(), resource),
    )


@bp.route("/res/<int:resource_id>/comments", methods=["POST"])
@posting
def comment(resource_id: int):
    resource = load_resource(resource_id)
    require("resource.comment", resource)
    form = PostForm()
    if resource.thread is None:
        abort(404)
    if form.validate_on_submit():
        try:
            post = threads.post_reply(_me(), resource.thread, form.body.data or "", form.form_key.data)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            return redirect(url_for("threads.permalink", post_id=post.id))
    else:
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("resources.show", resource_id=resource.id, _anchor="comments"))


@bp.route("/res/<int:resource_id>/edit", methods=["GET", "POST"])
def edit(resource_id: int):
    resource = load_resource(resource_id)
    require("resource.edit", resource)
    form = ResourceForm(
        data=None
        if request.method == "POST"
        else {
            "title": resource.title,
            "type": resource.type,
            "subject": resource.subject,
            "stage": resource.stage,
            "tags": " ".join(resource.tag_names),
            "description": resource.description,
            "link_url": resource.link_url or "",
        }
    )
    if form.validate_on_submit():
        try:
            service.edit(_me(), resource, form.data_for_service())
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(HELD if resource.is_held else "已保存。", "info" if resource.is_held else "success")
            return redirect(url_for("resources.show", resource_id=resource.id))
    return render_in_space(
        "resources/edit.html", resource.space, "resources", form=form, resource=resource
    ), form_status(form)


@bp.route("/res/<int:resource_id>/delete", methods=["POST"])
def delete(resource_id: int):
    resource = load_resource(resource_id)
    require("resource.delete", resource)
    service.delete_resource(_me(), resource)
    flash("资源已删除。", "success")
    return redirect(space_url(resource.space, "resources.library"))


@bp.route("/res/<int:resource_id>/release", methods=["POST"])
def release(resource_id: int):
    resource = load_resource(resource_id)
    require("resource.release", resource)
    service.release(_me(), resource)
    flash("已审核通过。", "success")
    return redirect(url_for("resources.show", resource_id=resource.id))


@bp.route("/res/<int:resource_id>/vote", methods=["POST"])
def vote(resource_id: int):
    resource = load_resource(resource_id)
    require("resource.vote", resource)
    on = request.form.get("on", "1") == "1"
    service.vote(_me(), resource, on)
    return redirect(url_for("resources.show", resource_id=resource.id))


@bp.route("/res/<int:resource_id>/recommend", methods=["POST"])
def recommend(resource_id: int):
    resource = load_resource(resource_id)
    require("resource.recommend", resource)
    form = RecommendForm()
    targets = {space.id: space for space, _src in queries.recommend_targets(_me(), resource)}
    form.target.choices = [(space_id, space.name) for space_id, space in targets.items()]
    if form.validate_on_submit():
        try:
            entry = service.recommend(_me(), resource, targets[form.target.data], form.note.data or "")
        except ServiceError as error:
            flash(error.message, "error")
        else:
            done = "已入选" if entry.state == "selected" else "已推荐，等待遴选"
            flash(f"{done}：{entry.space.name}。", "success")
    else:
        flash("请选择推荐到哪个空间。", "error")
    return redirect(url_for("resources.show", resource_id=resource.id, _anchor="flow"))


@bp.route(SPACE + "/resources/review")
def review(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("library.review", space)
    call = None
    if request.args.get("call"):
        call = get_or_404(Call, request.args.get("call", ""))
        if call.space_id != space.id:
            abort(404)
    page = queries.review_page(space, page_arg(), call)
    return render_in_space(
        "resources/review.html",
        space,
        "resources",
        page=page,
        call=call,
        form=DecideForm(),
        calls=queries.calls_of(space),
    )


def _entry(entry_id: int) -> LibraryEntry:
    entry = get_or_404(LibraryEntry, entry_id)
    if entry.resource.deleted_at is not None:
        abort(404)
    return entry


@bp.route("/entries/<int:entry_id>/<any(select,decline):decision>", methods=["POST"])
def decide(entry_id: int, decision: str):
    entry = _entry(entry_id)
    require("entry.decide", entry)
    form = DecideForm()
    if form.validate_on_submit():
        try:
            service.decide(_me(), entry, decision == "select", form.reason.data or "")
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash("已入选本空间资源库。" if decision == "select" else "已退回推荐人。", "success")
    return redirect(
        (request.form.get("back") == "resource" and url_for("resources.show", resource_id=entry.resource_id))
        or space_url(entry.space, "resources.review")
    )


@bp.route("/entries/<int:entry_id>/excellent", methods=["POST"])
def excellent(entry_id: int):
    entry = _entry(entry_id)
    require("entry.feature", entry)
    on = request.form.get("on", "1") == "1"
    service.mark_excellent(_me(), entry, on)
    flash("已评为精品。" if on else "已取消精品。", "success")
    return redirect(url_for("resources.show", resource_id=entry.resource_id, _anchor="flow"))


@bp.route("/entries/<int:entry_id>/withdraw", methods=["POST"])
def withdraw(entry_id: int):
    entry = _entry(entry_id)
    require("entry.withdraw", entry)
    space = entry.space
    service.withdraw(_me(), entry)
    flash(f"已从{space.name}资源库移出。", "success")
    return redirect(space_url(space, "resources.library"))
