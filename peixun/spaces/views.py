"""Home page, personal spaces, space pages, member lists, joining and study groups."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from peixun.accounts.models import USERNAME_PATTERN, User
from peixun.accounts.service import find_user
from peixun.core.db import get_or_404
from peixun.core.errors import ServiceError
from peixun.core.hooks import hooks
from peixun.core.pagination import page_arg
from peixun.core.policy import current_actor, forget_actor, require
from peixun.spaces import queries, service
from peixun.spaces.forms import GroupForm, InviteForm, SpaceInfoForm
from peixun.spaces.models import (
    GROUP,
    KIND_PREFIX,
    PREFIX_KIND,
    REGION,
    SCHOOL,
    WORKSHOP,
    Membership,
    Space,
)

bp = Blueprint("spaces", __name__)

SPACE = "/<any(r,s,w,g):prefix>/<slug>"
PERSONAL_SPACE = "/u/<username>"
# POST buttons carry only the CSRF token, which CSRFProtect checks before any view runs;
# a refused ServiceError becomes a Chinese 400 page (core.errors).
CHILD_KINDS = {REGION: (REGION, SCHOOL, WORKSHOP), SCHOOL: (GROUP,), WORKSHOP: (GROUP,), GROUP: ()}


def load_space(prefix: str, slug: str) -> Space:
    if not service.SLUG_PATTERN.match(slug):
        abort(404)
    space = queries.space_by_slug(PREFIX_KIND[prefix], slug)
    if space is None:
        abort(404)
    return space


def route_space(prefix: str | None, slug: str | None, username: str | None) -> Space:
    """The space of a route under SPACE or PERSONAL_SPACE (a domain's tab of any space)."""
    if username is None:
        return load_space(prefix or "", slug or "")
    space = queries.personal_space_of(username) if re.match(USERNAME_PATTERN, username) else None
    if space is None:
        abort(404)
    return space


def render_in_space(template: str, space: Space, tab: str, **context: object) -> str:
    """Render a page inside the space's frame: breadcrumbs, and tabs with `tab` current."""
    return render_template(template, space=space, crumbs=queries.ancestors(space), tab=tab, **context)


def space_url(space: Space, endpoint: str = "spaces.space_home", **values: object) -> str:
    """The URL of a page of any space; personal spaces live under /u/<username>."""
    if space.kind == "personal":
        if endpoint == "spaces.space_home":
            endpoint = "spaces.personal"
        return url_for(endpoint, username=space.slug, **values)
    return url_for(endpoint, prefix=KIND_PREFIX[space.kind], slug=space.slug, **values)


def _user() -> User:
    return current_user._get_current_object()


def _done(space: Space, message: str, endpoint: str = "spaces.space_home"):
    forget_actor()
    flash(message, "success")
    return redirect(space_url(space, endpoint))


@bp.route("/")
def home():
    require("site.view")
    if not current_user.is_authenticated:
        return render_template(
            "spaces/welcome.html", regions=queries.top_regions(), counts=queries.site_counts()
        )
    data = queries.home(_user(), current_actor().member_of)
    # Work waiting for me in the domains above (lesson-study reviews …): (text, url) or None.
    tasks = [task for task in hooks().call("spaces.home_tasks", _user()) if task is not None]
    return render_template("spaces/home.html", home=data, tasks=tasks)


@bp.route("/u/<username>")
def personal(username: str):
    space = queries.personal_space_of(username) if re.match(USERNAME_PATTERN, username) else None
    if space is None:
        abort(404)
    require("user.view", space.owner)
    data = queries.home(space.owner, queries.actor_data(space.owner)["member_of"], own_activity=True)
    # Journals, resources … come from the domains above, which fill this hook.
    sections = [s for s in hooks().call("spaces.personal_sections", space) if s is not None]
    return render_template(
        "spaces/personal.html", space=space, owner=space.owner, home=data, sections=sections
    )


@bp.route(SPACE)
def space_home(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("space.view", space)
    return render_template(
        "spaces/space.html",
        space=space,
        crumbs=queries.ancestors(space),
        tab="home",
        members=queries.member_count(space),
        roles=queries.role_holders(space),
        children=queries.children(space, CHILD_KINDS[space.kind]),
        activity=queries.recent_activity([space.id]),
    )


@bp.route(SPACE + "/members")
def members(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("space.view", space)
    page = queries.members_page(space, page_arg())
    return render_template(
        "spaces/members.html",
        space=space,
        crumbs=queries.ancestors(space),
        tab="members",
        page=page,
        roles=queries.roles_by_user(space, page.items),
    )


@bp.route(SPACE + "/join", methods=["POST"])
def join(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("space.join", space)
    service.request_to_join(_user(), space)
    return _done(space, "已提交加入申请，等待坊主审核。")


@bp.route(SPACE + "/leave", methods=["POST"])
def leave(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("space.leave", space)
    service.remove_member(_user(), space, _user())
    return _done(space, f"您已退出{space.name}。")


@bp.route(SPACE + "/members/manage", methods=["GET", "POST"])
def manage_members(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("space.manage_members", space)
    form = InviteForm()
    if form.validate_on_submit():
        user = find_user(form.username.data or "")
        try:
            if user is None:
                raise ServiceError("找不到该用户名。", "username")
            service.invite(_user(), space, user)
        except ServiceError as error:
            form.username.errors = [error.message]
        else:
            message = "已加入小组。" if space.kind == GROUP else f"已向 {user.display_name} 发出邀请。"
            return _done(space, message, "spaces.manage_members")
    return render_template(
        "spaces/manage.html",
        space=space,
        crumbs=queries.ancestors(space),
        tab="members",
        form=form,
        requests=queries.pending(space),
        invitations=queries.pending(space, "invited"),
    ), 400 if form.errors else 200


@bp.route("/membership/<int:membership_id>/<any(approve,reject):decision>", methods=["POST"])
def decide(membership_id: int, decision: str):
    found = get_or_404(Membership, membership_id)
    require("membership.decide", found)
    service.decide_request(_user(), found, decision == "approve")
    return _done(
        found.space, "已批准加入。" if decision == "approve" else "已拒绝申请。", "spaces.manage_members"
    )


@bp.route("/membership/<int:membership_id>/<any(accept,decline):answer>", methods=["POST"])
def respond(membership_id: int, answer: str):
    found = get_or_404(Membership, membership_id)
    require("membership.respond", found)
    space = found.space
    service.respond_to_invitation(found, answer == "accept")
    if answer == "accept":
        return _done(space, f"欢迎加入{space.name}！")
    forget_actor()
    flash("已谢绝邀请。", "success")
    return redirect(url_for("spaces.home"))


@bp.route(SPACE + "/members/<int:user_id>/remove", methods=["POST"])
def remove(prefix: str, slug: str, user_id: int):
    space = load_space(prefix, slug)
    require("space.manage_members", space)
    user = get_or_404(User, user_id)
    service.remove_member(_user(), space, user)
    return _done(space, f"已将 {user.display_name} 移出。", "spaces.members")


@bp.route(SPACE + "/groups/new", methods=["GET", "POST"])
def new_group(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("group.create", space)
    form = GroupForm()
    if form.validate_on_submit():
        leader = find_user(form.leader.data or "")
        try:
            if leader is None:
                raise ServiceError("找不到该用户名。", "leader")
            group = service.create_group(_user(), space, form.name.data or "", leader)
        except ServiceError as error:
            getattr(form, error.field or "name").errors = [error.message]
        else:
            return _done(group, f"研修小组“{group.name}”已建立。")
    return render_template(
        "spaces/group_form.html", space=space, crumbs=queries.ancestors(space), tab="home", form=form
    ), 400 if form.errors else 200


@bp.route(SPACE + "/edit", methods=["GET", "POST"])
def edit_info(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("space.edit", space)
    form = SpaceInfoForm(obj=space)
    if form.validate_on_submit():
        service.edit_info(
            _user(), space, description=form.description.data or "", is_open=bool(form.is_open.data)
        )
        return _done(space, "简介已保存。")
    return render_template(
        "spaces/edit_info.html", space=space, crumbs=queries.ancestors(space), tab="home", form=form
    ), 400 if form.errors else 200
