"""Pod volumes as host folders, ready to be bind-mounted into the pod's mount namespace.

- persistentVolumeClaim → the bound PV's hostPath folder (outlives the pod);
- emptyDir → a folder of the pod, removed with it;
- secret, configMap, downwardAPI, projected (with serviceAccountToken from the
  TokenRequest API) → files written into a folder of the pod;
- hostPath → the path itself.
The API lookups are done by a `VolumeSource` passed in (see `kubelet.api`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .envvars import ConfigError, field_value


class VolumeSource(Protocol):
    def object_data(self, namespace: str, kind: str, name: str) -> Mapping[str, str] | None: ...
    def pvc_host_path(self, namespace: str, claim: str) -> Path | None: ...
    def service_account_token(
        self, namespace: str, sa: str, pod: Mapping[str, Any], audience: str | None, seconds: int
    ) -> tuple[str, float]: ...


@dataclass
class TokenFile:
    """A projected token and when to refresh it (at 80 % of its life, as the kubelet does)."""

    path: Path
    audience: str | None
    seconds: int
    refresh_at: float = 0.0


@dataclass
class PodVolumes:
    host_paths: dict[str, Path] = field(default_factory=dict)
    tokens: list[TokenFile] = field(default_factory=list)


def _write_files(folder: Path, files: Mapping[str, str | bytes], mode: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(content.encode() if isinstance(content, str) else content)
        tmp.chmod(mode)
        os.replace(tmp, target)


def _select(data: Mapping[str, str], items: list[Mapping[str, Any]] | None, what: str, optional: bool) -> dict[str, str]:
    if not items:
        return dict(data)
    out = {}
    for item in items:
        if item["key"] not in data:
            if optional:
                continue
            raise ConfigError(f"{what} has no key {item['key']!r}")
        out[item["path"]] = data[item["key"]]
    return out


def _object_files(src: VolumeSource, ns: str, kind: str, ref: Mapping[str, Any], name_key: str) -> dict[str, str]:
    name = ref[name_key]
    data = src.object_data(ns, kind, name)
    if data is None:
        if ref.get("optional"):
            return {}
        raise ConfigError(f"{kind} {name!r} not found")
    return _select(data, ref.get("items"), f"{kind} {name!r}", bool(ref.get("optional")))


def _downward_files(pod: Mapping[str, Any], items: list[Mapping[str, Any]]) -> dict[str, str]:
    out = {}
    for item in items:
        if "fieldRef" not in item:
            raise ConfigError("only fieldRef items are supported in downwardAPI volumes")
        out[item["path"]] = field_value(pod, item["fieldRef"]["fieldPath"])
    return out


def prepare(pod: Mapping[str, Any], pod_dir: Path, src: VolumeSource) -> PodVolumes:
    """Materialise every volume of `pod`; raise ConfigError while something is missing."""
    ns = pod["metadata"]["namespace"]
    result = PodVolumes()
    for vol in pod["spec"].get("volumes") or []:
        name = vol["name"]
        folder = pod_dir / "volumes" / name
        if "persistentVolumeClaim" in vol:
            claim = vol["persistentVolumeClaim"]["claimName"]
            path = src.pvc_host_path(ns, claim)
            if path is None:
                raise ConfigError(f"PersistentVolumeClaim {claim!r} is not bound yet")
            path.mkdir(parents=True, exist_ok=True)
            result.host_paths[name] = path
        elif "hostPath" in vol:
            path = Path(vol["hostPath"]["path"])
            if vol["hostPath"].get("type") in ("DirectoryOrCreate", None, ""):
                path.mkdir(parents=True, exist_ok=True)
            result.host_paths[name] = path
        elif "emptyDir" in vol:
            folder.mkdir(parents=True, exist_ok=True)
            result.host_paths[name] = folder
        elif "secret" in vol:
            ref = vol["secret"]
            _write_files(folder, _object_files(src, ns, "Secret", ref, "secretName"), ref.get("defaultMode", 0o644))
            result.host_paths[name] = folder
        elif "configMap" in vol:
            ref = vol["configMap"]
            _write_files(folder, _object_files(src, ns, "ConfigMap", ref, "name"), ref.get("defaultMode", 0o644))
            result.host_paths[name] = folder
        elif "downwardAPI" in vol:
            ref = vol["downwardAPI"]
            _write_files(folder, _downward_files(pod, ref.get("items") or []), ref.get("defaultMode", 0o644))
            result.host_paths[name] = folder
        elif "projected" in vol:
            _prepare_projected(pod, vol["projected"], folder, src, result)
            result.host_paths[name] = folder
        else:
            raise ConfigError(f"volume {name!r}: this local kubelet does not support {sorted(set(vol) - {'name'})}")
    return result


def _prepare_projected(
    pod: Mapping[str, Any], spec: Mapping[str, Any], folder: Path, src: VolumeSource, result: PodVolumes
) -> None:
    ns = pod["metadata"]["namespace"]
    mode = spec.get("defaultMode", 0o644)
    files: dict[str, str] = {}
    for source in spec.get("sources") or []:
        if "serviceAccountToken" in source:
            tok = source["serviceAccountToken"]
            token_file = TokenFile(
                path=folder / tok["path"], audience=tok.get("audience"),
                seconds=int(tok.get("expirationSeconds", 3600)),
            )
            refresh_token(pod, token_file, src, mode=mode)
            result.tokens.append(token_file)
        elif "configMap" in source:
            files.update(_object_files(src, ns, "ConfigMap", source["configMap"], "name"))
        elif "secret" in source:
            files.update(_object_files(src, ns, "Secret", source["secret"], "name"))
        elif "downwardAPI" in source:
            files.update(_downward_files(pod, source["downwardAPI"].get("items") or []))
        else:
            raise ConfigError(f"unsupported projected source {sorted(source)}")
    _write_files(folder, files, mode)


def refresh_token(pod: Mapping[str, Any], token: TokenFile, src: VolumeSource, *, mode: int = 0o644) -> None:
    sa = pod["spec"].get("serviceAccountName") or "default"
    value, lifetime = src.service_account_token(
        pod["metadata"]["namespace"], sa, pod, token.audience, token.seconds)
    _write_files(token.path.parent, {token.path.name: value}, mode)
    token.refresh_at = time.monotonic() + 0.8 * lifetime


def mounts(container: Mapping[str, Any], volumes: PodVolumes) -> list[tuple[str, str, bool]]:
    """(host source, mount path, read-only) for each volumeMount of the container."""
    out = []
    for m in container.get("volumeMounts") or []:
        base = volumes.host_paths.get(m["name"])
        if base is None:
            raise ConfigError(f"volumeMount {m['name']!r} names no volume of the pod")
        source = base / m["subPath"] if m.get("subPath") else base
        if m.get("subPath"):
            if ".." in Path(m["subPath"]).parts:
                raise ConfigError(f"subPath {m['subPath']!r} may not contain '..'")
            if not source.exists():
                source.mkdir(parents=True, exist_ok=True)
        out.append((str(source), m["mountPath"], bool(m.get("readOnly"))))
    return out
