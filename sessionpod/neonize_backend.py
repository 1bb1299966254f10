"""The ``neonize`` backend: one whatsmeow connection through neonize's async client.

The login state is neonize's SQLite store, ``<STATE_DIR>/neonize.db``. Hazards
designed around (see ``docs/sessionpod.md``):

* ``get_me()`` before the connection is up aborts the process: it is called
  only from the Connected handler;
* a failed or ended connection is reported as ``ConnectionFailed`` and the pod
  exits (neonize's retries leak); Kubernetes restarts it;
* ``stop()`` may block ~20 s on a hung dial: the session bounds it and the
  shutdown watchdog hard-exits;
* the Go side cannot start a second client in the same process reliably, so a
  restart (restartToken) wipes the store and exits (``restarts_in_process``).

neonize is imported on first use (it loads a ~65 MB Go library).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mywhatsapp.sessionpod import events as ev
from mywhatsapp.sessionpod import messages as m
from mywhatsapp.sessionpod import neonize_messages as build
from mywhatsapp.sessionpod.backend import BackendError, EventSink, NumberInfo, SentMessage
from mywhatsapp.sessionpod.neonize_events import jid_text, translate
from mywhatsapp.sessionpod.neonize_groups import NeonizeGroups

log = logging.getLogger(__name__)

DATABASE_FILE = "neonize.db"
STOP_SECONDS = 8.0


class NeonizeBackend(NeonizeGroups):
    """``Backend`` over ``neonize.aioze.client.NewAClient`` (groups, profile, contacts: ``NeonizeGroups``)."""

    restarts_in_process = False

    def __init__(self, *, state_dir: Path, device_name: str) -> None:
        self._state_dir = state_dir
        self._device_name = device_name
        self.client: Any = None
        self._connection: asyncio.Task[Any] | None = None
        self._stopping = False

    @property
    def database(self) -> Path:
        return self._state_dir / DATABASE_FILE

    # --- setting up ---------------------------------------------------------
    def prepare(self, emit: EventSink) -> Any:
        """Create the client and subscribe to its events (no network; tests stop here)."""
        from neonize.aioze.client import NewAClient
        from neonize.proto import Neonize_pb2 as pb
        from neonize.proto.waCompanionReg.WACompanionReg_pb2 import DeviceProps

        self._state_dir.mkdir(parents=True, exist_ok=True)
        props = DeviceProps(os=self._device_name, platformType=DeviceProps.DESKTOP)
        client = NewAClient(str(self.database), props=props)

        async def on_qr(_: Any, data: bytes) -> None:
            emit(ev.QrCode(data.decode("utf-8", errors="replace")))

        async def on_connected(connected_client: Any, _: Any) -> None:
            try:
                me = await connected_client.get_me()  # safe: the connection is up
            except Exception as error:  # handler errors would vanish inside neonize's dispatcher
                log.exception("reading the connected account failed")
                emit(ev.ConnectionFailed(f"connected, but the account is unreadable: {error}"))
                return
            emit(ev.Connected(me.JID.User, me.PushName))

        async def forward(_: Any, event: Any) -> None:
            try:
                translated = translate(event)
            except Exception:  # handler errors would vanish inside neonize's dispatcher
                log.exception("could not understand a %s event", type(event).__name__)
                return
            if translated is not None:
                emit(translated)

        client.qr(on_qr)
        client.event(pb.Connected)(on_connected)
        for event_type in (pb.LoggedOut, pb.StreamReplaced, pb.TemporaryBan, pb.ConnectFailure,
                           pb.ClientOutdated, pb.StreamError, pb.Disconnected, pb.Message,
                           pb.Receipt, pb.CallOffer):
            client.event(event_type)(forward)
        self.client = client
        return client

    async def start(self, emit: EventSink) -> None:
        client = self.prepare(emit)
        self._connection = await client.connect()

        def ended(task: asyncio.Task[Any]) -> None:
            if self._stopping:
                return
            error = None if task.cancelled() else task.exception()
            emit(ev.ConnectionFailed(f"{type(error).__name__}: {error}" if error else "the connection ended"))

        self._connection.add_done_callback(ended)

    def _connected_client(self) -> Any:
        if self.client is None:
            raise BackendError("the WhatsApp client is not running", status=409)
        return self.client

    # --- lifecycle ----------------------------------------------------------
    async def stop(self) -> None:
        self._stopping = True
        if self.client is not None:
            try:
                await asyncio.wait_for(self.client.stop(), STOP_SECONDS)
            except TimeoutError:
                log.warning("neonize stop() did not return within %.0fs", STOP_SECONDS)

    async def logout(self) -> None:
        from neonize.exc import LogoutError

        try:
            await self._connected_client().logout()
        except LogoutError as error:
            raise BackendError(f"logout failed: {error}") from error
        finally:
            self.wipe()

    def wipe(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(self.database) + suffix).unlink(missing_ok=True)

    # --- requests -----------------------------------------------------------
    async def pair_phone(self, phone: str) -> str:
        from neonize.exc import PairPhoneError

        try:
            return str(await self._connected_client().PairPhone(phone, show_push_notification=True))
        except PairPhoneError as error:
            raise BackendError(f"pairing failed: {error}", status=409) from error

    async def build(self, message: m.OutgoingMessage) -> Any:
        """The protobuf ``Message`` for ``message`` (media is uploaded first)."""
        client = self._connected_client()
        if isinstance(message, m.TextMessage):
            return build.text(message)
        if isinstance(message, m.LocationMessage):
            return build.location(message)
        if isinstance(message, m.ContactMessage):
            return build.contact(message)
        if isinstance(message, m.PollMessage):
            return build.poll(message)
        if isinstance(message, m.ReactionMessage):
            return build.reaction(message)
        if isinstance(message, m.ImageMessage):
            return await client.build_image_message(message.data(), caption=message.caption or None)
        if isinstance(message, m.DocumentMessage):
            return await client.build_document_message(
                message.data(), caption=message.caption or None, filename=message.filename,
                title=message.filename, mimetype=message.mimetype,
            )
        if isinstance(message, m.AudioMessage):
            return await client.build_audio_message(message.data(), ptt=message.ptt)
        if isinstance(message, m.VideoMessage):
            return await client.build_video_message(message.data(), caption=message.caption or None)
        raise BackendError(f"cannot send {type(message).__name__} with neonize", status=400)

    async def send(self, message: m.OutgoingMessage) -> SentMessage:
        from neonize.exc import SendMessageError
        from neonize.utils.jid import build_jid

        client = self._connected_client()
        target = message.recipient
        proto = await self.build(message)
        try:
            if isinstance(message, m.TextMessage) and message.linkPreview:
                response = await client.send_message(build_jid(target.user, target.server), message.text,
                                                     link_preview=True)
            else:
                response = await client.send_message(build_jid(target.user, target.server), proto)
        except SendMessageError as error:
            raise BackendError(f"WhatsApp refused the message: {error}") from error
        return SentMessage(response.ID, float(response.Timestamp), target.jid)

    async def mark_read(self, chat: str, ids: Sequence[str]) -> None:
        from neonize.utils.enum import ReceiptType
        from neonize.utils.jid import build_jid

        target = m.recipient(chat)
        jid = build_jid(target.user, target.server)
        await self._connected_client().mark_read(*ids, chat=jid, sender=jid, receipt=ReceiptType.READ)

    async def check_numbers(self, phones: Sequence[str]) -> list[NumberInfo]:
        from neonize.exc import IsOnWhatsAppError

        try:
            answers = await self._connected_client().is_on_whatsapp(*[f"+{p}" for p in phones])
        except IsOnWhatsAppError as error:
            raise BackendError(f"number check failed: {error}") from error
        found = {a.Query.lstrip("+"): a for a in answers}
        results = []
        for phone in phones:
            answer = found.get(phone)
            exists = bool(answer and answer.IsIn)
            results.append(NumberInfo(phone, exists, f"{jid_text(answer.JID)}@s.whatsapp.net"
                                      if answer and exists and "@" not in jid_text(answer.JID) else None))
        return results
