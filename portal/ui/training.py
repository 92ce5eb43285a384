"""The /training page: a trainer picks a session (today's own first) and takes attendance
on the engine's grid (roster × one half-day, "全部出勤", then the exceptions, one audited
save), enters scores, and sees the roster; the year's figures with the progress chart and
the hours ledger; and the generic record screens for programmes, sessions and rosters."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import streamlit as st
from sqlalchemy import select
from streamlit.runtime.scriptrunner import get_script_run_ctx

from db.models import OrgUnit, TrainingSession
from portal import clock, formatting
from portal.org.scope import Actor
from portal.programmes.training import charts as tc
from portal.programmes.training import reports, scores, signin
from portal.programmes.training import service as training
from portal.programmes.training import specs as tr
from portal.records import io as records_io
from portal.records import service as records
from portal.records.display import md_escape
from portal.ui import views as ui_views
from portal.ui import workflow as workflow_ui
from portal.ui.db import unit_of_work
from portal.ui.downloads import download_button
from portal.ui.grid import GridRow, PivotGrid, current, pivot_editor
from portal.ui.i18n import lang, t, tm
from portal.ui.messages import attempt, flash
from portal.ui.records import render_records
from portal.ui.shell import require_page, selected_unit_id

KEY = "training"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def render() -> None:
    actor = require_page("training")
    st.title(t("nav.training"))
    today = clock.today()
    ui_views.tabs(  # only the open one runs
        [
            (t("training.tab.session"), lambda: session_view(actor, today)),
            (t("training.tab.figures"), lambda: figures_view(actor, today)),
            (t("training.tab.ledger"), lambda: ledger_view(actor, today)),
            (
                tr.TrainingProgrammeSpec.title(lang()),
                lambda: render_records(tr.TrainingProgrammeSpec, actor, key=f"{KEY}.programmes"),
            ),
            (
                tr.TrainingSessionSpec.title(lang()),
                lambda: render_records(tr.TrainingSessionSpec, actor, key=f"{KEY}.sessions"),
            ),
            (
                tr.TrainingPersonSpec.title(lang()),
                lambda: render_records(tr.TrainingPersonSpec, actor, key=f"{KEY}.people", unit_id=selected_unit_id()),
            ),
            (
                tr.TrainingEnrolmentSpec.title(lang()),
                lambda: render_records(
                    tr.TrainingEnrolmentSpec, actor, key=f"{KEY}.roster", unit_id=selected_unit_id()
                ),
            ),
            (
                tr.TrainingExternalHoursSpec.title(lang()),
                lambda: render_records(
                    tr.TrainingExternalHoursSpec, actor, key=f"{KEY}.external", unit_id=selected_unit_id()
                ),
            ),
        ],
        f"{KEY}.tabs",
    )


# -- one session: attendance, scores, roster ---------------------------------------------------


def _session_label(run: TrainingSession, today: dt.date) -> str:
    state = tr.TrainingSessionSpec.field("status").choice_label(run.status, lang())
    end = run.end_date or run.start_date
    when = formatting.date(run.start_date) + ("" if end == run.start_date else f"–{formatting.date(end)}")
    running = run.start_date <= today <= end
    return f"{'● ' if running else ''}{run.title} · {when} · {state}"


def session_view(actor: Actor, today: dt.date) -> None:
    def load() -> list[TrainingSession]:
        with unit_of_work() as session:
            return training.sessions_for(session, actor, today)

    runs = attempt(load) or []
    if not runs:
        st.info(t("training.no_sessions"))
        return
    labels = {run.id: _session_label(run, today) for run in runs}
    asked = st.query_params.get("session")  # a link from the home page: ?session=ID
    if asked and asked.isdigit() and int(asked) in labels and f"{KEY}.session" not in st.session_state:
        st.session_state[f"{KEY}.session"] = int(asked)
    chosen = st.selectbox(
        t("training.pick_session"),
        list(labels),
        format_func=lambda i: labels.get(i, str(i)),
        key=f"{KEY}.session",
    )

    def open_run() -> tuple[TrainingSession, bool, list[training.RosterEntry], dict[int, str]]:
        with unit_of_work() as session:
            run = training.get_session(session, actor, chosen)
            entries = training.roster(session, actor, run, lang())
            paths = {
                int(i): str(p)
                for i, p in session.execute(
                    select(OrgUnit.id, OrgUnit.path).where(OrgUnit.id.in_({e.unit_id for e in entries}))
                )
            }
            return run, training.runs_session(session, actor, run), entries, paths

    opened = attempt(open_run)
    if opened is None:
        return
    run, runs_it, entries, paths = opened
    head = st.container(horizontal=True, vertical_alignment="center")
    with head:
        workflow_ui.state_badge(tr.TrainingSessionSpec, run.status)
        st.caption(
            tm(
                "training.session_caption",
                venue=run.venue or "—",
                lecturers=run.lecturers or "—",
                hours=formatting.number(run.hours_per_half_day),
            )
        )
    if runs_it:
        workflow_ui.actions(tr.TrainingSessionSpec, actor, run, key=f"{KEY}.run.{run.id}", on_done=lambda _: st.rerun())
    else:
        st.info(t("training.read_only"), icon=":material/visibility:")
    holding = [e for e in entries if e.status in tr.HOLDING]
    attendance_tab, scores_tab, roster_tab = st.tabs(
        [t("training.tab.attendance"), t("training.tab.scores"), t("training.tab.roster")], key=f"{KEY}.session.tabs"
    )
    with attendance_tab:
        attendance_view(actor, run, holding, runs_it, today)
    with scores_tab:
        scores_view(actor, run, holding, runs_it)
    with roster_tab:
        roster_view(actor, entries, paths)
        nominate_view(actor, run)
        roster_import(actor, run)
        if runs_it:
            narrative(actor, run)
        downloads(actor, run)


def _half_day_label(key: str) -> str:
    day = dt.date.fromisoformat(key[:10])
    return t(f"training.half_day.{key[-2:]}", date=f"{day.month}-{day.day:02d}")


def _default_half_day(keys: list[str], today: dt.date) -> str:
    now = clock.now()
    wanted = f"{today.isoformat()}/{'am' if now.hour < 12 else 'pm'}"
    if wanted in keys:
        return wanted
    todays = [k for k in keys if k.startswith(today.isoformat())]
    return todays[0] if todays else keys[0]


def _grid_rows(entries: list[training.RosterEntry]) -> list[GridRow]:
    category = tr.TrainingEnrolmentSpec.field("category")
    return [
        GridRow(e.id, e.name, {"unit": e.unit, "category": category.choice_label(e.category, lang())}) for e in entries
    ]


def attendance_view(
    actor: Actor, run: TrainingSession, entries: list[training.RosterEntry], runs_it: bool, today: dt.date
) -> None:
    if not entries:
        st.info(t("training.roster_empty"))
        return
    keys = tr.half_days(run.start_date, run.half_days)
    picked = st.segmented_control(
        t("training.half_day"),
        [*keys, "all"],
        default=_default_half_day(keys, today),
        format_func=lambda k: t("training.all_half_days") if k == "all" else _half_day_label(k),
        key=f"{KEY}.half.{run.id}",
    )
    columns = keys if picked in (None, "all") else [picked]

    def load() -> dict[Any, Any]:
        with unit_of_work() as session:
            return dict(training.attendance_cells(session, actor, run))

    cells = attempt(load)
    if cells is None:
        return
    totals = st.container()
    grid = PivotGrid(
        key=f"{KEY}.attendance.{run.id}.{'-'.join(columns)}",
        spec=tr.TrainingAttendanceSpec,
        pivot=training.ATTENDANCE,
        rows=_grid_rows(entries),
        columns=[(k, _half_day_label(k)) for k in columns],
        cells=cells,
        shared={"session_id": run.id, "half_day_hours": run.hours_per_half_day},
        editable=runs_it and run.status != "summarised",
        fill="present",
        fill_label=t("training.all_present"),
        layout="list" if len(columns) == 1 else "auto",
        save=lambda session, who, edits: training.save_attendance(session, who, run.id, cells, edits),
    )
    pivot_editor(grid)
    with totals:
        _attendance_totals(grid, entries, columns)
    if runs_it and run.status != "summarised":
        signin_panel(actor, run, picked if picked in keys else _default_half_day(keys, today))


def signin_panel(actor: Actor, run: TrainingSession, half_day: str) -> None:
    """扫码签到: open a window for the half-day; while it is open, the rotating code and the
    link (shown on the hall's screen), and the walk-ins to accept or reject."""
    with st.expander(t("training.signin.panel"), icon=":material/how_to_reg:"):

        def load() -> Any:
            with unit_of_work() as session:
                return signin.open_window_of(session, actor, run.id)

        window = attempt(load)
        if window is None:
            row = st.container(horizontal=True, vertical_alignment="bottom")
            minutes = row.selectbox(
                t("training.signin.minutes"), [10, 15, 30, 60], index=1, key=f"{KEY}.signin.minutes.{run.id}"
            )
            if row.button(
                t("training.signin.open", half=_half_day_label(half_day)),
                key=f"{KEY}.signin.open.{run.id}",
                type="primary",
                icon=":material/play_arrow:",
            ):

                def start() -> object:
                    with unit_of_work() as session:
                        return signin.open_window(session, actor, run.id, half_day, int(minutes or 15))

                if attempt(start) is not None:
                    st.rerun()
        else:
            _code_view(window)
            if st.button(t("training.signin.close"), key=f"{KEY}.signin.close.{run.id}", icon=":material/stop:"):

                def stop() -> object:
                    with unit_of_work() as session:
                        signin.close_window(session, actor, window.id)
                        return True

                if attempt(stop) is not None:
                    st.rerun()
        _walkins(actor, run)


def _portal_base() -> str:
    """The portal's address as the trainer's browser sees it (behind nginx too): the page's
    URL without this page's path. Without one (a test, a bare run), Streamlit's own idea of
    the server address, as its "Network URL" line prints it."""
    seen = st.context.url
    if seen:
        parts = urlsplit(seen)
        path = parts.path.rstrip("/")
        page = "/" + KEY
        path = path.removesuffix(page)
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    host = st.get_option("browser.serverAddress") or "localhost"
    port = st.get_option("browser.serverPort") or st.get_option("server.port")
    base_path = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"http://{host}:{port}" + (f"/{base_path}" if base_path else "")


@st.fragment(run_every=5)
def _code_view(window: Any) -> None:
    """The rotating code typed large, and the same code inside the link's QR image beside
    it (halls where phones cannot scan type the code)."""
    code = signin.current_code(window)
    # width="content": a pixel width would make Streamlit resample the PNG, blurring the modules
    link = signin.signin_url(_portal_base(), window.id, code)
    row = st.container(horizontal=True, vertical_alignment="center")
    with row:
        st.image(signin.qr_png(link), width="content", output_format="PNG", caption=t("training.signin.qr_caption"))
        st.metric(
            t("training.signin.code_now", half=_half_day_label(window.half_day)),
            code,
            help=t("training.signin.code_help"),
        )
    st.caption(
        t(
            "training.signin.link",
            link=f"<{link}>",  # an autolink ends at ">": the （ right after it is not taken into the URL
            seconds=signin.seconds_left(),
            until=clock.local_time(window.closes_at, "%H:%M"),
        )
    )


def _walkins(actor: Actor, run: TrainingSession) -> None:
    def load() -> tuple[list[Any], dict[int, str]]:
        with unit_of_work() as session:
            waiting = signin.walkins(session, actor, run.id)
            wide = training.session_actor(session, actor, run)
            units = {
                int(i): str(n)
                for i, n in session.execute(
                    select(OrgUnit.id, OrgUnit.name_zh)
                    .where(OrgUnit.deleted_at.is_(None), OrgUnit.path.startswith(wide.org_path, autoescape=True))
                    .order_by(OrgUnit.path)
                )
            }
            return waiting, units

    loaded = attempt(load)
    if not loaded or not loaded[0]:
        return
    waiting, units = loaded
    st.markdown("**" + md_escape(t("training.signin.walkins", count=len(waiting))) + "**")
    category = tr.TrainingEnrolmentSpec.field("category")
    for walkin in waiting:
        with st.container(border=True):
            st.markdown(md_escape(f"{walkin.person_name} · ****{walkin.phone_tail}"))
            row = st.container(horizontal=True, vertical_alignment="bottom")
            unit = row.selectbox(
                t("training.col.unit"), list(units), format_func=units.__getitem__, key=f"{KEY}.walkin.unit.{walkin.id}"
            )
            kind = row.selectbox(
                t("training.col.category"),
                [c.value for c in category.choices],
                format_func=lambda v: category.choice_label(v, lang()),
                key=f"{KEY}.walkin.category.{walkin.id}",
            )
            errors: dict[str, list[str]] = {}
            if row.button(t("training.signin.accept"), key=f"{KEY}.walkin.accept.{walkin.id}", type="primary"):

                def accept(walkin_id: int = walkin.id, unit_id: int = int(unit), chosen: str = str(kind)) -> object:
                    with unit_of_work() as session:
                        return signin.accept_walkin(session, actor, walkin_id, unit_id, chosen)

                if attempt(accept, errors) is not None:
                    st.rerun()
            if row.button(t("training.signin.reject"), key=f"{KEY}.walkin.reject.{walkin.id}"):

                def reject(walkin_id: int = walkin.id) -> object:
                    with unit_of_work() as session:
                        signin.reject_walkin(session, actor, walkin_id)
                        return True

                if attempt(reject) is not None:
                    st.rerun()
            for messages in errors.values():
                st.error(md_escape(" ".join(messages)))


def _attendance_totals(grid: PivotGrid, entries: list[training.RosterEntry], columns: list[str]) -> None:
    """Live totals (unsaved edits included): by status, and present by sex and category."""
    values = current(grid)
    by_status: Counter[str] = Counter()
    present_by: Counter[str] = Counter()
    people = {e.id: e for e in entries}
    status_field = tr.TrainingAttendanceSpec.field("status")
    category = tr.TrainingEnrolmentSpec.field("category")
    sex = tr.TrainingEnrolmentSpec.field("sex")
    for (row, column), value in values.items():
        if column not in columns:
            continue
        by_status[value or "unmarked"] += 1
        if value in tr.PRESENT and row in people:
            person = people[row]
            present_by[sex.choice_label(person.sex, lang()) or "?"] += 1
            present_by[category.choice_label(person.category, lang())] += 1
    parts = [f"{status_field.choice_label(c.value, lang())} {by_status.get(c.value, 0)}" for c in tr.MARKS]
    parts.append(f"{t('training.unmarked')} {by_status.get('unmarked', 0)}")
    st.markdown("**" + md_escape(" · ".join(parts)) + "**")
    if present_by:
        st.caption(md_escape(t("training.present_by") + " " + " · ".join(f"{k} {n}" for k, n in present_by.items())))


def scores_view(actor: Actor, run: TrainingSession, entries: list[training.RosterEntry], runs_it: bool) -> None:
    if not entries:
        st.info(t("training.roster_empty"))
        return

    def load() -> tuple[dict[Any, Any], training.Figures]:
        with unit_of_work() as session:
            return dict(training.score_cells(session, actor, run)), training.session_figures(session, actor, run)

    loaded = attempt(load)
    if loaded is None:
        return
    cells, figures = loaded
    _figure_metrics(figures)
    st.caption(t("training.bands_help"))
    grid = PivotGrid(
        key=f"{KEY}.scores.{run.id}",
        spec=tr.TrainingAssessmentSpec,
        pivot=training.SCORES,
        rows=_grid_rows(entries),
        columns=[(1, t("training.score"))],
        cells=cells,
        shared={"session_id": run.id},
        editable=runs_it and run.status != "summarised",
        layout="auto",
        save=lambda session, who, edits: training.save_scores(session, who, run.id, cells, edits),
    )
    pivot_editor(grid)
    if runs_it and run.status != "summarised":
        scores_import(actor, run)


def _row_errors(errors: list[records_io.RowError]) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                t("training.import.row"): [e.row for e in errors],
                t("training.import.column"): [e.column for e in errors],
                t("training.import.reason"): [e.message for e in errors],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def scores_import(actor: Actor, run: TrainingSession) -> None:
    """A score sheet (姓名, 手机 or 单位, 成绩...; CSV or Excel, GBK too) into this session:
    every row matched to the roster and checked before anything is saved, then one audited
    save of every result, or nothing."""
    key = f"{KEY}.scores.import.{run.id}"
    upload = st.file_uploader(
        t("training.scores.import_label"), type=["csv", "xlsx"], key=key, help=t("training.scores.import_help")
    )
    if upload is None:
        return
    data, name = upload.getvalue(), upload.name

    def check() -> scores.ScorePreview:
        with unit_of_work() as session:
            return scores.check_scores(session, actor, run.id, data, name, lang())

    preview = attempt(check)
    if preview is None:
        return
    if not preview.ok:
        st.error(t("training.scores.refused", count=len(preview.errors)), icon=":material/error:")
        _row_errors(preview.errors)
        return
    st.info(
        t(
            "training.scores.ready",
            create=preview.to_create,
            update=preview.to_update,
            unchanged=preview.unchanged,
        ),
        icon=":material/playlist_add_check:",
    )
    if not st.button(t("training.scores.apply"), key=f"{key}.apply", type="primary"):
        return

    def save() -> Any:
        with unit_of_work() as session:
            return scores.import_scores(session, actor, run.id, data, name, lang())

    refused: list[records_io.RowError] = []

    def guarded() -> Any:
        try:
            return save()
        except scores.ScoresRefused as exc:  # the data changed since the check
            refused.extend(exc.errors)
            return None

    saved = attempt(guarded)
    if refused:
        st.error(t("training.scores.refused", count=len(refused)), icon=":material/error:")
        _row_errors(refused)
    elif saved is not None:
        flash(t("training.scores.done", create=saved.created, update=saved.updated))
        st.session_state.pop(key, None)
        st.rerun()


def _figure_metrics(figures: training.Figures) -> None:
    row = st.container(horizontal=True)
    row.metric(t("training.chart.attendance"), formatting.pct(figures.attendance_rate))
    row.metric(t("training.chart.pass"), formatting.pct(figures.pass_rate))
    row.metric(t("training.chart.excellent"), formatting.pct(figures.grade_share("excellent")))
    row.metric(t("training.chart.good"), formatting.pct(figures.grade_share("good")))


def roster_view(actor: Actor, entries: list[training.RosterEntry], paths: dict[int, str]) -> None:
    if not entries:
        st.info(t("training.roster_empty"))
        return
    spec = tr.TrainingEnrolmentSpec
    language = lang()
    frame = pd.DataFrame(
        {
            spec.field("person_name").label(language): [e.name for e in entries],
            spec.field("org_unit_id").label(language): [e.unit for e in entries],
            spec.field("category").label(language): [
                spec.field("category").choice_label(e.category, language) for e in entries
            ],
            spec.field("sex").label(language): [spec.field("sex").choice_label(e.sex, language) for e in entries],
            spec.field("phone").label(language): [
                training.mask_phone(e.phone, actor, paths.get(e.unit_id)) for e in entries
            ],
            spec.field("status").label(language): [
                spec.field("status").choice_label(e.status, language) for e in entries
            ],
        }
    )
    st.caption(t("training.roster_count", count=sum(e.status in tr.HOLDING for e in entries)))
    st.dataframe(frame, hide_index=True, width="stretch")


def nominate_view(actor: Actor, run: TrainingSession) -> None:
    """报名: pick people from the register (search, unit, category) and put them on the
    roster in one save; phones outside the user's own unit are masked."""
    if not tr.TrainingEnrolmentSpec.allows(actor.role, "create") or run.status == "summarised":
        return
    key = f"{KEY}.nominate.{run.id}"
    with st.expander(t("training.nominate.panel"), icon=":material/person_add:"):
        row = st.container(horizontal=True, vertical_alignment="bottom")
        search = row.text_input(t("training.nominate.search"), key=f"{key}.search", max_chars=60)
        category = tr.TrainingPersonSpec.field("category")
        kind = row.selectbox(
            t("training.col.category"),
            ["", *(c.value for c in category.choices)],
            format_func=lambda v: category.choice_label(v, lang()) if v else t("training.nominate.any"),
            key=f"{key}.category",
        )

        def load() -> list[training.Candidate]:
            with unit_of_work() as session:
                return training.candidates(
                    session,
                    actor,
                    training.get_session(session, actor, run.id),
                    search=search or None,
                    category=kind or None,
                    lang=lang(),
                )

        found = attempt(load)
        if not found:
            st.caption(t("training.nominate.none"))
            return
        free = [c for c in found if not c.on_roster]
        labels = {c.id: f"{c.name} · {c.unit} · {category.choice_label(c.category, lang())} · {c.phone}" for c in free}
        picked = st.multiselect(
            t("training.nominate.pick"),
            list(labels),
            format_func=labels.__getitem__,
            placeholder=t("records.choose"),
            key=f"{key}.picked",
        )
        st.caption(t("training.nominate.count", shown=len(found), on_roster=len(found) - len(free)))
        errors: dict[str, list[str]] = {}
        if picked and st.button(t("training.nominate.apply", count=len(picked)), key=f"{key}.apply", type="primary"):

            def save() -> Any:
                with unit_of_work() as session:
                    return training.nominate(session, actor, run.id, [int(i) for i in picked])

            saved = attempt(save, errors)
            if saved is not None:
                flash(t("training.nominate.done", count=saved.created))
                st.session_state.pop(f"{key}.picked", None)
                st.rerun()
        for messages in errors.values():
            st.error(md_escape(" ".join(messages)))


def roster_import(actor: Actor, run: TrainingSession) -> None:
    """An office's roster file (姓名, 性别, 单位, 岗位, 手机; CSV or Excel, GBK too) into this
    session, checked row by row before anything is saved (the engine's import)."""
    if not tr.TrainingEnrolmentSpec.allows(actor.role, "import") or run.status == "summarised":
        return
    upload = st.file_uploader(
        t("training.import.label"), type=["csv", "xlsx"], key=f"{KEY}.import.{run.id}", help=t("training.import.help")
    )
    if upload is None:
        return
    data, name = upload.getvalue(), upload.name

    def check(write: bool) -> Any:
        with unit_of_work() as session:
            records_io.check_size(len(data))
            fresh = training.get_session(session, actor, run.id)
            importer = training.session_actor(session, actor, fresh)
            ready = training.roster_file(session, fresh, data, name)
            preview = records_io.check_import(session, importer, tr.TrainingEnrolmentSpec, ready, "roster.csv")
            if write and preview.ok:
                return records_io.apply_import(session, importer, tr.TrainingEnrolmentSpec, preview)
            return preview

    preview = attempt(lambda: check(False))
    if preview is None:
        return
    if not preview.ok:
        st.error(t("training.import.refused", count=len(preview.errors)), icon=":material/error:")
        st.dataframe(
            pd.DataFrame(
                {
                    t("training.import.row"): [e.row for e in preview.errors],
                    t("training.import.column"): [e.column for e in preview.errors],
                    t("training.import.reason"): [e.message for e in preview.errors],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        return
    st.info(t("training.import.ready", count=preview.to_create), icon=":material/playlist_add_check:")
    if st.button(t("training.import.apply"), key=f"{KEY}.import.apply.{run.id}", type="primary"):
        done = attempt(lambda: check(True))
        if isinstance(done, tuple):
            flash(t("training.import.done", count=done[0]))
            st.session_state.pop(f"{KEY}.import.{run.id}", None)
            st.rerun()


def narrative(actor: Actor, run: TrainingSession) -> None:
    """The trainer's written summary (培训总结), saved on the session like any edit."""
    key = f"{KEY}.narrative.{run.id}"
    field = tr.TrainingSessionSpec.field("summary")
    text = st.text_area(
        field.label(lang()),
        value=run.summary or "",
        key=key,
        height=140,
        disabled=run.status == "summarised",
        max_chars=8000,
    )
    if run.status == "summarised" or (text or "") == (run.summary or ""):
        return
    errors: dict[str, list[str]] = {}

    def save() -> object:
        with unit_of_work() as session:
            return records.update(session, actor, tr.TrainingSessionSpec, run.id, {"summary": text}, run.version)

    if st.button(t("training.save_narrative"), key=f"{key}.save", icon=":material/save:") and (
        attempt(save, errors) is not None
    ):
        flash(t("training.narrative_saved"))
        st.rerun()
    for messages in errors.values():
        st.error(md_escape(" ".join(messages)))


def downloads(actor: Actor, run: TrainingSession) -> None:
    """The sign-in register, the training summary and the certificate list, as the actor
    sees the roster."""
    st.subheader(t("training.downloads"))
    row = st.container(horizontal=True)
    both = (("docx", DOCX), ("xlsx", XLSX))
    docs = (
        ("signin", reports.signin_sheet, "签到表" if lang() != "en" else "sign-in", both),
        ("summary", reports.summary, "培训总结" if lang() != "en" else "summary", both),
        ("certificates", reports.certificate_list, "证书名单" if lang() != "en" else "certificates", both[1:]),
    )
    for name, build, stem, formats in docs:
        for fmt, mime in formats:

            def make(build: Any = build, fmt: str = fmt) -> bytes:
                with unit_of_work() as session:
                    data: bytes = build(session, actor, run.id, fmt, lang())
                    return data

            download_button(
                row,
                t(f"training.download.{name}_{fmt}"),
                make,
                file_name=f"{run.title}-{stem}.{fmt}",
                mime=mime,
                key=f"{KEY}.download.{name}.{fmt}.{run.id}",
            )


# -- the year's figures, the chart, the ledger ---------------------------------------------------


def _year_picker(key: str, today: dt.date) -> int:
    year = st.selectbox(t("training.year"), [today.year, today.year - 1], key=f"{KEY}.{key}.year")
    return int(year or today.year)


def figures_view(actor: Actor, today: dt.date) -> None:
    year = _year_picker("figures", today)

    def load() -> tuple[list[tuple[str, training.Figures]], list[training.LedgerLine]]:
        with unit_of_work() as session:
            return training.unit_figures(session, actor, year, lang()), training.hours_ledger(
                session, actor, year, lang()
            )

    loaded = attempt(load)
    if loaded is None:
        return
    units, ledger = loaded
    total = training.Figures()
    for _, f in units:
        total.marks += f.marks
        total.present += f.present
        total.results += f.results
        total.passed += f.passed
        for grade, n in f.by_grade.items():
            total.by_grade[grade] = total.by_grade.get(grade, 0) + n
    _figure_metrics(total)
    st.altair_chart(tc.targets_chart(total, ledger, lang(), t("training.chart.title", year=year)), width="stretch")
    st.caption(t("training.chart.note"))
    if units:
        language = lang()
        st.dataframe(
            pd.DataFrame(
                {
                    t("training.col.unit"): [name for name, _ in units],
                    t("training.chart.attendance"): [formatting.pct(f.attendance_rate) for _, f in units],
                    t("training.col.results"): [f.results for _, f in units],
                    t("training.chart.pass"): [formatting.pct(f.pass_rate) for _, f in units],
                    t("training.chart.excellent"): [formatting.pct(f.grade_share("excellent")) for _, f in units],
                    t("training.chart.good"): [formatting.pct(f.grade_share("good")) for _, f in units],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        st.altair_chart(
            tc.units_chart(units, "attendance", language, t("training.chart.units_attendance")), width="stretch"
        )
        st.altair_chart(tc.units_chart(units, "pass", language, t("training.chart.units_pass")), width="stretch")


def ledger_view(actor: Actor, today: dt.date) -> None:
    year = _year_picker("ledger", today)
    below_only = st.toggle(t("training.below_only"), value=True, key=f"{KEY}.ledger.below")

    def load() -> list[training.LedgerLine]:
        with unit_of_work() as session:
            return training.hours_ledger(session, actor, year, lang())

    lines = attempt(load)
    if lines is None:
        return
    shown = [line for line in lines if line.below] if below_only else lines
    st.caption(t("training.ledger_count", people=len(lines), below=sum(line.below for line in lines)))
    if not shown:
        st.info(t("training.ledger_empty"))
        return
    category = tr.TrainingEnrolmentSpec.field("category")
    language = lang()
    st.dataframe(
        pd.DataFrame(
            training.ledger_by_unit(lines),
            columns=[t("training.col.unit"), t("training.col.people"), t("training.col.below")],
        ),
        hide_index=True,
        width="stretch",
    )

    def make() -> bytes:
        with unit_of_work() as session:
            return reports.ledger_xlsx(session, actor, year, language, below_only)

    download_button(
        st.container(),
        t("training.download.ledger"),
        make,
        file_name=t("training.ledger_file", year=year) + ".xlsx",
        mime=XLSX,
        key=f"{KEY}.ledger.download",
    )
    st.dataframe(
        pd.DataFrame(
            {
                t("training.col.name"): [line.name for line in shown],
                t("training.col.unit"): [line.unit for line in shown],
                t("training.col.category"): [category.choice_label(line.category, language) for line in shown],
                t("training.col.hours"): [line.hours for line in shown],
                t("training.col.minimum"): [line.minimum for line in shown],
                t("training.col.short"): [max(0.0, line.minimum - line.hours) for line in shown],
                t("training.col.external"): [line.external for line in shown],
            }
        ),
        hide_index=True,
        width="stretch",
    )


# -- the public self sign-in page (pages/signin.py) -----------------------------------------------


SIGNIN_KEY = "signin"


def _signin_client() -> str:
    """Who is asking, for the per-client limit, hashed: the address and the browser
    session. A hall's phones often share one address (the same Wi-Fi), so the address
    alone would lock them all out; the window's own limit caps guessing from new tabs."""
    forwarded = st.context.headers.get("X-Forwarded-For")
    address = st.context.ip_address
    if isinstance(forwarded, str) and forwarded.strip():
        seen = forwarded.split(",")[0].strip()
    else:
        seen = address if isinstance(address, str) and address else "unknown"
    ctx = get_script_run_ctx()
    tab = ctx.session_id if ctx is not None else ""
    return hashlib.sha256(f"{seen}|{tab}".encode()).hexdigest()


def render_signin() -> None:
    """The public self sign-in page (/signin?w=WINDOW&c=CODE) a trainee opens on a phone,
    without an account: the session's title, three boxes (name, last four digits of the
    phone, the code from the screen, filled in from the link) and one sentence back.
    Nothing else: no roster, no menu, no record data (see
    portal.programmes.training.signin). Run by shell.run_public, which checks startup."""
    raw = st.query_params.get("w") or ""
    window_id = int(raw) if raw.isdigit() and len(raw) < 10 else 0

    def load() -> str | None:
        with unit_of_work() as session:
            return signin.title_of(session, window_id)

    title = attempt(load) if window_id else None
    st.title(t("training.signin.heading"))
    if not title:
        st.info(t("training.signin.closed"))
        return
    st.subheader(title)
    with st.form(f"{SIGNIN_KEY}.form", clear_on_submit=False):
        name = st.text_input(t("training.signin.name"), key=f"{SIGNIN_KEY}.name", max_chars=60)
        tail = st.text_input(t("training.signin.tail"), key=f"{SIGNIN_KEY}.tail", max_chars=4)
        code = st.text_input(
            t("training.signin.code"), key=f"{SIGNIN_KEY}.code", value=st.query_params.get("c") or "", max_chars=6
        )
        sent = st.form_submit_button(t("training.signin.submit"), type="primary", width="stretch")
    if not sent:
        return

    def send() -> signin.Outcome:
        with unit_of_work() as session:
            return signin.signin(session, window_id, code, name, tail, _signin_client())

    outcome = attempt(send)
    if outcome is None:
        return
    message = t(f"training.signin.result.{outcome.result}")
    if outcome.result == "signed_in":
        st.success(message, icon=":material/check_circle:")
    else:
        st.warning(message, icon=":material/info:")
