"""学情 pages: a space's statistics table over a chosen period, sortable, with a bar chart
drawn on the server (SVG, no JavaScript) and exports to .xlsx and .csv."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from peixun.accounts.service import find_user
from peixun.core.errors import ServiceError, form_status, show_refusal
from peixun.core.policy import require
from peixun.spaces.models import REGION
from peixun.spaces.views import SPACE, load_space, render_in_space
from peixun.stats import export, person, queries, report, service, workload
from peixun.stats.forms import ReportForm, UrgeForm
from peixun.stats.queries import COLUMNS, RATES, Period, china_today

bp = Blueprint("stats", __name__)
DEFAULT_DAYS = 28
PERSON_DAYS = 10 * 7  # a programme's ten weeks
MAX_DAYS = 3 * 366
CHART_ROWS = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(name: str, default: date) -> date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw[:10])
    except ValueError:
        raise ServiceError("日期的格式应为 年-月-日，如 2026-12-01。", name) from None
    if not 2000 <= day.year <= 2100:
        raise ServiceError("请选择 2000 年到 2100 年之间的日期。", name)
    return day


def period_arg(default_days: int = DEFAULT_DAYS) -> Period:
    """?from=&to= (China dates, both included); the last four weeks by default."""
    today = china_today()
    last = _day("to", today)
    first = _day("from", last - timedelta(days=default_days - 1))
    if first > last:
        raise ServiceError("开始日期不能晚于结束日期。", "from")
    if (last - first).days >= MAX_DAYS:
        raise ServiceError("统计时段最长三年。", "from")
    return Period(first, last)


def _sorting(default: str) -> tuple[str, bool]:
    column = request.args.get("sort", default)
    if column not in COLUMNS and column != "name":
        abort(404)
    return column, request.args.get("dir", "desc") != "asc"


def _table(space):
    period = period_arg()
    table = queries.table(space, period)
    column, descending = _sorting("name" if space.kind == REGION else "replies")
    rows = (
        sorted(table.rows, key=lambda r: r.name, reverse=descending)
        if column == "name"
        else queries.sort_rows(table.rows, column, descending)
    )
    return space, period, table, rows, column, descending


@bp.route(SPACE + "/stats")
def space_stats(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("stats.view", space)
    space, period, table, rows, column, descending = _table(space)
    idle_days = _idle_days()
    idle = service.idle_members(space, idle_days) if space.kind != REGION else []
    chart_column = column if column in COLUMNS else ("learn_rate" if space.kind == REGION else "replies")
    chart = [(r.name, r.value(chart_column)) for r in rows[:CHART_ROWS]]
    top = max((v for _, v in chart if v is not None), default=0)
    return render_in_space(
        "stats/space.html",
        space,
        "stats",
        table=table,
        rows=rows,
        period=period,
        columns=COLUMNS,
        rates=RATES,
        sort=column,
        descending=descending,
        chart=chart,
        chart_column=chart_column,
        chart_top=100 if chart_column in RATES else top,
        idle=idle,
        unregistered=service.unregistered(space),
        idle_days=idle_days,
        urge_form=UrgeForm(days=idle_days, message=service.DEFAULT_URGE),
    )


def _idle_days() -> int:
    raw = request.args.get("idle", "7")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3) or not 1 <= int(raw) <= service.MAX_IDLE_DAYS:
        raise ServiceError(f"天数须在 1–{service.MAX_IDLE_DAYS} 之间。", "idle")
    return int(raw)


@bp.route(SPACE + "/stats/urge", methods=["POST"])
def urge(prefix: str, slug: str):
    """督促: notify every member idle for the chosen number of days, in one action."""
    space = load_space(prefix, slug)
    require("stats.view", space)
    if space.kind == REGION:
        abort(404)
    form = UrgeForm()
    if not form.validate_on_submit():
        raise ServiceError("；".join(e for errors in form.errors.values() for e in errors))
    idle = [user for user, _ in service.idle_members(space, form.days.data)]
    sent = service.urge(current_user._get_current_object(), space, idle, form.message.data or "")
    skipped = len(idle) - sent
    flash(f"已提醒 {sent} 人。" + (f"{skipped} 人今天已提醒过，未重复发送。" if skipped else ""), "success")
    return redirect(
        url_for("stats.space_stats", prefix=prefix, slug=slug, idle=form.days.data, _anchor="idle")
    )


@bp.route(SPACE + "/stats.<any(csv, xlsx):fmt>")
def export_stats(prefix: str, slug: str, fmt: str):
    space = load_space(prefix, slug)
    require("stats.view", space)
    space, period, table, rows, _, _ = _table(space)
    name = f"学情统计-{space.name}-{period.first.isoformat()}-{period.last.isoformat()}.{fmt}"
    body = export.to_csv(table, rows) if fmt == "csv" else export.to_xlsx(table, rows)
    response = Response(body, mimetype="text/csv" if fmt == "csv" else XLSX)
    response.headers["Content-Disposition"] = _attachment(name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _attachment(name: str) -> str:
    """RFC 5987: an ASCII fallback, then the Chinese name."""
    return f"attachment; filename=\"stats.{name.rsplit('.', 1)[1]}\"; filename*=UTF-8''{quote(name)}"


@bp.route("/u/<username>/stats")
def person_stats(username: str):
    """Her learning week by week: her own page, and her admins', hosts' and leader's."""
    user = find_user(username)
    if user is None:
        abort(404)
    learner = person.learner(user)
    require("stats.person", learner)
    period = period_arg(default_days=PERSON_DAYS)
    weeks = person.weeks(user, period)
    return render_template(
        "stats/person.html",
        learner=learner,
        owner=user,
        period=period,
        weeks=weeks,
        top=max((w.days for w in weeks), default=0),
        totals={
            k: sum(getattr(w, k) for w in weeks)
            for k in ("days", "threads", "replies", "journals", "resources")
        },
    )


@bp.route(SPACE + "/stats/report", methods=["GET", "POST"])
def weekly_report(prefix: str, slug: str):
    """The week's 学情通报: drafted from the figures, edited, then posted as a discussion of
    the workshop or kept as a brief draft to publish with the next issue."""
    space = load_space(prefix, slug)
    require("stats.report", space)
    form = ReportForm()
    if not form.is_submitted():
        form.title.data, form.body.data = report.draft(space, report.week_ending())
    elif form.validate():
        me = current_user._get_current_object()
        try:
            if form.brief.data:
                brief = report.into_brief(me, space, form.title.data, form.body.data, form.form_key.data)
                flash("已放入简报草稿，可继续编辑后发布。", "success")
                return redirect(url_for("briefs.edit", brief_id=brief.id))
            thread = report.post(me, space, form.title.data, form.body.data, form.form_key.data)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash("学情通报已发布。", "success")
            return redirect(url_for("threads.show", thread_id=thread.id))
    return render_in_space("stats/report.html", space, "stats", form=form), form_status(form)


@bp.route(SPACE + "/stats/workload")
def host_workload(prefix: str, slug: str):
    """What each host and expert below the region did in the period (seed 002)."""
    space = load_space(prefix, slug)
    require("stats.workload", space)
    period = period_arg()
    return render_in_space(
        "stats/workload.html",
        space,
        "stats",
        period=period,
        rows=workload.workload(space, period),
        columns=workload.COLUMNS,
    )
