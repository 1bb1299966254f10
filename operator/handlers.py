"""The kopf handlers: they gather inputs, call the pure builders and apply; nothing else.

- A session is reconciled on create, on spec change and when the operator
  (re)starts; its StatefulSet is watched, and any change the operator did not
  make (deleted, scaled by hand, template edited) is undone.
- Its pod and StatefulSet drive `status.phase` and `conditions`, with an
  Event on the session for each phase transition.
- Auto-close: when the pod reports CLOSE/autocloseCalled, the session is
  stopped (`spec.running: false`) and `status.stoppedReason` says why; a later
  Start clears it.
- Deletion: the finalizer asks the running pod to log out (bounded), then
  garbage collection removes the owned objects.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import kopf

from mywhatsapp.common import crd, kube, names, pod_contract
from mywhatsapp.common.kube import Kube, KubeError

from . import metrics, phase as phases
from .config import OperatorSettings
from .reconcile import reconcile

CR = (crd.GROUP, crd.VERSION, crd.PLURAL)
OWNED = {crd.LABEL_SESSION: kopf.PRESENT, crd.LABEL_APP_MANAGED_BY: crd.MANAGED_BY}
AUTOCLOSE = "autocloseCalled"

log = logging.getLogger("mywhatsapp.operator")


def cr_path(namespace: str, name: str, sub: str = "") -> str:
    return kube.object_path(crd.API_VERSION, crd.PLURAL, namespace, name) + (f"/{sub}" if sub else "")


# --- start-up -------------------------------------------------------------------------------
@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    settings.peering.mandatory = True
    # A replica killed without a goodbye holds the others paused until its record
    # expires: keep that short (kopf refreshes it 5-10 s before expiry).
    settings.peering.lifetime = 15
    settings.persistence.finalizer = crd.FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=crd.GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix=crd.GROUP)
    settings.posting.level = logging.WARNING  # our own Events for transitions; warnings too
    settings.execution.max_workers = 16
    settings.watching.server_timeout = 270
    memo.op = memo.get("op") or OperatorSettings()
    memo.kube = memo.get("kube") or Kube.from_environment()
    memo.locks = {}
    memo.sts_generation = {}
    memo.sessions = {}
    metrics.register_sessions_source(lambda: memo.sessions)


@kopf.on.cleanup()
async def close(memo: kopf.Memo, **_: Any) -> None:
    await memo.kube.close()


# --- indices: the operator reads its inputs from watches, not from API calls ----------
@kopf.index(*CR)
def sessions(namespace: str, name: str, body: kopf.Body, **_: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(namespace, name): {"metadata": dict(body.metadata), "spec": dict(body.spec),
                                "status": dict(body.status)}}


@kopf.index("apps", "v1", "statefulsets", labels=OWNED)
def statefulsets(namespace: str, labels: Mapping[str, str], body: kopf.Body, **_: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(namespace, labels[crd.LABEL_SESSION]): {"metadata": dict(body.metadata), "spec": dict(body.spec),
                                                       "status": dict(body.status)}}


@kopf.index("", "v1", "pods", labels={crd.LABEL_SESSION: kopf.PRESENT})
def pods(namespace: str, labels: Mapping[str, str], body: kopf.Body, **_: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(namespace, labels[crd.LABEL_SESSION]): {"metadata": dict(body.metadata), "spec": dict(body.spec),
                                                       "status": dict(body.status)}}


def _indices(kwargs: Mapping[str, Any]) -> dict[str, kopf.Index]:
    return {k: kwargs[k] for k in ("sessions", "statefulsets", "pods")}


def _one(index: kopf.Index, key: tuple[str, str]) -> dict[str, Any] | None:
    found = list(index.get(key, []))
    if not found:
        return None
    # During a pod replacement two may exist: prefer the live one.
    found.sort(key=lambda o: bool(o["metadata"].get("deletionTimestamp")))
    return found[0]


# --- reconcile ----------------------------------------------------------------------------
async def _reconcile(body: Mapping[str, Any], memo: kopf.Memo, existing_sts: Mapping[str, Any] | None) -> None:
    started = time.monotonic()
    meta = body["metadata"]
    try:
        memo.sts_generation[(meta["namespace"], meta["name"])] = await reconcile(
            memo.kube, body, memo.op, existing_sts)
    except KubeError as e:
        metrics.RECONCILES.labels(result="error").inc()
        if e.status in (400, 422):
            raise kopf.PermanentError(f"the API server refused an owned object: {e.detail}") from e
        raise kopf.TemporaryError(f"API error {e.status}: {e.detail}", delay=5) from e
    finally:
        metrics.RECONCILE_SECONDS.observe(time.monotonic() - started)
    metrics.RECONCILES.labels(result="ok").inc()


@kopf.on.resume(*CR)
@kopf.on.create(*CR)
@kopf.on.update(*CR, field="spec")
async def sync(body: kopf.Body, memo: kopf.Memo, namespace: str, name: str, **kwargs: Any) -> None:
    await _reconcile(body, memo, _one(kwargs["statefulsets"], (namespace, name)))


@kopf.on.event(*CR)
async def session_event(event: Mapping[str, Any], body: kopf.Body, memo: kopf.Memo, namespace: str, name: str,
                        **kwargs: Any) -> None:
    if event["type"] == "DELETED":
        memo.sessions.pop((namespace, name), None)
        memo.locks.pop((namespace, name), None)
        return
    status, spec = body.status, body.spec
    if status.get("status") == AUTOCLOSE and spec.get("running", True):
        if status.get("stoppedReason") == AUTOCLOSE:
            # Started again after an auto-close: the old verdict no longer holds.
            await memo.kube.merge_patch(cr_path(namespace, name, "status"), {"status": {
                "state": "STARTING", "status": "notLogged", "stoppedReason": None, "qr": None}})
        else:
            attempts = (spec.get("qr") or {}).get("maxAttempts", 5)
            await memo.kube.merge_patch(cr_path(namespace, name), {"spec": {"running": False}})
            await memo.kube.merge_patch(cr_path(namespace, name, "status"), {"status": {
                "stoppedReason": AUTOCLOSE,
                "message": f"Stopped after {attempts} QR codes without a scan; Start begins again."}})
            kopf.event(body, type="Normal", reason="AutoClosed",
                       message=f"{attempts} QR codes shown without a scan: session stopped")
    await refresh(namespace, name, memo, _indices(kwargs))


@kopf.on.event("apps", "v1", "statefulsets", labels=OWNED)
async def statefulset_event(event: Mapping[str, Any], body: kopf.Body, namespace: str, labels: Mapping[str, str],
                            memo: kopf.Memo, **kwargs: Any) -> None:
    session = labels[crd.LABEL_SESSION]
    cr = _one(kwargs["sessions"], (namespace, session))
    if cr is None or cr["metadata"].get("deletionTimestamp"):
        return
    key = (namespace, session)
    drifted = event["type"] == "DELETED" or body.metadata.get("generation") != memo.sts_generation.get(key)
    if drifted:
        current = await memo.kube.get_or_none(cr_path(namespace, session))
        if current is not None and not current["metadata"].get("deletionTimestamp"):
            if event["type"] == "DELETED":
                kopf.event(current, type="Warning", reason="DriftCorrected",
                           message="StatefulSet was deleted; recreating it")
            await _reconcile(current, memo, None if event["type"] == "DELETED" else body)
    await refresh(namespace, session, memo, _indices(kwargs))


@kopf.on.event("", "v1", "pods", labels={crd.LABEL_SESSION: kopf.PRESENT})
async def pod_event(namespace: str, labels: Mapping[str, str], memo: kopf.Memo, **kwargs: Any) -> None:
    await refresh(namespace, labels[crd.LABEL_SESSION], memo, _indices(kwargs))


# --- status ---------------------------------------------------------------------------------
async def refresh(namespace: str, name: str, memo: kopf.Memo, idx: Mapping[str, kopf.Index]) -> None:
    """Recompute the operator's part of the session's status; patch it if it changed."""
    lock = memo.locks.setdefault((namespace, name), asyncio.Lock())
    async with lock:
        cr = _one(idx["sessions"], (namespace, name))
        if cr is None:
            return
        spec, status = cr["spec"], cr["status"]
        ph = phases.phase_of(
            running=bool(spec.get("running", True)),
            deleting=bool(cr["metadata"].get("deletionTimestamp")),
            sts=_one(idx["statefulsets"], (namespace, name)),
            pod=_one(idx["pods"], (namespace, name)),
        )
        memo.sessions[(namespace, name)] = ph.phase
        wanted = phases.operator_status(cr, ph)
        if ph.phase == "Stopped" and ph.reason == "Stopped":
            wanted.update(phases.closed_status(cr))
        current = {k: status.get(k) for k in wanted}
        if phases.same_operator_status(current, wanted):
            return
        try:
            await memo.kube.merge_patch(cr_path(namespace, name, "status"), {"status": wanted})
        except kube.NotFound:
            return
        if status.get("phase") != ph.phase:
            kopf.event({"apiVersion": crd.API_VERSION, "kind": crd.KIND, "metadata": cr["metadata"]},
                       type="Warning" if ph.phase == "Failed" else "Normal", reason=ph.phase,
                       message=f"{ph.reason}: {ph.message}")


# --- deletion --------------------------------------------------------------------------------
@kopf.on.delete(*CR)
async def logout(body: kopf.Body, namespace: str, name: str, memo: kopf.Memo, logger: kopf.Logger,
                 **_: Any) -> None:
    endpoint = body.status.get("endpoint")
    if not endpoint or not body.spec.get("running", True):
        kopf.event(body, type="Normal", reason="LogoutSkipped", message="no running session pod to log out")
        return
    secret = await memo.kube.get_or_none(kube.object_path("v1", "secrets", namespace, names.secret_name(name)))
    if secret is None:
        return
    token = base64.b64decode(secret["data"][crd.SECRET_KEY_INTERNAL_TOKEN]).decode()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=memo.op.logout_timeout_seconds)) as http:
            async with http.post(f"http://{endpoint}{pod_contract.PATH_LOGOUT}",
                                 headers={pod_contract.AUTH_HEADER: f"Bearer {token}"}) as resp:
                answered = resp.status
        kopf.event(body, type="Normal", reason="LoggedOut", message=f"session pod answered {answered}")
    except (aiohttp.ClientError, asyncio.TimeoutError) as e:
        kopf.event(body, type="Warning", reason="LogoutSkipped", message=f"pod unreachable ({type(e).__name__}); deleting anyway")

