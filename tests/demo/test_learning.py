"""The demo's 学情: every teacher on the roster with a phone, most signed in and studying
on the days they wrote, a few never signed in and a few to urge; the pages `region` and
`host` open on it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from peixun.accounts.models import User
from peixun.accounts.service import find_user
from peixun.core.text import local
from peixun.demo import data
from peixun.demo.builder import load_demo
from peixun.extensions import db
from peixun.spaces.models import REGION, WORKSHOP, Space
from peixun.stats import queries, service
from peixun.stats.models import ActiveDay, Enrolment
from peixun.stats.queries import Period, china_today
from peixun.threads.models import Post


def test_the_roster_sign_ins_and_days_of_study(app, client, login_as, get_page):
    password = app.config["DEMO_PASSWORD"]
    assert load_demo(password) is not None
    enrolled = db.session.execute(select(func.count()).select_from(Enrolment)).scalar_one()
    assert enrolled >= data.TEACHERS
    phones = (
        db.session.execute(select(User.phone).join(Enrolment, Enrolment.user_id == User.id)).scalars().all()
    )
    assert len(set(phones)) == enrolled and all(p and len(p) == 11 for p in phones)
    never = db.session.execute(
        select(func.count())
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .where(User.last_login_at.is_(None))
    ).scalar_one()
    assert 0 < never < enrolled * 0.1
    # Whoever wrote on a day studied that day.
    days = set(db.session.execute(select(ActiveDay.user_id, ActiveDay.day)).all())
    sample = db.session.execute(select(Post.author_id, Post.created_at)).all()
    enrolled_ids = set(db.session.execute(select(Enrolment.user_id)).scalars())
    assert all((a, local(c).date()) in days for a, c in sample if a in enrolled_ids)
    city = db.session.execute(
        select(Space).where(Space.kind == REGION, Space.slug == data.CITY.slug)
    ).scalar_one()
    table = queries.table(city, Period(china_today() - timedelta(days=27), china_today()))
    assert table.by == "区域" and len(table.rows) == len(data.DISTRICTS)
    assert 90 < table.total.rate("report_rate") < 100 and 40 < table.total.rate("learn_rate") <= 100
    workshop = db.session.execute(
        select(Space).where(Space.kind == WORKSHOP, Space.slug == data.FIRST_WORKSHOP.slug)
    ).scalar_one()
    assert service.idle_members(workshop, 14)  # the host has someone to urge
    login_as(find_user("region"), password=password)
    assert "兴义市" in get_page(f"/r/{city.slug}/stats").get_text()
    client.delete_cookie("peixun_session")
    login_as(find_user("host"), password=password)
    page = get_page(f"/w/{workshop.slug}/stats?idle=14")
    assert page.select("#idle li") and page.find("a", string="生成本周学情通报")
