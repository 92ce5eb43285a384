"""What the generic record screens show, without Streamlit: values formatted for people,
table columns, filters built from widget values, history and conflict rows, form
defaults. portal/ui/records.py only renders what these functions return."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import OrgUnit
from portal import clock, i18n
from portal.records.fields import Field
from portal.records.service import Change, Filters, Spec

# Audit snapshots carry bookkeeping columns that are not part of what a user edits.
HIDDEN_KEYS = frozenset({"id", "version", "created_at", "updated_at", "deleted_at", "path", "password_hash"})
# Every ASCII punctuation character: CommonMark lets a backslash make any of them literal,
# and escaping them all also stops what escaping a few misses (":red[...]" and
# ":material/...:" directives, bare http:// and www. links, e-mail autolinks, entities).
MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")


class Names(dict[int, str]):
    """Unit names by id (what ``units`` arguments always were), plus the labels of the
    records reference fields point to, by record type: ``names.refs["users"][7]``."""

    def __init__(
        self,
        units: Mapping[int, str] | None = None,
        refs: dict[str, dict[int, str]] | None = None,
        photos: dict[str, dict[int, int]] | None = None,
    ) -> None:
        super().__init__(units or {})
        self.refs: dict[str, dict[int, str]] = refs or {}
        self.photos: dict[str, dict[int, int]] = photos or {}  # images field -> record id -> count


# -- single values -----------------------------------------------------------------------


def yes_no(value: bool, lang: str) -> str:
    return i18n.t("records.yes" if value else "records.no", lang)


def format_value(f: Field | None, value: Any, lang: str, units: Mapping[int, str] | None = None) -> str:
    """A stored value (or its JSON form from the audit trail) as a table cell: blank for
    nothing, choice labels, unit names, 是/否, ISO dates, thousands separators."""
    if value is None or value == "":
        return ""
    kind = f.type if f is not None else None
    if f is not None and kind == "choice":
        return f.choice_label(value, lang)
    if kind == "org_unit":
        if isinstance(value, int) and not isinstance(value, bool):
            return (units or {}).get(value) or f"#{value}"
        return str(value)
    if kind == "ref" and f is not None:
        if isinstance(value, int) and not isinstance(value, bool):
            known = getattr(units, "refs", {}).get(f.ref or "", {})
            return known.get(value) or f"#{value}"
        return str(value)
    if kind == "datetime":
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return clock.local_time(value) if isinstance(value, dt.datetime) else str(value)
    if kind == "bool" or isinstance(value, bool):
        return yes_no(bool(value), lang)
    if kind == "date" or isinstance(value, (dt.date, dt.datetime)):
        return _iso_date(value)
    if kind == "int" and isinstance(value, (int, float)):
        return f"{int(value):,}"
    if kind == "float" and isinstance(value, (int, float)):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}" if kind is None else str(value)
    return str(value)


def _iso_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def column_label(spec: Spec, key: str, lang: str) -> str:
    """A list_display key as a column header: the field's label, else a catalogue entry
    records.col.<key>, else the key itself."""
    try:
        return spec.field(key).label(lang)
    except KeyError:
        text = i18n.t(f"records.col.{key}", lang)
        return key if text == f"records.col.{key}" else text


def md_escape(text: object) -> str:
    """User text safe anywhere Streamlit renders markdown (st.markdown, captions, titles,
    alerts, widget labels and help, metric values, tab and radio labels): it shows as
    typed and never becomes a link or formatting. The one escaping helper; the pages reach
    it through portal.ui.i18n.tm() or call it directly."""
    return MD_SPECIAL.sub(r"\\\1", str(text)).replace("\r", " ").replace("\n", " ")


# -- tables ------------------------------------------------------------------------------


def org_fields(spec: Spec) -> list[str]:
    return [f.key for f in spec.fields if f.type == "org_unit"]


def unit_ids(spec: Spec, records: Iterable[Any]) -> set[int]:
    """Every org-unit id the records refer to (objects or dicts, e.g. audit snapshots)."""
    keys = org_fields(spec)
    found: set[int] = set()
    for rec in records:
        if rec is None:
            continue
        for key in keys:
            value = rec.get(key) if isinstance(rec, Mapping) else getattr(rec, key, None)
            if isinstance(value, int) and not isinstance(value, bool):
                found.add(value)
    return found


def ref_ids(spec: Spec, records: Iterable[Any]) -> dict[str, set[int]]:
    """Per referenced record type, the ids the records point to (objects or dicts)."""
    found: dict[str, set[int]] = {}
    for f in spec.fields:
        if f.type != "ref" or not f.ref:
            continue
        for rec in records:
            if rec is None:
                continue
            value = rec.get(f.key) if isinstance(rec, Mapping) else getattr(rec, f.key, None)
            if isinstance(value, int) and not isinstance(value, bool):
                found.setdefault(f.ref, set()).add(value)
    return found


def names(
    session: Session, spec: Spec, records: Sequence[Any], lang: str, known_units: Mapping[int, str] | None = None
) -> Names:
    """What a table of these records needs to show ids as names: the units (starting
    from the ones already known) and the labels of every referenced record."""
    from portal.records import attachments, refs, registry

    units = dict(known_units or {})
    missing = unit_ids(spec, records) - set(units)
    units.update(unit_labels(session, missing, lang))
    labels = {slug: refs.labels(session, registry.get(slug), ids, lang) for slug, ids in ref_ids(spec, records).items()}
    photos: dict[str, dict[int, int]] = {}
    shown = [f.key for f in spec.fields if f.type == "images" and f.key in spec.list_display]
    ids = [getattr(r, "id", None) for r in records]
    for key in shown:
        photos[key] = attachments.count(session, spec.slug, [i for i in ids if isinstance(i, int)], key)
    return Names(units, labels, photos)


def unit_labels(session: Session, ids: Iterable[int], lang: str) -> dict[int, str]:
    """Names of the given units, whatever the scope (a name is not a secret; the records
    that mention the unit were already scoped)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(select(OrgUnit.id, OrgUnit.name_zh, OrgUnit.name_en).where(OrgUnit.id.in_(wanted)))
    return {uid: i18n.label(lang, zh, en) for uid, zh, en in rows}


def table_columns(spec: Spec, records: Sequence[Any], lang: str, units: Mapping[int, str]) -> dict[str, list[str]]:
    """The list table: header (in the user's language) -> formatted cells, in
    list_display order. Write-only fields never appear."""
    columns: dict[str, list[str]] = {}
    for key in spec.list_display:
        try:
            f: Field | None = spec.field(key)
        except KeyError:
            f = None
        if f is not None and f.write_only:
            continue
        header = column_label(spec, key, lang)
        if f is not None and f.type == "images":
            counts = getattr(units, "photos", {}).get(key, {})
            columns[header] = [photo_count(counts.get(getattr(r, "id", 0), 0), lang) for r in records]
            continue
        columns[header] = [format_value(f, getattr(r, key, None), lang, units) for r in records]
    return columns


def photo_count(n: int, lang: str) -> str:
    """ "📷 3" in a list; an empty cell reads "none" so a missing photo stands out."""
    return f"📷 {n}" if n else i18n.t("records.no_photo", lang)


def numeric_headers(spec: Spec, lang: str) -> list[str]:
    """Headers of the list's number columns (shown right-aligned)."""
    return [
        spec.field(k).label(lang)
        for k in spec.list_display
        if k in {f.key for f in spec.fields} and spec.field(k).type in ("int", "float")
    ]


def record_label(
    spec: Spec, values: Mapping[str, Any], lang: str, units: Mapping[int, str] | None = None, limit: int = 3
) -> str:
    """A one-line name of a record: its first list columns joined by ' · '."""
    parts = []
    for key in spec.list_display:
        try:
            f = spec.field(key)
        except KeyError:
            continue
        if f.write_only or f.type in ("bool", "int", "float"):
            continue
        text = format_value(f, values.get(key), lang, units)
        if text:
            parts.append(text)
        if len(parts) == limit:
            break
    return " · ".join(parts) or f"#{values.get('id', '')}"


# -- filters -----------------------------------------------------------------------------


def date_range(value: Any) -> tuple[dt.date | None, dt.date | None] | None:
    """A date_input range value (empty, one date while picking, or two) as (start, end)."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value, value
    items = [v for v in value if v is not None]
    if not items:
        return None
    if len(items) == 1:
        return items[0], None
    start, end = items[0], items[1]
    return (start, end) if start <= end else (end, start)


def build_filters(
    spec: Spec, widgets: Mapping[str, Any], search: str | None = None, period: str | None = None
) -> Filters:
    """Filters for service.list_page from the filter widgets' values (keyed by field)."""
    values: dict[str, Any] = {}
    for key in spec.list_filter:
        raw = widgets.get(key)
        f = spec.field(key)
        if f.type in ("choice", "bool"):
            chosen = [v for v in (raw or []) if v is not None]
            if chosen:
                values[key] = chosen
        elif f.type == "date":
            rng = date_range(raw)
            if rng is not None:
                values[key] = rng
        elif f.type in ("org_unit", "ref"):
            if raw is not None and raw != "" and raw != []:
                values[key] = raw if isinstance(raw, list) else int(raw)
        else:
            text = (raw or "").strip() if isinstance(raw, str) else raw
            if text:
                values[key] = text
    text = (search or "").strip()
    return Filters(values=values, search=text or None, period=period if spec.date_field else None)


def signature(*parts: Any) -> str:
    """A short stable digest, e.g. to notice that filters or the listed rows changed."""
    return hashlib.sha1(repr(parts).encode("utf-8"), usedforsecurity=False).hexdigest()[:10]


# -- history and conflicts ---------------------------------------------------------------


def _field_or_none(spec: Spec, key: str) -> Field | None:
    try:
        return spec.field(key)
    except KeyError:
        return None


def changed_fields(
    spec: Spec, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[tuple[Field, Any, Any]]:
    """The spec's visible fields whose value differs between two audit snapshots, in
    form order; bookkeeping columns and write-only fields are left out."""
    before, after = before or {}, after or {}
    result = []
    for f in spec.fields:
        if f.write_only or f.key in HIDDEN_KEYS:
            continue
        if f.key not in before and f.key not in after:
            continue
        old, new = before.get(f.key), after.get(f.key)
        if _norm(old) != _norm(new):
            result.append((f, old, new))
    return result


def _norm(value: Any) -> Any:
    if value == "":
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return _iso_date(value)
    return value


def describe_changes(
    spec: Spec,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    lang: str,
    units: Mapping[int, str] | None = None,
    limit: int = 8,
) -> str:
    """'活动主题：旧 → 新；受教育人数：50 → 56' (on create: the values entered)."""
    sep = "; " if lang == "en" else "；"
    colon = ": " if lang == "en" else "："
    parts = []
    for f, old, new in changed_fields(spec, before, after)[:limit]:
        old_text, new_text = format_value(f, old, lang, units), format_value(f, new, lang, units)
        if before is None:
            parts.append(f"{f.label(lang)}{colon}{new_text}")
        else:
            parts.append(f"{f.label(lang)}{colon}{old_text or '∅'} → {new_text or '∅'}")
    return sep.join(parts)


def entry_version(entry: Any) -> int | None:
    after = getattr(entry, "after", None) or {}
    version = after.get("version")
    return version if isinstance(version, int) else None


def history_rows(
    spec: Spec, entries: Sequence[Any], lang: str, units: Mapping[int, str] | None = None
) -> list[dict[str, Any]]:
    """Audit entries of one record, newest first, ready for a table."""
    return [
        {
            "when": clock.local_time(e.at) if e.at else "",
            "who": e.actor_name or "",
            "action": action_label(e.action, lang),
            "version": entry_version(e),
            "changes": describe_changes(spec, e.before, e.after, lang, units),
        }
        for e in reversed(list(entries))
    ]


def action_label(action: str, lang: str) -> str:
    text = i18n.t(f"audit.{action}", lang)
    return action if text == f"audit.{action}" else text


def revert_choices(entries: Sequence[Any], current_version: int) -> list[int]:
    """Versions the record can go back to (newest first), leaving out the current one."""
    versions = []
    for e in reversed(list(entries)):
        v = entry_version(e)
        if (
            v is not None
            and v != current_version
            and v not in versions
            and e.action in ("create", "update", "revert", "import")
        ):
            versions.append(v)
    return versions


def stale_rows(
    spec: Spec, changes: Sequence[Change], typed: Mapping[str, Any], lang: str, units: Mapping[int, str] | None = None
) -> list[dict[str, str]]:
    """What someone else changed after the form was loaded: field label, the value when
    the form was opened, the value now, and what this user typed."""
    rows = []
    for c in changes:
        f = _field_or_none(spec, c.field)
        if f is None or f.write_only or f.key in HIDDEN_KEYS:
            continue
        rows.append(
            {
                "field": f.label(lang),
                "then": format_value(f, c.mine, lang, units),
                "now": format_value(f, c.theirs, lang, units),
                "typed": format_value(f, typed.get(f.key), lang, units) if f.key in typed else "",
            }
        )
    return rows


# -- forms -------------------------------------------------------------------------------


def widget_value(f: Field, value: Any) -> Any:
    """A stored value as its form widget expects it."""
    if f.type in ("text", "longtext"):
        return "" if value is None else str(value)
    if f.type == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if f.type == "date" and isinstance(value, dt.datetime):
        return value.date()
    if f.type == "bool":
        return bool(value) if value is not None else False
    if f.type == "datetime":
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return clock.local(value).replace(tzinfo=None) if isinstance(value, dt.datetime) else value
    return value


def form_defaults(
    spec: Spec, unit_id: int | None, today: dt.date, unit_choices: Sequence[int | None] = ()
) -> dict[str, Any]:
    """Starting values of the add form: each field's default; the sidebar's unit for
    org-unit fields (when the user may pick it); today for a required date."""
    values: dict[str, Any] = {}
    for f in spec.writable_fields(creating=True):
        value = f.default
        if (
            f.type == "org_unit"
            and value is None
            and unit_id is not None
            and (not unit_choices or unit_id in unit_choices)
        ):
            value = unit_id
        if f.type == "date" and value is None and f.required:
            value = today
        values[f.key] = widget_value(f, value)
    return values


def form_raw(spec: Spec, values: Mapping[str, Any], creating: bool) -> dict[str, Any]:
    """The widget values of a form as raw input for the service (every writable field)."""
    raw = {}
    for f in spec.writable_fields(creating):
        value = values.get(f.key)
        if isinstance(value, str) and f.type in ("text", "longtext") and not f.write_only:
            value = value.strip()
        raw[f.key] = value
    return raw


# -- import and export -------------------------------------------------------------------


def export_filename(spec: Spec, lang: str, fmt: str, today: dt.date, template: bool = False) -> str:
    """'健康教育活动_2026-03-24.xlsx', or '健康教育活动_导入模板.csv' for a blank template."""
    suffix = i18n.t("records.template_suffix", lang) if template else today.isoformat()
    return f"{spec.title(lang)}_{suffix}.{fmt}".replace(" ", "_")


def preview_table(
    headers: Sequence[str], cells: Sequence[Sequence[Any]], row_numbers: Sequence[int], lang: str, limit: int = 20
) -> dict[str, list[str]]:
    """The first rows of an uploaded file as read: its row number, then its columns
    (cells padded to the header row, blanks for nothing, dates in ISO form)."""
    row_header = i18n.t("records.col.row", lang)
    names, seen = [], {row_header}
    for i, header in enumerate(headers):
        name = str(header) if header not in (None, "") else i18n.t("records.col.unnamed", lang, n=i + 1)
        while name in seen:  # a file may repeat a header; a table cannot
            name += " "
        seen.add(name)
        names.append(name)
    columns: dict[str, list[str]] = {row_header: [str(n) for n in row_numbers[:limit]]}
    for i, name in enumerate(names):
        columns[name] = [_cell(row[i]) if i < len(row) else "" for row in cells[:limit]]
    return columns


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return (
            _iso_date(value)
            if not isinstance(value, dt.datetime) or not (value.hour or value.minute or value.second)
            else value.isoformat(sep=" ")
        )
    return str(value)


def import_error_rows(errors: Sequence[Any], lang: str, limit: int = 500) -> dict[str, list[str]]:
    """Row, column and reason of each problem an import check found (the first limit)."""
    shown = list(errors)[:limit]
    return {
        i18n.t("records.col.row", lang): [str(e.row) for e in shown],
        i18n.t("records.col.column", lang): [e.column for e in shown],
        i18n.t("records.col.reason", lang): [e.message for e in shown],
    }
