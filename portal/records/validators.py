"""Small field checks shared by the services; each returns a FieldError or None."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from portal.errors import FieldError, ValidationError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further than 72 bytes
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


def choice(name: str, value: Any, choices: Iterable[str]) -> FieldError | None:
    if value not in tuple(choices):
        return FieldError(name, "validation.choice", {"value": value})
    return None


def password(name: str, value: str | None) -> FieldError | None:
    if not value or len(value) < MIN_PASSWORD_LENGTH:
        return FieldError(name, "validation.password_short", {"min": MIN_PASSWORD_LENGTH})
    if len(value.encode("utf-8")) > MAX_PASSWORD_BYTES:
        return FieldError(name, "validation.password_long", {"max": MAX_PASSWORD_BYTES})
    if value != value.strip():
        return FieldError(name, "validation.password_spaces")
    return None


def pattern(name: str, value: str | None, regex: re.Pattern[str], key: str) -> FieldError | None:
    # fullmatch: "$" alone would let a trailing newline through
    if not isinstance(value, str) or not regex.fullmatch(value):
        return FieldError(name, key)
    return None


def raise_if_any(errors: Iterable[FieldError | None]) -> None:
    found = [e for e in errors if e is not None]
    if found:
        raise ValidationError(found)
