"""Which record types exist. Built-in types register the same way an extension would:
by being listed in BUILTIN_MODULES (each module defines RecordSpec subclasses)."""

from __future__ import annotations

import importlib
from functools import cache

from portal.records.spec import RecordSpec

BUILTIN_MODULES = (
    "portal.org.units",
    "portal.org.users",
    "portal.programmes.education.specs",
    "portal.org.themedays",
    "portal.org.calendars",
    "portal.metrics.indicators",
    "portal.metrics.targets",
    "portal.programmes.plans.specs",
)


@cache
def specs() -> dict[str, type[RecordSpec]]:
    found: dict[str, type[RecordSpec]] = {}
    for name in BUILTIN_MODULES:
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
    return found


def get(slug: str) -> type[RecordSpec]:
    try:
        return specs()[slug]
    except KeyError:
        raise KeyError(f"unknown record type {slug!r}; known: {', '.join(sorted(specs()))}") from None
