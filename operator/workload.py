"""Pure builder of a session's StatefulSet, and the effective values it uses.

One replica (0 when ``spec.running`` is false) guarantees at most one WhatsApp
connection per device; the volume claim template holds the login state, kept
on scale-down and deleted with the session. Values the CR leaves unset come
from ``OperatorSettings``.

Note for the handler: a StatefulSet's ``volumeClaimTemplates`` (and selector)
cannot change after creation, so updates must patch everything else only.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from mywhatsapp.common import crd, names, pod_contract
from mywhatsapp.operator.config import OperatorSettings
from mywhatsapp.operator.objects import Manifest, selector_labels, session_labels

DEFAULT_QR_MAX_ATTEMPTS = 5
TERMINATION_GRACE_PERIOD_SECONDS = 30
REVISION_HISTORY_LIMIT = 2
CONTAINER_NAME = "session"
TMP_VOLUME_NAME = "tmp"
TMP_VOLUME_SIZE_LIMIT = "64Mi"


def replicas(spec: Mapping[str, Any]) -> int:
    """1 while ``spec.running`` (default true), else 0."""
    running = spec.get("running", True)
    if not isinstance(running, bool):
        raise ValueError(f"spec.running must be true or false, not {running!r}")
    return 1 if running else 0


def backend(spec: Mapping[str, Any], settings: OperatorSettings) -> str:
    """``spec.backend`` or the operator's default."""
    return str(spec.get("backend") or settings.default_backend)


def qr_max_attempts(spec: Mapping[str, Any]) -> int:
    """``spec.qr.maxAttempts`` or 5 (the CRD defaults it too)."""
    return int((spec.get("qr") or {}).get("maxAttempts", DEFAULT_QR_MAX_ATTEMPTS))


def storage_size(spec: Mapping[str, Any], settings: OperatorSettings) -> str:
    """``spec.storage.size`` or the operator's default size."""
    return str((spec.get("storage") or {}).get("size") or settings.default_storage_size)


def storage_class(spec: Mapping[str, Any], settings: OperatorSettings) -> str | None:
    """``spec.storage.storageClassName``, else the operator's default, else None.

    None leaves the field out, so the cluster's default StorageClass applies.
    """
    return (spec.get("storage") or {}).get("storageClassName") or settings.default_storage_class


def container_resources(spec: Mapping[str, Any], settings: OperatorSettings) -> dict[str, Any]:
    """``spec.resources`` when given (as a whole), else the operator's defaults."""
    chosen = spec.get("resources") or settings.default_resources
    return {key: dict(value) for key, value in copy.deepcopy(dict(chosen)).items() if value}


def _signing_key_ref(cr_name: str, spec: Mapping[str, Any]) -> dict[str, str]:
    ref = (spec.get("webhooks") or {}).get("signingSecretRef")
    if ref:
        return {"name": ref["name"], "key": ref.get("key") or crd.SECRET_KEY_WEBHOOK_SIGNING}
    return {"name": names.secret_name(cr_name), "key": crd.SECRET_KEY_WEBHOOK_SIGNING}


def _env(cr_name: str, spec: Mapping[str, Any], settings: OperatorSettings) -> list[dict[str, Any]]:
    def value(name: str, text: str) -> dict[str, Any]:
        return {"name": name, "value": text}

    def field(name: str, path: str) -> dict[str, Any]:
        return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}

    def secret_key(name: str, ref: dict[str, str]) -> dict[str, Any]:
        return {"name": name, "valueFrom": {"secretKeyRef": ref}}

    env = [
        value(pod_contract.ENV_SESSION_NAME, cr_name),
        field(pod_contract.ENV_SESSION_NAMESPACE, "metadata.namespace"),
        field(pod_contract.ENV_POD_IP, "status.podIP"),
        field(pod_contract.ENV_POD_UID, "metadata.uid"),
        value(pod_contract.ENV_HTTP_PORT, str(pod_contract.HTTP_PORT)),
        value(pod_contract.ENV_BACKEND, backend(spec, settings)),
        value(pod_contract.ENV_QR_MAX_ATTEMPTS, str(qr_max_attempts(spec))),
    ]
    if spec.get("deviceName"):
        env.append(value(pod_contract.ENV_DEVICE_NAME, str(spec["deviceName"])))
    if spec.get("pairingPhone"):
        env.append(value(pod_contract.ENV_PAIRING_PHONE, str(spec["pairingPhone"])))
    if backend(spec, settings) == "simulated" and settings.simulator_url:
        env.append(value(pod_contract.ENV_SIMULATOR_URL, settings.simulator_url))
    if settings.webhook_allow_private:
        env.append(value(pod_contract.ENV_WEBHOOK_ALLOW_PRIVATE, "1"))
    env += [
        value(pod_contract.ENV_STATE_DIR, pod_contract.STATE_DIR),
        secret_key(
            pod_contract.ENV_INTERNAL_TOKEN,
            {"name": names.secret_name(cr_name), "key": crd.SECRET_KEY_INTERNAL_TOKEN},
        ),
        secret_key(pod_contract.ENV_WEBHOOK_SIGNING_KEY, _signing_key_ref(cr_name, spec)),
    ]
    return env


def _probe(path: str, **timing: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": pod_contract.HTTP_PORT_NAME}, **timing}


def _container(cr_name: str, spec: Mapping[str, Any], settings: OperatorSettings) -> Manifest:
    return {
        "name": CONTAINER_NAME,
        "image": settings.session_image,
        "command": list(pod_contract.COMMAND),
        "env": _env(cr_name, spec, settings),
        "ports": [
            {
                "name": pod_contract.HTTP_PORT_NAME,
                "containerPort": pod_contract.HTTP_PORT,
                "protocol": "TCP",
            }
        ],
        "volumeMounts": [
            {"name": names.pvc_template_name(), "mountPath": pod_contract.STATE_DIR},
            {"name": TMP_VOLUME_NAME, "mountPath": pod_contract.TMP_DIR},
        ],
        "readinessProbe": _probe(
            pod_contract.READINESS_PATH, periodSeconds=5, timeoutSeconds=2, failureThreshold=3
        ),
        "livenessProbe": _probe(
            pod_contract.LIVENESS_PATH,
            initialDelaySeconds=10,
            periodSeconds=20,
            timeoutSeconds=5,
            failureThreshold=3,
        ),
        "resources": container_resources(spec, settings),
        "securityContext": {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def _volume_claim_template(
    cr_name: str, spec: Mapping[str, Any], settings: OperatorSettings
) -> Manifest:
    claim_spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": storage_size(spec, settings)}},
    }
    class_name = storage_class(spec, settings)
    if class_name:
        claim_spec["storageClassName"] = class_name
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": names.pvc_template_name(), "labels": session_labels(cr_name=cr_name)},
        "spec": claim_spec,
    }


def statefulset(
    *, cr_name: str, namespace: str, spec: Mapping[str, Any], settings: OperatorSettings
) -> Manifest:
    """The session's StatefulSet manifest (no owner reference; the handler adopts it)."""
    labels = session_labels(cr_name=cr_name)
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": names.statefulset_name(cr_name),
            "namespace": namespace,
            "labels": labels,
        },
        "spec": {
            "replicas": replicas(spec),
            "serviceName": names.service_name(cr_name),
            "podManagementPolicy": "Parallel",
            "revisionHistoryLimit": REVISION_HISTORY_LIMIT,
            "selector": {"matchLabels": selector_labels(cr_name=cr_name)},
            "persistentVolumeClaimRetentionPolicy": {
                "whenScaled": "Retain",
                "whenDeleted": "Delete",
            },
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "serviceAccountName": names.service_account_name(cr_name),
                    "automountServiceAccountToken": True,
                    "enableServiceLinks": False,
                    "terminationGracePeriodSeconds": TERMINATION_GRACE_PERIOD_SECONDS,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": pod_contract.RUN_AS_USER,
                        "runAsGroup": pod_contract.RUN_AS_GROUP,
                        "fsGroup": pod_contract.RUN_AS_GROUP,
                        "fsGroupChangePolicy": "OnRootMismatch",
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [_container(cr_name, spec, settings)],
                    "volumes": [
                        {
                            "name": TMP_VOLUME_NAME,
                            "emptyDir": {"sizeLimit": TMP_VOLUME_SIZE_LIMIT},
                        }
                    ],
                },
            },
            "volumeClaimTemplates": [_volume_claim_template(cr_name, spec, settings)],
        },
    }
