"""Both catalogues carry every key, with the same placeholders, and every key the code
asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from db.models import ORG_UNIT_TYPES, ROLES
from portal import i18n, navigation
from portal.records.fields import FIELD_TYPES

ROOT = Path(__file__).resolve().parents[1]
# t("key") / t(f"prefix.{x}") / "...key": literal keys passed to the translate helpers
LITERAL = re.compile(r"""\bt\(\s*["']([a-z][a-z0-9_]*(?:\.[a-zA-Z0-9_-]+)+)["']""")
KEY_ARG = re.compile(r"""(?:key|title_key|section_key)\s*=\s*["']([a-z][a-z0-9_]*(?:\.[a-z0-9_-]+)+)["']""")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogues_have_the_same_keys():
    zh, en = i18n.catalogue("zh-CN"), i18n.catalogue("en")
    assert sorted(set(zh) - set(en)) == []
    assert sorted(set(en) - set(zh)) == []


def test_placeholders_match():
    zh, en = i18n.catalogue("zh-CN"), i18n.catalogue("en")
    wrong = [k for k in zh if placeholders(zh[k]) != placeholders(en[k])]
    assert wrong == []


def test_no_empty_messages():
    for lang in i18n.LANGUAGES:
        assert [k for k, v in i18n.catalogue(lang).items() if not v.strip()] == []


def used_keys() -> set[str]:
    """Keys passed to t(), plus any quoted string under a catalogue prefix (error keys
    handed to exceptions, validation keys handed to FieldError...)."""
    # Page slugs (admin, account, login, shell...) also prefix widget keys, so only the
    # message-only namespaces are scanned this way.
    prefixes = [
        "error",
        "validation",
        "startup",
        "field",
        "role",
        "orgtype",
        "status",
        "period",
        "audit",
        "record",
        "cli",
    ]
    alternatives = "|".join(prefixes)
    quoted = re.compile(rf"""["']((?:{alternatives})\.[a-z0-9_]+(?:\.[a-z0-9_-]+)*)["']""")
    keys: set[str] = set()
    for path in [ROOT / "app.py", *(ROOT / "portal").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        keys |= set(LITERAL.findall(text)) | set(quoted.findall(text))
    return keys


def test_every_key_used_in_code_exists():
    zh = i18n.catalogue("zh-CN")
    keys = used_keys()
    assert len(keys) > 40  # the scan itself works
    assert sorted(k for k in keys if k not in zh) == []


@pytest.mark.parametrize(
    "key",
    [
        *(f"role.{r}" for r in ROLES),
        *(f"orgtype.{o}" for o in ORG_UNIT_TYPES),
        *(f"lang.{lang}" for lang in i18n.LANGUAGES),
        *(f"validation.type_{kind}" for kind in FIELD_TYPES),
        *(p.title_key for p in navigation.PAGES),
        *(p.section_key for p in navigation.PAGES),
    ],
)
def test_dynamic_keys_exist(key):
    for lang in i18n.LANGUAGES:
        assert key in i18n.catalogue(lang)


def test_language_resolution():
    assert i18n.resolve_language(None, None, "zh-TW") == "zh-CN"
    assert i18n.resolve_language(None, None, "en-US") == "en"
    assert i18n.resolve_language(None, None, None) == "zh-CN"
    assert i18n.resolve_language(None, "en", "zh-CN") == "en"  # saved preference wins
    assert i18n.resolve_language("zh-CN", "en", "en-US") == "zh-CN"  # this session's choice wins
    assert i18n.t("login.submit", "en") == "Sign in"
    assert i18n.t("login.submit", "zh-CN") == "登录"


def test_english_picks_singular_or_plural_and_chinese_has_one_form() -> None:
    assert i18n.t("photos.added", "en", count=1) == "1 photo added"
    assert i18n.t("photos.added", "en", count=3) == "3 photos added"
    assert i18n.t("plans.card.due_left", "en", date="11-30", n=1).endswith("1 working day left")
    assert "|" not in i18n.t("photos.added", "zh-CN", count=3)
    # every plural has exactly two forms with the same placeholders
    for key, text in i18n.catalogue("en").items():
        if "|" in text:
            one, other = text.split("|")
            assert placeholders(one) == placeholders(other), key


CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")  # ideographs and CJK/full-width punctuation


def test_english_messages_carry_no_chinese_words_or_punctuation() -> None:
    """English mode reads English: no 、，（）or untranslated names in any English message
    of any area (the language switch's own label names both languages on purpose)."""
    leaks = {k: v for k, v in i18n.catalogue("en").items() if CJK.search(v) and k != "shell.language"}
    assert leaks == {}


def test_screens_list_things_in_the_reader_s_language() -> None:
    """Lists in running text go through i18n.join (甲、乙 / a, b), never a literal 、 on a
    screen an English reader sees."""
    root = Path(__file__).resolve().parents[1]
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for folder in ("portal/ui", "pages")
        for path in sorted((root / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if '"、".join' in line
    ]
    assert offenders == []
    assert i18n.join(["a", "b"], "en") == "a, b" and i18n.join(["甲", "乙"], "zh-CN") == "甲、乙"
