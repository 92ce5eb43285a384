"""Self sign-in (扫码签到) for one half-day of a session.

The trainer opens a window (start and end time). The page shows a short code that
changes every ``CODE_SECONDS`` (the previous one is still accepted for ``GRACE_SECONDS``),
inside the sign-in link and typed beside it, so a photo of the screen shared into a group
chat stops working. A trainee, without an account, gives the code, their name and the last
four digits of their phone:

- one roster entry of the session with that name and phone ending → marked present
  (method "self", the time of the mark is its audit entry's), written through the engine's
  ``save_rows`` as the window's own actor, so it is validated and audited;
- anything else (no match, two matches) → queued as a walk-in for the trainer to accept
  (added to the roster within the unit's quota and marked present) or reject.

What the trainee learns is only the session's title and one of: signed in, please see
the trainer, wrong or expired code, window closed, too many attempts. Never a roster
name, never whether a name is on the roster. Attempts are limited per client and per
window; a closed or unknown window reads the same.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

import segno
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    OrgUnit,
    TrainingAttendance,
    TrainingEnrolment,
    TrainingSession,
    TrainingSigninAttempt,
    TrainingSigninWindow,
    TrainingWalkin,
)
from portal import clock
from portal.errors import NotFound, PortalError
from portal.org.scope import Actor
from portal.programmes.training import service as training
from portal.programmes.training import specs as tr
from portal.records import audit
from portal.records import service as records
from portal.records.grid import RowChange

CODE_SECONDS = 30
GRACE_SECONDS = 10
CLIENT_LIMIT = (6, dt.timedelta(minutes=5))  # attempts per client per window
WINDOW_LIMIT = (120, dt.timedelta(minutes=1))  # attempts per window (a hall signing in at once)
OUTCOMES = ("signed_in", "see_trainer", "bad_code", "closed", "too_many", "bad_input")


class SigninError(PortalError):
    key = "training.signin.not_open"


# -- the codes ------------------------------------------------------------------------------------


def _step(now: dt.datetime) -> int:
    return int(now.timestamp()) // CODE_SECONDS


def code_at(window: TrainingSigninWindow, step: int) -> str:
    digest = hmac.new(window.secret.encode(), f"{window.id}:{step}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def current_code(window: TrainingSigninWindow, now: dt.datetime | None = None) -> str:
    return code_at(window, _step(now or clock.now()))


def seconds_left(now: dt.datetime | None = None) -> int:
    return CODE_SECONDS - int((now or clock.now()).timestamp()) % CODE_SECONDS


def code_ok(window: TrainingSigninWindow, code: str, now: dt.datetime) -> bool:
    step = _step(now)
    wanted = [code_at(window, step)]
    if int(now.timestamp()) % CODE_SECONDS < GRACE_SECONDS:
        wanted.append(code_at(window, step - 1))
    return any(hmac.compare_digest(code.strip(), w) for w in wanted)


# -- the link and its QR image ---------------------------------------------------------------------


def signin_url(base: str, window_id: int, code: str) -> str:
    """The sign-in link carrying the window and the current code: ``BASE/signin?w=ID&c=CODE``
    (``base`` is the portal's address as the browser sees it, e.g. ``https://portal.example``;
    empty gives the relative link)."""
    return f"{base.rstrip('/')}/signin?{urlencode({'w': window_id, 'c': code})}"


@functools.lru_cache(maxsize=16)  # the code view redraws every few seconds; the code changes every 30
def qr_png(url: str, scale: int = 8, border: int = 4) -> bytes:
    """The link as a QR code (PNG, black on white, ``scale`` pixels a module, the standard
    four-module quiet zone), error correction M so a projector's glare still scans."""
    out = io.BytesIO()
    segno.make_qr(url, error="m", boost_error=False).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


# -- the trainer's side ---------------------------------------------------------------------------


def open_window(
    session: Session, actor: Actor, session_id: int, half_day: str, minutes: int = 15, now: dt.datetime | None = None
) -> TrainingSigninWindow:
    """Open (or reopen) self sign-in for a half-day of a session the actor runs; any other
    window of the session closes. Audited as a step of the session."""
    run = training.get_session(session, actor, session_id)
    training.check_runs(session, actor, run)
    if half_day not in tr.half_days(run.start_date, run.half_days):
        raise SigninError("training.half_day_outside", value=half_day)
    if run.status == "summarised":
        raise SigninError("training.signin.summarised")
    now = now or clock.now()
    for other in _open_windows(session, run.id, now):
        other.closes_at = now
    window = TrainingSigninWindow(
        session_id=run.id,
        half_day=half_day,
        opens_at=now,
        closes_at=now + dt.timedelta(minutes=max(1, min(minutes, 240))),
        secret=secrets.token_hex(32),
        opened_by=actor.username,
    )
    session.add(window)
    session.flush()
    after = {"half_day": half_day, "opens_at": now.isoformat(), "closes_at": window.closes_at.isoformat()}
    audit.record(session, actor, "signin_open", "training_sessions", run.id, None, None, after)
    return window


def close_window(session: Session, actor: Actor, window_id: int, now: dt.datetime | None = None) -> None:
    window, run = _window_run(session, actor, window_id)
    now = now or clock.now()
    if window.closes_at > now:
        window.closes_at = now
    audit.record(session, actor, "signin_close", "training_sessions", run.id, None, None, {"window": window.id})


def _open_windows(session: Session, run_id: int, now: dt.datetime) -> list[TrainingSigninWindow]:
    return list(
        session.scalars(
            select(TrainingSigninWindow).where(
                TrainingSigninWindow.session_id == run_id,
                TrainingSigninWindow.opens_at <= now,
                TrainingSigninWindow.closes_at > now,
            )
        )
    )


def open_window_of(session: Session, actor: Actor, session_id: int) -> TrainingSigninWindow | None:
    run = training.get_session(session, actor, session_id)
    if not training.runs_session(session, actor, run):
        return None
    found = _open_windows(session, run.id, clock.now())
    return found[-1] if found else None


def _window_run(session: Session, actor: Actor, window_id: int) -> tuple[TrainingSigninWindow, TrainingSession]:
    window = session.get(TrainingSigninWindow, window_id)
    if window is None:
        raise NotFound("error.not_found")
    run = training.get_session(session, actor, window.session_id)
    training.check_runs(session, actor, run)
    return window, run


def walkins(session: Session, actor: Actor, session_id: int) -> list[TrainingWalkin]:
    """The session's walk-ins still waiting, oldest first (only for whoever runs it)."""
    run = training.get_session(session, actor, session_id)
    training.check_runs(session, actor, run)
    return list(
        session.scalars(
            select(TrainingWalkin)
            .join(TrainingSigninWindow, TrainingSigninWindow.id == TrainingWalkin.window_id)
            .where(TrainingSigninWindow.session_id == run.id, TrainingWalkin.status == "pending")
            .order_by(TrainingWalkin.id)
        )
    )


def accept_walkin(session: Session, actor: Actor, walkin_id: int, unit_id: int, category: str) -> TrainingEnrolment:
    """Add the walk-in to the roster (the unit's quota applies, as for any nomination) and
    mark them present for the window's half-day; both audited as the trainer's. The person
    is found in the register (the same name in that unit, with a phone ending in the digits
    they gave, or with no phone) or added to it, once the entry has passed its checks."""
    walkin = session.get(TrainingWalkin, walkin_id)
    if walkin is None or walkin.status != "pending":
        raise NotFound("error.not_found")
    window, run = _window_run(session, actor, walkin.window_id)
    wide = training.session_actor(session, actor, run)
    raw = {"session_id": run.id, "org_unit_id": unit_id, "person_name": walkin.person_name, "category": category}
    records.validate(session, wide, tr.TrainingEnrolmentSpec, raw)  # refused before anyone joins the register
    person = tr.find_or_add_person(session, wide, raw, tail=walkin.phone_tail)
    enrolment: TrainingEnrolment = records.create(
        session, wide, tr.TrainingEnrolmentSpec, raw, system={"trainee_id": person.id}
    )
    _mark(session, wide, run, enrolment.id, window.half_day, method="self")
    walkin.status = "accepted"
    return enrolment


def reject_walkin(session: Session, actor: Actor, walkin_id: int) -> None:
    walkin = session.get(TrainingWalkin, walkin_id)
    if walkin is None or walkin.status != "pending":
        raise NotFound("error.not_found")
    _window_run(session, actor, walkin.window_id)
    walkin.status = "rejected"


def _mark(session: Session, actor: Actor, run: TrainingSession, enrolment_id: int, half_day: str, method: str) -> None:
    change = RowChange(
        values={"enrolment_id": enrolment_id, "half_day": half_day, "status": "present"},
        system={"session_id": run.id, "half_day_hours": run.hours_per_half_day, "method": method},
    )
    records.save_rows(session, actor, tr.TrainingAttendanceSpec, [change])


# -- the trainee's side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    result: str  # one of OUTCOMES
    title: str = ""  # the session's title: all a trainee is told about it


def title_of(session: Session, window_id: int, now: dt.datetime | None = None) -> str | None:
    """The session's title while its window is open (None otherwise: nothing to show)."""
    window = session.get(TrainingSigninWindow, window_id)
    now = now or clock.now()
    if window is None or not window.opens_at <= now < window.closes_at:
        return None
    run = session.get(TrainingSession, window.session_id)
    return run.title if run is not None and run.deleted_at is None else None


def signin(
    session: Session,
    window_id: int,
    code: str,
    name: str,
    phone_tail: str,
    client: str,
    now: dt.datetime | None = None,
) -> Outcome:
    """One anonymous sign-in attempt (see the module's docstring for what it may tell)."""
    now = now or clock.now()
    window = session.get(TrainingSigninWindow, window_id)
    title = title_of(session, window_id, now)
    if window is None or title is None:
        return Outcome("closed")
    client_key = hashlib.sha256(f"{window.id}:{client}".encode()).hexdigest()
    if _too_many(session, window, client_key, now):
        return Outcome("too_many", title)
    attempt = TrainingSigninAttempt(window_id=window.id, client=client_key, at=now, matched=False)
    session.add(attempt)
    name, phone_tail = (name or "").strip(), (phone_tail or "").strip()
    if not name or len(name) > 60 or len(phone_tail) != 4 or not phone_tail.isdigit():
        return Outcome("bad_input", title)
    if not code_ok(window, code or "", now):
        return Outcome("bad_code", title)
    run = session.get(TrainingSession, window.session_id)
    if run is None:  # title_of found it a moment ago
        return Outcome("closed")
    matches = list(
        session.scalars(
            select(TrainingEnrolment).where(
                TrainingEnrolment.session_id == run.id,
                TrainingEnrolment.deleted_at.is_(None),
                TrainingEnrolment.status.in_(tr.HOLDING),
                TrainingEnrolment.person_name == name,
            )
        )
    )
    matches = [m for m in matches if (m.phone or "").strip().endswith(phone_tail)]
    if len(matches) != 1:
        _queue(session, window, name, phone_tail, now)
        return Outcome("see_trainer", title)
    attempt.matched = True
    enrolment = matches[0]
    marked = session.scalar(
        select(TrainingAttendance.id).where(
            TrainingAttendance.enrolment_id == enrolment.id,
            TrainingAttendance.half_day == window.half_day,
            TrainingAttendance.deleted_at.is_(None),
        )
    )
    if marked is None:
        _mark(session, _window_actor(session, window, run), run, enrolment.id, window.half_day, method="self")
    return Outcome("signed_in", title)


def _too_many(session: Session, window: TrainingSigninWindow, client_key: str, now: dt.datetime) -> bool:
    per_client, client_span = CLIENT_LIMIT
    per_window, window_span = WINDOW_LIMIT
    mine = session.scalar(
        select(func.count()).where(
            TrainingSigninAttempt.window_id == window.id,
            TrainingSigninAttempt.client == client_key,
            TrainingSigninAttempt.at > now - client_span,
        )
    )
    everyone = session.scalar(
        select(func.count()).where(
            TrainingSigninAttempt.window_id == window.id, TrainingSigninAttempt.at > now - window_span
        )
    )
    return (mine or 0) >= per_client or (everyone or 0) >= per_window


def _queue(session: Session, window: TrainingSigninWindow, name: str, tail: str, now: dt.datetime) -> None:
    seen = session.scalar(
        select(TrainingWalkin.id).where(
            TrainingWalkin.window_id == window.id, TrainingWalkin.person_name == name, TrainingWalkin.phone_tail == tail
        )
    )
    if seen is None:
        session.add(TrainingWalkin(window_id=window.id, person_name=name, phone_tail=tail, at=now, status="pending"))


def _window_actor(session: Session, window: TrainingSigninWindow, run: TrainingSession) -> Actor:
    """Who a self sign-in is written as: the window itself (``signin:ID``), with a trainer's
    rights over this session's roster only."""
    organiser = session.get(OrgUnit, run.organiser_unit_id)
    root = "/" + (organiser.path.strip("/").split("/")[0] if organiser else "") + "/"
    return Actor(None, f"signin:{window.id}", "扫码签到", "trainer", None, root)
