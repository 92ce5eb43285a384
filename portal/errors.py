"""Errors the services raise. Each carries a catalogue key, so the UI and the CLI can say
what went wrong in the user's language and name the field."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from portal.i18n import t


@dataclass
class FieldError:
    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)  # `field` is taken by the attribute

    def message(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


class PortalError(Exception):
    key = "error.generic"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or self.key
        self.params = params
        super().__init__(f"{self.key} {params}" if params else self.key)

    def message(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


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
