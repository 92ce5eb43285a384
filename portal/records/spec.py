"""RecordSpec: one declaration per record type, checked when the class is defined.

Every option is a class attribute with a default; the docstrings are the reference that
README.md points to. A mistake raises SpecError naming the class and the attribute, at
import time, so a broken spec never reaches a user.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, NoReturn

from sqlalchemy import Select
from sqlalchemy import inspect as sa_inspect

from db.base import RecordModel
from db.models import ROLES
from portal.errors import FieldError
from portal.records.children import Inline
from portal.records.fields import FIELD_TYPES, ON_DELETE, VIRTUAL_TYPES, Field
from portal.records.stats import Measure, Stats
from portal.records.workflow import Workflow

ACTIONS = ("view", "create", "edit", "delete", "export", "import", "revert")
FILTERABLE = ("choice", "date", "org_unit", "bool", "text", "ref")
GROUPABLE = ("choice", "bool", "org_unit", "ref")
PAGE_SIZES = (25, 50, 100)
SLUG_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
ALL = frozenset(ROLES)
HEADS = frozenset({"admin", "head"})  # who steers a unit: approves, reverts, hands down

Permissions = Mapping[str, frozenset[str]]
"""Roles allowed per action; a spec declares ``permissions: ClassVar[Permissions] = {...}``."""


class SpecError(Exception):
    """A record type is declared wrongly; the message names the class and attribute."""


class RecordSpec:
    """Base class of every record type. Subclass it and set the attributes below."""

    slug: ClassVar[str] = ""
    """Record-type name: table name, CLI name and widget-key prefix. ``"he_activities"``"""

    model: ClassVar[type[RecordModel]]
    """The SQLAlchemy model, derived from ``db.base.RecordModel`` (so it carries ``version``
    and ``deleted_at`` columns). No default: every spec names its model. ``HeActivity``"""

    title_zh: ClassVar[str] = ""
    """Chinese name of the record type. ``"健康教育活动"``"""

    title_en: ClassVar[str] = ""
    """English name. ``"Health-education activities"``"""

    fields: ClassVar[tuple[Field, ...]] = ()
    """The fields, in form order. ``(Field("title", "text", "主题", "Title", required=True),)``"""

    list_display: ClassVar[tuple[str, ...]] = ()
    """Field keys shown as table columns, in order. ``("activity_date", "title")``"""

    list_filter: ClassVar[tuple[str, ...]] = ()
    """Field keys offered as filters: choice and bool (pick values), date (range and
    period), org_unit (a unit and everything below it), text (contains).
    ``("activity_type", "activity_date", "org_unit_id")``"""

    search_fields: ClassVar[tuple[str, ...]] = ()
    """Text fields the search box looks in. ``("title", "venue")``"""

    ordering: ClassVar[tuple[str, ...]] = ("-id",)
    """Default sort; a leading ``-`` sorts descending. ``("-activity_date", "-id")``"""

    list_per_page: ClassVar[int] = 25
    """Default page size: 25, 50 or 100 (the table offers all three)."""

    natural_key: ClassVar[tuple[str, ...]] = ()
    """Fields that identify a row across systems, for import upserts. ``("code",)``"""

    identity: ClassVar[tuple[str, ...]] = ()
    """For a type whose rows are identified by a rule rather than a natural key (a person:
    the same name and phone, else the same name and unit), the fields the rule reads;
    ``find_same`` applies it. An import with "update existing" then updates the row the
    rule finds instead of adding a second one. ``("org_unit_id", "name", "phone")``"""

    org_field: ClassVar[str | None] = "org_unit_id"
    """The org_unit field that scopes the record: users see records of their subtree.
    ``"id"`` for the org units themselves."""

    date_field: ClassVar[str | None] = None
    """The date field that puts a record into a period (the sidebar's period filter)."""

    permissions: ClassVar[Permissions] = {"view": ALL}
    """Roles allowed per action (view, create, edit, delete, export, import, revert).
    ``{"view": ALL, "create": frozenset({"admin", "staff"})}``; absent actions: nobody."""

    can_create: ClassVar[bool] = True
    """False hides adding records whatever the permissions say (SQLAdmin's flag)."""

    can_edit: ClassVar[bool] = True
    """False makes every record read-only."""

    can_delete: ClassVar[bool] = True
    """False removes delete (and so the trash) from this record type."""

    can_export: ClassVar[bool] = True
    """False removes CSV/XLSX export."""

    can_import: ClassVar[bool] = True
    """False removes import."""

    label_fields: ClassVar[tuple[str, ...]] = ()
    """Fields that name a record where another record points to it (a picker's options, a
    table cell, an import's value). Default: the natural key, else the first text column of
    list_display. ``("name", "phone_tail")``"""

    inlines: ClassVar[tuple[Inline, ...]] = ()
    """Child record types edited as tables on this record's form and saved with it.
    ``(Inline("checklist_items", link=(("checklist_id", "id"),)),)``"""

    list_editable: ClassVar[tuple[str, ...]] = ()
    """Fields edited in place in the list table (a grid for bulk entry, saved in one go).
    ``("score", "retest")``"""

    workflow: ClassVar[Workflow | None] = None
    """States and transitions of the status field (see portal.records.workflow). The status
    field is a read-only choice field; only transitions move it."""

    stats: ClassVar[Stats | None] = None
    """The statistics chart next to the table: counts or sums by period and by a choice.
    ``Stats(by=("activity_type",), measures=(Measure("sum", "participants"),))``"""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("abstract", False):
            return
        check_spec(cls)

    # -- hooks (override in a subclass) ------------------------------------------------

    @classmethod
    def prepare(cls, raw: dict[str, Any]) -> dict[str, Any]:
        """Normalise raw input before parsing (e.g. lower-case a username)."""
        return raw

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        """Cross-field checks after each field passed its own; return FieldErrors.
        ``values`` is the whole record as it would be saved; ``existing`` is the stored
        row on update, None on create."""
        return []

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        """Checks that need the database (a referenced code exists...); run after
        clean() passed, on every path, so an import preview reports them too."""
        return []

    @classmethod
    def find_same(cls, session: Any, actor: Any, values: dict[str, Any], existing: Any | None = None) -> Any | None:
        """The live row, among those the actor may see, that ``values`` (the ``identity``
        fields, parsed) describe already, other than ``existing``; None if there is none."""
        return None

    @classmethod
    def ref_query(cls, key: str, stmt: Select[Any], values: dict[str, Any], actor: Any) -> Select[Any]:
        """Narrow the records a reference field may point to, beyond the actor's scope
        (e.g. a plan item's owner among the users of the item's unit). ``stmt`` selects
        the target's live records in scope; ``values`` are the record's values so far."""
        return stmt

    @classmethod
    def before_delete(cls, session: Any, obj: Any, actor: Any) -> None:
        """Refuse a delete by raising a PortalError (e.g. a unit that still has users)."""

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        """Adjust the model object just before it is flushed (derived columns)."""

    @classmethod
    def after_save(cls, session: Any, obj: Any, creating: bool, actor: Any) -> None:
        """Runs after the flush, in the same transaction (e.g. a materialised path, or
        another record's totals, written through the service so it is audited too)."""

    @classmethod
    def on_change(cls, before: dict[str, Any] | None, after: dict[str, Any] | None, actor: Any) -> None:
        """Called after every create, update, delete, restore and revert, with the
        audited snapshots, in the same transaction; raise to refuse the change."""

    # -- helpers -----------------------------------------------------------------------

    @classmethod
    def field(cls, key: str) -> Field:
        for f in cls.fields:
            if f.key == key:
                return f
        raise KeyError(f"{cls.__name__} has no field {key!r}")

    @classmethod
    def title(cls, lang: str) -> str:
        return cls.title_en if lang == "en" else cls.title_zh

    @classmethod
    def allows(cls, role: str | None, action: str) -> bool:
        flags = {
            "create": cls.can_create,
            "edit": cls.can_edit,
            "delete": cls.can_delete,
            "export": cls.can_export,
            "import": cls.can_import,
            "revert": cls.can_edit,
        }
        if not flags.get(action, True):
            return False
        return role in cls.permissions.get(action, frozenset())

    @classmethod
    def writable_fields(cls, creating: bool) -> tuple[Field, ...]:
        return tuple(
            f for f in cls.fields if not f.readonly and f.type not in VIRTUAL_TYPES and (creating or not f.create_only)
        )

    @classmethod
    def exported_fields(cls) -> tuple[Field, ...]:
        return tuple(f for f in cls.fields if not f.write_only and f.type not in VIRTUAL_TYPES)


def _fail(cls: type, attr: str, message: str) -> NoReturn:
    raise SpecError(f"{cls.__name__}.{attr}: {message}")


def check_spec(cls: type[RecordSpec]) -> None:
    """Django checks.py style: every rule names the class and the attribute."""
    if not SLUG_RE.match(cls.slug or ""):
        _fail(cls, "slug", f"{cls.slug!r} must be 2-40 lowercase letters, digits or _, starting with a letter")
    model = getattr(cls, "model", None)  # unset, or None, on a spec being written
    if model is None or not hasattr(model, "__table__"):
        _fail(cls, "model", "must be a mapped SQLAlchemy model class")
    columns = set(sa_inspect(model).columns.keys())
    for required in ("version", "deleted_at"):
        if required not in columns:
            _fail(cls, "model", f"{cls.model.__name__} needs a {required!r} column")
    if not issubclass(model, RecordModel):  # what the engine's type says it may rely on
        _fail(cls, "model", f"{cls.model.__name__} must derive from db.base.RecordModel")
    if not cls.title_zh or not cls.title_en:
        _fail(cls, "title_zh" if not cls.title_zh else "title_en", "both titles are required")
    _check_fields(cls, columns)
    keys = {f.key: f for f in cls.fields}
    for attr in ("list_display", "search_fields", "natural_key", "identity"):
        for key in getattr(cls, attr):
            if key not in keys and not (attr == "list_display" and key in columns):
                _fail(cls, attr, f"{key!r} is not a field")
    for key in cls.list_filter:
        if key not in keys:
            _fail(cls, "list_filter", f"{key!r} is not a field")
        if keys[key].type not in FILTERABLE:
            _fail(cls, "list_filter", f"{key!r} is a {keys[key].type} field, which cannot be filtered")
    for key in cls.search_fields:
        if keys[key].type not in ("text", "longtext"):
            _fail(cls, "search_fields", f"{key!r} is not a text field")
    for key in cls.ordering:
        if key.lstrip("-") not in columns:
            _fail(cls, "ordering", f"{key!r} is not a column of {cls.model.__name__}")
    if cls.list_per_page not in PAGE_SIZES:
        _fail(cls, "list_per_page", f"must be one of {PAGE_SIZES}")
    for key in cls.natural_key:
        if not keys[key].required:
            _fail(cls, "natural_key", f"{key!r} must be a required field")
    if cls.natural_key and cls.identity:
        _fail(cls, "identity", "a type has a natural key or an identity rule, not both")
    if cls.identity and cls.find_same.__func__ is RecordSpec.find_same.__func__:  # type: ignore[attr-defined]  # classmethod objects carry __func__
        _fail(cls, "identity", "an identity rule needs find_same")
    if cls.org_field is not None:
        if cls.org_field == "id":
            pass
        elif cls.org_field not in keys or keys[cls.org_field].type != "org_unit":
            _fail(cls, "org_field", f"{cls.org_field!r} must be an org_unit field")
    if cls.date_field is not None and (cls.date_field not in keys or keys[cls.date_field].type != "date"):
        _fail(cls, "date_field", f"{cls.date_field!r} must be a date field")
    _check_engine_options(cls, keys, columns)
    for action, roles in cls.permissions.items():
        if action not in ACTIONS:
            _fail(cls, "permissions", f"unknown action {action!r}; use {', '.join(ACTIONS)}")
        unknown = set(roles) - set(ROLES)
        if unknown:
            _fail(cls, "permissions", f"unknown role {min(unknown)!r} for {action!r}")


def _check_fields(cls: type[RecordSpec], columns: set[str]) -> None:
    if not cls.fields:
        _fail(cls, "fields", "declare at least one field")
    seen: set[str] = set()
    headers: dict[str, str] = {}
    for f in cls.fields:
        where = f"fields[{f.key!r}]"
        if f.key in seen:
            _fail(cls, "fields", f"{f.key!r} is declared twice")
        seen.add(f.key)
        if f.type not in FIELD_TYPES:
            _fail(cls, where, f"type {f.type!r} is not one of {', '.join(FIELD_TYPES)}")
        if f.key not in columns and not f.write_only and f.type not in VIRTUAL_TYPES:
            _fail(cls, where, f"{cls.model.__name__} has no column {f.key!r}")
        if not f.zh or not f.en:
            _fail(cls, where, "needs both a zh and an en label")
        if f.type == "choice" and not f.choices:
            _fail(cls, where, "a choice field needs choices")
        if f.type != "choice" and f.choices:
            _fail(cls, where, "choices are only for choice fields")
        if f.min is not None and f.max is not None and f.min > f.max:
            _fail(cls, where, f"min {f.min} is greater than max {f.max}")
        if (f.min is not None or f.max is not None) and f.type not in ("int", "float", "images"):
            _fail(cls, where, "min and max are only for int and float fields (max also for images)")
        if f.max_length is not None and f.type not in ("text", "longtext"):
            _fail(cls, where, "max_length is only for text fields")
        if f.readonly and f.required:
            _fail(cls, where, "a readonly field cannot be required")
        for header in f.headers():
            other = headers.get(header.strip().lower())
            if other is not None and other != f.key:
                _fail(cls, where, f"header {header!r} is also used by {other!r}")
            headers[header.strip().lower()] = f.key


def _check_engine_options(cls: type[RecordSpec], keys: dict[str, Field], columns: set[str]) -> None:
    """References, computed fields, labels, child rows, grids, workflows and statistics.
    (Whether a referenced or child record type exists is checked once every spec is
    registered: portal.records.registry.check_references.)"""
    for f in cls.fields:
        where = f"fields[{f.key!r}]"
        if f.type == "ref" and not f.ref:
            _fail(cls, where, "a ref field needs ref= (the record type it points to)")
        if f.type != "ref" and f.ref:
            _fail(cls, where, "ref= is only for ref fields")
        if f.on_delete not in ON_DELETE:
            _fail(cls, where, f"on_delete must be one of {', '.join(ON_DELETE)}")
        if f.computed is not None and f.required:
            _fail(cls, where, "a computed field cannot be required")
    for key in cls.label_fields:
        if key not in keys:
            _fail(cls, "label_fields", f"{key!r} is not a field")
    for key in cls.list_editable:
        if key not in keys:
            _fail(cls, "list_editable", f"{key!r} is not a field")
        if keys[key].readonly or keys[key].create_only or keys[key].write_only:
            _fail(cls, "list_editable", f"{key!r} is not editable after creation")
    for inline in cls.inlines:
        if not inline.link:
            _fail(cls, "inlines", f"{inline.spec!r} needs link=((child_field, parent_field), ...)")
        for _, parent_field in inline.link:
            if parent_field != "id" and parent_field not in columns:
                _fail(
                    cls, "inlines", f"{inline.spec!r} links to {parent_field!r}, not a column of {cls.model.__name__}"
                )
    if cls.workflow is not None:
        _check_workflow(cls, cls.workflow, keys)
    if cls.stats is not None:
        _check_stats(cls, cls.stats, keys)


def _check_workflow(cls: type[RecordSpec], workflow: Workflow, keys: dict[str, Field]) -> None:
    f = keys.get(workflow.field)
    if f is None or f.type != "choice" or not f.readonly:
        _fail(cls, "workflow", f"{workflow.field!r} must be a read-only choice field")
    states = [s.value for s in workflow.states]
    if sorted(states) != sorted(c.value for c in f.choices):
        _fail(cls, "workflow", f"the states {states} must be the choices of {workflow.field!r}")
    for t in workflow.transitions:
        unknown = [x for x in (*t.sources, t.target) if x not in states]
        if unknown:
            _fail(cls, "workflow", f"transition {t.name!r} names unknown state {unknown[0]!r}")
        if set(t.roles) - set(ROLES):
            _fail(cls, "workflow", f"transition {t.name!r} names an unknown role")
    names = [t.name for t in workflow.transitions]
    if len(set(names)) != len(names):
        _fail(cls, "workflow", "transition names repeat")
    if workflow.comment_field is not None and workflow.comment_field not in keys:
        _fail(cls, "workflow", f"comment_field {workflow.comment_field!r} is not a field")
    for lock in workflow.locks:
        if any(state not in states for state in lock.states):
            _fail(cls, "workflow", f"a lock on {lock.target!r} names an unknown state")


def _check_stats(cls: type[RecordSpec], stats: Stats, keys: dict[str, Field]) -> None:
    for key in stats.by:
        if key not in keys or keys[key].type not in GROUPABLE:
            _fail(cls, "stats", f"{key!r} must be a {'/'.join(GROUPABLE)} field")
    date_field = stats.date_field or cls.date_field
    if date_field is None or date_field not in keys or keys[date_field].type not in ("date", "datetime"):
        _fail(cls, "stats", "needs a date field (stats.date_field or the spec's date_field)")
    for m in stats.measures:
        if m.agg not in ("count", "sum"):
            _fail(cls, "stats", f"measure {m.agg!r} must be count or sum")
        if m.agg == "sum" and (m.field not in keys or keys[m.field].type not in ("int", "float")):
            _fail(cls, "stats", f"sum needs a number field, not {m.field!r}")


__all__ = ["Inline", "Measure", "Stats", "Workflow"]
