"""The engine, created once per server process and database URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.engine import database_url, make_engine, transaction


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    return _engine(database_url())


@contextmanager
def unit_of_work() -> Iterator[Session]:
    with transaction(engine()) as session:
        yield session
