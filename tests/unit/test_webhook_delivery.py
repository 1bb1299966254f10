"""Webhook signing, SSRF rules, backoff, the SQLite outbox, URL cache and the dispatcher."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from mywhatsapp.sessionpod import events as ev
from mywhatsapp.sessionpod import status as st
from mywhatsapp.sessionpod import webhooks as wh
from mywhatsapp.sessionpod.webhook_outbox import Outbox

PUBLIC = "93.184.216.34"


# --- signature ----------------------------------------------------------------
def test_signature_is_hmac_sha256_of_the_exact_body() -> None:
    body = b'{"a":1}'
    expected = "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert wh.signature("k", body) == expected
    assert wh.verify("k", body, expected) and not wh.verify("k", body + b" ", expected)
    headers = wh.headers_for("k", body, event="QRCODE", delivery="d-1", now=1700000000.5)
    assert headers["X-Mywhatsapp-Signature"] == expected
    assert (headers["X-Mywhatsapp-Event"], headers["X-Mywhatsapp-Delivery"], headers["X-Mywhatsapp-Timestamp"]) == (
        "QRCODE", "d-1", "1700000000")


# --- backoff ------------------------------------------------------------------
def test_backoff_doubles_from_one_second_is_capped_and_jittered() -> None:
    top = [wh.backoff(n, rand=lambda a, b: b) for n in range(1, 12)]
    assert top[:5] == [1, 2, 4, 8, 16] and max(top) == 300 and top[-1] == 300
    low = [wh.backoff(n, rand=lambda a, b: a) for n in (1, 2, 20)]
    assert low == [0.5, 1, 150]
    assert all(0.5 <= wh.backoff(1) <= 1.0 for _ in range(100))
    assert wh.backoff(10_000) <= 300


# --- SSRF ---------------------------------------------------------------------
@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "224.0.0.1", "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1",
                                     "100.64.0.1", "240.0.0.1"])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not wh.address_allowed(address)


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert wh.address_allowed(address)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://x", "http:///nohost",
                                 "https://user:pw@example.com/"])
def test_only_plain_http_and_https_urls(url: str) -> None:
    with pytest.raises(wh.UrlRefused):
        wh.check_url(url)


def _resolver(*addresses: str) -> wh.Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)
    return resolve


def test_pinning_checks_every_resolved_address_and_connects_to_the_checked_one() -> None:
    async def main() -> None:
        target, host = await wh.pinned_target("https://hooks.example.com:8443/in?x=1", allow_private=False,
                                              resolver=_resolver(PUBLIC))
        assert (target, host) == (f"https://{PUBLIC}:8443/in?x=1", "hooks.example.com:8443")
        with pytest.raises(wh.UrlRefused):  # one private address among public ones is enough to refuse
            await wh.pinned_target("http://rebind.example.com/", allow_private=False,
                                   resolver=_resolver(PUBLIC, "10.0.0.5"))
        with pytest.raises(wh.UrlRefused):
            await wh.pinned_target("http://127.0.0.1:9/", allow_private=False, resolver=wh.resolve)
        target, _ = await wh.pinned_target("http://localhost:9/x", allow_private=True,
                                           resolver=_resolver("::1"))
        assert target == "http://[::1]:9/x"

    asyncio.run(main())


# --- URLs from the CR -------------------------------------------------------------
def test_targets_from_the_cr() -> None:
    cr = {"metadata": {"name": "loja-h1", "annotations": {"mywhatsapp.io/session-name": "Loja 1"}},
          "spec": {"sessionName": "ignored", "webhooks": {"message": "https://a/m", "qrcode": "",
                                                          "signingSecretRef": {"name": "s"}}}}
    assert wh.targets_of(cr, cr_name="loja-h1") == wh.Targets("Loja 1", {"message": "https://a/m"})
    assert wh.targets_of({"metadata": {"name": "x"}, "spec": {"sessionName": "Seed"}}, cr_name="x").session_name == "Seed"
    assert wh.targets_of({}, cr_name="plain") == wh.Targets("plain", {})


class FakeReader:
    def __init__(self) -> None:
        self.url = "https://a/1"
        self.fail = False
        self.calls = 0

    async def get_session(self) -> dict[str, Any]:
        self.calls += 1
        if self.fail:
            raise RuntimeError("API down")
        return {"metadata": {"name": "s"}, "spec": {"webhooks": {"message": self.url}}}


def test_the_cr_is_read_at_most_every_ten_seconds_and_the_last_good_read_is_kept() -> None:
    async def main() -> None:
        now = [100.0]
        reader = FakeReader()
        cache = wh.TargetCache(reader, cr_name="s", clock=lambda: now[0])
        assert (await cache.get()).urls["message"] == "https://a/1"
        reader.url = "https://a/2"
        now[0] += 9.9
        assert (await cache.get()).urls["message"] == "https://a/1" and reader.calls == 1
        now[0] += 0.2
        assert (await cache.get()).urls["message"] == "https://a/2" and reader.calls == 2
        reader.fail = True
        now[0] += 10
        assert (await cache.get()).urls["message"] == "https://a/2" and reader.calls == 3

    asyncio.run(main())


# --- outbox and dispatcher --------------------------------------------------------
def test_the_outbox_survives_reopening(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "w.db")
    first = box.enqueue("message", "RECEIVE_MESSAGE", {"id": 1}, now=1.0)
    box.enqueue("message", "RECEIVE_MESSAGE", {"id": 2}, now=2.0)
    box.close()
    again = Outbox(tmp_path / "w.db")
    drafts = again.drafts()
    assert [(r.id, json.loads(r.body)["id"]) for r in drafts[:1]] == [(first, 1)] and len(drafts) == 2
    again.assign(drafts[0].seq, "https://a/", '{"x":1}')
    assert again.head("https://a/").id == first and again.urls() == ["https://a/"]
    again.drop(drafts[0].seq, "expired")
    assert again.counter("expired") == 1 and again.pending() == 1
    again.close()


class Receiver:
    """An httpx MockTransport that fails the first ``fail`` requests."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail > 0:
            self.fail -= 1
            return httpx.Response(503)
        return httpx.Response(204)


def _rig(tmp_path: Path, receiver: Receiver, *, url: str = "https://hooks.example.com/wh",
         allow_private: bool = False, **kwargs: Any) -> tuple[Outbox, wh.Dispatcher, wh.WebhookEvents, FakeReader]:
    reader = FakeReader()
    reader.url = url
    outbox = Outbox(tmp_path / "webhooks.db")
    client = httpx.AsyncClient(transport=httpx.MockTransport(receiver))
    dispatcher = wh.Dispatcher(outbox, wh.TargetCache(reader, cr_name="s"), signing_key="key",
                               allow_private=allow_private, resolver=_resolver(PUBLIC), client=client, **kwargs)
    return outbox, dispatcher, wh.WebhookEvents(outbox, dispatcher), reader


def _message(i: int) -> ev.IncomingMessage:
    return ev.IncomingMessage(id=f"M{i}", chat="5511999990002", sender="5511999990002", kind="text",
                              content={"text": str(i)}, timestamp=1.0)


async def _until(check: Any, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


def test_retries_keep_order_and_the_same_delivery_id(tmp_path: Path) -> None:
    async def main() -> None:
        receiver = Receiver(fail=2)
        outbox, dispatcher, events, _ = _rig(tmp_path, receiver, backoff_start=0.01, backoff_max=0.05)
        dispatcher.start()
        events.chat_event(_message(1))
        events.chat_event(_message(2))
        await _until(lambda: outbox.pending() == 0)
        await dispatcher.stop()
        ids = [json.loads(r.content)["id"] for r in receiver.requests]
        assert ids == ["M1", "M1", "M1", "M2"]
        assert len({r.headers["X-Mywhatsapp-Delivery"] for r in receiver.requests[:3]}) == 1
        request = receiver.requests[-1]
        assert request.url.host == PUBLIC and request.headers["Host"] == "hooks.example.com"
        assert request.extensions["sni_hostname"] == "hooks.example.com"
        assert wh.verify("key", request.content, request.headers["X-Mywhatsapp-Signature"])
        assert request.headers["X-Mywhatsapp-Event"] == "RECEIVE_MESSAGE"
        outbox.close()

    asyncio.run(main())


def test_old_events_are_dropped_and_counted(tmp_path: Path) -> None:
    async def main() -> None:
        receiver = Receiver(fail=10**6)
        outbox, dispatcher, events, _ = _rig(tmp_path, receiver, backoff_start=0.01, backoff_max=0.02,
                                             max_age=0.2)
        dispatcher.start()
        events.chat_event(_message(1))
        await _until(lambda: outbox.pending() == 0)
        await dispatcher.stop()
        assert outbox.counter("expired") == 1 and len(receiver.requests) >= 2
        outbox.close()

    asyncio.run(main())


def test_private_targets_are_refused_unless_allowed(tmp_path: Path) -> None:
    async def main() -> None:
        receiver = Receiver()
        outbox, dispatcher, events, _ = _rig(tmp_path, receiver, url="http://127.0.0.1:9/wh")
        dispatcher._resolver = wh.resolve
        dispatcher.start()
        events.chat_event(_message(1))
        await _until(lambda: outbox.pending() == 0)
        await dispatcher.stop()
        assert receiver.requests == [] and outbox.counter("refused") == 1
        outbox.close()

    asyncio.run(main())


def test_events_without_a_url_are_not_kept_and_pending_ones_survive_a_restart(tmp_path: Path) -> None:
    async def main() -> None:
        receiver = Receiver(fail=10**6)
        outbox, dispatcher, events, _ = _rig(tmp_path, receiver, backoff_start=0.01, backoff_max=0.02)
        dispatcher.start()
        events.chat_event(ev.IncomingCall("C", "5511", False, 1.0))  # no incomingCall URL
        events.chat_event(_message(1))
        await _until(lambda: len(receiver.requests) >= 1)
        await dispatcher.stop()
        assert outbox.pending() == 1
        outbox.close()

        receiver2 = Receiver()
        outbox2, dispatcher2, _, _ = _rig(tmp_path, receiver2)
        dispatcher2.start()
        await _until(lambda: outbox2.pending() == 0)
        await dispatcher2.stop()
        assert [json.loads(r.content)["id"] for r in receiver2.requests] == ["M1"]
        outbox2.close()

    asyncio.run(main())


def test_connect_webhooks_fire_on_state_changes_only(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "w.db")
    events = wh.WebhookEvents(outbox, clock=lambda: 5.0)
    events.status(st.starting())
    events.status(st.qr_code("CODE", 1, 5, None))
    events.status(st.connecting())
    connected = st.SessionStatus(st.State.CONNECTED, st.Status.IN_CHAT, "ok", phone="5511999990001")
    events.status(connected)
    events.status(connected)
    events.status(st.starting(), force_connect=True)
    kinds = [(r.kind, json.loads(r.body)["state"]) for r in outbox.drafts()]
    assert kinds == [("qrcode", "QRCODE"), ("connect", "CONNECTED"), ("connect", "STARTING")]
    outbox.close()
