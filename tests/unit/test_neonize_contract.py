"""Contract tests of the neonize backend, offline.

Events are neonize protobufs built by hand and pushed through the client's
real dispatcher (``client.event.execute`` with a pointer and a size, as the Go
side calls it, from another thread); sends go through the client's real
``send_message`` with the Go handle (``NewAClient.__client``) replaced by a
fake that records what would have gone to the network.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import subprocess
import threading
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    # neonize's import runs os.popen("uname -a") and never waits for it: the Popen lands in
    # subprocess's list of unreaped children and its pipe is reported as unclosed whenever the
    # next subprocess reaps it. Import, reap and collect here, with that warning ignored.
    warnings.simplefilter("ignore", ResourceWarning)
    import neonize.aioze.client  # noqa: F401 - loads the Go library once, quietly

    subprocess.run(["true"], check=True)  # starting a process reaps finished children
    gc.collect()

from neonize.aioze import events as neonize_events
from neonize.events import EVENT_TO_INT
from neonize.proto import Neonize_pb2 as pb
from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import ExtendedTextMessage
from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import Message as WaMessage

from mywhatsapp.sessionpod import events as ev
from mywhatsapp.sessionpod import messages as m
from mywhatsapp.sessionpod.backend import BackendError
from mywhatsapp.sessionpod.neonize_backend import NeonizeBackend

ME = "5511999990000"
PEER = "5511988887777"


def user_jid(user: str) -> pb.JID:
    return pb.JID(User=user, Server="s.whatsapp.net")


class FakeGo:
    """Stands in for neonize's Go handle: records calls, answers like the Go side."""

    def __init__(self) -> None:
        self.sent: list[tuple[pb.JID, WaMessage]] = []
        self.logged_out = False
        self.uploads: list[bytes] = []

    async def GetMe(self, uuid: bytes) -> bytes:  # noqa: N802 - the Go function's name
        return pb.Device(JID=user_jid(ME), PushName="Loja").SerializePartialToString()

    async def SendMessage(self, uuid: bytes, to: bytes, to_size: int, message: bytes, size: int) -> bytes:  # noqa: N802
        self.sent.append((pb.JID.FromString(to[:to_size]), WaMessage.FromString(message[:size])))
        response = pb.SendResponse(ID=f"3EB0{len(self.sent):04d}", Timestamp=1_800_000_000)
        return pb.SendMessageReturnFunction(SendResponse=response).SerializePartialToString()

    async def IsOnWhatsApp(self, uuid: bytes, numbers: bytes, size: int) -> bytes:  # noqa: N802
        answers = [
            pb.IsOnWhatsAppResponse(Query=n, JID=user_jid(n.lstrip("+")), IsIn=n.endswith("7"))
            for n in numbers.decode().split(" ")
        ]
        return pb.IsOnWhatsAppReturnFunction(IsOnWhatsAppResponse=answers).SerializePartialToString()

    async def Logout(self, uuid: bytes) -> bytes:  # noqa: N802
        self.logged_out = True
        return b""

    async def PairPhone(self, uuid: bytes, payload: bytes, size: int) -> bytes:  # noqa: N802
        params = pb.PairPhoneParams.FromString(payload[:size])
        return pb.PairPhoneReturnFunction(Code=f"CODE-{params.phone[-4:]}").SerializePartialToString()

    async def Upload(self, uuid: bytes, data: bytes, size: int, media_type: int) -> bytes:  # noqa: N802
        self.uploads.append(bytes(data[:size]))
        upload = pb.UploadResponse(url="https://mmg.example/x", DirectPath="/x", FileLength=size,
                                   MediaKey=b"k" * 32, FileSHA256=b"s" * 32, FileEncSHA256=b"e" * 32)
        return pb.UploadReturnFunction(UploadResponse=upload).SerializePartialToString()


class Harness:
    def __init__(self, tmp_path: Path) -> None:
        self.received: list[ev.Event] = []
        self.changed = asyncio.Event()
        self.backend = NeonizeBackend(state_dir=tmp_path, device_name="Loja-1")
        self.client = self.backend.prepare(self._emit)
        self.go = FakeGo()
        self.client._NewAClient__client = self.go
        neonize_events.event_global_loop = asyncio.get_running_loop()

    def _emit(self, event: ev.Event) -> None:
        self.received.append(event)
        self.changed.set()

    def push(self, event: Any) -> None:
        """Deliver ``event`` as the Go side does: bytes at an address, from a foreign thread."""
        data = event.SerializePartialToString()
        buffer = ctypes.create_string_buffer(data, len(data))
        code = EVENT_TO_INT[type(event)]
        thread = threading.Thread(
            target=self.client.event.execute, args=(0, ctypes.addressof(buffer), len(data), code)
        )
        thread.start()
        thread.join()

    def push_qr(self, code: str) -> None:
        buffer = ctypes.create_string_buffer(code.encode())
        thread = threading.Thread(target=self.client._NewAClient__onQr, args=(0, ctypes.addressof(buffer)))
        thread.start()
        thread.join()

    async def next(self, count: int = 1) -> list[ev.Event]:
        async def enough() -> None:
            while len(self.received) < count:
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(enough(), 5.0)
        return self.received[-count:]


def run(tmp_path: Path, scenario: Callable[[Harness], Awaitable[None]]) -> None:
    async def main() -> None:
        await scenario(Harness(tmp_path))

    asyncio.run(main())


def test_qr_and_connected_events(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        h.push_qr("2@ref,AAA=,BBB=,CCC=")
        assert await h.next() == [ev.QrCode("2@ref,AAA=,BBB=,CCC=")]
        h.push(pb.Connected(status=True))
        assert await h.next(2) == [ev.QrCode("2@ref,AAA=,BBB=,CCC="), ev.Connected(ME, "Loja")]
        assert h.client.connected is True

    run(tmp_path, scenario)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (pb.LoggedOut(OnConnect=True, Reason=pb.ConnectFailureReason.Value("LOGGED_OUT")),
         ev.LoggedOut("logged out", True)),
        (pb.StreamReplaced(), ev.StreamReplaced()),
        (pb.ConnectFailure(Reason=pb.ConnectFailureReason.Value("SERVICE_UNAVAILABLE"), Message="down"),
         ev.ConnectionFailed("SERVICE_UNAVAILABLE: down")),
        (pb.Disconnected(status=True), ev.ConnectionLost("disconnected")),
        (pb.Receipt(MessageSource=pb.MessageSource(Chat=user_jid(PEER)), MessageIDs=["A", "B"],
                    Timestamp=7, Type=pb.Receipt.ReceiptType.Value("READ")),
         ev.Receipt(("A", "B"), PEER, "read", 7.0)),
        (pb.CallOffer(basicCallMeta=pb.BasicCallMeta(**{"from": user_jid(PEER)}, callID="C1", timestamp=9)),
         ev.IncomingCall("C1", PEER, False, 9.0)),
    ],
)
def test_connection_and_traffic_events_go_through_the_dispatcher(tmp_path: Path, event: Any,
                                                                 expected: ev.Event) -> None:
    async def scenario(h: Harness) -> None:
        h.push(event)
        assert await h.next() == [expected]

    run(tmp_path, scenario)


def test_temporary_ban_carries_its_expiry(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        h.push(pb.TemporaryBan(Code=pb.TemporaryBan.TempBanReason.Value("SEND_TO_TOO_MANY_PEOPLE"), Expire=3600))
        (banned,) = await h.next()
        assert isinstance(banned, ev.TemporaryBan) and banned.reason == "send to too many people"
        assert banned.expires_at is not None and banned.expires_at > 3600

    run(tmp_path, scenario)


@pytest.mark.parametrize(
    ("content", "kind", "expected"),
    [
        (WaMessage(conversation="oi"), "text", {"text": "oi"}),
        (WaMessage(extendedTextMessage=ExtendedTextMessage(text="veja https://x.y")), "text",
         {"text": "veja https://x.y"}),
    ],
)
def test_incoming_messages(tmp_path: Path, content: WaMessage, kind: str, expected: dict[str, Any]) -> None:
    async def scenario(h: Harness) -> None:
        info = pb.MessageInfo(
            MessageSource=pb.MessageSource(Chat=user_jid(PEER), Sender=user_jid(PEER), IsFromMe=False),
            ID="MSG1", Pushname="Bia", Timestamp=1_800_000_123,
        )
        h.push(pb.Message(Info=info, Message=content))
        (message,) = await h.next()
        assert message == ev.IncomingMessage("MSG1", PEER, PEER, kind, expected, False, 1_800_000_123.0, "Bia")

    run(tmp_path, scenario)


def test_sends_build_the_right_messages(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        sent = await h.backend.send(m.TextMessage(to=PEER, text="Olá"))
        assert (sent.id, sent.to) == ("3EB00001", f"{PEER}@s.whatsapp.net")
        await h.backend.send(m.LocationMessage(to=PEER, latitude=-23.5, longitude=-46.6, name="SP"))
        await h.backend.send(m.ContactMessage(to=PEER, displayName="Ana", vcard="BEGIN:VCARD\nEND:VCARD"))
        await h.backend.send(m.PollMessage(to="120363000000000001@g.us", name="Q?", options=["a", "b"]))
        await h.backend.send(m.ReactionMessage(to=PEER, messageId="MSG1", emoji="👍"))
        (to, text), (_, location), (_, contact), (group, poll), (_, reaction) = h.go.sent
        assert (to.User, to.Server) == (PEER, "s.whatsapp.net") and text == WaMessage(conversation="Olá")
        assert (location.locationMessage.degreesLatitude, location.locationMessage.name) == (-23.5, "SP")
        assert contact.contactMessage.displayName == "Ana"
        assert (group.Server, poll.pollCreationMessage.name) == ("g.us", "Q?")
        assert [o.optionName for o in poll.pollCreationMessage.options] == ["a", "b"]
        assert len(poll.messageContextInfo.messageSecret) == 32
        assert (reaction.reactionMessage.key.ID, reaction.reactionMessage.text) == ("MSG1", "👍")

    run(tmp_path, scenario)


def test_document_upload_then_send(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        import base64

        data = b"%PDF-1.4 minimal"
        await h.backend.send(m.DocumentMessage(to=PEER, base64=base64.b64encode(data).decode(),
                                               filename="nota.pdf", mimetype="application/pdf"))
        assert h.go.uploads == [data]
        (_, document), = h.go.sent
        assert (document.documentMessage.fileName, document.documentMessage.mimetype) == (
            "nota.pdf", "application/pdf")
        assert document.documentMessage.URL == "https://mmg.example/x"

    run(tmp_path, scenario)


def test_number_check_pairing_and_logout(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        found = await h.backend.check_numbers([PEER, "5511000000000"])
        assert [(n.phone, n.exists, n.jid) for n in found] == [
            (PEER, True, f"{PEER}@s.whatsapp.net"), ("5511000000000", False, None)]
        assert await h.backend.pair_phone("5511999998888") == "CODE-8888"
        h.backend.database.write_bytes(b"sqlite")
        await h.backend.logout()
        assert h.go.logged_out and not h.backend.database.exists()

    run(tmp_path, scenario)


def test_device_name_goes_into_the_device_props(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        assert h.client.device_props.os == "Loja-1"
        assert h.client.name == str(tmp_path / "neonize.db")

    run(tmp_path, scenario)


def test_requests_before_start_are_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        backend = NeonizeBackend(state_dir=tmp_path, device_name="x")
        with pytest.raises(BackendError):
            await backend.send(m.TextMessage(to=PEER, text="x"))

    asyncio.run(scenario())
