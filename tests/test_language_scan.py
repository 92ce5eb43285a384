"""Each language reads as itself (issue 13, item 8): every page, for every role, with
each of its tabs open, rendered in Chinese and in English, and every string on it
scanned for the other script.

The demo county is loaded, then every Chinese text a user could have typed (names of
units, people, places, titles, notes...) is replaced by a neutral token ("Ω12"), so what
is left in Chinese on an English page, or in English on a Chinese page, is the portal's
own wording: a catalogue entry missing, a label formatted in the wrong language, a choice
shown by its code, or Streamlit's own English left visible.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Engine, String, Text, select, update
from streamlit.testing.v1 import AppTest

from db.engine import transaction
from db.models import Base, User
from portal import i18n, navigation
from portal.programmes.plans.templates import TEMPLATES
from tests.conftest import demo_engine, every_tab, served_app

ROOT = Path(__file__).resolve().parents[1]
HAN = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")  # ideographs and CJK punctuation
WORD = re.compile(r"[A-Za-z]{3,}")
NEUTRAL = "Ω"
# Words a Chinese page may carry: file formats, product names, units and formats a user
# types, and the codes of the built-in indicators.
ALLOWED_WORDS = {
    "Excel", "Word", "xlsx", "docx", "csv", "CSV", "PDF", "pdf", "jpg", "JPEG", "JPG", "PNG", "png", "WebP",
    "WeChat", "WeCom", "DingTalk", "webhook", "Webhook", "URL", "HTTP", "https", "http", "YYYY", "MM", "DD",
    "TB", "HIV", "AIDS", "ID", "QR", "SQLite", "PostgreSQL", "Streamlit", "Emoji", "JSON",
}  # fmt: skip
ICON = re.compile(r":material/[a-z_]+:")
DIRECTIVE = re.compile(r":[a-z]+(-badge|-background)?\[")  # :blue-badge[...], :red[...]
JSON_EXAMPLE = re.compile(r"\{.*\}")  # a computation rule to type, as in its placeholder
CODE_SPAN = re.compile(r"`[^`]*`")  # a command or a value to type, shown as code
LANGS = ("zh-CN", "en")
TEMPLATE_TITLES = sorted(
    {row[1] for tpl in TEMPLATES.values() for rows in tpl["months"].values() for row in rows}, key=len, reverse=True
)
# The language switch names each language in itself, whichever is on.
BOTH = {i18n.t("shell.language", code) for code in i18n.LANGUAGES} | {i18n.t(f"lang.{c}", "en") for c in i18n.LANGUAGES}


def _neutralise(engine: Engine) -> set[str]:
    """Every text column holding Chinese gets a neutral token; returns the ASCII data
    (usernames, unit codes) a page may show in either language."""
    with transaction(engine) as s:
        for table in Base.metadata.sorted_tables:
            key = list(table.primary_key.columns)
            texts = [c for c in table.columns if isinstance(c.type, String | Text | JSON) and not c.primary_key]
            if len(key) != 1 or not texts:
                continue
            pk = key[0]
            for row in s.execute(select(pk, *texts)).all():
                changed = {
                    c.name: _neutral(
                        value, f"{NEUTRAL}{row[0]}" if c.name.endswith(("_zh", "name", "title")) else NEUTRAL
                    )
                    for c, value in zip(texts, row[1:])
                    if HAN.search(json.dumps(value, ensure_ascii=False))
                }
                if changed:
                    s.execute(update(table).where(pk == row[0]).values(**changed))
        data: set[str] = set(s.scalars(select(User.username)).all())
        for table in Base.metadata.sorted_tables:  # codes and English names are data in both languages
            for column in table.columns:
                if column.name == "code" or column.name.endswith("_en"):
                    data.update(v for v in s.scalars(select(column)).all() if isinstance(v, str))
    return {d for d in data if d}


def _neutral(value: Any, token: str) -> Any:
    """The value with every string holding Chinese replaced (inside JSON too: the audit
    trail's snapshots, photo captions)."""
    if isinstance(value, str):
        return token if HAN.search(value) else value
    if isinstance(value, dict):
        return {k: _neutral(v, NEUTRAL) for k, v in value.items()}
    if isinstance(value, list):
        return [_neutral(v, NEUTRAL) for v in value]
    return value


@pytest.fixture(scope="module")
def neutral_county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, set[str], dict[str, str]]]:
    engine = demo_engine("sqlite", tmp_path_factory.mktemp("lang"))
    data = _neutralise(engine)
    with transaction(engine) as s:
        people = dict(s.execute(select(User.role, User.username).order_by(User.id.desc())).all())
    with served_app(tmp_path_factory, engine) as entry:
        yield entry, data, people
    engine.dispose()


def _strings(at: AppTest) -> Iterator[tuple[str, str]]:
    """(element type, text) for every string the page shows: text elements, labels, help,
    options, tab labels, table headers and cells, chart titles."""
    for node in at._tree:
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if kind == "tab":
            yield kind, node.label
            continue
        if proto is None or kind == "html":  # st.html carries the portal's fixed CSS and script
            continue
        if kind in ("dataframe", "arrow_data_frame"):
            frame = node.value
            yield from ((kind, str(c)) for c in frame.columns)
            for column in frame.columns:
                yield from ((kind, str(v)) for v in frame[column].tolist() if isinstance(v, str))
            continue
        if kind in ("arrow_vega_lite_chart", "vega_lite_chart"):
            yield from ((kind, text) for text in _chart_texts(json.loads(proto.spec)))
            continue
        for name in ("body", "label", "help", "placeholder", "delta"):
            value = getattr(proto, name, None)
            if isinstance(value, str) and value:
                yield kind, value
        options = getattr(proto, "options", None)
        if options is not None:
            yield from ((kind, str(option)) for option in options if isinstance(option, str))


def _chart_texts(spec: Any) -> Iterator[str]:
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in ("title", "text") and isinstance(value, str):
                yield value
            elif key not in ("datasets", "data", "$schema"):
                yield from _chart_texts(value)
    elif isinstance(spec, list):
        for item in spec:
            yield from _chart_texts(item)


def foreign(text: str, language: str, data: set[str]) -> list[str]:
    """The bits of text in the other script."""
    if text in BOTH:
        return []
    for title in TEMPLATE_TITLES:  # the built-in month schedules are Chinese documents' items
        text = text.replace(title, NEUTRAL)
    text = JSON_EXAMPLE.sub("", text)
    text = CODE_SPAN.sub("", DIRECTIVE.sub("[", ICON.sub("", text)))
    text = re.sub(r"https?://\S+", "", text)
    if language == "en":
        return HAN.findall(text.replace(NEUTRAL, ""))
    return [w for w in WORD.findall(text) if w not in ALLOWED_WORDS and w not in data and not _in_data(w, text, data)]


def _in_data(word: str, text: str, data: set[str]) -> bool:
    return any(word in d and d in text for d in data)


def _harness_reads(language: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest formats select-box options again on its own thread (outside any script
    run), where the session's language cannot be read: there it is the test's."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    from portal.ui import i18n as ui_i18n

    inner = ui_i18n._lang
    monkeypatch.setattr(ui_i18n, "_lang", lambda: inner() if get_script_run_ctx() is not None else language)


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("role", ["admin", "head", "staff", "trainer", "inspector", "viewer"])
def test_every_page_reads_in_one_language(neutral_county, role, language, monkeypatch):
    entry, data, people = neutral_county
    _harness_reads(language, monkeypatch)
    if role not in people:
        pytest.skip(f"the demo has no {role}")
    found: dict[str, set[str]] = {}
    for page in navigation.pages_for(role):
        at = AppTest.from_file(entry, default_timeout=90)
        at.session_state["authentication_status"] = True
        at.session_state["username"] = people[role]
        at.session_state["lang"] = language
        at.run()
        at.switch_page(str(ROOT / page.script))
        at.run()
        assert not at.exception, (page.slug, [e.value for e in at.exception])
        for shown in every_tab(at):
            for kind, text in _strings(shown):
                bad = foreign(text, language, data)
                if bad:
                    found.setdefault(f"{page.slug}/{kind}: {text[:100]}", set()).update(bad)
    assert not found, "\n".join(f"{k} -> {sorted(v)}" for k, v in sorted(found.items()))


def test_no_box_falls_back_to_streamlits_english_placeholder() -> None:
    """A multiselect, or a selectbox that may show nothing chosen, without a placeholder
    shows Streamlit's own "Choose options" / "Choose an option" in a Chinese page (the
    scan above only sees the boxes its roles open: the nomination panel's was missed)."""
    import ast

    missing = []
    for path in sorted([*(ROOT / "portal" / "ui").glob("*.py"), *(ROOT / "pages").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            index = keywords.get("index")
            nothing_chosen = node.func.attr == "multiselect" or (
                node.func.attr == "selectbox" and isinstance(index, ast.Constant) and index.value is None
            )
            if nothing_chosen and "placeholder" not in keywords:
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} st.{node.func.attr}")
    assert not missing, missing
