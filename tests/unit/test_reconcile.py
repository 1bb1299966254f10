"""What the operator applies for a session: owner references, order, and pinned claim templates."""

from __future__ import annotations

from mywhatsapp.operator.config import OperatorSettings
from mywhatsapp.operator.reconcile import owned_manifests

CR = {"apiVersion": "mywhatsapp.io/v1alpha1", "kind": "WhatsAppSession",
      "metadata": {"name": "teste", "namespace": "ns", "uid": "u-1"}, "spec": {"running": True}}


def test_every_owned_object_points_at_its_session_as_controller() -> None:
    manifests = owned_manifests(CR, OperatorSettings())
    assert [m["kind"] for m in manifests] == ["ServiceAccount", "Role", "RoleBinding", "Service", "StatefulSet"]
    for m in manifests:
        assert m["metadata"]["ownerReferences"] == [{
            "apiVersion": "mywhatsapp.io/v1alpha1", "kind": "WhatsAppSession", "name": "teste", "uid": "u-1",
            "controller": True, "blockOwnerDeletion": True}]


def test_claim_templates_of_an_existing_statefulset_are_kept() -> None:
    settings = OperatorSettings(default_storage_size="2Gi")
    fresh = owned_manifests(CR, settings)[-1]
    assert fresh["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "2Gi"
    existing = {"spec": {"volumeClaimTemplates": [{
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "state"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                 "volumeMode": "Filesystem"},
        "status": {"phase": "Pending"}}]}}
    pinned = owned_manifests(CR, settings, existing)[-1]
    assert pinned["spec"]["volumeClaimTemplates"] == [{
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "state"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                 "volumeMode": "Filesystem"}}]
    assert pinned["spec"]["template"] == fresh["spec"]["template"]


def test_private_webhooks_are_allowed_only_when_configured() -> None:
    def env_of(settings: OperatorSettings) -> dict[str, str]:
        sts = owned_manifests(CR, settings)[-1]
        return {e["name"]: e.get("value") for e in sts["spec"]["template"]["spec"]["containers"][0]["env"]}

    assert "WEBHOOK_ALLOW_PRIVATE" not in env_of(OperatorSettings())
    assert env_of(OperatorSettings(webhook_allow_private=True))["WEBHOOK_ALLOW_PRIVATE"] == "1"
