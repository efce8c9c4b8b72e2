"""Forms of the statistics pages and the roster import."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from peixun.threads.forms import REQUIRED, BodyField, form_key_field


class RosterUploadForm(FlaskForm):
    file = FileField("学员信息表", description="Excel（.xlsx）或 CSV 文件，按模板填写；最大 10 MB。")


class UrgeForm(FlaskForm):
    days = IntegerField(
        "多少天没有学习",
        validators=[InputRequired("请填写天数。"), NumberRange(1, 60, "天数须在 1–60 之间。")],
    )
    message = TextAreaField("提醒的话", validators=[Length(max=200, message="最多 200 字。")])


class ReportForm(FlaskForm):
    """The weekly 学情通报, drafted from the figures, finished by the host."""

    form_key = form_key_field()
    title = StringField("标题", validators=[InputRequired(REQUIRED), Length(max=120)])
    body = BodyField("通报内容")
    post = SubmitField("发布到工作坊研讨")
    brief = SubmitField("放入简报草稿")
