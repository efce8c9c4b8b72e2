"""Site administration: regions, schools, workshops, roles and accounts."""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from peixun.accounts import service as accounts
from peixun.accounts.models import User
from peixun.admin import queries
from peixun.admin.forms import (
    AppointForm,
    NewUserForm,
    ResetPasswordForm,
    RevokeForm,
    SpaceForm,
    VocabularyForm,
    WordListForm,
    space_form,
)
from peixun.core import audit
from peixun.core.db import get_or_404
from peixun.core.errors import ServiceError, form_status, show_refusal
from peixun.core.pagination import page_arg
from peixun.core.policy import forget_actor, require
from peixun.core.screening import current_word_list, save_word_list
from peixun.core.security import safe_next
from peixun.core.vocab import VOCABULARIES, save_terms, terms
from peixun.extensions import db
from peixun.spaces import service as spaces
from peixun.spaces.models import HOST, REGION, ROLE_LABELS, WORKSHOP, Space
from peixun.spaces.queries import role_holders, site_counts

bp = Blueprint("admin", __name__)

SEARCH_MAX = 32
# POST buttons carry only the CSRF token (checked before any view runs) and hidden fields;
# a ServiceError left uncaught becomes a Chinese 400 page (core.errors).


def _me() -> User:
    return current_user._get_current_object()


def _editable(space_id: int) -> Space:
    """A region, school or workshop; personal spaces and study groups are not edited here."""
    space = get_or_404(Space, space_id)
    if space.kind not in queries.LISTED_KINDS:
        abort(404)
    return space


def _parent(form: SpaceForm) -> Space | None:
    return None if form.parent.data is None else get_or_404(Space, form.parent.data)


def _no_user(field: str) -> NoReturn:
    raise ServiceError("找不到该用户名。", field)


@bp.route("/")
def index():
    require("admin.access")
    return render_template("admin/index.html", counts=site_counts())


@bp.route("/audit")
def audit_log():
    """Who did which administration or moderation action, newest first."""
    require("admin.audit")
    group = request.args.get("group", "")
    username = request.args.get("user", "").strip()[:SEARCH_MAX]
    page, spaces_by_id = queries.audit_page(group, username, page_arg())
    return render_template(
        "admin/audit.html",
        page=page,
        spaces=spaces_by_id,
        groups=audit.GROUPS,
        group=group,
        username=username,
    )


# --- regions, schools and workshops ---------------------------------------------------


@bp.route("/spaces")
def spaces_list():
    require("admin.manage_spaces")
    kind = request.args.get("kind", "")
    if kind and kind not in queries.LISTED_KINDS:
        abort(404)
    page = queries.spaces_page(kind or None, page_arg())
    return render_template("admin/spaces.html", page=page, kind=kind)


@bp.route("/spaces/new/<any(region,school,workshop):kind>", methods=["GET", "POST"])
def new_space(kind: str):
    require("admin.manage_spaces")
    form = space_form(kind, queries.region_choices())
    if form.validate_on_submit():
        try:
            space = _create_space(kind, form)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(f"已建立{space.kind_label}“{space.name}”。", "success")
            return redirect(url_for("admin.edit_space", space_id=space.id))
    return render_template("admin/space_new.html", form=form, kind=kind), form_status(form)


def _create_space(kind: str, form: SpaceForm) -> Space:
    """Create the space; a workshop and its first host are written in one commit."""
    host = None
    if kind == WORKSHOP:
        host = accounts.find_user(form.host.data or "") or _no_user("host")
    name, slug = form.name.data or "", form.slug.data or ""
    space = spaces.create_space(kind, name, slug, _parent(form), commit=False, **form.space_fields())
    audit.record("space.create", space, f"{space.kind_label}：{space.name}", space_id=space.id)
    if host is not None:
        spaces.appoint(_me(), space, host, HOST, commit=False)
    db.session.commit()
    return space


@bp.route("/spaces/<int:space_id>/edit", methods=["GET", "POST"])
def edit_space(space_id: int):
    space = _editable(space_id)
    require("admin.manage_spaces", space)
    form = space_form(space.kind, _regions_for(space), space)
    if form.validate_on_submit():
        try:
            audit.record("space.edit", space, f"{space.name} → {form.name.data}", space_id=space.id)
            spaces.update_space(
                space,
                name=form.name.data or "",
                slug=form.slug.data or "",
                parent=_parent(form),
                **form.space_fields(),
            )
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash("已保存。", "success")
            return redirect(url_for("admin.edit_space", space_id=space.id))
    return _edit_page(space, form, AppointForm(space.kind, formdata=None))


def _regions_for(space: Space) -> list[tuple[int, str]]:
    return queries.region_choices(exclude=space if space.kind == REGION else None)


def _edit_page(space: Space, form: SpaceForm, appoint: AppointForm):
    return render_template(
        "admin/space_edit.html", space=space, form=form, appoint=appoint, roles=role_holders(space)
    ), form_status(form, appoint)


@bp.route("/spaces/<int:space_id>/roles", methods=["POST"])
def appoint_role(space_id: int):
    space = _editable(space_id)
    require("admin.appoint", space)
    form = AppointForm(space.kind)
    if form.validate_on_submit():
        try:
            user = accounts.find_user(form.username.data or "") or _no_user("username")
            spaces.appoint(_me(), space, user, form.role.data or "")
        except ServiceError as error:
            show_refusal(form, error)
        else:
            forget_actor()
            flash(f"已任命 {user.display_name} 为{ROLE_LABELS[form.role.data or '']}。", "success")
            return redirect(url_for("admin.edit_space", space_id=space.id))
    return _edit_page(space, space_form(space.kind, _regions_for(space), space, submitted=False), form)


@bp.route("/spaces/<int:space_id>/roles/revoke", methods=["POST"])
def revoke_role(space_id: int):
    space = _editable(space_id)
    require("admin.appoint", space)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    user = get_or_404(User, form.user_id.data)
    role = form.role.data or ""
    spaces.revoke(space, user, role)  # the last host stays: a refusal is a Chinese 400 page
    forget_actor()
    flash(f"已撤销 {user.display_name} 的{ROLE_LABELS[role]}角色。", "success")
    return redirect(url_for("admin.edit_space", space_id=space.id))


# --- accounts -----------------------------------------------------------------------


@bp.route("/users")
def users():
    require("user.manage")
    q = request.args.get("q", "").strip()[:SEARCH_MAX]
    page = queries.users_page(q, page_arg())
    return render_template("admin/users.html", page=page, q=q)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    require("user.manage")
    form = NewUserForm()
    form.school.set_schools(accounts.school_choices())
    if form.validate_on_submit():
        try:
            audit.record("user.create", summary=f"{form.real_name.data}（{form.username.data}）")
            user = accounts.create_user(
                form.username.data or "",
                form.real_name.data or "",
                form.password.data or "",
                is_admin=bool(form.is_admin.data),
                must_change_password=True,
                school_id=form.school.data,
            )
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(f"已建立账号 {user.username}，对方首次登录时须修改密码。", "success")
            return redirect(url_for("admin.users", q=user.username))
    return render_template("admin/user_new.html", form=form), form_status(form)


@bp.route("/users/<int:user_id>/<any(disable,enable):action>", methods=["POST"])
def set_disabled(user_id: int, action: str):
    user = get_or_404(User, user_id)
    require("user.disable", user)  # never herself: an admin cannot lock herself out
    audit.record(f"user.{action}", user, user.display_name)
    accounts.set_disabled(user, action == "disable")
    message = "已停用，其所有登录已结束" if action == "disable" else "已启用"
    flash(f"账号 {user.username} {message}。", "success")
    return redirect(safe_next(request.form.get("next"), url_for("admin.users")))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
def reset_password(user_id: int):
    user = get_or_404(User, user_id)
    require("user.reset_password", user)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            audit.record("user.reset_password", user, user.display_name)
            accounts.set_password(user, form.password.data or "", must_change=True)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(f"已重置 {user.username} 的密码，其所有登录已结束。", "success")
            return redirect(url_for("admin.users", q=user.username))
    return render_template("admin/password.html", form=form, user=user), form_status(form)


@bp.route("/screen", methods=["GET", "POST"])
def screen_words():
    require("admin.edit_screen")
    form = WordListForm(data=None if request.method == "POST" else {"words": current_word_list()})
    if form.validate_on_submit():
        try:
            audit.record("screen.edit", summary=f"{len((form.words.data or '').split())} 个词语")
            save_word_list(form.words.data or "")
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash("敏感词表已保存，新发布的内容将按新词表审核。", "success")
            return redirect(url_for("admin.screen_words"))
    return render_template("admin/screen.html", form=form), form_status(form)


@bp.route("/vocab", methods=["GET", "POST"])
def vocabularies():
    """学科, 学段 and 资源类型 lists: one form each, told apart by the submit button's name."""
    require("admin.edit_vocab")
    forms = {}
    for vocabulary in VOCABULARIES:
        posted = request.method == "POST" and request.form.get("vocabulary") == vocabulary.name
        form = VocabularyForm(
            prefix=vocabulary.name,
            formdata=None if not posted else request.form,
            data={"terms": "\n".join(terms(vocabulary))},
        )
        form.terms.label.text = vocabulary.label
        if posted and form.validate():
            try:
                audit.record("vocab.edit", summary=vocabulary.label)
                save_terms(vocabulary, form.terms.data or "", "terms")
            except ServiceError as error:
                show_refusal(form, error)
            else:
                flash(f"{vocabulary.label}列表已保存。", "success")
                return redirect(url_for("admin.vocabularies"))
        forms[vocabulary] = form
    return render_template("admin/vocab.html", forms=forms), form_status(*forms.values())
