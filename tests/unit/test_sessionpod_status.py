"""Status reports and the merge patch of the CR's status subresource."""

from __future__ import annotations

from mywhatsapp.common.vocabulary import State, Status
from mywhatsapp.sessionpod import status as st


def test_patch_names_every_pod_field_and_nulls_absent_ones() -> None:
    patch = st.status_patch(st.qr_code("2@r,a,b,c", 2, 5, 1_800_000_000.0), endpoint="10.0.0.1:8080")
    assert set(patch["status"]) == set(st.POD_FIELDS)
    assert patch["status"]["qr"] == {"code": "2@r,a,b,c", "attempt": 2, "expiresAt": "2027-01-15T08:00:00Z"}
    assert (patch["status"]["state"], patch["status"]["status"]) == ("QRCODE", "qrRead")
    assert patch["status"]["phone"] is None and patch["status"]["endpoint"] == "10.0.0.1:8080"


def test_connected_carries_phone_and_push_name() -> None:
    fields = st.status_fields(st.connected("5511999998888", "Ana"), endpoint=None)
    assert (fields["state"], fields["status"], fields["phone"], fields["pushName"]) == (
        "CONNECTED", "inChat", "5511999998888", "Ana")
    assert fields["qr"] is None and fields["endpoint"] is None


def test_shutdown_reports_browser_close_unless_a_final_state_says_more() -> None:
    closed = st.on_shutdown(st.connected("1", "x"))
    assert (closed.state, closed.status, closed.phone) == (State.CLOSE, Status.BROWSER_CLOSE, "1")
    assert st.on_shutdown(st.qr_code("c", 1, 5, None)).qr is None
    for final in (st.autoclosed(5), st.logged_out("x"), st.banned("x", None), st.failed("x")):
        assert st.on_shutdown(final).status is final.status
