"""`mywhatsapp-operator`: run the kopf operator with peering, liveness and metrics.

Configuration comes from the environment (`MYWHATSAPP_*`, see config.py).
Peering: every replica joins the `mywhatsapp-operator` peering with a random
priority, so when two replicas run, only the highest acts and the other
pauses (kopf pauses all peers of equal priority, hence the randomness).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sys

import kopf
from prometheus_client import start_http_server

from mywhatsapp.common import kube
from mywhatsapp.common.kube import Conflict, Kube

from . import handlers  # noqa: F401 - registers the handlers
from .config import OperatorSettings

PEERING = "mywhatsapp-operator"


async def ensure_peering(client: Kube, namespaces: list[str]) -> None:
    """Create the peering object(s) kopf needs, if absent."""
    if namespaces:
        targets = [(kube.object_path("kopf.dev/v1", "kopfpeerings", ns), "KopfPeering") for ns in namespaces]
    else:
        targets = [(kube.object_path("kopf.dev/v1", "clusterkopfpeerings", None), "ClusterKopfPeering")]
    for collection, kind in targets:
        try:
            await client.create(collection, {"apiVersion": "kopf.dev/v1", "kind": kind, "metadata": {"name": PEERING}})
        except Conflict:
            pass


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # One line per API request or per watch event is noise at 1000 sessions.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("kopf.objects").setLevel(os.environ.get("KOPF_LOG_LEVEL", "WARNING"))
    settings = OperatorSettings()
    # Bind to the pod's own address when known: on the local cluster all pods
    # share the host's network, and 0.0.0.0 would clash between replicas.
    host = os.environ.get("POD_IP") or "0.0.0.0"  # noqa: S104 - a pod listens on its interface
    start_http_server(settings.metrics_port, addr=host)
    client = Kube.from_environment()

    async def run() -> None:
        await ensure_peering(client, settings.watch_namespaces)
        await kopf.operator(
            clusterwide=not settings.watch_namespaces,
            namespaces=settings.watch_namespaces,
            peering_name=PEERING,
            priority=secrets.randbelow(2**31 - 1) + 1,
            liveness_endpoint=f"http://{host}:{settings.health_port}/healthz",
            memo=kopf.Memo(op=settings, kube=client),
        )

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
