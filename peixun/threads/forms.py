"""Forms for threads and replies; "预览" re-renders the form on the server (no JavaScript)."""

from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from peixun.core.markdown import MAX_BODY_CHARS
from peixun.threads.models import KIND_LABELS, PERIODIC, QUESTION, TOPIC

REQUIRED = "此项必填。"
BODY_HINT = "支持 Markdown：标题、列表、表格、链接、图片和代码。"


class BodyField(TextAreaField):
    def __init__(self, label: str = "内容", **kwargs: object) -> None:
        too_long = f"内容最多 {MAX_BODY_CHARS} 字。"
        validators = [InputRequired(REQUIRED), Length(max=MAX_BODY_CHARS, message=too_long)]
        super().__init__(label, validators=validators, description=BODY_HINT, **kwargs)  # type: ignore[arg-type]


def new_form_key() -> str:
    return secrets.token_urlsafe(24)


def form_key_field() -> HiddenField:
    """A fresh key with every rendered form: the same form submitted twice acts once."""
    return HiddenField(default=new_form_key, validators=[Optional(), Regexp(r"^[A-Za-z0-9_-]{16,43}$")])


class PostForm(FlaskForm):
    form_key = form_key_field()
    body = BodyField()
    preview = SubmitField("预览")
    save_draft = SubmitField("保存草稿")
    submit = SubmitField("发布")


class ThreadForm(PostForm):
    kind = SelectField(
        "类型", choices=[SelectChoice(k, KIND_LABELS[k]) for k in (TOPIC, QUESTION)], validate_choice=False
    )

    def validate_kind(self, field: SelectField) -> None:
        if field.data not in {choice.value for choice in field.choices}:  # type: ignore[union-attr]
            raise ValidationError("请选择类型。")

    def offer_periodic(self) -> None:
        """Hosts and experts may also open a numbered 学习园地 topic."""
        self.kind.choices = [*self.kind.choices, SelectChoice(PERIODIC, "学习园地（自动编为第N期）")]

    title = StringField(
        "标题", validators=[InputRequired(REQUIRED), Length(max=120, message="标题最多 120 字。")]
    )
    is_public = BooleanField("公开（不勾选则仅自己可见）", default=True)


class EditForm(PostForm):
    title = StringField("标题", validators=[Length(max=120, message="标题最多 120 字。")])


class ModerationForm(FlaskForm):
    reason = StringField("理由", validators=[Length(max=200, message="理由最多 200 字。")])
