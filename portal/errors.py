"""Errors the services raise. Each carries a catalogue key, so the UI and the CLI can say
what went wrong in the user's language and name the field."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from portal.i18n import t


@dataclass
class FieldError:
    """One bad field. ``row`` and ``record`` say where it is when a save covers several
    records at once (a grid's rows, a parent's child rows): the row's position (1-based, as
    the user counts) and the record type it belongs to."""

    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)  # `field` is taken by the attribute
    row: int | None = None
    record: str | None = None

    def message(self, lang: str) -> str:
        return t(self.key, lang, **localised(self.params, lang))


def localised(params: dict[str, Any], lang: str) -> dict[str, Any]:
    """A parameter given in both languages (``type`` and ``type_en``) in the one asked for,
    so a message has the same placeholders in every catalogue."""
    out = {k: v for k, v in params.items() if not k.endswith("_en")}
    if lang == "en":
        out.update({k[:-3]: v for k, v in params.items() if k.endswith("_en")})
    return out


class PortalError(Exception):
    key = "error.generic"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or self.key
        self.params = params
        super().__init__(f"{self.key} {params}" if params else self.key)

    def message(self, lang: str) -> str:
        return t(self.key, lang, **localised(self.params, lang))


class ValidationError(PortalError):
    """One or more fields are wrong; nothing was saved."""

    key = "error.validation"

    def __init__(self, errors: list[FieldError], labels: dict[str, Any] | None = None) -> None:
        self.errors = errors
        self.labels = labels or {}  # field key -> a record Field, whose label() names it
        super().__init__(self.key, count=len(errors))

    def label(self, field: str, lang: str) -> str:
        if field in self.labels:
            return self.labels[field].label(lang)
        return t("field." + field, lang)

    def message(self, lang: str) -> str:
        return "; ".join(f"{self.label(e.field, lang)}: {e.message(lang)}" for e in self.errors)

    def for_field(self, name: str) -> list[FieldError]:
        return [e for e in self.errors if e.field == name]


class PermissionDenied(PortalError):
    key = "error.permission"


class NotFound(PortalError):
    key = "error.not_found"


class StaleEdit(PortalError):
    """Someone else saved the record after it was read; nothing was overwritten."""

    key = "error.stale"
