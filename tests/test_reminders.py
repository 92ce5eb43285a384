"""Reminders where offices talk: each unit's daily digest (the lines of its head's home
page), posted to a WeCom/DingTalk group robot served here by a local HTTP server; every
attempt logged; failures logged with their reason; nothing sent in demo mode; the webhook
URL never shown back or written to the audit trail; a head configures only units in scope."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from sqlalchemy import Engine, select

from db.engine import transaction
from db.models import AuditEntry, OrgUnit, ReminderChannel, ReminderDelivery, User
from portal import clock, reminders
from portal.cli import main
from portal.errors import ValidationError
from portal.org.scope import SYSTEM, actor_for
from portal.records import service as records
from tests.conftest import demo_engine

DAY = dt.date(2026, 11, 30)


class Robot(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Robot.received.append({"path": self.path, "body": json.loads(body)})
        if self.path.startswith("/bad-key"):
            answer, status = {"errcode": 93000, "errmsg": "invalid webhook url"}, 200
        elif self.path.startswith("/down"):
            answer, status = {}, 502
        else:
            answer, status = {"errcode": 0, "errmsg": "ok"}, 200
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def robot() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with clock.frozen(DAY):
        engine = demo_engine("sqlite", tmp_path_factory.mktemp("remind"))
    yield engine
    engine.dispose()


def units(engine: Engine) -> dict[str, OrgUnit]:
    with transaction(engine) as s:
        return {u.code: u for u in s.scalars(select(OrgUnit))}


def test_digests_are_sent_failures_logged_and_the_url_kept_secret(county, robot, monkeypatch) -> None:
    monkeypatch.delenv("PORTAL_DEMO", raising=False)
    Robot.received.clear()
    ids = {code: u.id for code, u in units(county).items()}
    with transaction(county) as s:
        for code, path in (("county", "/ok?key=secret-1"), ("qs", "/bad-key?key=secret-2"), ("cg", "/down")):
            records.create(s, SYSTEM, reminders.ReminderChannelSpec, {"org_unit_id": ids[code], "url": robot + path})
    with clock.frozen(DAY), transaction(county) as s:
        outcomes = {o.unit_id: o for o in reminders.run(s, DAY)}
    assert outcomes[ids["county"]].status == "sent"
    assert outcomes[ids["qs"]].status == "failed" and outcomes[ids["qs"]].detail == "errcode 93000"
    county_post = next(r for r in Robot.received if r["path"].startswith("/ok"))
    content = county_post["body"]["text"]["content"]
    assert county_post["body"]["msgtype"] == "text"
    assert "示范县卫生健康局每日提醒" in content and "2026年10月" in content and "逾期未报" in content
    with transaction(county) as s:
        log = {d.org_unit_id: d for d in s.scalars(select(ReminderDelivery))}
        assert log[ids["qs"]].status == "failed" and log[ids["county"]].text == content
        assert log[ids["cg"]].status in ("failed", "skipped")  # 城关镇 may have nothing due
        trail = " ".join(
            json.dumps([e.before, e.after])
            for e in s.scalars(select(AuditEntry).where(AuditEntry.record_type == "reminder_channels"))
        )
        assert trail and "secret-1" not in trail and "secret-2" not in trail


def test_nothing_is_sent_in_demo_mode(county, robot, monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_DEMO", "1")
    Robot.received.clear()
    with clock.frozen(DAY), transaction(county) as s:
        outcomes = reminders.run(s, DAY)
    assert outcomes and {o.status for o in outcomes} == {"skipped"}
    assert Robot.received == []


def test_a_head_configures_only_units_in_scope_and_only_web_addresses(county) -> None:
    ids = {code: u.id for code, u in units(county).items()}
    with transaction(county) as s:
        dg_head = actor_for(s, s.scalar(select(User).where(User.username == "dg_head")))
    with pytest.raises(ValidationError) as info, transaction(county) as s:
        records.create(
            s, dg_head, reminders.ReminderChannelSpec, {"org_unit_id": ids["xh"], "url": "https://x.example/a"}
        )
    assert info.value.errors[0].field == "org_unit_id"
    with pytest.raises(ValidationError) as info, transaction(county) as s:
        records.create(
            s, SYSTEM, reminders.ReminderChannelSpec, {"org_unit_id": ids["xh"], "url": "file:///etc/passwd"}
        )
    assert info.value.errors[0].field == "url"
    with transaction(county) as s:
        assert s.scalar(select(ReminderChannel).where(ReminderChannel.org_unit_id == ids["xh"])) is None


def test_the_cli_prints_the_digests_without_sending(county, capsys, monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_URL", county.url.render_as_string(hide_password=False))
    with clock.frozen(DAY):
        assert main(["remind", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "每日提醒" in out
