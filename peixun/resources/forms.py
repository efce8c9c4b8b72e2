"""Forms for sharing and editing resources, recommending them upward, reviewing, calls."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from peixun.core.vocab import RESOURCE_TYPES, STAGES, SUBJECTS, choices_of
from peixun.resources.service import ResourceData
from peixun.threads.forms import REQUIRED, form_key_field

DESCRIPTION_HINT = "支持 Markdown：列表、表格、链接。写清楚适用的课题、年级和使用建议。"
PICK = "请选择列表中的一项。"


class ResourceForm(FlaskForm):
    title = StringField(
        "标题", validators=[InputRequired(REQUIRED), Length(max=120, message="标题最多 120 字。")]
    )
    type = SelectField(
        "资源类型", choices=choices_of(RESOURCE_TYPES, blank="（请选择）"), invalid_choice_message=PICK
    )
    subject = SelectField("学科", choices=choices_of(SUBJECTS), invalid_choice_message=PICK)
    stage = SelectField("学段", choices=choices_of(STAGES), invalid_choice_message=PICK)
    tags = StringField(
        "标签",
        description="用逗号或空格分开，最多 8 个，如：古诗词 群文阅读",
        validators=[Optional(), Length(max=200, message="标签太长。")],
    )
    description = TextAreaField(
        "简介",
        description=DESCRIPTION_HINT,
        validators=[Optional(), Length(max=5000, message="简介最多 5000 字。")],
    )
    link_url = StringField(
        "资源链接",
        description="分享网上的资源时填写（http:// 或 https:// 开头）；上传文件时可不填。",
        validators=[Optional(), Length(max=500, message="链接最多 500 个字符。")],
    )

    def data_for_service(self) -> ResourceData:
        return ResourceData(
            title=self.title.data or "",
            type=self.type.data or "",
            description=self.description.data or "",
            subject=self.subject.data or "",
            stage=self.stage.data or "",
            tags=self.tags.data or "",
            link_url=self.link_url.data or "",
        )


class ShareForm(ResourceForm):
    # A fresh key with every rendered form: a double submit shares once (STACK_NOTES 12).
    form_key = form_key_field()
    kept_file = HiddenField()
    file = FileField("文件", description="Word、PowerPoint、Excel、PDF、文本、图片、音频或视频。")
    submit = SubmitField("分享")


class RecommendForm(FlaskForm):
    target = SelectField("推荐到", coerce=int, invalid_choice_message=PICK)
    note = StringField(
        "推荐理由",
        description="可不填，遴选的坊主或管理员会看到。",
        validators=[Length(max=200, message="最多 200 字。")],
    )


class DecideForm(FlaskForm):
    reason = StringField(
        "未入选的理由",
        description="不选用时必填，推荐人会看到。",
        validators=[Length(max=200, message="最多 200 字。")],
    )


class DayField(DateField):
    """A date as 年-月-日, with the error in Chinese."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("请按 年-月-日 填写日期，如 2026-12-31。") from None


class CallForm(FlaskForm):
    title = StringField(
        "征集主题", validators=[InputRequired(REQUIRED), Length(max=120, message="最多 120 字。")]
    )
    description = TextAreaField(
        "征集说明",
        description="征集什么、有什么要求、如何评选。支持 Markdown。",
        validators=[Optional(), Length(max=5000, message="最多 5000 字。")],
    )
    deadline = DayField("截止日期", validators=[InputRequired("请填写截止日期（如 2026-12-31）。")])


class AnswerForm(FlaskForm):
    resource = SelectField("参加征集的资源", coerce=int, invalid_choice_message=PICK)
    note = StringField("说明", validators=[Length(max=200, message="最多 200 字。")])
