"""What health education puts on a home page: the theme days of the next two weeks, with
the activities the work plans suggest for them, for the people who record activities; and
for the staff of a unit in a running campaign, how far their unit is against its goals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from portal.apps import Todo
from portal.i18n import t
from portal.org import themedays
from portal.org.scope import Actor
from portal.programmes.education.specs import EDITORS, HEADS, HeActivitySpec

DAYS_AHEAD = 14


def todo(session: Session, actor: Actor, today: dt.date, lang: str) -> list[Todo]:
    if actor.role not in EDITORS or actor.org_unit_id is None:
        return []
    return campaign_lines(session, actor, today, lang) + theme_day_lines(session, actor, today, lang)


def campaign_lines(session: Session, actor: Actor, today: dt.date, lang: str) -> list[Todo]:
    """One line per running campaign with a goal for the actor's unit (or a unit above it)."""
    from portal.programmes.education import campaigns

    lines = []
    for campaign, goal in campaigns.running_for_unit(session, actor):
        board = campaigns.board(session, actor, campaign.id, today, lang)
        row = next((r for r in board.rows if r.unit_id == goal.org_unit_id), None)
        # a unit below the goal's unit (a village under its township) sees its own share
        done = row.activities if row else len(board.activities)
        people = row.people if row else sum(e.participants for e in board.activities)
        missing = len(board.missing)
        lines.append(
            Todo(
                "campaign_running",
                t(
                    "education.home.campaign",
                    lang,
                    name=campaign.name,
                    end=campaign.end_date.isoformat(),
                    done=done,
                    goal=goal.activities_goal or 0,
                ),
                t(
                    "education.home.campaign_detail",
                    lang,
                    people=people,
                    people_goal=goal.people_goal or 0,
                    missing=missing,
                ),
                "education",
                {"view": "campaigns"},
                count=missing or None,
                severity="warning" if row is not None and row.behind else "info",
            )
        )
    return lines


def theme_day_lines(session: Session, actor: Actor, today: dt.date, lang: str) -> list[Todo]:
    rules: list[Any] = list(themedays.active_rules(session)) or list(themedays.BUILTIN)
    kinds = {c.value: c.label(lang) for c in HeActivitySpec.field("activity_type").choices}
    sep = t("plans.draft.sep", lang)
    days = []
    launch: str | None = None  # a head's link opens the launch of the first day not launched yet
    for start, _end, rule in themedays.upcoming(rules, today, DAYS_AHEAD):
        name = rule.name_en if lang == "en" and rule.name_en else rule.name_zh
        when = t("home.today", lang) if start <= today else t("home.in_days", lang, n=(start - today).days)
        suggested = sep.join(kinds.get(k, k) for k in (rule.activity_types or "").split(",") if k)
        if launch is None and actor.role in HEADS and actor.org_unit_id is not None:
            from portal.programmes.education import campaigns

            if not campaigns.launched(session, actor.org_unit_id, rule.code, start):
                launch = rule.code
        days.append(
            t(
                "education.home.theme_day",
                lang,
                day=name,
                date=start.isoformat(),
                when=when,
                activities=suggested or "—",
            )
        )
    if not days:
        return []
    query = {"view": "add"}  # staff record an activity; a head launches a campaign, pre-filled with the day
    if actor.role in HEADS:
        query = {"view": "campaigns", **({"theme": launch} if launch else {})}
    return [
        Todo(
            "theme_days",
            t("education.home.theme_days", lang, count=len(days), days=DAYS_AHEAD),
            t("education.home.theme_sep", lang).join(days),
            "education",
            query,
            count=len(days),
            severity="info",
        )
    ]
