"""The durable webhook outbox: a SQLite file on the state volume (``<STATE_DIR>/webhooks.db``).

Every event is written here before any delivery attempt and removed only once a
receiver answered 2xx (or it expired), so delivery is at-least-once and survives
pod restarts. Rows are ordered by ``seq``; the head of each URL (its lowest
``seq``) is delivered first and blocks the rest of that URL.

A row starts as a *draft* (``url`` NULL, ``body`` the draft payload); the
dispatcher assigns it the URL in force and the final body (see
``webhook_payloads.finalize``) in ``seq`` order, or deletes it when that event
kind has no URL. All calls are quick local writes on the event loop's thread.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FILE_NAME = "webhooks.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    event       TEXT NOT NULL,
    created_at  REAL NOT NULL,
    url         TEXT,
    body        TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     REAL NOT NULL DEFAULT 0,
    last_error  TEXT
);
CREATE INDEX IF NOT EXISTS outbox_url ON outbox (url, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class Row:
    """One queued webhook."""

    seq: int
    id: str
    kind: str
    event: str
    created_at: float
    url: str | None
    body: str
    attempts: int
    next_at: float


class Outbox:
    """The queue of webhooks not yet delivered."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # --- writes -------------------------------------------------------------
    def enqueue(self, kind: str, event: str, draft: dict[str, Any], *, now: float) -> str:
        """Store a draft; return its delivery id."""
        delivery = str(uuid.uuid4())
        self._db.execute(
            "INSERT INTO outbox (id, kind, event, created_at, body) VALUES (?, ?, ?, ?, ?)",
            (delivery, kind, event, now, json.dumps(draft, ensure_ascii=False, separators=(",", ":"))),
        )
        return delivery

    def assign(self, seq: int, url: str, body: str) -> None:
        """Give a draft its URL and final body."""
        self._db.execute("UPDATE outbox SET url = ?, body = ? WHERE seq = ?", (url, body, seq))

    def delete(self, seq: int) -> None:
        self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def drop(self, seq: int, counter: str) -> None:
        """Remove an undeliverable row and count it under ``counter``."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
            self._db.execute(
                "INSERT INTO counters (name, value) VALUES (?, 1) "
                "ON CONFLICT(name) DO UPDATE SET value = value + 1",
                (counter,),
            )

    def failed(self, seq: int, *, next_at: float, error: str) -> None:
        self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE seq = ?",
            (next_at, error[:500], seq),
        )

    # --- reads --------------------------------------------------------------
    def drafts(self) -> list[Row]:
        """Rows without a URL yet, oldest first."""
        return self._rows("WHERE url IS NULL ORDER BY seq")

    def head(self, url: str) -> Row | None:
        """The oldest row for ``url``."""
        rows = self._rows("WHERE url = ? ORDER BY seq LIMIT 1", (url,))
        return rows[0] if rows else None

    def urls(self) -> list[str]:
        """URLs that have rows waiting."""
        return [url for (url,) in self._db.execute(
            "SELECT url FROM outbox WHERE url IS NOT NULL GROUP BY url ORDER BY MIN(seq)")]

    def pending(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def counter(self, name: str) -> int:
        row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else 0

    def _rows(self, where: str, args: tuple[Any, ...] = ()) -> list[Row]:
        cursor = self._db.execute(
            "SELECT seq, id, kind, event, created_at, url, body, attempts, next_at FROM outbox " + where, args)
        return [Row(*values) for values in cursor.fetchall()]
