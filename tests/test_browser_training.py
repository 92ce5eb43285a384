"""A trainer's morning at phone size, in headless Chromium against a real `streamlit run`:
the trainer opens today's session on a 390 px screen, marks everyone present with one
button, changes one to absent and one to late, saves once, and the marks are in the
database; then a trainee, in a browser of their own without an account, signs in for the
other half-day through the sign-in link and sees only the session's title and "signed in".

Skipped without /usr/bin/chromium unless PORTAL_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from db.engine import make_engine, transaction
from db.models import TrainingAttendance, TrainingEnrolment, TrainingSession, User
from portal import clock
from portal.org.scope import SYSTEM, actor_for
from portal.programmes.training import signin
from portal.programmes.training import specs as tr
from portal.records import service as records
from tests.browser_support import (
    DEMO_PASSWORD,
    MAIN,
    PHONE,
    Server,
    chromium,
    expect,
    goto,
    log_in,
    new_context,
    settle,
    streamlit_server,
    text,
)
from tests.conftest import make_tree, make_user

pytestmark = pytest.mark.browser

PASSWORD = DEMO_PASSWORD
PEOPLE = [f"学员{n:02d}" for n in range(12)]


def _seed(engine) -> None:
    ids = make_tree(engine)
    make_user(engine, "trainer", "trainer", ids["county"], password=PASSWORD)
    with transaction(engine) as s:
        trainer = s.scalar(select(User).where(User.username == "trainer"))
        programme = records.create(
            s,
            SYSTEM,
            tr.TrainingProgrammeSpec,
            {
                "organiser_unit_id": ids["county"],
                "year": clock.today().year,
                "title": "协管员培训",
                "category": "assistant",
            },
        )
        run = records.create(
            s,
            SYSTEM,
            tr.TrainingSessionSpec,
            {
                "programme_id": programme.id,
                "title": "协管员培训第一期",
                "start_date": clock.today(),
                "half_days": 2,
                "trainer_user_id": trainer.id if trainer else None,
            },
        )
        for n, name in enumerate(PEOPLE):
            records.create(
                s,
                SYSTEM,
                tr.TrainingEnrolmentSpec,
                {
                    "session_id": run.id,
                    "org_unit_id": ids["t1v1" if n % 2 else "t2v1"],
                    "person_name": name,
                    "category": "assistant",
                    "phone": f"1390000{n:04d}",
                },
            )


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with streamlit_server("portal-training-browser-", _seed) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def marks(db_url: str, run_id: int, half: str) -> dict[str, tuple[str, str]]:
    engine = make_engine(db_url)
    try:
        with transaction(engine) as s:
            rows = s.execute(
                select(TrainingEnrolment.person_name, TrainingAttendance.status, TrainingAttendance.method)
                .join(TrainingEnrolment, TrainingEnrolment.id == TrainingAttendance.enrolment_id)
                .where(TrainingAttendance.session_id == run_id, TrainingAttendance.half_day == half)
            ).all()
            return {name: (status, method) for name, status, method in rows}
    finally:
        engine.dispose()


def test_a_trainer_marks_the_session_on_a_phone_and_a_trainee_signs_in(browser, server):
    engine = make_engine(server.db_url)
    with transaction(engine) as s:
        run = s.scalar(select(TrainingSession))
        assert run is not None
        run_id = run.id
    now_half = f"{clock.today().isoformat()}/{'am' if clock.now().hour < 12 else 'pm'}"
    other_half = now_half[:-2] + ("pm" if now_half.endswith("am") else "am")

    trainer = new_context(browser, server.url, PHONE)
    page = trainer.new_page()
    log_in(page, "trainer")
    started = time.monotonic()
    goto(page, "/training")
    expect(page, page.locator(f"{MAIN} h1", has_text=text("nav.training")), "the training page")
    settle(page)
    expect(page, page.get_by_text(PEOPLE[0], exact=True), "the roster on the grid")
    page.locator(MAIN).get_by_role("button", name=text("training.all_present")).click()
    settle(page)
    for name, status in ((PEOPLE[3], "缺勤"), (PEOPLE[7], "迟到")):
        # the attendance grid's row (the scores grid, in another tab, lists the same names)
        row = page.locator('[class*="st-key-training-attendance-"][class*="-row-"]').filter(has_text=name)
        row.get_by_role("radio", name=status, exact=True).click()  # a segmented control's options
        settle(page)
    page.locator(MAIN).get_by_role("button", name=re.compile(r"^保存（\d+ 处修改）$")).click()
    expect(page, page.get_by_text("已保存：新增 12，修改 0，删除 0").first, "the saved message")
    elapsed = time.monotonic() - started
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, f"/training is {wide} px wide on a 390 px phone"
    assert elapsed < 60, f"marking took {elapsed:.0f} s"
    saved = marks(server.db_url, run_id, now_half)
    assert len(saved) == 12
    assert saved[PEOPLE[3]][0] == "absent" and saved[PEOPLE[7]][0] == "late"
    assert sum(v[0] == "present" for v in saved.values()) == 10
    trainer.close()

    with transaction(engine) as s:
        who = s.scalar(select(User).where(User.username == "trainer"))
        assert who is not None
        window = signin.open_window(s, actor_for(s, who), run_id, other_half, 30)
        link = f"/signin?w={window.id}&c={signin.current_code(window)}"
    engine.dispose()
    trainee = new_context(browser, server.url, PHONE)
    page = trainee.new_page()
    goto(page, link)
    expect(page, page.get_by_text("协管员培训第一期", exact=True), "the session's title")
    settle(page)
    page.get_by_label(text("training.signin.name"), exact=True).fill(PEOPLE[5])
    page.get_by_label(text("training.signin.tail"), exact=True).fill("0005")
    page.get_by_role("button", name=text("training.signin.submit")).click()
    expect(page, page.get_by_text(text("training.signin.result.signed_in")), "signed in")
    body = page.locator('[data-testid="stApp"]').inner_text()
    assert not [name for name in PEOPLE if name in body], "a roster name leaked onto the sign-in page"
    assert page.locator('input[type="password"]').count() == 0
    assert marks(server.db_url, run_id, other_half) == {PEOPLE[5]: ("present", "self")}
    trainee.close()
