"""The deployment of deploy/ on loopback: two portal processes (`streamlit run serve.py`
on free ports, one database: PostgreSQL when PORTAL_TEST_DATABASE_URL is set, as in CI,
else a SQLite file) behind nginx configured with deploy/nginx's own files. A person signs
in through nginx (the login form, then serve.py's cookie route), stays on one process, a
write made on one process is seen on the other, and when the process holding the session
stops, the next connection lands on the other one still signed in.

Needs Debian's nginx (CI installs it, .ci/run): skipped without it, failed under CI."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import websockets
from sqlalchemy import select

from db.engine import make_engine, transaction
from db.models import User
from portal.demo import DEMO_PASSWORD, USERS, load_demo
from portal.i18n import t
from portal.ui import load
from tests.browser_support import free_port, healthy
from tests.conftest import PG_URL, fresh_engine

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
DISPLAY = {u.username: u.display_name for u in USERS}


def _need_nginx() -> str:
    if NGINX is None:
        reason = "nginx not found (apt-get install nginx) - the deployment test needs it"
        if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":  # CI: its tools must be there
            pytest.fail(reason)
        pytest.skip(reason)
    return NGINX


@dataclass
class Cluster:
    tmp: Path
    url: str  # nginx
    upstreams: dict[str, subprocess.Popen[bytes]]  # "127.0.0.1:port" -> its process
    db_url: str
    env: dict[str, str]
    access_log: Path
    nginx: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    def stream_upstreams(self) -> list[str]:
        """The process that served each websocket, oldest first (logged at close; when
        nginx had to try another one, the log lists them all and the last one served)."""
        text = self.access_log.read_text() if self.access_log.exists() else ""
        tried = re.findall(r"^GET /_stcore/stream 101 upstream=(.+)$", text, flags=re.MULTILINE)
        return [addresses.split(", ")[-1] for addresses in tried]

    def output(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.logs if p.exists())


def _wait(check: Any, what: str, cluster: Cluster, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not come up within {seconds:.0f} s:\n{cluster.output()}")
        time.sleep(0.25)


def _upstream_block(ports: list[int]) -> str:
    """deploy/nginx/portal.conf's upstream, with the test's ports for its server lines
    (the balancing method and the failure options are the production site's own)."""
    site = (DEPLOY / "nginx" / "portal.conf").read_text()
    block = re.search(r"upstream portal_upstream \{(.*?)\n\}", site, flags=re.DOTALL)
    assert block, "deploy/nginx/portal.conf has no upstream portal_upstream block"
    lines = [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.strip().startswith("#")]
    servers = [ln for ln in lines if ln.strip().startswith("server ")]
    assert len(servers) >= 2
    options = servers[0].strip().removeprefix("server ").split(None, 1)[1]  # after the address
    kept = [ln for ln in lines if not ln.strip().startswith("server ")]
    return "\n".join(
        ["upstream portal_upstream {", *kept, *(f"    server 127.0.0.1:{p} {options}" for p in ports), "}"]
    )


def _nginx_conf(tmp: Path, listen: int, ports: list[int]) -> str:
    user = "user root;" if os.geteuid() == 0 else ""  # workers must reach the temp folder
    temp = " ".join(f"{kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""
{user}
worker_processes 1;
daemon off;
pid {tmp / "nginx.pid"};
error_log {tmp / "nginx-error.log"} notice;
events {{ worker_connections 256; }}
http {{
    log_format upstreams '$request_method $uri $status upstream=$upstream_addr';
    access_log {tmp / "access.log"} upstreams;
    {temp}
    include {DEPLOY / "nginx" / "portal-sticky.conf"};
    {_upstream_block(ports)}
    server {{
        listen 127.0.0.1:{listen};
        include {DEPLOY / "nginx" / "portal-proxy.conf"};
    }}
}}
"""


def _start_portal(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "serve.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.enableCORS",  # true: cross-origin requests refused (deploy/systemd)
                "true",
                "--server.enableXsrfProtection",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    nginx = _need_nginx()
    tmp = Path(tempfile.mkdtemp(prefix="portal-deploy-"))
    engine = fresh_engine("postgresql" if PG_URL else "sqlite", tmp)
    try:
        load_demo(engine, fast=True)
        db_url = engine.url.render_as_string(hide_password=False)
    finally:
        engine.dispose()
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": db_url,
        "PORTAL_DEMO": "1",
        # the settings every process must share (deploy/portal.env.example)
        "PORTAL_COOKIE_KEY": secrets.token_urlsafe(48),
        "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_urlsafe(48),
        "PYTHONUNBUFFERED": "1",
    }
    ports = [free_port(), free_port()]
    listen = free_port()
    c = Cluster(tmp, f"http://127.0.0.1:{listen}", {}, db_url, env, tmp / "access.log")
    try:
        for port in ports:
            log = tmp / f"portal-{port}.log"
            c.logs.append(log)
            c.upstreams[f"127.0.0.1:{port}"] = _start_portal(port, env, log)
        (tmp / "nginx.conf").write_text(_nginx_conf(tmp, listen, ports))
        c.logs += [tmp / "nginx.out", tmp / "nginx-error.log"]
        with (tmp / "nginx.out").open("wb") as out:
            c.nginx = subprocess.Popen(
                [nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf")], stdout=out, stderr=subprocess.STDOUT
            )
        for port in ports:
            _wait(lambda port=port: healthy(f"http://127.0.0.1:{port}"), f"the portal on port {port}", c)
        _wait(lambda: healthy(c.url), "nginx", c)
        yield c
    finally:
        _stop(c.nginx)
        for proc in c.upstreams.values():
            _stop(proc)
        if os.environ.get("PORTAL_KEEP_SERVER_LOG"):
            print(c.output())
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def settings(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test process uses the cluster's settings (the load tool reads them)."""
    for key in ("PORTAL_DATABASE_URL", "PORTAL_DEMO", "PORTAL_COOKIE_KEY"):
        monkeypatch.setenv(key, cluster.env[key])


async def _session(url: str, cookie: str, user: str, clicks: list[dict[str, Any]] | None = None) -> list[load.View]:
    """One browser session: the home page, then each click (widget states by key suffix)."""
    async with websockets.connect(
        load.stream_url(url), subprotocols=[websockets.Subprotocol("streamlit")], additional_headers={"Cookie": cookie}
    ) as ws:
        views = [await load.view(ws, user, "", keep_text=True)]
        for click in clicks or []:
            ids = {text.rsplit("-", 1)[-1]: text for text in views[-1].texts if text.startswith("$$ID-")}
            msg = load.BackMsg()
            msg.rerun_script.page_name = ""
            for key, value in click.items():
                msg.rerun_script.widget_states.widgets.add(id=ids[key], **value)
            views.append(await load.view(ws, user, "", keep_text=True, message=msg.SerializeToString()))
    return views


def _new_streams(cluster: Cluster, before: int, count: int) -> list[str]:
    """The upstreams of the next `count` websockets closed after `before` were logged."""
    deadline = time.monotonic() + 10
    while len(cluster.stream_upstreams()) < before + count and time.monotonic() < deadline:
        time.sleep(0.1)
    return cluster.stream_upstreams()[before:]


def test_the_production_site_passes_nginx_t(tmp_path: Path) -> None:
    """deploy/nginx/portal.conf as installed (its snippets, a certificate) is valid nginx."""
    nginx = _need_nginx()
    if shutil.which("openssl") is None:
        pytest.skip("openssl not found: it makes the throw-away certificate")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=portal.test"),
            *("-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")),
        ],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "portal.conf").read_text()
    site = site.replace("/etc/nginx/snippets/", f"{DEPLOY / 'nginx'}/").replace("/etc/ssl/portal/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(f"{k}_temp_path {tmp_path / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'}; error_log {tmp_path / 'error.log'};\n"
        f"events {{}}\nhttp {{ access_log off; {temp}\n"
        f"include {DEPLOY / 'nginx' / 'portal-sticky.conf'};\ninclude {tmp_path / 'site.conf'};\n}}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_sign_in_through_nginx_and_stay_on_one_process(cluster: Cluster, settings: None) -> None:
    cookie = asyncio.run(load.sign_in(cluster.url, "head", DEMO_PASSWORD))
    assert cookie.startswith("health_portal_auth=")
    before = len(cluster.stream_upstreams())
    for _ in range(3):
        (home,) = asyncio.run(_session(cluster.url, cookie, "head"))
        assert home.error is None, home.error
        assert t("home.welcome", name=DISPLAY["head"]) in home.texts
    used = _new_streams(cluster, before, 3)
    assert len(used) == 3 and len(set(used)) == 1, used  # one browser, one process
    # the sign-in route answered through nginx with the cookie and a redirect
    logged = cluster.access_log.read_text()
    assert re.search(r"^GET /_portal/login 303 upstream=127\.0\.0\.1:\d+$", logged, re.MULTILINE)


def test_users_spread_over_both_processes(cluster: Cluster, settings: None) -> None:
    before = len(cluster.stream_upstreams())
    result = load.run(load.Config(cluster.url, users=8, duration=120.0, views=1))
    assert result.summary()["errors"] == 0, result.summary()["error_samples"]
    assert set(_new_streams(cluster, before, 8)) == set(cluster.upstreams)


def test_a_write_on_one_process_is_seen_on_the_other(cluster: Cluster, settings: None) -> None:
    first, second = (f"http://{addr}" for addr in cluster.upstreams)
    cookie = load.login_cookie("staff")
    english = t("lang.en")  # the radio's option as the sidebar labels it
    views = asyncio.run(_session(first, cookie, "staff", clicks=[{"shell.language": {"string_value": english}}]))
    assert all(v.error is None for v in views), [v.error for v in views]
    engine = make_engine(cluster.db_url)
    try:
        with transaction(engine) as s:
            assert s.scalar(select(User.language).where(User.username == "staff")) == "en"
    finally:
        engine.dispose()
    # a new session on the other process starts in the language saved by the first one
    (home,) = asyncio.run(_session(second, cookie, "staff"))
    assert home.error is None, home.error
    assert t("home.welcome", "en", name=DISPLAY["staff"]) in home.texts


def test_the_session_goes_on_at_the_other_process_when_one_stops(cluster: Cluster, settings: None) -> None:
    cookie = asyncio.run(load.sign_in(cluster.url, "dg_head", DEMO_PASSWORD))
    before = len(cluster.stream_upstreams())
    (home,) = asyncio.run(_session(cluster.url, cookie, "dg_head"))
    assert home.error is None, home.error
    (holder,) = _new_streams(cluster, before, 1)
    _stop(cluster.upstreams[holder])  # the process that held this browser's session
    before = len(cluster.stream_upstreams())
    # the page's websocket reconnects (Streamlit's page does it by itself), through nginx
    (again,) = asyncio.run(_session(cluster.url, cookie, "dg_head"))
    assert again.error is None, again.error  # still signed in: no login form, no error
    assert t("home.welcome", name=DISPLAY["dg_head"]) in again.texts
    (other,) = _new_streams(cluster, before, 1)
    assert other != holder and other in cluster.upstreams
