"""The operations tab of /admin (admins only): the database, this process, the last
backup, and the page runs slower than the threshold in the last day, from every process.
The facts come from portal.ops; this module only draws them and times the runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from portal import clock, ops
from portal.ui.db import engine, unit_of_work
from portal.ui.i18n import t


@contextmanager
def timed_run(page: str, username: str | None) -> Iterator[None]:
    """Around a signed-in page run: a run over the threshold is logged and kept (also
    when the page ends early by st.stop or st.rerun, which pass through)."""
    start = time.monotonic()
    try:
        yield
    finally:
        ops.note_run(engine(), page, username, (time.monotonic() - start) * 1000)


def open_sessions() -> int | None:
    """Browser sessions connected to this process (None outside a server, e.g. tests)."""
    try:
        from streamlit.runtime import Runtime

        return Runtime.instance()._session_mgr.num_active_sessions()
    except Exception:  # noqa: BLE001 - not running in a server: nothing to count
        return None


def _mb(size: int | None) -> str:
    return "—" if size is None else f"{size / 1024 / 1024:,.1f} MB"


def render() -> None:
    info = ops.database_info(engine())
    with unit_of_work() as session:
        slow = ops.slow_runs(session)
        backup = ops.last_backup(session)
        backup_at, backup_file = (backup.at, backup.detail) if backup else (None, None)
    st.subheader(t("ops.title"))
    first = st.columns(4)
    first[0].metric(t("ops.database"), t(f"ops.kind.{info.kind}"))
    first[1].metric(
        t("ops.schema"),
        info.revision or "—",
        t("ops.schema_current") if info.current else t("ops.schema_behind", head=info.head or "—"),
        delta_color="off",
    )
    first[2].metric(t("ops.database_size"), _mb(info.size_bytes))
    first[3].metric(t("ops.disk_free"), _mb(info.disk_free_bytes) if info.kind == "sqlite" else "—")
    second = st.columns(4)
    sessions = open_sessions()
    second[0].metric(t("ops.sessions"), "—" if sessions is None else str(sessions))
    second[1].metric(t("ops.process"), ops.process_name())
    second[2].metric(
        t("ops.last_backup"), clock.local_time(backup_at, "%Y-%m-%d %H:%M") if backup_at else t("ops.no_backup")
    )
    second[3].metric(t("ops.slow_count", ms=ops.slow_run_ms()), str(len(slow)))
    if backup_file:
        st.caption(t("ops.backup_file", file=backup_file))
    st.markdown(f"##### {t('ops.slow_title', ms=ops.slow_run_ms())}")
    if not slow:
        st.caption(t("ops.no_slow_runs"))
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("ops.col.time"): clock.local_time(r.at, "%m-%d %H:%M:%S"),
                    t("ops.col.page"): _page_name(r.page),
                    t("ops.col.user"): r.username or "",
                    t("ops.col.ms"): r.ms,
                    t("ops.col.process"): r.process or "",
                }
                for r in slow
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def _page_name(page: str) -> str:
    """A logged page as its menu shows it in the reader's language (健康教育, not
    education); a page the menu does not name keeps its path."""
    key = f"nav.{page.strip('/').replace('/', '_')}"
    name = t(key)
    return page if name == key else name
