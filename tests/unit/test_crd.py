"""The CRD manifest: identity, structural schema, descriptions, defaults, columns."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest

from mywhatsapp.common import crd, names
from mywhatsapp.common.vocabulary import Phase
from mywhatsapp.operator.config import QUANTITY_PATTERN

Schema = dict[str, Any]


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return crd.load_crd()


@pytest.fixture(scope="module")
def version(manifest: dict[str, Any]) -> dict[str, Any]:
    (only,) = manifest["spec"]["versions"]
    return only


@pytest.fixture(scope="module")
def root(version: dict[str, Any]) -> Schema:
    return version["schema"]["openAPIV3Schema"]


def walk(schema: Schema, path: str = "") -> Iterator[tuple[str, Schema]]:
    """Every sub-schema (properties, items, additionalProperties) with its path."""
    for name, child in schema.get("properties", {}).items():
        yield f"{path}.{name}", child
        yield from walk(child, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        yield f"{path}[]", schema["items"]
        yield from walk(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield f"{path}{{*}}", schema["additionalProperties"]
        yield from walk(schema["additionalProperties"], f"{path}{{*}}")


def apply_defaults(schema: Schema, value: Any) -> Any:
    """What the API server's structural defaulting does, for the shapes used here."""
    if not isinstance(value, dict):
        return value
    result = dict(value)
    for name, child in schema.get("properties", {}).items():
        if name not in result and "default" in child:
            result[name] = copy.deepcopy(child["default"])
        if name in result:
            result[name] = apply_defaults(child, result[name])
    return result


def test_crd_path_is_in_the_repository() -> None:
    path = crd.crd_path()
    assert path.name == "whatsappsessions.mywhatsapp.io.yaml"
    assert path.parent.name == "crds"


def test_identity_matches_the_constants(
    manifest: dict[str, Any], version: dict[str, Any]
) -> None:
    spec = manifest["spec"]
    assert manifest["apiVersion"] == "apiextensions.k8s.io/v1"
    assert manifest["kind"] == "CustomResourceDefinition"
    assert manifest["metadata"]["name"] == crd.CRD_NAME == f"{crd.PLURAL}.{crd.GROUP}"
    assert spec["group"] == crd.GROUP
    assert spec["scope"] == "Namespaced"
    assert spec["names"] == {
        "kind": crd.KIND,
        "listKind": crd.LIST_KIND,
        "plural": crd.PLURAL,
        "singular": crd.SINGULAR,
        "shortNames": list(crd.SHORT_NAMES),
        "categories": list(crd.CATEGORIES),
    }
    assert version["name"] == crd.VERSION
    assert crd.API_VERSION == f"{spec['group']}/{version['name']}"
    assert version["served"] is True and version["storage"] is True
    assert version["subresources"] == {"status": {}}


def test_constants_have_the_agreed_values() -> None:
    assert (crd.GROUP, crd.VERSION, crd.KIND) == ("mywhatsapp.io", "v1alpha1", "WhatsAppSession")
    assert (crd.PLURAL, crd.SINGULAR, crd.SHORT_NAMES) == (
        "whatsappsessions",
        "whatsappsession",
        ("wa", "was"),
    )
    assert crd.LABEL_SESSION == "mywhatsapp.io/session"
    assert crd.ANNOTATION_SESSION_NAME == "mywhatsapp.io/session-name"


def test_printer_columns(version: dict[str, Any]) -> None:
    columns = {c["name"]: c for c in version["additionalPrinterColumns"]}
    default_columns = [
        c["name"] for c in version["additionalPrinterColumns"] if not c.get("priority")
    ]
    assert default_columns == ["STATE", "STATUS", "PHONE", "AGE"]
    assert columns["STATE"]["jsonPath"] == ".status.state"
    assert columns["STATUS"]["jsonPath"] == ".status.status"
    assert columns["PHONE"]["jsonPath"] == ".status.phone"
    assert columns["AGE"] == {
        "name": "AGE",
        "type": "date",
        "jsonPath": ".metadata.creationTimestamp",
    }
    assert columns["PHASE"]["jsonPath"] == ".status.phase"


def test_every_property_has_a_description(root: Schema) -> None:
    assert root.get("description")
    missing = [path for path, schema in walk(root) if not schema.get("description")]
    # The API server refuses anything on the root metadata but name/generateName
    # restrictions ("must not specify anything other than name and generateName").
    assert missing == [".metadata"]
    assert root["properties"]["metadata"] == {"type": "object"}


def test_schema_is_structural(root: Schema) -> None:
    assert root["type"] == "object"
    for path, schema in [("", root), *walk(root)]:
        assert not schema.get("x-kubernetes-preserve-unknown-fields"), path
        if schema.get("x-kubernetes-int-or-string"):
            assert "type" not in schema, path
        else:
            assert schema.get("type") in {"object", "array", "string", "integer", "boolean"}, path
        if "properties" in schema:
            assert "additionalProperties" not in schema, path


def test_top_level_properties(root: Schema) -> None:
    assert set(root["properties"]) == {"apiVersion", "kind", "metadata", "spec", "status"}
    assert set(root["properties"]["spec"]["properties"]) == {
        "running",
        "sessionName",
        "backend",
        "webhooks",
        "qr",
        "pairingPhone",
        "storage",
        "resources",
        "deviceName",
    }


def test_defaults(root: Schema) -> None:
    spec = root["properties"]["spec"]
    props = spec["properties"]
    assert spec["default"] == {}
    assert (props["running"]["type"], props["running"]["default"]) == ("boolean", True)
    assert props["qr"]["default"] == {}
    assert props["qr"]["properties"]["maxAttempts"]["default"] == 5
    assert props["storage"]["properties"]["size"]["default"] == "1Gi"
    signing = props["webhooks"]["properties"]["signingSecretRef"]
    assert signing["properties"]["key"]["default"] == crd.SECRET_KEY_WEBHOOK_SIGNING
    # The operator applies its configured default backend.
    assert "default" not in props["backend"]
    assert props["backend"]["enum"] == ["neonize", "simulated"]


@pytest.mark.parametrize("body", [{"spec": {}}, {}])
def test_empty_spec_is_defaulted(root: Schema, body: dict[str, Any]) -> None:
    defaulted = apply_defaults(root, body)
    assert defaulted["spec"] == {"running": True, "qr": {"maxAttempts": 5}}


def test_validation_bounds(root: Schema) -> None:
    props = root["properties"]["spec"]["properties"]
    max_attempts = props["qr"]["properties"]["maxAttempts"]
    assert (max_attempts["minimum"], max_attempts["maximum"]) == (1, 20)
    assert props["deviceName"]["maxLength"] == 50
    assert props["sessionName"]["maxLength"] == names.MAX_SESSION_NAME_LENGTH
    assert props["storage"]["properties"]["size"]["pattern"] == QUANTITY_PATTERN
    for kind in ("requests", "limits"):
        values = props["resources"]["properties"][kind]["additionalProperties"]
        assert values["x-kubernetes-int-or-string"] is True
        assert values["pattern"] == QUANTITY_PATTERN


@pytest.mark.parametrize("field", ["status", "message", "qrcode", "connect", "incomingCall"])
def test_webhook_urls(root: Schema, field: str) -> None:
    webhooks = root["properties"]["spec"]["properties"]["webhooks"]["properties"]
    schema = webhooks[field]
    assert schema["type"] == "string" and schema["maxLength"] == 2048
    pattern = re.compile(schema["pattern"])
    assert pattern.search("https://example.com/hook")
    assert pattern.search("http://10.0.0.1:8080/x")
    for bad in ["", "ftp://x", "file:///etc/passwd", "javascript:alert(1)", "example.com"]:
        assert not pattern.search(bad), bad


def test_pairing_phone_pattern(root: Schema) -> None:
    pattern = re.compile(root["properties"]["spec"]["properties"]["pairingPhone"]["pattern"])
    for good in ["12345678", "5511999998888", "123456789012345"]:
        assert pattern.search(good)
    for bad in ["1234567", "1234567890123456", "+5511999998888", "55 11 99999", ""]:
        assert not pattern.search(bad), bad


def test_session_name_pattern_agrees_with_names(root: Schema) -> None:
    schema = root["properties"]["spec"]["properties"]["sessionName"]
    pattern = re.compile(schema["pattern"])
    for good in ["Teste", "a_b", "_", "5511999998888", "Minha.Sessao_01", "a" * 64]:
        names.validate_session_name(good)
        assert pattern.search(good)
    for bad in [".x", "-x", "a b", "a/b", "sessão"]:
        assert not pattern.search(bad), bad
    rules = {r["rule"] for r in schema["x-kubernetes-validations"]}
    assert rules == {"self == oldSelf", "!self.contains('..')"}


def test_name_budget_is_enforced_by_the_api_server(root: Schema) -> None:
    rules = {r["rule"]: r["message"] for r in root["x-kubernetes-validations"]}
    assert f"self.metadata.name.size() <= {names.MAX_CR_NAME_LENGTH}" in rules
    assert "!self.metadata.name.contains('.')" in rules
    assert all(message.strip() for message in rules.values())


def test_storage_is_immutable(root: Schema) -> None:
    spec = root["properties"]["spec"]
    assert {"rule": "self == oldSelf", "message": "spec.storage is immutable"} in spec[
        "properties"
    ]["storage"]["x-kubernetes-validations"]
    assert any("has(self.storage)" in r["rule"] for r in spec["x-kubernetes-validations"])


def test_status_schema(root: Schema) -> None:
    status = root["properties"]["status"]["properties"]
    assert status["phase"]["enum"] == [p.value for p in Phase]
    for field in ["state", "status", "message", "phone", "pushName", "endpoint", "stoppedReason"]:
        assert status[field]["type"] == "string"
    assert set(status["qr"]["properties"]) == {"code", "attempt", "expiresAt"}
    assert status["qr"]["properties"]["expiresAt"]["format"] == "date-time"
    assert status["observedGeneration"]["type"] == "integer"
    assert status["observedGeneration"]["format"] == "int64"
    conditions = status["conditions"]
    assert conditions["x-kubernetes-list-type"] == "map"
    assert conditions["x-kubernetes-list-map-keys"] == ["type"]
    item = conditions["items"]
    assert set(item["properties"]) == {
        "type",
        "status",
        "reason",
        "message",
        "lastTransitionTime",
        "observedGeneration",
    }
    assert set(item["required"]) == {"type", "status", "reason", "message", "lastTransitionTime"}
    assert item["properties"]["status"]["enum"] == ["True", "False", "Unknown"]
