"""The demo loader: the county it builds, its accounts, its audit trail, and that it is
all-or-nothing and never loads twice."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.models import (
    AuditEntry,
    HeActivity,
    HeCampaign,
    HeCampaignPlan,
    MonthlyReport,
    OrgUnit,
    OrgUnitPopulation,
    PlanItem,
    ProgressUpdate,
    Target,
    User,
)
from portal import clock, demo, periods
from portal.demo import DEMO_PASSWORD, DatabaseNotEmpty, is_empty, load_demo
from portal.org import auth, users
from portal.org import units as orgunits
from portal.org.scope import actor_for
from portal.programmes.plans import specs as plans
from tests.conftest import BACKENDS, fresh_engine

ROLE_ACCOUNTS = {
    "admin": "admin",
    "head": "head",
    "trainer": "trainer",
    "inspector": "inspector",
    "staff": "staff",
    "viewer": "viewer",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module", params=BACKENDS)
def demo_county(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, dict[str, int]]]:
    """One demo county per database for the tests that only read it (each rolls back what
    it tries). The demo runs up to the day it is loaded: here 30 November 2026."""
    engine = fresh_engine(request.param, tmp_path_factory.mktemp("demo"))
    with clock.frozen(DEMO_DAY):
        counts = load_demo(engine, fast=True)
    yield engine, counts
    engine.dispose()


DEMO_DAY = dt.date(2026, 11, 30)


def _units(s: Session) -> dict[str, OrgUnit]:
    return {u.code: u for u in s.scalars(select(OrgUnit))}


def _figure(s: Session, unit: OrgUnit, year: int, kind: str) -> int | None:
    return s.scalar(
        select(OrgUnitPopulation.value).where(
            OrgUnitPopulation.org_unit_id == unit.id, OrgUnitPopulation.year == year, OrgUnitPopulation.kind == kind
        )
    )


def _count(s: Session, model: Any) -> int:
    return s.scalar(select(func.count()).select_from(model)) or 0


def test_a_new_database_is_empty(engine: Engine) -> None:
    assert is_empty(engine)


def test_demo_builds_the_county_tree(demo_county: tuple[Engine, dict[str, int]]) -> None:
    engine, loaded = demo_county
    with Session(engine) as s:
        units = _units(s)
        roots = [u for u in units.values() if u.parent_id is None]
        assert len(roots) == 1 and roots[0].type == "bureau"
        root = roots[0]
        by_type = {
            t: [u for u in units.values() if u.type == t]
            for t in ("supervision", "cdc", "township_hc", "village_clinic", "school", "class")
        }
        assert [u.parent_id for u in by_type["supervision"]] == [root.id]
        assert [u.parent_id for u in by_type["cdc"]] == [root.id]
        townships = by_type["township_hc"]
        assert len(townships) >= 6
        assert {u.name_zh for u in townships} >= {
            "城关镇卫生院",
            "东关镇卫生院",
            "西河镇中心卫生院",
            "南山乡卫生院",
            "北坡乡卫生院",
            "清水镇卫生院",
        }
        for township in townships:
            assert township.parent_id == root.id
            villages = [u for u in by_type["village_clinic"] if u.parent_id == township.id]
            assert len(villages) >= 3, township.name_zh
            assert all(v.name_zh.endswith("村卫生室") for v in villages)
        [school] = by_type["school"]
        assert school.parent_id == root.id and school.name_zh == "示范县第一中学"
        assert len(by_type["class"]) >= 6
        assert all(c.parent_id == school.id for c in by_type["class"])
        # Bilingual names and short ASCII codes everywhere.
        assert all(u.name_en and CJK.search(u.name_zh) for u in units.values())
        assert all(re.fullmatch(r"[a-z0-9-]{2,12}", code) for code in units)
        assert loaded["org_units"] == len(units)
        assert loaded["townships"] == len(townships)
        assert loaded["village_clinics"] == len(by_type["village_clinic"])


def test_demo_population_figures_are_plausible(demo_county: tuple[Engine, dict[str, int]]) -> None:
    engine, loaded = demo_county
    with Session(engine) as s:
        units = list(_units(s).values())
        root = next(u for u in units if u.parent_id is None)
        for year in (2025, 2026):
            townships = [_figure(s, u, year, "resident") for u in units if u.type == "township_hc"]
            villages = [_figure(s, u, year, "resident") for u in units if u.type == "village_clinic"]
            classes = [_figure(s, u, year, "students") for u in units if u.type == "class"]
            school = next(u for u in units if u.type == "school")
            assert all(v is not None and 15_000 <= v <= 45_000 for v in townships)
            assert all(v is not None and 800 <= v <= 3_500 for v in villages)
            assert all(v is not None and 45 <= v <= 55 for v in classes)
            assert _figure(s, root, year, "resident") == sum(v or 0 for v in townships)
            assert _figure(s, school, year, "students") == sum(v or 0 for v in classes)
        assert loaded["populations"] == _count(s, OrgUnitPopulation)


def test_demo_has_one_account_per_role(demo_county: tuple[Engine, dict[str, int]]) -> None:
    engine, loaded = demo_county
    with Session(engine) as s:
        accounts = {u.username: u for u in s.scalars(select(User))}
        for username, role in ROLE_ACCOUNTS.items():
            assert accounts[username].role == role
            assert CJK.search(accounts[username].display_name)
        root_id = s.scalar(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)))
        for username in ("admin", "head", "viewer"):
            assert accounts[username].org_unit_id == root_id
        assert accounts["staff"].org_unit.type == "township_hc"
        assert accounts["inspector"].org_unit.type == "school"  # the classes it inspects are below it
        assert accounts["trainer"].org_unit.type in ("cdc", "bureau")
        assert accounts["dg_head"].role == "head"
        assert accounts["dg_head"].org_unit.name_zh == "东关镇卫生院"
        assert any(u.org_unit.type == "village_clinic" for u in accounts.values())
        assert loaded["users"] == len(accounts)


def test_demo_password_signs_in(demo_county: tuple[Engine, dict[str, int]]) -> None:
    engine = demo_county[0]
    with Session(engine) as s:
        for username in ROLE_ACCOUNTS:
            assert auth.authenticate(s, username, DEMO_PASSWORD).ok, username
        assert auth.authenticate(s, "admin", "wrong-password").reason == "bad_credentials"
        # fast=True means bcrypt cost 4 (tests); the product cost is checked below.
        assert s.scalar(select(User.password_hash).where(User.username == "admin")).startswith("$2b$04$")
        s.rollback()


def test_demo_accounts_use_the_product_bcrypt_cost(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def spy(session: Session, actor: Any, data: dict[str, Any]) -> User:
        seen.append(data["bcrypt_rounds"])
        raise RuntimeError("stop before hashing at cost 12")

    monkeypatch.setattr(users, "create", spy)
    with pytest.raises(RuntimeError):
        load_demo(engine)
    assert seen == [12]


def test_demo_staff_sees_only_their_township(demo_county: tuple[Engine, dict[str, int]]) -> None:
    engine = demo_county[0]
    with Session(engine) as s:
        staff = s.scalar(select(User).where(User.username == "staff"))
        assert staff is not None
        codes = {row.code for row in orgunits.tree(s, actor_for(s, staff))}
        township = staff.org_unit
        villages = {u.code for u in s.scalars(select(OrgUnit).where(OrgUnit.parent_id == township.id))}
        assert codes == {township.code} | villages


def test_demo_is_audited(demo_county: tuple[Engine, dict[str, int]]) -> None:
    engine, loaded = demo_county
    with Session(engine) as s:

        def entries(record_type: str) -> int:
            return (
                s.scalar(
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(AuditEntry.record_type == record_type, AuditEntry.action == "create")
                )
                or 0
            )

        assert entries("org_units") == loaded["org_units"]
        assert entries("org_unit_populations") == loaded["populations"]
        assert entries("users") == loaded["users"]
        assert entries("he_activities") == loaded["he_activities"] > 300
        assert entries("targets") == loaded["targets"] == 18
        # the county head hands the targets down and reviews the monthly reports; the units
        # with their own account plan and report as that account; everything else is the loader
        assert set(s.scalars(select(AuditEntry.actor_name).distinct())) == {
            "system",
            "head",
            "staff",
            "dg_head",
            "zx1_staff",
            "jds_staff",
        }
        assert set(s.scalars(select(AuditEntry.record_type).where(AuditEntry.actor_name == "head"))) == {
            "targets",
            "monthly_reports",
            "he_campaigns",  # the head launches and starts the 世界艾滋病日 campaign
            "he_campaign_goals",
        }
        for after in s.scalars(select(AuditEntry.after).where(AuditEntry.record_type == "users")):
            assert "password_hash" not in after


def test_demo_plans_and_reports(demo_county: tuple[Engine, dict[str, int]]) -> None:
    """A year of monthly plans from the templates, with progress, carry-over and the
    report cycle in every state."""
    engine, loaded = demo_county
    with Session(engine) as s:
        code = {u.id: u.code for u in s.scalars(select(OrgUnit))}
        items = list(s.scalars(select(PlanItem)))
        reports = list(s.scalars(select(MonthlyReport)))
        assert loaded["plan_items"] == len(items) > 200
        assert loaded["monthly_reports"] == len(reports) > 40
        assert loaded["progress_updates"] == _count(s, ProgressUpdate) > 150
        units = {code[i.org_unit_id] for i in items}
        assert units == {"cg", "dg", "xh", "ns", "bp", "qs", "zx1", "jds"}
        # the past twelve months and next month: every month for the townships, the school's
        # term months (no winter or summer holiday), the office's training calendar
        window = {f"2025-{m:02d}" for m in (12,)} | {f"2026-{m:02d}" for m in range(1, 13)}
        assert {i.month for i in items if code[i.org_unit_id] == "cg"} == window
        school = {i.month for i in items if code[i.org_unit_id] == "zx1"}
        assert {"2025-12", "2026-02", "2026-06", "2026-09", "2026-11"} <= school
        assert not school & {"2026-01", "2026-07", "2026-08"}
        assert {i.month for i in items if code[i.org_unit_id] == "jds"} >= {"2026-01", "2026-03", "2026-09"}
        assert all(i.owner_name for i in items)
        # past months: mostly done, the diligent townships more so; what is not done says why
        past = [i for i in items if i.month <= "2026-10"]
        by_status = {
            st: sum(1 for i in past if i.status == st) for st in ("done", "overdue", "postponed", "in_progress")
        }
        assert by_status["done"] > 0.7 * len(past) and by_status["overdue"] > 0 and by_status["postponed"] > 0

        def rate(unit: str) -> float:
            own = [i for i in past if code[i.org_unit_id] == unit and not i.carried_over]
            return sum(i.status == "done" for i in own) / len(own)

        assert rate("cg") > rate("bp")
        assert all(i.notes for i in past if i.status in plans.UNFINISHED)
        carried = [i for i in items if i.carried_over]
        assert carried and all(s.get(PlanItem, i.carried_from_id).status == "postponed" for i in carried)
        # reports: most approved (locked), some returned with a comment, some never sent, some late
        statuses = {st: [r for r in reports if r.status == st] for st in ("approved", "returned", "submitted", "draft")}
        assert len(statuses["approved"]) > 30 and all(r.locked for r in statuses["approved"])
        assert len(statuses["returned"]) >= 2 and all(r.review_comment for r in statuses["returned"])
        returned = {(code[r.org_unit_id], r.month) for r in statuses["returned"]}
        assert returned >= {("xh", "2026-07"), ("bp", "2026-06"), ("xh", "2026-10")}
        drafts = {(code[r.org_unit_id], r.month) for r in statuses["draft"]}
        assert drafts >= {("bp", "2026-04"), ("ns", "2026-08"), ("qs", "2026-10")}
        assert all(r.submitted_at is None for r in statuses["draft"])
        assert statuses["submitted"]  # the keener units' latest month waits for the head
        sent = [r for r in reports if r.submitted_at is not None]
        assert any(r.on_time is False for r in sent) and sum(bool(r.on_time) for r in sent) > len(sent) / 2
        for r in sent:  # in office hours, after the month, by the due-date rule
            local = clock.local(r.submitted_at)
            assert 8 <= local.hour <= 17 and local.date().strftime("%Y-%m") > r.month
            assert r.on_time == (local.date() <= r.due_date)
        # 004 篇7: 城关镇's January summary, problems and February plan
        january = next(r for r in reports if (code[r.org_unit_id], r.month) == ("cg", "2026-01"))
        assert january.status == "approved" and january.summary.startswith("一月份")
        assert "村卫生室人员业务水平" in january.problems and "二月份" in january.next_plan
        assert sum(1 for i in items if (code[i.org_unit_id], i.month) == ("cg", "2026-02")) >= 5

        # all through the services: audited, by the unit's own account where it has one
        def actions(record_type: str, action: str, actor: str | None = None) -> int:
            stmt = (
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.record_type == record_type, AuditEntry.action == action)
            )
            if actor:
                stmt = stmt.where(AuditEntry.actor_name == actor)
            return s.scalar(stmt) or 0

        assert actions("plan_items", "create") == len(items)
        assert actions("progress_updates", "create") == loaded["progress_updates"]
        assert actions("monthly_reports", "approve", "head") == len(statuses["approved"])
        assert actions("monthly_reports", "return", "head") > len(statuses["returned"])  # one came back again
        assert actions("monthly_reports", "submit") > len(sent)
        assert (
            actions("monthly_reports", "submit", "staff") >= 6 and actions("monthly_reports", "submit", "dg_head") >= 6
        )
        assert {r.submitted_by for r in sent if code[r.org_unit_id] == "cg"} == {"staff"}


def test_demo_campaigns_lifestyle_month_summarised_and_aids_day_planned(
    demo_county: tuple[Engine, dict[str, int]],
) -> None:
    """全民健康生活方式月 (September) summarised next to 世界无烟日 and 全国爱牙日, its activities
    attached; the running 世界艾滋病日 campaign with activities planned per unit, some
    townships behind and some activities without a photo."""
    engine, loaded = demo_county
    from portal.programmes.education import campaigns as ec
    from portal.records import attachments

    with Session(engine) as s:
        campaigns = {c.name: c for c in s.scalars(select(HeCampaign))}
        assert loaded["he_campaigns"] == len(campaigns) == 4
        month = campaigns["2026年全民健康生活方式月健康教育专题活动"]
        assert (month.status, month.start_date, month.end_date) == (
            "summarised",
            dt.date(2026, 9, 1),
            dt.date(2026, 9, 30),
        )
        acts = list(s.scalars(select(HeActivity).where(HeActivity.campaign_id == month.id)))
        assert len(acts) >= 7 and {a.theme_day for a in acts} == {"全民健康生活方式月"}
        assert all(dt.date(2026, 9, 1) <= a.activity_date <= dt.date(2026, 9, 30) for a in acts)
        assert f"共开展宣传活动 {len(acts)} 次" in (month.summary or "")
        photos = attachments.count(s, "he_activities", [a.id for a in acts], "photos")
        assert 0 < len(photos) < len(acts)  # some with a photo, some without
        assert {c.status for c in campaigns.values()} == {"summarised", "running"}

        aids = next(c for c in campaigns.values() if "世界艾滋病日" in c.name)
        head = actor_for(s, s.scalar(select(User).where(User.username == "head")))
        board = ec.board(s, head, aids.id, DEMO_DAY)
        assert aids.status == "running" and len(board.rows) == 7  # six townships and the school
        plans = list(s.scalars(select(HeCampaignPlan).where(HeCampaignPlan.campaign_id == aids.id)))
        assert plans and all(aids.start_date <= p.planned_date <= aids.end_date for p in plans)
        assert all(r.planned > 0 for r in board.rows)  # every unit planned its activities
        assert {r.planned for r in board.rows} == {2, 4}  # the less diligent planned half their goal
        assert sum(r.planned for r in board.rows) == len(plans)
        assert any(r.behind for r in board.rows) and not all(r.behind for r in board.rows)
        assert board.missing and len(board.missing) < len(board.activities)


def test_demo_refuses_a_database_with_data(engine: Engine, tree: dict[str, int]) -> None:
    assert not is_empty(engine)
    with pytest.raises(DatabaseNotEmpty) as caught:
        load_demo(engine, fast=True)
    assert "空数据库" in caught.value.message("zh-CN")
    assert "empty database" in caught.value.message("en")
    with Session(engine) as s:
        assert _count(s, OrgUnit) == len(tree)
        assert _count(s, User) == 0


def test_demo_never_loads_twice(demo_county: tuple[Engine, dict[str, int]]) -> None:
    engine = demo_county[0]
    with Session(engine) as s:
        before = (_count(s, OrgUnit), _count(s, User), _count(s, AuditEntry))
    with pytest.raises(DatabaseNotEmpty):
        load_demo(engine, fast=True)
    with Session(engine) as s:
        assert (_count(s, OrgUnit), _count(s, User), _count(s, AuditEntry)) == before


def test_demo_is_all_or_nothing(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    real_create = users.create

    def fail_on_viewer(session: Session, actor: Any, data: dict[str, Any]) -> User:
        # Fails late: after every org unit, population and most accounts were written.
        if data["username"] == "viewer":
            raise RuntimeError("disk full")
        return real_create(session, actor, data)

    monkeypatch.setattr(users, "create", fail_on_viewer)
    with pytest.raises(RuntimeError, match="disk full"):
        load_demo(engine, fast=True)
    assert is_empty(engine)
    with Session(engine) as s:
        for model in (OrgUnit, OrgUnitPopulation, User, AuditEntry):
            assert _count(s, model) == 0, model.__name__


def test_demo_module_constants() -> None:
    assert demo.DEMO_PASSWORD == "demo12345"
    assert {u.username for u in demo.USERS} >= set(ROLE_ACCOUNTS)


@pytest.mark.parametrize(
    "day",
    [dt.date(2027, 1, 1), dt.date(2026, 7, 7), dt.date(2026, 11, 30)],
    ids=["new-year", "fifth-working-day", "end-of-november"],
)
def test_every_township_has_last_month_and_this_month_whatever_the_day(tmp_path, day: dt.date) -> None:
    """The demo is generated relative to the day it is loaded: on 1 January, on the 5th
    working day of a month (7 July 2026) and on 30 November every township has plan items
    last month and this month, activities up to that day and this year's targets."""
    engine = fresh_engine("sqlite", tmp_path)
    try:
        with clock.frozen(day):
            load_demo(engine, fast=True)
        this = periods.month_key(day)
        last = periods.last_12_months(day)[-2]
        with Session(engine) as s:
            townships = {u.id: u.code for u in s.scalars(select(OrgUnit).where(OrgUnit.type == "township_hc"))}
            months = {(townships.get(i.org_unit_id), i.month) for i in s.scalars(select(PlanItem))}
            for code in townships.values():
                assert (code, this) in months and (code, last) in months, (code, day)
            latest = s.scalar(select(func.max(HeActivity.activity_date)))
            assert latest is not None and latest <= day and (day - latest).days < 45
            assert s.scalar(select(func.count()).select_from(Target).where(Target.period == str(day.year))) > 0
    finally:
        engine.dispose()


def test_the_demo_inspector_has_classrooms_to_score(demo_county) -> None:
    """The inspector belongs to the school's inspection group: its campaign and the six
    classrooms are in their scope, so the first screen has work in it."""
    from portal.programmes.sanitation import view as sv

    engine, _ = demo_county
    with clock.frozen(DEMO_DAY), Session(engine) as s:
        inspector = actor_for(s, s.scalar(select(User).where(User.username == "inspector")))
        found = sv.campaigns(s, inspector)
        assert found, "the inspector sees no sanitation campaign"
        zones = sv.zones_of(s, inspector, found[0])
        assert len(zones) >= 6 and all(z.zone_type == "classroom" for z in zones)
