"""The Helm chart without a cluster: lint, rendering with default and other values, the schema, single sources."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.chart import (
    CHART,
    NAMESPACE,
    REPO,
    container,
    env,
    find,
    helm,
    labels_match,
    one,
    render,
    render_text,
)

FULL = "r-mywhatsapp"
OPERATOR, API = f"{FULL}-operator", f"{FULL}-api"
OPERATOR_RULES = yaml.safe_load((CHART / "files" / "operator-rules.yaml").read_text())
OPERATOR_CLUSTER_RULES = yaml.safe_load((CHART / "files" / "operator-cluster-rules.yaml").read_text())


@pytest.fixture(scope="module")
def default() -> list[dict[str, Any]]:
    return render()


# --- lint, sources ---------------------------------------------------------------------


def test_helm_lint_is_clean() -> None:
    out = helm("lint", str(CHART), "--strict").stdout
    assert "0 chart(s) failed" in out
    findings = [line for line in out.splitlines() if line.startswith("[")]
    # Only the icon suggestion: the project has no icon to point at.
    assert findings == ["[INFO] Chart.yaml: icon is recommended"], out


def test_lint_with_non_default_values_is_clean() -> None:
    out = helm("lint", str(CHART), "--strict", "--set", "rbac.clusterWide=true,api.replicas=2,"
               "api.ingress.enabled=true,api.ingress.hosts[0]=wa.example.com").stdout
    assert "0 chart(s) failed" in out


def test_chart_metadata() -> None:
    meta = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert meta["apiVersion"] == "v2"
    assert meta["name"] == "mywhatsapp"
    assert meta["appVersion"] == "0.1.0"


def test_crds_in_the_chart_are_the_top_level_crds() -> None:
    """crds/ is the single source; the chart's crds/ must be byte-identical copies of it."""
    top = {p.name: p.read_bytes() for p in sorted((REPO / "crds").glob("*.yaml"))}
    chart = {p.name: p.read_bytes() for p in sorted((CHART / "crds").iterdir())}
    assert set(chart) == set(top), "the chart's crds/ must hold exactly the files of crds/"
    stale = [name for name in top if chart[name] != top[name]]
    assert not stale, f"helm/mywhatsapp/crds/ is out of date ({stale}): run  cp crds/*.yaml helm/mywhatsapp/crds/"


def test_rendered_crds_are_the_crd_files() -> None:
    objs = render(include_crds=True)
    rendered = {o["metadata"]["name"]: o for o in find(objs, "CustomResourceDefinition")}
    expected = {}
    for path in (REPO / "crds").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            expected[doc["metadata"]["name"]] = doc
    assert rendered == expected


def test_operator_rbac_comes_from_the_rule_files_only(default: list[dict[str, Any]]) -> None:
    role = one(default, "Role", OPERATOR)
    assert role["metadata"]["namespace"] == NAMESPACE
    assert role["rules"] == OPERATOR_RULES
    cluster_role = one(default, "ClusterRole", f"{NAMESPACE}-{FULL}-operator-cluster")
    assert cluster_role["rules"] == OPERATOR_CLUSTER_RULES
    # Not copied: the templates read the files.
    for name in ("operator-role.yaml", "operator-clusterrole.yaml"):
        text = (CHART / "templates" / name).read_text()
        assert ".Files.Get \"files/operator-" in text and "apiGroups" not in text


def test_operator_rbac_cluster_wide_comes_from_the_rule_files() -> None:
    objs = render({"rbac": {"clusterWide": True}})
    assert not find(objs, "Role", OPERATOR) and not find(objs, "RoleBinding", OPERATOR)
    assert one(objs, "ClusterRole", f"{NAMESPACE}-{FULL}-operator")["rules"] == OPERATOR_RULES
    assert one(objs, "ClusterRole", f"{NAMESPACE}-{FULL}-operator-cluster")["rules"] == OPERATOR_CLUSTER_RULES
    bindings = {b["metadata"]["name"]: b for b in find(objs, "ClusterRoleBinding")}
    assert set(bindings) == {f"{NAMESPACE}-{FULL}-operator", f"{NAMESPACE}-{FULL}-operator-cluster"}
    for name, binding in bindings.items():
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": OPERATOR, "namespace": NAMESPACE}]


def test_rule_files_say_why_for_every_rule() -> None:
    for name in ("operator-rules.yaml", "operator-cluster-rules.yaml"):
        text = (CHART / "files" / name).read_text()
        rules = yaml.safe_load(text)
        assert text.count("- #") == len(rules), f"{name}: every rule starts with a comment saying why"


# --- default values ----------------------------------------------------------------------


def test_default_objects(default: list[dict[str, Any]]) -> None:
    got = sorted((o["kind"], o["metadata"]["name"], o["metadata"].get("namespace")) for o in default)
    assert got == sorted([
        ("ServiceAccount", OPERATOR, NAMESPACE),
        ("Role", OPERATOR, NAMESPACE),
        ("RoleBinding", OPERATOR, NAMESPACE),
        ("ClusterRole", f"{NAMESPACE}-{FULL}-operator-cluster", None),
        ("ClusterRoleBinding", f"{NAMESPACE}-{FULL}-operator-cluster", None),
        ("Deployment", OPERATOR, NAMESPACE),
        ("ServiceAccount", API, NAMESPACE),
        ("Role", API, NAMESPACE),
        ("RoleBinding", API, NAMESPACE),
        ("Secret", API, NAMESPACE),
        ("Deployment", API, NAMESPACE),
        ("Service", API, NAMESPACE),
        ("NetworkPolicy", f"{FULL}-sessions", NAMESPACE),
    ])


def test_every_object_has_the_standard_labels(default: list[dict[str, Any]]) -> None:
    for obj in default:
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == "r"
        assert labels["app.kubernetes.io/part-of"] == "mywhatsapp"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["helm.sh/chart"] == "mywhatsapp-0.1.0"


def _pod_is_hardened(deployment: dict[str, Any]) -> None:
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                      "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}}
    c = container(deployment)
    assert c["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]}}
    assert c["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]
    assert c["resources"]["requests"] and c["resources"]["limits"]["memory"]


def test_operator_deployment(default: list[dict[str, Any]]) -> None:
    dep = one(default, "Deployment", OPERATOR)
    pod = dep["spec"]["template"]["spec"]
    assert dep["spec"]["replicas"] == 1
    assert labels_match(dep["spec"]["selector"]["matchLabels"], dep["spec"]["template"]["metadata"]["labels"])
    assert pod["serviceAccountName"] == OPERATOR
    c = container(dep)
    assert c["image"] == "mywhatsapp-operator:0.1.0"
    assert c["command"] == ["mywhatsapp-operator"]
    assert env(dep) == {
        "MYWHATSAPP_WATCH_NAMESPACES": NAMESPACE,
        "MYWHATSAPP_SESSION_IMAGE": "mywhatsapp-operator:0.1.0",
        "MYWHATSAPP_DEFAULT_BACKEND": "neonize",
        "MYWHATSAPP_DEFAULT_STORAGE_CLASS": "",
        "MYWHATSAPP_DEFAULT_STORAGE_SIZE": "1Gi",
        "MYWHATSAPP_DEFAULT_RESOURCES": json.dumps(
            {"limits": {"memory": "512Mi"}, "requests": {"cpu": "50m", "memory": "128Mi"}}, separators=(",", ":")),
        "MYWHATSAPP_LOGOUT_TIMEOUT_SECONDS": "10",
        "MYWHATSAPP_HEALTH_PORT": "8081",
        "MYWHATSAPP_METRICS_PORT": "9090",
        "LOG_LEVEL": "INFO",
        "POD_IP": {"fieldRef": {"fieldPath": "status.podIP"}},
        "MYWHATSAPP_WEBHOOK_ALLOW_PRIVATE": "false",
    }
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"health": 8081, "metrics": 9090}
    for probe in ("livenessProbe", "readinessProbe"):
        assert c[probe]["httpGet"] == {"path": "/healthz", "port": "health"}
    _pod_is_hardened(dep)


def test_operator_env_is_what_the_operator_reads(default: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    from mywhatsapp.operator.config import OperatorSettings

    for name, value in env(one(default, "Deployment", OPERATOR)).items():
        if isinstance(value, str):  # valueFrom entries come from the downward API
            monkeypatch.setenv(name, value)
    settings = OperatorSettings()
    assert settings.watch_namespaces == [NAMESPACE]
    assert settings.default_backend == "neonize"
    assert settings.default_storage_class is None
    assert settings.default_resources == {"requests": {"cpu": "50m", "memory": "128Mi"},
                                          "limits": {"memory": "512Mi"}}
    assert (settings.health_port, settings.metrics_port) == (8081, 9090)


def test_api_deployment(default: list[dict[str, Any]]) -> None:
    dep = one(default, "Deployment", API)
    assert dep["spec"]["template"]["spec"]["serviceAccountName"] == API
    c = container(dep)
    assert c["command"] == ["mywhatsapp-api"]
    e = env(dep)
    assert e["IPV4"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    assert e["PORT"] == "9009"
    assert e["SESSIONS_NAMESPACE"] == NAMESPACE
    assert e["ENVIRONMENT"] == "production"
    assert "DEFAULT_BACKEND" not in e
    assert e["SECRET_KEY"] == {"secretKeyRef": {"name": API, "key": "SECRET_KEY"}}
    for key in ("MYSQL_HOST", "MYSQL_PORT", "MYSQL_USER", "MYSQL_PASSWORD", "MYSQL_DATABASE"):
        assert e[key] == {"secretKeyRef": {"name": API, "key": key, "optional": True}}
    assert c["ports"] == [{"name": "http", "containerPort": 9009}]
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    _pod_is_hardened(dep)


def test_api_secret_has_a_random_strong_key(default: list[dict[str, Any]]) -> None:
    data = {k: base64.b64decode(v).decode() for k, v in one(default, "Secret", API)["data"].items()}
    assert len(data["SECRET_KEY"]) == 48 and data["SECRET_KEY"].isalnum()
    other = {k: base64.b64decode(v).decode() for k, v in one(render(), "Secret", API)["data"].items()}
    assert other["SECRET_KEY"] != data["SECRET_KEY"]  # generated per install (kept on upgrade: cluster test)
    assert {k: data[k] for k in data if k != "SECRET_KEY"} == {
        "MYSQL_HOST": "localhost", "MYSQL_PORT": "3306", "MYSQL_USER": "", "MYSQL_PASSWORD": "",
        "MYSQL_DATABASE": "mywhatsapp-api"}


def test_api_settings_accept_the_rendered_env(default: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    from mywhatsapp.api.settings import Settings

    secret = {k: base64.b64decode(v).decode() for k, v in one(default, "Secret", API)["data"].items()}
    for name, value in env(one(default, "Deployment", API)).items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
        elif "secretKeyRef" in value:
            monkeypatch.setenv(name, secret[value["secretKeyRef"]["key"]])
        else:
            monkeypatch.setenv(name, "10.0.0.7")  # status.podIP
    settings = Settings()
    assert settings.port == 9009 and settings.sessions_namespace == NAMESPACE and not settings.validate_mysql


def test_api_rbac_is_least_privilege(default: list[dict[str, Any]]) -> None:
    role = one(default, "Role", API)
    assert role["metadata"]["namespace"] == NAMESPACE
    assert role["rules"] == [
        {"apiGroups": ["mywhatsapp.io"], "resources": ["whatsappsessions"],
         "verbs": ["get", "list", "watch", "create", "patch"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
    ]
    binding = one(default, "RoleBinding", API)
    assert binding["roleRef"]["name"] == API
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": API, "namespace": NAMESPACE}]
    assert not [o for o in default if o["kind"].startswith("Cluster") and API in o["metadata"]["name"]]


def test_api_service(default: list[dict[str, Any]]) -> None:
    svc = one(default, "Service", API)
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    pod_labels = one(default, "Deployment", API)["spec"]["template"]["metadata"]["labels"]
    assert labels_match(svc["spec"]["selector"], pod_labels)
    assert not labels_match(svc["spec"]["selector"],
                            one(default, "Deployment", OPERATOR)["spec"]["template"]["metadata"]["labels"])


def test_network_policy_admits_only_the_api_and_operator(default: list[dict[str, Any]]) -> None:
    policy = one(default, "NetworkPolicy")
    spec = policy["spec"]
    assert spec["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "mywhatsapp-session"}}
    assert spec["policyTypes"] == ["Ingress"]
    [rule] = spec["ingress"]
    assert rule["ports"] == [{"port": 8080, "protocol": "TCP"}]
    admitted = []
    for peer in rule["from"]:
        assert peer["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": NAMESPACE}}
        admitted.append(peer["podSelector"]["matchLabels"])
    pods = {name: one(default, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
            for name in (API, OPERATOR)}
    assert sorted(name for name, labels in pods.items() for sel in admitted if labels_match(sel, labels)) == [
        API, OPERATOR]
    # The session pods' label is the one the operator sets.
    from mywhatsapp.common import crd

    assert crd.APP_NAME_SESSION == "mywhatsapp-session"


def test_no_pdb_or_ingress_by_default(default: list[dict[str, Any]]) -> None:
    assert not find(default, "PodDisruptionBudget") and not find(default, "Ingress")


# --- other values ----------------------------------------------------------------------------

OTHER = {
    "image": {"repository": "registry.example.com/wa/mywhatsapp-operator", "tag": "1.2.3", "pullPolicy": "Always"},
    "imagePullSecrets": ["regcred"],
    "sessionsNamespace": "wa-sessions",
    "rbac": {"clusterWide": True},
    "operator": {
        "replicas": 2, "watchNamespaces": ["wa-sessions", "team-b"], "logLevel": "DEBUG", "healthPort": 18081,
        "session": {"image": "registry.example.com/wa/session:9", "backend": "simulated", "storageClass": "fast",
                    "storageSize": "2Gi", "resources": {"requests": {"cpu": "100m"}},
                    "simulatorUrl": "http://sim.tools:8090"},
        "extraEnv": [{"name": "KOPF_LOG_LEVEL", "value": "INFO"}],
        "nodeSelector": {"pool": "system"},
    },
    "api": {
        "replicas": 3, "port": 8000, "defaultBackend": "simulated", "existingSecret": "my-api-secret",
        "validateMysql": True, "mysql": {"timezone": "-03:00"},
        "service": {"type": "LoadBalancer", "port": 443},
        "ingress": {"enabled": True, "className": "nginx", "hosts": ["wa.example.com"],
                    "tls": [{"secretName": "wa-tls", "hosts": ["wa.example.com"]}]},
    },
    "networkPolicy": {"extraFrom": [{"namespaceSelector": {"matchLabels": {"name": "monitoring"}}}]},
}


@pytest.fixture(scope="module")
def other() -> list[dict[str, Any]]:
    return render(OTHER)


def test_other_values_operator(other: list[dict[str, Any]]) -> None:
    dep = one(other, "Deployment", OPERATOR)
    assert dep["spec"]["replicas"] == 2
    c = container(dep)
    assert c["image"] == "registry.example.com/wa/mywhatsapp-operator:1.2.3"
    assert c["imagePullPolicy"] == "Always"
    assert dep["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
    assert dep["spec"]["template"]["spec"]["nodeSelector"] == {"pool": "system"}
    e = env(dep)
    assert e["MYWHATSAPP_WATCH_NAMESPACES"] == "wa-sessions,team-b"
    assert e["MYWHATSAPP_SESSION_IMAGE"] == "registry.example.com/wa/session:9"
    assert e["MYWHATSAPP_DEFAULT_BACKEND"] == "simulated"
    assert e["MYWHATSAPP_DEFAULT_STORAGE_CLASS"] == "fast"
    assert e["MYWHATSAPP_DEFAULT_STORAGE_SIZE"] == "2Gi"
    # helm merges maps: the given request replaces one default, the others stay.
    assert json.loads(e["MYWHATSAPP_DEFAULT_RESOURCES"]) == {"requests": {"cpu": "100m", "memory": "128Mi"},
                                                               "limits": {"memory": "512Mi"}}
    assert e["MYWHATSAPP_SIMULATOR_URL"] == "http://sim.tools:8090"
    assert e["MYWHATSAPP_HEALTH_PORT"] == "18081" and e["KOPF_LOG_LEVEL"] == "INFO"
    assert {p["name"]: p["containerPort"] for p in c["ports"]}["health"] == 18081


def test_other_values_watch_all_namespaces_when_cluster_wide_without_a_list() -> None:
    dep = one(render({"rbac": {"clusterWide": True}}), "Deployment", OPERATOR)
    assert env(dep)["MYWHATSAPP_WATCH_NAMESPACES"] == ""


def test_other_values_api(other: list[dict[str, Any]]) -> None:
    dep = one(other, "Deployment", API)
    assert dep["spec"]["replicas"] == 3
    e = env(dep)
    assert e["PORT"] == "8000" and e["DEFAULT_BACKEND"] == "simulated" and e["VALIDATE_MYSQL"] == "1"
    assert e["SESSIONS_NAMESPACE"] == "wa-sessions" and e["MYSQL_TIMEZONE"] == "-03:00"
    assert e["SECRET_KEY"] == {"secretKeyRef": {"name": "my-api-secret", "key": "SECRET_KEY"}}
    assert not find(other, "Secret"), "existingSecret: the chart creates no Secret"
    role = one(other, "Role", API)
    assert role["metadata"]["namespace"] == "wa-sessions"
    assert one(other, "RoleBinding", API)["subjects"][0]["namespace"] == NAMESPACE
    svc = one(other, "Service", API)
    assert svc["spec"]["type"] == "LoadBalancer" and svc["spec"]["ports"][0]["port"] == 443


def test_other_values_pdb_and_ingress(other: list[dict[str, Any]]) -> None:
    pdb = one(other, "PodDisruptionBudget", API)
    assert pdb["spec"]["maxUnavailable"] == 1
    assert labels_match(pdb["spec"]["selector"]["matchLabels"],
                        one(other, "Deployment", API)["spec"]["template"]["metadata"]["labels"])
    ing = one(other, "Ingress", API)
    assert ing["spec"]["ingressClassName"] == "nginx"
    assert ing["spec"]["tls"] == [{"secretName": "wa-tls", "hosts": ["wa.example.com"]}]
    [rule] = ing["spec"]["rules"]
    assert rule["host"] == "wa.example.com"
    assert rule["http"]["paths"][0]["backend"] == {"service": {"name": API, "port": {"name": "http"}}}


def test_network_policy_in_every_session_namespace(other: list[dict[str, Any]]) -> None:
    policies = find(other, "NetworkPolicy")
    assert sorted(p["metadata"]["namespace"] for p in policies) == ["team-b", "wa-sessions"]
    for policy in policies:
        peers = policy["spec"]["ingress"][0]["from"]
        assert peers[-1] == {"namespaceSelector": {"matchLabels": {"name": "monitoring"}}}
        assert all(p["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": NAMESPACE}
                   for p in peers[:-1])


def test_network_policy_can_be_disabled() -> None:
    assert not find(render({"networkPolicy": {"enabled": False}}), "NetworkPolicy")


def test_given_secret_key_is_used() -> None:
    secret = one(render({"api": {"secretKey": "a-very-long-admin-key-1234"}}), "Secret", API)
    assert base64.b64decode(secret["data"]["SECRET_KEY"]).decode() == "a-very-long-admin-key-1234"


def test_validate_mysql_needs_a_user() -> None:
    proc = render_text({"api": {"validateMysql": True}}, check=False)
    assert proc.returncode != 0 and "api.validateMysql needs api.mysql.user" in proc.stderr
    objs = render({"api": {"validateMysql": True, "mysql": {"user": "wa", "password": "pw", "host": "db"}}})
    data = one(objs, "Secret", API)["data"]
    assert base64.b64decode(data["MYSQL_USER"]) == b"wa" and base64.b64decode(data["MYSQL_HOST"]) == b"db"


def test_pdb_only_with_several_replicas() -> None:
    assert not find(render({"api": {"replicas": 1}}), "PodDisruptionBudget")
    assert find(render({"api": {"replicas": 2}}), "PodDisruptionBudget")
    assert not find(render({"api": {"replicas": 2, "podDisruptionBudget": {"enabled": False}}}),
                    "PodDisruptionBudget")


def test_long_release_names_stay_valid() -> None:
    objs = render(release="a-rather-long-release-name-for-a-whatsapp-install")
    for obj in objs:
        assert len(obj["metadata"]["name"]) <= 63, obj["metadata"]["name"]
        for value in obj["metadata"]["labels"].values():
            assert len(value) <= 63


# --- the schema ----------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "message"), [
    ({"unknownKey": 1}, "additional properties 'unknownKey' not allowed"),
    ({"api": {"replicaz": 2}}, "additional properties 'replicaz' not allowed"),
    ({"api": {"replicas": "two"}}, "/api/replicas"),
    ({"api": {"port": 70000}}, "/api/port"),
    ({"api": {"secretKey": "short"}}, "/api/secretKey"),
    ({"api": {"environment": "staging"}}, "/api/environment"),
    ({"operator": {"session": {"backend": "baileys"}}}, "/operator/session/backend"),
    ({"operator": {"session": {"storageSize": "lots"}}}, "/operator/session/storageSize"),
    ({"operator": {"session": {"simulatorUrl": "sim:8090"}}}, "/operator/session/simulatorUrl"),
    ({"rbac": {"clusterWide": "yes"}}, "/rbac/clusterWide"),
    ({"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    ({"sessionsNamespace": "Not_A_Namespace"}, "/sessionsNamespace"),
    ({"api": {"mysql": {"timezone": "UTC"}}}, "/api/mysql/timezone"),
])
def test_schema_rejects(values: dict[str, Any], message: str) -> None:
    proc = render_text(values, check=False)
    assert proc.returncode != 0, f"{values} was accepted"
    assert message in proc.stderr, proc.stderr


def _leaf_paths(schema: dict[str, Any], prefix: str = "") -> list[str]:
    paths = []
    for key, sub in schema.get("properties", {}).items():
        path = f"{prefix}{key}"
        # A resources block (requests/limits) is one value.
        if sub.get("type") == "object" and sub.get("additionalProperties") is False and key != "resources":
            paths += _leaf_paths(sub, path + ".")
        else:
            paths.append(path)
    return paths


SCHEMA = json.loads((CHART / "values.schema.json").read_text())
VALUES_TEXT = (CHART / "values.yaml").read_text()
VALUES = yaml.safe_load(VALUES_TEXT)


def test_schema_and_values_have_the_same_keys() -> None:
    def has(values: Any, path: str) -> bool:
        for part in path.split("."):
            if not isinstance(values, dict) or part not in values:
                return False
            values = values[part]
        return True

    declared = [p for p in _leaf_paths(SCHEMA) if p != "global"]
    assert [p for p in declared if not has(VALUES, p)] == []

    def leaves(values: dict[str, Any], prefix: str = "") -> list[str]:
        out = []
        for key, value in values.items():
            path = f"{prefix}{key}"
            if path in declared:
                out.append(path)
            elif isinstance(value, dict):
                out += leaves(value, path + ".")
            else:
                out.append(path)
        return out

    assert [p for p in leaves(VALUES) if p not in declared] == []


def test_every_value_is_commented() -> None:
    """Each key of values.yaml down to the schema's leaves has a comment line right above it."""
    declared = set(_leaf_paths(SCHEMA)) | {p.rsplit(".", 1)[0] for p in _leaf_paths(SCHEMA) if "." in p}
    stack: list[tuple[int, str]] = []
    previous = ""
    missing = []
    for line in VALUES_TEXT.splitlines():
        match = re.match(r"^( *)([A-Za-z][A-Za-z0-9]*):", line)
        if match:
            indent, key = len(match.group(1)), match.group(2)
            while stack and stack[-1][0] >= indent:
                stack.pop()
            path = ".".join([k for _, k in stack] + [key])
            stack.append((indent, key))
            if path in declared and not previous.lstrip().startswith("#"):
                missing.append(path)
        if line.strip():
            previous = line
    assert missing == []


def test_values_doc_lists_every_value() -> None:
    doc = (REPO / "docs" / "helm-values.md").read_text()
    assert [p for p in _leaf_paths(SCHEMA) if p != "global" and f"`{p}`" not in doc] == []


# --- conventions -------------------------------------------------------------------------------


def test_helpers_are_prefixed_with_the_chart_name() -> None:
    defined = re.findall(r'define "([^"]+)"', "".join(p.read_text() for p in (CHART / "templates").glob("*.tpl")))
    assert defined and all(name.startswith("mywhatsapp.") for name in defined)


def test_template_files_are_named_component_kind() -> None:
    objs = render(OTHER) + render({"rbac": {"clusterWide": False}})
    by_file: dict[str, set[str]] = {}
    text = render_text(OTHER).stdout + render_text().stdout
    for doc in text.split("\n---"):
        source = re.search(r"# Source: mywhatsapp/templates/(\S+)", doc)
        obj = yaml.safe_load(doc)
        if source and obj:
            by_file.setdefault(source.group(1), set()).add(obj["kind"].lower())
    assert objs
    for path in (CHART / "templates").glob("*.yaml"):
        component, kind = Path(path.name).stem.split("-", 1)
        assert component in {"operator", "api", "session"}, path.name
        assert by_file.get(path.name) == {kind}, path.name


def test_notes_tell_how_to_reach_the_api_and_read_a_qr() -> None:
    notes = helm("install", "r", str(CHART), "--namespace", NAMESPACE, "--dry-run=client").stdout
    notes = notes.split("NOTES:", 1)[1]
    assert "kubectl -n ns get secret r-mywhatsapp-api -o jsonpath='{.data.SECRET_KEY}'" in notes
    assert "port-forward service/r-mywhatsapp-api 9009:80" in notes
    assert "/sistema/Start" in notes and "kubectl whatsapp qr <session> -n ns --watch" in notes
    assert "keeps the CRDs and every" in notes
    ingress = helm("install", "r", str(CHART), "--namespace", NAMESPACE, "--dry-run=client",
                   "--set", "api.ingress.enabled=true,api.ingress.hosts[0]=wa.example.com",
                   "--set", "api.ingress.tls[0].secretName=t").stdout
    assert "export API=https://wa.example.com" in ingress


def test_packaged_chart_carries_the_crds_and_rule_files(tmp_path: Path) -> None:
    import tarfile

    helm("package", str(CHART), "--destination", str(tmp_path))
    [archive] = tmp_path.glob("mywhatsapp-0.1.0.tgz")
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"mywhatsapp/crds/whatsappsessions.mywhatsapp.io.yaml", "mywhatsapp/crds/kopf-peering.yaml",
            "mywhatsapp/files/operator-rules.yaml", "mywhatsapp/files/operator-cluster-rules.yaml",
            "mywhatsapp/values.schema.json", "mywhatsapp/templates/NOTES.txt"} <= names
