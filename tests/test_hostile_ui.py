"""Hostile input as the pages see it (issue 8), through AppTest on a small county: a
report download that fails says so instead of handing over an empty file (4), and the
generic records screen logs no widget warning (14)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from db.engine import transaction
from portal.i18n import t
from portal.org.scope import SYSTEM
from portal.programmes.plans import reports
from portal.programmes.plans import specs as plans
from portal.records import service as rs
from tests.conftest import BACKENDS, fresh_engine, make_tree, make_user, open_tab, served_app

ROOT = Path(__file__).resolve().parents[1]
MONTH = "2026-10"


@pytest.fixture(scope="module", params=BACKENDS)
def county(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    engine = fresh_engine(request.param, tmp_path_factory.mktemp("hostile_ui"))
    ids = make_tree(engine)
    make_user(engine, "head", "head", ids["county"])
    make_user(engine, "staff", "staff", ids["t1"])
    with transaction(engine) as s:
        rs.create(s, SYSTEM, plans.PlanItemSpec, {"org_unit_id": ids["t1"], "month": MONTH, "title": "讲座"})
    with served_app(tmp_path_factory, engine) as entry:
        yield engine, entry, ids
    engine.dispose()


# only the open tab runs: a page opened with one of these in its state shows that tab
REPORT = {"plans.tabs.view": t("plans.tab.report")}
IO = {"he_activities.tabs.view": t("records.tab.io")}


def open_page(entry: str, username: str, page: str, **state: Any) -> AppTest:
    at = AppTest.from_file(entry, default_timeout=60)
    for key, value in {"authentication_status": True, "username": username, "lang": "zh-CN", **state}.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(str(ROOT / page))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], Any]]:
    """The callables download buttons hand to Streamlit, by file name: what the browser's
    click runs on the server."""
    found: dict[str, Callable[[], Any]] = {}
    original = MediaFileManager.add_deferred

    def capture(self: MediaFileManager, data_callable: Callable[[], Any], *args: Any, **kwargs: Any) -> str:
        found[kwargs.get("file_name") or ""] = data_callable
        return original(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", capture)
    return found


def test_a_failing_report_download_says_so_and_never_hands_over_an_empty_file(county, deferred, monkeypatch):
    _engine, entry, ids = county

    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("the builder failed")

    monkeypatch.setattr(reports, "monthly_report_docx", broken)
    at = open_page(entry, "staff", "pages/plans.py", **{"shell.period": MONTH, "shell.org_unit": ids["t1"], **REPORT})
    make = next(fn for name, fn in deferred.items() if name.endswith(".docx"))
    with pytest.raises(RuntimeError):  # the browser gets an error, not a 0-byte file
        make()
    at.download_button(key="plans.report.download_docx").click()  # what the browser's click also sends
    at.run()
    assert not at.exception
    assert t("download.failed") in [e.value for e in at.error]


def test_a_working_report_download_still_downloads(county, deferred):
    _engine, entry, ids = county
    open_page(entry, "staff", "pages/plans.py", **{"shell.period": MONTH, "shell.org_unit": ids["t1"], **REPORT})
    make = next(fn for name, fn in deferred.items() if name.endswith(".xlsx"))
    assert make()[:2] == b"PK"


def test_a_failing_export_says_so(county, deferred, monkeypatch):
    from portal.records import io as rio

    _engine, entry, _ids = county

    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("export failed")

    monkeypatch.setattr(rio, "export", broken)
    at = open_page(entry, "head", "pages/education.py", **IO)
    make = next(fn for name, fn in deferred.items() if name.endswith(".csv") and "模板" not in name)
    with pytest.raises(RuntimeError):  # the browser gets an error, not a 0-byte file
        make()
    at.download_button(key="he_activities.export.csv").click()
    at.run()
    assert t("download.failed") in [e.value for e in at.error]


def seed_activities(engine: Engine, unit: int, n: int) -> None:
    from portal.programmes.education.specs import HeActivitySpec

    with transaction(engine) as s:
        for i in range(n):
            rs.create(
                s,
                SYSTEM,
                HeActivitySpec,
                {"org_unit_id": unit, "activity_date": f"2026-03-{i % 28 + 1:02d}", "activity_type": "consultation",
                 "title": f"义诊{i}"},
            )  # fmt: skip


def test_the_records_screen_logs_no_widget_state_warning(county, caplog):
    import streamlit.elements.lib.policies as policies

    engine, entry, ids = county
    seed_activities(engine, ids["t1"], 30)  # two pages
    policies._shown_default_value_warning = False  # Streamlit warns once per process
    caplog.set_level(logging.WARNING, logger="streamlit")
    logging.getLogger("streamlit.elements.lib.policies").addHandler(caplog.handler)
    try:
        at = open_page(entry, "head", "pages/education.py", **{"shell.org_unit": ids["county"], "shell.period": "2026"})
        at.selectbox(key="he_activities.page.size").set_value(25)
        at.run()
        at.text_input(key="he_activities.filter.search").input("义诊1")  # new filters: back to page 1
        at.run()
        at.text_input(key="he_activities.filter.search").input("")
        at.run()
        open_tab(at, "he_activities.tabs.view", "records.tab.add")  # away from the list and back
        open_tab(at, "he_activities.tabs.view", "records.tab.list")
        assert at.selectbox(key="he_activities.page.size").value == 25  # kept while another tab was open
        open_tab(at, "he_activities.tabs.view", "records.tab.add")
        at.text_input(key="he_activities.add.title").input("义诊新增")  # a save reruns the page
        at.selectbox(key="he_activities.add.activity_type").select("consultation")
        at.button(key="FormSubmitter:he_activities.form.add-" + t("records.add_submit")).click()
        at.run()
    finally:
        logging.getLogger("streamlit.elements.lib.policies").removeHandler(caplog.handler)
    assert not at.exception
    assert not [r for r in caplog.records if "default value" in r.getMessage()]


def test_the_import_preview_warns_about_repeated_rows_and_lets_the_user_skip_them(county):
    from sqlalchemy import func, select

    from db.models import HeActivity

    engine, entry, _ids = county
    data = "活动日期,活动形式,活动主题,开展单位\n2026-04-01,宣传栏更换,重复行,t1\n2026-04-01,宣传栏更换,重复行,t1\n"
    at = open_page(entry, "staff", "pages/education.py", **IO)
    at.file_uploader(key="he_activities.import.file_0").set_value(("dup.csv", data.encode(), "text/csv"))
    at.run()
    assert t("records.import_duplicates", count=1, rows="3") in [w.value for w in at.warning]
    at.radio(key="he_activities.import.duplicates").set_value("skip")
    at.run()
    at.button(key="he_activities.import.confirm").click()
    at.run()
    assert not at.exception
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(HeActivity).where(HeActivity.title == "重复行")) == 1
