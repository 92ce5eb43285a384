"""Run-time settings read from the environment and .streamlit/secrets.toml."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any

from db.engine import read_secrets

# The value shipped in .streamlit/secrets.toml.example; refused outside demo mode.
SAMPLE_COOKIE_KEY = "change-me-to-a-long-random-string"
# Used only in demo mode when no key is configured, so demo logins survive restarts.
DEMO_COOKIE_KEY = "demo-mode-cookie-key-not-for-production"
COOKIE_NAME = "health_portal_auth"
COOKIE_EXPIRY_DAYS = 7.0
MIN_COOKIE_KEY_LENGTH = 16


def demo_mode() -> bool:
    return os.environ.get("PORTAL_DEMO", "").lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class CookieSettings:
    name: str
    key: str
    expiry_days: float


class ConfigError(Exception):
    """A setting is missing or unsafe; carries the catalogue key of the startup message
    and its parameters."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(key)


def cookie_settings() -> CookieSettings:
    """The login-cookie signing key, from PORTAL_COOKIE_KEY or [auth] cookie_key.

    Outside demo mode a missing, short or sample key is refused: a guessable key would let
    anyone forge a login cookie.
    """
    key = os.environ.get("PORTAL_COOKIE_KEY") or read_secrets().get("auth", {}).get("cookie_key")
    if demo_mode():
        key = key or DEMO_COOKIE_KEY
    elif not key:
        raise ConfigError("startup.cookie_key_missing")
    elif key in (SAMPLE_COOKIE_KEY, DEMO_COOKIE_KEY) or len(key) < MIN_COOKIE_KEY_LENGTH:
        raise ConfigError("startup.cookie_key_sample")
    return CookieSettings(COOKIE_NAME, key, COOKIE_EXPIRY_DAYS)


# --------------------------------------------------------------------------- resource limits


@dataclass(frozen=True)
class Limits:
    """Every bound on what one request may cost, in one place (README, "Limits" under
    "Sign-in and security"). Each is overridable by the environment variable in its comment;
    imports from the pages and from the CLI go through the same checks."""

    upload_mb: float = 20.0  # PORTAL_MAX_UPLOAD_MB: a file to import (also .streamlit/config.toml maxUploadSize)
    xlsx_unpacked_mb: float = 256.0  # PORTAL_MAX_XLSX_UNPACKED_MB: a workbook's parts, uncompressed, together
    xlsx_ratio: int = 100  # PORTAL_MAX_XLSX_RATIO: uncompressed ÷ compressed size of any part over 1 MB
    import_rows: int = 200_000  # PORTAL_MAX_IMPORT_ROWS: data rows in one file
    import_columns: int = 100  # PORTAL_MAX_IMPORT_COLUMNS: cells read per row
    import_cells: int = 4_000_000  # PORTAL_MAX_IMPORT_CELLS: rows read × columns read, blank rows included
    text_chars: int = 10_000  # PORTAL_MAX_TEXT_CHARS: a text field that declares no max_length of its own
    import_seconds: float = 300.0  # PORTAL_MAX_IMPORT_SECONDS: one import, reading, checking and saving

    @property
    def upload_bytes(self) -> int:
        return int(self.upload_mb * 1024 * 1024)

    @property
    def xlsx_unpacked_bytes(self) -> int:
        return int(self.xlsx_unpacked_mb * 1024 * 1024)


LIMIT_VARIABLES = {
    "upload_mb": "PORTAL_MAX_UPLOAD_MB",
    "xlsx_unpacked_mb": "PORTAL_MAX_XLSX_UNPACKED_MB",
    "xlsx_ratio": "PORTAL_MAX_XLSX_RATIO",
    "import_rows": "PORTAL_MAX_IMPORT_ROWS",
    "import_columns": "PORTAL_MAX_IMPORT_COLUMNS",
    "import_cells": "PORTAL_MAX_IMPORT_CELLS",
    "text_chars": "PORTAL_MAX_TEXT_CHARS",
    "import_seconds": "PORTAL_MAX_IMPORT_SECONDS",
}


def limits() -> Limits:
    """The limits in force: the defaults above, each replaced by its environment variable
    when set. Read on every call (a few dictionary look-ups), so a test or an operator's
    change applies without a restart. A value that is not a positive number is refused."""
    values: dict[str, Any] = {}
    for f in fields(Limits):
        name = LIMIT_VARIABLES[f.name]
        raw = os.environ.get(name, "").strip()
        if not raw:
            continue
        try:
            value = float(raw) if f.type in ("float", float) else int(raw)
        except ValueError:
            raise ConfigError("startup.bad_limit", name=name, value=raw[:40]) from None
        if not value > 0:
            raise ConfigError("startup.bad_limit", name=name, value=raw[:40])
        values[f.name] = value
    return Limits(**values)
