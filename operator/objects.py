"""Pure builders of the objects one WhatsAppSession owns (except the StatefulSet).

Each function takes keyword arguments only and returns a plain dict manifest;
nothing here talks to Kubernetes, reads settings or makes random values (that
is ``new_secret_values``, kept apart so builders stay deterministic). Names
come from ``mywhatsapp.common.names``. Owner references are left to the kopf
handler (``kopf.adopt``); ``owner_reference`` exists for non-kopf callers. The
StatefulSet builder is in ``mywhatsapp.operator.workload``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from mywhatsapp.common import crd, names, pod_contract

Manifest = dict[str, Any]

#: Bytes of randomness in each generated secret value (256 bits).
SECRET_VALUE_BYTES = 32


def session_labels(*, cr_name: str) -> dict[str, str]:
    """Labels on every object a session owns (and on its pod)."""
    return {
        crd.LABEL_APP_NAME: crd.APP_NAME_SESSION,
        crd.LABEL_APP_INSTANCE: cr_name,
        crd.LABEL_APP_MANAGED_BY: crd.MANAGED_BY,
        crd.LABEL_SESSION: cr_name,
    }


def selector_labels(*, cr_name: str) -> dict[str, str]:
    """The immutable subset of ``session_labels`` that selects the session's pod."""
    return {
        crd.LABEL_APP_NAME: crd.APP_NAME_SESSION,
        crd.LABEL_APP_INSTANCE: cr_name,
    }


def object_meta(*, name: str, namespace: str, cr_name: str) -> dict[str, Any]:
    """``metadata`` of an owned object."""
    return {"name": name, "namespace": namespace, "labels": session_labels(cr_name=cr_name)}


def owner_reference(cr: Mapping[str, Any]) -> dict[str, Any]:
    """Controller owner reference pointing at the WhatsAppSession ``cr`` (a body dict)."""
    metadata = cr.get("metadata") or {}
    name, uid = metadata.get("name"), metadata.get("uid")
    if not name or not uid:
        raise ValueError("the WhatsAppSession needs metadata.name and metadata.uid")
    return {
        "apiVersion": crd.API_VERSION,
        "kind": crd.KIND,
        "name": name,
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def service_account(*, cr_name: str, namespace: str) -> Manifest:
    """The session pod's identity. Tokens are mounted only where a pod asks (ours does)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": object_meta(
            name=names.service_account_name(cr_name), namespace=namespace, cr_name=cr_name
        ),
        "automountServiceAccountToken": False,
    }


def role(*, cr_name: str, namespace: str) -> Manifest:
    """May read its own WhatsAppSession and read/patch its status; nothing else."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": object_meta(
            name=names.role_name(cr_name), namespace=namespace, cr_name=cr_name
        ),
        "rules": [
            {
                # Read its own spec (webhook URLs, pairing phone, ...).
                "apiGroups": [crd.GROUP],
                "resources": [crd.PLURAL],
                "resourceNames": [cr_name],
                "verbs": ["get"],
            },
            {
                # Report state/status/qr/phone through the status subresource.
                "apiGroups": [crd.GROUP],
                "resources": [f"{crd.PLURAL}/status"],
                "resourceNames": [cr_name],
                "verbs": ["get", "patch"],
            },
        ],
    }


def role_binding(*, cr_name: str, namespace: str) -> Manifest:
    """Grants ``role`` to ``service_account``."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": object_meta(
            name=names.role_binding_name(cr_name), namespace=namespace, cr_name=cr_name
        ),
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": names.role_name(cr_name),
        },
        "subjects": [
            {
                "kind": "ServiceAccount",
                "name": names.service_account_name(cr_name),
                "namespace": namespace,
            }
        ],
    }


def new_secret_values() -> dict[str, str]:
    """Fresh random values for ``secret``: the internal token and the webhook key."""
    return {
        crd.SECRET_KEY_INTERNAL_TOKEN: secrets.token_urlsafe(SECRET_VALUE_BYTES),
        crd.SECRET_KEY_WEBHOOK_SIGNING: secrets.token_urlsafe(SECRET_VALUE_BYTES),
    }


def secret(
    *, cr_name: str, namespace: str, internal_token: str, webhook_signing_key: str
) -> Manifest:
    """The session's Secret. Immutable, so it is never rotated by accident.

    The handler creates it once with ``new_secret_values()`` and never
    replaces an existing one; rotating means deleting it on purpose.
    """
    if not internal_token or not webhook_signing_key:
        raise ValueError("internal_token and webhook_signing_key must not be empty")
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": object_meta(
            name=names.secret_name(cr_name), namespace=namespace, cr_name=cr_name
        ),
        "type": "Opaque",
        "immutable": True,
        "stringData": {
            crd.SECRET_KEY_INTERNAL_TOKEN: internal_token,
            crd.SECRET_KEY_WEBHOOK_SIGNING: webhook_signing_key,
        },
    }


def service(*, cr_name: str, namespace: str) -> Manifest:
    """Headless Service governing the StatefulSet; port ``http`` → the pod's internal API."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta(
            name=names.service_name(cr_name), namespace=namespace, cr_name=cr_name
        ),
        "spec": {
            "clusterIP": "None",
            "selector": selector_labels(cr_name=cr_name),
            "ports": [
                {
                    "name": pod_contract.HTTP_PORT_NAME,
                    "port": pod_contract.HTTP_PORT,
                    "targetPort": pod_contract.HTTP_PORT_NAME,
                    "protocol": "TCP",
                }
            ],
        },
    }
