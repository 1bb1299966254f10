"""Make a session's owned objects match its spec: create what is missing, correct drift.

Every owned object except the Secret is server-side applied with the
operator's field manager and `force`, which creates it when absent and puts
back any field someone changed by hand (replicas, template, RBAC rules), while
leaving other managers' fields alone. The Secret is created once and never
replaced, so the internal token and webhook key are never rotated by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mywhatsapp.common import kube
from mywhatsapp.common.kube import Conflict, Kube

from . import objects, workload
from .config import OperatorSettings

FIELD_MANAGER = "mywhatsapp-operator"

_PLURALS = {"ServiceAccount": "serviceaccounts", "Role": "roles", "RoleBinding": "rolebindings",
            "Secret": "secrets", "Service": "services", "StatefulSet": "statefulsets"}


def _path(manifest: Mapping[str, Any]) -> str:
    meta = manifest["metadata"]
    return kube.object_path(manifest["apiVersion"], _PLURALS[manifest["kind"]], meta["namespace"], meta["name"])


def with_owner(manifest: dict[str, Any], cr: Mapping[str, Any]) -> dict[str, Any]:
    manifest["metadata"]["ownerReferences"] = [objects.owner_reference(cr)]
    return manifest


def owned_manifests(cr: Mapping[str, Any], settings: OperatorSettings,
                    existing_sts: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Everything applied for `cr`, in dependency order (the Secret is handled apart).

    A StatefulSet's volumeClaimTemplates cannot change: once it exists, the
    templates it was created with are kept, so a later change of the
    operator's storage defaults never breaks existing sessions.
    """
    name, ns = cr["metadata"]["name"], cr["metadata"]["namespace"]
    spec = cr.get("spec") or {}
    sts = workload.statefulset(cr_name=name, namespace=ns, spec=spec, settings=settings)
    pinned = ((existing_sts or {}).get("spec") or {}).get("volumeClaimTemplates")
    if pinned:
        sts["spec"]["volumeClaimTemplates"] = [
            {k: v for k, v in t.items() if k in ("apiVersion", "kind", "metadata", "spec")} for t in pinned]
    built = [
        objects.service_account(cr_name=name, namespace=ns),
        objects.role(cr_name=name, namespace=ns),
        objects.role_binding(cr_name=name, namespace=ns),
        objects.service(cr_name=name, namespace=ns),
        sts,
    ]
    return [with_owner(m, cr) for m in built]


async def ensure_secret(client: Kube, cr: Mapping[str, Any]) -> bool:
    """Create the session's Secret if it does not exist; True if it was created now."""
    name, ns = cr["metadata"]["name"], cr["metadata"]["namespace"]
    values = objects.new_secret_values()
    manifest = objects.secret(cr_name=name, namespace=ns,
                              internal_token=values[objects.crd.SECRET_KEY_INTERNAL_TOKEN],
                              webhook_signing_key=values[objects.crd.SECRET_KEY_WEBHOOK_SIGNING])
    try:
        await client.create(kube.object_path("v1", "secrets", ns), with_owner(manifest, cr))
        return True
    except Conflict:  # it exists (made earlier, or by another worker a moment ago): keep it
        return False


async def reconcile(client: Kube, cr: Mapping[str, Any], settings: OperatorSettings,
                    existing_sts: Mapping[str, Any] | None = None) -> int | None:
    """Bring every owned object of `cr` to the wanted state (idempotent).

    Returns the StatefulSet's generation after the apply, so the caller can tell
    its own changes from someone else's.
    """
    await ensure_secret(client, cr)
    applied: Any = None
    for manifest in owned_manifests(cr, settings, existing_sts):
        applied = await client.apply(_path(manifest), manifest, manager=FIELD_MANAGER)
    return (applied or {}).get("metadata", {}).get("generation")
