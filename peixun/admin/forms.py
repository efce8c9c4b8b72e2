"""Forms for the administration pages: spaces, roles and accounts; they never write."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from peixun.accounts.forms import PASSWORD_LENGTH, SchoolField, optional_int
from peixun.accounts.models import USERNAME_PATTERN
from peixun.accounts.service import MAX_PASSWORD, MIN_PASSWORD
from peixun.core.db import MAX_ID
from peixun.core.policy import ROLES
from peixun.core.vocab import STAGES, SUBJECTS, choices_of
from peixun.spaces.models import REGION, REGION_LEVELS, ROLE_KINDS, ROLE_LABELS, SCHOOL, WORKSHOP

REQUIRED = "此项必填。"
PICK_FROM_LIST = "请从列表中选择。"
# Fields only some kinds of space have; the rest are removed from the form.
KIND_FIELDS = {REGION: {"region_level"}, SCHOOL: set(), WORKSHOP: {"subject", "stage", "is_open"}}
OPTIONAL_FIELDS = ("region_level", "subject", "stage", "description", "is_open")


def _lower(value: str | None) -> str:
    return (value or "").strip().lower()


def _strip(value: str | None) -> str:
    return (value or "").strip()


class SpaceForm(FlaskForm):
    """A region, school or workshop; `space_form()` trims it to the fields of one kind."""

    kind: str = REGION

    name = StringField(
        "名称",
        validators=[InputRequired(REQUIRED), Length(max=80, message="名称最多 80 字。")],
        filters=[_strip],
    )
    slug = StringField(
        "网址标识",
        description="2–64 个小写字母、数字或连字符，出现在网址中，如 xingyi-chuzhong-yuwen。",
        validators=[InputRequired(REQUIRED), Length(max=64, message="网址标识最多 64 个字符。")],
        filters=[_lower],
    )
    parent = SelectField("上级区域", coerce=optional_int, invalid_choice_message="请选择列表中的区域。")  # type: ignore[arg-type]
    region_level = SelectField(
        "区域级别",
        choices=[SelectChoice(value, label) for value, label in REGION_LEVELS.items()],
        default="county",
        invalid_choice_message=PICK_FROM_LIST,
    )
    subject = SelectField(
        "学科", choices=choices_of(SUBJECTS), default="", invalid_choice_message=PICK_FROM_LIST
    )
    stage = SelectField("学段", choices=choices_of(STAGES), default="", invalid_choice_message=PICK_FROM_LIST)
    description = TextAreaField(
        "简介", validators=[Optional(), Length(max=2000, message="简介最多 2000 字。")], filters=[_strip]
    )
    is_open = BooleanField("接受加入申请（教师可以申请加入本工作坊）", default=True)
    host = StringField(
        "首位坊主的用户名",
        description="工作坊至少要有一位坊主；建立后可在编辑页任命更多坊主。",
        validators=[InputRequired(REQUIRED), Length(max=64)],
    )

    def validate_parent(self, field: SelectField) -> None:
        if field.data is None and self.kind != REGION:
            raise ValidationError("请选择上级区域。")

    def space_fields(self) -> dict[str, Any]:
        """The optional columns this kind of space has, as keyword arguments for the service."""
        return {name: self[name].data for name in OPTIONAL_FIELDS if name in self}


def space_form(
    kind: str, regions: list[tuple[int, str]], space: Any = None, *, submitted: bool = True
) -> SpaceForm:
    """The form for one kind of space; `submitted=False` ignores the request's form data."""
    form = SpaceForm(obj=space) if submitted else SpaceForm(formdata=None, obj=space)
    form.kind = kind
    keep = KIND_FIELDS[kind] | ({"host"} if kind == WORKSHOP and space is None else set())
    for name in ("region_level", "subject", "stage", "is_open", "host"):
        if name not in keep:
            delattr(form, name)
    blank = "（无，作为顶级区域）" if kind == REGION else "（请选择）"
    form.parent.choices = [SelectChoice("", blank)] + [SelectChoice(str(i), label) for i, label in regions]
    if space is not None and not (submitted and form.is_submitted()):
        form.parent.data = space.parent_id
    return form


class AppointForm(FlaskForm):
    username = StringField("用户名", validators=[InputRequired(REQUIRED), Length(max=64)])
    role = SelectField("角色", invalid_choice_message="这类空间中不能任命该角色。")

    def __init__(self, kind: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.role.choices = [SelectChoice(r, ROLE_LABELS[r]) for r in ROLES if kind in ROLE_KINDS[r]]


class RevokeForm(FlaskForm):
    """Hidden fields of a 撤销 button; anything malformed is a 400."""

    user_id = IntegerField(validators=[InputRequired(), NumberRange(1, MAX_ID)])
    role = SelectField(choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES])


class NewUserForm(FlaskForm):
    username = StringField(
        "用户名",
        description="以英文字母开头，3–32 个小写字母、数字或下划线，登录时使用。",
        validators=[InputRequired(REQUIRED), Regexp(USERNAME_PATTERN, message="用户名格式不正确。")],
        filters=[_lower],
    )
    real_name = StringField("姓名", validators=[InputRequired(REQUIRED), Length(max=32)])
    password = PasswordField(
        "初始密码",
        description="对方首次登录时须改为自己的密码。",
        validators=[InputRequired(REQUIRED), Length(MIN_PASSWORD, MAX_PASSWORD, PASSWORD_LENGTH)],
    )
    is_admin = BooleanField("平台管理员（可管理全站的空间、角色和账号）")
    school = SchoolField(validators=[Optional()])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "临时密码",
        description="对方用临时密码登录后须立即改为自己的密码。",
        validators=[InputRequired(REQUIRED), Length(MIN_PASSWORD, MAX_PASSWORD, PASSWORD_LENGTH)],
    )


class WordListForm(FlaskForm):
    words = TextAreaField(
        "敏感词表",
        description="每行一个词语，# 之后为注释；单字不可用（会误拦大量正常内容）。",
        validators=[Length(max=600_000, message="词表过长。")],
    )


class VocabularyForm(FlaskForm):
    """One list (学科, 学段 or 资源类型); the page shows one form per vocabulary."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST; prefixed forms would rename the token

    terms = TextAreaField("词条", description="每行一项，按显示顺序排列。", validators=[Length(max=4000)])
