"""Faults under a running portal (issue 8, defect 5 and "a fault test for each fault"):
the SQLite file gone, renamed or replaced, a read-only database, PostgreSQL unreachable
at start and in the middle of a session. Each asserts what the user sees and what the
log says; none may save into the wrong file, create an empty database, or show a trace."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db import engine as db_engine
from db.engine import make_engine
from db.models import HeActivity
from portal.cli import main
from portal.i18n import t
from tests.conftest import PG_URL, fresh_engine, make_tree, make_user, served_app

ROOT = Path(__file__).resolve().parents[1]


def open_page(entry: str, username: str | None, page: str = "pages/education.py") -> AppTest:
    at = AppTest.from_file(entry, default_timeout=60)
    at.session_state["lang"] = "zh-CN"
    if username:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
    at.run()
    if username:
        at.switch_page(str(ROOT / page))
        at.run()
    return at


def open_add(at: AppTest) -> AppTest:
    """The add tab (only the open tab runs)."""
    if at.session_state["he_activities.tabs.view"] != t("records.tab.add"):
        at.session_state["he_activities.tabs.view"] = t("records.tab.add")
        at.run()
    return at


def add_activity(at: AppTest, title: str) -> AppTest:
    open_add(at)
    at.text_input(key="he_activities.add.title").input(title)
    at.selectbox(key="he_activities.add.activity_type").select("consultation")
    at.button(key="FormSubmitter:he_activities.form.add-" + t("records.add_submit")).click()
    at.run()
    return at


def shown(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.error]


def rows(path: Path) -> int:
    engine = make_engine(f"sqlite:///{path}")
    try:
        with Session(engine) as s:
            return s.scalar(select(func.count()).select_from(HeActivity)) or 0
    finally:
        engine.dispose()


@pytest.fixture
def app(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    engine = fresh_engine("sqlite", tmp_path)
    ids = make_tree(engine)
    make_user(engine, "staff", "staff", ids["t1"])
    path = Path(engine.url.database or "")
    engine.dispose()
    with served_app(tmp_path_factory, engine) as entry:
        yield path, entry


def logged(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


# --------------------------------------------------------------------------- the SQLite file


def test_a_save_after_the_file_was_renamed_is_refused_and_logged(app, caplog):
    path, entry = app
    at = open_page(entry, "staff")
    add_activity(at, "义诊一")
    assert rows(path) == 1
    moved = path.with_name("moved.sqlite3")
    path.rename(moved)
    caplog.set_level(logging.ERROR)
    add_activity(at, "义诊二")
    assert not at.exception
    assert t("error.db_file_gone") in shown(at)
    assert logged(caplog, str(path)), [r.getMessage() for r in caplog.records]
    assert not path.exists()  # no empty database appears in its place
    moved.rename(path)  # put back: the portal carries on
    at.run()
    assert not at.exception and t("error.db_file_gone") not in shown(at)
    assert rows(path) == 1  # the refused save went nowhere, not into the moved file either


def test_a_deleted_file_stops_every_page_with_one_sentence(app, caplog):
    path, entry = app
    at = open_page(entry, "staff")
    path.unlink()
    caplog.set_level(logging.ERROR)
    at.run()
    assert not at.exception
    assert t("error.db_file_gone") in shown(at)
    assert logged(caplog, str(path))
    assert not path.exists()


def test_a_file_replaced_under_the_running_server_is_not_used(app, caplog):
    path, entry = app
    at = open_add(open_page(entry, "staff"))
    copy = path.with_name("copy.sqlite3")
    shutil.copy(path, copy)
    os.replace(copy, path)  # same name, another file (a restore done the wrong way)
    caplog.set_level(logging.ERROR)
    add_activity(at, "义诊三")
    assert t("error.db_file_gone") in shown(at)
    assert logged(caplog, str(path))
    assert rows(path) == 0


def test_a_missing_file_at_start_is_named_and_not_created(tmp_path, tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path / 'absent.sqlite3'}")
    with served_app(tmp_path_factory, engine) as entry:
        at = open_page(entry, None)
    assert not at.exception
    assert any(t("startup.db_missing", file=str(tmp_path / "absent.sqlite3")) in e for e in shown(at))
    assert not (tmp_path / "absent.sqlite3").exists()


def test_the_cli_never_creates_the_default_database_except_through_init(tmp_path, monkeypatch, capsys):
    default = tmp_path / "db" / "portal.sqlite3"
    default.parent.mkdir()
    monkeypatch.setattr(db_engine, "DEFAULT_SQLITE_PATH", default)
    monkeypatch.setattr(db_engine, "read_secrets", lambda *a: {})
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    for argv in (["user", "list"], ["orgunit", "list"], ["demo", "--if-empty"], ["export", "org_units", "-o", "x.csv"]):
        assert main(["--lang", "en", *argv]) == 1, argv
        err = capsys.readouterr().err
        assert str(default) in err and "python -m portal init" in err and "Traceback" not in err
        assert not default.exists(), argv
    assert main(["init"]) == 0
    assert default.exists()
    assert main(["user", "list"]) == 0


def test_the_cli_refuses_a_file_replaced_between_engine_and_use(tmp_path):
    engine = fresh_engine("sqlite", tmp_path)
    path = Path(engine.url.database or "")
    copy = path.with_name("copy.sqlite3")
    shutil.copy(path, copy)
    os.replace(copy, path)
    with pytest.raises(db_engine.DatabaseFileError) as info, engine.connect():
        pass
    assert info.value.reason == "replaced"
    engine.dispose()


# --------------------------------------------------------------------------- read-only


def test_a_read_only_database_shows_pages_and_refuses_saves(tmp_path, tmp_path_factory, caplog):
    engine = fresh_engine("sqlite", tmp_path)
    ids = make_tree(engine)
    make_user(engine, "staff", "staff", ids["t1"])
    path = Path(engine.url.database or "")
    engine.dispose()
    # What an operator's read-only mount does (as root, file modes would not stop a write).
    read_only = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    with served_app(tmp_path_factory, read_only) as entry:
        at = open_page(entry, "staff")
        assert not at.exception and not shown(at)  # reading works
        caplog.set_level(logging.ERROR)
        add_activity(at, "义诊四")
    assert not at.exception
    assert t("error.db_readonly") in shown(at)
    assert logged(caplog, "read-only")
    assert rows(path) == 0


# --------------------------------------------------------------------------- PostgreSQL


def test_postgresql_unreachable_at_start(tmp_path_factory, caplog):
    dead = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere?connect_timeout=2")
    caplog.set_level(logging.ERROR)
    with served_app(tmp_path_factory, dead) as entry:
        at = open_page(entry, None)
    assert not at.exception
    assert any(t("startup.db_unreachable") in e for e in shown(at))
    assert logged(caplog, "database unreachable")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Proxy:
    """A TCP relay to PostgreSQL that can be cut, as a network failure would."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := a.recv(65536):
                b.sendall(data)
        with contextlib.suppress(OSError):
            b.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.open = False
        with contextlib.suppress(OSError):
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone would not
        self.server.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()


@pytest.mark.skipif(not PG_URL, reason="needs PORTAL_TEST_DATABASE_URL")
def test_postgresql_lost_in_the_middle_of_a_session(tmp_path, tmp_path_factory, caplog):
    engine = fresh_engine("postgresql", tmp_path)
    ids = make_tree(engine)
    make_user(engine, "staff", "staff", ids["t1"])
    url = engine.url
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    relayed: Any = make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    try:
        with served_app(tmp_path_factory, relayed) as entry:
            at = open_add(open_page(entry, "staff"))
            assert not at.exception and not shown(at)
            proxy.cut()
            caplog.set_level(logging.ERROR)
            add_activity(at, "义诊五")
            assert not at.exception
            assert t("error.db_unavailable") in shown(at)
            at.run()  # the next page view: one sentence, not Streamlit's error box
            assert not at.exception
            assert any(t("error.db_unavailable") in e or t("startup.db_unreachable") in e for e in shown(at))
        assert logged(caplog, "database")
    finally:
        proxy.cut()
        relayed.dispose()
        engine.dispose()
