"""The static checks `make lint` runs before the suite: they really fail on a finding,
and every suppression in the code names its rule and says why."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"
BIN = Path(sys.executable).parent
CHECKED = [
    ROOT / "app.py",
    ROOT / "serve.py",
    *(p for d in ("portal", "db", "pages", "tests") for p in (ROOT / d).rglob("*.py")),
]

NOQA = re.compile(r"#\s*noqa\b(?P<rest>.*)", re.IGNORECASE)
NOQA_OK = re.compile(r"^: [A-Z]+[0-9]+(?:, [A-Z]+[0-9]+)* - \S")  # ": BLE001 - the reason" follows
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<rest>.*)")
IGNORE_OK = re.compile(r"^\[[a-z-]+(?:, ?[a-z-]+)*\]\s+#\s*\S")  # "[code]  # the reason" follows


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_ruff_fails_on_an_unused_import(tmp_path: Path) -> None:
    bad = tmp_path / "unused.py"
    bad.write_text('import os\n\nprint("hello")\n', encoding="utf-8")
    result = run(BIN / "ruff", "check", "--config", CONFIG, "--no-cache", bad)
    assert result.returncode == 1 and "F401" in result.stdout, result.stdout + result.stderr


def test_ruff_format_check_fails_on_unformatted_code(tmp_path: Path) -> None:
    bad = tmp_path / "crooked.py"
    bad.write_text("x = {  'a':1 }\n", encoding="utf-8")
    result = run(BIN / "ruff", "format", "--check", "--config", CONFIG, "--no-cache", bad)
    assert result.returncode == 1, result.stdout + result.stderr


def test_mypy_fails_on_a_wrong_type(tmp_path: Path) -> None:
    bad = tmp_path / "wrong.py"
    bad.write_text('def half(n: int) -> int:\n    return n // 2\n\n\nhalf("four")\n', encoding="utf-8")
    result = run(BIN / "mypy", "--config-file", CONFIG, "--cache-dir", tmp_path / "cache", bad, cwd=tmp_path)
    assert result.returncode == 1 and "[arg-type]" in result.stdout, result.stdout + result.stderr


def _comments(path: Path) -> list[tuple[int, str]]:
    source = path.read_text(encoding="utf-8")
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [(tok.start[0], tok.string) for tok in tokens if tok.type == tokenize.COMMENT]


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_suppression_names_its_rule_and_a_reason(path: Path) -> None:
    bad = []
    for line, comment in _comments(path):
        noqa, ignore = NOQA.search(comment), IGNORE.search(comment)
        if noqa and not NOQA_OK.match(noqa.group("rest")):
            bad.append(f"{line}: {comment}  (write `# noqa: CODE - reason`)")
        if ignore and not IGNORE_OK.match(ignore.group("rest")):
            bad.append(f"{line}: {comment}  (write `# type: ignore[code]  # reason`)")
    assert not bad, "\n".join(bad)
