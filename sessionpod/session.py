"""The session: runs one backend, follows the lifecycle rules, reports the status.

Backend events go through a queue and are handled one at a time under a lock
that the API operations (logout, restart, pair) share, so an operation never
interleaves with an event. Events from a backend that was already replaced
(restart) or stopped are dropped. Reporting is ``StatusReporter.update``, which
never waits for the API server.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from mywhatsapp.sessionpod import autoclose_marker, terminal_qr
from mywhatsapp.sessionpod import events as ev
from mywhatsapp.sessionpod import status as st
from mywhatsapp.sessionpod.backend import Backend, BackendError, NumberInfo, SentMessage
from mywhatsapp.sessionpod.config import PodConfig
from mywhatsapp.sessionpod.lifecycle import Action, Decision, Login, decide
from mywhatsapp.sessionpod.messages import OutgoingMessage, kind_of
from mywhatsapp.sessionpod.reporter import StatusReporter
from mywhatsapp.sessionpod.traffic import TrafficLog
from mywhatsapp.sessionpod.webhooks import WebhookEvents

log = logging.getLogger(__name__)

#: A connected session that lost its connection exits if not back within this.
RECONNECT_GRACE_SECONDS = 30.0


class Session:
    """One WhatsApp session inside the pod."""

    def __init__(
        self,
        config: PodConfig,
        backend_factory: Callable[[], Backend],
        reporter: StatusReporter,
        *,
        clock: Callable[[], float] = time.time,
        webhooks: WebhookEvents | None = None,
    ) -> None:
        self.config = config
        self._webhooks = webhooks
        self._new_backend = backend_factory
        self._reporter = reporter
        self._clock = clock
        self.current = st.starting()
        self.login = Login()
        self.traffic = TrafficLog()
        self.backend: Backend | None = None
        self._running = False
        self._generation = 0
        self._queue: asyncio.Queue[tuple[int, ev.Event]] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self._exit: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._reconnect_watch: asyncio.Task[None] | None = None
        self._endpoint: str | None = config.endpoint
        self.ready = False
        self._reported = False

    # --- reporting and exit -------------------------------------------------
    def _report(self, status: st.SessionStatus, *, connect_webhook: bool = False) -> None:
        self._reported = True
        self.current = status
        self._reporter.update(st.status_patch(status, endpoint=self._endpoint))
        log.info("status %s/%s: %s", status.state, status.status, status.message)
        if self._webhooks is not None:  # a durable local write; delivery is in the background
            self._webhooks.status(status, force_connect=connect_webhook)

    @property
    def exit_requested(self) -> asyncio.Future[int]:
        """Resolves with the exit code when the session wants the process to end."""
        return self._exit

    def _request_exit(self, code: int) -> None:
        if not self._exit.done():
            self._exit.set_result(code)

    # --- backend ------------------------------------------------------------
    async def _start_backend(self) -> None:
        self._generation += 1
        generation = self._generation
        self.backend = self._new_backend()
        self._running = True

        def emit(event: ev.Event) -> None:
            self._queue.put_nowait((generation, event))

        try:
            await self.backend.start(emit)
        except Exception as error:  # a backend that cannot even start: exit, Kubernetes retries
            log.exception("backend failed to start")
            emit(ev.ConnectionFailed(f"{type(error).__name__}: {error}"))

    async def _stop_backend(self) -> None:
        self._generation += 1  # drop whatever the old backend still says
        if self.backend is not None and self._running:
            self._running = False
            try:
                await self.backend.stop()
            except Exception as error:  # stopping is best effort; the login state stays
                log.warning("backend stop failed: %s", error)

    def _wipe(self) -> None:
        backend = self.backend or self._new_backend()
        backend.wipe()

    # --- main loop ----------------------------------------------------------
    async def run(self) -> None:
        """Start (unless auto-closed just before) and handle events until cancelled."""
        marker = autoclose_marker.read(self.config.state_dir)
        if autoclose_marker.holds(marker, pod_uid=self.config.pod_uid, now=self._clock()):
            log.warning("this pod auto-closed; waiting to be scaled down instead of logging in again")
            self.ready = True
            await asyncio.Event().wait()
        autoclose_marker.remove(self.config.state_dir)
        self._report(st.starting())
        async with self._lock:
            await self._start_backend()
        self.ready = True
        while True:
            generation, event = await self._queue.get()
            if generation != self._generation:
                continue
            async with self._lock:
                await self.handle(event)

    async def handle(self, event: ev.Event) -> None:
        """Apply the lifecycle decision for one backend event."""
        decision = decide(
            self.current,
            self.login,
            event,
            max_attempts=self.config.qr_max_attempts,
            pairing_phone=self.config.pairing_phone,
            now=self._clock(),
        )
        self.login = decision.login
        if decision.status is not None:
            self._report(decision.status)
            if decision.status.qr is not None and self.config.view_qr_terminal:
                print(terminal_qr.render(decision.status.qr.code), file=sys.stdout, flush=True)
        if isinstance(event, ev.Connected) and self._reconnect_watch is not None:
            self._reconnect_watch.cancel()
            self._reconnect_watch = None
        await self._carry_out(decision, event)

    async def _carry_out(self, decision: Decision, event: ev.Event) -> None:
        for action in decision.actions:
            if action is Action.RECORD and isinstance(event, ev.TRAFFIC):
                item = self.traffic.append(event)
                log.info("%s %s", item["type"], {k: v for k, v in item.items() if k != "content"})
                if self._webhooks is not None:
                    self._webhooks.chat_event(event)
            elif action is Action.AUTOCLOSE:
                autoclose_marker.write(self.config.state_dir, pod_uid=self.config.pod_uid)
                await self._stop_backend()
                self._request_exit(0)
            elif action is Action.IDLE:
                await self._stop_backend()
            elif action is Action.WIPE_AND_IDLE:
                await self._stop_backend()
                self._wipe()
            elif action is Action.EXIT_ERROR:
                self._request_exit(1)
            elif action is Action.REQUEST_PAIRING and self.config.pairing_phone:
                try:
                    await self._request_pairing(self.config.pairing_phone)
                except BackendError as error:
                    log.warning("could not get a pairing code: %s; showing QR codes", error)
            elif action is Action.WATCH_RECONNECT and self._reconnect_watch is None:
                self._reconnect_watch = asyncio.get_running_loop().create_task(self._watch_reconnect())

    async def _request_pairing(self, phone: str) -> str:
        if self.backend is None or not self._running:
            raise BackendError("the session is not running", status=409)
        code = await self.backend.pair_phone(phone)
        await self.handle(ev.PairingCode(code, phone))
        return code

    async def _watch_reconnect(self) -> None:
        await asyncio.sleep(RECONNECT_GRACE_SECONDS)
        async with self._lock:
            if not self.current.connected:
                self._report(st.failed(f"not reconnected within {RECONNECT_GRACE_SECONDS:.0f}s"))
                self._request_exit(1)

    # --- operations for the internal API -------------------------------------
    def view(self) -> dict[str, Any]:
        """The pod's own view of the session (``GET /v1/status``)."""
        return {
            **st.status_fields(self.current, endpoint=self._endpoint),
            "qrAttempts": self.login.qr_attempts,
            "backend": self.config.backend,
            "running": self._running,
            "lastEventSeq": self.traffic.last_seq,
        }

    async def logout(self) -> bool:
        """Unlink the device and wipe the login; True if the network confirmed the unlink."""
        async with self._lock:
            unlinked = False
            if self.backend is not None and self._running:
                try:
                    await self.backend.logout()
                    unlinked = True
                except BackendError as error:
                    log.warning("logout could not unlink the device: %s", error)
            await self._stop_backend()
            self._wipe()
            self.login = Login()
            self._report(st.logged_out("logged out through the API"))
            return unlinked

    async def restart(self) -> None:
        """restartToken: unlink and wipe the login, then start a new login (new QR codes)."""
        async with self._lock:
            if self.backend is not None and self._running and self.current.connected:
                try:
                    await self.backend.logout()
                except BackendError as error:
                    log.warning("restart could not unlink the device: %s", error)
            await self._stop_backend()
            self._wipe()
            self.login = Login()
            self._report(st.starting(), connect_webhook=True)  # the seed fires wh_connect on restartToken
            if self.backend is not None and not self.backend.restarts_in_process:
                self._request_exit(0)  # Kubernetes starts a fresh process, which shows a QR code
                return
            await self._start_backend()

    async def pair(self, phone: str) -> str:
        """Ask for a pairing code for ``phone`` (while waiting for a login)."""
        async with self._lock:
            if not self.current.waiting_for_login:
                raise BackendError("pairing needs a session that is waiting for a login", status=409)
            return await self._request_pairing(phone)

    def _connected_backend(self) -> Backend:
        if self.backend is None or not self._running or not self.current.connected:
            raise BackendError("the session is not connected", status=409)
        return self.backend

    async def send(self, message: OutgoingMessage) -> SentMessage:
        sent = await self._connected_backend().send(message)
        if self._webhooks is not None:
            self._webhooks.sent(message_id=sent.id, kind=kind_of(message), content=message.model_dump(exclude={"to"}),
                                to=sent.to, timestamp=sent.timestamp)
        return sent

    async def mark_read(self, chat: str, ids: Sequence[str]) -> None:
        await self._connected_backend().mark_read(chat, ids)

    async def check_numbers(self, phones: Sequence[str]) -> list[NumberInfo]:
        return await self._connected_backend().check_numbers(phones)

    async def shutdown(self, stop_timeout: float) -> None:
        """Report the final status and stop the backend (bounded by ``stop_timeout``)."""
        self.ready = False
        if self._reconnect_watch is not None:
            self._reconnect_watch.cancel()
        self._endpoint = None
        if self._reported:  # a container held after an auto-close said nothing and keeps quiet
            self._report(st.on_shutdown(self.current))
        try:
            await asyncio.wait_for(self._stop_backend(), stop_timeout)
        except TimeoutError:
            log.warning("backend did not stop within %.1fs", stop_timeout)
