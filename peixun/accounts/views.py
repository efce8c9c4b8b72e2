"""Sign-in, sign-out, registration, password and profile pages."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from peixun.accounts import service
from peixun.accounts.forms import ChangePasswordForm, LoginForm, ProfileForm, RegisterForm
from peixun.accounts.models import User
from peixun.core.errors import ServiceError
from peixun.core.policy import forget_actor, require
from peixun.core.security import safe_next
from peixun.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__)

LOGIN_FAILED = "用户名或密码不正确。"
# Pages a user who must change her password may still reach.
ALLOWED_BEFORE_PASSWORD_CHANGE = {"accounts.change_password", "accounts.logout", "static"}


@login_manager.user_loader
def load_user(token: str) -> User | None:
    if not token or len(token) > 64:
        return None
    user = db.session.execute(db.select(User).filter_by(auth_token=token)).scalar_one_or_none()
    return user if user is not None and user.is_active else None


@bp.before_app_request
def force_password_change():
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in ALLOWED_BEFORE_PASSWORD_CHANGE
    ):
        return redirect(url_for("accounts.change_password"))
    return None


def _login_key_account() -> str:
    return "login-account:" + service.normalise_username(request.form.get("username", ""))[:64]


def _login_limit(kind: str) -> str:
    return current_app.config[f"LOGIN_LIMIT_PER_{kind}"]


def _start_session(user: User, remember: bool) -> None:
    # A permanent session expires after PERMANENT_SESSION_LIFETIME: the signed cookie
    # carries its own timestamp, so an old copy stops working even if never logged out.
    # A fresh session: nothing (CSRF token, flashes) carries over from before sign-in.
    session.clear()
    session.permanent = True
    login_user(user, remember=remember)
    forget_actor()


# Every attempt counts, successful or not: counting only failures afterwards lets
# guesses sent in parallel all pass the check before any of them is counted.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: _login_limit("ADDRESS"), methods=["POST"])
@limiter.limit(lambda: _login_limit("ACCOUNT"), key_func=_login_key_account, methods=["POST"])
def login():
    require("account.login")
    next_url = safe_next(request.values.get("next"), url_for("spaces.home"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.username.data or "", form.password.data or "")
        if user is not None:
            _start_session(user, bool(form.remember.data))
            service.record_login(user)
            flash(f"欢迎回来，{user.display_name}。", "success")
            return redirect(next_url)
        form.password.errors = [LOGIN_FAILED]
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template("accounts/login.html", form=form, next_url=next_url), status


@bp.route("/logout", methods=["POST"])
def logout():
    require("account.logout")
    service.end_all_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("您已退出登录，所有设备上的登录都已结束。", "success")
    return redirect(url_for("spaces.home"))


def _user_key() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else "anonymous"


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT_PER_ADDRESS"], methods=["POST"])
def register():
    require("account.register")
    if current_user.is_authenticated:
        return redirect(url_for("spaces.home"))
    form = RegisterForm()
    form.school.set_schools(service.school_choices(), "（暂不选择）")
    if form.validate_on_submit():
        try:
            user = service.create_user(
                form.username.data or "",
                form.real_name.data or "",
                form.password.data,
                school_id=form.school.data,
            )
        except ServiceError as error:
            _field_error(form, error)
        else:
            _start_session(user, remember=False)
            flash("注册成功，欢迎加入研修社区！", "success")
            return redirect(url_for("spaces.home"))
    status = 200 if request.method == "GET" else 400
    return render_template("accounts/register.html", form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_LIMIT_PER_USER"], key_func=_user_key, methods=["POST"])
def change_password():
    user = current_user._get_current_object() if current_user.is_authenticated else None
    require("account.edit", user)
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(user, form.current_password.data or "", form.new_password.data or "")
        except ServiceError as error:
            _field_error(form, error)
        else:
            # The token rotated: every other session ended; this one carries on.
            _start_session(user, remember=False)
            flash("密码已修改，其他设备上的登录已全部结束。", "success")
            return redirect(url_for("spaces.home"))
    status = 200 if request.method == "GET" else 400
    return render_template("accounts/password.html", form=form), status


@bp.route("/account/profile", methods=["GET", "POST"])
def edit_profile():
    user = current_user._get_current_object() if current_user.is_authenticated else None
    require("account.edit", user)
    form = ProfileForm(obj=user)
    form.school.set_schools(service.school_choices())
    if request.method == "GET":
        form.school.data = service.school_of(user)
    if form.validate_on_submit():
        try:
            service.update_profile(
                user,
                real_name=form.real_name.data or "",
                subject=form.subject.data or "",
                stage=form.stage.data or "",
                bio=form.bio.data or "",
                school_id=form.school.data,
            )
        except ServiceError as error:
            _field_error(form, error)
        else:
            forget_actor()
            flash("个人资料已保存。", "success")
            return redirect(url_for("spaces.personal", username=user.username))
    status = 200 if request.method == "GET" else 400
    return render_template("accounts/profile.html", form=form), status


def _field_error(form, error: ServiceError) -> None:
    field = getattr(form, error.field or "", None)
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")
