"""The menu: which pages exist, where they live, and which roles may open them.

The pages come from the manifests (portal.apps): the shared ones (home, targets, admin,
account) and each programme area's. app.py builds st.navigation from them for the
signed-in role; each page script asks `may_open` again, so a page reached by URL refuses
on its own.
"""

from __future__ import annotations

from portal.apps import ALL_ROLES, PageDef, manifests

__all__ = ["ALL_ROLES", "PAGES", "PageDef", "may_open", "page", "pages_for"]

SECTIONS = ("nav.section.main", "nav.section.programmes", "nav.section.system")


def _collect() -> tuple[PageDef, ...]:
    found = [p for m in manifests() for p in m.pages]
    slugs = [p.slug for p in found]
    if len(set(slugs)) != len(slugs):
        raise ValueError(f"page slugs repeat: {slugs}")
    unknown = {p.section_key for p in found} - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown menu sections: {sorted(unknown)}")
    return tuple(sorted(found, key=lambda p: (SECTIONS.index(p.section_key), p.order)))


PAGES: tuple[PageDef, ...] = _collect()


def page(slug: str) -> PageDef:
    for p in PAGES:
        if p.slug == slug:
            return p
    raise KeyError(slug)


def pages_for(role: str | None) -> list[PageDef]:
    """The menu of a role (public pages are reached by their links, never by the menu)."""
    return [p for p in PAGES if role in p.roles and not p.public]


def may_open(role: str | None, slug: str) -> bool:
    return role in page(slug).roles
