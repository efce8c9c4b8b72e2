"""Site administration: regions, schools, workshops, roles and accounts."""

from __future__ import annotations

from flask import Blueprint, render_template

from peixun.core.policy import require
from peixun.spaces.queries import site_counts

bp = Blueprint("admin", __name__)


@bp.route("/")
def index():  # noqa: ANN201
    require("admin.access")
    return render_template("admin/index.html", counts=site_counts())


@bp.route("/spaces/<int:space_id>/edit", methods=["GET", "POST"])
def edit_space(space_id: int):  # noqa: ANN201
    require("admin.manage_spaces")
    return render_template("admin/index.html", counts=site_counts())
