"""Reminders where offices talk: a daily digest per unit of what is due and overdue (the
same lines as the unit head's home page), to copy into a group chat by hand or to post to
a WeCom (企业微信) or DingTalk (钉钉) group robot configured for the unit.

Run daily by the office's scheduler: ``python -m portal remind`` (cron, a systemd timer).
Every attempt is logged in ``reminder_deliveries`` (sent / failed with the reason /
skipped); admins see the log on the admin page. Nothing is ever sent in demo mode.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import OrgUnit, ReminderChannel, ReminderDelivery
from portal import clock
from portal.config import demo_mode
from portal.errors import FieldError
from portal.i18n import label, t
from portal.org.scope import Actor
from portal.records.fields import Choice, Field
from portal.records.spec import Permissions, RecordSpec

log = logging.getLogger("portal")
KINDS = (
    Choice("wecom", "企业微信群机器人", "WeCom group robot"),
    Choice("dingtalk", "钉钉群机器人", "DingTalk group robot"),
)
TIMEOUT_S = 5.0
MAX_TEXT = 1800  # both robots cap a text message (WeCom at 2048 bytes); the digest is cut with "…"


def _url_error(key: str, value: Any) -> FieldError | None:
    parts = urlsplit(str(value))
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return FieldError(key, "reminders.bad_url")
    return None


class ReminderChannelSpec(RecordSpec):
    """A unit's group robot: set by an admin or a head above or at the unit."""

    slug = "reminder_channels"
    model = ReminderChannel
    title_zh, title_en = "提醒推送（群机器人）", "Reminder robots"
    fields = (
        Field("org_unit_id", "org_unit", "单位", "Unit", required=True),
        Field("kind", "choice", "类型", "Kind", required=True, choices=KINDS, default="wecom"),
        Field(
            "url",
            "text",
            "Webhook 地址",
            "Webhook URL",
            required=True,
            max_length=500,
            write_only=True,
            create_only=True,
            validator=_url_error,
            help_zh="群设置 → 群机器人 → 复制 Webhook 地址；保存后不再显示，也不写入日志（更换地址请删除后重新添加）",
            help_en=(
                "Group settings → robot → copy its webhook; never shown again or logged"
                " (to change it, delete and add again)"
            ),
        ),
        Field("active", "bool", "启用", "Active", default=True),
        Field("note", "text", "备注", "Note", max_length=200),
    )
    list_display = ("org_unit_id", "kind", "active", "note")
    list_filter = ("org_unit_id", "kind", "active")
    ordering = ("org_unit_id",)
    natural_key = ("org_unit_id",)
    permissions: ClassVar[Permissions] = {
        "view": frozenset({"admin", "head"}),
        "create": frozenset({"admin", "head"}),
        "edit": frozenset({"admin", "head"}),
        "delete": frozenset({"admin", "head"}),
        "export": frozenset({"admin"}),
        "import": frozenset({"admin"}),
        "revert": frozenset({"admin"}),
    }

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        if creating:  # a write-only field: kept on the row, never in the trail
            obj.url = values["url"]


# -- the digest -------------------------------------------------------------------------------


def unit_actor(unit: OrgUnit) -> Actor:
    """The unit's head as the home page sees them (no one's own items)."""
    return Actor(-1, "reminder", "", "head", unit.id, unit.path)


def digest(session: Session, unit: OrgUnit, today: dt.date, lang: str = "zh-CN") -> str:
    """The unit's reminder text for today, "" when nothing is due or overdue."""
    from portal import home  # the areas' to-do lines, through their manifests

    lines = [line for line in home.todos(session, unit_actor(unit), today, lang) if line.kind != "items_due"]
    if not lines:
        return ""
    sep = t("reminders.sep", lang)
    body = [
        t("reminders.head", lang, unit=label(lang, unit.name_zh, unit.name_en), date=today.isoformat()),
        *(f"• {line.title}{sep}{line.detail}" if line.detail else f"• {line.title}" for line in lines),
        t("reminders.foot", lang),
    ]
    text = "\n".join(body)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


# -- sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    unit_id: int
    status: str  # sent | failed | skipped
    detail: str


Post = Callable[[str, bytes], tuple[int, bytes]]


def http_post(url: str, body: bytes) -> tuple[int, bytes]:
    if urlsplit(url).scheme not in ("https", "http"):  # the spec refuses others; never file: or ftp:
        raise ValueError("not an http(s) URL")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    request = urllib.request.Request(url, body, headers, method="POST")  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - https/http only
            return response.status, response.read(4096)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(4096) if exc.fp else b""


def send(channel: ReminderChannel, text: str, post: Post = http_post) -> tuple[bool, str]:
    """Post a text message; both robots take the same shape and answer errcode 0."""
    body = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode("utf-8")
    try:
        status, answer = post(channel.url, body)
    except (OSError, ValueError) as exc:  # refused, timed out, DNS...
        return False, f"{type(exc).__name__}: {exc}"[:300]
    if status != 200:
        return False, f"HTTP {status}"
    try:
        code = json.loads(answer.decode("utf-8") or "{}").get("errcode", 0)
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return False, "not JSON"
    if code != 0:
        return False, f"errcode {code}"
    return True, ""


def run(
    session: Session, today: dt.date | None = None, *, lang: str = "zh-CN", post: Post = http_post
) -> list[Outcome]:
    """Today's digest to every active channel, each attempt logged."""
    day = today or clock.today()
    outcomes = []
    channels = session.scalars(
        select(ReminderChannel).where(ReminderChannel.deleted_at.is_(None), ReminderChannel.active.is_(True))
    )
    for channel in channels:
        unit = session.get(OrgUnit, channel.org_unit_id)
        if unit is None or unit.deleted_at is not None or not unit.active:
            continue
        text = digest(session, unit, day, lang)
        if demo_mode():
            status, detail = "skipped", "demo"
        elif not text:
            status, detail = "skipped", "nothing due"
        else:
            ok, detail = send(channel, text, post)
            status = "sent" if ok else "failed"
            if not ok:
                log.warning("reminder to unit %s failed: %s", unit.code, detail)
        session.add(
            ReminderDelivery(
                org_unit_id=unit.id, attempted_at=utcnow(), day=day, status=status, detail=detail, text=text
            )
        )
        outcomes.append(Outcome(unit.id, status, detail))
    session.flush()
    return outcomes


def recent(session: Session, actor: Actor, limit: int = 50) -> list[ReminderDelivery]:
    """The newest attempts an admin may see (all) or a head (their subtree)."""
    query = select(ReminderDelivery).join(OrgUnit, OrgUnit.id == ReminderDelivery.org_unit_id)
    if not actor.sees_everything:
        query = query.where(OrgUnit.path.startswith(actor.org_path, autoescape=True))
    return list(session.scalars(query.order_by(ReminderDelivery.id.desc()).limit(limit)))
