"""Webhooks from a real session pod process to a local receiver (simulator + stub API server).

The stub API server serves the pod's own WhatsAppSession (``spec.webhooks``, the
SessionName annotation); the receiver checks signatures and can fail on purpose.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mywhatsapp.sessionpod.webhooks import verify

from tests.sessionpod.harness import (
    Pod,
    Simulator,
    StatusSink,
    WebhookReceiver,
    wait_for,
)
from tests.sessionpod.test_sessionpod_flows import PHONE_A, PHONE_B, link

KEY = "test-signing-key-0123456789"
SEED_NAME = "Loja Central"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


def _publish(sink: StatusSink, name: str, receiver: WebhookReceiver) -> None:
    sink.objects[name] = {
        "apiVersion": "mywhatsapp.io/v1alpha1",
        "kind": "WhatsAppSession",
        "metadata": {"name": name, "namespace": "test", "annotations": {"mywhatsapp.io/session-name": SEED_NAME}},
        "spec": {"webhooks": receiver.webhooks()},
    }


def _start(start_pod: Callable[..., Pod], name: str) -> Pod:
    return start_pod(name, WEBHOOK_SIGNING_KEY=KEY, WEBHOOK_ALLOW_PRIVATE="1")


def _messages(receiver: WebhookReceiver, message_id: str) -> list[dict[str, Any]]:
    return [b for b in receiver.bodies("/message") if b["id"] == message_id]


def test_a_message_from_a_phone_arrives_signed_with_qr_and_connect_webhooks(
    start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink, receiver: WebhookReceiver
) -> None:
    _publish(sink, "hooked", receiver)
    pod = _start(start_pod, "hooked")
    link(pod, PHONE_A, simulator, sink)
    simulator.http.put(f"/phones/{PHONE_B}", json={"pushName": "Bob"})
    sent = simulator.http.post(f"/phones/{PHONE_B}/messages", json={"to": PHONE_A, "text": "ping"}).json()

    wait_for(lambda: _messages(receiver, sent["id"]), timeout=15, what="the message webhook")
    [(headers, body, _)] = [(h, b, c) for h, b, c in receiver.seen("/message") if json.loads(b)["id"] == sent["id"]]
    assert verify(KEY, body, headers["X-Mywhatsapp-Signature"])
    assert not verify("another key", body, headers["X-Mywhatsapp-Signature"])
    assert headers["X-Mywhatsapp-Event"] == "RECEIVE_MESSAGE"
    assert headers["X-Mywhatsapp-Delivery"] and headers["X-Mywhatsapp-Timestamp"].isdigit()
    payload = json.loads(body)
    assert {k: payload[k] for k in ("SessionName", "wook", "status", "type", "fromMe", "from", "to", "name",
                                   "isGroup", "content")} == {
        "SessionName": SEED_NAME, "wook": "RECEIVE_MESSAGE", "status": "RECEIVED", "type": "text",
        "fromMe": False, "from": PHONE_B, "to": PHONE_A, "name": "Bob", "isGroup": False, "content": "ping"}

    qr = receiver.bodies("/qrcode")[0]
    assert (qr["wook"], qr["session"], qr["state"], qr["status"]) == ("QRCODE", SEED_NAME, "QRCODE", "qrRead")
    assert qr["qrcode"].startswith("data:image/png;base64,") and qr["urlCode"]
    connect = wait_for(lambda: receiver.bodies("/connect"), timeout=10, what="the connect webhook")[0]
    assert (connect["wook"], connect["SessionName"], connect["state"], connect["status"], connect["number"]) == (
        "STATUS_CONNECT", SEED_NAME, "CONNECTED", "inChat", PHONE_A)
    for headers, body, _ in receiver.seen("/qrcode") + receiver.seen("/connect"):
        assert verify(KEY, body, headers["X-Mywhatsapp-Signature"])


def test_a_failing_receiver_gets_each_event_once_after_retries_and_in_order(
    start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink, receiver: WebhookReceiver
) -> None:
    _publish(sink, "retry", receiver)
    pod = _start(start_pod, "retry")
    link(pod, PHONE_A, simulator, sink)
    receiver.fail["/message"] = 2
    first = simulator.http.post(f"/phones/{PHONE_B}/messages", json={"to": PHONE_A, "text": "one"}).json()
    second = simulator.http.post(f"/phones/{PHONE_B}/messages", json={"to": PHONE_A, "text": "two"}).json()

    wait_for(lambda: _messages(receiver, second["id"]), timeout=20, what="the second message after retries")
    attempts = [(json.loads(b)["id"], h["X-Mywhatsapp-Delivery"], code)
                for h, b, code in receiver.seen("/message", delivered_only=False)]
    assert [(i, code) for i, _, code in attempts] == [
        (first["id"], 500), (first["id"], 500), (first["id"], 200), (second["id"], 200)]
    assert len({d for i, d, _ in attempts if i == first["id"]}) == 1  # the same delivery id on each retry
    assert [b["content"] for b in receiver.bodies("/message")] == ["one", "two"]


def test_webhooks_pending_when_the_pod_stops_are_delivered_after_a_restart(
    start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink, receiver: WebhookReceiver
) -> None:
    _publish(sink, "durable", receiver)
    pod = _start(start_pod, "durable")
    link(pod, PHONE_A, simulator, sink)
    receiver.fail["/message"] = 10_000
    sent = simulator.http.post(f"/phones/{PHONE_B}/messages", json={"to": PHONE_A, "text": "kept"}).json()
    wait_for(lambda: receiver.seen("/message", delivered_only=False), timeout=15, what="a failed attempt")
    assert pod.terminate() == 0
    assert not _messages(receiver, sent["id"])

    receiver.fail["/message"] = 0
    restarted = _start(start_pod, "durable")
    [payload] = wait_for(lambda: _messages(receiver, sent["id"]), timeout=20, what="the kept message after restart")
    assert payload["content"] == "kept" and payload["SessionName"] == SEED_NAME
    sink.wait("durable", lambda s: s.get("state") == "CONNECTED", timeout=20, what="reconnected")
    assert restarted.process.poll() is None
