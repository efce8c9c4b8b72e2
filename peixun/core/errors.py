"""Chinese error pages for every HTTP error, and the ServiceError services raise."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from werkzeug.exceptions import HTTPException

from peixun.extensions import db


class ServiceError(Exception):
    """A refused operation with a message fit to show the user (in Chinese)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


MESSAGES = {
    400: ("请求有误", "提交的内容无法处理，请检查后重试。"),
    401: ("请先登录", "此操作需要登录。"),
    403: ("没有权限", "您没有权限访问此页面或执行此操作。"),
    404: ("页面不存在", "您访问的页面不存在，可能已被删除或地址有误。"),
    405: ("请求方式不支持", "此页面不支持这种请求方式。"),
    409: ("操作冲突", "这项操作与另一项同时进行的操作冲突，请刷新页面后重试。"),
    413: ("内容过大", "上传的文件或提交的内容超过了大小限制。"),
    429: ("操作过于频繁", "您的操作过于频繁，请稍后再试。"),
    500: ("服务器出错了", "服务器遇到了问题，我们已记录下来，请稍后再试。"),
}


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    title, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def handle_http_error(error: HTTPException):
    code = error.code or 500
    if code == 401:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    detail = getattr(error, "description_cn", None)
    response = render_error(code, detail)
    valid_methods = getattr(error, "valid_methods", None)
    if code == 405 and valid_methods:
        return response[0], 405, {"Allow": ", ".join(valid_methods)}
    return response


def handle_service_error(error: ServiceError):
    db.session.rollback()
    return render_error(400, error.message)


def handle_conflict(error: Exception):
    """Last resort for races the services did not foresee: a 409, never a 500."""
    db.session.rollback()
    return render_error(409)


def handle_unexpected(error: Exception):
    # Handling Exception ourselves stops Flask from logging it: log the traceback here
    # (with the request id, core.requestlog) so the 500 can be found.
    current_app.logger.error("unhandled error on %s %s", request.method, request.path, exc_info=error)
    # Nothing half-written survives a failed request.
    db.session.rollback()
    return render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(ServiceError, handle_service_error)
    for conflict in (IntegrityError, StaleDataError, ObjectDeletedError):
        app.register_error_handler(conflict, handle_conflict)
    if not app.testing or app.config.get("SHOW_500_PAGE"):
        app.register_error_handler(Exception, handle_unexpected)


def show_refusal(form: Any, error: ServiceError) -> None:
    """Show a refused operation next to its field (or above the form); nothing it
    half-wrote survives."""
    db.session.rollback()
    field = form._fields.get(error.field or "")
    if field is None:
        form.form_errors.append(error.message)
    else:
        field.errors = [*field.errors, error.message]


def form_status(*forms: Any) -> int:
    """400 when a form on the page carries errors, so tests and tools see the refusal."""
    return 400 if any(form.errors for form in forms) else 200
