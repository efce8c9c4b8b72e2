"""Forms for joining, inviting and study groups; they never write."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

REQUIRED = "此项必填。"


class InviteForm(FlaskForm):
    username = StringField("用户名", validators=[InputRequired(REQUIRED), Length(max=64)])


class GroupForm(FlaskForm):
    name = StringField("小组名称", validators=[InputRequired(REQUIRED), Length(max=80)])
    leader = StringField("组长用户名", validators=[InputRequired(REQUIRED), Length(max=64)])


class SpaceInfoForm(FlaskForm):
    """What a host or admin edits on the space itself; names and places are the site admin's."""

    description = TextAreaField(
        "简介", validators=[Optional(), Length(max=2000, message="简介最多 2000 字。")]
    )
    is_open = BooleanField("接受加入申请")
