"""Unit tests of the local kubelet's pure parts: env resolution, commands, images, addresses, PVs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mywhatsapp.localcluster.kubelet.container import argv_of, runnable_image
from mywhatsapp.localcluster.kubelet.envvars import ConfigError, container_env, expand
from mywhatsapp.localcluster.kubelet.main import IpPool
from mywhatsapp.localcluster.kubelet.provisioner import pv_for, wants_volume

POD = {"metadata": {"name": "p", "namespace": "ns", "uid": "u1", "labels": {"app": "x"}},
       "spec": {"nodeName": "n", "serviceAccountName": "sa"},
       "status": {"podIP": "127.1.0.9"}}


def lookup(kind: str, name: str):  # type: ignore[no-untyped-def]
    return {("Secret", "s"): {"k": "secret"}, ("ConfigMap", "c"): {"k": "conf", "x": "1"}}.get((kind, name))


@pytest.mark.parametrize(("text", "env", "out"), [
    ("$(A)-$(B)", {"A": "1", "B": "2"}, "1-2"),
    ("$(MISSING)", {}, "$(MISSING)"),
    ("$$(A)", {"A": "1"}, "$(A)"),
    ("plain", {}, "plain"),
])
def test_expand_follows_kubernetes_rules(text: str, env: dict[str, str], out: str) -> None:
    assert expand(text, env) == out


def test_container_env_resolves_every_source_in_order() -> None:
    container = {
        "envFrom": [{"configMapRef": {"name": "c"}, "prefix": "CM_"}],
        "env": [
            {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            {"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
            {"name": "C", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}},
            {"name": "OPT", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k", "optional": True}}},
            {"name": "BOTH", "value": "$(S)/$(C)"},
        ],
    }
    env = container_env(POD, container, base={"BASE": "b"}, lookup=lookup)
    assert env == {"BASE": "b", "CM_k": "conf", "CM_x": "1", "NAME": "p", "IP": "127.1.0.9", "APP": "x",
                   "S": "secret", "C": "conf", "BOTH": "secret/conf"}


def test_container_env_refuses_a_missing_required_key() -> None:
    container = {"env": [{"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "absent"}}}]}
    with pytest.raises(ConfigError, match="has no key 'absent'"):
        container_env(POD, container, base={}, lookup=lookup)


@pytest.mark.parametrize(("spec", "argv"), [
    ({}, ["mywhatsapp-api"]),
    ({"args": ["x", "y"]}, ["x", "y"]),
    ({"command": ["a"], "args": ["b"]}, ["a", "b"]),
])
def test_argv_of_applies_command_and_args_over_the_image_cmd(spec: dict, argv: list[str]) -> None:
    assert argv_of(spec) == argv


@pytest.mark.parametrize(("image", "ok"), [
    ("mywhatsapp-operator:dev", True),
    ("ghcr.io/acme/mywhatsapp-operator:1.2", True),
    ("mywhatsapp-operator@sha256:abc", True),
    ("nginx:1.27", False),
    ("mywhatsapp-operator-evil:1", False),
])
def test_only_the_project_image_is_runnable(image: str, ok: bool) -> None:
    assert runnable_image(image) is ok


def test_ip_pool_hands_out_unique_addresses_and_reuses_given_back_ones() -> None:
    pool = IpPool(7)
    a, b = pool.take(), pool.take()
    assert a != b and a.startswith("127.7.") and b.startswith("127.7.")
    assert pool.take(wanted="127.7.3.3") == "127.7.3.3"
    assert pool.take(wanted="127.7.3.3") != "127.7.3.3"  # taken: another one is given
    pool.give_back(a)
    assert pool.take() == a


def test_provisioner_builds_a_pre_bound_hostpath_volume(tmp_path: Path) -> None:
    pvc = {"metadata": {"name": "data", "namespace": "ns", "uid": "abc",
                        "annotations": {"volume.kubernetes.io/storage-provisioner": "mywhatsapp.io/local"}},
           "spec": {"storageClassName": "local", "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}}},
           "status": {"phase": "Pending"}}
    assert wants_volume(pvc)
    pv = pv_for(pvc, tmp_path)
    assert pv["metadata"]["name"] == "pvc-abc"
    assert pv["spec"]["hostPath"]["path"] == str(tmp_path / "pvc-abc")
    assert pv["spec"]["claimRef"] == {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                      "namespace": "ns", "name": "data", "uid": "abc"}
    assert pv["spec"]["capacity"] == {"storage": "1Gi"}
    assert not wants_volume({**pvc, "spec": {**pvc["spec"], "volumeName": "pvc-abc"}})
