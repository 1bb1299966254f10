"""The session object with a scripted backend: lifecycle actions, operations, exits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from mywhatsapp.sessionpod import autoclose_marker
from mywhatsapp.sessionpod import events as ev
from mywhatsapp.sessionpod import session as session_module
from mywhatsapp.sessionpod.backend import BackendError, EventSink, NumberInfo, SentMessage
from mywhatsapp.sessionpod.config import load_config
from mywhatsapp.sessionpod.messages import OutgoingMessage, TextMessage
from mywhatsapp.sessionpod.session import Session


class ScriptedBackend:
    def __init__(self, log: list[str], *, in_process: bool = True) -> None:
        self.restarts_in_process = in_process
        self.log = log
        self.emit: EventSink | None = None

    async def start(self, emit: EventSink) -> None:
        self.emit = emit
        self.log.append("start")

    async def stop(self) -> None:
        self.log.append("stop")

    async def logout(self) -> None:
        self.log.append("logout")

    def wipe(self) -> None:
        self.log.append("wipe")

    async def pair_phone(self, phone: str) -> str:
        self.log.append(f"pair {phone}")
        return "ABCD-EFGH"

    async def send(self, message: OutgoingMessage) -> SentMessage:
        return SentMessage("ID1", 1.0, message.recipient.jid)

    async def mark_read(self, chat: str, ids: Sequence[str]) -> None:
        self.log.append(f"read {chat}")

    async def check_numbers(self, phones: Sequence[str]) -> list[NumberInfo]:
        return [NumberInfo(p, True, f"{p}@s.whatsapp.net") for p in phones]


class Reports:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def update(self, body: dict[str, Any]) -> None:
        self.bodies.append(body)

    @property
    def last(self) -> dict[str, Any]:
        return self.bodies[-1]["status"]


class Rig:
    def __init__(self, tmp_path: Path, *, in_process: bool = True, **env: str) -> None:
        self.log: list[str] = []
        self.backends: list[ScriptedBackend] = []
        self.reports = Reports()
        config = load_config({"SESSION_NAME": "s", "SESSION_NAMESPACE": "n", "INTERNAL_TOKEN": "t" * 20,
                              "BACKEND": "simulated", "SIMULATOR_URL": "http://sim", "POD_IP": "10.0.0.9",
                              "STATE_DIR": str(tmp_path), "QR_MAX_ATTEMPTS": "2", **env})

        def factory() -> ScriptedBackend:
            backend = ScriptedBackend(self.log, in_process=in_process)
            self.backends.append(backend)
            return backend

        self.session = Session(config, factory, self.reports)  # type: ignore[arg-type]
        self.task = asyncio.get_running_loop().create_task(self.session.run())

    async def started(self) -> None:
        await until(lambda: self.session.ready)

    async def emit(self, event: ev.Event) -> None:
        backend = self.backends[-1]
        if backend.emit is None:
            raise AssertionError("backend not started")
        backend.emit(event)
        await asyncio.sleep(0.01)

    async def close(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def until(check: Callable[[], object], timeout: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


def scenario(tmp_path: Path, body: Callable[[Rig], Awaitable[None]], **kwargs: Any) -> None:
    async def main() -> None:
        rig = Rig(tmp_path, **kwargs)
        try:
            await rig.started()
            await body(rig)
        finally:
            await rig.close()

    asyncio.run(main())


def test_reports_start_qr_and_connected_with_the_endpoint(tmp_path: Path) -> None:
    async def body(rig: Rig) -> None:
        assert rig.reports.last["state"] == "STARTING" and rig.reports.last["endpoint"] == "10.0.0.9:8080"
        await rig.emit(ev.QrCode("2@a,b,c,d"))
        assert rig.reports.last["qr"]["attempt"] == 1
        await rig.emit(ev.Connected("5511", "Ana"))
        assert (rig.reports.last["state"], rig.reports.last["phone"], rig.reports.last["qr"]) == (
            "CONNECTED", "5511", None)
        sent = await rig.session.send(TextMessage(to="5511922223333", text="x"))
        assert sent.to == "5511922223333@s.whatsapp.net"

    scenario(tmp_path, body)


def test_autoclose_stops_the_backend_marks_the_volume_and_asks_to_exit_zero(tmp_path: Path) -> None:
    async def body(rig: Rig) -> None:
        for code in ("q1", "q2", "q3"):
            await rig.emit(ev.QrCode(code))
        await until(rig.session.exit_requested.done)
        assert rig.session.exit_requested.result() == 0
        assert rig.reports.last["status"] == "autocloseCalled" and rig.log == ["start", "stop"]
        assert autoclose_marker.read(tmp_path) is not None

    scenario(tmp_path, body)


def test_logout_unlinks_wipes_and_idles(tmp_path: Path) -> None:
    async def body(rig: Rig) -> None:
        await rig.emit(ev.Connected("5511", "Ana"))
        assert await rig.session.logout() is True
        assert rig.log == ["start", "logout", "stop", "wipe"]
        assert (rig.reports.last["state"], rig.reports.last["status"], rig.reports.last["phone"]) == (
            "DISCONNECTED", "notLogged", None)
        with pytest.raises(BackendError) as refused:
            await rig.session.send(TextMessage(to="5511922223333", text="x"))
        assert refused.value.status == 409

    scenario(tmp_path, body)


def test_restart_token_starts_a_new_backend_and_ignores_the_old_one(tmp_path: Path) -> None:
    async def body(rig: Rig) -> None:
        await rig.emit(ev.Connected("5511", "Ana"))
        old = rig.backends[-1]
        await rig.session.restart()
        assert rig.log == ["start", "logout", "stop", "wipe", "start"] and len(rig.backends) == 2
        assert rig.reports.last["state"] == "STARTING"
        if old.emit is None:
            raise AssertionError("old backend never started")
        old.emit(ev.Connected("5511", "Ana"))  # late event of the replaced backend
        await asyncio.sleep(0.02)
        assert rig.reports.last["state"] == "STARTING"
        await rig.emit(ev.QrCode("new"))
        assert (rig.reports.last["qr"]["code"], rig.reports.last["qr"]["attempt"]) == ("new", 1)

    scenario(tmp_path, body)


def test_restart_of_a_backend_that_cannot_restart_in_process_exits_zero(tmp_path: Path) -> None:
    async def body(rig: Rig) -> None:
        await rig.session.restart()
        assert rig.session.exit_requested.result() == 0 and rig.log == ["start", "stop", "wipe"]

    scenario(tmp_path, body, in_process=False)


def test_pairing_phone_requests_a_code_at_the_first_qr(tmp_path: Path) -> None:
    async def body(rig: Rig) -> None:
        await rig.emit(ev.QrCode("q1"))
        await until(lambda: rig.reports.last["state"] == "GETCODE")
        assert rig.log == ["start", "pair 5511999998888"] and rig.reports.last["pairingCode"] == "ABCD-EFGH"
        with pytest.raises(BackendError):
            await rig.session.send(TextMessage(to="5511922223333", text="x"))

    scenario(tmp_path, body, PAIRING_PHONE="5511999998888")


def test_connection_failure_asks_to_exit_one(tmp_path: Path) -> None:
    async def body(rig: Rig) -> None:
        await rig.emit(ev.ConnectionFailed("dns"))
        await until(rig.session.exit_requested.done)
        assert rig.session.exit_requested.result() == 1 and rig.reports.last["state"] == "ERROR"

    scenario(tmp_path, body)


def test_a_lost_connection_must_come_back_in_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "RECONNECT_GRACE_SECONDS", 0.1)

    async def body(rig: Rig) -> None:
        await rig.emit(ev.Connected("5511", "Ana"))
        await rig.emit(ev.ConnectionLost("blip"))
        assert rig.reports.last["state"] == "CONNECTING"
        await rig.emit(ev.Connected("5511", "Ana"))
        await asyncio.sleep(0.2)
        assert not rig.session.exit_requested.done() and rig.reports.last["state"] == "CONNECTED"
        await rig.emit(ev.ConnectionLost("gone"))
        await until(rig.session.exit_requested.done)
        assert rig.session.exit_requested.result() == 1 and rig.reports.last["state"] == "ERROR"

    scenario(tmp_path, body)


def test_shutdown_reports_close_and_removes_the_endpoint(tmp_path: Path) -> None:
    async def body(rig: Rig) -> None:
        await rig.emit(ev.Connected("5511", "Ana"))
        await rig.session.shutdown(stop_timeout=1.0)
        assert (rig.reports.last["state"], rig.reports.last["status"], rig.reports.last["endpoint"]) == (
            "CLOSE", "browserClose", None)
        assert rig.log[-1] == "stop" and rig.session.ready is False

    scenario(tmp_path, body)
