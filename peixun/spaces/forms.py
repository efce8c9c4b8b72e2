"""Forms for joining, inviting and study groups; they never write."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

REQUIRED = "此项必填。"


class InviteForm(FlaskForm):
    username = StringField("用户名", validators=[InputRequired(REQUIRED), Length(max=64)])


class GroupForm(FlaskForm):
    name = StringField("小组名称", validators=[InputRequired(REQUIRED), Length(max=80)])
    leader = StringField("组长用户名", validators=[InputRequired(REQUIRED), Length(max=64)])
