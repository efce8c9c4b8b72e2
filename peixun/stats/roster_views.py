"""Roster import (学员信息表): the template, upload, a preview of every row's outcome and
every error, then import all rows or none, and the new logins for the admin."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from peixun.core import audit
from peixun.core.db import sane_id_or_404
from peixun.core.errors import ServiceError
from peixun.core.limits import uploading
from peixun.core.pagination import page_arg
from peixun.core.policy import require
from peixun.extensions import db
from peixun.spaces.views import SPACE, load_space, render_in_space
from peixun.stats import importer
from peixun.stats.forms import RosterUploadForm
from peixun.stats.models import RosterImport
from peixun.stats.planning import ACTIONS
from peixun.stats.roster import template

bp = Blueprint("roster", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_ROWS = 200  # outcomes per preview page; errors are always listed in full
FILTERS = ("all", *ACTIONS)


def _load(import_id: int) -> RosterImport:
    record = db.session.get(RosterImport, sane_id_or_404(import_id))
    if record is None:
        abort(404)
    return record


@bp.route("/roster/template.xlsx")
def download_template():
    require("roster.template")
    return send_file(
        io.BytesIO(template()), mimetype=XLSX, as_attachment=True, download_name="学员信息表模板.xlsx"
    )


@bp.route(SPACE + "/roster", methods=["GET", "POST"])
@uploading
def upload(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("roster.import", space)
    form = RosterUploadForm()
    if form.validate_on_submit():
        file = form.file.data
        if not file or not file.filename:
            form.file.errors.append("请选择名单文件。")
        else:
            try:
                record = importer.start(current_user._get_current_object(), space, file.stream, file.filename)
            except ServiceError as error:
                form.file.errors.append(error.message)
            else:
                return redirect(url_for("roster.preview", import_id=record.id))
    past = db.session.execute(
        select(RosterImport)
        .where(RosterImport.scope_id == space.id)
        .order_by(RosterImport.id.desc())
        .limit(20)
        .options(selectinload(RosterImport.actor))
    ).scalars()
    status = 400 if form.errors else 200
    return render_in_space("stats/roster.html", space, "stats", form=form, past=list(past)), status


@bp.route("/roster/<int:import_id>")
def preview(import_id: int):
    record = _load(import_id)
    require("roster.view", record)
    shown = request.args.get("show", "all")
    if shown not in FILTERS:
        abort(404)
    try:
        plan = importer.load_plan(record)
    except ServiceError as error:
        plan, refused = None, error.message
    else:
        refused = None
    outcomes = [o for o in plan.outcomes if shown in ("all", o.action)] if plan else []
    page = page_arg()
    pages = max(1, -(-len(outcomes) // PREVIEW_ROWS))
    if page > pages:
        abort(404)
    space = record.scope
    context = dict(
        record=record,
        plan=plan,
        refused=refused,
        outcomes=outcomes[(page - 1) * PREVIEW_ROWS : page * PREVIEW_ROWS],
        page=page,
        pages=pages,
        shown=shown,
        actions=ACTIONS,
        has_logins=importer.logins_path(record).exists(),
    )
    if space is None:
        abort(404)
    return render_in_space("stats/roster_preview.html", space, "stats", **context)


@bp.route("/roster/<int:import_id>/confirm", methods=["POST"])
def confirm(import_id: int):
    record = _load(import_id)
    require("roster.view", record)
    if record.scope is None:  # its region or school is gone: nothing to import into
        abort(404)
    require("roster.import", record.scope)  # she may have lost the role since the preview
    try:
        plan = importer.load_plan(record)
        made = importer.import_roster(current_user._get_current_object(), record, plan)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(
            f"已导入 {record.rows} 行：新建 {record.created} 个账号，更新 {record.updated} 人，{record.unchanged} 人无变化。"
            + ("请下载新账号清单，把账号告知老师。" if made else ""),
            "success",
        )
    return redirect(url_for("roster.preview", import_id=record.id))


@bp.route("/roster/<int:import_id>/logins")
def logins(import_id: int):
    record = _load(import_id)
    require("roster.logins", record)
    path = importer.logins_path(record)
    if not path.exists():
        abort(404)
    response = send_file(
        path, mimetype=XLSX, as_attachment=True, download_name=f"新账号清单-{record.id}.xlsx"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/roster/<int:import_id>/logins/delete", methods=["POST"])
def delete_logins(import_id: int):
    record = _load(import_id)
    require("roster.logins", record)
    importer.logins_path(record).unlink(missing_ok=True)
    audit.record("roster.delete_logins", record, record.filename, space_id=record.scope_id)
    db.session.commit()
    flash("新账号清单已删除。", "success")
    return redirect(url_for("roster.preview", import_id=record.id))
