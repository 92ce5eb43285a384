"""Grids for bulk entry on a page: a roster × columns editor for a Pivot (attendance by
half-day, deductions by checklist item, targets by unit and period) and the same saving
path for a list whose columns are editable in place.

Two layouts of one grid:
- "list": one block per row with a control per column (a segmented control for a choice,
  a number box for a number) — large touch targets, fits a 390 px phone, and Enter never
  moves an edit to another row; a row given a ``steps`` entry also gets a wide "-step"
  button (one tap takes one step off, never below 0, a blank cell starting from its
  ``tops`` value) and a reset to that value: taps change the unsaved edits, Save writes them;
- "table": st.data_editor, dense, for a desk.
Edits are kept in session state until Save: the page shows how many are unsaved and any
live totals; "fill all" pre-fills blank cells (not saved until Save); one Save applies
every change through service.save_rows (one transaction, one audit entry per changed row);
a refusal lists the rows and fields at fault and saves nothing; rows someone else saved
meanwhile are named and the grid offers to reload.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
import streamlit as st

from portal import formatting, i18n
from portal.errors import ValidationError
from portal.org.scope import Actor
from portal.records import display
from portal.records.fields import Field
from portal.records.grid import Cell, Pivot, RowChange, Saved, pivot_changes
from portal.records.service import RowsRefused, Spec, StaleRows, save_rows
from portal.ui.db import unit_of_work
from portal.ui.i18n import lang, t
from portal.ui.messages import attempt, flash


@dataclass(frozen=True)
class GridRow:
    key: Hashable
    label: str
    extra: Mapping[str, str] = field(default_factory=dict)  # read-only columns (unit, category...)


@dataclass
class PivotGrid:
    """Everything one pivot editor needs; the area fills it from its own queries."""

    key: str
    spec: Spec
    pivot: Pivot
    rows: Sequence[GridRow]
    columns: Sequence[tuple[Hashable, str]]
    cells: Mapping[Any, Cell]  # (row, column) -> stored cell
    shared: Mapping[str, Any]
    editable: bool = True
    fill: Any = None  # the value "fill all" puts in blank cells (None: no such button)
    fill_label: str = ""
    layout: str = "auto"  # auto | list | table
    # How a save is written, when the area has more to do than pivot_changes + save_rows
    # (e.g. bring a cleared target back from the trash): (session, actor, edits) -> Saved.
    save: Callable[[Any, Actor, dict[Any, Any]], Saved] | None = None
    # One-tap deduction on the list layout (a scoring sheet): row -> the step one tap takes
    # off, and row -> the value a blank cell starts from and "reset" goes back to.
    steps: Mapping[Hashable, float] = field(default_factory=dict)
    tops: Mapping[Hashable, float] = field(default_factory=dict)


def _state(grid: PivotGrid) -> dict[tuple[Hashable, Hashable], Any]:
    """This grid's unsaved edits: (row, column) -> value."""
    edits: dict[tuple[Hashable, Hashable], Any] = st.session_state.setdefault(f"{grid.key}.edits", {})
    return edits


def current(grid: PivotGrid) -> dict[tuple[Hashable, Hashable], Any]:
    """Every cell as the user sees it now: stored values overlaid with unsaved edits."""
    values = {
        (r.key, c): (grid.cells[(r.key, c)].value if (r.key, c) in grid.cells else None)
        for r in grid.rows
        for c, _ in grid.columns
    }
    values.update(_state(grid))
    return values


def unsaved(grid: PivotGrid) -> int:
    stored = {k: v.value for k, v in grid.cells.items()}
    return sum(1 for k, v in _state(grid).items() if stored.get(k) != v and not (v is None and k not in stored))


def pivot_editor(grid: PivotGrid) -> Saved | None:
    """Draw the grid and its Save; returns what a save wrote (after which the page reruns)."""
    value_field = grid.spec.field(grid.pivot.value)
    layout = _layout(grid)
    fill_label = grid.fill_label or t("grid.fill_all")
    if (
        grid.editable
        and grid.fill is not None
        and st.button(fill_label, key=f"{grid.key}.fill", icon=":material/done_all:")
    ):
        edits = _state(grid)
        for row in grid.rows:
            for column, _ in grid.columns:
                cell = (row.key, column)
                if cell not in grid.cells and edits.get(cell) is None:
                    edits[cell] = grid.fill
                    st.session_state[_cell_key(grid, row.key, column)] = grid.fill
        st.session_state[f"{grid.key}.generation"] = st.session_state.get(f"{grid.key}.generation", 0) + 1
        st.rerun()
    if layout == "table":
        _table(grid, value_field)
    else:
        _list(grid, value_field)
    if not grid.editable:
        return None
    pending = unsaved(grid)
    bar = st.container(horizontal=True, vertical_alignment="center")
    if pending:
        bar.warning(t("grid.unsaved", count=pending), icon=":material/edit_note:")
    save = bar.button(
        t("grid.save", count=pending),
        key=f"{grid.key}.save",
        type="primary",
        icon=":material/save:",
        disabled=not pending,
    )
    if pending and bar.button(t("grid.discard"), key=f"{grid.key}.discard", icon=":material/undo:"):
        _reset(grid)
        st.rerun()
    if save:
        return _save(grid)
    return None


def _layout(grid: PivotGrid) -> str:
    if grid.layout in ("list", "table"):
        return grid.layout
    choice = st.segmented_control(
        t("grid.layout"),
        ["list", "table"],
        key=f"{grid.key}.layout",
        default="list",
        format_func=lambda v: t(f"grid.layout.{v}"),
        label_visibility="collapsed",
    )
    return choice or "list"


def _options(f: Field) -> list[Any]:
    return [c.value for c in f.choices]


def _cell_key(grid: PivotGrid, row: Hashable, column: Hashable) -> str:
    return f"{grid.key}.cell.{row}.{column}"


def _list(grid: PivotGrid, f: Field) -> None:
    """One bordered block per row, one control per column: a phone's layout. Each
    control's state starts from the stored value (or an unsaved edit) and is never given
    a second default, so Streamlit keeps what the user chose."""
    values, edits, language = current(grid), _state(grid), lang()
    stored = {k: c.value for k, c in grid.cells.items()}
    for row in grid.rows:
        with st.container(border=True, key=f"{grid.key}.row.{row.key}"):
            extra = " · ".join(v for v in row.extra.values() if v)
            head = f"**{display.md_escape(row.label)}**"
            st.markdown(head + (f"  \n:gray[{display.md_escape(extra)}]" if extra else ""))
            for column, heading in grid.columns:
                label = display.md_escape(heading)  # a widget label is markdown: an admin's text stays text
                cell = (row.key, column)
                wkey = _cell_key(grid, row.key, column)
                if wkey not in st.session_state:
                    st.session_state[wkey] = values.get(cell) if f.type != "text" else (values.get(cell) or "")
                shown: Literal["visible", "collapsed"] = "visible" if len(grid.columns) > 1 else "collapsed"
                if f.type == "choice":
                    chosen = st.segmented_control(
                        label,
                        _options(f),
                        key=wkey,
                        disabled=not grid.editable,
                        format_func=lambda v: f.choice_label(v, language),
                        label_visibility=shown,
                    )
                elif f.type in ("int", "float"):
                    chosen = st.number_input(
                        label,
                        key=wkey,
                        min_value=f.min,
                        max_value=f.max,
                        disabled=not grid.editable,
                        step=1 if f.type == "int" else None,
                        placeholder=t("records.blank"),
                        label_visibility=shown,
                    )
                elif f.type == "bool":
                    chosen = st.checkbox(label, key=wkey, disabled=not grid.editable)
                else:
                    chosen = st.text_input(label, key=wkey, disabled=not grid.editable, label_visibility=shown) or None
                if chosen == stored.get(cell) or (chosen is None and cell not in stored):
                    edits.pop(cell, None)
                else:
                    edits[cell] = chosen
                if grid.editable and row.key in grid.steps and f.type in ("int", "float"):
                    _taps(grid, row.key, column, stored)


def _taps(grid: PivotGrid, row: Hashable, column: Hashable, stored: Mapping[Any, Any]) -> None:
    """The row's "-step" and reset buttons. They act in on_click callbacks, which run
    before the next run draws the number box, so the box and the live total show the new
    value at once; nothing is written until Save."""
    step, top = grid.steps[row], grid.tops.get(row)
    bar = st.container(horizontal=True, key=f"{grid.key}.taps.{row}.{column}")
    bar.button(
        t("grid.tap.deduct", step=formatting.number(step)),
        key=f"{grid.key}.tap.{row}.{column}",
        on_click=_tap,
        args=(grid.key, row, column, step, top, stored.get((row, column))),
        icon=":material/remove_circle:",
        width="stretch",
        help=t("grid.tap.help", step=formatting.number(step)),
    )
    if top is not None:
        bar.button(
            t("grid.tap.reset"),
            key=f"{grid.key}.reset.{row}.{column}",
            on_click=_set_cell,
            args=(grid.key, row, column, top, stored.get((row, column))),
            icon=":material/restart_alt:",
        )


def _tap(key: str, row: Hashable, column: Hashable, step: float, top: float | None, stored: Any) -> None:
    wkey = f"{key}.cell.{row}.{column}"
    now = st.session_state.get(wkey)
    start = float(now) if now is not None else (float(top) if top is not None else 0.0)
    _set_cell(key, row, column, max(0.0, round(start - step, 2)), stored)


def _set_cell(key: str, row: Hashable, column: Hashable, value: float, stored: Any) -> None:
    st.session_state[f"{key}.cell.{row}.{column}"] = value
    edits: dict[tuple[Hashable, Hashable], Any] = st.session_state.setdefault(f"{key}.edits", {})
    if value == stored:
        edits.pop((row, column), None)
    else:
        edits[(row, column)] = value


def _table(grid: PivotGrid, f: Field) -> None:
    """st.data_editor over the same cells: a desk's layout."""
    language = lang()
    values = current(grid)
    extra_keys = list(dict.fromkeys(k for r in grid.rows for k in r.extra))
    data: dict[str, list[Any]] = {t("grid.col.row"): [r.label for r in grid.rows]}
    for name in extra_keys:
        data[name] = [r.extra.get(name, "") for r in grid.rows]
    labels = dict(grid.columns)
    for column, label in grid.columns:
        data[label] = [_shown(f, values.get((r.key, column)), language) for r in grid.rows]
    config: dict[str, Any] = {t("grid.col.row"): st.column_config.TextColumn(disabled=True)}
    for name in extra_keys:
        config[name] = st.column_config.TextColumn(disabled=True)
    for _, label in grid.columns:
        if f.type == "choice":
            config[label] = st.column_config.SelectboxColumn(options=[c.label(language) for c in f.choices])
        elif f.type in ("int", "float"):
            config[label] = st.column_config.NumberColumn(min_value=f.min, max_value=f.max)
        elif f.type == "bool":
            config[label] = st.column_config.CheckboxColumn()
    generation = st.session_state.get(f"{grid.key}.generation", 0)
    editor_key = f"{grid.key}.table.{generation}"
    st.data_editor(
        pd.DataFrame(data),
        key=editor_key,
        hide_index=True,
        width="stretch",
        column_config=config,
        disabled=not grid.editable,
        num_rows="fixed",
    )
    changed = (st.session_state.get(editor_key) or {}).get("edited_rows") or {}
    edits = _state(grid)
    by_label = {label: c for c, label in labels.items()}
    for index, columns in changed.items():
        row = grid.rows[int(index)]
        for label, shown in columns.items():
            if label in by_label:
                edits[(row.key, by_label[label])] = _stored(f, shown, language)


def _shown(f: Field, value: Any, language: str) -> Any:
    return f.choice_label(value, language) if f.type == "choice" and value is not None else value


def _stored(f: Field, shown: Any, language: str) -> Any:
    if f.type == "choice":
        for c in f.choices:
            if shown in (c.label(language), c.value):
                return c.value
        return None
    return shown


def _reset(grid: PivotGrid) -> None:
    st.session_state.pop(f"{grid.key}.edits", None)
    for name in list(st.session_state):
        if isinstance(name, str) and name.startswith(f"{grid.key}.cell."):
            del st.session_state[name]
    st.session_state[f"{grid.key}.generation"] = st.session_state.get(f"{grid.key}.generation", 0) + 1


def _save(grid: PivotGrid) -> Saved | None:
    labels = {r.key: r.label for r in grid.rows}
    edits = dict(_state(grid))
    actor: Actor = st.session_state["auth.actor"]
    changes = pivot_changes(grid.pivot, grid.shared, grid.cells, edits, labels)
    custom = grid.save
    if custom is not None:
        return save_changes(
            grid.key, grid.spec, changes, lambda session: custom(session, actor, edits), on_saved=lambda: _reset(grid)
        )
    return save_changes(
        grid.key,
        grid.spec,
        changes,
        lambda session: save_rows(session, actor, grid.spec, changes),
        on_saved=lambda: _reset(grid),
    )


def save_changes(
    key: str,
    spec: Spec,
    changes: list[RowChange],
    write: Callable[[Any], Saved],
    on_saved: Callable[[], None] | None = None,
) -> Saved | None:
    """One grid save, told to the user: a toast with what was saved, the rows at fault
    with nothing saved, or the rows someone else changed."""
    refused: list[Any] = []
    stale: list[Any] = []

    def run() -> Saved | None:
        try:
            with unit_of_work() as session:
                return write(session)
        except RowsRefused as exc:
            refused.extend(exc.errors)
        except StaleRows as exc:
            stale.extend(exc.rows)
        return None

    saved = attempt(run)
    if refused:
        _show_refused(spec, changes, refused)
    if stale:
        st.warning(
            t("grid.stale", rows=i18n.join((r[1] or str(r[0]) for r in stale[:10]), lang())),
            icon=":material/sync_problem:",
        )
        if st.button(t("records.reload"), key=f"{key}.reload", icon=":material/refresh:"):
            st.session_state.pop(f"{key}.edits", None)
            st.rerun()
    if saved is None:
        return None
    if on_saved is not None:
        on_saved()
    message = t("grid.saved", created=saved.created, updated=saved.updated, deleted=saved.deleted)
    st.toast(message, icon=":material/check_circle:")
    flash(message)
    st.rerun()


def _show_refused(spec: Spec, changes: list[RowChange], errors: list[Any]) -> None:
    language = lang()
    st.error(t("grid.refused", count=len({e.row for e in errors})), icon=":material/error:")
    labels = ValidationError(errors, labels={f.key: f for f in spec.fields})
    st.dataframe(
        pd.DataFrame(
            {
                t("grid.col.row"): [changes[e.row - 1].label or str(e.row) if e.row else "" for e in errors],
                t("records.col.field"): [labels.label(e.field, language) for e in errors],
                t("records.col.reason"): [e.message(language) for e in errors],
            }
        ),
        hide_index=True,
        width="stretch",
    )
