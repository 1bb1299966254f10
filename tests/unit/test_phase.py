"""The operator's phase rules: what a session's StatefulSet and pod say about it."""

from __future__ import annotations

from typing import Any

import pytest

from mywhatsapp.operator.phase import closed_status, conditions, operator_status, phase_of, same_operator_status

STS = {"metadata": {"name": "s"}, "spec": {"replicas": 1}}


def pod(phase: str = "Running", ready: bool = False, deleting: bool = False, **cs: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "s-0"}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta, "status": {
        "phase": phase,
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        "containerStatuses": [{"name": "session", "ready": ready, "restartCount": 0, "state": {}, **cs}]}}


@pytest.mark.parametrize(("kwargs", "phase", "reason"), [
    (dict(running=True, deleting=True, sts=STS, pod=pod()), "Terminating", "Deleting"),
    (dict(running=True, deleting=False, sts=None, pod=None), "Pending", "Creating"),
    (dict(running=False, deleting=False, sts=None, pod=None), "Pending", "Creating"),
    (dict(running=False, deleting=False, sts=STS, pod=None), "Stopped", "Stopped"),
    (dict(running=False, deleting=False, sts=STS, pod=pod()), "Stopped", "Stopping"),
    (dict(running=True, deleting=False, sts=STS, pod=None), "Pending", "PodNotCreated"),
    (dict(running=True, deleting=False, sts=STS, pod=pod("Pending")), "Pending", "PodPending"),
    (dict(running=True, deleting=False, sts=STS, pod=pod(deleting=True)), "Pending", "PodRestarting"),
    (dict(running=True, deleting=False, sts=STS, pod=pod()), "Starting", "PodNotReady"),
    (dict(running=True, deleting=False, sts=STS, pod=pod(ready=True)), "Running", "PodReady"),
    (dict(running=True, deleting=False, sts=STS, pod=pod("Failed")), "Failed", "PodFailed"),
    (dict(running=True, deleting=False, sts=STS,
          pod=pod("Pending", state={"waiting": {"reason": "ErrImageNeverPull", "message": "no"}})),
     "Failed", "ErrImageNeverPull"),
    (dict(running=True, deleting=False, sts=STS,
          pod=pod(restartCount=3, lastState={"terminated": {"exitCode": 1}}, state={"running": {}})),
     "Failed", "CrashLoopBackOff"),
    (dict(running=True, deleting=False, sts=STS,
          pod=pod(restartCount=1, lastState={"terminated": {"exitCode": 1}}, state={"running": {}})),
     "Starting", "PodNotReady"),
])
def test_phase_of(kwargs: dict[str, Any], phase: str, reason: str) -> None:
    got = phase_of(**kwargs)
    assert (got.phase, got.reason) == (phase, reason)
    assert got.message


def test_conditions_keep_their_transition_time_while_unchanged() -> None:
    ph = phase_of(running=True, deleting=False, sts=STS, pod=pod(ready=True))
    first = conditions(None, ph, 3)
    assert [(c["type"], c["status"]) for c in first] == [("Ready", "True"), ("Stopped", "False"), ("Failed", "False")]
    old = [{**c, "lastTransitionTime": "2020-01-01T00:00:00Z"} for c in first]
    again = conditions(old, ph, 4)
    assert all(c["lastTransitionTime"] == "2020-01-01T00:00:00Z" for c in again)
    assert all(c["observedGeneration"] == 4 for c in again)
    stopped = conditions(old, phase_of(running=False, deleting=False, sts=STS, pod=None), 5)
    assert {c["type"]: c["lastTransitionTime"] == "2020-01-01T00:00:00Z" for c in stopped} == {
        "Ready": False, "Stopped": False, "Failed": True}


def test_operator_status_and_its_comparison_ignore_only_timestamps() -> None:
    cr = {"metadata": {"generation": 2}, "status": {}}
    ph = phase_of(running=True, deleting=False, sts=STS, pod=pod(ready=True))
    a = operator_status(cr, ph)
    assert a["phase"] == "Running" and a["observedGeneration"] == 2
    b = {**a, "conditions": [{**c, "lastTransitionTime": "x"} for c in a["conditions"]]}
    assert same_operator_status(a, b)
    assert not same_operator_status(a, {**a, "phase": "Starting"})


def test_closed_status_keeps_an_autoclose_verdict() -> None:
    assert closed_status({"status": {"status": "inChat"}}) == {
        "qr": None, "endpoint": None, "pairingCode": None, "state": "CLOSE", "status": "browserClose"}
    assert closed_status({"status": {"status": "autocloseCalled"}}) == {"qr": None, "endpoint": None, "pairingCode": None}
