"""Golden tests of the manifests a session owns (mywhatsapp.operator.objects/workload).

The expected manifests are written out in full here, not recomputed with the
code under test.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mywhatsapp.operator import objects, workload
from mywhatsapp.operator.config import OperatorSettings

NS = "tenant-a"
CR = "teste"

LABELS = {
    "app.kubernetes.io/name": "mywhatsapp-session",
    "app.kubernetes.io/instance": "teste",
    "app.kubernetes.io/managed-by": "mywhatsapp-operator",
    "mywhatsapp.io/session": "teste",
}


@pytest.fixture
def settings() -> OperatorSettings:
    return OperatorSettings(
        session_image="registry.example/mywhatsapp:1.2.3",
        default_backend="neonize",
        default_storage_class=None,
        default_storage_size="1Gi",
        default_resources={
            "requests": {"cpu": "50m", "memory": "128Mi"},
            "limits": {"memory": "512Mi"},
        },
    )


def test_service_account() -> None:
    assert objects.service_account(cr_name=CR, namespace=NS) == {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "teste-session", "namespace": "tenant-a", "labels": LABELS},
        "automountServiceAccountToken": False,
    }


def test_role() -> None:
    assert objects.role(cr_name=CR, namespace=NS) == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "teste-session", "namespace": "tenant-a", "labels": LABELS},
        "rules": [
            {
                "apiGroups": ["mywhatsapp.io"],
                "resources": ["whatsappsessions"],
                "resourceNames": ["teste"],
                "verbs": ["get"],
            },
            {
                "apiGroups": ["mywhatsapp.io"],
                "resources": ["whatsappsessions/status"],
                "resourceNames": ["teste"],
                "verbs": ["get", "patch"],
            },
        ],
    }


def test_role_binding() -> None:
    assert objects.role_binding(cr_name=CR, namespace=NS) == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "teste-session", "namespace": "tenant-a", "labels": LABELS},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "teste-session",
        },
        "subjects": [
            {"kind": "ServiceAccount", "name": "teste-session", "namespace": "tenant-a"}
        ],
    }


def test_secret() -> None:
    assert objects.secret(
        cr_name=CR, namespace=NS, internal_token="tok-123", webhook_signing_key="key-456"
    ) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "teste-internal", "namespace": "tenant-a", "labels": LABELS},
        "type": "Opaque",
        "immutable": True,
        "stringData": {"internal-token": "tok-123", "webhook-signing-key": "key-456"},
    }


@pytest.mark.parametrize(("token", "key"), [("", "k"), ("t", "")])
def test_secret_refuses_empty_values(token: str, key: str) -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        objects.secret(cr_name=CR, namespace=NS, internal_token=token, webhook_signing_key=key)


def test_new_secret_values_are_random_and_long() -> None:
    first, second = objects.new_secret_values(), objects.new_secret_values()
    assert set(first) == {"internal-token", "webhook-signing-key"}
    assert first != second
    assert first["internal-token"] != first["webhook-signing-key"]
    assert all(len(value) >= 43 for value in first.values())  # 32 bytes, base64url


def test_service() -> None:
    assert objects.service(cr_name=CR, namespace=NS) == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "wa-teste", "namespace": "tenant-a", "labels": LABELS},
        "spec": {
            "clusterIP": "None",
            "selector": {
                "app.kubernetes.io/name": "mywhatsapp-session",
                "app.kubernetes.io/instance": "teste",
            },
            "ports": [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def test_owner_reference() -> None:
    cr = {
        "apiVersion": "mywhatsapp.io/v1alpha1",
        "kind": "WhatsAppSession",
        "metadata": {"name": "teste", "namespace": "tenant-a", "uid": "1234-abcd"},
    }
    assert objects.owner_reference(cr) == {
        "apiVersion": "mywhatsapp.io/v1alpha1",
        "kind": "WhatsAppSession",
        "name": "teste",
        "uid": "1234-abcd",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    with pytest.raises(ValueError, match="metadata.uid"):
        objects.owner_reference({"metadata": {"name": "teste"}})


def test_builders_set_no_owner_references(settings: OperatorSettings) -> None:
    manifests = [
        objects.service_account(cr_name=CR, namespace=NS),
        objects.role(cr_name=CR, namespace=NS),
        objects.role_binding(cr_name=CR, namespace=NS),
        objects.secret(cr_name=CR, namespace=NS, internal_token="t", webhook_signing_key="k"),
        objects.service(cr_name=CR, namespace=NS),
        workload.statefulset(cr_name=CR, namespace=NS, spec={}, settings=settings),
    ]
    for manifest in manifests:
        assert "ownerReferences" not in manifest["metadata"]


EXPECTED_STATEFULSET: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "teste", "namespace": "tenant-a", "labels": LABELS},
    "spec": {
        "replicas": 1,
        "serviceName": "wa-teste",
        "podManagementPolicy": "Parallel",
        "revisionHistoryLimit": 2,
        "selector": {
            "matchLabels": {
                "app.kubernetes.io/name": "mywhatsapp-session",
                "app.kubernetes.io/instance": "teste",
            }
        },
        "persistentVolumeClaimRetentionPolicy": {"whenScaled": "Retain", "whenDeleted": "Delete"},
        "updateStrategy": {"type": "RollingUpdate"},
        "template": {
            "metadata": {"labels": LABELS},
            "spec": {
                "serviceAccountName": "teste-session",
                "automountServiceAccountToken": True,
                "enableServiceLinks": False,
                "terminationGracePeriodSeconds": 30,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 10001,
                    "runAsGroup": 10001,
                    "fsGroup": 10001,
                    "fsGroupChangePolicy": "OnRootMismatch",
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [
                    {
                        "name": "session",
                        "image": "registry.example/mywhatsapp:1.2.3",
                        "command": ["mywhatsapp-sessionpod"],
                        "env": [
                            {"name": "SESSION_NAME", "value": "teste"},
                            {
                                "name": "SESSION_NAMESPACE",
                                "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
                            },
                            {
                                "name": "POD_IP",
                                "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}},
                            },
                            {
                                "name": "POD_UID",
                                "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}},
                            },
                            {"name": "HTTP_PORT", "value": "8080"},
                            {"name": "BACKEND", "value": "neonize"},
                            {"name": "QR_MAX_ATTEMPTS", "value": "5"},
                            {"name": "STATE_DIR", "value": "/var/lib/mywhatsapp"},
                            {
                                "name": "INTERNAL_TOKEN",
                                "valueFrom": {
                                    "secretKeyRef": {
                                        "name": "teste-internal",
                                        "key": "internal-token",
                                    }
                                },
                            },
                            {
                                "name": "WEBHOOK_SIGNING_KEY",
                                "valueFrom": {
                                    "secretKeyRef": {
                                        "name": "teste-internal",
                                        "key": "webhook-signing-key",
                                    }
                                },
                            },
                        ],
                        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                        "volumeMounts": [
                            {"name": "state", "mountPath": "/var/lib/mywhatsapp"},
                            {"name": "tmp", "mountPath": "/tmp"},
                        ],
                        "readinessProbe": {
                            "httpGet": {"path": "/readyz", "port": "http"},
                            "periodSeconds": 5,
                            "timeoutSeconds": 2,
                            "failureThreshold": 3,
                        },
                        "livenessProbe": {
                            "httpGet": {"path": "/healthz", "port": "http"},
                            "initialDelaySeconds": 10,
                            "periodSeconds": 20,
                            "timeoutSeconds": 5,
                            "failureThreshold": 3,
                        },
                        "resources": {
                            "requests": {"cpu": "50m", "memory": "128Mi"},
                            "limits": {"memory": "512Mi"},
                        },
                        "securityContext": {
                            "runAsNonRoot": True,
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                    }
                ],
                "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
            },
        },
        "volumeClaimTemplates": [
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": "state", "labels": LABELS},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            }
        ],
    },
}


@pytest.mark.parametrize(
    "spec",
    [
        {},
        # What the API server stores for `spec: {}` after defaulting.
        {"running": True, "qr": {"maxAttempts": 5}},
    ],
)
def test_statefulset_golden(spec: dict[str, Any], settings: OperatorSettings) -> None:
    built = workload.statefulset(cr_name=CR, namespace=NS, spec=spec, settings=settings)
    assert built == EXPECTED_STATEFULSET


def test_statefulset_with_every_spec_field(settings: OperatorSettings) -> None:
    spec = {
        "running": False,
        "sessionName": "Teste",
        "backend": "simulated",
        "webhooks": {
            "message": "https://hooks.example/msg",
            "signingSecretRef": {"name": "my-hmac", "key": "hmac"},
        },
        "qr": {"maxAttempts": 3},
        "pairingPhone": "5511999998888",
        "storage": {"size": "5Gi", "storageClassName": "fast"},
        "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": 1, "memory": "1Gi"}},
        "deviceName": "Atendimento",
    }
    before = copy.deepcopy(spec)
    built = workload.statefulset(cr_name=CR, namespace=NS, spec=spec, settings=settings)
    assert spec == before  # the input is not modified

    expected = copy.deepcopy(EXPECTED_STATEFULSET)
    expected["spec"]["replicas"] = 0
    container = expected["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [
        {"name": "SESSION_NAME", "value": "teste"},
        {
            "name": "SESSION_NAMESPACE",
            "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
        },
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "POD_UID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}},
        {"name": "HTTP_PORT", "value": "8080"},
        {"name": "BACKEND", "value": "simulated"},
        {"name": "QR_MAX_ATTEMPTS", "value": "3"},
        {"name": "DEVICE_NAME", "value": "Atendimento"},
        {"name": "PAIRING_PHONE", "value": "5511999998888"},
        {"name": "STATE_DIR", "value": "/var/lib/mywhatsapp"},
        {
            "name": "INTERNAL_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": "teste-internal", "key": "internal-token"}},
        },
        {
            "name": "WEBHOOK_SIGNING_KEY",
            "valueFrom": {"secretKeyRef": {"name": "my-hmac", "key": "hmac"}},
        },
    ]
    container["resources"] = {"requests": {"cpu": "100m"}, "limits": {"cpu": 1, "memory": "1Gi"}}
    expected["spec"]["volumeClaimTemplates"][0]["spec"] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "5Gi"}},
        "storageClassName": "fast",
    }
    assert built == expected


def test_statefulset_uses_operator_defaults() -> None:
    settings = OperatorSettings(
        session_image="img:2",
        default_backend="simulated",
        default_storage_class="standard",
        default_storage_size="2Gi",
        default_resources={"limits": {"memory": "256Mi"}},
    )
    built = workload.statefulset(cr_name=CR, namespace=NS, spec={}, settings=settings)
    pod = built["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "img:2"
    assert {"name": "BACKEND", "value": "simulated"} in container["env"]
    assert container["resources"] == {"limits": {"memory": "256Mi"}}
    assert built["spec"]["volumeClaimTemplates"][0]["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "2Gi"}},
        "storageClassName": "standard",
    }
    # spec.storage.size wins over the operator default; the class still defaults.
    built = workload.statefulset(
        cr_name=CR, namespace=NS, spec={"storage": {"size": "3Gi"}}, settings=settings
    )
    assert built["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "standard"
    assert built["spec"]["volumeClaimTemplates"][0]["spec"]["resources"] == {
        "requests": {"storage": "3Gi"}
    }


def test_statefulset_does_not_share_settings_state(settings: OperatorSettings) -> None:
    built = workload.statefulset(cr_name=CR, namespace=NS, spec={}, settings=settings)
    built["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = "1Ti"
    assert settings.default_resources["limits"]["memory"] == "512Mi"


def test_signing_secret_ref_key_defaults(settings: OperatorSettings) -> None:
    spec = {"webhooks": {"signingSecretRef": {"name": "my-hmac"}}}
    built = workload.statefulset(cr_name=CR, namespace=NS, spec=spec, settings=settings)
    env = built["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env[-1] == {
        "name": "WEBHOOK_SIGNING_KEY",
        "valueFrom": {"secretKeyRef": {"name": "my-hmac", "key": "webhook-signing-key"}},
    }


@pytest.mark.parametrize(("running", "replicas"), [(True, 1), (False, 0)])
def test_replicas_follow_running(running: bool, replicas: int) -> None:
    assert workload.replicas({"running": running}) == replicas


@pytest.mark.parametrize("bad", ["false", 0, None])
def test_replicas_refuse_non_booleans(bad: object) -> None:
    with pytest.raises(ValueError, match="spec.running"):
        workload.replicas({"running": bad})


def test_statefulset_for_the_longest_name(settings: OperatorSettings) -> None:
    cr_name = "a" * 40 + "-hyd4l2tn4fm"
    built = workload.statefulset(cr_name=cr_name, namespace=NS, spec={}, settings=settings)
    assert built["metadata"]["name"] == cr_name
    assert built["spec"]["serviceName"] == "wa-" + cr_name
    for value in built["metadata"]["labels"].values():
        assert len(value) <= 63


def test_statefulset_refuses_an_invalid_name(settings: OperatorSettings) -> None:
    with pytest.raises(ValueError, match="not a valid WhatsAppSession name"):
        workload.statefulset(cr_name="Teste", namespace=NS, spec={}, settings=settings)
