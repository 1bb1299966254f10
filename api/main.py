"""Entry point ``mywhatsapp-api``: read the settings, connect to Kubernetes, serve."""

from __future__ import annotations

import logging
import sys

import uvicorn
from pydantic import ValidationError

from mywhatsapp.api.app import create_app
from mywhatsapp.common.kube_sync import KubeClient, load_configuration
from mywhatsapp.api.settings import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(str(error["msg"]) for error in exc.errors())
        print(f"mywhatsapp-api: invalid configuration: {problems}", file=sys.stderr)
        raise SystemExit(2) from None
    app = create_app(settings, KubeClient(load_configuration()))
    uvicorn.run(app, host=settings.ipv4, port=settings.port, proxy_headers=True, access_log=True)


if __name__ == "__main__":
    main()
