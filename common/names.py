"""The one mapping from the seed's SessionName to Kubernetes object names.

The seed keys sessions by a free-form ``SessionName`` that it also used as a
file name (its path-traversal hole). Here a SessionName becomes the name of a
``WhatsAppSession`` object, and the CR name in turn names the objects the
operator makes for it. Nothing else in the project may derive names; see also
``docs/session-names.md``.

Accepted SessionNames
    1 to 64 characters out of ``A-Z a-z 0-9 _ . -``; not starting with ``.``
    or ``-``; never containing ``..``. Anything else (empty, ``../x``, ``/``,
    spaces, accents or other non-ASCII letters, 65+ characters, a non-string)
    raises ``SessionNameError``; the facade answers 400. A name is never
    "cleaned" into a different accepted name.

SessionName → CR name
    * Identity: a SessionName that already is a DNS-1123 label
      (``[a-z0-9]([-a-z0-9]*[a-z0-9])?``) of at most 40 characters and does
      not end in the hash-suffix shape ``-h`` + 10 of ``[a-z0-9]`` is used
      unchanged: ``teste`` → ``teste``, ``5511999998888`` → ``5511999998888``.
    * Hashed: every other accepted name becomes ``<slug>-h<hash>`` where
      ``hash`` is the first 10 characters of the lowercase base32 encoding of
      ``sha256(SessionName as UTF-8)`` (alphabet ``a-z2-7``, 50 bits) and
      ``slug`` is the name lowercased, every run of characters outside
      ``[a-z0-9]`` replaced by one ``-``, ``-`` trimmed from both ends, cut to
      at most 40 characters and trimmed of a trailing ``-`` again; an empty
      slug (e.g. SessionName ``_``) becomes ``session``.
      ``Teste`` → ``teste-h…``, ``a_b`` → ``a-b-h…``.

Why it is collision-free
    Identity names never end in the suffix shape and hashed names always do,
    so the two forms cannot meet. Two hashed names are equal only if their
    50-bit hashes are equal, which is practically impossible; the facade also
    stores the original SessionName in the ``mywhatsapp.io/session-name``
    annotation and refuses a request whose SessionName differs from the one
    stored on the CR it maps to (``cr_belongs_to``), so even a collision
    cannot alias two sessions. Case matters, as in the seed: ``Teste`` and
    ``teste`` are different sessions with different CR names.

Length budget
    The StatefulSet is named like the CR. The StatefulSet controller labels
    each pod ``controller-revision-hash: <sts>-<hash>`` where ``<hash>`` is the
    decimal FNV-32 hash safe-encoded, at most 10 characters; a label value is
    at most 63 characters, so ``<sts>`` ≤ 63 − 1 − 10 = 52. Hence every CR
    name is at most 52 characters: identity names ≤ 40, hashed names
    ≤ 40 (slug) + 2 (``-h``) + 10 (hash) = 52. The CRD refuses longer names
    for CRs made by hand. Within 52, every owned name stays a valid DNS-1123
    label of at most 63 characters (see the functions below), so it can also
    be a label value.

The rule is frozen: changing it would give existing sessions new object
names, and their login volumes would look lost.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Final

MAX_SESSION_NAME_LENGTH: Final = 64
#: Longest SessionName that may map to itself.
MAX_IDENTITY_LENGTH: Final = 40
#: Longest CR name (see "Length budget" above).
MAX_CR_NAME_LENGTH: Final = 52
#: Longest Kubernetes label value / DNS-1123 label.
MAX_LABEL_LENGTH: Final = 63
#: Longest ``controller-revision-hash`` suffix the StatefulSet controller adds.
MAX_REVISION_HASH_LENGTH: Final = 10

HASH_LENGTH: Final = 10
HASH_MARK: Final = "h"
HASH_SUFFIX_LENGTH: Final = 1 + len(HASH_MARK) + HASH_LENGTH  # "-h" + hash = 12
MAX_SLUG_LENGTH: Final = MAX_CR_NAME_LENGTH - HASH_SUFFIX_LENGTH  # 40
EMPTY_SLUG: Final = "session"

PVC_TEMPLATE_NAME: Final = "state"
SERVICE_PREFIX: Final = "wa-"
SERVICE_ACCOUNT_SUFFIX: Final = "-session"
SECRET_SUFFIX: Final = "-internal"

SESSION_NAME_RULE: Final = (
    "use 1 to 64 characters from A-Z, a-z, 0-9, '_', '.' and '-'; "
    "do not start with '.' or '-' and do not use '..'"
)

_ALLOWED_CHARACTER = re.compile(r"[A-Za-z0-9_.-]")
_DNS_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?")
_HASH_SUFFIX_SHAPE = re.compile(r"-h[a-z0-9]{10}\Z")
_NOT_SLUG_CHARACTERS = re.compile(r"[^a-z0-9]+")


class SessionNameError(ValueError):
    """A SessionName the system refuses; ``str(error)`` is meant for the API client."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"Invalid SessionName: {reason}; {SESSION_NAME_RULE}.")


def validate_session_name(session_name: object) -> str:
    """Return ``session_name`` unchanged if it is acceptable, else raise ``SessionNameError``."""
    if not isinstance(session_name, str):
        raise SessionNameError("it must be a text value")
    if not session_name:
        raise SessionNameError("it is empty")
    if len(session_name) > MAX_SESSION_NAME_LENGTH:
        raise SessionNameError(
            f"it has {len(session_name)} characters, more than {MAX_SESSION_NAME_LENGTH}"
        )
    if session_name[0] in ".-":
        raise SessionNameError(f"it starts with {session_name[0]!r}")
    if ".." in session_name:
        raise SessionNameError("it contains '..'")
    for character in session_name:
        if not _ALLOWED_CHARACTER.fullmatch(character):
            raise SessionNameError(f"the character {character!r} is not allowed")
    return session_name


def has_hash_suffix_shape(name: str) -> bool:
    """True if ``name`` ends like a hashed CR name (``-h`` + 10 of ``[a-z0-9]``)."""
    return _HASH_SUFFIX_SHAPE.search(name) is not None


def is_dns_label(name: str) -> bool:
    """True if ``name`` is a DNS-1123 label (at most 63 characters)."""
    return len(name) <= MAX_LABEL_LENGTH and _DNS_LABEL.fullmatch(name) is not None


def is_identity_name(session_name: str) -> bool:
    """True if the (accepted) ``session_name`` maps to itself."""
    return (
        len(session_name) <= MAX_IDENTITY_LENGTH
        and is_dns_label(session_name)
        and not has_hash_suffix_shape(session_name)
    )


def name_hash(session_name: str) -> str:
    """First 10 characters of lowercase base32(sha256(session_name))."""
    digest = hashlib.sha256(session_name.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:HASH_LENGTH]


def slug(session_name: str) -> str:
    """The readable part of a hashed CR name (at most 40 characters, maybe ``session``)."""
    text = _NOT_SLUG_CHARACTERS.sub("-", session_name.lower()).strip("-")
    text = text[:MAX_SLUG_LENGTH].rstrip("-")
    return text or EMPTY_SLUG


def cr_name_for(session_name: object) -> str:
    """Map a SessionName to its WhatsAppSession name; raise ``SessionNameError`` if refused."""
    name = validate_session_name(session_name)
    if is_identity_name(name):
        return name
    return f"{slug(name)}-{HASH_MARK}{name_hash(name)}"


def cr_belongs_to(session_name: str, *, cr_name: str, stored_session_name: str | None) -> bool:
    """True if the CR found under ``cr_name`` really is the session ``session_name``.

    ``stored_session_name`` is the CR's ``mywhatsapp.io/session-name``
    annotation. A CR made by hand without it belongs to the SessionName equal
    to its name (the identity form).
    """
    if stored_session_name is not None:
        return stored_session_name == session_name
    return session_name == cr_name


def is_valid_cr_name(cr_name: str) -> bool:
    """True if ``cr_name`` fits the budget: a DNS-1123 label of at most 52 characters."""
    return len(cr_name) <= MAX_CR_NAME_LENGTH and is_dns_label(cr_name)


def _checked(cr_name: str) -> str:
    if not is_valid_cr_name(cr_name):
        raise ValueError(
            f"{cr_name!r} is not a valid WhatsAppSession name: it must be a DNS-1123 label "
            f"of at most {MAX_CR_NAME_LENGTH} characters"
        )
    return cr_name


# --- Names of the objects a session owns (all DNS-1123 labels, ≤ 63) --------


def statefulset_name(cr_name: str) -> str:
    """The StatefulSet: the CR name itself (≤ 52, see the length budget)."""
    return _checked(cr_name)


def pod_name(cr_name: str) -> str:
    """The one pod of the StatefulSet: ``<cr>-0`` (≤ 54)."""
    return f"{statefulset_name(cr_name)}-0"


def pvc_template_name() -> str:
    """Name of the StatefulSet's volume claim template (the same for every session)."""
    return PVC_TEMPLATE_NAME


def pvc_name(cr_name: str) -> str:
    """The PVC the StatefulSet controller makes: ``state-<cr>-0`` (≤ 60)."""
    return f"{PVC_TEMPLATE_NAME}-{pod_name(cr_name)}"


def service_name(cr_name: str) -> str:
    """The headless Service: ``wa-<cr>`` (≤ 55).

    Service names must be DNS-1035 labels, which start with a letter; CR names
    may start with a digit (a phone number is a common SessionName), hence the
    prefix.
    """
    return f"{SERVICE_PREFIX}{_checked(cr_name)}"


def service_account_name(cr_name: str) -> str:
    """The pod's ServiceAccount: ``<cr>-session`` (≤ 60)."""
    return f"{_checked(cr_name)}{SERVICE_ACCOUNT_SUFFIX}"


def role_name(cr_name: str) -> str:
    """The Role allowing the pod its own CR: ``<cr>-session`` (≤ 60)."""
    return f"{_checked(cr_name)}{SERVICE_ACCOUNT_SUFFIX}"


def role_binding_name(cr_name: str) -> str:
    """The RoleBinding of that Role to the ServiceAccount: ``<cr>-session`` (≤ 60)."""
    return f"{_checked(cr_name)}{SERVICE_ACCOUNT_SUFFIX}"


def secret_name(cr_name: str) -> str:
    """The Secret with the internal token and webhook key: ``<cr>-internal`` (≤ 61)."""
    return f"{_checked(cr_name)}{SECRET_SUFFIX}"
