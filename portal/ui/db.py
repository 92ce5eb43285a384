"""The engine, created once per server process and database URL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.engine import database_url, make_engine, transaction
from portal import cache

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def engine() -> Engine:
    # A plain dict rather than st.cache_resource: this is asked for several times in
    # every rerun, and Streamlit's cache hashes its arguments on each call. The URL is
    # read once per rerun (without the environment variable it comes from a file).
    url = cache.memo(("database_url",), database_url)
    found = _engines.get(url)
    if found is None:
        with _lock:
            found = _engines.get(url)
            if found is None:
                found = _engines[url] = make_engine(url)
    return found


@contextmanager
def unit_of_work() -> Iterator[Session]:
    with transaction(engine()) as session:
        yield session
