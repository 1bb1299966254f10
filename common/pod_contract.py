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
