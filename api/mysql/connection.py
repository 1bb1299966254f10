"""Opening pymysql connections from ``Settings`` (short timeouts, FOUND_ROWS)."""

from __future__ import annotations

from typing import Any

import pymysql
from pymysql.constants import CLIENT

from mywhatsapp.api.settings import Settings

CONNECT_TIMEOUT_SECONDS = 3
QUERY_TIMEOUT_SECONDS = 5


def connect(settings: Settings, *, database: bool = True) -> pymysql.connections.Connection[Any]:
    """A new autocommit connection; ``database=False`` connects without selecting one."""
    options: dict[str, Any] = {
        "user": settings.mysql_user,
        "password": settings.mysql_password.get_secret_value(),
        "charset": "utf8mb4",
        "autocommit": True,
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "read_timeout": QUERY_TIMEOUT_SECONDS,
        "write_timeout": QUERY_TIMEOUT_SECONDS,
        "client_flag": CLIENT.FOUND_ROWS,
    }
    if settings.mysql_unix_socket:
        options["unix_socket"] = settings.mysql_unix_socket
    else:
        options["host"] = settings.mysql_host
        options["port"] = settings.mysql_port
    if database:
        options["database"] = settings.mysql_database
    return pymysql.connect(**options)
