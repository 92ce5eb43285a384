"""Caches (stub)."""


def clear() -> None:
    return None
