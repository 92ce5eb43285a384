"""Reference fields: a field that points to a record of another type.

What a ``Field(..., "ref", ref="training_programmes")`` gets from here:
- ``resolve``: the one place raw input becomes the referenced id, for forms (an id),
  imports and the CLI (the target's id, natural key or label, as users see it). Only
  records the actor may see are found; a label that matches two records is an error that
  names both. A record outside the actor's scope reads exactly like one that does not
  exist, so probing tells nothing.
- ``choices``: what the form's picker lists (the target's live records in scope).
- ``labels``: how tables, exports and history show an id (the target's label).
- ``referrers``: who points to a record, so deleting it can be refused with their names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from portal.errors import FieldError
from portal.org.scope import Actor
from portal.records.fields import Field

if TYPE_CHECKING:
    from portal.records.spec import RecordSpec

Spec = type["RecordSpec"]
CHOICES_LIMIT = 500  # a picker longer than this is searched, not scrolled
LABEL_SCAN_LIMIT = 5000  # composite labels are matched in Python over at most this many rows
_MEMO = "refs.resolved"  # session.info: (target, text, actor) -> id, for imports of many rows


def target(f: Field) -> Spec:
    from portal.records import registry

    return registry.get(f.ref or "")


def label_fields(spec: Spec) -> tuple[str, ...]:
    """The fields a record is named by: the spec's label_fields, else its natural key,
    else its first text column in the list."""
    if spec.label_fields:
        return spec.label_fields
    if spec.natural_key:
        return spec.natural_key
    texts = [k for k in spec.list_display if _is_field(spec, k) and spec.field(k).type in ("text", "longtext")]
    return tuple(texts[:1]) or ("id",)


def _is_field(spec: Spec, key: str) -> bool:
    return any(f.key == key for f in spec.fields)


def label_of(spec: Spec, values: Any, lang: str) -> str:
    """One record's label from its values (a model object or a mapping)."""
    from portal.records import display

    parts = []
    for key in label_fields(spec):
        value = values.get(key) if isinstance(values, dict) else getattr(values, key, None)
        f = spec.field(key) if _is_field(spec, key) else None
        if f is not None and f.type in ("ref", "org_unit"):
            continue  # a label names the record itself; its unit is shown elsewhere
        text = display.format_value(f, value, lang)
        if text:
            parts.append(text)
    return " · ".join(parts) or f"#{values.get('id') if isinstance(values, dict) else getattr(values, 'id', '')}"


def labels(session: Session, spec: Spec, ids: Iterable[int], lang: str) -> dict[int, str]:
    """Labels of the given records, whatever the scope: the records that mention them
    were scoped already, and a name alone is not the record."""
    wanted = sorted({i for i in ids if isinstance(i, int) and not isinstance(i, bool)})
    if not wanted:
        return {}
    model = spec.model
    rows = session.scalars(select(model).where(model.id.in_(wanted)))
    return {row.id: label_of(spec, row, lang) for row in rows}


def _scoped(session: Session, actor: Actor, spec: Spec) -> Select[Any]:
    from portal.records import service

    return service.scoped(spec, actor, session=session)


def choices(
    session: Session, actor: Actor, owner: Spec, f: Field, values: dict[str, Any] | None = None, lang: str = "zh-CN"
) -> list[tuple[int, str]]:
    """(id, label) of the records the picker offers: the target's live records in the
    actor's scope, narrowed by the owner spec's ``ref_query`` hook, by label. A staff
    member may pick a colleague as an owner without the right to open the users page."""
    spec = target(f)  # the actor's scope limits what is offered, not the target's view right:
    stmt = owner.ref_query(f.key, _scoped(session, actor, spec), values or {}, actor)
    order = [getattr(spec.model, k) for k in label_fields(spec) if hasattr(spec.model, k)]
    rows = session.scalars(stmt.order_by(*order, spec.model.id).limit(CHOICES_LIMIT))
    return [(row.id, label_of(spec, row, lang)) for row in rows]


def resolve(
    session: Session, actor: Actor, owner: Spec, f: Field, value: int | str, values: dict[str, Any] | None = None
) -> tuple[int | None, FieldError | None]:
    """The id raw input names, among the records the actor may see and the owner allows
    (``ref_query``), or a FieldError naming the field. An id, the target's natural key, or
    its label (exact, as shown on screen); two records with that label is an error
    listing them."""
    spec = target(f)
    memo = session.info.setdefault(_MEMO, {})
    key = (owner.slug, f.key, spec.slug, value, actor.id, actor.role)
    if key in memo and not values:
        return memo[key], None
    base = owner.ref_query(f.key, _scoped(session, actor, spec), values or {}, actor)
    model = spec.model
    if isinstance(value, int):
        found = session.scalar(base.where(model.id == value).with_only_columns(model.id))
        if found is None:
            return None, FieldError(
                f.key, "validation.ref_missing", {"value": value, "type": spec.title_zh, "type_en": spec.title_en}
            )
        return found, None
    text = value.strip()
    matches: list[tuple[int, str]] = []
    if len(spec.natural_key) == 1 and _is_field(spec, spec.natural_key[0]):
        column = getattr(model, spec.natural_key[0])
        matches = [(r.id, label_of(spec, r, "zh-CN")) for r in session.scalars(base.where(column == text).limit(2))]
    if not matches:
        matches = _by_label(session, spec, base, text)
    if not matches:
        # "not there" and "not yours" are different mistakes to fix: say which
        everywhere = select(model)
        if hasattr(model, "deleted_at"):
            everywhere = everywhere.where(model.deleted_at.is_(None))
        exists = False
        if len(spec.natural_key) == 1 and _is_field(spec, spec.natural_key[0]):
            column = getattr(model, spec.natural_key[0])
            exists = session.scalar(everywhere.where(column == text).limit(1)) is not None
        exists = exists or bool(_by_label(session, spec, everywhere, text))
        return None, FieldError(
            f.key,
            "validation.ref_outside" if exists else "validation.ref_unknown",
            {"value": text, "type": spec.title_zh, "type_en": spec.title_en},
        )
    if len(matches) > 1:
        both = "、".join(f"{label}（#{rid}）" for rid, label in matches[:2])
        return None, FieldError(f.key, "validation.ref_ambiguous", {"value": text, "matches": both})
    memo[key] = matches[0][0]
    return matches[0][0], None


def _by_label(session: Session, spec: Spec, base: Select[Any], text: str) -> list[tuple[int, str]]:
    fields = [k for k in label_fields(spec) if hasattr(spec.model, k)]
    if len(fields) == 1:
        column = getattr(spec.model, fields[0])
        clauses: list[ColumnElement[bool]] = [column == text]
        rows = session.scalars(base.where(*clauses).limit(3))
        return [(r.id, label_of(spec, r, "zh-CN")) for r in rows]
    found = []
    for row in session.scalars(base.limit(LABEL_SCAN_LIMIT)):
        if text in (label_of(spec, row, "zh-CN"), label_of(spec, row, "en")):
            found.append((row.id, label_of(spec, row, "zh-CN")))
            if len(found) > 2:
                break
    return found


def referrers(session: Session, spec: Spec, record_id: int) -> list[tuple[Spec, Field, int]]:
    """(record type, field, live rows) of every protected reference to this record."""
    from portal.records import registry

    found = []
    for other in registry.specs().values():
        for f in other.fields:
            if f.type != "ref" or f.ref != spec.slug or f.on_delete != "protect":
                continue
            column = getattr(other.model, f.key)
            count = session.scalar(
                select(func.count())
                .select_from(other.model)
                .where(column == record_id, other.model.deleted_at.is_(None))
            )
            if count:
                found.append((other, f, int(count)))
    return found
