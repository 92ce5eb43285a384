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
