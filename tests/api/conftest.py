"""Fixtures of the API tests: a throw-away MariaDB, the app on a fake or real cluster."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api import mariadb

#: The admin key the tests configure (not a well-known value, ≥ 16 characters).
ADMIN_KEY = "test-admin-key-0123456789abcdef"


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[mariadb.MariaDB]:
    with tempfile.TemporaryDirectory(prefix="mywhatsapp-mariadb-") as base:
        db = mariadb.start(Path(base))
        try:
            yield db
        finally:
            mariadb.stop(db)


@pytest.fixture
def mysql_database(mariadb_server: mariadb.MariaDB) -> Iterator[dict[str, str | int]]:
    """A fresh database and user on the server: the MYSQL_* settings for it."""
    name = f"mw_{uuid.uuid4().hex[:10]}"
    user = f"u_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    with mariadb_server.connect() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
        for host in ("localhost", "127.0.0.1"):
            cur.execute(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY %s", (password,))
            cur.execute(f"GRANT ALL ON `{name}`.* TO '{user}'@'{host}'")
    yield {"mysql_host": "127.0.0.1", "mysql_port": mariadb_server.port, "mysql_user": user,
           "mysql_password": password, "mysql_database": name}
    with mariadb_server.connect() as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        for host in ("localhost", "127.0.0.1"):
            cur.execute(f"DROP USER IF EXISTS '{user}'@'{host}'")
