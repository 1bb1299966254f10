"""``mywhatsapp-simulator``: run the simulated WhatsApp as an HTTP service.

Options can also come from the environment (``SIMULATOR_HOST``,
``SIMULATOR_PORT``, ``SIMULATOR_STATE_FILE``, ``SIMULATOR_QR_FIRST_TTL``,
``SIMULATOR_QR_NEXT_TTL``, ``SIMULATOR_QR_MAX_REFS``); a command-line option
wins over the environment. ``--port 0`` picks a free port; with
``--url-file`` the URL actually listened on is written to that file once the
server accepts connections (how scripts and tests find it).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path

import uvicorn

from mywhatsapp.simulator.app import create_app
from mywhatsapp.simulator.qr import DEFAULT_FIRST_TTL, DEFAULT_MAX_REFS, DEFAULT_NEXT_TTL, QrSchedule


def parse_args(argv: Sequence[str] | None, environ: Mapping[str, str]) -> argparse.Namespace:
    """Command line over environment over defaults."""
    env = environ.get
    parser = argparse.ArgumentParser(prog="mywhatsapp-simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=env("SIMULATOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("SIMULATOR_PORT", "8099")))
    parser.add_argument("--state-file", type=Path, default=env("SIMULATOR_STATE_FILE") or None,
                        help="JSON file keeping devices and phones across restarts (default: memory only)")
    parser.add_argument("--qr-first-ttl", type=float,
                        default=float(env("SIMULATOR_QR_FIRST_TTL", str(DEFAULT_FIRST_TTL))),
                        help="seconds the first QR code of a login attempt lives (WhatsApp: 60)")
    parser.add_argument("--qr-next-ttl", type=float,
                        default=float(env("SIMULATOR_QR_NEXT_TTL", str(DEFAULT_NEXT_TTL))),
                        help="seconds every later QR code lives (WhatsApp: 20)")
    parser.add_argument("--qr-max-refs", type=int,
                        default=int(env("SIMULATOR_QR_MAX_REFS", str(DEFAULT_MAX_REFS))),
                        help="QR codes per connection before the server gives up (WhatsApp: 6)")
    parser.add_argument("--url-file", type=Path, default=None,
                        help="write http://host:port here once listening")
    parser.add_argument("--log-level", default=env("SIMULATOR_LOG_LEVEL", "info"))
    args = parser.parse_args(argv)
    if args.qr_first_ttl <= 0 or args.qr_next_ttl <= 0 or args.qr_max_refs < 1:
        parser.error("QR lifetimes must be positive and --qr-max-refs at least 1")
    return args


async def _serve(args: argparse.Namespace) -> None:
    schedule = QrSchedule(args.qr_first_ttl, args.qr_next_ttl, args.qr_max_refs)
    app = create_app(schedule, state_file=args.state_file)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(app, log_level=args.log_level.lower(), access_log=False)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.02)
    url = f"http://{host}:{port}"
    logging.getLogger("mywhatsapp.simulator").warning("simulator listening on %s", url)
    if args.url_file is not None and server.started:
        args.url_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = args.url_file.with_name(args.url_file.name + ".tmp")
        temporary.write_text(url + "\n", encoding="utf-8")
        os.replace(temporary, args.url_file)
    await serving


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``mywhatsapp-simulator`` console script."""
    args = parse_args(argv, os.environ)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
