"""The inbox: notifications, and watching or muting threads and spaces."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from peixun.accounts.models import User
from peixun.core.db import get_or_404
from peixun.core.pagination import page_arg
from peixun.core.policy import require
from peixun.spaces.views import SPACE, load_space, space_url
from peixun.threads import queries, service
from peixun.threads.models import Notification, Thread

bp = Blueprint("inbox", __name__)
SUBSCRIBED = {
    "watch": "已关注，有新内容时会通知您。",
    "mute": "已设为免打扰。",
    "unwatch": "已恢复默认通知。",
}


def _viewer() -> User:
    return current_user._get_current_object()


@bp.route("/t/<int:thread_id>/<any(watch,mute,unwatch):mode>", methods=["POST"])
def subscribe_thread(thread_id: int, mode: str):
    thread = get_or_404(Thread, thread_id)
    require("thread.subscribe", thread)
    service.subscribe(_viewer(), thread=thread, mode=mode)
    flash(SUBSCRIBED[mode], "success")
    return redirect(url_for("threads.show", thread_id=thread.id))


@bp.route(SPACE + "/threads/<any(watch,mute,unwatch):mode>", methods=["POST"])
def subscribe_space(prefix: str, slug: str, mode: str):
    space = load_space(prefix, slug)
    require("space.subscribe", space)
    service.subscribe(_viewer(), space=space, mode=mode)
    flash(SUBSCRIBED[mode], "success")
    return redirect(space_url(space, "threads.list_threads"))


@bp.route("/notifications")
def notifications():
    require("notification.list")
    page = queries.notifications_page(_viewer(), page_arg())
    return render_template("threads/notifications.html", page=page)


@bp.route("/notifications/read", methods=["POST"])
def read_all():
    require("notification.list")
    service.mark_read(_viewer())
    flash("已全部标为已读。", "success")
    return redirect(url_for("inbox.notifications"))


@bp.route("/n/<int:notification_id>")
def open_notification(notification_id: int):
    found = get_or_404(Notification, notification_id)
    require("notification.open", found)
    service.mark_read(_viewer(), [found.id])
    if found.post_id is not None:
        return redirect(url_for("threads.permalink", post_id=found.post_id))
    if found.thread_id is None:  # a notice from a space (督促): its page
        return redirect(space_url(found.space) if found.space else url_for("spaces.home"))
    return redirect(url_for("threads.show", thread_id=found.thread_id))
