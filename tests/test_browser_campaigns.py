"""A campaign activity as a township records it, in headless Chromium against a real
`streamlit run`: township staff on a 390 px phone open /education, record a lecture against
the county's running campaign (the form's campaign picker offers it), save, open the saved
activity and upload a photo of it; the activity is in the database under that campaign with
its photo stored, the page confirmed each step and nothing on it is wider than the screen.
Then the county head, at a desk, opens the campaign's board and finds the township's
activity counted, with its photo.

Skipped without /usr/bin/chromium unless PORTAL_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from db.engine import make_engine, transaction
from db.models import Attachment, HeActivity, HeCampaign
from portal import clock
from portal.org.scope import SYSTEM
from portal.programmes.education import specs as es
from portal.records import service as records
from portal.records.grid import RowChange
from tests.browser_support import (
    DEMO_PASSWORD,
    MAIN,
    PHONE,
    WAIT_MS,
    Server,
    chromium,
    expect,
    goto,
    leave_field,
    log_in,
    new_context,
    settle,
    streamlit_server,
    text,
)
from tests.conftest import make_tree, make_user

pytestmark = pytest.mark.browser

PASSWORD = DEMO_PASSWORD
CAMPAIGN = "全民健康生活方式宣传月专题活动"
TITLE = "减盐控油健康讲座"
PEOPLE = 45
GOALS = {"activities_goal": 2, "people_goal": 200, "materials_goal": 300}


def _seed(engine) -> None:
    ids = make_tree(engine)
    head = make_user(engine, "head", "head", ids["county"], password=PASSWORD)
    make_user(engine, "staff", "staff", ids["t1"], password=PASSWORD)
    today = clock.today()
    with transaction(engine) as s:
        campaign = records.save(
            s,
            SYSTEM,
            es.CampaignSpec,
            None,
            {
                "org_unit_id": ids["county"],
                "name": CAMPAIGN,
                "start_date": today - dt.timedelta(days=7),
                "end_date": today + dt.timedelta(days=14),
                "topics": "减盐、减油、减糖",
            },
            children={
                es.CampaignGoalSpec.slug: [
                    RowChange(values={"org_unit_id": ids[unit], **GOALS}) for unit in ("t1", "t2", "school")
                ]
            },
        )
        campaign_id = campaign.id
    with transaction(engine) as s:  # planned → running, by the organising unit's head
        records.transition(s, head, es.CampaignSpec, campaign_id, "start")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with streamlit_server("portal-campaigns-browser-", _seed) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 140, 90)).save(out, "PNG")
    return out.getvalue()


def open_education(page) -> None:
    goto(page, "/education")
    expect(page, page.locator(f"{MAIN} h1", has_text=text("nav.education")), "the health-education heading")
    settle(page)


def tab(page, label: str) -> None:
    page.locator(MAIN).get_by_role("tab", name=label, exact=True).click()
    settle(page)


def steady(page, locator) -> None:
    """Wait until the element has stopped moving: the page scrolls smoothly to bring it into
    view, and a dropdown opened mid-scroll closes again."""
    locator.scroll_into_view_if_needed()
    deadline = time.monotonic() + WAIT_MS / 1000
    last = None
    while time.monotonic() < deadline:
        box = locator.bounding_box()
        if box is not None and box == last:
            return
        last = box
        page.wait_for_timeout(100)


def pick(page, label: str, option: str) -> None:
    """Choose an option of the form's selectbox with this label (through its combobox: the
    label row holds a help icon)."""
    combo = page.locator(MAIN).get_by_role("combobox", name=label, exact=True).first
    steady(page, combo)
    combo.click()
    choice = page.get_by_role("option", name=option, exact=True)
    expect(page, choice, f"the option {option!r} of {label!r}")
    choice.click()


def type_in(page, label: str, value: str) -> None:
    """Type into a form field and leave it with Tab, as a person does before the next one
    (a tap elsewhere while the field still has focus only takes the focus away)."""
    page.locator(MAIN).get_by_label(label, exact=True).fill(value)
    leave_field(page)


def field(name: str) -> str:
    f = es.HeActivitySpec.field(name)
    return f.label("zh-CN") + (" *" if f.required else "")


def width(page) -> int:
    """How wide the page is, as tests/test_browser.py measures it, and how wide the main
    area's content is (it scrolls by itself, so content wider than the screen would widen it
    rather than the document). Tables scroll inside their own frame and do not count."""
    return int(
        page.evaluate(f"Math.max(document.documentElement.scrollWidth, document.querySelector('{MAIN}').scrollWidth)")
    )


def confirmed(page, message: str, what: str) -> None:
    """The confirmation is on the screen the person is looking at: the message stays at the
    top of the page, scrolled away from a form saved low on a phone, so the toast has to be
    in view."""
    expect(page, page.locator(f'{MAIN} [data-testid="stAlert"]', has_text=message), what)
    toast = page.locator('[data-testid="stToast"]', has_text=message).first
    expect(page, toast, f"{what} as a toast")
    box = toast.bounding_box()
    assert box is not None, f"{what}: the toast left before it was measured"
    screen = page.viewport_size
    inside = box["x"] >= 0 and box["y"] >= 0
    inside = inside and box["x"] + box["width"] <= screen["width"] and box["y"] + box["height"] <= screen["height"]
    assert inside, f"{what} is off the {screen['width']}x{screen['height']} screen at {box}"


def test_a_township_records_a_campaign_activity_with_a_photo_on_a_phone(browser, server) -> None:
    url, db_url = server.url, server.db_url
    engine = make_engine(db_url)
    with transaction(engine) as s:
        campaign_id = s.scalars(select(HeCampaign.id).where(HeCampaign.status == "running")).one()

    staff = new_context(browser, url, PHONE)
    page = staff.new_page()
    log_in(page, "staff")
    started = time.monotonic()
    open_education(page)
    tab(page, text("records.tab.add"))
    pick(page, field("activity_type"), "健康讲座")
    type_in(page, field("title"), TITLE)
    type_in(page, field("participants"), str(PEOPLE))
    pick(page, field("campaign_id"), CAMPAIGN)  # the running campaign is offered
    page.locator(MAIN).locator("button", has_text=text("records.add_submit")).click()
    confirmed(page, text("records.saved"), "the saved message")
    settle(page)
    wide = width(page)
    assert wide <= PHONE["width"], f"/education's add form is {wide} px wide on a 390 px phone"
    with transaction(engine) as s:
        activity = s.scalars(select(HeActivity)).one()
        assert (activity.campaign_id, activity.title, activity.participants) == (campaign_id, TITLE, PEOPLE)
        assert (activity.activity_type, activity.activity_date) == ("lecture", clock.today())
        activity_id = activity.id

    # the photo goes on the saved activity: open it from the list
    tab(page, text("records.tab.list"))
    table = page.locator(f'{MAIN} [data-testid="stDataFrame"]').first
    expect(page, table, "the activity list")
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
    expect(page, page.locator(f"{MAIN} h3", has_text=TITLE), "the activity opened")
    settle(page)
    expect(page, page.locator(f'{MAIN} [data-testid="stFileUploader"]'), "the photo uploader")
    uploader = page.locator(f'{MAIN} [data-testid="stFileUploader"] input[type="file"]').first
    uploader.set_input_files(files=[{"name": "讲座现场.png", "mimeType": "image/png", "buffer": png()}])
    add = page.locator(MAIN).locator("button", has_text=text("photos.add", count=1))
    expect(page, add, "the upload button")
    settle(page)
    add.click()
    confirmed(page, text("photos.added", count=1), "the photo-added message")
    elapsed = time.monotonic() - started
    settle(page)
    expect(page, page.locator(f'{MAIN} [data-testid="stImage"] img'), "the photo's thumbnail")
    wide = width(page)
    assert wide <= PHONE["width"], f"/education with the activity open is {wide} px wide on a 390 px phone"
    with transaction(engine) as s:
        photo = s.scalars(select(Attachment)).one()
        assert (photo.record_type, photo.record_id, photo.field) == (es.HeActivitySpec.slug, activity_id, "photos")
        assert (photo.uploaded_by, photo.mime, photo.deleted_at) == ("staff", "image/jpeg", None)
        assert (photo.width, photo.height) == (320, 240)
        assert photo.data[:3] == b"\xff\xd8\xff" and photo.size == len(photo.data)  # re-encoded as JPEG
        assert photo.thumb
    staff.close()

    head = new_context(browser, url)
    desk = head.new_page()
    log_in(desk, "head")
    open_education(desk)
    tab(desk, text("education.tab.campaigns"))
    metrics = desk.locator(f'{MAIN} [data-testid="stMetric"]')
    expect(desk, metrics.filter(has_text=text("education.campaign.covered")), "the campaign board")
    picker = desk.locator(MAIN).get_by_role("combobox", name=text("education.campaign.pick"), exact=True)
    assert picker.input_value().startswith(CAMPAIGN)  # the board shows the running campaign

    def metric(key: str) -> str:
        return metrics.filter(has_text=text(key)).locator('[data-testid="stMetricValue"]').inner_text().strip()

    assert metric("education.campaign.covered") == "1 / 3"  # the township, of three goal units
    assert metric("education.campaign.col.activities") == "1 / 6"
    assert metric("education.campaign.col.people") == f"{PEOPLE} / 600"
    assert metric("education.campaign.missing") == "0"  # the photo counts as evidence
    expect(desk, desk.get_by_text(text("education.campaign.all_activities", count=1)), "the campaign's activities")
    head.close()
    engine.dispose()
    assert elapsed < 60, f"recording the activity took {elapsed:.0f} s on the phone"
