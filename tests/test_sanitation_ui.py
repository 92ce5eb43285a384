"""The sanitation page through AppTest, on the demo county: a township's staff scores an
inspection on the grid (a score over its item's maximum refuses the whole sheet and names
the item; a good sheet saves and the total follows), the ranking shows the red flag and
its rule, the rectifications carry their workflow steps, and another township's head
sees none of it.

See tests/test_pages.py for why a copy of app.py runs from a folder without pages/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import transaction
from db.models import (
    SanitationCampaign,
    SanitationChecklist,
    SanitationChecklistItem,
    SanitationInspection,
    SanitationItemScore,
    SanitationPublication,
    User,
)
from portal import clock
from portal.org.scope import actor_for
from portal.programmes.sanitation import view as sv
from tests.conftest import demo_engine, open_signed_in, open_tab, served_app

TABS = "sanitation.tabs.view"  # the page's tabs: only the open one runs

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages/sanitation.py")


@pytest.fixture(scope="module")
def san_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    engine = demo_engine("sqlite", tmp_path_factory.mktemp("sanitation"))
    with served_app(tmp_path_factory, engine) as entry:
        yield engine, entry
    engine.dispose()


def open_page(entry: str, username: str) -> AppTest:
    return open_signed_in(entry, username, PAGE)


def texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "error", "info", "warning", "success")
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", "\n".join(str(m.value) for kind in kinds for m in getattr(at, kind)))


def table(at: AppTest, first_column: str) -> Any:
    """The first table whose first column is named so (AppTest keeps no key on a plain table)."""
    return next(df.value for df in at.dataframe if list(df.value.columns)[:1] == [first_column])


def campaign_options(at: AppTest) -> list[str]:
    return list(at.selectbox(key="sanitation.pick.campaign").options)


def test_a_township_scores_an_inspection_all_or_nothing(san_db) -> None:
    engine, entry = san_db
    at = open_page(entry, "staff")  # 陈静, 城关镇卫生院
    options = campaign_options(at)
    assert len(options) == 1 and options[0].startswith("城关镇爱国卫生月")
    inspection_id = at.selectbox(key="sanitation.pick.inspection").value
    with transaction(engine) as s:
        inspection = s.get_one(SanitationInspection, inspection_id)
        before = inspection.score
        scores = {
            r.item_id: (r.id, r.score, r.max_points, r.criterion)
            for r in s.scalars(select(SanitationItemScore).where(SanitationItemScore.inspection_id == inspection_id))
        }
    assert "评分表" in " ".join(str(h.value) for h in at.subheader)
    assert f"当前合计：{before:g} / 100 分" in texts(at)
    (first, (_, _, top, criterion)), (second, (_, score2, _, _)) = list(scores.items())[:2]
    key = f"sanitation.sheet.{inspection_id}"
    # one good change and one over its maximum: nothing is saved, the item is named
    at.number_input(key=f"{key}.cell.{first}.score").set_value(top + 5).run()
    new_second = 0.0 if score2 else 1.0
    at.number_input(key=f"{key}.cell.{second}.score").set_value(new_second).run()
    at.button(key=f"{key}.save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert f"“{criterion}”得分 {top + 5:g} 超过该项满分 {top:g} 分" in "\n".join(
        str(v) for df in at.dataframe for v in df.value.to_numpy().ravel()
    )
    with transaction(engine) as s:
        assert s.get_one(SanitationInspection, inspection_id).score == before
        assert s.get_one(SanitationItemScore, scores[second][0]).score == score2
    # put the first item back within its maximum: the sheet saves and the total follows
    at.number_input(key=f"{key}.cell.{first}.score").set_value(top).run()
    at.button(key=f"{key}.save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with transaction(engine) as s:
        saved = s.get_one(SanitationInspection, inspection_id)
        assert s.get_one(SanitationItemScore, scores[second][0]).score == new_second
        expected = before - scores[first][1] + top - score2 + new_second
        assert saved.score == pytest.approx(expected)
    assert f"当前合计：{saved.score:g} / 100 分" in texts(at)


def test_the_ranking_shows_the_flag_its_rule_and_its_history(san_db) -> None:
    _, entry = san_db
    at = open_tab(open_page(entry, "staff"), TABS, "sanitation.tab.ranking")
    shown = texts(at)
    assert "排名规则：按期间内各次检查得分的平均分排名" in shown
    assert "流动红旗：" in shown or "共同获得流动红旗" in shown
    ranking = table(at, "名次")
    assert list(ranking.columns)[:2] == ["名次", "区域"]
    assert "1" in str(ranking.iloc[0, 0]) and "城关农贸市场" in set(ranking["区域"])
    history = table(at, "周")
    assert len(history) >= 4
    assert any(b.label == "下载排名（Word）" for b in at.get("download_button"))
    at.toggle(key="sanitation.rank.grouped").set_value(True).run()  # villages within their township
    grouped = table(at, "组")
    assert list(grouped.columns)[:3] == ["组", "名次", "区域"]
    assert "流动红旗（各组第一）：" in texts(at)


def test_the_ranking_offers_months_and_days_and_lists_the_red_and_black_lists(san_db) -> None:
    _, entry = san_db
    at = open_tab(open_page(entry, "staff"), TABS, "sanitation.tab.ranking")
    period = at.selectbox(key="sanitation.rank.period")
    labels = list(period.options)  # as shown
    assert labels[0] == "整个活动"
    assert any(label.endswith("（月）") for label in labels) and any(label.endswith("（日）") for label in labels)
    shown = texts(at)
    assert "红榜" in shown and "黑榜" in shown
    ranking = table(at, "名次")
    first = ranking[ranking["名次"].astype(str).str.startswith("1")]["区域"].iloc[0]
    assert any(first in line and "第 1" in line for line in shown.splitlines())  # the red list's first line
    month = next(i for i, label in enumerate(labels) if label.endswith("（月）"))
    at.selectbox(key="sanitation.rank.period").select_index(month).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "名次" in table(at, "名次").columns


def test_rectifications_carry_their_steps(san_db) -> None:
    _, entry = san_db
    at = open_tab(open_page(entry, "staff"), TABS, "sanitation.tab.rect")
    labels = [b.label for b in at.button]
    assert "提交整改" in labels  # staff report rectification on the open ones
    assert "复查通过" not in labels  # and never verify
    head = open_tab(open_page(entry, "head"), TABS, "sanitation.tab.rect")
    assert "复查通过" in [b.label for b in head.button]


def test_another_township_sees_none_of_it(san_db) -> None:
    engine, entry = san_db
    at = open_page(entry, "dg_head")
    options = campaign_options(at)
    assert len(options) == 1 and options[0].startswith("东关镇")
    assert "城关" not in texts(at)
    with transaction(engine) as s:
        names = {c.name for c in s.scalars(select(SanitationCampaign))}
    assert {"城关镇爱国卫生月", "第一中学爱国卫生月卫生评比"} <= names  # they exist, unseen


PUBLIC = str(ROOT / "pages/sanitation_results.py")


def open_public(entry: str, token: str | None) -> AppTest:
    """An anonymous visitor (no session, no cookie) opening the public link."""
    at = AppTest.from_file(entry, default_timeout=90)
    at.run()
    at.switch_page(PUBLIC)
    if token is not None:
        at.query_params["t"] = token
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_an_anonymous_visitor_sees_only_the_published_ranking(san_db) -> None:
    engine, entry = san_db
    with transaction(engine) as s:
        campaign = s.scalar(select(SanitationCampaign).where(SanitationCampaign.name == "城关镇爱国卫生月"))
        head = actor_for(s, s.scalar(select(User).where(User.username == "head")))
        weeks = sv.weeks(campaign, clock.today())
        start, end = weeks[-2]  # last week
        pub = sv.publish(s, head, campaign.id, start, end, "城关镇爱国卫生月 上周卫生评比结果")
        token, pub_id = pub.token, pub.id
        expected = sv.ranking(s, head, campaign.id, start, end)
        inspectors = set(s.scalars(select(SanitationInspection.inspector)))
    at = open_public(entry, token)
    assert [x.value for x in at.title] == ["城关镇爱国卫生月 上周卫生评比结果"]
    assert not at.text_input and not at.button and not at.get("page_link")  # no login form, no menu, no actions
    (table,) = [df.value for df in at.dataframe]
    assert list(table["区域"]) == [r.zone for r in expected.rows]
    assert list(table["红旗"]).count("★") == len(expected.holders) >= 1
    shown = texts(at) + table.to_csv()
    assert not any(name in shown for name in inspectors)  # no inspector names
    assert "检查情况" not in shown and "照片" not in shown
    # a wrong link, an id, and the same link once withdrawn read alike: nothing published
    for guess in (token[:-2], str(pub_id), None):
        nothing = open_public(entry, guess)
        assert nothing.info[0].value == "没有找到公示内容：链接有误，或该公示已撤销。" and not nothing.dataframe
    with transaction(engine) as s:
        sv.unpublish(s, head, pub_id)
    gone = open_public(entry, token)
    assert not gone.dataframe and gone.info[0].value.startswith("没有找到公示内容")
    # the rest of the portal still wants a sign-in
    other = AppTest.from_file(entry, default_timeout=90)
    other.switch_page(str(ROOT / "pages/sanitation.py"))  # before the first run, as a typed URL
    other.query_params["t"] = token
    other.run()
    assert [w.label for w in other.text_input][:2] == ["用户名", "密码"] and not other.dataframe


def test_a_head_publishes_the_ranking_shown_from_the_page(san_db) -> None:
    engine, entry = san_db
    at = open_tab(open_page(entry, "head"), TABS, "sanitation.tab.ranking")
    [button] = [b for b in at.button if b.label == "公示"]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    with transaction(engine) as s:
        pub = s.scalars(
            select(SanitationPublication)
            .where(SanitationPublication.deleted_at.is_(None), SanitationPublication.published_by == "李秀英")
            .order_by(SanitationPublication.id.desc())
        ).first()
        assert pub is not None
        campaign = s.get_one(SanitationCampaign, pub.campaign_id)
        assert (pub.period_start, pub.period_end) == (campaign.start_date, campaign.end_date)  # the period shown
    assert f"/sanitation_results?t={pub.token}" in [c.value for c in at.code]
    staff = open_page(entry, "staff")
    assert "公示" not in [b.label for b in staff.button]  # staff never publish


def test_a_used_checklist_is_saved_as_a_new_version_and_the_page_says_so(san_db) -> None:
    engine, entry = san_db
    at = open_tab(open_page(entry, "admin"), TABS, "sanitation.tab.checklists")
    picked = at.selectbox(key="sanitation.checklist.pick")
    old_id = picked.value
    with transaction(engine) as s:
        old = s.get_one(SanitationChecklist, old_id)
        name, version, lock = old.name, old.version_no, old.version
    assert f"版本 {version}" in picked.format_func(old_id)
    assert f"保存修改将生成版本 {version + 1}" in texts(at)  # the demo scored inspections with it
    key = f"sanitation.checklist.{old_id}.{lock}"
    at.text_input(key=f"{key}.name").set_value(f"{name}（修订）").run()
    at.button(key=f"{key}.save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert f"已生成新版本：版本 {version + 1}" in texts(at)
    with transaction(engine) as s:
        new = s.scalar(select(SanitationChecklist).where(SanitationChecklist.supersedes_id == old_id))
        assert new is not None and (new.name, new.version_no) == (f"{name}（修订）", version + 1)
        assert s.get_one(SanitationChecklist, old_id).name == name  # the old version as it was
    assert at.selectbox(key="sanitation.checklist.pick").value == new.id


def test_one_tap_deducts_a_step_the_total_follows_and_save_writes_it(san_db) -> None:
    engine, entry = san_db
    at = open_page(entry, "staff")
    inspection_id = at.selectbox(key="sanitation.pick.inspection").value
    with transaction(engine) as s:
        before = s.get_one(SanitationInspection, inspection_id).score
        row = s.scalars(
            select(SanitationItemScore)
            .where(SanitationItemScore.inspection_id == inspection_id, SanitationItemScore.deleted_at.is_(None))
            .order_by(SanitationItemScore.id)
        ).first()
        item = s.get_one(SanitationChecklistItem, row.item_id)
        top, step, given = row.max_points, item.step, row.score
    key = f"sanitation.sheet.{inspection_id}"
    cell = f"{key}.cell.{item.id}.score"
    at.button(key=f"{key}.reset.{item.id}.score").click().run()  # back to full marks, then two taps
    at.button(key=f"{key}.tap.{item.id}.score").click().run()
    at.button(key=f"{key}.tap.{item.id}.score").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key=cell).value == top - 2 * step
    live = before - given + top - 2 * step
    assert f"当前合计：{live:g} / 100 分" in texts(at)
    with transaction(engine) as s:  # nothing written before Save
        assert s.get_one(SanitationItemScore, row.id).score == given
    at.button(key=f"{key}.save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with transaction(engine) as s:
        assert s.get_one(SanitationItemScore, row.id).score == top - 2 * step
        assert s.get_one(SanitationInspection, inspection_id).score == pytest.approx(live)
    # taps never go below 0
    for _ in range(int(top / step) + 2):
        at.button(key=f"{key}.tap.{item.id}.score").click().run()
    assert at.number_input(key=cell).value == 0


def test_a_ranking_published_by_groups_reads_by_groups_on_the_public_page(san_db) -> None:
    engine, entry = san_db
    at = open_tab(open_page(entry, "head"), TABS, "sanitation.tab.ranking")
    at.toggle(key="sanitation.rank.grouped").set_value(True).run()
    assert "将按组公示" in texts(at)
    [button] = [b for b in at.button if b.label == "公示"]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    with transaction(engine) as s:
        pub = s.scalars(
            select(SanitationPublication)
            .where(SanitationPublication.deleted_at.is_(None))
            .order_by(SanitationPublication.id.desc())
        ).first()
        assert pub is not None and pub.grouped
        head = actor_for(s, s.scalar(select(User).where(User.username == "head")))
        expected = sv.ranking(s, head, pub.campaign_id, pub.period_start, pub.period_end, grouped=True)
        names = sv.unit_names(s, {r.group_id for r in expected.rows if r.group_id}, "zh-CN")
    public = open_public(entry, pub.token)
    (table,) = [df.value for df in public.dataframe]
    assert list(table.columns) == ["组", "名次", "区域", "单位", "平均分", "红旗"]
    assert list(table["组"]) == [names[r.group_id or 0] for r in expected.rows]
    assert list(table["红旗"]).count("★") == len(expected.holders) >= 2  # a flag per group
    assert public.success[0].value.startswith("流动红旗（各组第一）：")
