"""`python -m portal`: each command run through main() against the test database."""

from __future__ import annotations

import io
import re
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db import migrate
from db.base import Base, utcnow
from db.engine import make_engine, transaction
from db.models import AuditEntry, HeActivity, OrgUnit, User
from portal import demo
from portal.cli import main
from portal.demo import DEMO_PASSWORD, USERS
from portal.org import auth, users
from portal.org import units as orgunits
from portal.org.scope import SYSTEM
from tests.conftest import fill_demo, tamper


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture
def cli(engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """main() pointed at the test database, in the default language (Chinese)."""
    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("PORTAL_LANG", raising=False)
    # `demo` from the CLI hashes at the product cost; nine accounts at cost 12 would
    # dominate the run, so the tests lower it (test_demo checks the real cost is used).
    monkeypatch.setattr(demo, "PRODUCT_ROUNDS", 4)
    return lambda *argv: _run(capsys, list(argv))


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> Result:
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return Result(code, captured.out, captured.err)


def make_user(engine: Engine, username: str, role: str, unit_id: int, password: str = "secret123") -> None:
    with transaction(engine) as s:
        users.create(
            s,
            SYSTEM,
            {
                "username": username,
                "display_name": username,
                "role": role,
                "org_unit_id": unit_id,
                "password": password,
                "bcrypt_rounds": 4,
            },
        )


def _user(engine: Engine, username: str) -> User | None:
    with Session(engine) as s:
        return s.scalar(select(User).where(User.username == username))


def _count(engine: Engine, model: type[Base]) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _signs_in(engine: Engine, username: str, password: str) -> str:
    with Session(engine) as s:
        return auth.authenticate(s, username, password).reason


# --------------------------------------------------------------------------- init, demo


def test_init_reports_the_revision(cli: Run) -> None:
    result = cli("init")
    assert result.code == 0
    assert migrate.head_revision() in result.out


def test_fresh_database_needs_init_before_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite3'}")
    monkeypatch.setattr(demo, "PRODUCT_ROUNDS", 4)
    refused = _run(capsys, ["--lang", "en", "demo"])
    assert refused.code == 1
    assert "python -m portal init" in refused.err
    initialised = _run(capsys, ["init"])
    assert initialised.code == 0 and migrate.head_revision() in initialised.out
    assert _run(capsys, ["demo", "--if-empty"]).code == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert not demo.is_empty(engine)
    engine.dispose()


def test_demo_if_empty_is_idempotent(cli: Run, engine: Engine) -> None:
    first = cli("demo", "--if-empty")
    assert first.code == 0
    assert "demo12345" in first.out and "admin" in first.out and "王建国" in first.out
    counts = (_count(engine, OrgUnit), _count(engine, User), _count(engine, AuditEntry))
    assert counts[0] >= 6 * 4 + 3
    again = cli("demo", "--if-empty")
    assert again.code == 0
    assert "未导入" in again.out
    assert (_count(engine, OrgUnit), _count(engine, User), _count(engine, AuditEntry)) == counts
    assert _signs_in(engine, "head", DEMO_PASSWORD) == "ok"


def test_demo_refuses_a_database_with_data(cli: Run, engine: Engine, tree: dict[str, int]) -> None:
    result = cli("demo")
    assert result.code == 1
    assert "已有数据" in result.err
    assert _count(engine, OrgUnit) == len(tree) and _count(engine, User) == 0
    english = cli("--lang", "en", "demo")
    assert english.code == 1 and "already has data" in english.err


# --------------------------------------------------------------------------- user add


def test_user_add(cli: Run, engine: Engine, tree: dict[str, int]) -> None:
    result = cli(
        "user", "add", "Zhang.San", "--name", "张三", "--role", "staff", "--unit", "t1", "--password", "secret999"
    )
    assert result.code == 0, result.err
    assert "zhang.san" in result.out
    user = _user(engine, "zhang.san")
    assert user is not None
    assert (user.display_name, user.role, user.org_unit_id) == ("张三", "staff", tree["t1"])
    assert _signs_in(engine, "zhang.san", "secret999") == "ok"
    with Session(engine) as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.record_type == "users", AuditEntry.record_id == user.id))
        assert entry is not None and (entry.action, entry.actor_name) == ("create", "system")


def test_user_add_reads_the_password_from_stdin(
    cli: Run, engine: Engine, tree: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("piped-secret1\n"))
    result = cli("user", "add", "lisi", "--name", "李四", "--role", "viewer", "--unit", "county")
    assert result.code == 0, result.err
    assert _signs_in(engine, "lisi", "piped-secret1") == "ok"


def test_user_add_bad_role_names_the_field(cli: Run, engine: Engine, tree: dict[str, int]) -> None:
    result = cli("user", "add", "lisi", "--name", "李四", "--role", "boss", "--unit", "t1", "--password", "secret999")
    assert result.code == 2
    assert "角色（--role）" in result.err and "boss" in result.err
    assert "inspector" in result.err  # the choices are listed
    assert _user(engine, "lisi") is None


def test_user_add_unknown_unit_names_the_field(cli: Run, engine: Engine, tree: dict[str, int]) -> None:
    result = cli(
        "--lang",
        "en",
        "user",
        "add",
        "lisi",
        "--name",
        "Li Si",
        "--role",
        "staff",
        "--unit",
        "nowhere",
        "--password",
        "secret999",
    )
    assert result.code == 2
    assert "Org unit (--unit)" in result.err and "nowhere" in result.err
    assert _user(engine, "lisi") is None


def test_user_add_reports_every_bad_field(cli: Run, engine: Engine, tree: dict[str, int]) -> None:
    result = cli(
        "user", "add", "lisi", "--name", " ", "--role", "staff", "--unit", "t1", "--password", "short", "--lang", "en"
    )
    assert result.code == 2
    assert "Name (--name)" in result.err and "Password (--password)" in result.err
    duplicate = cli(
        "user", "add", "lisi", "--name", "李四", "--role", "staff", "--unit", "t1", "--password", "secret999"
    )
    assert duplicate.code == 0
    again = cli("user", "add", "LISI", "--name", "李四", "--role", "staff", "--unit", "t1", "--password", "secret999")
    assert again.code == 2 and "用户名（USERNAME）" in again.err
    assert _count(engine, User) == 1


def test_missing_required_option_is_a_usage_error(cli: Run, tree: dict[str, int]) -> None:
    result = cli("user", "add", "lisi", "--name", "李四", "--unit", "t1")
    assert result.code == 2 and "--role" in result.err


# --------------------------------------------------------------------------- passwd, disable


def test_user_passwd_resets_and_unlocks(cli: Run, engine: Engine, tree: dict[str, int]) -> None:
    make_user(engine, "wangwu", "staff", tree["t1"], password="old-secret1")
    with tamper(engine) as s:
        user = s.scalar(select(User).where(User.username == "wangwu"))
        assert user is not None
        user.locked_until = utcnow().replace(year=utcnow().year + 1)
    result = cli("user", "passwd", "wangwu", "--password", "new-secret1")
    assert result.code == 0, result.err
    assert "wangwu" in result.out
    assert _signs_in(engine, "wangwu", "new-secret1") == "ok"
    assert _signs_in(engine, "wangwu", "old-secret1") == "bad_credentials"


def test_user_passwd_unknown_user_and_short_password(cli: Run, engine: Engine, tree: dict[str, int]) -> None:
    unknown = cli("user", "passwd", "nobody", "--password", "new-secret1")
    assert unknown.code == 2 and "nobody" in unknown.err and "USERNAME" in unknown.err
    make_user(engine, "wangwu", "staff", tree["t1"])
    short = cli("user", "passwd", "wangwu", "--password", "123")
    assert short.code == 2 and "密码（--password）" in short.err


def test_user_disable_and_enable(cli: Run, engine: Engine, tree: dict[str, int]) -> None:
    make_user(engine, "wangwu", "staff", tree["t1"], password="secret123")
    assert cli("user", "disable", "wangwu").code == 0
    user = _user(engine, "wangwu")
    assert user is not None and user.active is False
    assert _signs_in(engine, "wangwu", "secret123") == "disabled"
    again = cli("user", "disable", "wangwu")
    assert again.code == 0 and "已是停用" in again.out
    assert cli("user", "enable", "wangwu").code == 0
    user = _user(engine, "wangwu")
    assert user is not None and user.active is True
    with Session(engine) as s:
        actions = list(
            s.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.record_type == "users", AuditEntry.action.in_(("disable", "enable"))
                )
            )
        )
    assert sorted(actions) == ["disable", "enable"]  # the no-op disable wrote nothing
    assert cli("user", "enable", "ghost").code == 2


# --------------------------------------------------------------------------- listings


def _table_rows(output: str) -> dict[str, list[str]]:
    """First column -> the row's cells (cells are separated by two or more spaces)."""
    rows = {}
    for line in output.splitlines()[2:]:
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = cells
    return rows


def test_user_list(cli: Run, engine: Engine) -> None:
    fill_demo(engine)
    cli("user", "disable", "viewer")
    result = cli("user", "list")
    assert result.code == 0
    rows = _table_rows(result.out)
    assert rows["staff"][1:4] == ["陈静", "staff", "cg"]
    assert rows["head"][2:4] == ["head", "county"]
    assert rows["viewer"][4] == "已停用" and rows["admin"][4] == "正常"
    assert f"共 {len(USERS)} 个用户" in result.out and len(USERS) == 10
    scoped = cli("--lang", "en", "user", "list", "--unit", "dg")
    assert scoped.code == 0
    assert "dg_head" in scoped.out and "admin" not in scoped.out and "Active" in scoped.out
    assert cli("user", "list", "--unit", "nowhere").code == 2


def test_orgunit_list(cli: Run, engine: Engine) -> None:
    fill_demo(engine)
    result = cli("orgunit", "list")
    assert result.code == 0
    lines = result.out.splitlines()
    with Session(engine) as s:
        tree = orgunits.tree(s, SYSTEM)
    assert len(lines) == len(tree) + 2  # header, rule, one line per unit
    for row, line in zip(tree, lines[2:]):
        assert line.startswith("  " * row.depth + row.code + " ")
        assert row.name_zh in line
        if row.population is not None:
            assert f"{row.population:,} ({row.population_year})" in line
    assert any(line.startswith("    cg01") and "村卫生室" in line for line in lines)
    english = cli("orgunit", "list", "--lang", "en")
    assert "Chengguan Town Health Centre" in english.out and "Township health centre" in english.out


def test_orgunit_list_of_an_empty_database(cli: Run) -> None:
    result = cli("orgunit", "list")
    assert result.code == 0 and "python -m portal demo" in result.out


# --------------------------------------------------------------------------- backup


def test_backup(cli: Run, engine: Engine, tmp_path: Path) -> None:
    if engine.dialect.name == "postgresql":
        result = cli("backup", str(tmp_path / "portal.dump"), "--print")
        assert result.code == 0
        assert result.out.startswith("pg_dump ")
        assert f"--dbname={engine.url.database}" in result.out
        assert f"--host={engine.url.host}" in result.out
        assert not (tmp_path / "portal.dump").exists()
        return  # running pg_dump: tests/test_backup_restore.py
    fill_demo(engine)
    target = tmp_path / "copy.sqlite3"
    result = cli("backup", str(target))
    assert result.code == 0, result.err
    with sqlite3.connect(target) as copy, Session(engine) as s:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        for table in Base.metadata.sorted_tables:
            if table.name == "ops_events":
                continue  # the backup's own note is written after the copy is made
            source = s.scalar(select(func.count()).select_from(table))
            sql = f"SELECT count(*) FROM {table.name}"  # noqa: S608 - a name from our own metadata
            assert copy.execute(sql).fetchone()[0] == source
        assert source is not None
    copy.close()


def test_backup_will_not_overwrite_without_force(cli: Run, engine: Engine, tmp_path: Path) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite file backup")
    target = tmp_path / "copy.sqlite3"
    target.write_text("keep me")
    refused = cli("backup", str(target))
    assert refused.code == 1 and "--force" in refused.err
    assert target.read_text() == "keep me"
    assert cli("backup", str(target), "--force").code == 0
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM org_units").fetchone()[0] == 0
    copy.close()
    assert not Path(str(target) + ".part").exists()
    engine_file = engine.url.database
    assert cli("backup", str(engine_file), "--force").code == 1  # never onto itself


def test_backup_postgresql_prints_pg_dump_without_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Needs no server: the command line is built from the URL alone.
    monkeypatch.setenv("PORTAL_DATABASE_URL", "postgresql://portal:s3cret@db.example:6543/health")
    result = _run(capsys, ["--lang", "en", "backup", str(tmp_path / "health.dump"), "--print"])
    assert result.code == 0
    command = result.out.strip()
    assert command.startswith("pg_dump ")
    for part in (
        "--host=db.example",
        "--port=6543",
        "--username=portal",
        "--dbname=health",
        f"--file={tmp_path / 'health.dump'}",
    ):
        assert part in command
    assert "s3cret" not in result.out + result.err
    assert "PGPASSWORD" in result.err


# --------------------------------------------------------------------------- plumbing


def test_no_command_prints_usage(cli: Run) -> None:
    result = cli()
    assert result.code == 2 and "usage" in result.err


def test_help_exits_zero(cli: Run) -> None:
    result = cli("--lang", "en", "user", "add", "--help")
    assert result.code == 0 and "--unit" in result.out


def test_unreachable_database_is_a_message_not_a_trace(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2")
    result = _run(capsys, ["--lang", "en", "user", "list"])
    assert result.code == 1
    assert "Cannot reach the database" in result.err


def test_language_comes_from_portal_lang(cli: Run, monkeypatch: pytest.MonkeyPatch, tree: dict[str, int]) -> None:
    monkeypatch.setenv("PORTAL_LANG", "en")
    result = cli("user", "add", "lisi", "--name", "Li Si", "--role", "boss", "--unit", "t1", "--password", "secret999")
    assert result.code == 2 and "Role (--role)" in result.err


# --------------------------------------------------------------------------- import, export, schema

HE_HEADER = "开展单位,活动日期,活动形式,活动主题,受教育人数\n"


def _activities(engine: Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as s:
        return sorted(
            tuple(r)
            for r in s.execute(
                select(OrgUnit.code, HeActivity.title, HeActivity.activity_type).join(
                    OrgUnit, OrgUnit.id == HeActivity.org_unit_id
                )
            )
        )


def test_import_writes_every_row_and_reports_counts(
    cli: Run, engine: Engine, tree: dict[str, int], tmp_path: Path
) -> None:
    source = tmp_path / "活动.csv"
    source.write_bytes((HE_HEADER + "t1,2026-03-24,健康讲座,讲座,30\nt2v1,2026-03-25,资料发放,资料,\n").encode("gbk"))
    checked = cli("import", "he_activities", str(source), "--dry-run")
    assert checked.code == 0 and "2" in checked.out and _activities(engine) == []
    result = cli("import", "he_activities", str(source))
    assert result.code == 0, result.err
    assert "新增 2 条" in result.out
    assert _activities(engine) == [("t1", "讲座", "lecture"), ("t2v1", "资料", "materials")]
    with Session(engine) as s:
        actors = set(s.scalars(select(AuditEntry.actor_name).where(AuditEntry.record_type == "he_activities")))
    assert actors == {"system"}


def test_import_with_a_bad_row_writes_nothing(cli: Run, engine: Engine, tree: dict[str, int], tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(
        HE_HEADER + "t1,2026-03-24,健康讲座,好,30\nt1,2026-13-01,健康讲座,坏,30\nt1,2026-03-24,跳舞,坏,30\n",
        encoding="utf-8",
    )
    audit_before = _count(engine, AuditEntry)
    result = cli("import", "he_activities", str(source))
    assert result.code == 2
    assert "第 3 行，活动日期" in result.err and "第 4 行，活动形式" in result.err and "跳舞" in result.err
    assert _count(engine, HeActivity) == 0 and _count(engine, AuditEntry) == audit_before
    english = cli("--lang", "en", "import", "he_activities", str(source))
    assert english.code == 2 and "Row 3, 活动日期" in english.err


def test_import_as_a_user_applies_their_scope(cli: Run, engine: Engine, tree: dict[str, int], tmp_path: Path) -> None:
    make_user(engine, "t1staff", "staff", tree["t1"])
    make_user(engine, "t1viewer", "viewer", tree["t1"])
    source = tmp_path / "a.csv"
    source.write_text(HE_HEADER + "t1v1,2026-03-24,其他,本镇,\nt2,2026-03-24,其他,别的镇,\n", encoding="utf-8")
    refused = cli("import", "he_activities", str(source), "--as", "t1staff")
    assert refused.code == 2 and "第 3 行，开展单位" in refused.err and _count(engine, HeActivity) == 0
    assert cli("import", "he_activities", str(source), "--as", "t1viewer").code == 1  # no permission
    assert cli("import", "he_activities", str(source), "--as", "ghost").code == 2
    source.write_text(HE_HEADER + "t1v1,2026-03-24,其他,本镇,\n", encoding="utf-8")
    assert cli("import", "he_activities", str(source), "--as", "t1staff").code == 0
    with Session(engine) as s:
        assert s.scalar(select(AuditEntry.actor_name).where(AuditEntry.record_type == "he_activities")) == "t1staff"


def test_import_upsert_of_org_units(cli: Run, engine: Engine, tree: dict[str, int], tmp_path: Path) -> None:
    source = tmp_path / "units.csv"
    source.write_text(
        "编码,中文名称,类型,上级机构\nt1,东关镇中心卫生院,乡镇卫生院,county\nt3,南山镇卫生院,乡镇卫生院,county\n",
        encoding="utf-8-sig",
    )
    plain = cli("import", "org_units", str(source))
    assert plain.code == 2 and "第 2 行，编码" in plain.err
    result = cli("import", "org_units", str(source), "--upsert")
    assert result.code == 0, result.err
    assert "新增 1 条" in result.out and "更新 1 条" in result.out
    with Session(engine) as s:
        assert s.scalar(select(OrgUnit.name_zh).where(OrgUnit.code == "t1")) == "东关镇中心卫生院"
        assert s.scalar(select(OrgUnit.parent_id).where(OrgUnit.code == "t3")) == tree["county"]


def test_import_refuses_unknown_types_and_unreadable_files(
    cli: Run, engine: Engine, tree: dict[str, int], tmp_path: Path
) -> None:
    unknown = cli("import", "parties", str(tmp_path / "x.csv"))
    assert unknown.code == 2 and "parties" in unknown.err and "he_activities" in unknown.err
    missing = cli("import", "he_activities", str(tmp_path / "nothing.csv"))
    assert missing.code == 2 and "nothing.csv" in missing.err
    legacy = tmp_path / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 64)
    old = cli("import", "he_activities", str(legacy))
    assert old.code == 2 and ".xls" in old.err
    assert cli("export", "parties", "-o", str(tmp_path / "x.csv")).code == 2
    assert cli("schema", "parties").code == 2


def test_export_to_csv_and_xlsx_with_an_org_filter(
    cli: Run, engine: Engine, tree: dict[str, int], tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        HE_HEADER + "t1,2026-03-24,健康讲座,=1+1,30\nt1v1,2026-03-25,其他,村里,\nt2,2026-03-26,其他,西河,\n",
        encoding="utf-8",
    )
    assert cli("import", "he_activities", str(source)).code == 0
    target = tmp_path / "out.csv"
    result = cli("export", "he_activities", "--org", "t1", "-o", str(target))
    assert result.code == 0, result.err
    assert "2" in result.out
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "'=1+1" in text and "村里" in text and "西河" not in text
    book = tmp_path / "all.xlsx"
    assert cli("--lang", "en", "export", "he_activities", "-o", str(book)).code == 0
    assert book.read_bytes().startswith(b"PK")
    again = cli("import", "he_activities", str(book))  # the export imports back
    assert again.code == 0 and _count(engine, HeActivity) == 6
    assert cli("export", "he_activities", "-o", str(tmp_path / "out.txt")).code == 2  # format?
    assert cli("export", "he_activities", "--format", "csv", "-o", str(tmp_path / "out.txt")).code == 0
    assert cli("export", "he_activities", "--org", "nowhere", "-o", str(target)).code == 2
    units = tmp_path / "units.csv"
    assert cli("export", "org_units", "--org", "t2", "-o", str(units)).code == 0
    assert [line.split(",")[0] for line in units.read_text(encoding="utf-8-sig").splitlines()] == ["编码", "t2", "t2v1"]


def test_export_as_a_user_is_scoped(cli: Run, engine: Engine, tree: dict[str, int], tmp_path: Path) -> None:
    make_user(engine, "t2head", "head", tree["t2"])
    target = tmp_path / "users.csv"
    assert cli("export", "users", "-o", str(target), "--as", "t2head").code == 0
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith("t2head,")
    assert "password" not in target.read_text(encoding="utf-8-sig").lower()


def test_schema_lists_the_fields(cli: Run) -> None:
    result = cli("schema", "he_activities")
    assert result.code == 0
    rows = _table_rows("\n".join(result.out.splitlines()[1:]))
    assert rows["activity_date"][1:4] == ["活动日期", "Date", "date"]
    assert rows["title"][4] == "是"
    assert "lecture=健康讲座" in rows["activity_type"][-1]
    users = cli("--lang", "en", "schema", "users")
    assert "Initial password" in users.out and "write-only" in users.out and "username" in users.out


def test_init_loads_reference_data_once(engine, monkeypatch, capsys):
    from db.models import Indicator, ThemeDay
    from portal.cli import main

    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["--lang", "en", "init"]) == 0
    assert "built-in reference rows" in capsys.readouterr().out
    assert main(["--lang", "en", "init"]) == 0
    assert "built-in reference rows" not in capsys.readouterr().out
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(ThemeDay)) > 40
        assert s.scalar(select(func.count()).select_from(Indicator)) >= 15
