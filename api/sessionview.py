"""Pure functions between a WhatsAppSession object and the seed's fields.

* ``effective_status``: the seed ``status`` a CR stands for, also before the
  session pod has written one (running and no status yet → ``isStarting``;
  ``spec.running: false`` → ``browserClose`` unless the pod left a stopped
  status).
* ``owner_of``/``session_name_of``: the annotations the facade writes.
* ``new_session``: the manifest of a CR made by Start.
* ``webhooks_from_body``: the seed's ``wh_*`` fields → ``spec.webhooks``.
"""

from __future__ import annotations

import re
from typing import Any, Final

from mywhatsapp.api import messages
from mywhatsapp.api.envelope import SeedError
from mywhatsapp.common import crd
from mywhatsapp.common.vocabulary import STOPPED, Status, reported_status, status_reply

#: Annotation holding the SHA-256 hex of the token that started the session.
ANNOTATION_OWNER: Final = f"{crd.GROUP}/owner-sha256"
#: Annotation holding the seed's ``setOnline`` ("true"/"false"); the CRD has no field for it.
ANNOTATION_SET_ONLINE: Final = f"{crd.GROUP}/set-online"
#: Label marking objects made by the facade.
LABEL_CREATED_BY: Final = f"{crd.GROUP}/created-by"
CREATED_BY_API: Final = "api"

#: seed field -> key under spec.webhooks
WEBHOOK_FIELDS: Final = {
    "wh_status": "status",
    "wh_message": "message",
    "wh_qrcode": "qrcode",
    "wh_connect": "connect",
    "wh_incomingcall": "incomingCall",
}
_URL: Final = re.compile(r"^https?://[^\s]+$")
MAX_URL_LENGTH: Final = 2048

Object = dict[str, Any]


def spec_of(cr: Object) -> dict[str, Any]:
    return cr.get("spec") or {}


def status_of(cr: Object) -> dict[str, Any]:
    return cr.get("status") or {}


def is_running(cr: Object) -> bool:
    return spec_of(cr).get("running", True) is not False


def effective_status(cr: Object | None) -> str | None:
    """The seed status a CR stands for (None: no session)."""
    if cr is None:
        return None
    written = status_of(cr).get("status") or None
    if not is_running(cr):
        if written in STOPPED:
            return str(written)
        return Status.BROWSER_CLOSE.value
    if written is None:
        return Status.IS_STARTING.value
    return str(written)


def status_fields(cr: Object | None) -> tuple[int, dict[str, Any]]:
    """``/Status`` as (HTTP code, fields of the envelope) for a CR or None."""
    status = effective_status(cr)
    answer = status_reply(status)
    return answer.http_code, {
        "error": answer.error,
        "state": answer.state.value,
        "status": reported_status(status).value,
        "message": answer.message,
    }


def owner_of(cr: Object) -> str | None:
    return ((cr.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION_OWNER)


def session_name_of(cr: Object) -> str | None:
    annotations = (cr.get("metadata") or {}).get("annotations") or {}
    return annotations.get(crd.ANNOTATION_SESSION_NAME) or spec_of(cr).get("sessionName")


def webhooks_from_body(fields: dict[str, Any]) -> dict[str, str]:
    """``spec.webhooks`` from the ``wh_*`` fields given (empty values are left out).

    Raises ``SeedError`` 400 for a value that is not an http(s) URL.
    """
    hooks: dict[str, str] = {}
    for seed_field, key in WEBHOOK_FIELDS.items():
        value = fields.get(seed_field)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or len(value) > MAX_URL_LENGTH or not _URL.match(value):
            raise SeedError(400, messages.INVALID_WEBHOOK.format(field=seed_field))
        hooks[key] = value
    return hooks


def set_online_from_body(value: object) -> str | None:
    """The seed's ``setOnline`` as "true"/"false", or None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return "true" if str(value).strip().lower() in {"1", "true", "yes", "on"} else "false"


def new_session(*, cr_name: str, session_name: str, owner: str, webhooks: dict[str, str],
                set_online: str | None, backend: str | None) -> Object:
    """The WhatsAppSession a Start creates."""
    annotations = {crd.ANNOTATION_SESSION_NAME: session_name, ANNOTATION_OWNER: owner}
    if set_online is not None:
        annotations[ANNOTATION_SET_ONLINE] = set_online
    spec: dict[str, Any] = {"running": True, "sessionName": session_name}
    if backend:
        spec["backend"] = backend
    if webhooks:
        spec["webhooks"] = dict(webhooks)
    return {
        "apiVersion": crd.API_VERSION,
        "kind": crd.KIND,
        "metadata": {
            "name": cr_name,
            "labels": {LABEL_CREATED_BY: CREATED_BY_API, crd.LABEL_APP_PART_OF: crd.PART_OF},
            "annotations": annotations,
        },
        "spec": spec,
    }


def session_record(cr: Object, *, qr_data_url: str | None) -> dict[str, Any]:
    """One entry of getSession/getAllSessions, in the seed's field names."""
    _, fields = status_fields(cr)
    status = status_of(cr)
    hooks = spec_of(cr).get("webhooks") or {}
    qr = status.get("qr") or {}
    record: dict[str, Any] = {
        "SessionName": session_name_of(cr) or cr["metadata"]["name"],
        "state": fields["state"],
        "status": fields["status"],
        "message": fields["message"],
        "qrcode": qr_data_url,
        "urlCode": qr.get("code"),
        "phone": status.get("phone"),
        "pushName": status.get("pushName"),
        "profilepicture": None,
        "pairingCode": status.get("pairingCode"),
    }
    for seed_field, key in WEBHOOK_FIELDS.items():
        record[seed_field] = hooks.get(key)
    return record
