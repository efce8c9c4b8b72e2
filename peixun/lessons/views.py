"""Lesson studies: the list, the plan, the study page with its steps, versions and their
diff, observations with round summaries and comparison, summary and finish."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from peixun.accounts.models import User
from peixun.core.db import sane_id_or_404
from peixun.core.errors import ServiceError, form_status, show_refusal
from peixun.core.limits import posting, uploading
from peixun.core.pagination import page_arg
from peixun.core.policy import can_current, require
from peixun.extensions import db
from peixun.lessons import queries, service
from peixun.lessons.diff import diff_designs
from peixun.lessons.forms import (
    AssignForm,
    EntryForm,
    ObservationForm,
    RecordingForm,
    SelfReviewForm,
    StudyForm,
    SummaryForm,
    VersionForm,
)
from peixun.lessons.hooks import remember_attachments
from peixun.lessons.models import (
    DIMENSIONS,
    LESSON_ROUNDS,
    PREPARATION_STEPS,
    RUBRIC,
    RUBRIC_TOTAL,
    STEP_ORDER,
    STEPS,
    LessonStudy,
)
from peixun.resources import service as resources
from peixun.spaces.queries import members_page
from peixun.spaces.views import SPACE, load_space, render_in_space
from peixun.threads import queries as thread_queries
from peixun.threads import service as threads
from peixun.threads.forms import PostForm

bp = Blueprint("lessons", __name__)


def _me() -> User:
    return current_user._get_current_object()


def load_study(study_id: int) -> LessonStudy:
    study = queries.study_for_page(sane_id_or_404(study_id))
    if study is None:
        abort(404)
    return study


def _back(study: LessonStudy, anchor: str = ""):
    return redirect(url_for("lessons.show", study_id=study.id, _anchor=anchor or None))


@bp.route(SPACE + "/lessons")
def list_studies(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("lesson.list", space)
    return render_in_space("lessons/list.html", space, "lessons", page=queries.study_list(space, page_arg()))


@bp.route(SPACE + "/lessons/new", methods=["GET", "POST"])
@posting
def new_study(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("lesson.create", space)
    form = StudyForm()
    members = members_page(space, 1, per_page=500).items
    form.teacher.choices = [SelectChoice(user.id, user.display_name) for user in members]
    if form.validate_on_submit():
        teacher = db.session.get(User, form.teacher.data)
        data = service.StudyData(
            title=form.title.data or "",
            theme=form.theme.data or "",
            teacher=teacher,
            question=form.question.data or "",
            subject=form.subject.data or "",
            stage=form.stage.data or "",
            grade=form.grade.data or "",
            unit=form.unit.data or "",
            schedule=form.schedule.data or "",
        )
        try:
            study = service.create_study(_me(), space, data)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash("课例研究已创建，现在是“计划研讨”阶段。", "success")
            return redirect(url_for("lessons.show", study_id=study.id))
    return render_in_space("lessons/new.html", space, "lessons", form=form), form_status(form)


@bp.route("/l/<int:study_id>")
def show(study_id: int):
    study = load_study(study_id)
    require("lesson.view", study)
    remember_attachments(study)
    step = request.args.get("step", study.step if study.step != "finished" else "summary")
    if step not in STEPS or (study.thread_of(step) is None and step != study.step):
        abort(404)
    thread = study.thread_of(step)
    versions = queries.versions(study)
    rounds = [queries.round_summary(study, 1), queries.round_summary(study, 2)]
    return render_in_space(
        "lessons/show.html",
        study.space,
        "lessons",
        study=study,
        steps=STEPS,
        step_order=STEP_ORDER,
        shown_step=step,
        thread=thread,
        comments=thread_queries.thread_page(
            thread, current_user if current_user.is_authenticated else None, page_arg()
        )
        if thread
        else None,
        versions=versions,
        tasks=queries.tasks(study),
        rounds=rounds,
        comparison=queries.compare(*rounds) if rounds[1].observations else None,
        dimensions=DIMENSIONS,
        version_form=VersionForm() if study.step in PREPARATION_STEPS else None,
        observation_form=_observation_form(study, rounds[LESSON_ROUNDS[study.step] - 1].recordings)
        if study.step in LESSON_ROUNDS
        else None,
        recording_form=RecordingForm(recording_round=_latest_round(study))
        if STEP_ORDER.index("lesson1") <= study.step_index <= STEP_ORDER.index("summary")
        else None,
        assign_form=AssignForm(),
        summary_form=SummaryForm(data={"summary": study.summary}) if study.step == "summary" else None,
        comment_form=PostForm(),
        **_review_context(study),
    )


def _review_context(study: LessonStudy) -> dict:
    """自评, 自荐 and the appraisals the study takes part in, once its case is published."""
    if study.resource_id is None:
        return {"entries": []}
    entries = queries.study_entries(study)
    recommend_form = None
    if can_current("lesson.recommend", study):
        targets = queries.open_appraisals_for(study, entries)
        if targets:
            recommend_form = EntryForm()
            recommend_form.target.choices = [
                SelectChoice(a.id, f"{a.title}（{a.space.name} · {a.kind_label}）") for a in targets
            ]
    published = [e.id for e in entries if e.appraisal.state == "published"]
    return {
        "entries": entries,
        "entry_comments": queries.published_comments(published)
        if can_current("lesson.read_reviews", study)
        else {},
        "recommend_form": recommend_form,
        "self_review_form": SelfReviewForm(
            data={**(study.self_scores or {}), "self_review": study.self_review}
        )
        if can_current("lesson.self_review", study)
        else None,
        "rubric": RUBRIC,
        "rubric_total": RUBRIC_TOTAL,
    }


@bp.route("/l/<int:study_id>/advance", methods=["POST"])
def advance(study_id: int):
    study = load_study(study_id)
    require("lesson.lead", study)
    try:
        service.advance(_me(), study, request.form.get("step", ""))
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(f"已进入：{study.step_label}。", "success")
    return _back(study)


@bp.route("/l/<int:study_id>/versions", methods=["POST"])
@uploading
def add_version(study_id: int):
    study = load_study(study_id)
    require("lesson.write", study)
    form = VersionForm()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return _back(study, "versions")
    try:
        upload = None
        if form.file.data and form.file.data.filename:
            upload = resources.store_upload(form.file.data.stream, form.file.data.filename)
        version = service.add_version(_me(), study, form.body.data or "", form.note.data or "", upload)
    except ServiceError as error:
        flash(error.message, "error")
        return _back(study, "versions")
    flash(f"已提交{version.label}。", "success")
    return _back(study, "versions")


@bp.route("/l/<int:study_id>/diff")
def diff(study_id: int):
    study = load_study(study_id)
    require("lesson.view", study)
    versions = {v.number: v for v in queries.versions(study)}
    try:
        old, new = versions[int(request.args.get("a", ""))], versions[int(request.args.get("b", ""))]
    except (KeyError, ValueError):
        abort(404)
    return render_in_space(
        "lessons/diff.html",
        study.space,
        "lessons",
        study=study,
        old=old,
        new=new,
        d=diff_designs(old.body, new.body),
    )


def _latest_round(study: LessonStudy) -> int:
    return 2 if study.step_index >= STEP_ORDER.index("lesson2") else 1


def _observation_form(study: LessonStudy, recordings: list) -> ObservationForm:
    """观课方式: on site, or one of this round's recordings."""
    form = ObservationForm()
    form.video.choices = [SelectChoice(0, "现场观课")] + [
        SelectChoice(r.resource_id, f"观看录像：{r.resource.title}") for r in recordings
    ]
    return form


@bp.route("/l/<int:study_id>/recordings", methods=["POST"])
@uploading
def add_recording(study_id: int):
    study = load_study(study_id)
    require("lesson.write", study)
    form = RecordingForm()
    if not form.validate_on_submit() or not (form.recording_file.data and form.recording_file.data.filename):
        flash("；".join(e for errors in form.errors.values() for e in errors) or "请选择录像文件。", "error")
        return _back(study, "recordings")
    try:
        file = form.recording_file.data
        upload = resources.store_upload(file.stream, file.filename)
        service.add_recording(_me(), study, form.recording_round.data, upload, form.form_key.data)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash("课堂录像已上传，可在本页播放。", "success")
    return _back(study, "recordings")


@bp.route("/l/<int:study_id>/observe", methods=["POST"])
@posting
def observe(study_id: int):
    study = load_study(study_id)
    require("lesson.write", study)
    form = _observation_form(study, queries.recordings(study, LESSON_ROUNDS.get(study.step, 0)))
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return _back(study, "observe")
    data = service.ObservationData(
        ratings={d: getattr(form, d).data for d in DIMENSIONS},
        notes={d: getattr(form, f"{d}_note").data or "" for d in DIMENSIONS},
        classroom_notes=form.classroom_notes.data or "",
        video_resource_id=form.video.data or None,
    )
    try:
        service.observe(_me(), study, data)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash("观课记录已保存。", "success")
    return _back(study, "rounds")


@bp.route("/l/<int:study_id>/assign", methods=["POST"])
def assign(study_id: int):
    study = load_study(study_id)
    require("lesson.lead", study)
    form = AssignForm()
    if form.validate_on_submit():
        names = [n for n in (form.users.data or "").replace("，", ",").replace(" ", ",").split(",") if n]
        users = list(db.session.execute(select(User).where(User.username.in_(names[:50]))).scalars())
        try:
            service.assign(_me(), study, form.round.data, form.dimension.data, users)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash("分工已保存。", "success")
    return _back(study, "tasks")


@bp.route("/l/<int:study_id>/summary", methods=["POST"])
@posting
def summary(study_id: int):
    study = load_study(study_id)
    require("lesson.lead", study)
    form = SummaryForm()
    if form.validate_on_submit():
        try:
            service.save_summary(_me(), study, form.summary.data or "")
            if request.form.get("finish") == "1":
                service.finish(_me(), study, queries.case_markdown(study))
                flash("课例研究已完成，课例已发布到本空间的资源库。", "success")
                return _back(study)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash("总结已保存。", "success")
    return _back(study, "summary")


@bp.route("/l/<int:study_id>/comments", methods=["POST"])
@posting
def comment(study_id: int):
    study = load_study(study_id)
    require("lesson.write", study)
    thread = study.thread_of(study.step)
    form = PostForm()
    if thread is None:
        abort(404)
    if form.validate_on_submit():
        try:
            post = threads.post_reply(_me(), thread, form.body.data or "", form.form_key.data)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            return redirect(url_for("threads.permalink", post_id=post.id))
    return _back(study, "discussion")
