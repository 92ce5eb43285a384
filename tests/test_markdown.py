"""User text never becomes markdown (issue 8, defect 7). Names of units, users,
indicators, theme days and plan items are set to link, format and HTML syntax; every
page is rendered for an admin, a head and a staff member, and every string Streamlit
would render as markdown (text elements, labels, help, metric values, tab and radio
labels) is checked for a link or formatting the portal did not write itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from db.engine import transaction
from db.models import Indicator, OrgUnit, ThemeDay, User
from portal import navigation
from portal.metrics import library as indicator_library
from portal.metrics import targets as tg
from portal.org import themedays
from portal.org.scope import SYSTEM
from portal.programmes.education.specs import HeActivitySpec
from portal.programmes.plans import specs as plans
from portal.records import display
from portal.records import service as rs
from tests.conftest import BACKENDS, every_tab, fresh_engine, make_tree, make_user, served_app, tab_bars

ROOT = Path(__file__).resolve().parents[1]
LINK = "[请点此重新登录](http://example.invalid/login)"
HOSTILE = f"{LINK} **粗** :red[红] :material/home: <b>b</b> www.example.invalid x@example.invalid $x$ # h"
MONTH = "2026-10"
# What the hostile text would do if it reached markdown unescaped: a link, a bare URL, an
# e-mail autolink, emphasis, a colour or icon directive, HTML, LaTeX. The portal's own
# markdown (bold headings, colour badges, icons) is not matched: only the user's.
LIVE = [
    re.compile(r"(?<!\\)\[请点此重新登录(?<!\\)\]\("),
    re.compile(r"(?<!\\)\[[^\]\n]*(?<!\\)\]\((?!/)"),  # any link not to the portal's own pages
    re.compile(r"https?://|www\.example|x@example"),
    re.compile(r"(?<!\\)\*\*粗"),
    re.compile(r"(?<!\\):red(?<!\\)\[红"),
    re.compile(r"(?<!\\):material/home"),
    re.compile(r"(?<!\\)<b>|(?<!\\)<i>"),
    re.compile(r"(?<!\\)\$x"),
]


@pytest.fixture(scope="module", params=BACKENDS)
def hostile_county(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    engine = fresh_engine(request.param, tmp_path_factory.mktemp("markdown"))
    ids = make_tree(engine)
    for role, unit in (("admin", "county"), ("head", "county"), ("staff", "t1")):
        make_user(engine, role, role, ids[unit])
    with transaction(engine) as s:
        indicator_library.ensure_builtin(s)
        themedays.ensure_builtin(s)
        s.execute(update(OrgUnit).values(name_zh=HOSTILE[:120], name_en=HOSTILE[:120]))
        s.execute(update(User).values(display_name=HOSTILE[:120]))
        s.execute(update(Indicator).values(name_zh=HOSTILE[:120], name_en=HOSTILE[:120], unit_zh="<b>次</b>"))
        s.execute(update(ThemeDay).values(name_zh=HOSTILE[:120], name_en=HOSTILE[:120]))
        tg.assign(s, SYSTEM, "HE-01", "2026", {ids["t1"]: 4})
        for unit in ("t1", "t1v1"):
            rs.create(
                s,
                SYSTEM,
                plans.PlanItemSpec,
                {"org_unit_id": ids[unit], "month": MONTH, "title": HOSTILE[:200], "owner_name": LINK,
                 "notes": HOSTILE, "target_unit": "<i>次</i>", "target_qty": 2},
            )  # fmt: skip
        rs.create(
            s,
            SYSTEM,
            HeActivitySpec,
            {"org_unit_id": ids["t1"], "activity_date": "2026-10-08", "activity_type": "consultation",
             "title": HOSTILE[:200], "venue": LINK},
        )  # fmt: skip
        plans.submit(s, SYSTEM, ids["t1v1"], MONTH, summary=HOSTILE, problems=HOSTILE)
        plans.return_report(s, SYSTEM, ids["t1v1"], MONTH, HOSTILE)
    with served_app(tmp_path_factory, engine) as entry:
        yield entry
    engine.dispose()


def markdown_strings(at: AppTest) -> Iterator[tuple[str, str]]:
    """(element type, text) for every string Streamlit renders as markdown."""
    for node in at._tree:
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if kind == "tab":
            yield kind, node.label
            continue
        if proto is None or kind in ("dataframe", "arrow_data_frame", "arrow_vega_lite_chart", "vega_lite_chart"):
            continue
        for name in ("body", "label", "help", "delta"):
            value = getattr(proto, name, None)
            if isinstance(value, str) and value:
                yield kind, value
        if kind in ("radio", "button_group"):
            yield from ((kind, option) for option in getattr(proto, "options", []) if isinstance(option, str))


def live(text: str) -> list[str]:
    return [p.pattern for p in LIVE if p.search(text)]


def open_page(entry: str, username: str, page: str) -> AppTest:
    at = AppTest.from_file(entry, default_timeout=60)
    state = {"authentication_status": True, "username": username, "lang": "zh-CN", "shell.period": MONTH}
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(str(ROOT / page))
    at.run()
    return at


@pytest.mark.parametrize("role", ["admin", "head", "staff"])
@pytest.mark.parametrize("page", navigation.PAGES, ids=lambda p: p.slug)
def test_no_user_text_becomes_a_link_or_formatting(hostile_county, role, page):
    if role not in page.roles:
        pytest.skip("refused page")
    if page.public:
        pytest.skip("a public page shows only what was published: tests/test_sanitation_ui.py")
    at = open_page(hostile_county, role, page.script)
    assert not at.exception, [e.value for e in at.exception]
    seen = []
    for shown in every_tab(at):  # only the open tab runs: open each in turn
        found = [(kind, text[:120], live(text)) for kind, text in markdown_strings(shown) if live(text)]
        assert not found, (found, {k: shown.session_state[k] for k in tab_bars(shown) if k in shown.session_state})
        seen.extend(text for _, text in markdown_strings(shown))
    assert display.md_escape(LINK) in "\n".join(seen), "the hostile names were not on the page"


def test_the_escape_helper_keeps_the_text_readable():
    escaped = display.md_escape(HOSTILE)
    assert not live(escaped)
    # what a reader sees once markdown drops the backslashes: the text itself
    assert re.sub(r"\\(.)", r"\1", escaped) == HOSTILE
