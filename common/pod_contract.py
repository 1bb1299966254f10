"""The contract between the operator's StatefulSet and the session pod.

The operator builds the pod (``mywhatsapp.operator.workload``) and the session
pod reads its configuration (``mywhatsapp.sessionpod``); both take the port,
probe paths, state folder and environment variable names from here, so the two
sides cannot drift apart.
"""

from __future__ import annotations

from typing import Final

#: Entry point of the session pod inside the project's image.
COMMAND: Final = ("mywhatsapp-sessionpod",)

#: Internal HTTP API of the session pod (facade/operator → pod).
HTTP_PORT: Final = 8080
HTTP_PORT_NAME: Final = "http"
READINESS_PATH: Final = "/readyz"
LIVENESS_PATH: Final = "/healthz"

#: Where the login state volume (the PVC) is mounted.
STATE_DIR: Final = "/var/lib/mywhatsapp"
#: Writable scratch space; the root filesystem is read-only.
TMP_DIR: Final = "/tmp"

#: Numeric user/group the pod runs as (``runAsNonRoot`` needs a numeric id;
#: the image's non-root user must have this uid).
RUN_AS_USER: Final = 10001
RUN_AS_GROUP: Final = 10001

# --- Environment variables set by the operator ------------------------------
ENV_SESSION_NAME: Final = "SESSION_NAME"  # the CR name (not the seed's SessionName)
ENV_SESSION_NAMESPACE: Final = "SESSION_NAMESPACE"
ENV_POD_IP: Final = "POD_IP"
ENV_HTTP_PORT: Final = "HTTP_PORT"
ENV_BACKEND: Final = "BACKEND"
ENV_QR_MAX_ATTEMPTS: Final = "QR_MAX_ATTEMPTS"
ENV_DEVICE_NAME: Final = "DEVICE_NAME"  # only set when spec.deviceName is
ENV_INTERNAL_TOKEN: Final = "INTERNAL_TOKEN"
ENV_WEBHOOK_SIGNING_KEY: Final = "WEBHOOK_SIGNING_KEY"
ENV_STATE_DIR: Final = "STATE_DIR"
ENV_SIMULATOR_URL: Final = "SIMULATOR_URL"  # only for backend "simulated"

# --- Internal HTTP API of the session pod -----------------------------------
#: Every call carries ``Authorization: Bearer <internal token>``; anything
#: else answers 401. Bodies and answers are JSON.
AUTH_HEADER: Final = "Authorization"
PATH_LOGOUT: Final = "/v1/logout"  # unlink the device, wipe the login state
PATH_RESTART: Final = "/v1/restart"  # restartToken: wipe and start over (new QR)
PATH_PAIR: Final = "/v1/pair"  # {"phone": "5511..."} -> {"pairingCode": "ABCD-EFGH"}
PATH_MESSAGES: Final = "/v1/messages"  # POST /v1/messages/<kind>, e.g. /v1/messages/text

# --- Added by the session pod (optional; the pod has defaults) -------------
ENV_PAIRING_PHONE: Final = "PAIRING_PHONE"  # spec.pairingPhone: log in with a pairing code
ENV_VIEW_QRCODE_TERMINAL: Final = "VIEW_QRCODE_TERMINAL"  # "1"/"true": print each QR to the log
ENV_STOP_TIMEOUT: Final = "STOP_TIMEOUT_SECONDS"  # hard exit this long after SIGTERM (default 20)
ENV_POD_UID: Final = "POD_UID"  # fieldRef metadata.uid: tells a container restart from a new pod
ENV_LOG_LEVEL: Final = "LOG_LEVEL"  # default INFO
#: Tests only: a plain-HTTP stand-in for the API server instead of the
#: in-cluster configuration (service-account token, CA, KUBERNETES_SERVICE_*).
ENV_STATUS_API_URL: Final = "STATUS_API_URL"
DEFAULT_DEVICE_NAME: Final = "My-Whatsapp"
#: "1"/"true": webhooks may go to loopback/private/link-local addresses (local
#: cluster, tests); by default such URLs are refused (SSRF protection).
ENV_WEBHOOK_ALLOW_PRIVATE: Final = "WEBHOOK_ALLOW_PRIVATE"

PATH_STATUS: Final = "/v1/status"  # GET -> the pod's own view of the session
PATH_NUMBERS_CHECK: Final = "/v1/numbers/check"  # {"phones": [...]} -> {"results": [...]}
PATH_EVENTS: Final = "/v1/events"  # GET ?after=<seq> -> incoming messages, receipts, calls
PATH_READ: Final = "/v1/read"  # {"chat": "...", "ids": [...]} -> mark messages read
