"""A throw-away MariaDB server for the tests: private datadir, unix socket, free TCP port.

Runs as root (``--user=root``), initialised with ``mariadb-install-db``; the
root account has no password and is reachable over the socket only through
this fixture. If the server binaries are missing the fixture fails with a
clear message (the MySQL tier is part of the suite, never skipped).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymysql

from tests.api.server import free_port


@dataclass
class MariaDB:
    datadir: Path
    socket: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def connect(self, **options: Any) -> pymysql.connections.Connection[Any]:
        return pymysql.connect(unix_socket=str(self.socket), user="root", autocommit=True, **options)

    def log_tail(self) -> str:
        log = self.datadir.parent / "mariadb.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""


def _binary(*candidates: str) -> str:
    for name in candidates:
        found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
        if found:
            return found
    raise RuntimeError(
        f"MariaDB is not installed (none of {', '.join(candidates)} found): "
        "install Debian's mariadb-server package (apt-get install mariadb-server), as .ci/run does"
    )


def start(base: Path, *, timeout: float = 60.0) -> MariaDB:
    server = _binary("mariadbd", "mysqld")
    install = _binary("mariadb-install-db", "mysql_install_db")
    datadir = base / "data"
    datadir.mkdir(parents=True)
    db = MariaDB(datadir=datadir, socket=base / "mysqld.sock", port=free_port())
    subprocess.run(
        [install, "--no-defaults", f"--datadir={datadir}", "--user=root", "--skip-test-db",
         "--auth-root-authentication-method=normal"],
        check=True, capture_output=True, timeout=120)
    log = open(base / "mariadb.log", "wb")  # noqa: SIM115 - closed with the process
    db.process = subprocess.Popen(
        [server, "--no-defaults", f"--datadir={datadir}", f"--socket={db.socket}", f"--port={db.port}",
         "--bind-address=127.0.0.1", "--user=root", f"--pid-file={base / 'mysqld.pid'}",
         "--skip-log-bin", "--innodb-buffer-pool-size=32M", "--max-connections=200"],
        stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + timeout
    while True:
        if db.process.poll() is not None:
            raise RuntimeError(f"MariaDB exited with {db.process.returncode}:\n{db.log_tail()}")
        if _accepts(db.socket):
            db.connect().close()
            return db
        else:
            if time.monotonic() > deadline:
                stop(db)
                raise RuntimeError(f"MariaDB did not accept connections within {timeout} s:\n{db.log_tail()}") from None
            time.sleep(0.2)


def _accepts(path: Path) -> bool:
    """True once the server listens on its unix socket (no half-open client left behind)."""
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
        return True


def stop(db: MariaDB) -> None:
    if db.process is None or db.process.poll() is not None:
        return
    db.process.terminate()
    try:
        db.process.wait(30)
    except subprocess.TimeoutExpired:
        db.process.kill()
        db.process.wait(10)
