"""`python -m portal`: the operator's commands (schema, demo data, accounts, org tree,
backup, import / export / field list of any record type, and monthly / year-end reports).

The CLI acts as portal.org.scope.SYSTEM and goes through the same services as the web pages,
so its changes are validated and audited the same way. Messages come from the catalogues
(--lang, else PORTAL_LANG, else Chinese). Exit codes: 0 done, 1 refused or failed,
2 bad input (usage or a field that fails validation, named in the message).
"""

from __future__ import annotations

import argparse
import getpass
import os
import shlex
import sqlite3
import sys
import unicodedata
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session

from db import migrate
from db.engine import DatabaseFileError, make_engine, transaction
from db.models import ROLES, OrgUnit, ReminderChannel, User
from portal import apps, clock, demo, ops, periods
from portal import backup as backups
from portal.apps import ReportDef, ReportRequest
from portal.config import ConfigError
from portal.errors import FieldError, NotFound, PortalError, ValidationError
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES, label, t
from portal.metrics import library as indicator_library
from portal.org import themedays, users
from portal.org import units as orgunits
from portal.org.scope import SYSTEM, Actor, actor_for
from portal.records import io as records_io
from portal.records import registry
from portal.records.service import Filters
from portal.records.spec import RecordSpec
from portal.records.validators import choice, raise_if_any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130
PAGE_SIZE = 500

Handler = Callable[[argparse.Namespace, Engine], int]


class UsageError(PortalError):
    """Bad input that is not a field of a record (an unknown record type, a missing
    file): the message says what to type instead; exit code 2."""


# --------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_language_in(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has already printed the usage or the help
        return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_USAGE)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:  # `python -m portal` or `python -m portal user` alone
        (getattr(args, "subparser", None) or parser).print_help(sys.stderr)
        return EXIT_USAGE
    return _run(handler, args)


def _run(handler: Handler, args: argparse.Namespace) -> int:
    """Run one command, turning expected failures into a message and an exit code."""
    lang: str = args.lang
    try:
        # Only `init` may create the embedded database file; any other command on a
        # missing file says so instead of leaving an empty database behind.
        engine = make_engine(create=getattr(args, "creates_database", False))
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        _err(t("cli.bad_database_url", lang, error=_first_line(exc)))
        return EXIT_FAILED
    try:
        return handler(args, engine)
    except ValidationError as exc:
        _print_field_errors(exc, lang, getattr(args, "options", {}))
        return EXIT_USAGE
    except (UsageError, records_io.ImportFileError) as exc:
        _err(exc.message(lang))
        return EXIT_USAGE
    except ConfigError as exc:
        _err(t(exc.key, lang, **exc.params))
        return EXIT_FAILED
    except PortalError as exc:
        _err(exc.message(lang))
        return EXIT_FAILED
    except DatabaseFileError as exc:
        _err(t("startup.db_missing" if exc.reason == "missing" else "error.db_file_gone", lang, file=str(exc.path)))
        return EXIT_FAILED
    except (OperationalError, InterfaceError) as exc:
        # Unreachable server, read-only file, wrong password: the driver's first line says which.
        _err(t("startup.db_unreachable", lang))
        _err(_first_line(exc.orig or exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        _err(t("cli.interrupted", lang))
        return EXIT_INTERRUPTED
    finally:
        # Pooled connections would otherwise outlive main() (tests call it many times).
        engine.dispose()


def _language_in(argv: list[str]) -> str:
    """--lang before argparse runs, so the help texts come out in that language too."""
    chosen = os.environ.get("PORTAL_LANG")
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            chosen = argv[i + 1]
        elif arg.startswith("--lang="):
            chosen = arg.split("=", 1)[1]
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


# --------------------------------------------------------------------------- the parser


def build_parser(lang: str) -> argparse.ArgumentParser:
    # --lang is accepted before or after the subcommand. The subcommands' copy defaults
    # to SUPPRESS so it cannot reset a value given before them; it must be a separate
    # action from the top-level one, because argparse shares parent actions by reference.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=LANGUAGES, default=argparse.SUPPRESS, help=t("cli.help.lang", lang))
    parser = argparse.ArgumentParser(prog="python -m portal", description=t("cli.help.description", lang))
    parser.add_argument("--lang", choices=LANGUAGES, default=_language_in([]), help=t("cli.help.lang", lang))
    commands = parser.add_subparsers(metavar="COMMAND")

    def command(
        group: Any, name: str, help_key: str, handler: Handler | None = None, options: dict[str, str] | None = None
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = group.add_parser(
            name, parents=[common], help=t(help_key, lang), description=t(help_key, lang)
        )
        sub.set_defaults(handler=handler, subparser=sub, options=options or {})
        return sub

    command(commands, "init", "cli.help.init", cmd_init).set_defaults(creates_database=True)
    demo_cmd = command(commands, "demo", "cli.help.demo", cmd_demo)
    demo_cmd.add_argument("--if-empty", action="store_true", help=t("cli.help.if_empty", lang))
    _add_user_commands(command(commands, "user", "cli.help.user"), command, lang)
    orgunit = command(commands, "orgunit", "cli.help.orgunit")
    command(orgunit.add_subparsers(metavar="ACTION"), "list", "cli.help.orgunit_list", cmd_orgunit_list)
    backup = command(commands, "backup", "cli.help.backup", cmd_backup)
    backup.add_argument("file", metavar="FILE", help=t("cli.help.backup_file", lang))
    backup.add_argument("--force", action="store_true", help=t("cli.help.force", lang))
    remind = command(commands, "remind", "cli.help.remind", cmd_remind)
    remind.add_argument("--dry-run", action="store_true", help=t("cli.help.remind_dry_run", lang))
    backup.add_argument("--print", action="store_true", help=t("cli.help.backup_print", lang))
    restore = command(commands, "restore", "cli.help.restore", cmd_restore)
    restore.add_argument("file", metavar="FILE", help=t("cli.help.restore_file", lang))
    restore.add_argument("--force", action="store_true", help=t("cli.help.restore_force", lang))
    restore.set_defaults(creates_database=True)  # into a new SQLite file, as `init` would
    _add_record_commands(commands, command, lang)
    _add_report_commands(command(commands, "report", "cli.help.report"), command, lang)
    return parser


def _add_record_commands(commands: Any, command: Any, lang: str) -> None:
    options = {"username": "--as", "org_unit_id": "--org"}
    types = ", ".join(sorted(registry.specs()))

    def record_type(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("record_type", metavar="RECORD_TYPE", help=t("cli.help.record_type", lang, types=types))

    def acting_as(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--as", dest="as_user", metavar="USERNAME", help=t("cli.help.as_user", lang))

    importing = command(commands, "import", "cli.help.import", cmd_import, options)
    record_type(importing)
    importing.add_argument("file", metavar="FILE", help=t("cli.help.import_file", lang))
    importing.add_argument("--upsert", action="store_true", help=t("cli.help.upsert", lang))
    importing.add_argument("--dry-run", action="store_true", help=t("cli.help.dry_run", lang))
    importing.add_argument("--skip-duplicates", action="store_true", help=t("cli.help.skip_duplicates", lang))
    acting_as(importing)
    exporting = command(commands, "export", "cli.help.export", cmd_export, options)
    record_type(exporting)
    exporting.add_argument("--org", metavar="UNIT_CODE", help=t("cli.help.org", lang))
    exporting.add_argument("--format", choices=records_io.FORMATS, help=t("cli.help.format", lang))
    exporting.add_argument("-o", "--output", required=True, metavar="FILE", help=t("cli.help.output", lang))
    acting_as(exporting)
    schema = command(commands, "schema", "cli.help.schema", cmd_schema)
    record_type(schema)


def _add_report_commands(report: argparse.ArgumentParser, command: Any, lang: str) -> None:
    """One sub-command per document a manifest offers (month, year, training-summary...)."""
    kinds = report.add_subparsers(metavar="KIND")
    for definition in report_defs():
        options = {"org_unit_id": "--unit", "username": "--as", "id": definition.id_option}
        sub = command(kinds, definition.name, definition.help_key, cmd_report, options)
        sub.set_defaults(kind=definition.name)
        if definition.subject == "unit_period":
            sub.add_argument("--unit", required=True, metavar="UNIT_CODE", help=t("cli.help.report_unit", lang))
            sub.add_argument(
                "--period",
                required=True,
                metavar="PERIOD",
                help=t(definition.period_help_key or "cli.help.report_period", lang),
            )
        else:
            sub.add_argument(
                definition.id_option, dest="record_id", required=True, metavar="ID", help=t("cli.help.report_id", lang)
            )
        for name, help_key in definition.switches:
            sub.add_argument(f"--{name}", dest=f"switch_{name}", action="store_true", help=t(help_key, lang))
        sub.add_argument("--format", choices=definition.formats, help=t("cli.help.report_format", lang))
        sub.add_argument("-o", "--output", required=True, metavar="FILE", help=t("cli.help.report_output", lang))
        sub.add_argument("--as", dest="as_user", metavar="USERNAME", help=t("cli.help.as_user", lang))


def report_defs() -> list[ReportDef]:
    return [r for m in apps.manifests() for r in m.reports]


def _add_user_commands(user: argparse.ArgumentParser, command: Any, lang: str) -> None:
    # How each service field is spelt on the command line, for the error messages.
    options = {
        "username": "USERNAME",
        "display_name": "--name",
        "role": "--role",
        "org_unit_id": "--unit",
        "password": "--password",
    }
    actions = user.add_subparsers(metavar="ACTION")
    add = command(actions, "add", "cli.help.user_add", cmd_user_add, options)
    add.add_argument("username", metavar="USERNAME", help=t("cli.help.username", lang))
    add.add_argument("--name", required=True, help=t("cli.help.name", lang))
    add.add_argument("--role", required=True, metavar="ROLE", help=t("cli.help.role", lang, roles="|".join(ROLES)))
    add.add_argument("--unit", required=True, metavar="UNIT_CODE", help=t("cli.help.unit", lang))
    add.add_argument("--password", help=t("cli.help.password", lang))
    passwd = command(actions, "passwd", "cli.help.user_passwd", cmd_user_passwd, options)
    passwd.add_argument("username", metavar="USERNAME", help=t("cli.help.username", lang))
    passwd.add_argument("--password", help=t("cli.help.password", lang))
    for name, key, handler in (
        ("disable", "cli.help.user_disable", cmd_user_disable),
        ("enable", "cli.help.user_enable", cmd_user_enable),
    ):
        sub = command(actions, name, key, handler, options)
        sub.add_argument("username", metavar="USERNAME", help=t("cli.help.username", lang))
    listing = command(actions, "list", "cli.help.user_list", cmd_user_list, options)
    listing.add_argument("--unit", metavar="UNIT_CODE", help=t("cli.help.unit_filter", lang))


# --------------------------------------------------------------------------- commands


def cmd_init(args: argparse.Namespace, engine: Engine) -> int:
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    after = migrate.current_revision(engine)
    key = "cli.init_current" if before == after else "cli.init_done"
    print(t(key, args.lang, revision=after or "-"))
    # Built-in reference data every office starts with; rows already there (possibly
    # edited by the office) are left alone.
    with transaction(engine) as session:
        added = themedays.ensure_builtin(session) + indicator_library.ensure_builtin(session)
    if added:
        print(t("cli.init_reference", args.lang, count=added))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, engine: Engine) -> int:
    _require_current_schema(engine)
    if not demo.is_empty(engine):
        if args.if_empty:
            print(t("cli.demo_skipped", args.lang))
            return EXIT_OK
        raise demo.DatabaseNotEmpty()
    counts = demo.load_demo(engine)
    print(t("cli.demo_loaded", args.lang, **counts))
    print(t("cli.demo_accounts", args.lang, password=demo.DEMO_PASSWORD))
    with transaction(engine) as session:
        rows = _all_users(session, SYSTEM)
    print(
        _table(
            [
                t("col.username", args.lang),
                t("col.display_name", args.lang),
                t("col.role", args.lang),
                t("col.unit", args.lang),
            ],
            [
                [
                    r.username,
                    r.display_name,
                    t("role." + r.role, args.lang),
                    label(args.lang, r.unit_name_zh, r.unit_name_en),
                ]
                for r in rows
            ],
        )
    )
    return EXIT_OK


def cmd_user_add(args: argparse.Namespace, engine: Engine) -> int:
    _require_current_schema(engine)
    # Role and unit are checked before asking for a password, so a typo there does not
    # cost the operator a password prompt first.
    with transaction(engine) as session:
        raise_if_any([choice("role", args.role, ROLES), _unit_error(session, args.unit)])
    password = _password(args)
    with transaction(engine) as session:
        unit = _unit_by_code(session, args.unit)
        users.create(
            session,
            SYSTEM,
            {
                "username": args.username,
                "display_name": args.name,
                "role": args.role,
                "org_unit_id": unit.id,
                "password": password,
            },
        )
    print(t("cli.user_added", args.lang, username=args.username.strip().lower()))
    return EXIT_OK


def cmd_user_passwd(args: argparse.Namespace, engine: Engine) -> int:
    _require_current_schema(engine)
    with transaction(engine) as session:
        _user_by_name(session, args.username)  # an unknown name fails before the prompt
    password = _password(args)
    with transaction(engine) as session:
        user = _user_by_name(session, args.username)
        users.reset_password(session, SYSTEM, user.id, password)
    print(t("cli.password_reset", args.lang, username=user.username))
    return EXIT_OK


def cmd_user_disable(args: argparse.Namespace, engine: Engine) -> int:
    return _set_active(args, engine, False)


def cmd_user_enable(args: argparse.Namespace, engine: Engine) -> int:
    return _set_active(args, engine, True)


def _set_active(args: argparse.Namespace, engine: Engine, active: bool) -> int:
    _require_current_schema(engine)
    with transaction(engine) as session:
        user = _user_by_name(session, args.username)
        if user.active == active:  # nothing to do, and nothing to put in the audit trail
            key = "cli.user_already_enabled" if active else "cli.user_already_disabled"
        else:
            users.set_active(session, SYSTEM, user.id, active)
            key = "cli.user_enabled" if active else "cli.user_disabled"
    print(t(key, args.lang, username=user.username))
    return EXIT_OK


def cmd_user_list(args: argparse.Namespace, engine: Engine) -> int:
    _require_current_schema(engine)
    lang = args.lang
    with transaction(engine) as session:
        actor = SYSTEM
        if args.unit:
            unit = _unit_by_code(session, args.unit)
            # Seen through the eyes of someone at that unit: the unit and everything below.
            actor = Actor(None, SYSTEM.username, SYSTEM.display_name, "viewer", unit.id, unit.path)
        rows = _all_users(session, actor)
    print(
        _table(
            [
                t("col.username", lang),
                t("col.display_name", lang),
                t("col.role", lang),
                t("cli.col.unit_code", lang),
                t("col.status", lang),
            ],
            [[r.username, r.display_name, r.role, r.unit_code, _status(r, lang)] for r in rows],
        )
    )
    print(t("cli.user_count", lang, count=len(rows)))
    return EXIT_OK


def cmd_orgunit_list(args: argparse.Namespace, engine: Engine) -> int:
    _require_current_schema(engine)
    lang = args.lang
    with transaction(engine) as session:
        rows = orgunits.tree(session, SYSTEM)
    if not rows:
        print(t("cli.no_units", lang))
        return EXIT_OK
    body = []
    for r in rows:
        name = label(lang, r.name_zh, r.name_en)
        if not r.active:
            name += f" [{t('status.disabled', lang)}]"
        population = f"{r.population:,} ({r.population_year})" if r.population is not None else ""
        students = f"{r.students:,}" if r.students is not None else ""
        body.append(["  " * r.depth + r.code, name, t("orgtype." + r.type, lang), population, students])
    print(
        _table(
            [
                t("col.code", lang),
                t("col.name", lang),
                t("col.type", lang),
                t("col.population", lang),
                t("col.students", lang),
            ],
            body,
        )
    )
    return EXIT_OK


def cmd_backup(args: argparse.Namespace, engine: Engine) -> int:
    dialect = engine.dialect.name
    if dialect == "postgresql" and args.print:
        return _print_pg_dump(args, engine)
    if dialect == "postgresql":
        target = Path(args.file)
        if target.exists() and not args.force:
            raise PortalError("cli.backup_exists", file=str(target))
        size = backups.pg_backup(engine, target)
        ops.note_backup(engine, str(target.resolve()), size)
        print(t("cli.backup_done", args.lang, file=str(target), size=size))
        return EXIT_OK
    if dialect != "sqlite":
        raise PortalError("cli.backup_unsupported", dialect=dialect)
    source = engine.url.database
    if not source or source == ":memory:" or not Path(source).is_file():
        # Checked first: connecting would create an empty database and back that up.
        raise PortalError("cli.backup_no_database", file=source or ":memory:")
    target = Path(args.file)
    if target.resolve() == Path(source).resolve():
        raise PortalError("cli.backup_same_file", file=str(target))
    if target.exists() and not args.force:
        raise PortalError("cli.backup_exists", file=str(target))
    _sqlite_backup(engine, target)
    ops.note_backup(engine, str(target.resolve()), target.stat().st_size)  # for the operations view
    print(t("cli.backup_done", args.lang, file=str(target), size=target.stat().st_size))
    return EXIT_OK


def cmd_remind(args: argparse.Namespace, engine: Engine) -> int:
    """Today's digests to the units' group robots (``--dry-run``: print them, send nothing)."""
    from portal import reminders

    _require_current_schema(engine)
    with transaction(engine) as session:
        if args.dry_run:
            for channel in session.scalars(select(ReminderChannel).where(ReminderChannel.deleted_at.is_(None))):
                unit = session.get(OrgUnit, channel.org_unit_id)
                if unit is not None:
                    print(reminders.digest(session, unit, clock.today(), args.lang) or f"({unit.code}: -)")
            return EXIT_OK
        outcomes = reminders.run(session, lang=args.lang)
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("sent", "failed", "skipped")}
    print(t("cli.remind.done", args.lang, **counts))
    return EXIT_OK if not counts["failed"] else 1


def cmd_restore(args: argparse.Namespace, engine: Engine) -> int:
    """The database becomes the backup's copy: refused over data unless --force."""
    source = Path(args.file)
    if not source.is_file():
        raise UsageError("cli.file_not_found", file=args.file)
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise PortalError("cli.backup_unsupported", dialect=dialect)
    if not args.force and not backups.is_empty(engine):
        raise PortalError("cli.restore_not_empty")
    if dialect == "postgresql":
        backups.pg_restore(engine, source)
    else:
        backups.sqlite_restore(engine, source)
    print(t("cli.restore_done", args.lang, file=str(source), revision=migrate.current_revision(engine) or "-"))
    if not migrate.is_current(engine):
        _err(t("cli.restore_outdated", args.lang))
    return EXIT_OK


def cmd_import(args: argparse.Namespace, engine: Engine) -> int:
    """Check the whole file first; write only when every row is good (all or nothing)."""
    lang = args.lang
    spec = _record_spec(args.record_type)
    data = _read_file(args.file)
    _require_current_schema(engine)
    with transaction(engine) as session:
        actor = _acting_as(session, args.as_user)
        preview = records_io.check_import(
            session, actor, spec, data, Path(args.file).name, upsert=args.upsert, lang=lang
        )
        if not preview.ok:
            _err(t("cli.import_errors", lang, count=len(preview.errors)))
            for error in preview.errors:
                _err(t("cli.row_error", lang, row=error.row, column=error.column, message=error.message))
            return EXIT_USAGE
        counts = {"created": preview.to_create, "updated": preview.to_update, "unchanged": preview.unchanged}
        if preview.duplicates:
            rows = ", ".join(str(n) for n in list(preview.duplicates)[:20])
            key = "cli.import_duplicates_skipped" if args.skip_duplicates else "cli.import_duplicates"
            _err(t(key, lang, count=len(preview.duplicates), rows=rows))
        if args.dry_run:
            print(t("cli.import_checked", lang, **counts))
            return EXIT_OK
        counts["created"], counts["updated"] = records_io.apply_import(
            session, actor, spec, preview, skip_duplicates=args.skip_duplicates
        )
    print(t("cli.import_done", lang, **counts))
    return EXIT_OK


def cmd_export(args: argparse.Namespace, engine: Engine) -> int:
    lang = args.lang
    spec = _record_spec(args.record_type)
    fmt = args.format or Path(args.output).suffix.lower().lstrip(".")
    if fmt not in records_io.FORMATS:
        raise UsageError("cli.export_format", file=args.output)
    _require_current_schema(engine)
    with transaction(engine) as session:
        actor = _acting_as(session, args.as_user)
        filters = None
        if args.org:
            if spec.org_field is None:
                raise UsageError("cli.export_no_org", type=spec.slug)
            unit = _unit_by_code(session, args.org, actor)
            filters = Filters(values={spec.org_field: unit.id})
        data, count = records_io.export_with_count(session, actor, spec, filters, fmt, lang)
    try:
        Path(args.output).write_bytes(data)
    except OSError as exc:
        raise PortalError("cli.cannot_write", file=args.output, error=_first_line(exc)) from None
    print(t("cli.export_done", lang, count=count, file=args.output))
    return EXIT_OK


def cmd_report(args: argparse.Namespace, engine: Engine) -> int:
    """A document a programme offers (a unit's monthly report, a year-end summary, a
    training summary...) as a Word or Excel file, seen through the eyes of --as (default:
    the operator), so a township user gets only their own."""
    lang = args.lang
    definition = next(r for r in report_defs() if r.name == args.kind)
    fmt = args.format or Path(args.output).suffix.lower().lstrip(".")
    if fmt not in definition.formats:
        raise UsageError("cli.report_format", file=args.output, formats=", ".join(definition.formats))
    period = None
    if definition.subject == "unit_period":
        period = args.period.strip()
        kind = definition.period_kind
        if kind and not periods.is_key(period, kind):
            if periods.shape(period) == kind:  # written right, but 9999-12 or 0001-01
                low, high = (
                    (f"{periods.FIRST_YEAR}-01", f"{periods.LAST_YEAR}-12")
                    if kind == "month"
                    else (periods.FIRST_YEAR, periods.LAST_YEAR)
                )
                raise UsageError("report.error.window", value=period, min=low, max=high)
            raise UsageError(f"report.error.{kind}", value=period)
    _require_current_schema(engine)
    with transaction(engine) as session:
        actor = _acting_as(session, args.as_user)
        unit_id, subject = None, f"#{getattr(args, 'record_id', '')}"
        if definition.subject == "unit_period":
            unit = _unit_by_code(session, args.unit, actor)
            unit_id, subject = unit.id, label(lang, unit.name_zh, unit.name_en)
        switches = frozenset(name for name, _ in definition.switches if getattr(args, f"switch_{name}", False))
        request = ReportRequest(
            fmt, lang, unit_id=unit_id, period=period, record_id=getattr(args, "record_id", None), switches=switches
        )
        data = apps.loader(definition.build)(session, actor, request)
    try:
        Path(args.output).write_bytes(data)
    except OSError as exc:
        raise PortalError("cli.cannot_write", file=args.output, error=_first_line(exc)) from None
    shown = periods.label(period, lang) if period else ""
    print(t("cli.report_done", lang, unit=subject, period=shown, file=args.output))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace, engine: Engine) -> int:
    lang = args.lang
    spec = _record_spec(args.record_type)
    print(t("cli.schema_title", lang, title=spec.title(lang), type=spec.slug))
    rows = []
    for f in spec.fields:
        notes = [
            t(f"cli.schema_{flag}", lang) for flag in ("readonly", "write_only", "create_only") if getattr(f, flag)
        ]
        choices = ", ".join(f"{c.value}={c.label(lang)}" for c in f.choices)
        # Choices last: the longest cell, so the other columns stay readable.
        rows.append([f.key, f.zh, f.en, f.type, t("io.true", lang) if f.required else "", " ".join(notes), choices])
    print(
        _table(
            [
                t("cli.col.key", lang),
                t("cli.col.label_zh", lang),
                t("cli.col.label_en", lang),
                t("cli.col.field_type", lang),
                t("cli.col.required", lang),
                t("cli.col.notes", lang),
                t("cli.col.choices", lang),
            ],
            rows,
        )
    )
    if spec.natural_key:
        print(t("cli.schema_natural_key", lang, fields=", ".join(spec.natural_key)))
    if spec.identity:
        print(t("cli.schema_identity", lang, fields=", ".join(spec.identity)))
    return EXIT_OK


# --------------------------------------------------------------------------- helpers


def _record_spec(name: str) -> type[RecordSpec]:
    try:
        return registry.get(name)
    except KeyError:
        raise UsageError("cli.unknown_record_type", name=name, known=", ".join(sorted(registry.specs()))) from None


def _read_file(name: str) -> bytes:
    """The file's bytes, refused unread when it is over the upload limit."""
    try:
        records_io.check_size(Path(name).stat().st_size)
        return Path(name).read_bytes()
    except FileNotFoundError:
        raise UsageError("cli.file_not_found", file=name) from None
    except OSError as exc:
        raise UsageError("cli.cannot_read", file=name, error=_first_line(exc)) from None


def _acting_as(session: Session, username: str | None) -> Actor:
    """The operator by default; with --as, that user, so their role and scope apply."""
    if not username:
        return SYSTEM
    user = _user_by_name(session, username)
    if not user.active:
        raise PortalError("cli.as_disabled", username=user.username)
    return actor_for(session, user)


def _require_current_schema(engine: Engine) -> None:
    if not migrate.is_current(engine):
        raise PortalError("startup.db_outdated")


def _unit_error(session: Session, code: str) -> FieldError | None:
    found = session.scalar(select(OrgUnit.id).where(OrgUnit.code == code.strip()))
    if found is None:
        return FieldError("org_unit_id", "error.unit_code_not_found", {"code": code})
    return None


def _unit_by_code(session: Session, code: str, actor: Actor = SYSTEM) -> OrgUnit:
    """The unit, or a field error on --unit (bad input, exit 2) rather than a bare NotFound."""
    try:
        return orgunits.by_code(session, actor, code.strip())
    except NotFound as exc:
        raise ValidationError([FieldError("org_unit_id", exc.key, exc.params)]) from None


def _user_by_name(session: Session, username: str) -> User:
    try:
        return users.by_username(session, SYSTEM, username)
    except NotFound as exc:
        raise ValidationError([FieldError("username", exc.key, exc.params)]) from None


def _password(args: argparse.Namespace) -> str:
    """--password, else typed twice at a terminal, else the first line of stdin (scripts)."""
    if args.password is not None:
        return str(args.password)
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(t("cli.password_prompt", args.lang))
        if getpass.getpass(t("cli.password_confirm", args.lang)) != first:
            raise ValidationError([FieldError("password", "validation.password_mismatch")])
        return first
    return (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")


def _all_users(session: Session, actor: Actor) -> list[users.UserRow]:
    """Every page of users.list_users (the service pages; the CLI prints them all)."""
    rows: list[users.UserRow] = []
    while True:
        page, total = users.list_users(session, actor, limit=PAGE_SIZE, offset=len(rows))
        rows.extend(page)
        if not page or len(rows) >= total:
            return rows


def _status(row: users.UserRow, lang: str) -> str:
    if not row.active:
        return t("status.disabled", lang)
    return t("status.locked", lang) if row.locked else t("status.active", lang)


def _sqlite_backup(engine: Engine, target: Path) -> None:
    """sqlite3's online backup API: a consistent copy even while the portal writes.

    Written beside the target and renamed into place, so a failed backup never leaves a
    half-written file under the target's name (or destroys the one --force replaces).
    """
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    raw = engine.raw_connection()
    try:
        with closing(sqlite3.connect(partial)) as copy:
            source = raw.driver_connection
            if not isinstance(source, sqlite3.Connection):  # the caller checked the URL is SQLite
                raise sqlite3.NotSupportedError("not a SQLite database")
            source.backup(copy)
            # One self-contained file: the copy needs no -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise PortalError("cli.backup_failed", error=_first_line(exc)) from None
    finally:
        raw.close()


def _print_pg_dump(args: argparse.Namespace, engine: Engine) -> int:
    """PostgreSQL is backed up by pg_dump; print the command (never the password)."""
    url = engine.url
    command = ["pg_dump", "--format=custom", f"--file={args.file}"]
    if url.host:
        command.append(f"--host={url.host}")
    if url.port:
        command.append(f"--port={url.port}")
    if url.username:
        command.append(f"--username={url.username}")
    command.append(f"--dbname={url.database or ''}")
    _err(t("cli.backup_pg", args.lang))
    print(shlex.join(command))  # alone on stdout, so a script can capture and run it
    _err(t("cli.backup_pg_password", args.lang))
    return EXIT_OK


def _print_field_errors(exc: ValidationError, lang: str, options: dict[str, str]) -> None:
    for error in exc.errors:
        _err(
            t(
                "cli.field_error",
                lang,
                label=t("field." + error.field, lang),
                option=options.get(error.field, error.field),
                message=error.message(lang),
            )
        )
        if error.field == "role" and error.key == "validation.choice":
            roles = ", ".join(f"{r} ({t('role.' + r, lang)})" for r in ROLES)
            _err(t("cli.choices", lang, choices=roles))


def _table(headers: list[str], rows: list[list[str]]) -> str:
    """Columns padded by display width: a Chinese character takes two terminal cells."""
    widths = [max(_width(cell) for cell in column) for column in zip(headers, *rows)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _err(message: str) -> None:
    print(message, file=sys.stderr)
