"""Lesson-study operations: plan, advance a step, add a design version, divide and record
observations, sum up and finish (the case becomes a resource). Each commits once."""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from peixun.accounts.models import User
from peixun.accounts.service import clean_text
from peixun.core.db import utcnow
from peixun.core.errors import ServiceError
from peixun.core.markdown import MAX_BODY_CHARS, normalise, render
from peixun.core.vocab import STAGES, SUBJECTS, terms
from peixun.extensions import db
from peixun.lessons.models import (
    DIMENSIONS,
    LESSON_ROUNDS,
    PREPARATION_STEPS,
    STEP_ORDER,
    STEPS,
    DesignVersion,
    LessonStudy,
    Observation,
    ObservationTask,
    Recording,
    StepThread,
)
from peixun.lessons.queries import recordings
from peixun.resources import service as resources
from peixun.resources.files import KINDS
from peixun.spaces.models import GROUP, SCHOOL, WORKSHOP, Space
from peixun.spaces.service import is_member, record
from peixun.threads.service import open_comments

SPACE_KINDS = (GROUP, WORKSHOP, SCHOOL)


@dataclass
class StudyData:
    title: str
    theme: str
    teacher: User
    question: str = ""
    subject: str = ""
    stage: str = ""
    grade: str = ""
    unit: str = ""
    schedule: str = ""


def _markdown(text: str, field: str, limit: int = MAX_BODY_CHARS) -> tuple[str, str]:
    text = normalise(text or "")
    if len(text) > limit:
        raise ServiceError(f"最多 {limit} 字。", field)
    return text, render(text) if text.strip() else ""


def _open_step(study: LessonStudy, step: str) -> None:
    """Each step gets its own discussion when the study reaches it."""
    if step != "finished" and study.thread_of(step) is None:
        thread = open_comments(study.author, study.space, f"{study.title} · {STEPS[step]}")
        study.threads.append(StepThread(step=step, thread=thread))


def create_study(author: User, space: Space, data: StudyData) -> LessonStudy:
    if space.kind not in SPACE_KINDS:
        raise ServiceError("课例研究在研修小组、工作坊或学校中开展。")
    title, theme = clean_text(data.title, 120), clean_text(data.theme, 120)
    if not title:
        raise ServiceError("请填写课题。", "title")
    if not theme:
        raise ServiceError("请填写研修主题。", "theme")
    if data.subject not in ("", *terms(SUBJECTS)) or data.stage not in ("", *terms(STAGES)):
        raise ServiceError("请选择列表中的学科和学段。", "subject")
    if not is_member(data.teacher, space):
        raise ServiceError("执教教师须是本空间的成员。", "teacher")
    schedule, schedule_html = _markdown(data.schedule, "schedule", 5000)
    study = LessonStudy(
        space_id=space.id,
        author_id=author.id,
        title=title,
        theme=theme,
        question=normalise(data.question or "")[:2000],
        subject=data.subject,
        stage=data.stage,
        grade=clean_text(data.grade, 20),
        unit=clean_text(data.unit, 120),
        teacher_id=data.teacher.id,
        schedule=schedule,
        schedule_html=schedule_html,
    )
    study.space, study.author = space, author
    db.session.add(study)
    _open_step(study, "plan")
    db.session.flush()
    record(space, author, "lesson.created", title, study.id)
    db.session.commit()
    return study


def _versions_in(study: LessonStudy, step: str) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(DesignVersion)
        .where(DesignVersion.study_id == study.id, DesignVersion.step == step)
    ).scalar_one()


def _observations_in(study: LessonStudy, round_: int) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Observation)
        .where(Observation.study_id == study.id, Observation.round == round_)
    ).scalar_one()


def advance(actor: User, study: LessonStudy, expected: str) -> None:
    """Move to the next step. `expected` is the step the leader saw: a second click (or a
    second leader) cannot skip a step. Each step must have done its work first."""
    if study.step != expected:
        raise ServiceError("步骤已经变化，请刷新页面后再操作。")
    if study.step == "finished":
        raise ServiceError("课例研究已经完成。")
    if study.step in PREPARATION_STEPS and not _versions_in(study, study.step):
        raise ServiceError(f"{STEPS[study.step]}还没有教学设计，不能进入下一步。")
    if study.step in LESSON_ROUNDS and not _observations_in(study, LESSON_ROUNDS[study.step]):
        raise ServiceError("这一轮还没有观课记录，不能进入下一步。")
    if study.step == "summary":
        raise ServiceError("请在总结后点击“完成并发布课例”。")
    if study.step == "review" and not study.self_scores:
        raise ServiceError("请先完成自评，再结束本次课例研究。")
    study.step = STEP_ORDER[study.step_index + 1]
    _open_step(study, study.step)
    record(study.space, actor, "lesson.advanced", f"{study.title}：{study.step_label}", study.id)
    db.session.commit()


def latest_version(study: LessonStudy) -> DesignVersion | None:
    return (
        db.session.execute(
            select(DesignVersion)
            .where(DesignVersion.study_id == study.id)
            .order_by(DesignVersion.number.desc())
        )
        .scalars()
        .first()
    )


def add_version(
    author: User, study: LessonStudy, body: str, note: str = "", upload: tuple | None = None
) -> DesignVersion:
    """A preparation (一备/二备/三备) of the lesson design, in the current step only."""
    if study.step not in PREPARATION_STEPS:
        raise ServiceError("只有在一备、二备、三备阶段才能提交教学设计。")
    body, body_html = _markdown(body, "body")
    if not body.strip():
        raise ServiceError("请填写教学设计。", "body")
    number = (
        db.session.execute(
            select(func.max(DesignVersion.number)).where(DesignVersion.study_id == study.id)
        ).scalar_one()
        or 0
    ) + 1
    version = DesignVersion(
        study_id=study.id,
        number=number,
        step=study.step,
        author_id=author.id,
        body=body,
        body_html=body_html,
        note=clean_text(note, 200),
    )
    if upload is not None:
        version.blob_sha256, version.filename = upload[0].sha256, upload[1]
    db.session.add(version)
    try:
        db.session.commit()
    except IntegrityError:  # two versions saved at the same moment: ask to resubmit
        db.session.rollback()
        raise ServiceError("刚有人提交了新版本，请再提交一次。") from None
    return version


def assign(actor: User, study: LessonStudy, round_: int, dimension: str, users: list[User]) -> None:
    """分工观课: who observes this dimension in this round (replaces the earlier choice)."""
    if round_ not in (1, 2) or dimension not in DIMENSIONS:
        raise ServiceError("请选择观课轮次和观察维度。")
    for user in users:
        if not is_member(user, study.space):
            raise ServiceError(f"{user.display_name} 不是本空间的成员。", "users")
    db.session.execute(
        ObservationTask.__table__.delete().where(
            ObservationTask.study_id == study.id,
            ObservationTask.round == round_,
            ObservationTask.dimension == dimension,
        )
    )
    db.session.add_all(
        ObservationTask(study_id=study.id, round=round_, dimension=dimension, user_id=u.id) for u in users
    )
    db.session.commit()


def _share(
    author: User,
    study: LessonStudy,
    upload: tuple,
    title: str,
    type_: str,
    description: str,
    tags: str,
    form_key: str | None = None,
):
    """A file of the study shared in its space's library, with the study's subject and stage."""
    data = resources.ResourceData(
        title=title[:120],
        type=type_,
        description=description[:5000],
        subject=study.subject,
        stage=study.stage,
        tags=tags,
    )
    return resources.share(author, study.space, data, upload=upload, form_key=form_key)


def add_recording(
    uploader: User, study: LessonStudy, round_: int, upload: tuple, form_key: str | None = None
) -> Recording:
    """课堂录像 of a lesson round, from its lesson step until the summary is done: shared as a
    视频 resource of the study's space (so it is searchable and reaches the library) and
    played on the study page. The resource is committed first; a failure after that leaves
    it in the library, never loses the upload."""
    if round_ not in (1, 2) or not (
        STEP_ORDER.index(f"lesson{round_}") <= study.step_index <= STEP_ORDER.index("summary")
    ):
        raise ServiceError("只能在该次上课开始后、完成总结前上传课堂录像。", "video")
    if KINDS[upload[0].kind].media != "video":
        raise ServiceError("课堂录像请上传 MP4 或 WebM 视频。", "video")
    resource = _share(
        uploader,
        study,
        upload,
        f"{study.title} 第{round_}次上课录像",
        "视频",
        f"课例研究“{study.title}”第{round_}次上课的课堂录像。研修主题：{study.theme}",
        "课堂录像 课例研究",
        form_key,
    )
    found = next((r for r in recordings(study, round_) if r.resource_id == resource.id), None)
    if found is not None:  # the same form submitted twice: share() returned the first resource
        return found
    recording = Recording(study_id=study.id, round=round_, resource_id=resource.id, uploader_id=uploader.id)
    db.session.add(recording)
    db.session.commit()
    return recording


@dataclass
class ObservationData:
    ratings: dict[str, int]
    notes: dict[str, str]
    classroom_notes: str = ""
    video_resource_id: int | None = None


def observe(observer: User, study: LessonStudy, data: ObservationData) -> Observation:
    """Record (or update) one's observation of the lesson round now under way, tied to the
    design version being taught (the latest)."""
    round_ = LESSON_ROUNDS.get(study.step)
    if round_ is None:
        raise ServiceError("只有在上课与观课阶段才能填写观课记录。")
    version = latest_version(study)
    if version is None:
        raise ServiceError("还没有教学设计，无法观课。")
    for dimension in DIMENSIONS:
        if data.ratings.get(dimension) not in (1, 2, 3, 4, 5):
            raise ServiceError(f"请为“{DIMENSIONS[dimension]}”评 1–5 分。", dimension)
    found = db.session.execute(
        select(Observation).where(
            Observation.study_id == study.id,
            Observation.round == round_,
            Observation.observer_id == observer.id,
        )
    ).scalar_one_or_none()
    if found is None:
        found = Observation(study_id=study.id, round=round_, observer_id=observer.id)
        db.session.add(found)
    found.version_id = version.id
    for dimension in DIMENSIONS:
        setattr(found, dimension, data.ratings[dimension])
        setattr(found, f"{dimension}_note", normalise(data.notes.get(dimension, ""))[:2000])
    found.classroom_notes = normalise(data.classroom_notes or "")[:5000]
    if data.video_resource_id is not None and data.video_resource_id not in {
        r.resource_id for r in recordings(study, round_)
    }:
        raise ServiceError("请选择本次上课的录像，或选择现场观课。", "video")
    found.video_resource_id = data.video_resource_id
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError("观课记录刚被保存过，请刷新后再修改。") from None
    return found


def save_summary(actor: User, study: LessonStudy, text: str) -> None:
    if study.step != "summary":
        raise ServiceError("进入磨课总结阶段后才能填写总结。")
    study.summary, study.summary_html = _markdown(text, "summary")
    db.session.commit()


def finish(actor: User, study: LessonStudy, case_markdown: str) -> None:
    """End the summary step: publish the case (design versions, observations, summary) as a resource of type
    课例 in the study's space: searchable, and recommendable upward like any other."""
    if study.step != "summary":
        raise ServiceError("磨课总结之后才能完成。")
    if not study.summary.strip():
        raise ServiceError("请先填写磨课总结。", "summary")
    upload = resources.store_upload(io.BytesIO(case_markdown.encode()), f"{study.title} 课例研究.md")
    resource = _share(
        actor,
        study,
        upload,
        f"{study.title}（课例研究）",
        "课例",
        f"研修主题：{study.theme}\n\n{study.summary}",
        "课例研究 三备两打磨",
    )
    # Next: 自评, then 互评 and 自荐 in appraisals (lessons/appraisals.py).
    study.resource_id, study.step, study.finished_at = resource.id, "review", utcnow()
    _open_step(study, "review")
    record(study.space, actor, "lesson.finished", study.title, study.id)
    db.session.commit()
