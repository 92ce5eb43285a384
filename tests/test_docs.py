"""The README is the reference: it must cover every spec option, hook, record type,
page and CLI command (Datasette's habit of testing the docs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal import navigation
from portal.records import registry
from portal.records.spec import RecordSpec

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
# every annotated option, including `model`, which has no default to find in vars()
OPTIONS = [name for name in RecordSpec.__annotations__ if not name.startswith("_")]
HOOKS = ["prepare", "clean", "clean_db", "before_save", "after_save", "on_change", "before_delete"]


@pytest.mark.parametrize("option", OPTIONS)
def test_every_spec_option_is_documented(option):
    assert f"| `{option}` |" in README


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook):
    assert f"`{hook}(" in README


@pytest.mark.parametrize("slug", sorted(registry.specs()))
def test_every_record_type_is_listed(slug):
    assert f"`{slug}`" in README


@pytest.mark.parametrize("page", navigation.PAGES, ids=lambda p: p.slug)
def test_every_page_is_described(page):
    assert f"| `/{page.url_path}`" in README


@pytest.mark.parametrize(
    "command",
    [
        "init",
        "demo",
        "user add",
        "user passwd",
        "user disable|enable",
        "user list",
        "orgunit list",
        "schema",
        "import",
        "export",
        "report month",
        "report year",
        "backup",
    ],
)
def test_every_cli_command_is_documented(command):
    assert f"  {command} " in README


def test_two_commands_and_demo_password():
    assert "make run" in README and "make test" in README and "demo12345" in README
