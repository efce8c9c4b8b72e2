"""Forms of a lesson study: the plan, a design version, an observation, the summary."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from peixun.core.vocab import STAGES, SUBJECTS, choices_of
from peixun.lessons.models import APPRAISAL_KINDS, DIMENSIONS, RUBRIC
from peixun.resources.forms import DayField
from peixun.threads.forms import REQUIRED, BodyField, form_key_field

PICK = "请选择列表中的一项。"


class StudyForm(FlaskForm):
    title = StringField("课题", validators=[InputRequired(REQUIRED), Length(max=120)])
    theme = StringField("研修主题", validators=[InputRequired(REQUIRED), Length(max=120)])
    question = TextAreaField("研究问题", validators=[Optional(), Length(max=2000)])
    subject = SelectField("学科", choices=choices_of(SUBJECTS), invalid_choice_message=PICK)
    stage = SelectField("学段", choices=choices_of(STAGES), invalid_choice_message=PICK)
    grade = StringField("年级", validators=[Optional(), Length(max=20)])
    unit = StringField("教材单元", validators=[Optional(), Length(max=120)])
    teacher = SelectField("执教教师", coerce=int, invalid_choice_message=PICK)
    schedule = TextAreaField(
        "日程安排",
        description="每行一项，如：11月20日 一备；支持 Markdown。",
        validators=[Optional(), Length(max=5000)],
    )


class VersionForm(FlaskForm):
    body = BodyField("教学设计")
    note = StringField("本稿修改了什么", validators=[Optional(), Length(max=200)])
    file = FileField("附件（可选）", description="如教案的 Word 文档或课件。")


def _rating(label: str) -> IntegerField:
    return IntegerField(
        f"{label}（1–5 分）", validators=[InputRequired("请评分。"), NumberRange(1, 5, "请评 1–5 分。")]
    )


class ObservationForm(FlaskForm):
    goals = _rating(DIMENSIONS["goals"])
    goals_note = TextAreaField("教学目标：观察与建议", validators=[Optional(), Length(max=2000)])
    content = _rating(DIMENSIONS["content"])
    content_note = TextAreaField("教学内容：观察与建议", validators=[Optional(), Length(max=2000)])
    methods = _rating(DIMENSIONS["methods"])
    methods_note = TextAreaField("教学方法与手段：观察与建议", validators=[Optional(), Length(max=2000)])
    evaluation = _rating(DIMENSIONS["evaluation"])
    evaluation_note = TextAreaField("教学评价：观察与建议", validators=[Optional(), Length(max=2000)])
    classroom_notes = TextAreaField(
        "课堂实录",
        description="每行一条，如：08:35 小组讨论，第三组偏题；看录像时可写录像中的时间。",
        validators=[Optional(), Length(max=5000)],
    )
    # 0 is 现场观课; otherwise the id of the round's recording that was watched.
    video = SelectField(
        "观课方式", coerce=int, default=0, choices=[SelectChoice(0, "现场观课")], invalid_choice_message=PICK
    )


class RecordingForm(FlaskForm):
    # Names unlike the assign and observation forms' fields: they share the page (ids).
    recording_round = SelectField(
        "轮次", coerce=int, choices=[SelectChoice(1, "第一次上课"), SelectChoice(2, "第二次上课")]
    )
    recording_file = FileField(
        "课堂录像", description="MP4 或 WebM 视频；上传后在本页播放，并收入本空间资源库。"
    )
    form_key = form_key_field()


class AssignForm(FlaskForm):
    round = SelectField(
        "轮次", coerce=int, choices=[SelectChoice(1, "第一次上课"), SelectChoice(2, "第二次上课")]
    )
    dimension = SelectField(
        "观察维度", choices=[SelectChoice(code, label) for code, label in DIMENSIONS.items()]
    )
    users = StringField("观课教师（用户名，逗号分隔）", validators=[Optional(), Length(max=500)])


class SummaryForm(FlaskForm):
    summary = BodyField("磨课总结")


# ---- 自评, 组互评, 自荐 and 优秀课例评选 ----


def _with_rubric(cls: type) -> type:
    """Add one score field per RUBRIC criterion (the rubric is data: one place to change it)."""
    for code, (label, points, hint) in RUBRIC.items():
        setattr(
            cls,
            code,
            IntegerField(
                f"{label}（0–{points} 分）",
                description=hint,
                validators=[
                    InputRequired("请打分。"),
                    NumberRange(0, points, f"请打 0–{points} 分。"),
                ],
            ),
        )
    return cls


@_with_rubric
class SelfReviewForm(FlaskForm):
    self_review = TextAreaField(
        "自评意见",
        description="本组课例研究的成效与不足。支持 Markdown。",
        validators=[InputRequired(REQUIRED), Length(max=5000, message="最多 5000 字。")],
    )


@_with_rubric
class ReviewForm(FlaskForm):
    comment = TextAreaField("评审意见", validators=[Optional(), Length(max=2000, message="最多 2000 字。")])


class AppraisalForm(FlaskForm):
    kind = SelectField(
        "评价方式",
        choices=[SelectChoice(code, label) for code, label in APPRAISAL_KINDS.items()],
        invalid_choice_message=PICK,
    )
    title = StringField(
        "名称", validators=[InputRequired(REQUIRED), Length(max=120, message="最多 120 字。")]
    )
    description = TextAreaField(
        "说明",
        description="参加范围、评审要求、奖项设置。支持 Markdown。",
        validators=[Optional(), Length(max=5000, message="最多 5000 字。")],
    )
    entry_deadline = DayField("报送截止日期", validators=[InputRequired("请填写日期（如 2026-12-31）。")])
    review_deadline = DayField("评审截止日期", validators=[InputRequired("请填写日期（如 2026-12-31）。")])
    reviewers_per_entry = IntegerField(
        "每个课例的评审人数",
        default=3,
        validators=[InputRequired("请填写人数。"), NumberRange(1, 9, "请填 1–9 人。")],
    )


class EntryForm(FlaskForm):
    """自荐 from the study page (choose the appraisal) or the organiser's choice (the study)."""

    target = SelectField("报送到", coerce=int, invalid_choice_message=PICK)
    statement = TextAreaField("推荐理由", validators=[Optional(), Length(max=2000, message="最多 2000 字。")])


class AllocateForm(FlaskForm):
    users = StringField(
        "评审人（用户名，逗号分隔）",
        description="按报送顺序轮流分配，评审人不会分到本组的课例；已分配的保留。",
        validators=[InputRequired(REQUIRED), Length(max=2000)],
    )


class PublishForm(FlaskForm):
    """Only the CSRF token: the awards and the shortlist are read per entry (award-<id>,
    shortlist-<id>) because the number of entries varies."""
