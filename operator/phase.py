"""A session's operator-owned status, computed from its StatefulSet and pod (pure functions).

The operator writes `phase`, `conditions`, `observedGeneration`, `message`
and `stoppedReason`; the session pod writes `state`, `status`, `qr`, `phone`,
`pushName`, `endpoint`. Nothing here touches the pod's fields, except the
one hand-over the pod cannot do itself: once a stopped session's pod is gone,
`closed_status` says CLOSE/browserClose (unless it auto-closed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Waiting reasons that will not fix themselves: the session is Failed.
FATAL_WAITING = frozenset({
    "CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName",
    "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
})

CRASH_LOOP_RESTARTS = 3


@dataclass(frozen=True)
class Phase:
    phase: str  # Pending | Starting | Running | Stopped | Failed | Terminating
    reason: str
    message: str


def _pod_conditions(pod: Mapping[str, Any]) -> dict[str, str]:
    return {c["type"]: c["status"] for c in (pod.get("status") or {}).get("conditions") or []}


def phase_of(*, running: bool, deleting: bool, sts: Mapping[str, Any] | None,
             pod: Mapping[str, Any] | None) -> Phase:
    """Where the session is, from what the cluster shows."""
    if deleting:
        return Phase("Terminating", "Deleting", "Logging out and removing the session.")
    if sts is None:
        return Phase("Pending", "Creating", "Creating the session's StatefulSet.")
    if not running:
        if pod is not None:
            return Phase("Stopped", "Stopping", "The session pod is shutting down.")
        return Phase("Stopped", "Stopped", "The session is stopped (spec.running is false); its volume is kept.")
    if pod is None:
        return Phase("Pending", "PodNotCreated", "Waiting for the session pod to be created.")
    status = pod.get("status") or {}
    if pod["metadata"].get("deletionTimestamp"):
        return Phase("Pending", "PodRestarting", "The previous session pod is shutting down.")
    if status.get("phase") == "Failed":
        return Phase("Failed", status.get("reason") or "PodFailed", status.get("message") or "The session pod failed.")
    for cs in status.get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in FATAL_WAITING:
            return Phase("Failed", waiting["reason"], waiting.get("message") or waiting["reason"])
        last = (cs.get("lastState") or {}).get("terminated") or {}
        if not cs.get("ready") and cs.get("restartCount", 0) >= CRASH_LOOP_RESTARTS and last.get("exitCode"):
            # Between two crashes the container briefly runs: stay Failed, don't flap.
            return Phase("Failed", "CrashLoopBackOff",
                         f"The session pod keeps exiting (exit code {last['exitCode']}, {cs['restartCount']} restarts).")
    if status.get("phase") != "Running":
        reason = status.get("reason") or "PodPending"
        return Phase("Pending", reason, status.get("message") or "The session pod is being scheduled and started.")
    if _pod_conditions(pod).get("Ready") == "True":
        return Phase("Running", "PodReady", "The session pod is running and ready.")
    return Phase("Starting", "PodNotReady", "The session pod is starting.")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def conditions(current: list[Mapping[str, Any]] | None, phase: Phase, generation: int | None) -> list[dict[str, Any]]:
    """`Ready` and `Stopped` conditions, keeping lastTransitionTime when a status is unchanged."""
    wanted = {
        "Ready": ("True" if phase.phase == "Running" else "False"),
        "Stopped": ("True" if phase.phase == "Stopped" else "False"),
        "Failed": ("True" if phase.phase == "Failed" else "False"),
    }
    old = {c["type"]: c for c in current or []}
    out = []
    for ctype, status in wanted.items():
        prev = old.get(ctype)
        since = prev["lastTransitionTime"] if prev and prev.get("status") == status else _now()
        cond: dict[str, Any] = {"type": ctype, "status": status, "reason": phase.reason,
                                "message": phase.message, "lastTransitionTime": since}
        if generation is not None:
            cond["observedGeneration"] = generation
        out.append(cond)
    return out


def operator_status(cr: Mapping[str, Any], phase: Phase) -> dict[str, Any]:
    """The operator's part of the CR status for `phase`."""
    status = cr.get("status") or {}
    generation = cr["metadata"].get("generation")
    return {
        "phase": phase.phase,
        "message": phase.message,
        "observedGeneration": generation,
        "conditions": conditions(status.get("conditions"), phase, generation),
    }


def closed_status(cr: Mapping[str, Any]) -> dict[str, Any]:
    """The seed's answer for a stopped session whose pod is gone (CLOSE/browserClose).

    An auto-closed session keeps CLOSE/autocloseCalled; the QR and endpoint
    of the ended pod are cleared.
    """
    status = cr.get("status") or {}
    out: dict[str, Any] = {"qr": None, "endpoint": None, "pairingCode": None}
    if status.get("status") != "autocloseCalled":
        out.update({"state": "CLOSE", "status": "browserClose"})
    return out


def same_operator_status(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True when two operator status parts differ only in condition timestamps."""
    def strip(s: Mapping[str, Any]) -> Any:
        conds = [{k: v for k, v in c.items() if k != "lastTransitionTime"} for c in s.get("conditions") or []]
        return ({k: v for k, v in s.items() if k != "conditions"}, conds)
    return strip(a) == strip(b)
