"""LessonStudy (课例研究): its steps, design versions (一备/二备/三备), observation work
(分工观课) and observation records by the dimensions of seed 004."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from peixun.accounts.models import User
from peixun.core.db import AuthoredInSpace, CreatedMixin, IdMixin, UTCDateTime, utcnow
from peixun.extensions import db
from peixun.resources.models import Resource
from peixun.spaces.models import Space
from peixun.threads.models import Thread

# 三备两打磨 (seed 003) and 研课磨课 (seed 004), in order. The leader moves the study on.
STEPS = {
    "plan": "计划研讨",
    "prep1": "一备（个人备课）",
    "lesson1": "第一次上课与观课",
    "prep2": "二备（协同备课）",
    "lesson2": "第二次上课与观课",
    "prep3": "三备（反思备课）",
    "summary": "磨课总结",
    "review": "自评与推荐",
    "finished": "已完成",
}
STEP_ORDER = list(STEPS)
PREPARATION_STEPS = ("prep1", "prep2", "prep3")
LESSON_ROUNDS = {"lesson1": 1, "lesson2": 2}
# Seed 004: what observers look at.
DIMENSIONS = {
    "goals": "教学目标",
    "content": "教学内容",
    "methods": "教学方法与手段",
    "evaluation": "教学评价",
}
# How a lesson-study case is scored: by its group (自评), by other groups (组互评) and by
# judges (优秀课例评选). Seed 003 asks for all three on the same footing; the criteria follow
# seed 004's 研课磨课 (a real problem, designs that improve, observation by dimension, results).
RUBRIC = {
    "topic": ("研究主题与问题", 15, "主题聚焦课堂教学中的真实问题，研究问题明确、可操作"),
    "design": ("教学设计改进", 25, "三次备课有实质改进，每次修改有观课依据"),
    "observation": ("观课议课", 20, "分工观课，记录翔实，围绕目标、内容、方法与手段、评价展开"),
    "effect": ("教学实效", 20, "第二次上课较第一次有可见的改进"),
    "reflection": ("总结反思", 20, "总结提炼出可推广的经验与后续改进方向"),
}
RUBRIC_TOTAL = sum(points for _, points, _ in RUBRIC.values())
APPRAISAL_KINDS = {"peer": "组互评", "award": "优秀课例评选"}
AWARDS = {"first": "一等奖", "second": "二等奖", "third": "三等奖", "merit": "优秀奖"}
ENTRY_SOURCES = {"self": "自荐", "organiser": "组织者选送", "promoted": "下级推荐"}


class LessonStudy(IdMixin, CreatedMixin, AuthoredInSpace, db.Model):
    __tablename__ = "lesson_studies"
    __table_args__ = (Index("ix_lesson_studies_space_created", "space_id", "created_at"),)

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # the organiser
    title: Mapped[str] = mapped_column(String(120))  # the lesson (课题)
    theme: Mapped[str] = mapped_column(String(120))  # 研修主题
    question: Mapped[str] = mapped_column(Text, default="")  # 研究问题
    subject: Mapped[str] = mapped_column(String(20), default="")
    stage: Mapped[str] = mapped_column(String(20), default="")  # 学段
    grade: Mapped[str] = mapped_column(String(20), default="")
    unit: Mapped[str] = mapped_column(String(120), default="")  # 教材单元
    teacher_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # who teaches the lesson
    schedule: Mapped[str] = mapped_column(Text, default="")  # Markdown
    schedule_html: Mapped[str] = mapped_column(Text, default="")
    step: Mapped[str] = mapped_column(String(12), default="plan")
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    # The finished case, published as a resource of type 课例 (resources domain).
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # 自评: the group's own scores by RUBRIC and what it says of its work.
    self_scores: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    self_review: Mapped[str] = mapped_column(Text, default="")
    self_review_html: Mapped[str] = mapped_column(Text, default="")

    space: Mapped[Space] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    teacher: Mapped[User] = relationship(foreign_keys=[teacher_id])
    threads: Mapped[list[StepThread]] = relationship(order_by="StepThread.id", cascade="all, delete-orphan")

    @property
    def step_label(self) -> str:
        return STEPS[self.step]

    @property
    def step_index(self) -> int:
        return STEP_ORDER.index(self.step)

    @property
    def self_total(self) -> int | None:
        return sum(self.self_scores.values()) if self.self_scores else None

    def thread_of(self, step: str) -> Thread | None:
        return next((t.thread for t in self.threads if t.step == step), None)


class StepThread(IdMixin, db.Model):
    """Each step has its own discussion (the discussion machinery)."""

    __tablename__ = "lesson_step_threads"
    __table_args__ = (UniqueConstraint("study_id", "step"),)

    study_id: Mapped[int] = mapped_column(ForeignKey("lesson_studies.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(12))
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)

    thread: Mapped[Thread] = relationship()


class DesignVersion(IdMixin, CreatedMixin, db.Model):
    """One preparation of the lesson design: what changed between versions is the point."""

    __tablename__ = "lesson_design_versions"
    __table_args__ = (UniqueConstraint("study_id", "number"),)

    study_id: Mapped[int] = mapped_column(ForeignKey("lesson_studies.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 … in the order written
    step: Mapped[str] = mapped_column(String(12))  # prep1, prep2 or prep3
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(200), default="")  # what this version changes, and why
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"), nullable=True)
    filename: Mapped[str | None] = mapped_column(String(160), nullable=True)

    author: Mapped[User] = relationship()

    @property
    def label(self) -> str:
        return f"第{self.number}稿（{STEPS[self.step][:2]}）"


class ObservationTask(IdMixin, db.Model):
    """分工观课: who observes which dimension in which lesson round."""

    __tablename__ = "lesson_observation_tasks"
    __table_args__ = (UniqueConstraint("study_id", "round", "dimension", "user_id"),)

    study_id: Mapped[int] = mapped_column(ForeignKey("lesson_studies.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    dimension: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship()


class Recording(IdMixin, CreatedMixin, db.Model):
    """A recorded lesson round (课堂录像): a video resource in the study's space, played in
    the page so that members who were not in the classroom can observe it."""

    __tablename__ = "lesson_recordings"
    __table_args__ = (UniqueConstraint("study_id", "resource_id"),)

    study_id: Mapped[int] = mapped_column(ForeignKey("lesson_studies.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    resource: Mapped[Resource] = relationship()


class Observation(IdMixin, CreatedMixin, db.Model):
    """One observer's record of one lesson round, tied to the design version taught."""

    __tablename__ = "lesson_observations"
    __table_args__ = (UniqueConstraint("study_id", "round", "observer_id"),)

    study_id: Mapped[int] = mapped_column(ForeignKey("lesson_studies.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    version_id: Mapped[int] = mapped_column(ForeignKey("lesson_design_versions.id"))
    observer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Ratings 1–5 by dimension (seed 004), each with notes.
    goals: Mapped[int] = mapped_column(Integer)
    content: Mapped[int] = mapped_column(Integer)
    methods: Mapped[int] = mapped_column(Integer)
    evaluation: Mapped[int] = mapped_column(Integer)
    goals_note: Mapped[str] = mapped_column(Text, default="")
    content_note: Mapped[str] = mapped_column(Text, default="")
    methods_note: Mapped[str] = mapped_column(Text, default="")
    evaluation_note: Mapped[str] = mapped_column(Text, default="")
    # "08:35 小组讨论，第三组偏题", one a line.
    classroom_notes: Mapped[str] = mapped_column(Text, default="")
    # A recorded lesson, when observed from video: a resource played in the page.
    video_resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    observer: Mapped[User] = relationship()
    version: Mapped[DesignVersion] = relationship()
    video: Mapped[Resource | None] = relationship()

    def rating(self, dimension: str) -> int:
        return getattr(self, dimension)

    def note(self, dimension: str) -> str:
        return getattr(self, f"{dimension}_note")


class Appraisal(IdMixin, CreatedMixin, AuthoredInSpace, db.Model):
    """组互评 in a workshop or school, or 优秀课例评选 at a school, county, city or province:
    entries (自荐, chosen by the organiser, or promoted from the level below), reviewers
    allocated by the organiser who score by RUBRIC before a deadline, then published results
    with awards and a shortlist recommended to the next level up."""

    __tablename__ = "lesson_appraisals"
    __table_args__ = (Index("ix_lesson_appraisals_space_created", "space_id", "created_at"),)

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # the organiser
    kind: Mapped[str] = mapped_column(String(8))  # APPRAISAL_KINDS
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    entry_deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    review_deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewers_per_entry: Mapped[int] = mapped_column(Integer, default=3)
    state: Mapped[str] = mapped_column(String(10), default="open")  # open → published
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    space: Mapped[Space] = relationship()
    author: Mapped[User] = relationship()

    @property
    def kind_label(self) -> str:
        return APPRAISAL_KINDS[self.kind]

    @property
    def takes_entries(self) -> bool:
        return self.state == "open" and utcnow() < self.entry_deadline_at

    @property
    def takes_reviews(self) -> bool:
        return self.state == "open" and utcnow() < self.review_deadline_at

    @staticmethod
    def last_day(moment: datetime) -> datetime:
        """A deadline as people say it: it closes at the end of that day, China time."""
        return moment - timedelta(seconds=1)


class AppraisalEntry(IdMixin, CreatedMixin, db.Model):
    """One lesson study taking part in an appraisal."""

    __tablename__ = "lesson_appraisal_entries"
    __table_args__ = (UniqueConstraint("appraisal_id", "study_id"),)

    appraisal_id: Mapped[int] = mapped_column(ForeignKey("lesson_appraisals.id", ondelete="CASCADE"))
    study_id: Mapped[int] = mapped_column(ForeignKey("lesson_studies.id", ondelete="CASCADE"), index=True)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(10))  # ENTRY_SOURCES
    statement: Mapped[str] = mapped_column(Text, default="")  # 推荐理由
    # The entry of the level below that recommended this one (下级推荐).
    from_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("lesson_appraisal_entries.id", ondelete="SET NULL"), nullable=True
    )
    award: Mapped[str | None] = mapped_column(String(8), nullable=True)  # AWARDS, when published
    shortlisted: Mapped[bool] = mapped_column(Boolean, default=False)  # recommended upward

    appraisal: Mapped[Appraisal] = relationship()
    study: Mapped[LessonStudy] = relationship()
    entered_by: Mapped[User] = relationship()

    @property
    def award_label(self) -> str:
        return AWARDS.get(self.award or "", "")

    @property
    def source_label(self) -> str:
        return ENTRY_SOURCES[self.source]


class AppraisalReview(IdMixin, db.Model):
    """A reviewer allocated to an entry, and her scores once submitted."""

    __tablename__ = "lesson_appraisal_reviews"
    __table_args__ = (UniqueConstraint("entry_id", "reviewer_id"),)

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("lesson_appraisal_entries.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    allocated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    scores: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # RUBRIC code → points
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    entry: Mapped[AppraisalEntry] = relationship()
    reviewer: Mapped[User] = relationship()

    @property
    def policy_space(self) -> Space:
        return self.entry.appraisal.space

    @property
    def policy_owner_id(self) -> int:
        return self.reviewer_id
