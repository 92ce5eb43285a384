"""Child rows on a parent's form (a spec's ``inlines``): an editable table inside the
parent's st.form; on submit its added, changed and deleted rows become RowChanges that
service.save applies with the parent in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import select

from portal.org.scope import Actor
from portal.records import display, refs, registry
from portal.records.children import Inline
from portal.records.fields import Field
from portal.records.grid import RowChange
from portal.records.service import Spec
from portal.ui.db import unit_of_work
from portal.ui.i18n import t


@dataclass
class ChildTable:
    """One inline's table as drawn: what its rows were, so the edits can be read back."""

    inline: Inline
    spec: Spec
    fields: list[Field]
    key: str
    rows: list[tuple[int, int]] = field(default_factory=list)  # (id, version) by position
    choices: dict[str, dict[Any, str]] = field(default_factory=dict)  # field -> stored value -> shown label

    def title(self, language: str) -> str:
        if self.inline.title_zh or self.inline.title_en:
            return self.inline.title_en if language == "en" else self.inline.title_zh
        return self.spec.title(language)


def shown_fields(inline: Inline, child: Spec) -> list[Field]:
    keys = inline.fields or tuple(f.key for f in child.fields if not f.write_only and f.type != "images")
    return [child.field(k) for k in keys if k not in inline.linked]


def editor(
    parent: Spec, inline: Inline, actor: Actor, parent_record: Any | None, *, key: str, language: str, editable: bool
) -> ChildTable:
    """Draw the table (call inside the parent's form)."""
    child = registry.get(inline.spec)
    table = ChildTable(inline, child, shown_fields(inline, child), f"{key}.inline.{inline.spec}")
    existing: list[Any] = []
    link = {c: getattr(parent_record, p) for c, p in inline.link} if parent_record is not None else {}
    with unit_of_work() as session:
        if parent_record is not None and all(v is not None for v in link.values()):
            stmt = select(child.model).where(
                child.model.deleted_at.is_(None), *(getattr(child.model, k) == v for k, v in link.items())
            )
            existing = list(session.scalars(stmt.order_by(child.model.id)))
        names = display.names(session, child, existing, language)
        for f in table.fields:
            if f.type == "choice":
                table.choices[f.key] = {c.value: c.label(language) for c in f.choices}
            elif f.type == "ref":
                table.choices[f.key] = dict(refs.choices(session, actor, child, f, link, language))
    table.rows = [(r.id, r.version) for r in existing]
    frame = pd.DataFrame(
        {
            f.label(language): _series(f, [_cell(f, getattr(r, f.key), table, names, language) for r in existing])
            for f in table.fields
        }
    )
    st.markdown(f"##### {display.md_escape(table.title(language))}")
    st.data_editor(
        frame,
        key=table.key,
        hide_index=True,
        width="stretch",
        num_rows="dynamic" if editable else "fixed",
        disabled=not editable,
        column_config={f.label(language): _column(f, table, language) for f in table.fields},
    )
    st.caption(t("children.hint"))
    return table


def _series(f: Field, values: list[Any]) -> pd.Series:
    """A column typed for its editor even when it is empty (pandas would make it float)."""
    if f.type in ("int", "float"):
        return pd.Series(values, dtype="float64")
    if f.type == "bool":
        return pd.Series([bool(v) for v in values], dtype="bool")
    if f.type == "date":
        return pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")
    return pd.Series(values, dtype="object")


def _cell(f: Field, value: Any, table: ChildTable, names: Any, language: str) -> Any:
    if f.key in table.choices:
        return table.choices[f.key].get(value, "" if value is None else str(value))
    if f.type == "org_unit":
        return display.format_value(f, value, language, names)
    return value


def _column(f: Field, table: ChildTable, language: str) -> Any:
    label = f.label(language) + (" *" if f.required else "")
    if f.readonly:
        return st.column_config.Column(label, disabled=True)
    if f.key in table.choices:
        return st.column_config.SelectboxColumn(label, options=list(table.choices[f.key].values()), required=f.required)
    if f.type in ("int", "float"):
        return st.column_config.NumberColumn(
            label, min_value=f.min, max_value=f.max, required=f.required, step=1 if f.type == "int" else None
        )
    if f.type == "date":
        return st.column_config.DateColumn(label, format="YYYY-MM-DD", required=f.required)
    if f.type == "bool":
        return st.column_config.CheckboxColumn(label)
    return st.column_config.TextColumn(label, max_chars=f.max_length, required=f.required)


def changes(table: ChildTable, language: str) -> list[RowChange]:
    """The table's edits as RowChanges (after the form was submitted)."""
    state = st.session_state.get(table.key) or {}
    by_label = {f.label(language): f for f in table.fields}
    out: list[RowChange] = []
    for position, edited in (state.get("edited_rows") or {}).items():
        rid, version = table.rows[int(position)]
        values = _values(table, by_label, edited)
        if values:
            out.append(RowChange(rid, version, values, label=t("children.row", n=int(position) + 1)))
    for n, added in enumerate(state.get("added_rows") or [], len(table.rows) + 1):
        values = _values(table, by_label, added)
        if any(v not in (None, "") for v in values.values()):
            out.append(RowChange(values=values, label=t("children.row", n=n)))
    for position in state.get("deleted_rows") or []:
        rid, version = table.rows[int(position)]
        out.append(RowChange(rid, version, delete=True, label=t("children.row", n=int(position) + 1)))
    return out


def _values(table: ChildTable, by_label: dict[str, Field], shown: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for label, value in shown.items():
        f = by_label.get(label)
        if f is None or f.readonly:
            continue
        if f.key in table.choices:
            reverse = {v: k for k, v in table.choices[f.key].items()}
            value = reverse.get(value, value)
        elif f.type == "date" and isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        values[f.key] = value
    return values
