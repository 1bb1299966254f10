"""Benchmark: the facade's /instance/Status with 100 sessions, against a bare endpoint of the same server.

    .venv/bin/python bench/api_status.py [--sessions 100] [--seconds 10] [--connections 32]

On a throw-away local cluster (`.localcluster-bench/`, ports 56xxx) with the
CRD: N WhatsAppSessions whose status says CONNECTED (as a session pod would
write it), and one `mywhatsapp-api` process (uvicorn, one worker) watching
them. `wrk` (Debian's package) then drives, for the same time and
connections:
- the floor: `GET /healthz` — the same server, no auth, no body, no cache;
- the measured: `POST /instance/Status` with the admin token and a JSON body
  naming one of the N sessions in turn (auth, body parsing, name mapping,
  cache lookup, the seed's envelope).
It prints requests/s and p99 for both, their ratio, and how many requests the
API sent to the Kubernetes API server during the Status run (its own
counter, exported on /metrics), and writes them to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mywhatsapp.common import crd  # noqa: E402
from mywhatsapp.localcluster import processes  # noqa: E402
from mywhatsapp.localcluster.config import ClusterConfig  # noqa: E402
from mywhatsapp.common.kube_sync import KubeClient  # noqa: E402

from report import bench_cluster, write_section  # noqa: E402

SECRET = "bench-admin-key-0123456789abcdef"
PORT = 56099
LUA = """
local n = {n}
local i = 0
request = function()
  i = (i % n) + 1
  local body = string.format('{{"SessionName": "bench%03d"}}', i)
  return wrk.format("POST", "/instance/Status",
    {{["Content-Type"] = "application/json", ["AuthorizationToken"] = "{secret}"}}, body)
end
"""


def wrk(url: str, seconds: int, connections: int, script: str | None = None) -> tuple[float, float]:
    """(requests/s, p99 ms) of one wrk run."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} failed requests:\n{out}")
    return rps, p99


def kube_requests(base: str) -> float:
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return float(re.search(r"^mywhatsapp_api_kube_requests (\S+)$", text, re.M).group(1))  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    with bench_cluster(kubelet=False) as cfg:
        measure(cfg, args)


def measure(cfg: ClusterConfig, args: argparse.Namespace) -> None:
    api_proc = None
    try:
        api = KubeClient.from_kubeconfig(cfg.kubeconfig)
        base_path = f"/apis/{crd.API_VERSION}/namespaces/default/{crd.PLURAL}"
        for i in range(1, args.sessions + 1):
            name = f"bench{i:03d}"
            api.request("POST", base_path, {
                "apiVersion": crd.API_VERSION, "kind": crd.KIND,
                "metadata": {"name": name, "annotations": {crd.ANNOTATION_SESSION_NAME: name}},
                "spec": {"backend": "simulated", "sessionName": name}})
            api.merge_patch(f"{base_path}/{name}/status", {"status": {
                "state": "CONNECTED", "status": "inChat", "phone": f"55119{i:08d}", "phase": "Running"}})

        env = {**os.environ, "KUBECONFIG": str(cfg.kubeconfig), "SECRET_KEY": SECRET, "PORT": str(PORT),
               "IPV4": "127.0.0.1", "SESSIONS_NAMESPACE": "default", "ENVIRONMENT": "production"}
        env.pop("KUBERNETES_SERVICE_HOST", None)
        log = open(cfg.state_dir / "api.log", "w")
        api_proc = subprocess.Popen([str(REPO / ".venv/bin/mywhatsapp-api")], env=env, stdout=log,
                                    stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{PORT}"
        processes.wait_until(lambda: processes.http_ok(f"{base}/readyz"), timeout=60, what="the API to be ready")

        floor_rps, floor_p99 = wrk(f"{base}/healthz", args.seconds, args.connections)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(LUA.format(n=args.sessions, secret=SECRET))
        before = kube_requests(base)
        status_rps, status_p99 = wrk(base, args.seconds, args.connections, script.name)
        kube_calls = kube_requests(base) - before
        ratio = status_rps / floor_rps
        print(f"floor  GET /healthz:           {floor_rps:8.0f} req/s  p99 {floor_p99:6.1f} ms")
        print(f"status POST /instance/Status:  {status_rps:8.0f} req/s  p99 {status_p99:6.1f} ms")
        print(f"ratio status/floor: {ratio:.2f}; API-server requests during the Status run: {kube_calls:.0f}")
        if not args.no_write:
            write_report(args, floor_rps, floor_p99, status_rps, status_p99, kube_calls)
    finally:
        if api_proc is not None:
            api_proc.terminate()
            api_proc.wait(timeout=30)


def write_report(args: argparse.Namespace, floor_rps: float, floor_p99: float, status_rps: float,
                 status_p99: float, kube_calls: float) -> None:
    heading = "## API: Status with 100 sessions"
    section = f"""{heading}

Command: `.venv/bin/python bench/api_status.py --sessions {args.sessions} --seconds {args.seconds} --connections {args.connections}`
({time.strftime('%Y-%m-%d')}, 2 cores; wrk, the API (one uvicorn worker) and the control plane on one machine)

| endpoint | requests/s | p99 |
|---|---|---|
| floor: `GET /healthz` on the same server | {floor_rps:.0f} | {floor_p99:.1f} ms |
| `POST /instance/Status` (admin token, JSON body, {args.sessions} sessions in turn) | {status_rps:.0f} | {status_p99:.1f} ms |
| **ratio Status / floor** | **{status_rps / floor_rps:.2f}** | |

Requests the API sent to the Kubernetes API server during the Status run:
**{kube_calls:.0f}** (reads come from the watch cache).
"""
    write_section(heading, section)


if __name__ == "__main__":
    main()
