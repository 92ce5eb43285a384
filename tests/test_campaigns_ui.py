"""The campaign board on /education through AppTest, on the demo county: the county head
sees every township's goals against what was done, who is behind and which activities lack
a photo, and launches the next theme day's campaign; a township sees only its own row."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from db.engine import transaction
from db.models import HeActivity, HeCampaign, HeCampaignGoal, User
from portal import clock
from portal.org.scope import actor_for
from portal.programmes.education import campaigns as ec
from tests.conftest import demo_engine, open_signed_in, open_tab, served_app

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages/education.py")


@pytest.fixture(scope="module")
def he_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    engine = demo_engine("sqlite", tmp_path_factory.mktemp("campaigns"))
    with served_app(tmp_path_factory, engine) as entry:
        yield engine, entry
    engine.dispose()


def open_page(entry: str, username: str) -> AppTest:
    return open_tab(
        open_signed_in(entry, username, PAGE), "education.tabs.area", "education.tab.campaigns"
    )  # only the open tab runs


def texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "error", "info", "warning", "success")
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", "\n".join(str(m.value) for kind in kinds for m in getattr(at, kind)))


def board_table(at: AppTest) -> Any:
    return next(df.value for df in at.dataframe if list(df.value.columns)[:2] == ["单位", "活动目标（次）"])


def _board(engine, username: str) -> ec.Board:
    with transaction(engine) as s:
        user = s.scalar(select(User).where(User.username == username))
        actor = actor_for(s, user)
        campaign = s.scalar(select(HeCampaign).where(HeCampaign.name.like("%世界艾滋病日%")))
        board = ec.board(s, actor, campaign.id, clock.today())
        board.rows  # noqa: B018 - loaded while the session is open
        return board


def test_the_head_sees_every_township_against_its_goals(he_db) -> None:
    engine, entry = he_db
    at = open_page(entry, "head")
    options = at.selectbox(key="education.pick.campaign").options
    assert any("世界艾滋病日" in o for o in options)
    expected = _board(engine, "head")
    shown = board_table(at)
    assert list(shown["单位"]) == [r.unit for r in expected.rows]
    assert list(shown["已开展活动（次）"]) == [r.activities for r in expected.rows]
    assert list(shown["受教育人数"]) == [r.people for r in expected.rows]
    behind = [r.unit for r in expected.rows if r.behind]
    assert behind and list(shown[shown["进度"] == "进度落后"]["单位"]) == behind  # some townships are behind
    missing = expected.missing
    assert missing and f"缺少照片的活动（{len(missing)} 次）" in texts(at)
    assert len(at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")) >= 1
    assert "完成总结" in [b.label for b in at.button]  # the organiser steps the campaign
    assert {"education.summary.docx", "education.summary.xlsx"} <= {b.key for b in at.download_button}


def test_a_township_sees_only_its_own_row(he_db) -> None:
    engine, entry = he_db
    at = open_page(entry, "staff")  # 陈静, 城关镇卫生院
    shown = board_table(at)
    assert list(shown["单位"]) == ["城关镇卫生院"]
    assert "完成总结" not in [b.label for b in at.button] and "发起专题活动" not in [b.label for b in at.button]
    assert _board(engine, "staff").rows[0].unit == "城关镇卫生院"


def test_the_head_launches_the_next_theme_day(he_db) -> None:
    engine, entry = he_db
    at = open_page(entry, "head")
    pick = at.selectbox(key="education.launch.day")
    # the running 世界艾滋病日 is marked as launched, and the form opens on the next one
    assert next(label for label in pick.options if "世界艾滋病日" in label).endswith("已发起")
    assert not str(pick.value).startswith("aids_day:")
    at.button(key="education.launch.go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with transaction(engine) as s:
        made = s.scalars(select(HeCampaign).order_by(HeCampaign.id.desc())).first()
        assert made is not None and "世界艾滋病日" not in made.name and made.status == "planned"
        goals = s.scalars(select(HeCampaignGoal).where(HeCampaignGoal.campaign_id == made.id)).all()
        assert len(goals) >= 3


def test_the_demo_has_this_year_s_earlier_campaigns_summarised(he_db) -> None:
    engine, _ = he_db
    with transaction(engine) as s:
        done = s.scalars(select(HeCampaign).where(HeCampaign.status == "summarised")).all()
        names = sorted(c.name for c in done)
        days = ("世界无烟日", "全国爱牙日", "全民健康生活方式月")
        assert names == sorted(f"{clock.today().year}年{n}健康教育专题活动" for n in days)
        for campaign in done:
            count = s.scalar(select(func.count()).select_from(HeActivity).where(HeActivity.campaign_id == campaign.id))
            assert count and f"共开展宣传活动 {count} 次" in (campaign.summary or "")


def test_a_home_page_link_opens_the_campaigns_tab(he_db) -> None:
    _, entry = he_db
    at = AppTest.from_file(entry, default_timeout=90)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "head"
    at.session_state["lang"] = "zh-CN"
    at.run()
    at.query_params["view"] = "campaigns"
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["education.tabs.area"] == "专题活动"
    assert "view" not in at.query_params  # read once


def test_a_head_launches_from_the_home_page_link_in_one_click(he_db) -> None:
    """The head's theme-day line on the home page links to /education?view=campaigns&theme=CODE:
    the 专题活动 tab opens with that theme day chosen in the launch form, and one click
    launches it with goals for the units below."""
    from portal.programmes.education import home

    engine, entry = he_db
    with transaction(engine) as s:
        actor = actor_for(s, s.scalar(select(User).where(User.username == "head")))
        line = next(x for x in home.todo(s, actor, clock.today(), "zh-CN") if x.kind == "theme_days")
        code = line.query["theme"]
        assert line.page == "education" and line.query["view"] == "campaigns"
        below = [u.id for u in ec.units_below(s, actor.org_unit_id)]
    at = AppTest.from_file(entry, default_timeout=90)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "head"
    at.session_state["lang"] = "zh-CN"
    at.run()
    for name, value in line.query.items():
        at.query_params[name] = value
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["education.tabs.area"] == "专题活动"
    assert "theme" not in at.query_params and "view" not in at.query_params  # read once
    assert str(at.selectbox(key="education.launch.day").value).split(":")[0] == code
    assert any(f"{len(below)} 个下级单位分配默认目标" in c.value for c in at.caption)
    at.button(key="education.launch.go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with transaction(engine) as s:
        made = s.scalars(select(HeCampaign).order_by(HeCampaign.id.desc())).first()
        assert made is not None and made.status == "planned"
        assert ec.theme_day(s, code).id == made.theme_day_id
        goals = s.scalars(select(HeCampaignGoal).where(HeCampaignGoal.campaign_id == made.id)).all()
        assert sorted(g.org_unit_id for g in goals) == sorted(below) and len(below) >= 3
        again = home.todo(s, actor, clock.today(), "zh-CN")
        assert next(x for x in again if x.kind == "theme_days").query.get("theme") != code  # launched: the next one


def test_the_head_drills_down_to_a_unit_s_activities(he_db) -> None:
    engine, entry = he_db
    at = open_page(entry, "head")
    expected = _board(engine, "head")
    at.selectbox(key="education.pick.campaign").select(expected.campaign.id).run()  # launches may come first
    unit = next(r for r in expected.rows if r.missing_photos and r.activities > r.missing_photos)  # both kinds
    assert not [df for df in at.dataframe if "照片" in list(df.value.columns)]  # nothing until a unit is chosen
    at.selectbox(key="education.board.unit").select(unit.unit_id).run()
    assert not at.exception, [e.value for e in at.exception]
    with transaction(engine) as s:
        user = s.scalar(select(User).where(User.username == "head"))
        rows = ec.unit_activities(s, actor_for(s, user), expected.campaign.id, unit.unit_id)
    shown = next(df.value for df in at.dataframe if "照片" in list(df.value.columns))
    assert list(shown["活动主题"]) == [a.title for a in rows] and len(rows) == unit.activities
    assert list(shown["受教育人数"]) == [a.participants for a in rows]
    assert list(shown["照片"]).count("缺少照片") == unit.missing_photos
    assert list(shown["活动形式"]) == [a.kind for a in rows]


def test_the_head_chooses_the_summary_photos_with_captions(he_db) -> None:
    from portal.programmes.education import summary

    engine, entry = he_db
    at = open_page(entry, "head")
    with transaction(engine) as s:
        actor = actor_for(s, s.scalar(select(User).where(User.username == "head")))
        cid = s.scalar(select(HeCampaign.id).where(HeCampaign.name.like("%世界艾滋病日%")))
        found = summary.candidates(s, actor, cid)
    assert len(found) >= 3
    at.selectbox(key="education.pick.campaign").select(cid).run()
    pick = at.multiselect(key=f"education.photos.pick.{cid}")
    assert pick.value == []  # nothing chosen yet: the summary chooses automatically
    chosen = [found[2].id, found[0].id]
    pick.set_value(chosen).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.text_input(key=f"education.photos.caption.{cid}.{found[2].id}").value == found[2].label
    at.text_input(key=f"education.photos.caption.{cid}.{found[2].id}").input("义诊现场").run()
    at.button(key=f"education.photos.save.{cid}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with transaction(engine) as s:
        campaign = s.get_one(HeCampaign, cid)
        assert summary.chosen(campaign) == [(found[2].id, "义诊现场"), (found[0].id, found[0].label)]
        word = summary.docx(s, actor, cid, "zh-CN")
    import docx

    document = docx.Document(io.BytesIO(word))
    assert len(document.inline_shapes) == 2
    texts_ = [p.text for p in document.paragraphs]
    assert "义诊现场" in texts_ and found[0].label in texts_ and found[1].label not in texts_
    assert at.multiselect(key=f"education.photos.pick.{cid}").value == chosen  # the choice shows on return
