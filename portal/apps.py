"""Manifests: how the shared modules and the programme areas plug into the portal.

Each programme area is a package under ``portal/programmes/`` whose ``__init__`` defines
``MANIFEST`` (like a Django ``AppConfig``): its record specs, pages, indicator templates,
demo data, reports and messages, declared in one place. The shared record types (org
units, users, calendars, indicators, targets) are declared the same way by
``portal.org`` and ``portal.metrics``. Navigation, the spec registry, the indicator
library, the message catalogues, the demo loader and the CLI read the manifests; no
central list names the areas, so adding one means adding a package.

Everything in a manifest is data or a dotted path ("module:attribute"), so reading the
manifests imports nothing heavy; the modules load when something asks for them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from db.models import ROLES

ALL_ROLES: frozenset[str] = frozenset(ROLES)
# Shared packages that declare record types and pages but are not programme areas.
CORE_PACKAGES = ("portal.org", "portal.metrics")
PROGRAMMES_PACKAGE = "portal.programmes"


@dataclass(frozen=True)
class PageDef:
    """One page of the menu. ``slug`` is also the URL path (blank for home) and the
    widget-key prefix; ``script`` is relative to the project root (a two-line file under
    pages/ that calls a renderer in portal.ui)."""

    slug: str
    script: str
    title_key: str
    icon: str
    section_key: str
    roles: frozenset[str] = ALL_ROLES
    url_path: str = ""
    order: int = 100
    # A page anyone may open without signing in (the training self sign-in, a published
    # sanitation ranking): served as itself to an anonymous visitor instead of the login
    # form, and never in a menu (give it no roles). Its script does not call require_page
    # and shows only what it was built to publish.
    public: bool = False

    @property
    def default(self) -> bool:
        return self.url_path == ""


@dataclass(frozen=True)
class ReportDef:
    """A document a programme builds, offered by ``python -m portal report NAME``.

    ``subject`` says what the report is about: ``"unit_period"`` (a unit's month or year:
    ``--unit CODE --period KEY``, checked against ``period_kind``) or ``"record"`` (one
    record, ``id_option`` such as ``--id`` or ``--session``). ``build`` is a dotted path
    to ``build(session, actor, request: ReportRequest) -> bytes``. ``switches``: on/off
    options of the document, (name, help key), offered as ``--name`` and passed in
    ``request.switches`` when given (e.g. ``("grouped", "cli.help.sanitation_grouped")``).
    """

    name: str
    help_key: str
    build: str
    formats: tuple[str, ...] = ("docx", "xlsx")
    subject: str = "unit_period"
    period_kind: str | None = None
    period_help_key: str | None = None
    id_option: str = "--id"
    switches: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ReportRequest:
    fmt: str
    lang: str
    unit_id: int | None = None
    period: str | None = None
    record_id: int | None = None
    switches: frozenset[str] = frozenset()  # the ReportDef's switches given on the command line


@dataclass(frozen=True)
class Todo:
    """One line of someone's home page: what needs doing, and where it is done.

    kind: a stable code for tests and icons ("report_overdue", "session_today"...).
    title / detail: what the user reads (already in their language).
    page: the slug of the page that does it; query: URL parameters that open the right
    view there (e.g. {"view": "review", "unit": "12"}).
    count: how many (shown as a badge); severity: "info" | "warning" | "error".
    copy_text: a ready-to-send text (a reminder for a WeChat group), if any.
    """

    kind: str
    title: str
    detail: str = ""
    page: str = "home"
    query: dict[str, str] = field(default_factory=dict)
    count: int | None = None
    severity: str = "info"
    copy_text: str = ""


@dataclass(frozen=True)
class OverviewColumn:
    """One figure per unit in a head's table of the units below (home page): the text to
    show and a severity for its colour (ok | info | warning | error | none — "none" is
    "no data", never red). ``page`` is where the figure is worked on."""

    key: str
    title: str
    values: dict[int, str]
    severity: dict[int, str]
    page: str = "home"


@dataclass(frozen=True)
class Manifest:
    """What one area (or shared package) brings. Every attribute is optional but ``code``.

    code: the package's name (``"plans"``).
    area: the indicator-area code its templates and plan items use (``"mp"``).
    title_zh / title_en: the area's name, e.g. in the indicator-area and plan-item lists.
    order: position among the areas (menus, lists).
    specs: modules defining RecordSpec subclasses (registered by the spec registry).
    pages: the area's pages.
    indicators: dotted path to a tuple of indicator templates (see portal.metrics.library).
    demo: dotted path to ``load(session, demo: DemoCounty) -> dict[str, int]``.
    reports: documents offered by the CLI's ``report`` command.
    locales: folder with ``zh-CN.json`` and ``en.json``; merged into the catalogues.
    home: dotted path to ``todo(session, actor, today, lang) -> list[Todo]`` for the home page.
    overview: dotted path to ``overview(session, actor, unit_ids, today, lang) ->
    list[OverviewColumn]``: the area's columns in a head's table of the units below.
    figures: named figures the indicator engine may compute (kind "figure"), as (name, dotted
    path to ``fn(session, units, start, end) -> {unit_id: (numerator, denominator)}``): one
    definition of a figure the area's own pages show too.
    """

    code: str
    area: str = ""
    title_zh: str = ""
    title_en: str = ""
    order: int = 100
    specs: tuple[str, ...] = ()
    pages: tuple[PageDef, ...] = ()
    indicators: str | None = None
    demo: str | None = None
    reports: tuple[ReportDef, ...] = ()
    locales: Path | None = None
    home: str | None = None
    overview: str | None = None
    figures: tuple[tuple[str, str], ...] = ()
    programme: bool = field(default=True, compare=False)

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh


def load(dotted: str) -> Any:
    """The object a dotted path ("package.module:attribute") names."""
    module, _, attribute = dotted.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attribute.split(".") if attribute else ():
        obj = getattr(obj, part)
    return obj


def loader(dotted: str) -> Callable[..., Any]:
    function: Callable[..., Any] = load(dotted)
    if not callable(function):
        raise TypeError(f"{dotted} is not callable")
    return function


@cache
def manifests() -> tuple[Manifest, ...]:
    """The shared packages' manifests, then every programme package's, by order."""
    found = [importlib.import_module(name).MANIFEST for name in CORE_PACKAGES]
    package = importlib.import_module(PROGRAMMES_PACKAGE)
    programmes = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg:
            module = importlib.import_module(f"{PROGRAMMES_PACKAGE}.{info.name}")
            manifest = getattr(module, "MANIFEST", None)
            if not isinstance(manifest, Manifest):
                raise TypeError(f"{module.__name__} must define MANIFEST = Manifest(...)")
            if manifest.code != info.name:
                raise ValueError(f"{module.__name__}: MANIFEST.code must be {info.name!r}")
            programmes.append(manifest)
    found += sorted(programmes, key=lambda m: (m.order, m.code))
    codes = [m.code for m in found]
    if len(set(codes)) != len(codes):
        raise ValueError(f"manifest codes repeat: {codes}")
    return tuple(found)


def programmes() -> tuple[Manifest, ...]:
    """The programme areas only (education, plans, training, sanitation...)."""
    return tuple(m for m in manifests() if m.programme)


def figure(name: str) -> Callable[..., Any]:
    """A named figure from a manifest (an indicator definition can only name these)."""
    for m in manifests():
        for known, dotted in m.figures:
            if known == name:
                return loader(dotted)
    raise KeyError(name)


def figure_names() -> list[str]:
    return [name for m in manifests() for name, _ in m.figures]


def by_code(code: str) -> Manifest:
    for m in manifests():
        if m.code == code:
            return m
    raise KeyError(f"unknown area {code!r}; known: {', '.join(m.code for m in manifests())}")
