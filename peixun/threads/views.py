"""Thread lists, new threads and journals, thread pages, replies, edits, likes."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from peixun.accounts.models import User
from peixun.core.db import get_or_404
from peixun.core.errors import ServiceError
from peixun.core.hooks import hooks
from peixun.core.limits import posting
from peixun.core.markdown import render
from peixun.core.pagination import page_arg
from peixun.core.policy import MANAGERS, can_current, current_actor, require
from peixun.core.screening import current_screen, excerpt
from peixun.spaces import queries as space_queries
from peixun.spaces.models import PERSONAL, Space
from peixun.spaces.views import PERSONAL_SPACE, SPACE, load_space, render_in_space, route_space, space_url
from peixun.threads import queries, service
from peixun.threads.forms import EditForm, ModerationForm, PostForm, ThreadForm
from peixun.threads.models import COMMENTS, JOURNAL, Post, Thread

bp = Blueprint("threads", __name__)
HELD = "内容中有需要审核的词语，已提交坊主审核；审核通过前只有您和坊主能看到。"


def _viewer() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _in_space(template: str, space: Space, **context: object) -> str:
    """Render a page inside the space's frame (breadcrumbs, tabs with 研讨 current)."""
    return render_in_space(template, space, "threads", **context)


_space = route_space


def _choice(name: str, allowed: dict[str, str], default: str) -> str:
    value = request.args.get(name, default)
    if value not in allowed:
        abort(404)
    return value


def _preview(form: PostForm) -> str | None:
    """Render the body for "预览"; a refused body becomes a field error."""
    try:
        return render(form.body.data or "")
    except ServiceError as error:
        form.body.errors = [*form.body.errors, error.message]
        return None


def _move_targets(thread: Thread) -> list[Space]:
    """Other spaces where the viewer holds a hosting or admin role (the move menu)."""
    if not can_current("thread.moderate", thread) or thread.kind == JOURNAL:
        return []
    actor = current_actor()
    ids = [
        space_id
        for space_id, roles in actor.roles.items()
        if roles & MANAGERS and space_id != thread.space_id
    ]
    return space_queries.spaces_by_ids(ids)


def _draft_data(key: str) -> dict[str, str] | None:
    """A saved draft pre-fills the form when it is first shown."""
    if request.method != "GET" or _viewer() is None:
        return None
    draft = service.take_draft(_viewer(), key)
    return {"title": draft.title, "body": draft.body} if draft else None


def _keep_draft(key: str, form: PostForm) -> None:
    title = form.title.data if isinstance(form, ThreadForm) else ""
    service.save_draft(_viewer(), key, form.body.data or "", title or "")
    flash("草稿已保存，下次打开时会自动填入。", "success")


def _quote(thread: Thread) -> str:
    """The reply box pre-filled with a quote of ?quote=<post id> (works without JavaScript)."""
    post = get_or_404(Post, request.args.get("quote", ""))
    if post.thread_id != thread.id or post.deleted_at is not None or post.is_held:
        abort(404)
    lines = post.body.strip().splitlines()[:12]
    quoted = "\n".join(f"> {line}" for line in lines)
    return f"> @{post.author.username}：\n{quoted}\n\n"


def _refused(form: PostForm, error: ServiceError) -> None:
    field = getattr(form, error.field or "body", form.body)
    field.errors = [*field.errors, error.message]


@bp.route(SPACE + "/threads")
@bp.route(PERSONAL_SPACE + "/threads")
def list_threads(prefix: str | None = None, slug: str | None = None, username: str | None = None):
    space = _space(prefix, slug, username)
    require("thread.list", space)
    sort = _choice("sort", queries.SORTS, "activity")
    show = _choice("show", queries.FILTERS, "")
    moderator = can_current("thread.moderate", space)
    waiting = []
    if space.kind != PERSONAL and can_current("question.answer_queue", space):
        waiting = queries.waiting_questions(space, current_app.config["QUESTION_SLA_HOURS"])
    page = queries.thread_list(space, _viewer(), page_arg(), sort, show, can_moderate=moderator)
    where = {"username": username} if username else {"prefix": prefix, "slug": slug}
    page_args = {**where, "show": show or None, "sort": sort if sort != "activity" else None}
    return _in_space(
        "threads/list.html",
        space,
        page=page,
        sort=sort,
        show=show,
        page_args=page_args,
        subscription=queries.subscription_of(_viewer(), space=space),
        waiting=waiting,
    )


@bp.route(SPACE + "/threads/new", methods=["GET", "POST"])
@bp.route(PERSONAL_SPACE + "/threads/new", methods=["GET", "POST"])
@posting
def new_thread(prefix: str | None = None, slug: str | None = None, username: str | None = None):
    space = _space(prefix, slug, username)
    require("thread.create", space)
    draft_key = f"new:{space.id}"
    form = ThreadForm(data=_draft_data(draft_key))
    if can_current("thread.create_periodic", space):
        form.offer_periodic()
    journal = space.kind == PERSONAL
    preview = None
    if form.is_submitted() and form.save_draft.data:
        _keep_draft(draft_key, form)
    elif form.validate_on_submit() and form.preview.data:
        preview = _preview(form)
    elif form.validate_on_submit():
        try:
            thread = service.start_thread(
                _viewer(),
                space,
                kind=JOURNAL if journal else form.kind.data or "",
                title=form.title.data or "",
                body=form.body.data or "",
                is_public=bool(form.is_public.data),
                form_key=form.form_key.data,
            )
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(HELD if thread.is_held else "已发布。", "info" if thread.is_held else "success")
            return redirect(url_for("threads.show", thread_id=thread.id))
    return _in_space(
        "threads/new.html",
        space,
        draft_url=url_for("threads.autosave", kind="new", target_id=space.id),
        form=form,
        preview=preview,
        journal=journal,
    ), 400 if form.errors else 200


@bp.route("/t/<int:thread_id>", methods=["GET", "POST"])
@posting
def show(thread_id: int):
    thread = get_or_404(Thread, thread_id)
    require("thread.view", thread)
    if thread.kind == COMMENTS:  # shown on the page of what it comments on
        return redirect(_attachment_url(thread, page_arg()))
    draft_key = f"reply:{thread.id}"
    quoting = request.method == "GET" and "quote" in request.args
    form = PostForm(data={"body": _quote(thread)} if quoting else _draft_data(draft_key))
    preview = None
    if request.method == "POST":
        require("thread.reply", thread)
        if form.save_draft.data:
            _keep_draft(draft_key, form)
        elif form.preview.data and form.validate_on_submit():
            preview = _preview(form)
        elif form.validate_on_submit():
            try:
                post = service.post_reply(_viewer(), thread, form.body.data or "", form.form_key.data)
            except ServiceError as error:
                _refused(form, error)
            else:
                if post.is_held:
                    flash(HELD, "info")
                return redirect(url_for("threads.permalink", post_id=post.id))
    if request.method == "GET" and _viewer() is not None:
        # Before loading the page: the visit commits, which would expire what was loaded.
        service.record_visit(_viewer(), thread)
    data = queries.thread_page(thread, _viewer(), page_arg(), can_current("post.review", thread))
    return render_template(
        "threads/show.html",
        data=data,
        thread=thread,
        space=thread.space,
        form=form,
        preview=preview,
        subscription=queries.subscription_of(_viewer(), thread=thread),
        move_targets=_move_targets(thread),
        draft_url=url_for("threads.autosave", kind="reply", target_id=thread.id),
    ), 400 if form.errors else 200


def _attachment_url(thread: Thread, page: int, anchor: str = "") -> str:
    """Where comments under another domain's object are shown (that domain connects the hook)."""
    url = next(filter(None, hooks().call("thread.attachment_url", thread)), None)
    if url is None:
        abort(404)
    joiner = "&" if "?" in url else "?"
    return url + (f"{joiner}page={page}" if page > 1 else "") + (f"#{anchor}" if anchor else "")


@bp.route("/p/<int:post_id>")
def permalink(post_id: int):
    post = get_or_404(Post, post_id)
    require("thread.view", post.thread)
    page = queries.reply_page_of(post)
    if post.thread.kind == COMMENTS:
        return redirect(_attachment_url(post.thread, page, f"p{post.id}"))
    return redirect(
        url_for(
            "threads.show", thread_id=post.thread_id, page=page if page > 1 else None, _anchor=f"p{post.id}"
        )
    )


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@posting
def edit(post_id: int):
    post = get_or_404(Post, post_id)
    require("post.edit", post)
    form = EditForm(data={"body": post.body, "title": post.thread.title} if request.method == "GET" else None)
    preview = None
    if form.validate_on_submit() and form.preview.data:
        preview = _preview(form)
    elif form.validate_on_submit():
        try:
            service.edit_post(
                _viewer(), post, form.body.data or "", form.title.data if post.is_opening else None
            )
        except ServiceError as error:
            _refused(form, error)
        else:
            flash("已保存修改。", "success")
            return redirect(url_for("threads.permalink", post_id=post.id))
    return render_template(
        "threads/edit.html",
        post=post,
        thread=post.thread,
        space=post.thread.space,
        form=form,
        preview=preview,
    ), 400 if form.errors else 200


@bp.route("/p/<int:post_id>/delete", methods=["POST"])
def delete(post_id: int):
    post = get_or_404(Post, post_id)
    require("post.delete", post)
    service.delete_post(_viewer(), post)
    flash("已删除。", "success")
    return redirect(url_for("threads.permalink", post_id=post.id))


@bp.route("/p/<int:post_id>/like", methods=["POST"])
def like(post_id: int):
    post = get_or_404(Post, post_id)
    require("post.like", post)
    service.like(_viewer(), post)
    return redirect(url_for("threads.permalink", post_id=post.id))


@bp.route("/p/<int:post_id>/history")
def history(post_id: int):
    post = get_or_404(Post, post_id)
    require("post.history", post)
    return render_template(
        "threads/history.html", post=post, thread=post.thread, versions=queries.versions(post)
    )


@bp.route(
    "/t/<int:thread_id>/<any(feature,unfeature,pin,unpin,lock,unlock,hide,unhide):action>", methods=["POST"]
)
def moderate(thread_id: int, action: str):
    thread = get_or_404(Thread, thread_id)
    require("thread.moderate", thread)
    form = ModerationForm()
    if not form.validate():
        abort(400)
    service.moderate(_viewer(), thread, action, form.reason.data or "")
    flash("已记录这次管理操作。", "success")
    return redirect(url_for("threads.show", thread_id=thread.id))


@bp.route("/p/<int:post_id>/accept", methods=["POST"])
def accept(post_id: int):
    post = get_or_404(Post, post_id)
    require("thread.accept", post.thread)
    service.accept_answer(_viewer(), post.thread, post)
    flash("已采纳为最佳答案。", "success")
    return redirect(url_for("threads.show", thread_id=post.thread_id))


@bp.route(SPACE + "/threads/moderation")
def moderation_log(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("thread.moderate", space)
    page = queries.moderation_page(space, page_arg())
    return _in_space(
        "threads/moderation.html",
        space,
        page=page,
    )


@bp.route(SPACE + "/threads/review")
def review_queue(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("post.review", space)
    page = queries.held_posts(space, page_arg())
    screen = current_screen()
    matches = {post.id: [excerpt(post.body, m) for m in screen.find(post.body)[:3]] for post in page.items}
    return _in_space(
        "threads/review.html",
        space,
        page=page,
        matches=matches,
    )


@bp.route("/p/<int:post_id>/<any(release,reject):decision>", methods=["POST"])
def review(post_id: int, decision: str):
    post = get_or_404(Post, post_id)
    require("post.review", post)
    if not post.is_held or post.deleted_at is not None:
        abort(404)
    (service.release if decision == "release" else service.reject)(_viewer(), post)
    flash("已审核通过。" if decision == "release" else "已驳回并删除。", "success")
    return redirect(space_url(post.thread.space, "threads.review_queue"))


@bp.route(SPACE + "/threads/questions")
def question_queue(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("question.answer_queue", space)
    sla = current_app.config["QUESTION_SLA_HOURS"]
    return _in_space(
        "threads/questions.html",
        space,
        waiting=queries.waiting_questions(space, sla),
        sla=sla,
    )


@bp.route("/t/<int:thread_id>/move", methods=["POST"])
def move(thread_id: int):
    thread = get_or_404(Thread, thread_id)
    require("thread.moderate", thread)
    target = get_or_404(Space, request.form.get("target", ""))
    require("thread.moderate", target)  # moved only between spaces she moderates
    service.move(_viewer(), thread, target)
    flash(f"已移动到{target.name}。", "success")
    return redirect(url_for("threads.show", thread_id=thread.id))


@bp.route("/drafts/<any(new,reply):kind>/<int:target_id>", methods=["POST"])
def autosave(kind: str, target_id: int):
    """Called by static/js/drafts.js while someone writes; 204 and nothing to show."""
    if kind == "new":
        require("thread.create", get_or_404(Space, target_id))
    else:
        require("thread.reply", get_or_404(Thread, target_id))
    service.save_draft(
        _viewer(), f"{kind}:{target_id}", request.form.get("body", ""), request.form.get("title", "")
    )
    return "", 204
