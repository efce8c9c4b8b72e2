"""自评 and 自荐 from the study page; appraisals (组互评, 优秀课例评选): the list, opening
one, entries, allocating reviewers, scoring, publishing results and recommending upward."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from peixun.accounts.models import User
from peixun.core.db import sane_id_or_404
from peixun.core.errors import ServiceError, form_status, show_refusal
from peixun.core.pagination import page_arg
from peixun.core.policy import can_current, require
from peixun.extensions import db
from peixun.lessons import appraisals, queries
from peixun.lessons.forms import (
    AllocateForm,
    AppraisalForm,
    EntryForm,
    PublishForm,
    ReviewForm,
    SelfReviewForm,
)
from peixun.lessons.models import AWARDS, RUBRIC, RUBRIC_TOTAL, AppraisalEntry, AppraisalReview
from peixun.lessons.views import load_study
from peixun.spaces.views import SPACE, load_space, render_in_space

bp = Blueprint("appraisals", __name__)


def _me() -> User:
    return current_user._get_current_object()


def _scores(form) -> dict[str, object]:
    return {code: getattr(form, code).data for code in RUBRIC}


def _flash_errors(form) -> None:
    flash("；".join(e for errors in form.errors.values() for e in errors), "error")


def load_appraisal(appraisal_id: int):
    appraisal = queries.appraisal_for_page(sane_id_or_404(appraisal_id))
    if appraisal is None:
        abort(404)
    return appraisal


def _back(appraisal, anchor: str = "", **args: str):
    return redirect(url_for("appraisals.show", appraisal_id=appraisal.id, _anchor=anchor or None, **args))


# ---- from the study page ----


@bp.route("/l/<int:study_id>/self-review", methods=["POST"])
def self_review(study_id: int):
    study = load_study(study_id)
    require("lesson.self_review", study)
    form = SelfReviewForm()
    if not form.validate_on_submit():
        _flash_errors(form)
    else:
        try:
            appraisals.save_self_review(_me(), study, _scores(form), form.self_review.data or "")
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash("自评已保存。", "success")
    return redirect(url_for("lessons.show", study_id=study.id, _anchor="review"))


@bp.route("/l/<int:study_id>/recommend", methods=["POST"])
def recommend(study_id: int):
    """自荐: enter the study's published case in an open appraisal of its space or above."""
    study = load_study(study_id)
    require("lesson.recommend", study)
    form = EntryForm()
    targets = queries.open_appraisals_for(study, queries.study_entries(study))
    form.target.choices = [SelectChoice(a.id, a.title) for a in targets]
    if not form.validate_on_submit():
        _flash_errors(form)
    else:
        target = next(a for a in targets if a.id == form.target.data)
        try:
            appraisals.enter(_me(), target, study, source="self", statement=form.statement.data or "")
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(f"已报送到“{target.title}”。", "success")
    return redirect(url_for("lessons.show", study_id=study.id, _anchor="review"))


# ---- appraisals ----


@bp.route(SPACE + "/appraisals")
def list_appraisals(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("appraisal.list", space)
    return render_in_space(
        "lessons/appraisals/list.html", space, "lessons", page=queries.appraisal_list(space, page_arg())
    )


@bp.route(SPACE + "/appraisals/new", methods=["GET", "POST"])
def new_appraisal(prefix: str, slug: str):
    space = load_space(prefix, slug)
    require("appraisal.create", space)
    form = AppraisalForm()
    if not request.form and space.kind == "region":
        form.kind.data = "award"
    if form.validate_on_submit():
        data = appraisals.AppraisalData(
            kind=form.kind.data,
            title=form.title.data or "",
            description=form.description.data or "",
            entry_deadline=form.entry_deadline.data,
            review_deadline=form.review_deadline.data,
            reviewers_per_entry=form.reviewers_per_entry.data,
        )
        try:
            appraisal = appraisals.open_appraisal(_me(), space, data)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(f"已发起{appraisal.kind_label}。", "success")
            return redirect(url_for("appraisals.show", appraisal_id=appraisal.id))
    return render_in_space("lessons/appraisals/new.html", space, "lessons", form=form), form_status(form)


@bp.route("/a/<int:appraisal_id>")
def show(appraisal_id: int):
    appraisal = load_appraisal(appraisal_id)
    require("appraisal.view", appraisal)
    manages = can_current("appraisal.manage", appraisal)
    promotes = can_current("appraisal.promote", appraisal)
    entry_form = None
    if manages and appraisal.takes_entries:
        entry_form = EntryForm()
        entry_form.target.label.text = "选送的课例"  # the organiser picks a study, not an appraisal
        entry_form.target.choices = [
            SelectChoice(s.id, f"{s.title}（{s.space.name}）") for s in queries.eligible_studies(appraisal)
        ]
    rows = queries.entry_rows(appraisal, with_reviews=manages or promotes)
    return render_in_space(
        "lessons/appraisals/show.html",
        appraisal.space,
        "lessons",
        appraisal=appraisal,
        rows=rows,
        manages=manages,
        promotes=promotes,
        entry_form=entry_form,
        # A refused allocation comes back with the names typed (see allocate).
        allocate_form=AllocateForm(users=request.args.get("users", "")[:500]) if manages else None,
        publish_form=PublishForm() if manages else None,
        targets=queries.promotion_targets(appraisal) if promotes else [],
        went_up=queries.promoted_from(appraisal) if appraisal.state == "published" else {},
        awards=AWARDS,
        rubric=RUBRIC,
        rubric_total=RUBRIC_TOTAL,
    )


@bp.route("/a/<int:appraisal_id>/entries", methods=["POST"])
def add_entry(appraisal_id: int):
    """The organiser enters a study of her space (组织者选送)."""
    appraisal = load_appraisal(appraisal_id)
    require("appraisal.manage", appraisal)
    form = EntryForm()
    studies = {s.id: s for s in queries.eligible_studies(appraisal)}
    form.target.choices = [SelectChoice(i, s.title) for i, s in studies.items()]
    if not form.validate_on_submit():
        _flash_errors(form)
        return _back(appraisal, "entries")
    try:
        appraisals.enter(
            _me(),
            appraisal,
            studies[form.target.data],
            source="organiser",
            statement=form.statement.data or "",
        )
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash("已加入评选。", "success")
    return _back(appraisal, "entries")


@bp.route("/a/<int:appraisal_id>/allocate", methods=["POST"])
def allocate(appraisal_id: int):
    appraisal = load_appraisal(appraisal_id)
    require("appraisal.manage", appraisal)
    form = AllocateForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return _back(appraisal, "allocate")
    names = [
        n for n in form.users.data.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if n
    ]
    users = list(db.session.execute(select(User).where(User.username.in_(names[:100]))).scalars())
    unknown = sorted(set(names[:100]) - {u.username for u in users})
    if unknown:
        flash(f"没有这些用户：{'、'.join(unknown[:10])}。", "error")
        return _back(appraisal, "allocate", users=form.users.data)
    try:
        added = appraisals.allocate(_me(), appraisal, [u for u in users if u.is_active])
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back(appraisal, "allocate", users=form.users.data)
    else:
        flash(f"已分配 {added} 份评审任务。" if added else "每个课例的评审人都已分配齐。", "success")
    return _back(appraisal, "entries")


@bp.route("/a/<int:appraisal_id>/publish", methods=["POST"])
def publish(appraisal_id: int):
    appraisal = load_appraisal(appraisal_id)
    require("appraisal.manage", appraisal)
    if not PublishForm().validate_on_submit():
        abort(400)
    awards, shortlist = {}, set()
    for key, value in request.form.items():
        kind, _, ident = key.partition("-")
        if kind in ("award", "shortlist") and ident.isdigit() and len(ident) < 12:
            if kind == "award" and value:
                awards[int(ident)] = value
            elif kind == "shortlist" and value == "1":
                shortlist.add(int(ident))
    try:
        appraisals.publish(_me(), appraisal, awards, shortlist)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash("评选结果已公布。", "success")
    return _back(appraisal)


@bp.route("/a/entries/<int:entry_id>/promote", methods=["POST"])
def promote(entry_id: int):
    entry = db.session.execute(
        select(AppraisalEntry)
        .where(AppraisalEntry.id == sane_id_or_404(entry_id))
        .options(selectinload(AppraisalEntry.study))
    ).scalar_one_or_none()
    if entry is None:
        abort(404)
    appraisal = load_appraisal(entry.appraisal_id)
    require("appraisal.promote", appraisal)
    targets = {a.id: a for a in queries.promotion_targets(appraisal)}
    target = targets.get(request.form.get("target", type=int) or 0)
    if target is None:
        flash("请选择上级的优秀课例评选。", "error")
        return _back(appraisal, "results")
    try:
        appraisals.promote(_me(), entry, target)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(f"已推荐到“{target.title}”。", "success")
    return _back(appraisal, "results")


@bp.route("/a/reviews")
def my_reviews():
    require("appraisal.my_reviews")
    return render_template("lessons/appraisals/my_reviews.html", reviews=queries.my_reviews(_me().id))


@bp.route("/a/reviews/<int:review_id>", methods=["GET", "POST"])
def review(review_id: int):
    found = db.session.execute(
        select(AppraisalReview)
        .where(AppraisalReview.id == sane_id_or_404(review_id))
        .options(selectinload(AppraisalReview.entry).selectinload(AppraisalEntry.study))
    ).scalar_one_or_none()
    if found is None:
        abort(404)
    appraisal = load_appraisal(found.entry.appraisal_id)  # with its space, for the policy and the frame
    require("appraisal.read_review", found)
    writable = can_current("appraisal.review", found) and appraisal.takes_reviews
    form = ReviewForm(data={**(found.scores or {}), "comment": found.comment})
    if request.method == "POST":
        require("appraisal.review", found)
        if form.validate_on_submit():
            try:
                appraisals.submit_review(_me(), found, _scores(form), form.comment.data or "")
            except ServiceError as error:
                show_refusal(form, error)
            else:
                flash("评分已提交，截止前可以修改。", "success")
                return redirect(url_for("appraisals.review", review_id=found.id))
    study = found.entry.study
    return render_in_space(
        "lessons/appraisals/review.html",
        appraisal.space,
        "lessons",
        review=found,
        appraisal=appraisal,
        study=study,
        case_html=queries.case_html(study),
        form=form if writable else None,
        rubric=RUBRIC,
        rubric_total=RUBRIC_TOTAL,
    ), form_status(form)
