"""The seed's three tables, created when missing and completed when old.

The DDL is the seed README's, column for column, so the facade can work on an
existing database and the seed's tools keep working on ours. ``migrate``
creates the database and any missing table, then adds any column an older
copy of a table lacks (it never drops, renames or narrows anything).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from mywhatsapp.api.mysql.connection import connect
from mywhatsapp.api.settings import Settings

log = logging.getLogger(__name__)

_U3: Final = "CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci"
_U4: Final = "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"

#: table -> ordered (column, definition); the seed's schema.
COLUMNS: Final[dict[str, list[tuple[str, str]]]] = {
    "tokens": [
        ("ID", "int unsigned NOT NULL AUTO_INCREMENT"),
        ("authorizationtoken", f"char(255) {_U3} NOT NULL"),
        ("datafinal", "date NOT NULL"),
        ("active", f"char(5) {_U3} NOT NULL DEFAULT 'true'"),
        ("created", "timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP"),
        ("modified", "timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"),
    ],
    "sessionwa": [
        ("ID", "int unsigned NOT NULL AUTO_INCREMENT"),
        ("authorizationtoken", f"char(255) {_U3} NOT NULL"),
        ("sessionname", "char(255) COLLATE utf8mb4_general_ci NOT NULL"),
        ("state", f"char(20) {_U3} DEFAULT 'DISCONNECTED'"),
        ("status", f"char(20) {_U3} DEFAULT 'notLogged'"),
        ("userconnected", f"char(50) {_U3} DEFAULT NULL"),
        ("profilepicture", f"text {_U3}"),
        ("wh_status", f"varchar(255) {_U3} DEFAULT NULL"),
        ("wh_message", f"varchar(255) {_U3} DEFAULT NULL"),
        ("wh_qrcode", f"varchar(255) {_U3} DEFAULT NULL"),
        ("wh_connect", f"varchar(255) {_U3} DEFAULT NULL"),
        ("wh_incomingcall", f"varchar(255) {_U3} DEFAULT NULL"),
        ("created", "timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP"),
        ("modified", "timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"),
    ],
    "statistics": [
        ("ID", "int unsigned NOT NULL AUTO_INCREMENT"),
        ("authorizationtoken", f"char(255) {_U4} NOT NULL"),
        ("sessionname", f"char(255) {_U4} NOT NULL"),
        ("status", f"char(10) {_U4} NOT NULL"),
        ("type", f"char(20) {_U4} NOT NULL"),
        ("isgroup", "tinyint NOT NULL"),
        ("created", "timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP"),
        ("modified", "timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"),
    ],
}

_KEYS: Final[dict[str, list[str]]] = {
    "tokens": ["PRIMARY KEY (`ID`)", "UNIQUE KEY `ID` (`ID`)",
               "UNIQUE KEY `token` (`authorizationtoken`) USING BTREE"],
    "sessionwa": ["PRIMARY KEY (`ID`)", "UNIQUE KEY `ID` (`ID`)"],
    "statistics": ["PRIMARY KEY (`ID`)", "UNIQUE KEY `ID` (`ID`)"],
}

_TABLE_OPTIONS: Final[dict[str, str]] = {
    "tokens": "ENGINE=InnoDB DEFAULT CHARSET=utf8mb3",
    "sessionwa": "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
    "statistics": "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
}


def create_table_sql(table: str) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for one of the seed's tables."""
    lines = [f"  `{name}` {definition}" for name, definition in COLUMNS[table]]
    lines += [f"  {key}" for key in _KEYS[table]]
    body = ",\n".join(lines)
    return f"CREATE TABLE IF NOT EXISTS `{table}` (\n{body}\n) {_TABLE_OPTIONS[table]}"


def _quote_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def missing_columns(table: str, present: set[str]) -> list[tuple[str, str]]:
    """Columns of the seed's ``table`` absent from ``present`` (names compared case-blind)."""
    have = {name.lower() for name in present}
    return [(name, d) for name, d in COLUMNS[table] if name.lower() not in have]


def migrate(settings: Settings) -> list[str]:
    """Create or complete the schema; return the statements that changed something."""
    done: list[str] = []
    server = connect(settings, database=False)
    try:
        with server.cursor() as cursor:
            cursor.execute(
                f"CREATE DATABASE IF NOT EXISTS {_quote_identifier(settings.mysql_database)} "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
            )
    finally:
        server.close()
    connection = connect(settings)
    try:
        with connection.cursor() as cursor:
            for table in COLUMNS:
                present = _columns(cursor, settings.mysql_database, table)
                if not present:
                    statement = create_table_sql(table)
                    cursor.execute(statement)
                    done.append(statement)
                    continue
                for name, definition in missing_columns(table, present):
                    statement = f"ALTER TABLE `{table}` ADD COLUMN `{name}` {definition}"
                    cursor.execute(statement)
                    done.append(statement)
    finally:
        connection.close()
    for statement in done:
        log.info("mysql schema: %s", statement.splitlines()[0])
    return done


def _columns(cursor: Any, database: str, table: str) -> set[str]:
    cursor.execute(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA=%s AND TABLE_NAME=%s",
        (database, table),
    )
    return {row[0] for row in cursor.fetchall()}

