"""The app refuses to start without a safe cookie key outside demo mode, and says so; in
demo mode it runs with a visible banner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from portal import config
from portal.i18n import t
from tests.conftest import fresh_engine, make_tree

ROOT = Path(__file__).resolve().parents[1]
# The demo key that used to be in the repository (issue 8, defect 10): it signs nothing now.
OLD_DEMO_KEY = "demo-mode-cookie-key-not-for-production"


@pytest.mark.parametrize(
    "env, demo, key",
    [
        ({}, False, "startup.cookie_key_missing"),
        ({"PORTAL_COOKIE_KEY": config.SAMPLE_COOKIE_KEY}, False, "startup.cookie_key_sample"),
        ({"PORTAL_COOKIE_KEY": "short"}, False, "startup.cookie_key_sample"),
        ({"PORTAL_COOKIE_KEY": OLD_DEMO_KEY}, False, "startup.cookie_key_sample"),
        ({"PORTAL_COOKIE_KEY": OLD_DEMO_KEY}, True, "startup.cookie_key_sample"),
    ],
)
def test_unsafe_keys_are_refused(monkeypatch, env, demo, key):
    monkeypatch.delenv("PORTAL_COOKIE_KEY", raising=False)
    monkeypatch.delenv("PORTAL_DEMO", raising=False)
    monkeypatch.setattr(config, "read_secrets", dict)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if demo:
        monkeypatch.setenv("PORTAL_DEMO", "1")
    with pytest.raises(config.ConfigError) as info:
        config.cookie_settings()
    assert info.value.key == key


def test_demo_mode_and_a_real_key_are_accepted(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "read_secrets", dict)
    monkeypatch.delenv("PORTAL_COOKIE_KEY", raising=False)
    monkeypatch.setenv("PORTAL_DEMO", "1")
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    assert len(config.cookie_settings().key) >= 32
    monkeypatch.delenv("PORTAL_DEMO")
    monkeypatch.setenv("PORTAL_COOKIE_KEY", "a-long-random-production-key-123")
    assert config.cookie_settings().key == "a-long-random-production-key-123"


def app(tmp_path: Path) -> AppTest:
    entry = tmp_path / "entry"
    entry.mkdir(exist_ok=True)
    shutil.copy(ROOT / "app.py", entry / "app.py")  # see tests/test_pages.py
    at = AppTest.from_file(str(entry / "app.py"), default_timeout=30)
    at.session_state["lang"] = "zh-CN"
    return at


def test_the_app_stops_with_a_clear_message_without_a_key(tmp_path, monkeypatch):
    engine = fresh_engine("sqlite", tmp_path)
    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("PORTAL_DEMO", raising=False)
    monkeypatch.delenv("PORTAL_COOKIE_KEY", raising=False)
    monkeypatch.setattr(config, "read_secrets", dict)
    at = app(tmp_path)
    at.run()
    assert not at.exception
    assert t("startup.cookie_key_missing") in at.error[0].value
    assert not at.text_input  # no login form either


@pytest.mark.parametrize(
    "option, key",
    [("server.enableXsrfProtection", "startup.unsafe_xsrf"), ("server.enableCORS", "startup.unsafe_cors")],
)
def test_an_unsafe_server_setting_is_refused_by_name(tmp_path, monkeypatch, option, key):
    engine = fresh_engine("sqlite", tmp_path)
    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("PORTAL_DEMO", raising=False)
    monkeypatch.setenv("PORTAL_COOKIE_KEY", "k" * 40 + "-a-long-enough-real-key")
    real = config.unsafe_setting
    monkeypatch.setattr(
        "portal.ui.shell.unsafe_setting", lambda get: real(lambda name: False if name == option else get(name))
    )
    at = app(tmp_path)
    at.run()
    assert not at.exception
    assert t(key, option=option) in at.error[0].value and option in at.error[0].value
    assert not at.text_input  # no login form either
    assert config.unsafe_setting(lambda name: True) is None  # the shipped settings pass


def test_demo_mode_shows_the_banner_and_an_outdated_schema_is_named(tmp_path, monkeypatch):
    engine = fresh_engine("sqlite", tmp_path)
    make_tree(engine)
    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PORTAL_DEMO", "1")
    at = app(tmp_path)
    at.run()
    assert at.warning[0].value == t("app.demo_banner")
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    at = app(tmp_path)
    at.run()
    assert t("startup.db_outdated") in at.error[0].value


def test_demo_mode_makes_its_own_key_beside_the_database_and_keeps_it(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "read_secrets", dict)
    monkeypatch.delenv("PORTAL_COOKIE_KEY", raising=False)
    monkeypatch.setenv("PORTAL_DEMO", "1")
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'a' / 'portal.sqlite3'}")
    (tmp_path / "a").mkdir()
    first = config.cookie_settings().key
    stored = tmp_path / "a" / ".demo-cookie-key"
    assert stored.read_text().strip() == first
    assert stored.stat().st_mode & 0o777 == 0o600
    assert config.cookie_settings().key == first  # a restart keeps demo logins
    assert first != OLD_DEMO_KEY and len(first) >= 32
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'b' / 'portal.sqlite3'}")
    (tmp_path / "b").mkdir()
    assert config.cookie_settings().key != first  # another demo database, another key


def test_a_cookie_signed_with_the_old_demo_key_opens_nothing(engine, tree, monkeypatch, tmp_path):
    from db.engine import transaction
    from portal.org import auth
    from tests.conftest import make_user

    make_user(engine, "admin", "admin", tree["county"])
    monkeypatch.setattr(config, "read_secrets", dict)
    monkeypatch.delenv("PORTAL_COOKIE_KEY", raising=False)
    monkeypatch.setenv("PORTAL_DEMO", "1")
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    settings = config.cookie_settings()
    forged = auth.encode_token("admin", OLD_DEMO_KEY, 7)
    with transaction(engine) as s:
        assert auth.user_from_token(s, forged, settings.key, settings.expiry_days) is None
        genuine = auth.encode_token("admin", settings.key, 7)
        assert auth.user_from_token(s, genuine, settings.key, settings.expiry_days) is not None


def test_the_demo_key_file_is_not_committed():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8")
    assert ".demo-cookie-key" in ignored
    assert OLD_DEMO_KEY not in "".join(p.read_text("utf-8") for p in (ROOT / "portal").rglob("*.py"))


def test_the_shipped_server_settings_keep_a_rerun_cheap():
    """Two of Streamlit's defaults cost a loaded server most of its CPU (deploy/CAPACITY.md):
    a full garbage collection after every rerun (130 ms of a 180 ms page view) and a source
    watcher per session that walks every imported module after each run. The shipped
    config turns both off; serve.py's warm-up then parks what it imported outside the
    collector's generations."""
    import gc
    import tomllib

    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["runner"]["postScriptGC"] is False
    assert settings["server"]["fileWatcherType"] == "none"
    assert settings["server"]["runOnSave"] is False
    from portal.ui import launcher

    frozen = gc.get_freeze_count()
    try:
        launcher.warm_up()
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
