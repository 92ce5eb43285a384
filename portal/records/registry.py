"""Which record types exist: every RecordSpec subclass defined in a module that a manifest
(portal.apps) lists under ``specs``. The shared types and each programme area's register
the same way, so adding an area touches no list here."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from portal import apps
from portal.records.spec import RecordSpec, SpecError


def spec_modules() -> tuple[str, ...]:
    return tuple(module for m in apps.manifests() for module in m.specs)


@cache
def specs() -> dict[str, type[RecordSpec]]:
    found: dict[str, type[RecordSpec]] = {}
    for name in spec_modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, RecordSpec)
                and value is not RecordSpec
                and value.__module__ == name
            ):
                if value.slug in found:
                    raise ValueError(f"record type {value.slug!r} is declared twice")
                found[value.slug] = value
    check_references(found)
    return found


def get(slug: str) -> type[RecordSpec]:
    try:
        return specs()[slug]
    except KeyError:
        raise KeyError(f"unknown record type {slug!r}; known: {', '.join(sorted(specs()))}") from None


@cache
def locks_on(slug: str) -> tuple[tuple[type[RecordSpec], Any], ...]:
    """(holder spec, lock) of every workflow lock that freezes records of this type."""
    found: list[tuple[type[RecordSpec], Any]] = []
    for holder in specs().values():
        if holder.workflow is not None:
            found.extend((holder, lock) for lock in holder.workflow.locks if lock.target == slug)
    return tuple(found)


def check_references(found: dict[str, type[RecordSpec]] | None = None) -> None:
    """Checks that need every spec: a ref field's record type, a child record type and
    its link fields, a workflow lock's record type and fields exist."""
    found = found if found is not None else specs()
    for spec in found.values():
        for f in spec.fields:
            if f.type == "ref" and f.ref not in found:
                raise SpecError(f"{spec.__name__}.fields[{f.key!r}]: ref {f.ref!r} is not a record type")
        for inline in spec.inlines:
            child = found.get(inline.spec)
            if child is None:
                raise SpecError(f"{spec.__name__}.inlines: {inline.spec!r} is not a record type")
            for child_field, _ in inline.link:
                if not hasattr(child.model, child_field):
                    raise SpecError(f"{spec.__name__}.inlines: {inline.spec} has no column {child_field!r}")
        for lock in spec.workflow.locks if spec.workflow else ():
            target = found.get(lock.target)
            if target is None:
                raise SpecError(f"{spec.__name__}.workflow: lock target {lock.target!r} is not a record type")
            for target_field, own_field in lock.match:
                if not hasattr(target.model, target_field) or not hasattr(spec.model, own_field):
                    raise SpecError(f"{spec.__name__}.workflow: lock field {target_field!r}/{own_field!r} is missing")
