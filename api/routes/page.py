"""The seed's QR page, ``GET /Start``: shows the live QR code and connection state.

The page itself holds no data. The user types the token and SessionName (or
passes them in the URL *fragment*, ``/Start#token=…&session=…``, which the
browser never sends to a server or writes to access logs); its script then
polls ``POST /sistema/getSession`` with the ``AuthorizationToken`` header,
so only an authenticated user ever sees a QR code. This replaces the seed's
socket.io broadcast, which gave every client every session's QR code.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

POLL_MILLISECONDS = 2000

PAGE = """<!doctype html>
<html lang="pt-BR">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>My WhatsApp - QR-Code</title>
<style>
 body { font-family: sans-serif; max-width: 30rem; margin: 2rem auto; }
 label { display: block; margin-top: .5rem; }
 input { width: 100%; }
 #qr { display: block; margin: 1rem 0; width: 264px; height: 264px; }
 #qr[hidden] { display: none; }
</style>
</head>
<body>
<h1>My WhatsApp</h1>
<form id="login">
 <label>AuthorizationToken <input id="token" type="password" autocomplete="off" required></label>
 <label>SessionName <input id="session" required></label>
 <button type="submit">Mostrar QR-Code</button>
</form>
<p>Estado: <span id="state">-</span> / <span id="status">-</span></p>
<p id="message"></p>
<img id="qr" alt="QR-Code" hidden>
<script>
(function () {
  "use strict";
  var timer = null;
  function show(id, text) { document.getElementById(id).textContent = text; }
  function poll(token, session) {
    fetch("/sistema/getSession", {
      method: "POST",
      headers: {"Content-Type": "application/json", "AuthorizationToken": token},
      body: JSON.stringify({"SessionName": session}),
      cache: "no-store"
    }).then(function (r) { return r.json(); }).then(function (data) {
      var s = (data && data.Status) || {};
      var info = s.session || {};
      show("state", info.state || "-");
      show("status", info.status || "-");
      show("message", info.message || s.message || "");
      var img = document.getElementById("qr");
      if (info.qrcode) { img.src = info.qrcode; img.hidden = false; }
      else { img.hidden = true; img.removeAttribute("src"); }
    }).catch(function () { show("message", "Falha ao consultar a API"); });
  }
  function begin(token, session) {
    if (timer) { clearInterval(timer); }
    poll(token, session);
    timer = setInterval(function () { poll(token, session); }, __POLL__);
  }
  document.getElementById("login").addEventListener("submit", function (e) {
    e.preventDefault();
    begin(document.getElementById("token").value, document.getElementById("session").value);
  });
  var params = new URLSearchParams(window.location.hash.slice(1));
  if (params.get("token") && params.get("session")) {
    document.getElementById("session").value = params.get("session");
    history.replaceState(null, "", window.location.pathname);
    begin(params.get("token"), params.get("session"));
  }
})();
</script>
</body>
</html>
""".replace("__POLL__", str(POLL_MILLISECONDS))

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                               "img-src data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@router.get("/Start", response_class=HTMLResponse)
def qr_page() -> HTMLResponse:
    return HTMLResponse(PAGE, headers=SECURITY_HEADERS)


@router.get("/", response_class=HTMLResponse)
def home() -> HTMLResponse:
    return HTMLResponse(PAGE, headers=SECURITY_HEADERS)
