"""``create_app``: the FastAPI application of the facade, with its services.

Everything with side effects (the Kubernetes client, MySQL, threads) is made
or started here or in the lifespan, never at import time; tests pass their
own ``Settings`` and ``KubeClient``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.routing import Route

from mywhatsapp.api import messages
from mywhatsapp.api.auth import Authenticator, Lookup
from mywhatsapp.api.envelope import SeedError, reply
from mywhatsapp.common.kube_sync import KubeClient
from mywhatsapp.api.kube.sessions import SessionStore
from mywhatsapp.api.metrics import Metrics
from mywhatsapp.api.mysql import schema, tokens_table
from mywhatsapp.api.mysql.sessionwa import SessionwaMirror
from mywhatsapp.api.paths import SeedPaths
from mywhatsapp.api.routes import docs, ops, page, sessions
from mywhatsapp.api.routes import messages as message_routes
from mywhatsapp.api.services import Services
from mywhatsapp.api.settings import Settings
from mywhatsapp.common.vocabulary import State, Status

log = logging.getLogger(__name__)

#: The session routes are served under both families.
SESSION_PREFIXES = ("/sistema", "/instance")
CACHE_SYNC_SECONDS = 15.0
MIGRATE_RETRY_SECONDS = 5.0


def build_services(settings: Settings, kube: KubeClient, token_lookup: Lookup | None = None) -> Services:
    store = SessionStore(kube, settings.sessions_namespace)
    lookup = token_lookup or (tokens_table.lookup if settings.validate_mysql else None)
    authenticator = Authenticator(settings, lookup)
    metrics = Metrics(cached_sessions=lambda: len(store.cache), kube_requests=lambda: kube.requests)
    mirror = SessionwaMirror(settings) if settings.validate_mysql and token_lookup is None else None
    return Services(settings=settings, store=store, authenticator=authenticator, metrics=metrics, mirror=mirror)


def _migrate_once(services: Services) -> bool:
    try:
        schema.migrate(services.settings)
    except Exception as exc:  # noqa: BLE001 - any failure: retried later
        log.warning("MySQL schema setup failed (%s); retrying", type(exc).__name__)
        return False
    services.mysql_ready = True
    return True


def _migrate_until_done(services: Services, stop: threading.Event) -> None:
    while not stop.wait(MIGRATE_RETRY_SECONDS):
        if _migrate_once(services):
            return


def create_app(settings: Settings, kube: KubeClient, *, token_lookup: Lookup | None = None) -> FastAPI:
    """The facade for ``settings``, talking to Kubernetes through ``kube``.

    ``token_lookup`` replaces the MySQL ``tokens`` lookup (tests).
    """
    services = build_services(settings, kube, token_lookup)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        migrator: threading.Thread | None = None
        if services.mirror is not None:
            await anyio.to_thread.run_sync(_migrate_once, services)
            if not services.mysql_ready:
                migrator = threading.Thread(target=_migrate_until_done, args=(services, stop),
                                            name="mysql-migrate", daemon=True)
                migrator.start()
            services.store.cache.add_listener(services.mirror.on_change)
            services.mirror.start()
        services.store.start()
        await anyio.to_thread.run_sync(services.store.cache.wait_synced, CACHE_SYNC_SECONDS)
        try:
            yield
        finally:
            stop.set()
            await anyio.to_thread.run_sync(services.store.stop)
            if services.mirror is not None:
                await anyio.to_thread.run_sync(services.mirror.stop)
            if migrator is not None:
                migrator.join(10)
            kube.close()

    app = FastAPI(
        title="mywhatsapp API",
        summary="The mywhatsapp-api session routes on top of WhatsAppSession custom resources",
        version="0.1.0",
        docs_url=None,  # served below from packaged assets: no CDN needed
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services
    for prefix in SESSION_PREFIXES:
        app.include_router(sessions.router, prefix=prefix, tags=[prefix.strip("/")])
    app.include_router(message_routes.router, prefix="/message", tags=["message"])
    app.include_router(page.router)
    app.include_router(ops.router)
    docs.mount(app)

    @app.exception_handler(SeedError)
    async def seed_error(request: Request, exc: SeedError) -> Response:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return reply(400, error=True, message=messages.MISSING_FIELDS)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s: %s", request.url.path, type(exc).__name__, exc_info=exc)
        return reply(500, error=True, state=State.ERROR.value, status=Status.IS_ERROR.value,
                     message=messages.CANNOT_EXECUTE)

    @app.middleware("http")
    async def measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        began = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        services.metrics.observe(getattr(route, "path", "unmatched"), response.status_code,
                                 time.perf_counter() - began)
        return response

    mounted = [(prefix, sessions.router) for prefix in SESSION_PREFIXES] + [
        ("/message", message_routes.router), ("", page.router), ("", ops.router)]

    def served() -> Iterator[tuple[str, set[str]]]:
        for prefix, router in mounted:
            for route in router.routes:
                if isinstance(route, APIRoute):
                    yield prefix + route.path, set(route.methods)
        for route in app.routes:
            if isinstance(route, Route):
                yield route.path, set(route.methods or ())

    app.add_middleware(SeedPaths, routes_of=served, passthrough=(docs.ASSETS + "/",))
    return app

