"""`kubectl whatsapp`: read WhatsApp sessions (and their QR codes) from the terminal.

    kubectl whatsapp qr <session> [--watch]   the live QR code of a session
    kubectl whatsapp status <session>         what the session is doing
    kubectl whatsapp list [-A]                every session of a namespace

kubectl runs any executable named ``kubectl-whatsapp`` on the PATH as
``kubectl whatsapp``; it passes the arguments that follow the plugin name
unchanged. Like kubectl, the plugin reads the kubeconfig from ``--kubeconfig``,
else ``$KUBECONFIG``, else ``~/.kube/config`` (inside a pod: the pod's service
account), and takes the namespace from ``-n/--namespace``, else the current
context's namespace, else ``default``.

Everything it shows comes from the WhatsAppSession object: the session pod
publishes the QR code to be scanned in ``status.qr.code`` and rotates it there.
The commands work on a ``SessionSource`` (get, list, follow), so the tests
drive them with a fake one; ``KubeSource`` is the real one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

import qrcode
import yaml
from mywhatsapp.common import crd
from mywhatsapp.common.vocabulary import CONNECTED, State

PROG = "kubectl whatsapp"
#: status.phase values after which no new QR code comes without a new Start.
STOPPED_PHASES = frozenset({"Stopped", "Failed"})
CLEAR_SCREEN = "\x1b[H\x1b[2J"
IN_CLUSTER_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")

Session = dict[str, Any]


class PluginError(Exception):
    """A failure to explain to the user in one line (exit code 1)."""


class SessionSource(Protocol):
    """Where the commands read sessions from."""

    def get(self, namespace: str, name: str) -> Session | None:
        """The session, or None when there is none of that name."""

    def list(self, namespace: str | None) -> list[Session]:
        """The sessions of a namespace (None: of every namespace)."""

    def follow(self, namespace: str, name: str, timeout: float | None) -> Iterator[Session | None]:
        """The session now, then after each change; None once it is deleted.

        Ends after `timeout` seconds (None: never).
        """


# --- Rendering ------------------------------------------------------------------


def qr_matrix(code: str, *, border: int = 2) -> list[list[bool]]:
    """Modules of the QR code of `code` (True = dark), with a light border."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=border)
    qr.add_data(code)
    qr.make(fit=True)
    return [[bool(cell) for cell in row] for row in qr.get_matrix()]


def render_qr(code: str, *, ascii_only: bool = False, invert: bool = False) -> str:
    """The QR code of `code` as terminal text.

    Characters are drawn in the terminal's foreground colour. On a dark
    terminal (the default) the *light* modules are drawn, so the code reads
    dark-on-light as scanners expect; `invert` draws the dark ones (for light
    terminals). Unicode mode packs two rows of modules into one line with
    half blocks; `ascii_only` uses two '#' per module and one line per row.
    """
    drawn = [[cell == invert for cell in row] for row in qr_matrix(code)]
    if ascii_only:
        return "\n".join("".join("##" if cell else "  " for cell in row).rstrip() for row in drawn) + "\n"
    width = len(drawn[0])
    if len(drawn) % 2:
        drawn.append([False] * width)
    glyphs = {(True, True): "\u2588", (True, False): "\u2580", (False, True): "\u2584", (False, False): " "}
    lines = []
    for top, bottom in zip(drawn[0::2], drawn[1::2], strict=True):
        lines.append("".join(glyphs[pair] for pair in zip(top, bottom, strict=True)).rstrip())
    return "\n".join(lines) + "\n"


# --- Reading a session's status --------------------------------------------------


def _status(obj: Session) -> dict[str, Any]:
    return obj.get("status") or {}


def is_connected(obj: Session) -> bool:
    status = _status(obj)
    return status.get("state") == State.CONNECTED or status.get("status") in CONNECTED


def stop_reason(obj: Session) -> str | None:
    """Why no QR code will come any more (the session is stopped), or None."""
    status = _status(obj)
    if (obj.get("spec") or {}).get("running") is False:
        return status.get("stoppedReason") or "spec.running is false"
    if status.get("phase") in STOPPED_PHASES:
        return status.get("stoppedReason") or status.get("message") or f"phase {status['phase']}"
    return None


def state_line(obj: Session) -> str:
    status = _status(obj)
    parts = [f"{status.get('state') or '-'}/{status.get('status') or '-'}"]
    if status.get("phase"):
        parts.append(f"phase {status['phase']}")
    line = ", ".join(parts)
    if status.get("message"):
        line += f": {status['message']}"
    return line


def _age(timestamp: str | None, now: datetime) -> str:
    if not timestamp:
        return "-"
    try:
        then = datetime.fromisoformat(timestamp)
    except ValueError:
        return "-"
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def describe(obj: Session) -> str:
    """The `status` command's text."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, _status(obj)
    rows: list[tuple[str, Any]] = [
        ("Name", meta.get("name")),
        ("Namespace", meta.get("namespace")),
        ("SessionName", (meta.get("annotations") or {}).get(crd.ANNOTATION_SESSION_NAME)),
        ("Backend", spec.get("backend")),
        ("Running", spec.get("running")),
        ("Phase", status.get("phase")),
        ("State", status.get("state")),
        ("Status", status.get("status")),
        ("Message", status.get("message")),
        ("Phone", status.get("phone")),
        ("Push name", status.get("pushName")),
        ("Pairing code", status.get("pairingCode")),
        ("Stopped reason", status.get("stoppedReason")),
    ]
    qr = status.get("qr") or {}
    if qr.get("code"):
        qr_line = (f"attempt {qr.get('attempt', '?')}, expires {qr.get('expiresAt', '?')}"
                   f" (kubectl whatsapp qr {meta.get('name')})")
        rows.append(("QR code", qr_line))
    width = max(len(label) for label, _ in rows) + 1
    lines = [f"{label + ':':<{width}} {value}" for label, value in rows if value not in (None, "")]
    conditions = status.get("conditions") or []
    if conditions:
        lines.append("Conditions:")
        lines.append(f"  {'TYPE':<12} {'STATUS':<8} {'REASON':<24} MESSAGE")
        for cond in conditions:
            lines.append(f"  {cond.get('type', ''):<12} {cond.get('status', ''):<8} "
                         f"{cond.get('reason', ''):<24} {cond.get('message', '')}".rstrip())
    return "\n".join(lines) + "\n"


def table(objs: Sequence[Session], *, all_namespaces: bool, now: datetime) -> str:
    """The `list` command's table (kubectl get wa's columns, plus PHASE)."""
    header = (["NAMESPACE"] if all_namespaces else []) + ["NAME", "STATE", "STATUS", "PHONE", "PHASE", "AGE"]
    rows = [header]
    for obj in sorted(objs, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])):
        meta, status = obj["metadata"], _status(obj)
        row = [meta.get("namespace", "")] if all_namespaces else []
        row += [meta["name"], status.get("state") or "-", status.get("status") or "-",
                status.get("phone") or "-", status.get("phase") or "-",
                _age(meta.get("creationTimestamp"), now)]
        rows.append(row)
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    return "".join("   ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n"
                   for r in rows)


# --- Commands ---------------------------------------------------------------------


def _not_found(namespace: str, name: str) -> PluginError:
    return PluginError(f'WhatsAppSession "{name}" not found in namespace "{namespace}" '
                       f"(kubectl whatsapp list -n {namespace} shows the sessions there)")


def _show_qr(obj: Session, out: TextIO, *, ascii_only: bool, invert: bool, clear: bool) -> None:
    qr = _status(obj)["qr"]
    if clear:
        out.write(CLEAR_SCREEN)
    name = obj["metadata"]["name"]
    out.write(f"Session {name}: scan with WhatsApp > Linked devices > Link a device "
              f"(QR {qr.get('attempt', '?')}, valid until {qr.get('expiresAt', '?')})\n")
    out.write(render_qr(qr["code"], ascii_only=ascii_only, invert=invert))
    out.flush()


def _connected_line(obj: Session) -> str:
    status = _status(obj)
    who = " ".join(x for x in (status.get("phone"), f"({status['pushName']})" if status.get("pushName") else "") if x)
    return f"Session {obj['metadata']['name']} is CONNECTED" + (f" as {who}" if who else "") + "\n"


def cmd_qr(source: SessionSource, namespace: str, name: str, out: TextIO, *, watch: bool = False,
           timeout: float | None = None, ascii_only: bool = False, invert: bool = False,
           clear: bool = False) -> int:
    """Print the session's current QR code; with `watch`, every new one until CONNECTED."""
    if not watch:
        obj = source.get(namespace, name)
        if obj is None:
            raise _not_found(namespace, name)
        if is_connected(obj):
            out.write(_connected_line(obj))
            return 0
        if (_status(obj).get("qr") or {}).get("code"):
            _show_qr(obj, out, ascii_only=ascii_only, invert=invert, clear=False)
            return 0
        out.write(f"Session {name} has no QR code to scan now ({state_line(obj)}).\n")
        if _status(obj).get("pairingCode"):
            out.write(f"Pairing code: {_status(obj)['pairingCode']}\n")
        out.write(f"Use --watch to wait for one: kubectl whatsapp qr {name} -n {namespace} --watch\n")
        return 1

    shown: str | None = None
    first = True
    for obj in source.follow(namespace, name, timeout):
        if obj is None:
            if first:
                raise _not_found(namespace, name)
            raise PluginError(f'WhatsAppSession "{name}" was deleted')
        first = False
        if is_connected(obj):
            out.write(_connected_line(obj))
            out.flush()
            return 0
        code = (_status(obj).get("qr") or {}).get("code")
        if code and code != shown:
            _show_qr(obj, out, ascii_only=ascii_only, invert=invert, clear=clear)
            shown = code
        elif not code and shown is None:
            out.write(f"Waiting for a QR code ({state_line(obj)})...\n")
            out.flush()
            shown = ""
        reason = stop_reason(obj)
        if reason:
            raise PluginError(f"session {name} is stopped ({reason}); start it again (the API's Start)")
    raise PluginError(f"timed out after {timeout:g} s before session {name} connected")


def cmd_status(source: SessionSource, namespace: str, name: str, out: TextIO, *, output: str = "text") -> int:
    obj = source.get(namespace, name)
    if obj is None:
        raise _not_found(namespace, name)
    if output == "json":
        out.write(json.dumps(obj, indent=2, sort_keys=True) + "\n")
    elif output == "yaml":
        out.write(yaml.safe_dump(obj, sort_keys=True))
    else:
        out.write(describe(obj))
    return 0


def cmd_list(source: SessionSource, namespace: str | None, out: TextIO, *, now: datetime | None = None) -> int:
    objs = source.list(namespace)
    if not objs:
        where = "any namespace" if namespace is None else f'namespace "{namespace}"'
        out.write(f"No WhatsAppSessions found in {where}.\n")
        return 0
    out.write(table(objs, all_namespaces=namespace is None, now=now or datetime.now(UTC)))
    return 0


# --- The cluster ------------------------------------------------------------------


class KubeSource:
    """Sessions read from the API server with the `kubernetes` package."""

    def __init__(self, api_client: Any) -> None:
        from kubernetes import client

        self._api = client.CustomObjectsApi(api_client)
        self._host = api_client.configuration.host

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return fn(crd.GROUP, crd.VERSION, *args, **kwargs)
        except ApiException as e:
            if e.status == 403:
                raise PluginError(f"forbidden: {_server_message(e)}") from None
            if e.status == 401:
                raise PluginError(f"the API server at {self._host} refused the credentials "
                                  f"(Unauthorized)") from None
            raise
        except HTTPError as e:
            raise PluginError(f"cannot reach the API server at {self._host}: {e}") from None

    def get(self, namespace: str, name: str) -> Session | None:
        from kubernetes.client.exceptions import ApiException

        try:
            return dict(self._call(self._api.get_namespaced_custom_object, namespace, crd.PLURAL, name))
        except ApiException as e:
            if e.status == 404:
                self._check_crd_served(e)
                return None
            raise PluginError(f"reading {name}: {_server_message(e)}") from None

    def list(self, namespace: str | None) -> list[Session]:
        from kubernetes.client.exceptions import ApiException

        try:
            if namespace is None:
                out = self._call(self._api.list_cluster_custom_object, crd.PLURAL)
            else:
                out = self._call(self._api.list_namespaced_custom_object, namespace, crd.PLURAL)
        except ApiException as e:
            if e.status == 404:
                self._check_crd_served(e)
            raise PluginError(f"listing sessions: {_server_message(e)}") from None
        return list(out.get("items") or [])

    def follow(self, namespace: str, name: str, timeout: float | None) -> Iterator[Session | None]:
        """Get, then watch the one object (a field selector on its name) from its resourceVersion."""
        import time

        from kubernetes.client.exceptions import ApiException

        deadline = None if timeout is None else time.monotonic() + timeout
        obj = self.get(namespace, name)
        yield obj
        if obj is None:
            return
        version = obj["metadata"]["resourceVersion"]
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return
            window = 300 if left is None else max(1, min(300, int(left)))
            try:
                stream = self._call(self._api.list_namespaced_custom_object, namespace, crd.PLURAL,
                                    field_selector=f"metadata.name={name}", watch=True,
                                    resource_version=version, timeout_seconds=window,
                                    allow_watch_bookmarks=True, _preload_content=False,
                                    _request_timeout=(10, window + 30))
            except ApiException as e:
                if e.status != 410:
                    raise PluginError(f"watching {name}: {_server_message(e)}") from None
                obj = self.get(namespace, name)  # our version is too old: start again from now
                yield obj
                if obj is None:
                    return
                version = obj["metadata"]["resourceVersion"]
                continue
            try:
                for line in stream:
                    event = json.loads(line)
                    kind, body = event.get("type"), event.get("object") or {}
                    if kind == "ERROR":
                        if body.get("code") == 410:
                            obj = self.get(namespace, name)
                            yield obj
                            if obj is None:
                                return
                            version = obj["metadata"]["resourceVersion"]
                            break
                        raise PluginError(f"watching {name}: {body.get('message', body)}")
                    version = body.get("metadata", {}).get("resourceVersion", version)
                    if kind == "DELETED":
                        yield None
                        return
                    if kind in ("ADDED", "MODIFIED"):
                        yield body
            finally:
                stream.release_conn()

    def _check_crd_served(self, error: Any) -> None:
        """A 404 for the object itself is "no such session"; any other means no CRD."""
        try:
            details = json.loads(error.body).get("details") or {}
        except (TypeError, ValueError):
            details = {}
        if details.get("kind") != crd.PLURAL:
            raise PluginError(f"the API server at {self._host} does not serve {crd.PLURAL}.{crd.GROUP}: "
                              "is the mywhatsapp chart (its CRDs) installed?")


def _server_message(error: Any) -> str:
    try:
        return str(json.loads(error.body).get("message") or error.reason)
    except (TypeError, ValueError):
        return f"{error.status} {error.reason}"


def connect(kubeconfig: str | None, context: str | None) -> tuple[Any, str]:
    """An ApiClient for the kubeconfig (kubectl's rules) and the context's namespace."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    path = kubeconfig or os.environ.get("KUBECONFIG") or str(Path("~/.kube/config").expanduser())
    files = [p for p in path.split(os.pathsep) if p]
    if not kubeconfig and not any(Path(p).expanduser().exists() for p in files) \
            and os.environ.get("KUBERNETES_SERVICE_HOST"):
        cfg = client.Configuration()
        config.load_incluster_config(client_configuration=cfg)
        namespace = IN_CLUSTER_NAMESPACE.read_text().strip() if IN_CLUSTER_NAMESPACE.exists() else "default"
        return client.ApiClient(cfg), namespace
    if kubeconfig and not Path(kubeconfig).expanduser().exists():
        raise PluginError(f"kubeconfig {kubeconfig} does not exist")
    try:
        contexts, active = config.list_kube_config_contexts(config_file=path)
        chosen = active
        if context:
            chosen = next((c for c in contexts if c["name"] == context), None)
            if chosen is None:
                raise PluginError(f'context "{context}" is not in the kubeconfig ({path})')
        cfg = client.Configuration()
        config.load_kube_config(config_file=path, context=context, client_configuration=cfg)
    except (ConfigException, OSError) as e:
        raise PluginError(f"cannot load the kubeconfig ({path}): {e}") from None
    namespace = ((chosen or {}).get("context") or {}).get("namespace") or "default"
    return client.ApiClient(cfg), namespace


# --- Command line -----------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    # Connection flags are accepted before and after the subcommand, as kubectl's.
    conn = argparse.ArgumentParser(add_help=False)
    conn.add_argument("--kubeconfig", default=argparse.SUPPRESS, help="path to the kubeconfig file")
    conn.add_argument("--context", default=argparse.SUPPRESS, help="kubeconfig context to use")
    conn.add_argument("-n", "--namespace", default=argparse.SUPPRESS,
                      help="namespace of the session (default: the context's, else default)")

    parser = argparse.ArgumentParser(prog=PROG, parents=[conn],
                                     description="WhatsApp sessions (WhatsAppSession objects) from the terminal.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    qr = sub.add_parser("qr", parents=[conn], help="print the session's QR code to scan",
                        description="Print the QR code the session is waiting to have scanned.")
    qr.add_argument("session", help="name of the WhatsAppSession")
    qr.add_argument("-w", "--watch", action="store_true",
                    help="follow the session: print each new QR code until it is CONNECTED")
    qr.add_argument("--timeout", type=float, default=None, help="with --watch: give up after this many seconds")
    qr.add_argument("--ascii", action="store_true", help="draw with '#' instead of Unicode blocks")
    qr.add_argument("--invert", action="store_true", help="for terminals with a light background")

    status = sub.add_parser("status", parents=[conn], help="show what a session is doing",
                            description="Show a session's state, phone, QR and conditions.")
    status.add_argument("session", help="name of the WhatsAppSession")
    status.add_argument("-o", "--output", choices=["text", "json", "yaml"], default="text")

    lst = sub.add_parser("list", aliases=["ls"], parents=[conn], help="list the sessions",
                         description="List the sessions of the namespace.")
    lst.add_argument("-A", "--all-namespaces", action="store_true", help="list the sessions of every namespace")
    return parser


def run(args: argparse.Namespace, source: SessionSource, namespace: str, out: TextIO) -> int:
    if args.command == "qr":
        return cmd_qr(source, namespace, args.session, out, watch=args.watch, timeout=args.timeout,
                      ascii_only=args.ascii, invert=args.invert, clear=out.isatty())
    if args.command == "status":
        return cmd_status(source, namespace, args.session, out, output=args.output)
    return cmd_list(source, None if args.all_namespaces else namespace, out)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        api_client, context_namespace = connect(getattr(args, "kubeconfig", None), getattr(args, "context", None))
        namespace = getattr(args, "namespace", None) or context_namespace
        with api_client:
            return run(args, KubeSource(api_client), namespace, sys.stdout)
    except PluginError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
