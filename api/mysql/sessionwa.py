"""Keeps the seed's ``sessionwa`` table in step with the WhatsAppSession objects.

``SessionwaMirror.on_change`` is a cache listener: it turns each change into
the row the seed kept (state, status, userconnected = phone, wh_*) and a
worker thread writes it, coalescing bursts per session and retrying after
database errors. Nothing is written when the tracked fields did not change.
``authorizationtoken`` holds ``sha256:<hex>`` of the owner's token, never the
token. A deleted session keeps its row, marked ``NOTFOUND``/``notFound``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from mywhatsapp.api import sessionview
from mywhatsapp.api.mysql.connection import connect
from mywhatsapp.api.settings import Settings

log = logging.getLogger(__name__)

Row = dict[str, Any]
RETRY_SECONDS = 2.0


def row_for(cr: dict[str, Any] | None, *, deleted_name: str | None = None) -> Row:
    """The ``sessionwa`` values of a CR (or of a deleted one)."""
    if cr is None:
        return {"sessionname": deleted_name, "state": "NOTFOUND", "status": "notFound"}
    _, fields = sessionview.status_fields(cr)
    hooks = sessionview.spec_of(cr).get("webhooks") or {}
    owner = sessionview.owner_of(cr)
    row: Row = {
        "authorizationtoken": f"sha256:{owner}" if owner else "",
        "sessionname": sessionview.session_name_of(cr) or cr["metadata"]["name"],
        "state": fields["state"],
        "status": fields["status"],
        "userconnected": sessionview.status_of(cr).get("phone"),
    }
    for seed_field, key in sessionview.WEBHOOK_FIELDS.items():
        row[seed_field] = hooks.get(key)
    return row


def write_row(settings: Settings, row: Row) -> None:
    """Update the session's row, or insert it when there is none."""
    connection = connect(settings)
    try:
        with connection.cursor() as cursor:
            columns = [c for c in row if c != "sessionname"]
            assignments = ", ".join(f"`{c}`=%s" for c in columns)
            cursor.execute(f"UPDATE sessionwa SET {assignments} WHERE sessionname=%s",
                           [row[c] for c in columns] + [row["sessionname"]])
            if cursor.rowcount == 0 and "authorizationtoken" in row:
                names = ", ".join(f"`{c}`" for c in row)
                marks = ", ".join(["%s"] * len(row))
                cursor.execute(f"INSERT INTO sessionwa ({names}) VALUES ({marks})", list(row.values()))
    finally:
        connection.close()


class SessionwaMirror:
    """Background writer of ``sessionwa`` rows."""

    def __init__(self, settings: Settings, writer: Callable[[Settings, Row], None] = write_row) -> None:
        self._settings = settings
        self._writer = writer
        self._pending: dict[str, Row] = {}
        self._written: dict[str, Row] = {}
        self._cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="sessionwa-mirror", daemon=True)
        self.writes = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(10)

    def on_change(self, name: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        deleted_name = sessionview.session_name_of(old) if old is not None else None
        row = row_for(new, deleted_name=deleted_name or name)
        with self._cond:
            if self._written.get(name) == row:
                return
            self._pending[name] = row
            self._cond.notify_all()

    def idle(self) -> bool:
        with self._cond:
            return not self._pending

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                name, row = next(iter(self._pending.items()))
                del self._pending[name]
            try:
                self._writer(self._settings, row)
            except Exception as exc:  # noqa: BLE001 - keep the row for a retry
                log.warning("sessionwa write for %s failed: %s; retrying", name, type(exc).__name__)
                with self._cond:
                    self._pending.setdefault(name, row)
                    self._cond.wait(RETRY_SECONDS)
                continue
            with self._cond:
                self._written[name] = row
                self.writes += 1
