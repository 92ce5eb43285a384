"""Which record types exist: every RecordSpec subclass defined in a module that a manifest
(portal.apps) lists under ``specs``. The shared types and each programme area's register
the same way, so adding an area touches no list here."""

from __future__ import annotations

import importlib
from functools import cache

from portal import apps
from portal.records.spec import RecordSpec


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
    return found


def get(slug: str) -> type[RecordSpec]:
    try:
        return specs()[slug]
    except KeyError:
        raise KeyError(f"unknown record type {slug!r}; known: {', '.join(sorted(specs()))}") from None
