"""The page registry: which pages exist, where they live, and which roles may open them.

app.py builds st.navigation from this list for the signed-in role; each page script asks
`may_open` again, so a page reached by URL refuses on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.models import ROLES

ALL_ROLES: frozenset[str] = frozenset(ROLES)


@dataclass(frozen=True)
class PageDef:
    slug: str  # also the URL path ("" for home) and the widget-key prefix
    script: str  # path relative to the project root
    title_key: str
    icon: str
    section_key: str
    roles: frozenset[str]
    url_path: str = ""

    @property
    def default(self) -> bool:
        return self.url_path == ""


PAGES: tuple[PageDef, ...] = (
    PageDef("home", "pages/home.py", "nav.home", ":material/home:", "nav.section.main", ALL_ROLES, ""),
    PageDef(
        "education",
        "pages/education.py",
        "nav.education",
        ":material/campaign:",
        "nav.section.programmes",
        ALL_ROLES,
        "education",
    ),
    PageDef(
        "plans", "pages/plans.py", "nav.plans", ":material/event_note:", "nav.section.programmes", ALL_ROLES, "plans"
    ),
    PageDef(
        "targets",
        "pages/targets.py",
        "nav.targets",
        ":material/track_changes:",
        "nav.section.programmes",
        ALL_ROLES,
        "targets",
    ),
    PageDef(
        "admin",
        "pages/admin.py",
        "nav.admin",
        ":material/admin_panel_settings:",
        "nav.section.system",
        frozenset({"admin", "head"}),
        "admin",
    ),
    PageDef(
        "account", "pages/account.py", "nav.account", ":material/person:", "nav.section.system", ALL_ROLES, "account"
    ),
)


def page(slug: str) -> PageDef:
    for p in PAGES:
        if p.slug == slug:
            return p
    raise KeyError(slug)


def pages_for(role: str | None) -> list[PageDef]:
    return [p for p in PAGES if role in p.roles]


def may_open(role: str | None, slug: str) -> bool:
    return role in page(slug).roles
