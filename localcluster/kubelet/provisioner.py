"""Dynamic provisioner of the `local` StorageClass.

The PV controller of kube-controller-manager marks each pending claim of this
class with `volume.kubernetes.io/storage-provisioner`; we answer with a
hostPath PersistentVolume (a folder under the cluster's state) pre-bound to
the claim. When a claim is deleted and its PV is Released with reclaim policy
Delete, the folder and the PV go too.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mywhatsapp.common.kube_errors import KubeError

from ..config import PROVISIONER
from .api import KubeletApi

log = logging.getLogger("kubelet.provisioner")
PROVISIONER_ANNOTATIONS = ("volume.kubernetes.io/storage-provisioner", "volume.beta.kubernetes.io/storage-provisioner")


def wants_volume(pvc: Mapping[str, Any]) -> bool:
    ann = pvc["metadata"].get("annotations") or {}
    return (
        any(ann.get(k) == PROVISIONER for k in PROVISIONER_ANNOTATIONS)
        and not pvc["spec"].get("volumeName")
        and (pvc.get("status") or {}).get("phase", "Pending") == "Pending"
        and not pvc["metadata"].get("deletionTimestamp")
    )


def pv_for(pvc: Mapping[str, Any], volumes_dir: Path, reclaim: str = "Delete") -> dict[str, Any]:
    meta, spec = pvc["metadata"], pvc["spec"]
    name = f"pvc-{meta['uid']}"
    return {
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": name, "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER}},
        "spec": {
            "capacity": {"storage": spec["resources"]["requests"]["storage"]},
            "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": reclaim,
            "storageClassName": spec.get("storageClassName"),
            "volumeMode": spec.get("volumeMode", "Filesystem"),
            "hostPath": {"path": str(volumes_dir / name), "type": "DirectoryOrCreate"},
            "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": meta["namespace"],
                         "name": meta["name"], "uid": meta["uid"]},
        },
    }


def provision(api: KubeletApi, pvc: Mapping[str, Any], volumes_dir: Path) -> None:
    sc_name = pvc["spec"].get("storageClassName")
    sc = api.get_or_none(f"/apis/storage.k8s.io/v1/storageclasses/{sc_name}") if sc_name else None
    pv = pv_for(pvc, volumes_dir, (sc or {}).get("reclaimPolicy", "Delete"))
    Path(pv["spec"]["hostPath"]["path"]).mkdir(parents=True, exist_ok=True)
    try:
        api.request("POST", "/api/v1/persistentvolumes", pv)
        log.info("provisioned %s for %s/%s", pv["metadata"]["name"], pvc["metadata"]["namespace"],
                 pvc["metadata"]["name"])
    except KubeError as e:
        if e.status != 409:
            raise


def reclaim(api: KubeletApi, pv: Mapping[str, Any], volumes_dir: Path) -> None:
    """Delete a Released PV of ours whose policy is Delete, and its folder."""
    ann = pv["metadata"].get("annotations") or {}
    spec = pv["spec"]
    if (ann.get("pv.kubernetes.io/provisioned-by") != PROVISIONER
            or (pv.get("status") or {}).get("phase") not in ("Released", "Failed")
            or spec.get("persistentVolumeReclaimPolicy") != "Delete"):
        return
    path = Path((spec.get("hostPath") or {}).get("path", ""))
    if path.parent == volumes_dir:  # never remove anything outside our folder
        shutil.rmtree(path, ignore_errors=True)
    try:
        api.request("DELETE", f"/api/v1/persistentvolumes/{pv['metadata']['name']}")
    except KubeError as e:
        if e.status != 404:
            raise
