"""Forms for writing, drafting from activity and withdrawing briefs."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from peixun.briefs.models import SERIES
from peixun.threads.forms import REQUIRED, BodyField, form_key_field

SERIES_CHOICES = [SelectChoice(code, label) for code, label in SERIES.items()]


class BriefForm(FlaskForm):
    form_key = form_key_field()
    series = SelectField(
        "简报系列", choices=SERIES_CHOICES, invalid_choice_message="请选择列表中的简报系列。"
    )
    title = StringField(
        "标题", validators=[InputRequired(REQUIRED), Length(max=120, message="标题最多 120 字。")]
    )
    body = BodyField("正文")
    preview = SubmitField("预览")
    save = SubmitField("保存草稿")


class DraftFromActivityForm(FlaskForm):
    series = SelectField(
        "简报系列", choices=SERIES_CHOICES, invalid_choice_message="请选择列表中的简报系列。"
    )


class WithdrawForm(FlaskForm):
    reason = StringField("撤回原因", validators=[InputRequired("请写明撤回的原因。"), Length(max=200)])
