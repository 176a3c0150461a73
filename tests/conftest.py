"""Shared fixtures: a loopback HTTP server and real databases (SQLite and PostgreSQL).

PostgreSQL tests use ``NEWSARCHIVER_TEST_PG`` (default: the local server, database
``test``). Each test gets a database of its own, created and dropped here. When the
server cannot be reached the tests are skipped, unless ``NEWSARCHIVER_REQUIRE_PG=1``
(set by ``.ci/run``), in which case they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faultserver import FaultRoutes
from tests.localserver import LocalServer
from tests.tlsserver import tls_server  # noqa: F401  (a fixture for the tests)

FIXTURES = Path(__file__).parent / "fixtures"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: The [fetch] table of a sources.toml for tests against a loopback server: no delay,
#: no retries, private addresses allowed.
LOOPBACK_FETCH = """[fetch]
allow_private_networks = true
per_host_delay = 0
max_retries = 0
"""


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _running_server() -> Iterator[LocalServer]:
    srv = LocalServer().start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """A loopback HTTP server; routes are added by the test."""
    yield from _running_server()


@pytest.fixture
def other_server() -> Iterator[LocalServer]:
    """A second loopback server: another origin (another port)."""
    yield from _running_server()


@pytest.fixture
def faults(server: LocalServer) -> Iterator[FaultRoutes]:
    """One endpoint per misbehaviour on ``server`` (see tests/faultserver.py)."""
    routes = FaultRoutes(server).install()
    yield routes
    routes.release.set()


def _pg_admin_url() -> str:
    return os.environ.get("NEWSARCHIVER_TEST_PG", DEFAULT_PG)


def _pg_required() -> bool:
    return os.environ.get("NEWSARCHIVER_REQUIRE_PG", "") not in ("", "0")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped after the test."""
    import psycopg

    admin = _pg_admin_url()
    dsn = admin.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if _pg_required():
            pytest.fail(f"PostgreSQL is required but unreachable at {admin}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {admin}")
    name = f"na_test_{uuid.uuid4().hex[:12]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'archive.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs twice: on a fresh SQLite file and a fresh PostgreSQL db."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))
