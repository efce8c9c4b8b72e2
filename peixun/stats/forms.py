"""Forms of the statistics pages and the roster import."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField


class RosterUploadForm(FlaskForm):
    file = FileField("学员信息表", description="Excel（.xlsx）或 CSV 文件，按模板填写；最大 10 MB。")
