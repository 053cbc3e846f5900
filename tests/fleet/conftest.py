"""The fleet suite's PostgreSQL: one server for the run (about a second to start), a fresh
database for each test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import Central, PgServer, running_server

from kiosk.fleet.server import server_init

_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    with running_server() as server:
        yield server


@pytest.fixture
def central(pg: PgServer, tmp_path: Path) -> Central:
    name = f"central_{next(_names)}"
    dsn = pg.create_database(name)
    server_init(dsn)
    return Central(pg, name, dsn, tmp_path)
