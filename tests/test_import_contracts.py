"""The layers as contracts over the import graph, so the picture in the README stays true
without anyone policing it:

1. pages -> portal.ui -> portal -> db: nothing imports upwards (db knows no portal,
   portal knows no portal.ui, a page script imports only portal.ui);
2. Streamlit is imported only under portal/ui (plus app.py, the page scripts and the two
   measuring tool, portal.bench, which drives a real Streamlit; the load test is portal.ui.load);
3. Altair only in the chart modules (portal.charts.* and each area's ``charts`` module);
4. one programme area never imports another; a shared module (anything that is not an
   area's package or its portal.ui module) imports no area at all: it finds them through
   the manifests and the spec registry.

Every import counts, including ones inside functions. A last test imports every module
outside portal.ui with Streamlit made unimportable.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from portal import apps

ROOT = Path(__file__).resolve().parents[1]
TOOLS = {"portal.bench"}  # a measuring tool that starts Streamlit (the load test lives in portal.ui)
AREAS = {m.code for m in apps.programmes()}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@cache
def graph() -> dict[str, set[str]]:
    """Module -> every module name it imports (absolute, with the imported names too)."""
    files = [*(ROOT / "portal").rglob("*.py"), *(ROOT / "db").rglob("*.py"), *(ROOT / "pages").glob("*.py")]
    found: dict[str, set[str]] = {"app": _imports(ROOT / "app.py")}
    for path in files:
        found[module_name(path)] = _imports(path)
    return found


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def area_of(module: str) -> str | None:
    """The programme area a module belongs to: its package, its portal.ui module, its page."""
    parts = module.split(".")
    if parts[:2] == ["portal", "programmes"] and len(parts) > 2:
        return parts[2]
    if parts[:2] == ["portal", "ui"] and len(parts) > 2:
        return _area_named(parts[2])
    if parts[0] == "pages" and len(parts) == 2:
        return _area_named(parts[1])
    return None


def _area_named(name: str) -> str | None:
    """An area's own module or page: its code, or its code and a suffix (sanitation_public)."""
    if name in AREAS:
        return name
    return next((area for area in AREAS if name.startswith(area + "_")), None)


def violations(rule: Callable[[str, str], bool]) -> list[str]:
    return sorted(f"{m} -> {i}" for m, imported in graph().items() for i in imported if rule(m, i))


def test_the_graph_is_read() -> None:
    assert "portal.records.service" in graph() and "pages.plans" in graph()
    assert "sqlalchemy" in graph()["portal.records.service"]
    assert {"education", "plans"} <= AREAS


def test_layers_point_downwards() -> None:
    def wrong(module: str, imported: str) -> bool:
        if under(module, "db"):
            return under(imported, "portal")
        if under(module, "portal") and not under(module, "portal.ui"):
            return under(imported, "portal.ui")
        if under(module, "pages"):
            return (under(imported, "portal") or under(imported, "db")) and not under(imported, "portal.ui")
        return False

    assert violations(wrong) == []


def test_streamlit_only_in_the_ui() -> None:
    def wrong(module: str, imported: str) -> bool:
        allowed = under(module, "portal.ui") or under(module, "pages") or module in ("app", *TOOLS)
        return under(imported, "streamlit") and not allowed

    assert violations(wrong) == []


def test_altair_only_in_chart_modules() -> None:
    def wrong(module: str, imported: str) -> bool:
        chart_module = under(module, "portal.charts") or (area_of(module) is not None and module.endswith(".charts"))
        return under(imported, "altair") and not chart_module

    assert violations(wrong) == []


def test_areas_stay_apart() -> None:
    def wrong(module: str, imported: str) -> bool:
        target = area_of(imported)
        if target is None:
            return False
        mine = area_of(module)
        if mine is None:  # a shared module: areas come through the manifests and the registry
            return module not in TOOLS and not under(module, "portal.programmes")
        return mine != target

    assert violations(wrong) == []


@pytest.mark.parametrize("rule", ["layers", "streamlit"])
def test_a_contract_can_fail(rule: str) -> None:
    """The checks see a violation when there is one (a synthetic graph)."""
    graph()["db.fake"] = {"portal.clock"}
    graph()["portal.fake"] = {"streamlit"}
    try:
        if rule == "layers":
            with pytest.raises(AssertionError):
                test_layers_point_downwards()
        else:
            with pytest.raises(AssertionError):
                test_streamlit_only_in_the_ui()
    finally:
        graph().pop("db.fake")
        graph().pop("portal.fake")


def test_the_domain_imports_without_streamlit() -> None:
    """Every module outside portal.ui (and the tools) imports with Streamlit unavailable."""
    modules = sorted(
        m for m in graph() if (under(m, "portal") or under(m, "db")) and not under(m, "portal.ui") and m not in TOOLS
    )
    modules = [m for m in modules if m != "portal.__main__" and not under(m, "db.migrations")]
    code = (
        "import sys, importlib\n"
        "sys.modules['streamlit'] = None\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print('ok', len(sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("ok")
