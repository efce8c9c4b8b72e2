"""Brief lists, writing and drafting from activity, the brief page, readers, feeds, exports."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from peixun.accounts.models import User
from peixun.briefs import queries, service
from peixun.briefs.export import BriefExport, booklet_docx, brief_docx
from peixun.briefs.forms import BriefForm, DraftFromActivityForm, WithdrawForm
from peixun.briefs.hooks import remember_attachment
from peixun.briefs.models import SERIES, Brief
from peixun.core.db import sane_id_or_404
from peixun.core.errors import ServiceError, form_status, show_refusal
from peixun.core.limits import posting
from peixun.core.markdown import render
from peixun.core.pagination import page_arg
from peixun.core.policy import can_current, require
from peixun.extensions import limiter
from peixun.spaces.views import SPACE, load_space, render_in_space, space_url
from peixun.threads import queries as thread_queries
from peixun.threads import service as threads
from peixun.threads.forms import PostForm

bp = Blueprint("briefs", __name__)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _me() -> User:
    return current_user._get_current_object()


def _viewer() -> User | None:
    return _me() if current_user.is_authenticated else None


def load_brief(brief_id: int) -> Brief:
    brief = queries.brief_for_page(sane_id_or_404(brief_id))
    if brief is None:
        abort(404)
    return brief


def _series_arg() -> str:
    series = request.args.get("series", "")
    if series and series not in SERIES:
        abort(404)
    return series


@bp.route(SPACE + "/briefs")
def list_briefs(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("brief.list", space)
    series = _series_arg()
    hosts = can_current("space.edit", space)
    page = queries.brief_list(space, _viewer(), page_arg(), series, with_drafts=hosts)
    return render_in_space(
        "briefs/list.html",
        space,
        "briefs",
        page=page,
        series=series,
        series_labels=SERIES,
        draft_form=DraftFromActivityForm(),
    )


@bp.route(SPACE + "/briefs/new", methods=["GET", "POST"])
def new_brief(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("brief.write", space)
    form = BriefForm()
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = _preview(form)
        else:
            try:
                brief = service.save_draft(
                    _me(),
                    space,
                    series=form.series.data or "",
                    title=form.title.data or "",
                    body=form.body.data or "",
                    form_key=form.form_key.data,
                )
            except ServiceError as error:
                show_refusal(form, error)
            else:
                flash("草稿已保存。检查无误后点击“发布”。", "success")
                return redirect(url_for("briefs.show", brief_id=brief.id))
    return render_in_space(
        "briefs/form.html", space, "briefs", form=form, preview=preview, brief=None
    ), form_status(form)


def _preview(form: BriefForm):
    try:
        return render(form.body.data or "")
    except ServiceError as error:
        form.body.errors = [*form.body.errors, error.message]
        return None


@bp.route(SPACE + "/briefs/draft", methods=["POST"])
@limiter.limit("20 per hour", key_func=lambda: f"drafter:{current_user.get_id()}")
def draft_from_activity(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("brief.write", space)
    form = DraftFromActivityForm()
    if not form.validate_on_submit():
        abort(400)
    brief = service.draft_from_activity(_me(), space, form.series.data or "")
    flash("已根据本期研修数据生成草稿，请修改后发布。", "success")
    return redirect(url_for("briefs.edit", brief_id=brief.id))


@bp.route("/b/<int:brief_id>")
def show(brief_id: int):
    brief = load_brief(brief_id)
    require("brief.view", brief)
    remember_attachment(brief)
    viewer = _viewer()
    if viewer is not None and brief.state == "published":
        service.record_read(viewer, brief)
    comments = None
    if brief.thread is not None:
        comments = thread_queries.thread_page(
            brief.thread, viewer, page_arg(), can_current("post.review", brief.thread)
        )
    return render_in_space(
        "briefs/show.html",
        brief.space,
        "briefs",
        brief=brief,
        comments=comments,
        comment_form=PostForm(),
        withdraw_form=WithdrawForm(),
        reads=queries.read_count(brief) if can_current("brief.readers", brief) else None,
    )


@bp.route("/b/<int:brief_id>/comments", methods=["POST"])
@posting
def comment(brief_id: int):
    brief = load_brief(brief_id)
    require("brief.comment", brief)
    form = PostForm()
    if brief.thread is None:
        abort(404)
    if form.validate_on_submit():
        try:
            post = threads.post_reply(_me(), brief.thread, form.body.data or "", form.form_key.data)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            return redirect(url_for("threads.permalink", post_id=post.id))
    else:
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("briefs.show", brief_id=brief.id, _anchor="comments"))


@bp.route("/b/<int:brief_id>/edit", methods=["GET", "POST"])
def edit(brief_id: int):
    brief = load_brief(brief_id)
    require("brief.edit", brief)
    form = BriefForm(
        data=None
        if request.method == "POST"
        else {"series": brief.series, "title": brief.title, "body": brief.body}
    )
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = _preview(form)
        else:
            try:
                service.edit(
                    _me(),
                    brief,
                    series=form.series.data or "",
                    title=form.title.data or "",
                    body=form.body.data or "",
                )
            except ServiceError as error:
                show_refusal(form, error)
            else:
                flash("已保存。", "success")
                return redirect(url_for("briefs.show", brief_id=brief.id))
    return render_in_space(
        "briefs/form.html", brief.space, "briefs", form=form, preview=preview, brief=brief
    ), form_status(form)


@bp.route("/b/<int:brief_id>/publish", methods=["POST"])
def publish(brief_id: int):
    brief = load_brief(brief_id)
    require("brief.publish", brief)
    service.publish(_me(), brief)
    flash(f"已发布：{brief.label}。本空间成员会收到通知。", "success")
    return redirect(url_for("briefs.show", brief_id=brief.id))


@bp.route("/b/<int:brief_id>/withdraw", methods=["POST"])
def withdraw(brief_id: int):
    brief = load_brief(brief_id)
    require("brief.withdraw", brief)
    form = WithdrawForm()
    try:
        service.withdraw(_me(), brief, form.reason.data or "")
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash("已撤回。这一期保留期号，并注明已撤回。", "success")
    return redirect(url_for("briefs.show", brief_id=brief.id))


@bp.route("/b/<int:brief_id>/delete", methods=["POST"])
def delete(brief_id: int):
    brief = load_brief(brief_id)
    require("brief.edit", brief)
    space = brief.space
    service.delete_draft(_me(), brief)
    flash("草稿已删除。", "success")
    return redirect(space_url(space, "briefs.list_briefs"))


@bp.route("/b/<int:brief_id>/readers")
def readers(brief_id: int):
    brief = load_brief(brief_id)
    require("brief.readers", brief)
    return render_in_space(
        "briefs/readers.html", brief.space, "briefs", brief=brief, data=queries.readers(brief)
    )


def _export(brief: Brief) -> BriefExport:
    return BriefExport(
        title=brief.title,
        label=brief.label,
        space_name=brief.space.name,
        author_name=brief.author.display_name,
        published_at=brief.published_at or brief.created_at,
        body_html=brief.body_html,
    )


def _docx(data: bytes, name: str) -> Response:
    return send_file(BytesIO(data), mimetype=DOCX, as_attachment=True, download_name=name)


@bp.route("/b/<int:brief_id>/docx")
def export(brief_id: int):
    brief = load_brief(brief_id)
    require("brief.view", brief)
    return _docx(brief_docx(_export(brief)), f"{brief.space.name} {brief.label} {brief.title}.docx")


@bp.route(SPACE + "/briefs/booklet.docx")
def booklet(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("brief.list", space)
    issues = [_export(brief) for brief in queries.booklet(space)]
    if not issues:
        abort(404)
    return _docx(booklet_docx(f"{space.name} 简报汇编", space.name, issues), f"{space.name} 简报汇编.docx")


@bp.route(SPACE + "/briefs.atom")
@bp.route(SPACE + "/briefs/<any(workshop,course,class,work,news):series>.atom")
def feed(prefix: str, slug: str, series: str = ""):
    space = load_space(prefix, slug)
    require("brief.list", space)
    entries = queries.feed_entries(space, series)
    xml = render_template(
        "briefs/feed.xml", space=space, series=series, series_labels=SERIES, entries=entries
    )
    return Response(xml, mimetype="application/atom+xml")
