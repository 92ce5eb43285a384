"""The /training page through AppTest, on the demo county on its demo day: the demo trainer
finds today's session first, marks everyone present with one button, changes two
exceptions and saves once (audited marks in the database); a township's staff member sees
only their township's people on a county session, read-only; the county head's figures
are the service's numbers.

See tests/test_pages.py for why a copy of app.py runs from a folder without pages/.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import segno
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from db.engine import transaction
from db.models import AuditEntry, OrgUnit, TrainingAttendance, TrainingEnrolment, TrainingSession, User
from portal import clock, formatting
from portal.org.scope import actor_for
from portal.programmes.training import service as training
from portal.programmes.training import specs as tr
from tests.conftest import BACKENDS, demo_engine, open_tab, served_app

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages/training.py")
DEMO_DAY = dt.date(2026, 11, 30)  # a Monday; frozen at 10:00, so the morning half-day


@pytest.fixture(scope="module", params=BACKENDS)
def training_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with clock.frozen(DEMO_DAY):
        engine = demo_engine(request.param, tmp_path_factory.mktemp("training"))
    with served_app(tmp_path_factory, engine) as entry:
        yield engine, entry
    engine.dispose()


@pytest.fixture(autouse=True)
def demo_day() -> Iterator[None]:
    with clock.frozen(DEMO_DAY):
        yield


def open_training(entry: str, username: str) -> AppTest:
    at = AppTest.from_file(entry, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["lang"] = "zh-CN"
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "error", "info", "warning", "success")
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", "\n".join(str(m.value) for kind in kinds for m in getattr(at, kind)))


def today_session(engine: Any) -> TrainingSession:
    with transaction(engine) as s:
        run = s.scalar(select(TrainingSession).where(TrainingSession.start_date == DEMO_DAY))
        assert run is not None
        return run


def test_the_trainer_marks_todays_session_in_one_save(training_db: Any) -> None:
    engine, entry = training_db
    run = today_session(engine)
    at = open_training(entry, "trainer")
    assert at.selectbox(key="training.session").value == run.id  # today's own session first
    half = f"{DEMO_DAY.isoformat()}/am"
    grid = f"training.attendance.{run.id}.{half}"
    with transaction(engine) as s:
        people = list(
            s.scalars(
                select(TrainingEnrolment.id)
                .where(TrainingEnrolment.session_id == run.id)
                .order_by(TrainingEnrolment.id)
            )
        )
    assert len(people) == 21
    shown = texts(at)
    assert "未登记 21" in shown
    at.button(key=f"{grid}.fill").click().run()
    assert "出勤 21" in texts(at)
    at.segmented_control(key=f"{grid}.cell.{people[0]}.{half}").set_value("absent").run()
    at.segmented_control(key=f"{grid}.cell.{people[1]}.{half}").set_value("late").run()
    assert "出勤 19 · 迟到 1 · 早退 0 · 请假 0 · 缺勤 1" in texts(at)
    at.button(key=f"{grid}.save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with transaction(engine) as s:
        marks = dict(
            s.execute(
                select(TrainingAttendance.enrolment_id, TrainingAttendance.status).where(
                    TrainingAttendance.session_id == run.id, TrainingAttendance.half_day == half
                )
            ).all()
        )
        assert len(marks) == 21
        assert marks[people[0]] == "absent" and marks[people[1]] == "late"
        assert sum(v == "present" for v in marks.values()) == 19
        audited = s.scalar(
            select(func.count()).where(
                AuditEntry.record_type == "training_attendance", AuditEntry.actor_name == "trainer"
            )
        )
        assert audited == 21
    assert "出勤 19" in texts(at)  # the page reloaded from the database


def test_township_staff_see_their_own_people_read_only(training_db: Any) -> None:
    engine, entry = training_db
    with transaction(engine) as s:
        first = s.scalar(select(TrainingSession).where(TrainingSession.title == "协管员业务培训第一期"))
        assert first is not None
        cg = s.scalar(select(OrgUnit).where(OrgUnit.code == "cg"))
        assert cg is not None
        ours = set(
            s.scalars(
                select(TrainingEnrolment.person_name)
                .join(OrgUnit, OrgUnit.id == TrainingEnrolment.org_unit_id)
                .where(TrainingEnrolment.session_id == first.id, OrgUnit.path.startswith(cg.path))
            )
        )
        others = set(
            s.scalars(
                select(TrainingEnrolment.person_name)
                .join(OrgUnit, OrgUnit.id == TrainingEnrolment.org_unit_id)
                .where(TrainingEnrolment.session_id == first.id, ~OrgUnit.path.startswith(cg.path))
            )
        )
    assert ours and others
    at = open_training(entry, "staff")
    at.selectbox(key="training.session").set_value(first.id).run()
    assert not at.exception
    assert "只有本场次的培训负责人" in texts(at)
    roster = at.dataframe[0].value
    names = set(roster["姓名"])
    assert names == ours and not names & others
    assert all("****" not in phone for phone in roster["手机"])  # their own unit's phones in full
    assert not [b for b in at.button if b.key and b.key.endswith(".save")]  # nothing to save


def test_the_county_heads_figures_are_the_services(training_db: Any) -> None:
    engine, entry = training_db
    with transaction(engine) as s:
        head = s.scalar(select(User).where(User.username == "head"))
        assert head is not None
        actor = actor_for(s, head)
        units = training.unit_figures(s, actor, DEMO_DAY.year)
    results = sum(f.results for _, f in units)
    passed = sum(f.passed for _, f in units)
    excellent = sum(f.by_grade.get("excellent", 0) for _, f in units)
    assert results == 41 and passed == 41
    at = open_tab(open_training(entry, "head"), "training.tabs", "training.tab.figures")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["合格率"] == "100%"
    assert metrics["优秀率"] == formatting.pct(100 * excellent / results)
    charts = {}
    for chart in at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        title = spec.get("title")
        charts[title.get("text") if isinstance(title, dict) else title] = chart
    assert {"2026 年培训进度与目标", "各单位出勤率（目标 95%）", "各单位考核合格率（目标 100%）"} <= set(charts)
    rows = _chart_rows(charts["2026 年培训进度与目标"])
    by_label = {r["label"]: r for r in rows}
    assert (by_label["合格率"]["actual_text"], by_label["合格率"]["target_text"]) == ("100 %", "≥100 %")
    assert by_label["人均学时（协管员）"]["target_text"] == f"≥{tr.MIN_HOURS['assistant']:g} 学时"
    table = next(d.value for d in at.dataframe if "考核人数" in d.value.columns)
    assert dict(zip(table["单位"], table["考核人数"])) == {name: f.results for name, f in units}


def _chart_rows(chart: Any) -> list[dict[str, Any]]:
    spec = json.loads(chart.proto.spec)
    if chart.proto.data.data:
        return list(pa.ipc.open_stream(chart.proto.data.data).read_all().to_pylist())
    for values in (spec.get("datasets") or {}).values():
        return list(values)
    return list((spec.get("data") or {}).get("values") or [])


def test_the_trainer_writes_the_summary_and_downloads_the_paper(training_db: Any) -> None:
    engine, entry = training_db
    run = today_session(engine)
    at = open_training(entry, "trainer")
    at.text_area(key=f"training.narrative.{run.id}").input("第二期培训按计划开展。").run()
    at.button(key=f"training.narrative.{run.id}.save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with transaction(engine) as s:
        saved = s.get(TrainingSession, run.id)
        assert saved is not None and saved.summary == "第二期培训按计划开展。"
        entries = s.scalar(
            select(func.count()).where(
                AuditEntry.record_type == "training_sessions",
                AuditEntry.record_id == run.id,
                AuditEntry.actor_name == "trainer",
            )
        )
        assert entries == 1
    labels = {b.label for b in at.get("download_button")}
    assert {"签到表（Word）", "签到表（Excel）", "培训总结（Word）", "培训总结（Excel）", "证书名单（Excel）"} <= labels


SIGNIN = str(ROOT / "pages/signin.py")


def open_signin(entry: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(entry, default_timeout=60)
    at.session_state["lang"] = "zh-CN"
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(SIGNIN)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_trainee_signs_in_anonymously_and_learns_nothing_else(training_db: Any) -> None:
    from portal.programmes.training import signin

    engine, entry = training_db
    run = today_session(engine)
    with transaction(engine) as s:
        trainer = s.scalar(select(User).where(User.username == "trainer"))
        assert trainer is not None
        window = signin.open_window(s, actor_for(s, trainer), run.id, f"{DEMO_DAY.isoformat()}/pm", 30)
        window_id, code = window.id, signin.current_code(window)
        people = list(s.scalars(select(TrainingEnrolment).where(TrainingEnrolment.session_id == run.id)))
    person = people[3]
    roster_names = {p.person_name for p in people}
    at = open_signin(entry, {"w": str(window_id), "c": code})
    assert at.subheader[0].value == run.title
    assert [w.label for w in at.text_input] == ["姓名", "手机号后四位", "签到码（屏幕上显示的 6 位数字）"]
    assert at.text_input(key="signin.code").value == code
    shown = texts(at) + " ".join(str(x.value) for x in at.subheader)
    assert not {n for n in roster_names if n in shown}
    # a stranger: please see the trainer, and still no names
    at.text_input(key="signin.name").input("路人甲")
    at.text_input(key="signin.tail").input("0000")
    at.button[0].click().run()
    assert "未能自动签到，请找培训老师确认。" in texts(at)
    assert not {n for n in roster_names if n in texts(at)}
    # the person on the roster
    at.text_input(key="signin.name").input(person.person_name)
    at.text_input(key="signin.tail").input((person.phone or "")[-4:])
    at.button[0].click().run()
    assert "签到成功。" in texts(at)
    with transaction(engine) as s:
        mark = s.scalar(
            select(TrainingAttendance).where(
                TrainingAttendance.enrolment_id == person.id,
                TrainingAttendance.half_day == f"{DEMO_DAY.isoformat()}/pm",
            )
        )
        assert mark is not None and (mark.status, mark.method) == ("present", "self")
    # no window, or a guessed one: nothing but "not open"
    for query in ({}, {"w": "987654"}, {"w": "abc"}):
        at = open_signin(entry, query)
        assert "签到未开放或已结束" in texts(at) and not at.text_input


def test_the_trainer_sees_the_code_and_accepts_a_walk_in(training_db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    from db.models import TrainingSigninWindow, TrainingWalkin
    from portal.programmes.training import signin
    from tests.test_training_qr import png_modules

    stored: list[tuple[bytes, str]] = []  # the images the page handed to Streamlit's media store
    keep = MemoryMediaFileStorage.load_and_get_id

    def spy(self: Any, data: Any, mimetype: str, *args: Any, **kwargs: Any) -> str:
        stored.append((data, mimetype))
        return keep(self, data, mimetype, *args, **kwargs)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)

    engine, entry = training_db
    run = today_session(engine)
    with transaction(engine) as s:
        window = s.scalar(select(TrainingSigninWindow).where(TrainingSigninWindow.session_id == run.id))
        assert window is not None  # opened by the test before
        code = signin.current_code(window)
        walkin = s.scalar(select(TrainingWalkin).where(TrainingWalkin.person_name == "路人甲"))
        assert walkin is not None and walkin.status == "pending"
    at = open_training(entry, "trainer")
    assert code in [str(m.value) for m in at.metric]
    assert f"/signin?w={window.id}&c={code}" in texts(at)
    # the QR beside the code: a PNG of the full sign-in link carrying the current code
    link = re.search(r"(http://\S+/signin\?w=\d+&c=\d{6})", texts(at))
    assert link is not None and link.group(1).endswith(f"/signin?w={window.id}&c={code}")
    assert len(at.get("image")) == 1 and at.get("image")[0].proto.imgs[0].url.endswith(".png")
    pngs = [data for data, mimetype in stored if mimetype == "image/png"]
    assert pngs, stored
    qr = segno.make_qr(link.group(1), error="m", boost_error=False)
    assert png_modules(pngs[-1]) == [[bool(c) for c in row] for row in qr.matrix]
    assert "路人甲 · ****0000" in texts(at)
    at.selectbox(key=f"training.walkin.category.{walkin.id}").set_value("informant").run()
    at.button(key=f"training.walkin.accept.{walkin.id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with transaction(engine) as s:
        added = s.scalar(
            select(TrainingEnrolment).where(
                TrainingEnrolment.session_id == run.id, TrainingEnrolment.person_name == "路人甲"
            )
        )
        assert added is not None and added.category == "informant"
        assert s.get(TrainingWalkin, walkin.id).status == "accepted"
        mark = s.scalar(select(TrainingAttendance).where(TrainingAttendance.enrolment_id == added.id))
        assert mark is not None and mark.half_day == window.half_day and mark.status == "present"


def test_the_roster_upload_is_offered_to_who_may_import_only(training_db: Any) -> None:
    # AppTest cannot send a file; the check and the import behind the box are the service's
    # (test_training: an office roster without a session column, a GBK roster twice).
    _engine, entry = training_db
    assert open_training(entry, "trainer").get("file_uploader")
    assert not open_training(entry, "viewer").get("file_uploader")
