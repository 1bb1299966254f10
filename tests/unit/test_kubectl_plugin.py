"""`kubectl whatsapp` against a fake session source: rendering, qr/--watch, status, list, errors, flags."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
import zxingcpp
from mywhatsapp.operator import kubectl_plugin as plugin
from PIL import Image

CODE = "2@Xq9wVb1pLk0sYt3u,Zr7pQm2nBv5c,Hj8kLm1n="


def session(name: str = "demo", namespace: str = "ns", **status: Any) -> dict[str, Any]:
    return {"apiVersion": "mywhatsapp.io/v1alpha1", "kind": "WhatsAppSession",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": "2026-12-04T10:00:00Z",
                         "resourceVersion": "1"},
            "spec": {"backend": "simulated"}, "status": status}


def with_qr(code: str = CODE, attempt: int = 1, **status: Any) -> dict[str, Any]:
    return session(state="QRCODE", status="qrRead", phase="Running",
                   qr={"code": code, "attempt": attempt, "expiresAt": "2026-12-04T10:01:00Z"}, **status)


class FakeSource:
    """Sessions from dicts; `follow` replays a scripted sequence."""

    def __init__(self, *objs: dict[str, Any], timeline: list[dict[str, Any] | None] | None = None) -> None:
        self.objs = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objs}
        self.timeline = timeline or []
        self.followed: list[tuple[str, str, float | None]] = []

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.objs.get((namespace, name))

    def list(self, namespace: str | None) -> list[dict[str, Any]]:
        return [o for (ns, _), o in self.objs.items() if namespace is None or ns == namespace]

    def follow(self, namespace: str, name: str, timeout: float | None) -> Iterator[dict[str, Any] | None]:
        self.followed.append((namespace, name, timeout))
        yield from self.timeline


def decode(text: str, *, invert: bool = False, ascii_only: bool = False) -> str:
    """Turn the terminal drawing back into pixels (light = drawn unless inverted) and read it with zxing."""
    lines = [line for line in text.splitlines()]
    if ascii_only:
        rows = [[line[i:i + 2] == "##" for i in range(0, max(len(x) for x in lines), 2)] for line in lines]
    else:
        top = {"\u2588": True, "\u2580": True, "\u2584": False, " ": False}
        bottom = {"\u2588": True, "\u2580": False, "\u2584": True, " ": False}
        width = max(len(x) for x in lines)
        rows = []
        for line in lines:
            line = line.ljust(width)
            rows.append([top[ch] for ch in line])
            rows.append([bottom[ch] for ch in line])
    width = max(len(r) for r in rows)
    scale, margin = 8, 4
    img = Image.new("L", ((width + 2 * margin) * scale, (len(rows) + 2 * margin) * scale), 255)
    for y, row in enumerate(rows):
        for x in range(width):
            drawn = row[x] if x < len(row) else False
            dark = drawn if invert else not drawn
            if dark:
                for dy in range(scale):
                    for dx in range(scale):
                        img.putpixel(((x + margin) * scale + dx, (y + margin) * scale + dy), 0)
    results = zxingcpp.read_barcodes(img)
    assert results, "no QR code found in the drawing"
    return results[0].text


# --- rendering ---------------------------------------------------------------------------


@pytest.mark.parametrize(("invert", "ascii_only"), [(False, False), (True, False), (False, True), (True, True)])
def test_rendered_qr_decodes_to_the_code(invert: bool, ascii_only: bool) -> None:
    text = plugin.render_qr(CODE, invert=invert, ascii_only=ascii_only)
    assert decode(text, invert=invert, ascii_only=ascii_only) == CODE


def test_unicode_rendering_is_compact() -> None:
    matrix = plugin.qr_matrix(CODE)
    lines = plugin.render_qr(CODE).splitlines()
    assert len(lines) == (len(matrix) + 1) // 2
    assert max(len(line) for line in lines) == len(matrix[0])
    assert set("".join(lines)) <= {"\u2588", "\u2580", "\u2584", " "}


# --- qr ------------------------------------------------------------------------------------


def test_qr_prints_the_current_code() -> None:
    out = io.StringIO()
    assert plugin.cmd_qr(FakeSource(with_qr(attempt=2)), "ns", "demo", out) == 0
    text = out.getvalue()
    header, drawing = text.split("\n", 1)
    assert "demo" in header and "QR 2" in header and "2026-12-04T10:01:00Z" in header
    assert decode(drawing) == CODE


def test_qr_of_a_connected_session() -> None:
    out = io.StringIO()
    obj = session(state="CONNECTED", status="inChat", phone="5511999998888", pushName="Ana")
    assert plugin.cmd_qr(FakeSource(obj), "ns", "demo", out) == 0
    assert out.getvalue() == "Session demo is CONNECTED as 5511999998888 (Ana)\n"


def test_qr_without_a_code_explains_and_fails() -> None:
    out = io.StringIO()
    obj = session(state="STARTING", status="isStarting", phase="Starting", message="Iniciando")
    assert plugin.cmd_qr(FakeSource(obj), "ns", "demo", out) == 1
    text = out.getvalue()
    assert "no QR code to scan now (STARTING/isStarting, phase Starting: Iniciando)" in text
    assert "kubectl whatsapp qr demo -n ns --watch" in text


def test_qr_shows_a_pairing_code_when_there_is_one() -> None:
    out = io.StringIO()
    obj = session(state="GETCODE", status="getCode", pairingCode="ABCD-EFGH")
    assert plugin.cmd_qr(FakeSource(obj), "ns", "demo", out) == 1
    assert "Pairing code: ABCD-EFGH" in out.getvalue()


def test_qr_of_a_missing_session_is_a_clear_error() -> None:
    with pytest.raises(plugin.PluginError, match='WhatsAppSession "nope" not found in namespace "ns"'):
        plugin.cmd_qr(FakeSource(), "ns", "nope", io.StringIO())
    with pytest.raises(plugin.PluginError, match='"nope" not found'):
        plugin.cmd_qr(FakeSource(timeline=[None]), "ns", "nope", io.StringIO(), watch=True)


def test_watch_follows_rotations_until_connected() -> None:
    timeline = [
        session(state="STARTING", status="isStarting"),
        with_qr("2@first", 1),
        with_qr("2@first", 1, message="same code, other field"),
        with_qr("2@second", 2),
        session(state="CONNECTED", status="inChat", phone="5511999998888"),
        with_qr("2@never-shown", 3),
    ]
    source = FakeSource(timeline=timeline)
    out = io.StringIO()
    assert plugin.cmd_qr(source, "ns", "demo", out, watch=True, timeout=30, clear=True) == 0
    text = out.getvalue()
    assert source.followed == [("ns", "demo", 30)]
    assert text.startswith("Waiting for a QR code (STARTING/isStarting)...\n")
    screens = text.split(plugin.CLEAR_SCREEN)[1:]
    assert len(screens) == 2, "one screen per distinct code"
    assert decode(screens[0].split("\n", 1)[1]) == "2@first"
    second, connected = screens[1].split("\n", 1)[1].rsplit("Session", 1)
    assert decode(second) == "2@second"
    assert connected == " demo is CONNECTED as 5511999998888\n"


def test_watch_without_clearing_keeps_every_code() -> None:
    out = io.StringIO()
    timeline = [with_qr("2@a"), with_qr("2@b"), session(state="CONNECTED", status="inChat")]
    assert plugin.cmd_qr(FakeSource(timeline=timeline), "ns", "demo", out, watch=True) == 0
    assert plugin.CLEAR_SCREEN not in out.getvalue()
    assert out.getvalue().count("scan with WhatsApp") == 2


def test_watch_stops_when_the_session_is_stopped() -> None:
    stopped = with_qr("2@a")
    stopped["spec"]["running"] = False
    stopped["status"]["stoppedReason"] = "QR code not read in 5 attempts"
    with pytest.raises(plugin.PluginError, match="stopped \\(QR code not read in 5 attempts\\)"):
        plugin.cmd_qr(FakeSource(timeline=[with_qr("2@a"), stopped]), "ns", "demo", io.StringIO(), watch=True)
    failed = session(state="ERROR", status="isError", phase="Failed", message="pod crash looping")
    with pytest.raises(plugin.PluginError, match="pod crash looping"):
        plugin.cmd_qr(FakeSource(timeline=[failed]), "ns", "demo", io.StringIO(), watch=True)


def test_watch_reports_deletion_and_timeout() -> None:
    with pytest.raises(plugin.PluginError, match="was deleted"):
        plugin.cmd_qr(FakeSource(timeline=[with_qr(), None]), "ns", "demo", io.StringIO(), watch=True)
    with pytest.raises(plugin.PluginError, match="timed out after 5 s"):
        plugin.cmd_qr(FakeSource(timeline=[with_qr()]), "ns", "demo", io.StringIO(), watch=True, timeout=5)


# --- status and list ----------------------------------------------------------------------


def test_status_text() -> None:
    obj = with_qr(attempt=3, message="Leia o QR", conditions=[
        {"type": "Ready", "status": "True", "reason": "PodReady", "message": "ready",
         "lastTransitionTime": "2026-12-04T10:00:00Z"}])
    obj["metadata"]["annotations"] = {"mywhatsapp.io/session-name": "Demo Session"}
    out = io.StringIO()
    assert plugin.cmd_status(FakeSource(obj), "ns", "demo", out) == 0
    text = out.getvalue()
    for expected in ("Name:", "demo", "SessionName:    Demo Session", "Backend:        simulated",
                     "State:          QRCODE", "Status:         qrRead", "Message:        Leia o QR",
                     "attempt 3, expires 2026-12-04T10:01:00Z (kubectl whatsapp qr demo)",
                     "Ready", "PodReady"):
        assert expected in text, (expected, text)
    assert "Phone" not in text  # empty fields are left out


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_status_machine_readable(fmt: str) -> None:
    out = io.StringIO()
    plugin.cmd_status(FakeSource(with_qr()), "ns", "demo", out, output=fmt)
    loaded = json.loads(out.getvalue()) if fmt == "json" else yaml.safe_load(out.getvalue())
    assert loaded == with_qr()


def test_status_of_a_missing_session() -> None:
    with pytest.raises(plugin.PluginError, match="not found in namespace \"ns\""):
        plugin.cmd_status(FakeSource(), "ns", "demo", io.StringIO())


def test_list_table() -> None:
    source = FakeSource(with_qr(), session("b", state="CONNECTED", status="inChat", phone="55119", phase="Running"),
                        session("c", namespace="other"))
    out = io.StringIO()
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    plugin.cmd_list(source, "ns", out, now=now)
    assert out.getvalue().splitlines() == [
        "NAME   STATE       STATUS   PHONE   PHASE     AGE",
        "b      CONNECTED   inChat   55119   Running   2h",
        "demo   QRCODE      qrRead   -       Running   2h",
    ]
    out = io.StringIO()
    plugin.cmd_list(source, None, out, now=now)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("NAMESPACE   NAME") and len(lines) == 4 and lines[1].startswith("ns ")
    out = io.StringIO()
    plugin.cmd_list(FakeSource(), "empty", out)
    assert out.getvalue() == 'No WhatsAppSessions found in namespace "empty".\n'


# --- command line and kubeconfig ---------------------------------------------------------------


def kubeconfig(tmp_path: Path, namespace: str | None = "from-context") -> Path:
    ctx: dict[str, Any] = {"cluster": "c", "user": "u"}
    if namespace:
        ctx["namespace"] = namespace
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "main",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "main", "context": ctx},
                     {"name": "second", "context": {"cluster": "c", "user": "u", "namespace": "ns2"}}],
    }))
    return path


def test_flags_before_and_after_the_command() -> None:
    parser = plugin.build_parser()
    a = parser.parse_args(["-n", "x", "qr", "demo", "--watch"])
    b = parser.parse_args(["qr", "demo", "-w", "--namespace", "x", "--kubeconfig", "/k"])
    assert (a.namespace, a.session, a.watch) == ("x", "demo", True)
    assert (b.namespace, b.kubeconfig, b.watch) == ("x", "/k", True)
    assert not hasattr(parser.parse_args(["list"]), "namespace")
    assert parser.parse_args(["ls", "-A"]).all_namespaces


def test_connect_reads_the_namespace_of_the_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = kubeconfig(tmp_path)
    monkeypatch.setenv("KUBECONFIG", str(path))
    client, namespace = plugin.connect(None, None)
    assert namespace == "from-context" and client.configuration.host == "https://127.0.0.1:1"
    assert plugin.connect(str(path), "second")[1] == "ns2"
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path, namespace=None)))
    assert plugin.connect(None, None)[1] == "default"


def test_connect_errors(tmp_path: Path) -> None:
    with pytest.raises(plugin.PluginError, match="does not exist"):
        plugin.connect(str(tmp_path / "missing"), None)
    with pytest.raises(plugin.PluginError, match='context "nope" is not in the kubeconfig'):
        plugin.connect(str(kubeconfig(tmp_path)), "nope")


def test_main_prints_errors_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert plugin.main(["--kubeconfig", str(tmp_path / "missing"), "list"]) == 1
    assert capsys.readouterr().err.startswith("error: kubeconfig ")


def test_main_uses_the_context_namespace_unless_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def fake_run(args: Any, source: Any, namespace: str, out: Any) -> int:
        seen.append(namespace)
        return 0

    monkeypatch.setattr(plugin, "run", fake_run)
    path = str(kubeconfig(tmp_path))
    assert plugin.main(["--kubeconfig", path, "list"]) == 0
    assert plugin.main(["list", "--kubeconfig", path, "-n", "given"]) == 0
    assert seen == ["from-context", "given"]


def test_unreachable_server_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Port 1 of the loopback refuses connections."""
    import urllib3

    monkey = pytest.MonkeyPatch()
    # No retries: fail fast.
    monkey.setattr(urllib3.util.retry.Retry, "DEFAULT", urllib3.util.retry.Retry(0))
    try:
        code = plugin.main(["--kubeconfig", str(kubeconfig(tmp_path)), "status", "demo"])
    finally:
        monkey.undo()
    assert code == 1
    assert "cannot reach the API server at https://127.0.0.1:1" in capsys.readouterr().err
