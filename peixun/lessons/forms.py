"""Forms of a lesson study: the plan, a design version, an observation, the summary."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from peixun.core.vocab import STAGES, SUBJECTS, choices_of
from peixun.lessons.models import DIMENSIONS
from peixun.threads.forms import REQUIRED, BodyField

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
        description="每行一条，如：08:35 小组讨论，第三组偏题",
        validators=[Optional(), Length(max=5000)],
    )


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
