"""Remembers an auto-close across the container restart that follows it.

After CLOSE/autocloseCalled the pod exits 0; until the operator has scaled the
StatefulSet to 0 the kubelet may start the container again. That restarted
container must not begin a new login (it would overwrite the status and show
QR codes nobody asked for), so the pod leaves a marker on its volume. A new
pod (a later Start) ignores and removes it: pods are told apart by ``POD_UID``
when the operator passes it, else by the marker's age.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

MARKER_FILE = "autoclosed.json"
#: Without POD_UID, a marker younger than this holds the restarted container.
HOLD_SECONDS = 120.0


def holds(marker: dict[str, object] | None, *, pod_uid: str | None, now: float) -> bool:
    """True if the marker means "this pod auto-closed; do not log in again"."""
    if marker is None:
        return False
    if pod_uid:
        return marker.get("podUid") == pod_uid
    at = marker.get("at")
    return isinstance(at, (int, float)) and 0 <= now - at < HOLD_SECONDS


def read(state_dir: Path) -> dict[str, object] | None:
    try:
        data = json.loads((state_dir / MARKER_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write(state_dir: Path, *, pod_uid: str | None) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / MARKER_FILE).write_text(json.dumps({"podUid": pod_uid, "at": time.time()}), encoding="utf-8")


def remove(state_dir: Path) -> None:
    (state_dir / MARKER_FILE).unlink(missing_ok=True)
