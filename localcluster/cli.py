"""`mywhatsapp-localcluster up|down|status|env`: the local cluster from the command line.

`up` builds nothing: the Go binaries come from `localcluster/build-binaries.sh`
(the Makefile runs it first). The state folder, port base and pod address
range come from LOCALCLUSTER_DIR / LOCALCLUSTER_PORT_BASE / LOCALCLUSTER_POD_NET
(defaults: ./.localcluster, 16000, 127.1.x.y).
"""

from __future__ import annotations

import argparse
import sys
import time

from . import controlplane, processes
from .config import ClusterConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mywhatsapp-localcluster", description=__doc__)
    parser.add_argument("command", choices=("up", "down", "status", "env"))
    args = parser.parse_args(argv)
    cfg = ClusterConfig.from_env()
    if args.command == "up":
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
