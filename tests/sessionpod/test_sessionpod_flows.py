"""The session pod against the real simulator, with a stub API server for its status.

Each test runs real processes: ``mywhatsapp-simulator`` (QR codes living 3 s,
then 1 s) and one or two ``mywhatsapp-sessionpod`` with the simulated backend.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.sessionpod.harness import Pod, Simulator, StatusSink, free_port, wait_for

PHONE_A = "5511999990001"
PHONE_B = "5511999990002"


def _connected(status: dict[str, Any]) -> bool:
    return status.get("state") == "CONNECTED" and status.get("status") == "inChat"


def link(pod: Pod, phone: str, simulator: Simulator, sink: StatusSink) -> dict[str, Any]:
    """Scan the pod's current QR code with ``phone`` and wait for CONNECTED.

    Like a person with a phone, scan again when the code rotated just before the scan (409).
    """
    deadline = time.monotonic() + 20
    refused: list[str] = []
    while time.monotonic() < deadline:
        shown = sink.wait(pod.name, lambda s: bool(s.get("qr")) and s["qr"]["code"] not in refused,
                          timeout=20, what=f"a QR code from {pod.name}")
        assert shown["state"] == "QRCODE" and shown["status"] == "qrRead"
        answer = simulator.scan(phone, shown["qr"]["code"])
        if answer.status_code == 200:
            return sink.wait(pod.name, _connected, timeout=20, what=f"{pod.name} CONNECTED")
        assert answer.status_code == 409 and "expired" in answer.json()["error"], answer.text
        refused.append(shown["qr"]["code"])
    raise AssertionError(f"could not scan a QR code of {pod.name} in time (refused: {len(refused)})")


def test_qr_scan_connects_and_a_restarted_pod_reconnects_without_qr(
    start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink
) -> None:
    pod = start_pod("alpha", DEVICE_NAME="Alpha-Device")
    first_qr = sink.wait("alpha", lambda s: bool(s.get("qr")), timeout=20, what="the first QR code")
    code = first_qr["qr"]["code"]
    ref, *keys = code.split(",")
    assert ref.startswith("2@") and len(keys) == 3
    assert first_qr["qr"]["attempt"] == 1 and first_qr["qr"]["expiresAt"].endswith("Z")
    assert first_qr["endpoint"] == f"127.0.0.1:{pod.port}"

    linked = simulator.scan(PHONE_A, code, pushName="Alice").json()
    assert linked["name"] == "Alpha-Device"
    status = sink.wait("alpha", _connected, timeout=20, what="CONNECTED")
    assert status["phone"] == PHONE_A and status["pushName"] == "Alice"
    assert "qr" not in status

    assert pod.terminate() == 0
    closed = sink.status("alpha")
    assert (closed["state"], closed["status"]) == ("CLOSE", "browserClose")
    assert "endpoint" not in closed

    patches_before = len(sink.history("alpha"))
    again = start_pod("alpha")
    status = sink.wait("alpha", _connected, timeout=20, what="CONNECTED again after the restart")
    assert status["phone"] == PHONE_A and status["endpoint"] == f"127.0.0.1:{again.port}"
    after_restart = sink.history("alpha")[patches_before:]
    assert after_restart and not any(patch.get("qr") for patch in after_restart)
    assert [d["deviceId"] for d in simulator.http.get(f"/phones/{PHONE_A}/devices").json()["devices"]] == [
        linked["deviceId"]
    ]


def test_unscanned_qr_codes_autoclose_and_the_process_exits_zero(
    start_pod: Callable[..., Pod], sink: StatusSink
) -> None:
    pod = start_pod("idle", QR_MAX_ATTEMPTS=2, VIEW_QRCODE_TERMINAL=1)
    assert pod.wait_exit(timeout=30) == 0
    assert pod.log().count("█" * 7) >= 2  # each QR code was printed to the log (finder patterns)
    status = sink.status("idle")
    assert (status["state"], status["status"]) == ("CLOSE", "autocloseCalled")
    assert "qr" not in status
    attempts = [patch["qr"]["attempt"] for patch in sink.history("idle") if patch.get("qr")]
    assert attempts == [1, 2]


def test_restart_of_an_autoclosed_container_stays_idle(
    start_pod: Callable[..., Pod], sink: StatusSink
) -> None:
    pod = start_pod("held", QR_MAX_ATTEMPTS=1, POD_UID="uid-1")
    assert pod.wait_exit(timeout=30) == 0
    patches = len(sink.history("held"))
    same_pod = start_pod("held", QR_MAX_ATTEMPTS=1, POD_UID="uid-1")
    assert same_pod.call("GET", "/v1/status").json()["running"] is False
    assert same_pod.terminate() == 0
    assert sink.status("held")["status"] == "autocloseCalled"
    assert len(sink.history("held")) == patches  # the held container reported nothing
    new_pod = start_pod("held", QR_MAX_ATTEMPTS=1, POD_UID="uid-2")
    sink.wait("held", lambda s: bool(s.get("qr")), timeout=20, what="a new QR code in a new pod")
    assert new_pod.terminate() == 0


def test_logout_unlinks_the_device_and_wipes_the_login(
    start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink, tmp_path: Path
) -> None:
    pod = start_pod("leaver")
    link(pod, PHONE_A, simulator, sink)
    assert (tmp_path / "state" / "leaver" / "simulated-device.json").exists()
    answer = pod.call("POST", "/v1/logout")
    assert answer.status_code == 200 and answer.json()["unlinked"] is True
    status = sink.wait("leaver", lambda s: s.get("state") == "DISCONNECTED", timeout=10, what="DISCONNECTED")
    assert status["status"] == "notLogged" and "phone" not in status
    assert simulator.http.get(f"/phones/{PHONE_A}/devices").json()["devices"] == []
    assert not (tmp_path / "state" / "leaver" / "simulated-device.json").exists()
    assert pod.call("POST", "/v1/messages/text", json={"to": PHONE_B, "text": "hi"}).status_code == 409


def test_unlinking_from_the_phone_logs_the_session_out(
    start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink
) -> None:
    pod = start_pod("unlinked")
    link(pod, PHONE_A, simulator, sink)
    device = simulator.http.get(f"/phones/{PHONE_A}/devices").json()["devices"][0]
    assert simulator.http.delete(f"/phones/{PHONE_A}/devices/{device['deviceId']}").status_code == 200
    status = sink.wait("unlinked", lambda s: s.get("state") == "DISCONNECTED", timeout=10, what="DISCONNECTED")
    assert status["status"] == "notLogged"
    assert pod.call("GET", "/v1/status").json()["running"] is False


def test_restart_token_starts_a_new_login_with_a_new_qr(
    start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink
) -> None:
    pod = start_pod("fresh")
    link(pod, PHONE_A, simulator, sink)
    answer = pod.call("POST", "/v1/restart")
    assert answer.status_code == 200
    status = sink.wait("fresh", lambda s: bool(s.get("qr")), timeout=20, what="a QR code after restartToken")
    assert status["qr"]["attempt"] == 1 and "phone" not in status
    assert simulator.http.get(f"/phones/{PHONE_A}/devices").json()["devices"] == []
    link(pod, PHONE_B, simulator, sink)
    assert sink.status("fresh")["phone"] == PHONE_B


def test_a_message_from_session_a_arrives_at_session_b_with_receipts(
    start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink
) -> None:
    pod_a, pod_b = start_pod("sender"), start_pod("receiver")
    link(pod_a, PHONE_A, simulator, sink)
    link(pod_b, PHONE_B, simulator, sink)

    numbers = pod_a.call("POST", "/v1/numbers/check", json={"phones": [PHONE_B, "5511000000000"]}).json()
    assert [r["exists"] for r in numbers["results"]] == [True, False]

    sent = pod_a.call("POST", "/v1/messages/text", json={"to": PHONE_B, "text": "Olá B"})
    assert sent.status_code == 200, sent.text
    message_id = sent.json()["id"]

    def arrived() -> dict[str, Any] | None:
        events = pod_b.call("GET", "/v1/events").json()["events"]
        return next((e for e in events if e["type"] == "message" and e["id"] == message_id), None)

    message = wait_for(arrived, timeout=10, what="the message at session B")
    assert message["chat"] == PHONE_A and message["content"]["text"] == "Olá B" and message["fromMe"] is False

    def receipt(kind: str) -> dict[str, Any] | None:
        events = pod_a.call("GET", "/v1/events").json()["events"]
        return next((e for e in events if e["type"] == "receipt" and e["receiptType"] == kind
                     and e["ids"] == [message_id]), None)

    delivered = wait_for(lambda: receipt("delivered"), timeout=10, what="a delivered receipt at session A")
    assert delivered["chat"] == PHONE_B
    assert pod_b.call("POST", "/v1/read", json={"chat": PHONE_A, "ids": [message_id]}).status_code == 200
    wait_for(lambda: receipt("read"), timeout=10, what="a read receipt at session A")

    inbox = simulator.http.get(f"/phones/{PHONE_B}/messages").json()["messages"]
    assert [(m["id"], m["status"]) for m in inbox] == [(message_id, "read")]


def test_a_phone_messages_and_calls_a_session(
    start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink
) -> None:
    pod = start_pod("callee")
    link(pod, PHONE_A, simulator, sink)
    simulator.http.put(f"/phones/{PHONE_B}", json={"pushName": "Bob"})
    sent = simulator.http.post(f"/phones/{PHONE_B}/messages", json={"to": PHONE_A, "text": "ping"}).json()
    call = simulator.http.post(f"/phones/{PHONE_B}/calls", json={"to": PHONE_A, "isVideo": True}).json()

    def seen() -> list[dict[str, Any]] | None:
        events = pod.call("GET", "/v1/events").json()["events"]
        return events if len(events) >= 2 else None

    message, incoming_call = wait_for(seen, timeout=10, what="the message and the call")[:2]
    assert (message["type"], message["id"], message["pushName"]) == ("message", sent["id"], "Bob")
    assert message["content"] == {"text": "ping"}
    assert (incoming_call["type"], incoming_call["callId"], incoming_call["isVideo"]) == ("call", call["callId"], True)
    assert incoming_call["caller"] == PHONE_B


def test_internal_api_needs_the_token(start_pod: Callable[..., Pod]) -> None:
    pod = start_pod("guarded")
    bare = pod.http.base_url
    import httpx

    with httpx.Client(base_url=bare, timeout=10) as anonymous:
        assert anonymous.get("/healthz").status_code == 200
        assert anonymous.get("/readyz").status_code == 200
        for method, path in [("GET", "/v1/status"), ("POST", "/v1/logout"), ("POST", "/v1/restart"),
                             ("POST", "/v1/messages/text"), ("GET", "/no/such/route")]:
            assert anonymous.request(method, path).status_code == 401, path
            wrong = anonymous.request(method, path, headers={"Authorization": "Bearer " + "x" * 32})
            assert wrong.status_code == 401, path
    assert pod.call("GET", "/v1/status").status_code == 200
    assert pod.call("POST", "/v1/messages/sticker", json={}).status_code == 404
    assert pod.call("POST", "/v1/messages/text", json={"to": "nobody", "text": "x"}).status_code == 400


def test_sigterm_ends_the_pod_in_time_even_when_whatsapp_hangs(
    start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink
) -> None:
    pod = start_pod("frozen", STOP_TIMEOUT_SECONDS=6)
    link(pod, PHONE_A, simulator, sink)
    simulator.process.send_signal(signal.SIGSTOP)  # the "servers" stop answering mid-connection
    try:
        started = time.monotonic()
        code = pod.terminate(timeout=15)
        elapsed = time.monotonic() - started
    finally:
        simulator.process.send_signal(signal.SIGCONT)
    assert code == 0 and elapsed < 6.5
    assert (sink.status("frozen")["state"], sink.status("frozen")["status"]) == ("CLOSE", "browserClose")


def test_sigterm_with_the_api_server_down_exits_before_the_watchdog(
    simulator: Simulator, tmp_path: Path
) -> None:
    dead_api = f"http://127.0.0.1:{free_port()}"
    pod = Pod(name="orphan", state_dir=tmp_path / "orphan", simulator_url=simulator.url, sink_url=dead_api,
              log_path=tmp_path / "orphan.log", STOP_TIMEOUT_SECONDS="4")
    try:
        wait_for(lambda: pod.call("GET", "/v1/status").json()["qrAttempts"] >= 1, timeout=20,
                 what="a QR code (reported into the void)")
        started = time.monotonic()
        assert pod.terminate(timeout=15) == 0
        elapsed = time.monotonic() - started
    finally:
        pod.close()
    assert elapsed < 4.0, elapsed
    assert "exiting hard" not in pod.log() and "status patch failed" in pod.log()
