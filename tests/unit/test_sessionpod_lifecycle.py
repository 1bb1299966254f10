"""The lifecycle rules: (status, event) → what to report and what to do."""

from __future__ import annotations

from mywhatsapp.common.vocabulary import State, Status
from mywhatsapp.sessionpod import events as ev
from mywhatsapp.sessionpod import status as st
from mywhatsapp.sessionpod.lifecycle import Action, Login, decide

NOW = 1_800_000_000.0


def run(events: list[ev.Event], *, max_attempts: int = 3, pairing_phone: str | None = None):
    current, login, decisions = st.starting(), Login(), []
    for event in events:
        decision = decide(current, login, event, max_attempts=max_attempts, pairing_phone=pairing_phone, now=NOW)
        current = decision.status or current
        login = decision.login
        decisions.append(decision)
    return current, decisions


def test_qr_codes_are_numbered_with_whatsapps_expiry() -> None:
    current, decisions = run([ev.QrCode("a"), ev.QrCode("b")])
    assert (current.state, current.status) == (State.QRCODE, Status.QR_READ)
    assert [d.status.qr.attempt for d in decisions] == [1, 2]
    assert [d.status.qr.expires_at for d in decisions] == [NOW + 60, NOW + 20]
    assert run([ev.QrCode("a", expires_at=NOW + 5)])[0].qr.expires_at == NOW + 5


def test_the_code_after_the_last_attempt_autocloses() -> None:
    current, decisions = run([ev.QrCode("1"), ev.QrCode("2"), ev.QrCode("3"), ev.QrCode("4")])
    assert (current.state, current.status) == (State.CLOSE, Status.AUTOCLOSE_CALLED)
    assert current.qr is None
    assert [d.actions for d in decisions] == [(), (), (), (Action.AUTOCLOSE,)]


def test_the_server_giving_up_or_hanging_up_during_login_autocloses_too() -> None:
    assert run([ev.QrCode("1"), ev.QrTimeout()])[0].status is Status.AUTOCLOSE_CALLED
    assert run([ev.QrCode("1"), ev.ConnectionLost("eof")])[0].status is Status.AUTOCLOSE_CALLED


def test_scan_connects_and_resets_the_count() -> None:
    current, decisions = run([ev.QrCode("1"), ev.Connected("5511999998888", "Ana")])
    assert (current.state, current.status, current.phone, current.push_name) == (
        State.CONNECTED, Status.IN_CHAT, "5511999998888", "Ana")
    assert current.qr is None and decisions[-1].login == Login()


def test_pairing_phone_asks_for_a_code_once_and_then_shows_it() -> None:
    current, decisions = run(
        [ev.QrCode("1"), ev.PairingCode("ABCD-EFGH", "5511999998888"), ev.QrCode("2")],
        pairing_phone="5511999998888",
    )
    assert decisions[0].actions == (Action.REQUEST_PAIRING,)
    assert (current.state, current.status, current.pairing_code) == (State.GETCODE, Status.GET_CODE, "ABCD-EFGH")
    assert decisions[2].status is None and decisions[2].login.qr_attempts == 2


def test_logged_out_wipes_and_idles() -> None:
    current, decisions = run([ev.Connected("1", "x"), ev.LoggedOut("removed from phone")])
    assert (current.state, current.status) == (State.DISCONNECTED, Status.NOT_LOGGED)
    assert decisions[-1].actions == (Action.WIPE_AND_IDLE,) and current.phone is None


def test_ban_and_replacement_idle_without_wiping() -> None:
    banned, decisions = run([ev.Connected("1", "x"), ev.TemporaryBan("spam", NOW + 3600)])
    assert (banned.state, banned.status) == (State.BANNED, Status.IS_BANNED)
    assert "2027" in banned.message or "until" in banned.message
    assert decisions[-1].actions == (Action.IDLE,)
    replaced, decisions = run([ev.Connected("1", "x"), ev.StreamReplaced()])
    assert replaced.state is State.DISCONNECTED and decisions[-1].actions == (Action.IDLE,)


def test_connection_lost_while_connected_waits_failure_exits() -> None:
    current, decisions = run([ev.Connected("1", "x"), ev.ConnectionLost("timeout")])
    assert (current.state, current.phone) == (State.CONNECTING, "1")
    assert decisions[-1].actions == (Action.WATCH_RECONNECT,)
    current, decisions = run([ev.ConnectionFailed("dns")])
    assert (current.state, current.status) == (State.ERROR, Status.IS_ERROR) and "dns" in current.message
    assert decisions[-1].actions == (Action.EXIT_ERROR,)


def test_traffic_is_recorded_and_changes_no_status() -> None:
    for event in (ev.IncomingMessage("i", "c", "s", "text"), ev.Receipt(("i",), "c", "read"),
                  ev.IncomingCall("k", "5511")):
        _, decisions = run([ev.Connected("1", "x"), event])
        assert decisions[-1].status is None and decisions[-1].actions == (Action.RECORD,)
