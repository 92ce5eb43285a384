"""Run-time settings read from the environment and .streamlit/secrets.toml."""

from __future__ import annotations

import os
from dataclasses import dataclass

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
    """A setting is missing or unsafe; carries the catalogue key of the startup message."""

    def __init__(self, key: str) -> None:
        self.key = key
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


@dataclass(frozen=True)
class Limits:
    """Bounds on what one request may cost, each overridable by the environment variable
    in its comment (README, "Limits")."""

    photo_mb: float = 10.0  # PORTAL_MAX_PHOTO_MB: one photo or scan as uploaded
    photo_megapixels: float = 40.0  # PORTAL_MAX_PHOTO_MEGAPIXELS: its width × height

    @property
    def photo_bytes(self) -> int:
        return int(self.photo_mb * 1_000_000)

    @property
    def photo_pixels(self) -> int:
        return int(self.photo_megapixels * 1_000_000)


LIMIT_VARIABLES = {"photo_mb": "PORTAL_MAX_PHOTO_MB", "photo_megapixels": "PORTAL_MAX_PHOTO_MEGAPIXELS"}


def limits() -> Limits:
    """The limits in force: the defaults, each replaced by its environment variable when
    set to a positive number."""
    values: dict[str, float] = {}
    for name, variable in LIMIT_VARIABLES.items():
        text = os.environ.get(variable)
        if text:
            try:
                number = float(text)
            except ValueError:
                continue
            if number > 0:
                values[name] = number
    return Limits(**values)
