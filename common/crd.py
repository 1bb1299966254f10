"""Identity of the WhatsAppSession custom resource, in one place.

Every component (operator, API facade, session pod, tests) takes the group,
version, kind and plural of the CRD, and the label and annotation keys the
project puts on objects, from this module. The CRD manifest itself lives in
``crds/whatsappsessions.mywhatsapp.io.yaml`` at the top of the repository; a
unit test checks that the constants below say exactly what that file says.

Finding the CRD file: ``crd_path()`` computes it from the location of this
module's *source folder* — ``common/`` sits beside ``crds/`` in the repository,
so the file is ``<repo>/crds/whatsappsessions.mywhatsapp.io.yaml``. That holds
for a checkout and for the editable install the project uses. The YAML is
deliberately not shipped as package data: the chart and ``kubectl apply -f
crds/`` use the same single file. A non-editable install (a plain wheel) has no
``crds/`` beside the package, and ``crd_path()`` then raises
``FileNotFoundError`` with an explanation instead of guessing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

GROUP: Final = "mywhatsapp.io"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"
KIND: Final = "WhatsAppSession"
LIST_KIND: Final = "WhatsAppSessionList"
PLURAL: Final = "whatsappsessions"
SINGULAR: Final = "whatsappsession"
SHORT_NAMES: Final = ("wa", "was")
CATEGORIES: Final = ("whatsapp",)
CRD_NAME: Final = f"{PLURAL}.{GROUP}"

#: Finalizer the operator puts on every session (log out before deletion).
FINALIZER: Final = f"{GROUP}/logout"

# --- Labels -----------------------------------------------------------------
#: On every object owned by a session; value = the session's CR name.
LABEL_SESSION: Final = f"{GROUP}/session"
LABEL_APP_NAME: Final = "app.kubernetes.io/name"
LABEL_APP_INSTANCE: Final = "app.kubernetes.io/instance"
LABEL_APP_COMPONENT: Final = "app.kubernetes.io/component"
LABEL_APP_PART_OF: Final = "app.kubernetes.io/part-of"
LABEL_APP_MANAGED_BY: Final = "app.kubernetes.io/managed-by"

#: Value of ``app.kubernetes.io/name`` on a session's owned objects.
APP_NAME_SESSION: Final = "mywhatsapp-session"
#: Value of ``app.kubernetes.io/managed-by`` on a session's owned objects.
MANAGED_BY: Final = "mywhatsapp-operator"
#: Value of ``app.kubernetes.io/part-of`` on everything of the project.
PART_OF: Final = "mywhatsapp"

# --- Annotations ------------------------------------------------------------
#: On the WhatsAppSession: the seed's original, free-form SessionName. The
#: facade compares it with the SessionName of a request, so that a hash
#: collision of two names (see ``mywhatsapp.common.names``) is detected
#: instead of silently aliasing two sessions.
ANNOTATION_SESSION_NAME: Final = f"{GROUP}/session-name"

# --- Keys inside the session's own Secret -----------------------------------
#: Bearer token the facade and operator use to call the session pod.
SECRET_KEY_INTERNAL_TOKEN: Final = "internal-token"
#: HMAC-SHA256 key for webhook signatures (unless spec.webhooks.signingSecretRef).
SECRET_KEY_WEBHOOK_SIGNING: Final = "webhook-signing-key"

CRD_FILE_NAME: Final = f"{CRD_NAME}.yaml"


def crd_path() -> Path:
    """Return the path of the CRD manifest in the repository's ``crds/`` folder.

    Raises ``FileNotFoundError`` when the package is not run from a source
    checkout (or editable install), since the file is not package data.
    """
    source_folder = Path(__file__).resolve().parent
    path = source_folder.parent / "crds" / CRD_FILE_NAME
    if not path.is_file():
        raise FileNotFoundError(
            f"CRD manifest not found at {path}: it is read from the repository's "
            f"crds/ folder beside {source_folder.name}/ and is not shipped as package data"
        )
    return path


def load_crd(path: Path | None = None) -> dict[str, Any]:
    """Parse and return the CRD manifest (``crd_path()`` unless ``path`` is given)."""
    text = (path or crd_path()).read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    if not isinstance(document, dict):
        raise ValueError(f"{path or crd_path()} does not hold a single YAML mapping")
    return document
