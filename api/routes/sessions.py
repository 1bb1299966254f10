"""The seed's session routes (mounted under both ``/sistema`` and ``/instance``).

Reads answer from the watch cache; writes change the WhatsAppSession (Start,
Close, getCodePairing) or call the session pod (Logout, restartToken,
getCodePairing when the pod runs). See ``docs/api.md`` for every answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from mywhatsapp.api import hardware, messages, podclient, qr, sessionview
from mywhatsapp.api.deps import BodyDep, CallerDep, ServicesDep, SettingsDep, TargetDep
from mywhatsapp.api.envelope import SeedError, reply
from mywhatsapp.common.kube_errors import Invalid, KubeError
from mywhatsapp.api.services import Services
from mywhatsapp.common import crd, pod_contract
from mywhatsapp.common.vocabulary import (
    CONNECTED,
    START_REPLY_CODE,
    START_REPLY_MESSAGE,
    START_REPLY_STATE,
    START_REPLY_STATUS,
    StartAction,
    State,
    Status,
    start_action,
)

router = APIRouter()

#: Annotation bumped by every Start that (re)starts a session, so the
#: operator/pod can see a new login attempt was asked for.
ANNOTATION_START_REQUESTED = f"{crd.GROUP}/start-requested"
#: QRCode: stopped statuses answer 401 "inicie o sistema" (the seed's list).
QR_STOPPED = frozenset({Status.NOT_LOGGED, Status.QR_READ_FAIL, Status.DEVICE_NOT_CONNECTED,
                        Status.DESCONNECTED_MOBILE, Status.DELETE_TOKEN, Status.BROWSER_CLOSE,
                        Status.AUTOCLOSE_CALLED})


def _status_reply(cr: dict[str, Any] | None) -> JSONResponse:
    code, fields = sessionview.status_fields(cr)
    return reply(code, **fields)


def _kube_failure(exc: KubeError) -> SeedError:
    if isinstance(exc, Invalid):
        return SeedError(400, f"{messages.CANNOT_EXECUTE} ({exc.detail})")
    return SeedError(503, messages.BACKEND_UNAVAILABLE)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@router.post("/Start", summary="Start a session (create or resume its WhatsAppSession)")
def start(target: TargetDep, body: BodyDep, caller: CallerDep, services: ServicesDep,
          settings: SettingsDep) -> Response:
    if target.taken:
        raise SeedError(409, messages.NAME_TAKEN)
    hooks = sessionview.webhooks_from_body(body.fields)
    online = sessionview.set_online_from_body(body.get("setOnline"))
    cr = target.cr
    if cr is not None and sessionview.is_running(cr):
        action = start_action(sessionview.effective_status(cr))
        if action is StartAction.REPLY_STATUS:
            return _status_reply(cr)
        if action is StartAction.ERROR:
            return reply(500, error=True, state=State.ERROR.value, status=Status.IS_ERROR.value,
                         message=messages.CANNOT_EXECUTE)
    try:
        if cr is None:
            manifest = sessionview.new_session(
                cr_name=target.cr_name, session_name=target.session_name, owner=caller.owner,
                webhooks=hooks, set_online=online, backend=settings.default_backend)
            obj, created = services.store.create(manifest)
            if not created:
                existing_owner = sessionview.owner_of(obj)
                same_name = sessionview.session_name_of(obj) == target.session_name
                if not (same_name and caller.may_see(existing_owner)):
                    raise SeedError(409, messages.NAME_TAKEN)
                if not sessionview.is_running(obj):
                    services.store.patch(target.cr_name, {"spec": {"running": True}})
        else:
            annotations = {ANNOTATION_START_REQUESTED: _now()}
            if online is not None:
                annotations[sessionview.ANNOTATION_SET_ONLINE] = online
            spec: dict[str, Any] = {"running": True}
            if hooks:
                spec["webhooks"] = hooks
            services.store.patch(target.cr_name, {"metadata": {"annotations": annotations}, "spec": spec})
    except KubeError as exc:
        raise _kube_failure(exc) from exc
    return reply(START_REPLY_CODE, error=False, state=START_REPLY_STATE.value,
                 status=START_REPLY_STATUS.value, message=START_REPLY_MESSAGE)


@router.post("/Status", summary="The session's state and status")
def status(target: TargetDep) -> Response:
    return _status_reply(target.cr)


def parse_view(value: object, *, from_form: bool) -> bool | None:
    """``View``: a boolean (or "true"/"false" in a form body); None when absent."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if from_form and isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise SeedError(400, messages.INVALID_VIEW)


@router.post("/QRCode", summary="The QR code to scan (View false: JSON data URL; true: PNG)")
def qrcode(target: TargetDep, body: BodyDep) -> Response:
    view = parse_view(body.get("View"), from_form=body.from_form)
    cr = target.cr
    current = sessionview.effective_status(cr)
    code, fields = sessionview.status_fields(cr)
    if current in CONNECTED:
        return reply(200, **{**fields, "error": False})
    if current in QR_STOPPED:
        raise SeedError(401, messages.START_THE_SYSTEM)
    if current != Status.QR_READ or cr is None:
        raise SeedError(400, messages.CANNOT_EXECUTE)
    raw = (sessionview.status_of(cr).get("qr") or {}).get("code")
    if view is None:
        raise SeedError(400, messages.INVALID_VIEW)
    if not raw:
        return reply(400, **{**fields, "error": True})
    if view:
        return Response(qr.png(raw), media_type="image/png", headers={"Cache-Control": "no-store"})
    attempt = (sessionview.status_of(cr).get("qr") or {}).get("attempt")
    return reply(200, error=False, state=fields["state"], status=fields["status"],
                 qrcode=qr.data_url(raw), urlCode=raw, attempt=attempt, message=messages.QR_WAITING)


def pod_call(services: Services, cr: dict[str, Any], cr_name: str, path: str,
              payload: dict[str, Any] | None = None) -> podclient.PodAnswer:
    endpoint = sessionview.status_of(cr).get("endpoint")
    if not endpoint:
        raise podclient.PodUnavailable("no endpoint")
    token = services.store.internal_token(cr_name)
    if token is None:
        raise podclient.PodUnavailable("no internal token")
    with services.pod_slot(cr_name):
        return podclient.call(str(endpoint), token, path, payload)


def digits(value: object) -> str:
    return "".join(ch for ch in str(value) if ch.isdigit()) if isinstance(value, (str, int)) else ""


@router.post("/getCodePairing", summary="Log in with a pairing code instead of a QR code")
def get_code_pairing(target: TargetDep, body: BodyDep, services: ServicesDep) -> Response:
    raw_phone = body.get("phonefull")
    if raw_phone is None or raw_phone == "":
        raise SeedError(400, messages.MISSING_FIELDS)
    phone = digits(raw_phone)
    if not 8 <= len(phone) <= 15:
        raise SeedError(400, messages.INVALID_PHONE)
    cr = target.cr
    if cr is None:
        return _status_reply(None)
    if sessionview.effective_status(cr) in CONNECTED:
        raise SeedError(400, messages.CANNOT_EXECUTE)
    try:
        cr = services.store.patch(target.cr_name, {"spec": {"pairingPhone": phone, "running": True}})
    except KubeError as exc:
        raise _kube_failure(exc) from exc
    try:
        answer = pod_call(services, cr, target.cr_name, pod_contract.PATH_PAIR, {"phone": phone})
    except podclient.PodUnavailable:
        answer = None
    if answer is not None and answer.ok and answer.body.get("pairingCode"):
        return reply(200, error=False, state=State.GETCODE.value, status=Status.GET_CODE.value,
                     pairingCode=answer.body["pairingCode"], message=messages.PAIRING_CODE)
    return reply(202, error=False, state=State.GETCODE.value, status=Status.GET_CODE.value,
                 pairingCode=sessionview.status_of(cr).get("pairingCode"), message=messages.PAIRING_PENDING)


@router.post("/Close", summary="Stop the session (the login is kept; Start resumes it)")
def close(target: TargetDep, services: ServicesDep) -> Response:
    cr = target.cr
    if cr is None:
        return _status_reply(None)
    if sessionview.is_running(cr):
        try:
            services.store.patch(target.cr_name, {"spec": {"running": False}})
        except KubeError as exc:
            raise _kube_failure(exc) from exc
    return reply(200, error=False, state=State.CLOSE.value, status=Status.BROWSER_CLOSE.value,
                 message=messages.SESSION_CLOSED)


@router.post("/Logout", summary="Unlink the device (connected sessions only)")
def logout(target: TargetDep, services: ServicesDep) -> Response:
    cr = target.cr
    if cr is None:
        return _status_reply(None)
    if sessionview.effective_status(cr) not in CONNECTED:
        raise SeedError(400, messages.CANNOT_EXECUTE)
    try:
        answer = pod_call(services, cr, target.cr_name, pod_contract.PATH_LOGOUT)
    except podclient.PodUnavailable as exc:
        raise SeedError(404, messages.CANNOT_EXECUTE) from exc
    if not answer.ok:
        raise SeedError(404, messages.CANNOT_EXECUTE)
    return reply(200, error=False, state=State.DISCONNECTED.value, status=Status.NOT_LOGGED.value,
                 message=messages.SESSION_LOGGED_OUT)


@router.post("/restartToken", summary="Wipe the login and start again (new QR code)")
def restart_token(target: TargetDep, services: ServicesDep) -> Response:
    cr = target.cr
    if cr is None or not sessionview.is_running(cr):
        raise SeedError(404, messages.SYSTEM_OFFLINE)
    try:
        answer = pod_call(services, cr, target.cr_name, pod_contract.PATH_RESTART)
    except podclient.PodUnavailable as exc:
        raise SeedError(404, messages.SYSTEM_OFFLINE) from exc
    if not answer.ok:
        raise SeedError(404, messages.SYSTEM_OFFLINE)
    return reply(200, error=False, state=State.STARTING.value, status=Status.IS_STARTING.value,
                 message=messages.SYSTEM_RESTARTED)


def _record(cr: dict[str, Any]) -> dict[str, Any]:
    raw = (sessionview.status_of(cr).get("qr") or {}).get("code")
    showing_qr = sessionview.effective_status(cr) == Status.QR_READ and raw
    return sessionview.session_record(cr, qr_data_url=qr.data_url(raw) if showing_qr else None)


@router.post("/getSession", summary="One session's details")
def get_session(target: TargetDep) -> Response:
    if target.cr is None:
        return reply(200, error=True, message=messages.SESSION_NOT_FOUND)
    return reply(200, error=False, session=_record(target.cr))


@router.post("/getAllSessions", summary="The caller's sessions (all of them for the admin key)")
def get_all_sessions(caller: CallerDep, services: ServicesDep) -> Response:
    visible = [cr for cr in services.store.items() if caller.may_see(sessionview.owner_of(cr))]
    if not visible:
        raise SeedError(400, messages.NO_SESSIONS)
    visible.sort(key=lambda cr: cr["metadata"]["name"])
    return reply(200, error=False, session=[_record(cr) for cr in visible])


@router.post("/getHardWare", summary="Memory, CPU and uptime of the API's host")
def get_hardware(caller: CallerDep) -> Response:
    del caller
    return reply(200, error=False, **hardware.report())

