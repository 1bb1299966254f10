"""`mywhatsapp-localcluster up|system-up|down|status|env`: the local cluster from the command line.

`up` starts the cluster alone; `system-up` also the simulator and the chart
(operator + API), as `make up` does.

`up` builds nothing: the Go binaries come from `localcluster/build-binaries.sh`
(the Makefile runs it first). The state folder, port base and pod address
range come from LOCALCLUSTER_DIR / LOCALCLUSTER_PORT_BASE / LOCALCLUSTER_POD_NET
(defaults: ./.localcluster, 16000, 127.1.x.y).
"""

from __future__ import annotations

import argparse
import sys
import time

from . import controlplane, processes, stack
from .config import ClusterConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mywhatsapp-localcluster", description=__doc__)
    parser.add_argument("command", choices=("up", "down", "status", "env", "system-up"))
    parser.add_argument("--backend", choices=("simulated", "neonize"), default="simulated",
                        help="system-up: the sessions' default backend")
    args = parser.parse_args(argv)
    cfg = ClusterConfig.from_env()
    if args.command == "system-up":
        t0 = time.monotonic()
        url = stack.up(cfg, backend=args.backend)
        print(f"mywhatsapp is up in {time.monotonic() - t0:.1f} s")
        print(f"  API:        {url}   (admin key in {cfg.state_dir / 'secret-key'})")
        print(f"  simulator:  {stack.simulator_url(cfg)}")
        print(f"  kubectl:    export KUBECONFIG={cfg.kubeconfig}; kubectl get wa -n {stack.NAMESPACE}")
    elif args.command == "up":
        t0 = time.monotonic()
        controlplane.up(cfg)
        print(f"local cluster up in {time.monotonic() - t0:.1f} s; logs in {cfg.logs}")
        print(f"export KUBECONFIG={cfg.kubeconfig}")
    elif args.command == "down":
        strays = controlplane.down(cfg)
        left = processes.stray_processes(cfg.state_dir)
        if strays:
            print(f"stopped {len(strays)} stray process(es): {strays}")
        if left:
            print(f"still running: {left}", file=sys.stderr)
            return 1
        print("local cluster down")
    elif args.command == "status":
        for name, pid in controlplane.status(cfg).items():
            print(f"{name:24} {'running, pid ' + str(pid) if pid else 'stopped'}")
    else:
        print(f"export KUBECONFIG={cfg.kubeconfig}")
        print(f"export PATH={cfg.binary('')}:$PATH")
    return 0


if __name__ == "__main__":
    sys.exit(main())
