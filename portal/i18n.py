"""Message catalogues (zh-CN first, English available) and language choice.

Every user-facing string lives in portal/locales/<lang>.json under a dotted ASCII key;
tests fail when a key is missing from either catalogue or used in code but not defined.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The shared messages plus every manifest's own (its ``locales`` folder). A key
    defined twice is an error, so two areas cannot overwrite each other's wording."""
    merged = _read(LOCALES_DIR / f"{lang}.json")
    from portal import apps  # the manifests import nothing heavy; i18n stays importable first

    for manifest in apps.manifests():
        if manifest.locales is None:
            continue
        path = manifest.locales / f"{lang}.json"
        extra = _read(path) if path.exists() else {}
        clash = sorted(set(extra) & set(merged))
        if clash:
            raise ValueError(f"{path}: keys already defined elsewhere: {', '.join(clash[:5])}")
        merged.update(extra)
    return merged


def _read(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, str] = json.load(fh)
    return data


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The message for key in lang; the key itself when missing (a test forbids that)."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    if "|" in text:
        text = _plural(text, params)
    return text.format(**params) if params else text


PLURAL_PARAMS = ("count", "n", "rows")


def _plural(text: str, params: dict[str, Any]) -> str:
    """English messages may carry "one|other" forms, chosen by the first of count, n or
    rows among the parameters ("{count} photo|{count} photos"); Chinese has one form."""
    one, _, other = text.partition("|")
    number = next((params[k] for k in PLURAL_PARAMS if k in params), None)
    return one if number == 1 else other


def language_from_locale(locale: str | None) -> str:
    """Browser locale to catalogue: any Chinese variant reads zh-CN; a known non-Chinese
    locale reads English; an unknown one falls back to Chinese."""
    if not locale:
        return DEFAULT_LANGUAGE
    return "zh-CN" if locale.lower().startswith("zh") else "en"


def resolve_language(chosen: str | None, saved: str | None, locale: str | None) -> str:
    """This session's choice, else the user's saved preference, else the browser's."""
    for lang in (chosen, saved):
        if lang in LANGUAGES:
            return lang
    return language_from_locale(locale)


def label(lang: str, zh: str, en: str) -> str:
    """Pick one of a record's bilingual names (org units carry both)."""
    return en if lang == "en" and en else zh


def join(items: Iterable[str], lang: str) -> str:
    """A list in running text: 甲、乙、丙 in Chinese, "a, b, c" in English."""
    return (", " if lang == "en" else "、").join(items)


def aside(text: str, note: str, lang: str) -> str:
    """A note in brackets after a text: 甲（乙） in Chinese, "a (b)" in English."""
    return f"{text} ({note})" if lang == "en" else f"{text}（{note}）"


# One step of a tree's indentation in a list of names. An em space: as wide as a Chinese
# character in either language (the ideographic space is a Chinese character itself).
INDENT = "\u2003"
