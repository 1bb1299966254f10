"""A container's environment, resolved as the kubelet does.

`env` entries in order (value with `$(VAR)` expansion, or `valueFrom` a
field, a Secret key, a ConfigMap key or a resource field), after `envFrom`,
over the variables every pod gets (KUBERNETES_SERVICE_HOST/PORT, HOSTNAME).
Lookups of Secrets and ConfigMaps are passed in, so this module stays pure.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any

Lookup = Callable[[str, str], Mapping[str, str] | None]  # (kind, name) -> data or None


class ConfigError(Exception):
    """The container cannot start yet: a referenced object or key is missing."""


_VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
_SUBSCRIPT = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion: known names are replaced, `$$` escapes, others stay."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))

    return _VAR_REF.sub(sub, text)


def field_value(pod: Mapping[str, Any], path: str) -> str:
    meta, spec, status = pod.get("metadata", {}), pod.get("spec", {}), pod.get("status", {}) or {}
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.hostIP": status.get("hostIP"),
        "status.podIP": status.get("podIP"),
        "status.podIPs": ",".join(i["ip"] for i in status.get("podIPs") or []),
    }
    if path in simple:
        return simple[path] or ""
    m = _SUBSCRIPT.match(path)
    if m:
        return (meta.get(m.group(1)) or {}).get(m.group(2), "")
    raise ConfigError(f"unsupported fieldRef {path!r}")


def _key_ref(ref: Mapping[str, Any], kind: str, lookup: Lookup) -> str | None:
    data = lookup(kind, ref["name"])
    if data is None or ref["key"] not in data:
        if ref.get("optional"):
            return None
        what = "not found" if data is None else f"has no key {ref['key']!r}"
        raise ConfigError(f"{kind} {ref['name']!r} {what}")
    return data[ref["key"]]


def resource_value(container: Mapping[str, Any], ref: Mapping[str, Any], node_alloc: Mapping[str, str]) -> str:
    resource = ref["resource"]
    section, _, name = resource.partition(".")
    value = ((container.get("resources") or {}).get(section) or {}).get(name) or node_alloc.get(name, "0")
    return str(value)


def container_env(
    pod: Mapping[str, Any],
    container: Mapping[str, Any],
    *,
    base: Mapping[str, str],
    lookup: Lookup,
    node_alloc: Mapping[str, str] | None = None,
) -> dict[str, str]:
    env = dict(base)
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if key in source:
                data = lookup(kind, source[key]["name"])
                if data is None:
                    if source[key].get("optional"):
                        continue
                    raise ConfigError(f"{kind} {source[key]['name']!r} not found")
                env.update({prefix + k: v for k, v in data.items()})
    for item in container.get("env") or []:
        name = item["name"]
        if "valueFrom" not in item:
            env[name] = expand(item.get("value", ""), env)
            continue
        src = item["valueFrom"]
        if "fieldRef" in src:
            env[name] = field_value(pod, src["fieldRef"]["fieldPath"])
        elif "secretKeyRef" in src:
            value = _key_ref(src["secretKeyRef"], "Secret", lookup)
            if value is not None:
                env[name] = value
        elif "configMapKeyRef" in src:
            value = _key_ref(src["configMapKeyRef"], "ConfigMap", lookup)
            if value is not None:
                env[name] = value
        elif "resourceFieldRef" in src:
            env[name] = resource_value(container, src["resourceFieldRef"], node_alloc or {})
        else:
            raise ConfigError(f"unsupported valueFrom for {name!r}")
    return env


def decode_secret(data: Mapping[str, str] | None) -> dict[str, str]:
    return {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in (data or {}).items()}
