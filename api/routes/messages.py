"""`/message/*`: sending through the session's pod (today: the seed's sendText)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from mywhatsapp.api import messages, podclient, sessionview
from mywhatsapp.api.deps import BodyDep, ServicesDep, TargetDep
from mywhatsapp.api.envelope import SeedError, reply
from mywhatsapp.api.routes.sessions import digits, pod_call
from mywhatsapp.common import pod_contract
from mywhatsapp.common.vocabulary import CONNECTED

router = APIRouter()


@router.post("/sendText", summary="Send a text message to a phone number (the seed's /message/sendText)")
def send_text(target: TargetDep, body: BodyDep, services: ServicesDep) -> Response:
    phone, text = digits(body.get("phonefull")), body.get("msg")
    if not phone or not isinstance(text, str) or not text:
        raise SeedError(400, messages.MISSING_FIELDS)
    cr = target.cr
    if cr is None or sessionview.effective_status(cr) not in CONNECTED:
        raise SeedError(400, messages.CANNOT_EXECUTE)
    try:
        check = pod_call(services, cr, target.cr_name, pod_contract.PATH_NUMBERS_CHECK, {"phones": [phone]})
        results = check.body.get("results") or [{}]
        if check.ok and not results[0].get("exists"):
            return reply(400, error=False, number=phone, message=messages.NOT_ON_WHATSAPP)
        sent = pod_call(services, cr, target.cr_name, f"{pod_contract.PATH_MESSAGES}/text", {"to": phone, "text": text})
    except podclient.PodUnavailable as exc:
        raise SeedError(404, messages.CANNOT_EXECUTE) from exc
    if not sent.ok:
        raise SeedError(404, messages.CANNOT_EXECUTE)
    return reply(200, error=False, msgID=sent.body.get("id"), number=phone, message=messages.MESSAGE_SENT)
