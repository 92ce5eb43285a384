"""Run-time settings read from the environment and .streamlit/secrets.toml."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from db.engine import DEFAULT_SQLITE_PATH, database_url, read_secrets, sqlite_path
from portal import cache

# The value shipped in .streamlit/secrets.toml.example; refused outside demo mode.
SAMPLE_COOKIE_KEY = "change-me-to-a-long-random-string"
# The SHA-256 of the demo key an earlier version shipped in the repository: anyone could
# read it, so it is refused wherever it is configured (kept as a hash, never as the key).
_PUBLISHED_KEY_SHA256 = "8f61f42c738e783335f07641d09b5404efca2a0f4eb08be3e9f560002886e653"
# Demo mode without a configured key: a random one, made on first start and kept beside
# the demo database (git-ignored, owner-only), so demo logins survive restarts.
DEMO_KEY_FILE = ".demo-cookie-key"
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
    anyone forge a login cookie. Read once per rerun (the shell and sign-in both ask).
    """
    return cache.memo("config.cookie_settings", _cookie_settings)


def _cookie_settings() -> CookieSettings:
    key = os.environ.get("PORTAL_COOKIE_KEY") or read_secrets().get("auth", {}).get("cookie_key")
    if key and _published(key):
        raise ConfigError("startup.cookie_key_sample")
    if demo_mode():
        key = key or demo_cookie_key()
    elif not key:
        raise ConfigError("startup.cookie_key_missing")
    elif key == SAMPLE_COOKIE_KEY or len(key) < MIN_COOKIE_KEY_LENGTH:
        raise ConfigError("startup.cookie_key_sample")
    return CookieSettings(COOKIE_NAME, key, COOKIE_EXPIRY_DAYS)


def _published(key: str) -> bool:
    return hashlib.sha256(key.encode("utf-8")).hexdigest() == _PUBLISHED_KEY_SHA256


def demo_key_path() -> Path:
    """Where demo mode keeps its key: beside the SQLite database, or in db/ for another
    database (several demo databases side by side each get their own)."""
    path = sqlite_path(make_url(database_url()))
    return (path.parent if path is not None else DEFAULT_SQLITE_PATH.parent) / DEMO_KEY_FILE


def demo_cookie_key() -> str:
    """The demo key, made on first use: random, written owner-only and linked into place
    in one step, so processes starting together agree on one key."""
    path = demo_key_path()
    for _ in range(3):
        try:
            key = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            key = ""
        if len(key) >= MIN_COOKIE_KEY_LENGTH:
            return key
        fresh = path.with_name(f"{DEMO_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(fresh, path)  # fails if another process got there first: use theirs
        except FileExistsError:
            pass
        finally:
            fresh.unlink()
    raise ConfigError("startup.cookie_key_missing")


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
    photo_mb: float = 10.0  # PORTAL_MAX_PHOTO_MB: one photo or scan as uploaded
    photo_megapixels: float = 40.0  # PORTAL_MAX_PHOTO_MEGAPIXELS: its width × height

    @property
    def upload_bytes(self) -> int:
        return int(self.upload_mb * 1024 * 1024)

    @property
    def xlsx_unpacked_bytes(self) -> int:
        return int(self.xlsx_unpacked_mb * 1024 * 1024)

    @property
    def photo_bytes(self) -> int:
        return int(self.photo_mb * 1_000_000)

    @property
    def photo_pixels(self) -> int:
        return int(self.photo_megapixels * 1_000_000)


LIMIT_VARIABLES = {
    "upload_mb": "PORTAL_MAX_UPLOAD_MB",
    "xlsx_unpacked_mb": "PORTAL_MAX_XLSX_UNPACKED_MB",
    "xlsx_ratio": "PORTAL_MAX_XLSX_RATIO",
    "import_rows": "PORTAL_MAX_IMPORT_ROWS",
    "import_columns": "PORTAL_MAX_IMPORT_COLUMNS",
    "import_cells": "PORTAL_MAX_IMPORT_CELLS",
    "text_chars": "PORTAL_MAX_TEXT_CHARS",
    "import_seconds": "PORTAL_MAX_IMPORT_SECONDS",
    "photo_mb": "PORTAL_MAX_PHOTO_MB",
    "photo_megapixels": "PORTAL_MAX_PHOTO_MEGAPIXELS",
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


# Streamlit settings a real network needs, and the message naming each when it is off.
# (Streamlit's enableCORS=true is the setting that refuses cross-origin requests.)
SAFE_SERVER_OPTIONS = (
    ("server.enableXsrfProtection", True, "startup.unsafe_xsrf"),
    ("server.enableCORS", True, "startup.unsafe_cors"),
)


def unsafe_setting(get_option: Callable[[str], Any]) -> ConfigError | None:
    """Outside demo mode, the first server setting that would expose the portal on a
    network (cross-site request forgery or cross-origin calls allowed), named."""
    if demo_mode():
        return None
    for option, wanted, key in SAFE_SERVER_OPTIONS:
        if get_option(option) != wanted:
            return ConfigError(key, option=option)
    return None
