"""Paper for a session: the sign-in register (签到表: the roster with an empty signature
column per half-day, .docx or .xlsx) and the training summary (培训总结: dates, venue,
attendance and test statistics per unit, and the narrative the trainer wrote; .docx or
.xlsx) and the certificate list (结业证书名单: who passed, score, grade, certificate number
and 学时 earned; .xlsx). Both see the roster as the actor does (``service.roster``): the session's trainer
the whole of it, anyone else their own subtree's people. Offered by the page and by
``python -m portal report signin-sheet|training-summary|certificate-list --session ID``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from db.models import OrgUnit, TrainingAssessment, TrainingAttendance, TrainingProgramme
from portal import formatting
from portal.apps import ReportRequest
from portal.documents.excel import Book
from portal.documents.word import WordDoc
from portal.errors import PortalError
from portal.i18n import t
from portal.org.scope import Actor
from portal.programmes.training import service as training
from portal.programmes.training import specs as tr
from portal.records import service as records

FORMATS = ("docx", "xlsx")


class TrainingReportError(PortalError):
    key = "training.doc.bad_format"


def _half_label(key: str, lang: str) -> str:
    day = key[5:10]
    return t(f"training.half_day.{key[-2:]}", lang, date=day)


def _when(run: Any) -> str:
    end = run.end_date or run.start_date
    start = formatting.date(run.start_date)
    return start if end == run.start_date else f"{start} – {formatting.date(end)}"


def _people(session: Session, actor: Actor, run: Any, lang: str) -> list[training.RosterEntry]:
    return [e for e in training.roster(session, actor, run, lang) if e.status in tr.HOLDING]


def signin_sheet(session: Session, actor: Actor, session_id: int, fmt: str, lang: str = "zh-CN") -> bytes:
    """The roster with an empty signature cell per half-day, for signing on paper."""
    if fmt not in FORMATS:
        raise TrainingReportError("training.doc.bad_format", value=fmt)
    run = training.get_session(session, actor, session_id)
    people = _people(session, actor, run, lang)
    halves = tr.half_days(run.start_date, run.half_days)
    spec = tr.TrainingEnrolmentSpec
    headers = [
        t("training.doc.no", lang),
        spec.field("person_name").label(lang),
        spec.field("sex").label(lang),
        spec.field("org_unit_id").label(lang),
        spec.field("category").label(lang),
        *(t("training.doc.sign_at", lang, half=_half_label(h, lang)) for h in halves),
    ]
    rows = [
        [
            n,
            e.name,
            spec.field("sex").choice_label(e.sex, lang),
            e.unit,
            spec.field("category").choice_label(e.category, lang),
            *([""] * len(halves)),
        ]
        for n, e in enumerate(people, 1)
    ]
    title = t("training.doc.signin_title", lang, title=run.title)
    info = t("training.doc.info", lang, when=_when(run), venue=run.venue or "—", lecturers=run.lecturers or "—")
    if fmt == "xlsx":
        book = Book()
        book.sheet(t("training.doc.signin_sheet", lang), headers, rows, [6, 12, 6, 24, 12, *([16] * len(halves))])
        ws = book.wb.worksheets[0]
        ws.insert_rows(1, 2)
        ws["A1"], ws["A2"] = title, info
        ws.freeze_panes = "A4"
        return book.bytes()
    doc = WordDoc(lang, title)
    doc.para(info, center=True)
    sign_width = max(1.6, 8.0 / max(1, len(halves)))
    doc.table(headers, rows, [1.0, 2.0, 1.0, 3.6, 2.0, *([sign_width] * len(halves))])
    doc.right(t("training.doc.count", lang, count=len(people)))
    return doc.bytes()


def _unit_stats(session: Session, actor: Actor, run: Any, people: list[training.RosterEntry]) -> dict[str, Any]:
    wide = training.session_actor(session, actor, run)
    ids = {e.id for e in people}
    by_unit = {e.id: e.unit for e in people}
    marks = session.execute(
        records.scoped(tr.TrainingAttendanceSpec, wide, session=session)
        .where(TrainingAttendance.session_id == run.id)
        .with_only_columns(TrainingAttendance.enrolment_id, TrainingAttendance.status, TrainingAttendance.hours)
    ).all()
    results = session.execute(
        records.scoped(tr.TrainingAssessmentSpec, wide, session=session)
        .where(TrainingAssessment.session_id == run.id, TrainingAssessment.attempt == 1)
        .with_only_columns(TrainingAssessment.enrolment_id, TrainingAssessment.score, TrainingAssessment.grade)
    ).all()
    units: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: {"status": Counter(), "grade": Counter()})
    hours: dict[int, float] = defaultdict(float)
    scores: dict[int, tuple[float, str]] = {}
    for enrolment, status, earned in marks:
        if enrolment in ids:
            units[by_unit[enrolment]]["status"][status] += 1
            hours[enrolment] += float(earned or 0)
    for enrolment, score, grade in results:
        if enrolment in ids:
            units[by_unit[enrolment]]["grade"][grade] += 1
            scores[enrolment] = (float(score), grade)
    return {"units": units, "hours": hours, "scores": scores}


def summary(session: Session, actor: Actor, session_id: int, fmt: str, lang: str = "zh-CN") -> bytes:
    """培训总结: what, when, where, who came, how they did, and the trainer's narrative."""
    if fmt not in FORMATS:
        raise TrainingReportError("training.doc.bad_format", value=fmt)
    run = training.get_session(session, actor, session_id)
    programme = session.get(TrainingProgramme, run.programme_id)
    organiser = session.get(OrgUnit, run.organiser_unit_id)
    people = _people(session, actor, run, lang)
    figures = training.session_figures(session, actor, run)
    stats = _unit_stats(session, actor, run, people)
    status_field = tr.TrainingAttendanceSpec.field("status")
    grade_field = tr.TrainingAssessmentSpec.field("grade")
    overview = [
        (t("training.doc.programme", lang), programme.title if programme else ""),
        (t("training.doc.organiser", lang), organiser.name(lang) if organiser else ""),
        (t("training.doc.when", lang), _when(run)),
        (tr.TrainingSessionSpec.field("venue").label(lang), run.venue or "—"),
        (tr.TrainingSessionSpec.field("lecturers").label(lang), run.lecturers or "—"),
        (t("training.doc.trainees", lang), str(len(people))),
        (t("training.chart.attendance", lang), formatting.pct(figures.attendance_rate)),
        (t("training.doc.tested", lang), str(figures.results)),
        (t("training.chart.pass", lang), formatting.pct(figures.pass_rate)),
        (t("training.chart.excellent", lang), formatting.pct(figures.grade_share("excellent"))),
        (t("training.chart.good", lang), formatting.pct(figures.grade_share("good"))),
    ]
    comma = ", " if lang == "en" else "，"
    status_line = comma.join(
        f"{status_field.choice_label(c.value, lang)} {figures.by_status.get(c.value, 0)}" for c in tr.MARKS
    )
    grade_line = comma.join(
        f"{grade_field.choice_label(c.value, lang)} {figures.by_grade.get(c.value, 0)}" for c in tr.GRADES
    )
    unit_headers = [
        t("training.col.unit", lang),
        t("training.doc.trainees", lang),
        t("training.chart.attendance", lang),
        t("training.doc.tested", lang),
        t("training.chart.pass", lang),
    ]
    per_unit = Counter(e.unit for e in people)
    unit_rows = []
    for unit, count in per_unit.items():
        st_, gr = stats["units"][unit]["status"], stats["units"][unit]["grade"]
        marks, present = sum(st_.values()), sum(n for s, n in st_.items() if s in tr.PRESENT)
        tested, passed = sum(gr.values()), sum(n for g, n in gr.items() if g != "fail")
        unit_rows.append(
            [
                unit,
                count,
                formatting.pct(100 * present / marks if marks else None),
                tested,
                formatting.pct(100 * passed / tested if tested else None),
            ]
        )
    title = t("training.doc.summary_title", lang, title=run.title)
    narrative = run.summary or t("training.doc.no_narrative", lang)
    if fmt == "xlsx":
        book = Book()
        book.sheet(t("training.doc.overview", lang), [t("training.doc.item", lang), ""], overview, [18, 50])
        book.sheet(t("training.doc.by_unit", lang), unit_headers, unit_rows, [28, 10, 12, 10, 12])
        spec = tr.TrainingEnrolmentSpec
        book.sheet(
            t("training.tab.roster", lang),
            [
                spec.field("person_name").label(lang),
                spec.field("org_unit_id").label(lang),
                spec.field("category").label(lang),
                t("training.col.hours", lang),
                t("training.score", lang),
                grade_field.label(lang),
            ],
            [
                [
                    e.name,
                    e.unit,
                    spec.field("category").choice_label(e.category, lang),
                    stats["hours"].get(e.id, 0.0),
                    stats["scores"].get(e.id, (None, ""))[0],
                    grade_field.choice_label(stats["scores"].get(e.id, (None, ""))[1], lang),
                ]
                for e in people
            ],
            [12, 28, 12, 10, 10, 10],
        )
        book.sheet(t("training.doc.narrative", lang), [t("training.doc.narrative", lang)], [[narrative]], [100])
        return book.bytes()
    doc = WordDoc(lang, title)
    doc.heading(t("training.doc.h_basic", lang))
    doc.table([t("training.doc.item", lang), ""], overview, [4.0, 11.8])
    doc.heading(t("training.doc.h_attendance", lang))
    doc.para(t("training.doc.attendance_line", lang, marks=figures.marks, statuses=status_line))
    doc.heading(t("training.doc.h_test", lang))
    doc.para(
        t("training.doc.test_line", lang, tested=figures.results, grades=grade_line)
        if figures.results
        else t("training.doc.no_test", lang)
    )
    doc.heading(t("training.doc.by_unit", lang))
    doc.table(unit_headers, unit_rows, [5.8, 2.4, 2.6, 2.4, 2.6])
    doc.heading(t("training.doc.narrative", lang))
    doc.para(narrative)
    return doc.bytes()


@dataclass(frozen=True)
class Certificate:
    """One line of the certificate list: a roster entry with a passing result."""

    name: str
    sex: str | None
    unit: str
    category: str
    attempt: int
    score: float
    grade: str
    certificate_no: str
    hours: float


def certificates(session: Session, actor: Actor, run: Any, lang: str = "zh-CN") -> list[Certificate]:
    """The people of the session (as the actor sees its roster) who passed: for each, the
    first attempt that passed (a retest's when the final test failed), its score and
    grade, its certificate number, and the 学时 their marks earned in this session."""
    wide = training.session_actor(session, actor, run)
    people = {e.id: e for e in _people(session, actor, run, lang)}
    passed = session.execute(
        records.scoped(tr.TrainingAssessmentSpec, wide, session=session)
        .where(TrainingAssessment.session_id == run.id, TrainingAssessment.passed.is_(True))
        .with_only_columns(
            TrainingAssessment.enrolment_id,
            TrainingAssessment.attempt,
            TrainingAssessment.score,
            TrainingAssessment.grade,
            TrainingAssessment.certificate_no,
        )
        .order_by(TrainingAssessment.enrolment_id, TrainingAssessment.attempt)
    ).all()
    hours: dict[int, float] = defaultdict(float)
    for enrolment, earned in session.execute(
        records.scoped(tr.TrainingAttendanceSpec, wide, session=session)
        .where(TrainingAttendance.session_id == run.id)
        .with_only_columns(TrainingAttendance.enrolment_id, TrainingAttendance.hours)
    ):
        hours[enrolment] += float(earned or 0)
    first: dict[int, Certificate] = {}
    for enrolment, attempt, score, grade, number in passed:
        person = people.get(enrolment)
        if person is None or enrolment in first:
            continue
        first[enrolment] = Certificate(
            person.name,
            person.sex,
            person.unit,
            person.category,
            int(attempt),
            float(score),
            grade,
            number or "",
            hours.get(enrolment, 0.0),
        )
    order = list(people)  # the roster's order: by unit, then as nominated
    return [first[i] for i in order if i in first]


def certificate_list(session: Session, actor: Actor, session_id: int, fmt: str = "xlsx", lang: str = "zh-CN") -> bytes:
    """结业证书名单 (.xlsx): who passed, with score, grade, certificate number and credits."""
    if fmt != "xlsx":
        raise TrainingReportError("training.doc.bad_format_xlsx", value=fmt)
    run = training.get_session(session, actor, session_id)
    programme = session.get(TrainingProgramme, run.programme_id)
    lines = certificates(session, actor, run, lang)
    enrolment, assessment = tr.TrainingEnrolmentSpec, tr.TrainingAssessmentSpec
    credit = (programme.credit_type if programme else None) or "—"
    headers = [
        t("training.doc.no", lang),
        enrolment.field("person_name").label(lang),
        enrolment.field("sex").label(lang),
        enrolment.field("org_unit_id").label(lang),
        enrolment.field("category").label(lang),
        assessment.field("score").label(lang),
        assessment.field("grade").label(lang),
        assessment.field("attempt").label(lang),
        assessment.field("certificate_no").label(lang),
        t("training.doc.credit_hours", lang),
        t("training.doc.credit_type", lang),
    ]
    rows = [
        [
            n,
            c.name,
            enrolment.field("sex").choice_label(c.sex, lang),
            c.unit,
            enrolment.field("category").choice_label(c.category, lang),
            c.score,
            assessment.field("grade").choice_label(c.grade, lang),
            c.attempt,
            c.certificate_no,
            c.hours,
            credit,
        ]
        for n, c in enumerate(lines, 1)
    ]
    book = Book()
    ws = book.sheet(t("training.doc.certificates_sheet", lang), headers, rows, [6, 12, 6, 26, 12, 8, 8, 8, 18, 8, 16])
    ws.insert_rows(1, 2)
    ws["A1"] = t("training.doc.certificates_title", lang, title=run.title)
    ws["A2"] = t("training.doc.certificates_info", lang, when=_when(run), count=len(lines))
    ws.freeze_panes = "A4"
    return book.bytes()


def build_signin(session: Session, actor: Actor, request: ReportRequest) -> bytes:
    """The manifest's entry for ``python -m portal report signin-sheet --session ID``."""
    return signin_sheet(session, actor, int(request.record_id or 0), request.fmt, request.lang)


def build_summary(session: Session, actor: Actor, request: ReportRequest) -> bytes:
    """The manifest's entry for ``python -m portal report training-summary --session ID``."""
    return summary(session, actor, int(request.record_id or 0), request.fmt, request.lang)


def build_certificates(session: Session, actor: Actor, request: ReportRequest) -> bytes:
    """The manifest's entry for ``python -m portal report certificate-list --session ID``."""
    return certificate_list(session, actor, int(request.record_id or 0), request.fmt, request.lang)


def ledger_xlsx(session: Session, actor: Actor, year: int, lang: str = "zh-CN", below_only: bool = False) -> bytes:
    """学时台账 as a workbook: per unit (people, below the minimum), then per person."""
    lines = training.hours_ledger(session, actor, year, lang)
    if below_only:
        lines = [line for line in lines if line.below]
    category = tr.TrainingEnrolmentSpec.field("category")
    book = Book()
    per_unit = training.ledger_by_unit(lines)
    book.sheet(
        t("training.doc.by_unit", lang),
        [t("training.col.unit", lang), t("training.col.people", lang), t("training.col.below", lang)],
        [[unit, people, below] for unit, people, below in per_unit],
        [28, 10, 14],
    )
    book.sheet(
        t("training.tab.ledger", lang),
        [
            t("training.col.name", lang),
            t("training.col.unit", lang),
            t("training.col.category", lang),
            t("training.col.hours", lang),
            t("training.col.minimum", lang),
            t("training.col.short", lang),
            t("training.col.external", lang),
        ],
        [
            [
                line.name,
                line.unit,
                category.choice_label(line.category, lang),
                line.hours,
                line.minimum,
                max(0.0, line.minimum - line.hours),
                line.external,
            ]
            for line in lines
        ],
        [12, 28, 14, 10, 10, 10, 14],
    )
    return book.bytes()
