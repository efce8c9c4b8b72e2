"""Calls for submissions (定向征集): list, open, answer with one's own resource."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from peixun.core.db import get_or_404
from peixun.core.errors import ServiceError, form_status, show_refusal
from peixun.core.limits import posting
from peixun.core.pagination import page_arg
from peixun.core.policy import can_current, require
from peixun.resources import queries, service
from peixun.resources.forms import AnswerForm, CallForm
from peixun.resources.models import Call
from peixun.spaces.views import SPACE, load_space, render_in_space

bp = Blueprint("calls", __name__)


@bp.route(SPACE + "/calls")
def list_calls(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("resource.list", space)
    return render_in_space("resources/calls.html", space, "resources", calls=queries.calls_of(space))


@bp.route(SPACE + "/calls/new", methods=["GET", "POST"])
def new_call(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("call.create", space)
    form = CallForm()
    if form.validate_on_submit():
        try:
            call = service.open_call(
                current_user._get_current_object(),
                space,
                title=form.title.data or "",
                description=form.description.data or "",
                deadline=form.deadline.data,
            )
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash("定向征集已发布。", "success")
            return redirect(url_for("calls.show_call", call_id=call.id))
    return render_in_space("resources/call_form.html", space, "resources", form=form), form_status(form)


@bp.route("/calls/<int:call_id>", methods=["GET", "POST"])
@posting
def show_call(call_id: int):
    call = get_or_404(Call, call_id)
    require("call.view", call)
    form = AnswerForm()
    mine = (
        queries.own_resources(current_user._get_current_object()) if can_current("call.answer", call) else []
    )
    form.resource.choices = [(r.id, r.title) for r in mine]
    if request.method == "POST":
        require("call.answer", call)
        if form.validate_on_submit():
            chosen = next(r for r in mine if r.id == form.resource.data)
            try:
                entry = service.answer_call(
                    current_user._get_current_object(),
                    call,
                    queries.resource_for_page(chosen.id),
                    form.note.data or "",
                )
            except ServiceError as error:
                show_refusal(form, error)
            else:
                flash(f"已提交「{entry.resource.title}」，等待遴选。", "success")
                return redirect(url_for("calls.show_call", call_id=call.id))
    return render_in_space(
        "resources/call.html",
        call.space,
        "resources",
        call=call,
        form=form,
        answers=queries.call_answers(call, page_arg()),
        mine=mine,
    ), form_status(form)
