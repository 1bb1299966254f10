"""The MySQL tier on a real MariaDB: tokens, fail-closed, the seed's schema, sessionwa."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pymysql

from mywhatsapp.api.app import create_app
from mywhatsapp.api.mysql import schema
from mywhatsapp.api.settings import Settings
from tests.api.conftest import ADMIN_KEY
from tests.api.fakekube import FakeKube
from tests.api.helpers import ADMIN, NAMESPACE
from tests.api.mariadb import MariaDB
from tests.api.server import serve
from tests.kube import wait_for

SEED_SQL_TOKENS = """CREATE TABLE IF NOT EXISTS `tokens` (
  `ID` int unsigned NOT NULL AUTO_INCREMENT,
  `authorizationtoken` char(255) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci NOT NULL,
  `datafinal` date NOT NULL,
  `active` char(5) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci NOT NULL DEFAULT 'true',
  `created` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `modified` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (`ID`),
  UNIQUE KEY `ID` (`ID`),
  UNIQUE KEY `token` (`authorizationtoken`) USING BTREE
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb3"""
#: An older sessionwa, without wh_incomingcall (added by the seed later).
OLD_SESSIONWA = """CREATE TABLE `sessionwa` (
  `ID` int unsigned NOT NULL AUTO_INCREMENT,
  `authorizationtoken` char(255) NOT NULL,
  `sessionname` char(255) NOT NULL,
  `state` char(20) DEFAULT 'DISCONNECTED',
  `status` char(20) DEFAULT 'notLogged',
  `userconnected` char(50) DEFAULT NULL,
  `profilepicture` text,
  `wh_status` varchar(255) DEFAULT NULL,
  `wh_message` varchar(255) DEFAULT NULL,
  `wh_qrcode` varchar(255) DEFAULT NULL,
  `wh_connect` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`ID`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"""


def _settings(db: dict[str, Any], **extra: Any) -> Settings:
    return Settings(secret_key=ADMIN_KEY, validate_mysql=True, sessions_namespace=NAMESPACE,
                    token_cache_seconds=0.5, **db, **extra)


def _sql(settings: Settings, statement: str, args: Any = None) -> list[tuple[Any, ...]]:
    conn = pymysql.connect(host=settings.mysql_host, port=settings.mysql_port, user=settings.mysql_user,
                           password=settings.mysql_password.get_secret_value(),
                           database=settings.mysql_database, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(statement, args)
            return list(cur.fetchall())
    finally:
        conn.close()


def test_migrates_an_existing_seed_database_and_keeps_its_token(mysql_database: dict[str, Any]) -> None:
    settings = _settings(mysql_database)
    _sql(settings, SEED_SQL_TOKENS)
    _sql(settings, OLD_SESSIONWA)
    _sql(settings, "INSERT INTO `tokens` (`ID`, `authorizationtoken`, `datafinal`, `active`) "
                   "VALUES (1, 'TOKENTESTE123', '9999-12-31', '1')")
    _sql(settings, "INSERT INTO sessionwa (authorizationtoken, sessionname) VALUES ('TOKENTESTE123', 'Old')")
    done = schema.migrate(settings)
    assert any("ADD COLUMN `wh_incomingcall`" in s for s in done)
    assert any("CREATE TABLE IF NOT EXISTS `statistics`" in s for s in done)
    assert not any("`tokens`" in s for s in done)
    assert schema.migrate(settings) == []  # idempotent
    columns = {r[0] for r in _sql(settings, "SHOW COLUMNS FROM sessionwa")}
    assert {"wh_incomingcall", "created", "modified"} <= columns
    assert _sql(settings, "SELECT sessionname FROM sessionwa") == [("Old",)]
    app = create_app(settings, FakeKube())
    with serve(app) as url:
        r = httpx.post(f"{url}/sistema/getHardWare", headers={"AuthorizationToken": "TOKENTESTE123"})
        assert r.status_code == 200


def test_db_tokens_rules_and_sessionwa(mysql_database: dict[str, Any]) -> None:
    settings = _settings(mysql_database)
    schema.migrate(settings)
    today = date.today()
    rows = [("GOOD-TOKEN-1", today + timedelta(days=1), "1"), ("LASTDAY-TOKEN", today + timedelta(days=1), "true"),
            ("OLD-TOKEN", today - timedelta(days=2), "1"), ("OFF-TOKEN", today + timedelta(days=9), "false"),
            ("ZERO-TOKEN", today + timedelta(days=9), "0")]
    for token, last, active in rows:
        _sql(settings, "INSERT INTO tokens (authorizationtoken, datafinal, active) VALUES (%s,%s,%s)",
             (token, last, active))
    app = create_app(settings, FakeKube())
    with serve(app) as url, httpx.Client(base_url=url) as c:
        def code(token: str) -> tuple[int, str]:
            r = c.post("/sistema/getAllSessions", headers={"AuthorizationToken": token})
            return r.status_code, r.json()["Status"]["message"]

        wait_for(lambda: app.state.services.mysql_ready, timeout=20, what="MySQL set up")
        assert code("GOOD-TOKEN-1") == (400, "Nenhuma sessão criada")
        assert code("good-token-1")[0] == 404  # exact match, despite the case-insensitive column
        assert code("OLD-TOKEN") == (408, "Token vencido, contate o administrador do sistema")
        assert code("OFF-TOKEN")[0] == 401 and code("ZERO-TOKEN")[0] == 401
        assert code("UNKNOWN") == (404, "Token não encontrado, verifique e tente novamente")
        r = c.post("/sistema/Status", headers={})
        assert r.status_code == 422  # the MySQL era's code for a missing token
        # A token switched off while in use stops working within the cache time (checked on every request).
        _sql(settings, "UPDATE tokens SET active='false' WHERE authorizationtoken='LASTDAY-TOKEN'")
        wait_for(lambda: code("LASTDAY-TOKEN")[0] == 401, timeout=5, what="deactivation to apply")
        # sessionwa follows the session.
        good = {"AuthorizationToken": "GOOD-TOKEN-1"}
        assert c.post("/sistema/Start", json={"SessionName": "Db1", "wh_connect": "https://h.example/c"},
                      headers=good).status_code == 201
        row = wait_for(lambda: _sql(settings, "SELECT authorizationtoken, state, status, wh_connect FROM sessionwa "
                                              "WHERE sessionname='Db1'"), timeout=10, what="the sessionwa row")
        assert row[0][1:] == ("STARTING", "isStarting", "https://h.example/c")
        assert row[0][0].startswith("sha256:") and "GOOD-TOKEN" not in row[0][0]
        assert c.post("/sistema/Close", json={"SessionName": "Db1"}, headers=good).status_code == 200
        wait_for(lambda: _sql(settings, "SELECT state FROM sessionwa WHERE sessionname='Db1'") == [("CLOSE",)],
                 timeout=10, what="sessionwa to show the Close")


def test_database_down_fails_closed_but_admin_works(mysql_database: dict[str, Any], mariadb_server: MariaDB) -> None:
    del mariadb_server
    settings = _settings({**mysql_database, "mysql_port": 1})  # nothing listens there
    app = create_app(settings, FakeKube())
    with serve(app) as url, httpx.Client(base_url=url) as c:
        r = c.post("/sistema/getAllSessions", headers={"AuthorizationToken": "GOOD-TOKEN-1"})
        assert (r.status_code, r.json()["Status"]["message"]) == (
            400, "Erro na verificação do token, verifique e tente novamente")
        assert c.post("/sistema/getHardWare", headers=ADMIN).status_code == 200
        assert c.get("/readyz").status_code == 503
