"""Field declarations and the one place where raw input (a form widget, a CSV cell, a CLI
argument) becomes a typed value or a FieldError naming the field."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from portal import clock, periods
from portal.config import limits
from portal.errors import FieldError

FIELD_TYPES = ("text", "longtext", "int", "float", "date", "datetime", "bool", "choice", "org_unit", "ref", "images")
# Types stored somewhere other than the record's own column (images: portal.records.attachments).
VIRTUAL_TYPES = ("images",)
ON_DELETE = ("protect", "allow")
TRUE_WORDS = {"1", "true", "yes", "y", "是", "对", "启用", "√", "t"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "停用", "×", "f"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
# Integer columns are 32-bit on PostgreSQL: a field without its own bounds gets these.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# A number field without its own bounds: no count, quantity or target is larger, and
# within this a number keeps all FLOAT_DIGITS digits through a spreadsheet.
FLOAT_MIN, FLOAT_MAX = -1e15, 1e15
FLOAT_DIGITS = 15
# Characters no field stores: C0 controls (a longtext keeps tab and newline), DEL, C1
# controls, lone surrogates (not encodable) and the noncharacters U+FFFE/U+FFFF. They are
# invisible on screen, and Word and Excel files refuse them.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
CONTROL_RE = re.compile(f"[{_CONTROLS}\t\n\r]")
CONTROL_IN_LINES_RE = re.compile(f"[{_CONTROLS}]")


@dataclass(frozen=True)
class Choice:
    """One allowed value, stored as `value`, shown in the user's language."""

    value: str
    zh: str
    en: str

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Field:
    """One field of a record type.

    Example::

        Field("participants", "int", "受教育人数", "People reached", min=0,
              help_zh="讲座、咨询到场人数", aliases=("人数", "参加人数"))

    key: the model attribute and the column header of exports (ASCII, snake_case).
    type: one of text, longtext, int, float, date, datetime, bool, choice, org_unit, ref,
    images (photos and scans kept by portal.records.attachments, not a column; ``max`` is
    how many a record may have).
    zh / en: the label in each language; imports accept either as a header.
    required, min, max, max_length, choices: checked on every write, whatever its source.
    default: used by the add form and by imports whose file has no such column.
    help_zh / help_en: help text under the form widget.
    aliases: more header names an import accepts (old spreadsheet headings).
    readonly: shown and exported, never written by forms or imports (set by the service).
    write_only: accepted on create, never shown, exported or audited (a password).
    create_only: may be set when the record is created, never changed afterwards.
    validator: one more check of a present value, ``(key, value) -> FieldError | None``
    (a code pattern, password rules); runs with the built-in checks, so every bad field
    is reported at once.
    ref: for a ``ref`` field, the record type it points to (``"training_programmes"``). The
    form offers only records of that type the user may see; tables and exports show the
    record's label; imports accept its id, its natural key or its label.
    on_delete: for a ``ref`` field, what deleting the referenced record does while this one
    points to it: ``"protect"`` refuses (naming who refers to it), ``"allow"`` lets it go.
    computed: derives the value on every save from the record's other values,
    ``(values) -> value`` (a total, a grade from score bands, hours credited). Read-only:
    shown and exported; an import may carry it only unchanged.
    period: for a ``text`` field holding a period key, its kind (``"month"``): forms offer a
    picker of months (next month back to January last year, defaulting to the sidebar's
    period) instead of typing; imports and the CLI still accept the key ("2026-10").
    """

    key: str
    type: str
    zh: str
    en: str
    required: bool = False
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    choices: tuple[Choice, ...] = ()
    default: Any = None
    help_zh: str = ""
    help_en: str = ""
    aliases: tuple[str, ...] = ()
    readonly: bool = False
    write_only: bool = False
    create_only: bool = False
    validator: Callable[[str, Any], FieldError | None] | None = None
    ref: str | None = None
    on_delete: str = "protect"
    computed: Callable[[dict[str, Any]], Any] | None = None
    period: str | None = None
    _choice_values: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_choice_values", frozenset(c.value for c in self.choices))
        if self.computed is not None:
            object.__setattr__(self, "readonly", True)

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def help(self, lang: str) -> str | None:
        return (self.help_en if lang == "en" else self.help_zh) or None

    def choice_label(self, value: Any, lang: str) -> str:
        for c in self.choices:
            if c.value == value:
                return c.label(lang)
        return "" if value is None else str(value)

    def headers(self) -> tuple[str, ...]:
        """Every header an import recognises for this field."""
        return (self.key, self.zh, self.en, *self.aliases)

    def parse(self, raw: Any) -> tuple[Any, FieldError | None]:
        """Typed value from raw input; blank input reads as None."""
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            return None, None
        if isinstance(raw, str):
            raw = raw.strip()
            if raw == "":
                return None, None
            if self.type in ("text", "longtext"):
                if self.type == "longtext":
                    raw = raw.replace("\r\n", "\n").replace("\r", "\n")  # Windows, old Mac
                bad = control_char(raw, lines=self.type == "longtext")
                if bad is not None:
                    return None, FieldError(self.key, "validation.control_char", bad)
        try:
            return _PARSERS[self.type](self, raw), None
        except (ValueError, TypeError, OverflowError):
            return None, FieldError(self.key, f"validation.type_{self.type}", {"value": str(raw)[:40]})

    def check(self, value: Any) -> FieldError | None:
        """Bounds, length and choices of an already typed value."""
        if value is None:
            return FieldError(self.key, "validation.required") if self.required else None
        if isinstance(value, str) and self.type in ("text", "longtext"):
            cap = limits().text_chars  # the operator's limit applies to every text field
            longest = min(self.max_length, cap) if self.max_length is not None else cap
            if len(value) > longest:
                return FieldError(self.key, "validation.too_long", {"max": longest})
        low, high = self.min, self.max
        if self.type == "int":
            low = INT_MIN if low is None else low
            high = INT_MAX if high is None else high
        elif self.type == "float":
            low = FLOAT_MIN if low is None else low
            high = FLOAT_MAX if high is None else high
        if low is not None and isinstance(value, (int, float)) and value < low:
            return FieldError(self.key, "validation.min", {"min": _num(low)})
        if high is not None and isinstance(value, (int, float)) and value > high:
            return FieldError(self.key, "validation.max", {"max": _num(high)})
        day = value.date() if isinstance(value, dt.datetime) else value
        if (
            self.type in ("date", "datetime")
            and isinstance(day, dt.date)
            and not periods.FIRST_DAY <= day <= periods.LAST_DAY
        ):
            return FieldError(
                self.key,
                "validation.date_window",
                {"min": periods.FIRST_DAY.isoformat(), "max": periods.LAST_DAY.isoformat()},
            )
        if self.type == "choice" and value not in self._choice_values:
            return FieldError(self.key, "validation.choice", {"value": value})
        return self.validator(self.key, value) if self.validator else None


def control_char(text: str, lines: bool = False) -> dict[str, Any] | None:
    """Where the first character no field stores is, as a message's parameters
    (position counted from 1, code as U+XXXX); None when there is none. With lines, tab
    and newline are allowed (a longtext field)."""
    found = (CONTROL_IN_LINES_RE if lines else CONTROL_RE).search(text)
    if found is None:
        return None
    return {"position": found.start() + 1, "code": f"U+{ord(found.group()):04X}"}


def printable(text: str, lines: bool = True) -> str:
    """The text without the characters control_char() refuses: for rows written before
    the check existed, so a report or an export never fails on them."""
    if lines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return CONTROL_IN_LINES_RE.sub("", text)
    return CONTROL_RE.sub("", text)


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _text(f: Field, raw: Any) -> str:
    return str(raw).strip() if not isinstance(raw, str) else raw


def _int(f: Field, raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError("bool")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if not raw.is_integer():
            raise ValueError("fraction")
        return int(raw)
    text = str(raw).replace(",", "").replace("，", "")
    number = float(text)
    if not number.is_integer():
        raise ValueError("fraction")
    return int(number)


def _float(f: Field, raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError("bool")
    value = float(str(raw).replace(",", "").rstrip("%")) if isinstance(raw, str) else float(raw)
    if math.isnan(value) or math.isinf(value):
        raise ValueError("nan")
    # Kept to 15 significant digits, what a spreadsheet holds: an export then imports back
    # to exactly the stored number (a 17-digit one would come back changed).
    return float(f"{value:.{FLOAT_DIGITS}g}")


def _date(f: Field, raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip()
    text = re.sub(r"\s+00:00(:00)?$", "", text)  # spreadsheets add midnight to dates
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _bool(f: Field, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(text)


def _choice(f: Field, raw: Any) -> str:
    text = str(raw).strip()
    if text in f._choice_values:
        return text
    for c in f.choices:  # a file may carry the label instead of the stored value
        if text in (c.zh, c.en):
            return c.value
    return text  # check() reports it as not one of the choices


def _datetime(f: Field, raw: Any) -> dt.datetime:
    """An instant; a value without a time zone is the office's wall-clock time."""
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, dt.date):
        value = dt.datetime.combine(raw, dt.time(0, 0))
    else:
        text = str(raw).strip().replace("/", "-").replace("T", " ")
        value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.office_zone())
    return value.astimezone(dt.UTC)


def _org_unit(f: Field, raw: Any) -> int | str:
    # ints are ids (forms); text is a unit code (imports, CLI), resolved by the service
    if isinstance(raw, bool):
        raise ValueError("bool")
    if isinstance(raw, int):
        return raw
    return str(raw).strip()


_PARSERS: dict[str, Callable[[Field, Any], Any]] = {
    "text": _text,
    "longtext": _text,
    "int": _int,
    "float": _float,
    "date": _date,
    "bool": _bool,
    "choice": _choice,
    "org_unit": _org_unit,
    "datetime": _datetime,
    "ref": _org_unit,  # ids from forms, a natural key or a label from files: resolved by the service
}
