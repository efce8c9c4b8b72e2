"""Forms for sign-in, registration, passwords and profiles; they never write."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, Optional, Regexp, ValidationError

from peixun.accounts.models import USERNAME_PATTERN
from peixun.accounts.service import MAX_PASSWORD, MIN_PASSWORD
from peixun.core.vocab import STAGES, SUBJECTS, choices_of

REQUIRED = "此项必填。"
PASSWORD_LENGTH = f"密码长度应为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符。"


def optional_int(value: object) -> int | None:
    """The chosen id, None for the empty choice, -1 for junk (refused in pre_validate)."""
    if value in (None, ""):
        return None
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else -1


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[InputRequired(REQUIRED), Length(max=64)])
    password = PasswordField("密码", validators=[InputRequired(REQUIRED), Length(max=MAX_PASSWORD)])
    remember = BooleanField("记住我（14 天内免登录）")


class PasswordPair:
    new_password = PasswordField(
        "新密码", validators=[InputRequired(REQUIRED), Length(MIN_PASSWORD, MAX_PASSWORD, PASSWORD_LENGTH)]
    )
    confirm = PasswordField(
        "再次输入新密码",
        validators=[InputRequired(REQUIRED), EqualTo("new_password", "两次输入的密码不一致。")],
    )


class SchoolField(SelectField):
    """Schools grouped by region; the empty choice means "no school"."""

    def __init__(self, label: str = "任职学校", **kwargs: object) -> None:
        super().__init__(label, coerce=optional_int, validate_choice=False, **kwargs)  # type: ignore[arg-type]

    def set_schools(self, schools: list[tuple[int, str, str]], blank: str = "（不填）") -> None:
        self.choices = [SelectChoice("", blank)] + [
            SelectChoice(str(school_id), name, optgroup=region) for school_id, name, region in schools
        ]

    def pre_validate(self, form: object) -> None:
        known = {choice.value for choice in self.choices or []}  # type: ignore[union-attr]
        if self.data is not None and str(self.data) not in known:
            raise ValidationError("请选择列表中的学校。")


class RegisterForm(FlaskForm):
    username = StringField(
        "用户名",
        description="以英文字母开头，3–32 个小写字母、数字或下划线，登录时使用。",
        validators=[InputRequired(REQUIRED), Regexp(USERNAME_PATTERN, message="用户名格式不正确。")],
        filters=[lambda v: (v or "").strip().lower()],
    )
    real_name = StringField("姓名", validators=[InputRequired(REQUIRED), Length(max=32)])
    password = PasswordField(
        "密码", validators=[InputRequired(REQUIRED), Length(MIN_PASSWORD, MAX_PASSWORD, PASSWORD_LENGTH)]
    )
    confirm = PasswordField(
        "再次输入密码", validators=[InputRequired(REQUIRED), EqualTo("password", "两次输入的密码不一致。")]
    )
    school = SchoolField(validators=[Optional()])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "当前密码", validators=[InputRequired(REQUIRED), Length(max=MAX_PASSWORD)]
    )
    new_password = PasswordPair.new_password
    confirm = PasswordPair.confirm


class ProfileForm(FlaskForm):
    real_name = StringField("姓名", validators=[InputRequired(REQUIRED), Length(max=32)])
    # No Optional(): it would clear the "not a valid choice" error for whitespace.
    subject = SelectField("任教学科", choices=choices_of(SUBJECTS))
    stage = SelectField("任教学段", choices=choices_of(STAGES))
    school = SchoolField(validators=[Optional()])
    bio = TextAreaField("个人简介", validators=[Optional(), Length(max=500, message="简介最多 500 字。")])
