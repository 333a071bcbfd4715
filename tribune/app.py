"""The composition root: the only module of ``tribune`` that imports the domain packages.

It assembles the routes (one explicit, ordered list), the middleware beside
them, the job handlers and the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import ipaddress
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Router
from starlette.staticfiles import StaticFiles

import accountability
import accountability.feedback.models
import accountability.standards.models
import accountability.texts.models
import accounts.models
import auditlog
import filings
import filings.models
import hearings
import hearings.models
import payments
import payments.models
import tribunals.models
from accountability import demo as accountability_demo
from accountability.texts import jobs as text_jobs
from accounts import jobs as account_jobs
from accounts import routes as account_routes
from accounts.middleware import AuthenticationMiddleware
from filings import demo as filing_demo
from filings import jobs as filing_jobs
from filings.documents.scanning import ScannerUnavailable, scanner_from_url
from hearings import demo as hearing_demo
from hearings import jitsi
from payments import demo as payment_demo
from payments.checkout import jobs as checkout_jobs
from payments.providers.factory import provider_factory
from payments.refunds import jobs as refund_jobs
from payments.sandbox import jobs as sandbox_jobs
from tribunals import commands as tribunal_commands
from tribunals import routes as tribunal_routes
from tribunals.tenancy import TenantMiddleware
from tribune import audit, jobs, mail, ratelimits, texts
from tribune import routes as project_routes
from tribune.db import Base, Database
from tribune.errors import http_exception_handler, server_error_handler
from tribune.logs import configure_logging
from tribune.middleware import (
    CSRFCookieMiddleware,
    DatabaseSessionMiddleware,
    LanguageMiddleware,
    RequestContextMiddleware,
    TrustedHostMiddleware,
)
from tribune.settings import PROJECT_ROOT, Settings, load_settings
from tribune.storage import storage_from_url
from tribune.web import create_templates, redirect_slashes_relatively

# Every table, for Alembic and the tests: importing the models registers them.
MODEL_MODULES = (
    audit,
    jobs,
    mail,
    ratelimits,
    texts,
    accounts.models,
    tribunals.models,
    filings.models,
    hearings.models,
    payments.models,
    accountability.standards.models,
    accountability.feedback.models,
    accountability.texts.models,
)
# Every job handler and recurring job: importing a module registers them.
JOB_MODULES = (
    mail,
    texts,
    account_jobs,
    filing_jobs,
    refund_jobs,
    checkout_jobs,
    sandbox_jobs,
    text_jobs,
)
metadata = Base.metadata


def build_routes() -> list[BaseRoute]:
    """Return every route, platform pages first, tribunal pages (``/{tribunal}/...``) last."""
    return [
        Mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static"),
        *project_routes.routes,
        *account_routes.routes,
        *tribunal_routes.routes,
        *filings.routes,
        *hearings.routes,
        *payments.routes,
        *accountability.routes,
        tribunal_routes.mount(
            [
                *tribunal_routes.tenant_routes,
                *filings.tenant_routes,
                *hearings.tenant_routes,
                *payments.tenant_routes,
                *auditlog.tenant_routes,
                *accountability.tenant_routes,
            ]
        ),
    ]


def build_outbox(settings: Settings) -> mail.Outbox:
    """Return an outbox that links to the pages of ``build_routes()``, for a process without
    the app (a worker, a test)."""
    return mail.Outbox.from_settings(
        settings, create_templates().env, Router(routes=build_routes()).url_path_for
    )


async def scanner_unavailable_handler(request: Request, exc: Exception) -> Response:
    """No upload is accepted unscanned: while the scanner is away, uploads answer 503."""
    return await http_exception_handler(request, HTTPException(status_code=503))


def build_middleware(settings: Settings, database: Database) -> list[Middleware]:
    """Return the middleware, outermost first; each relies on those before it."""
    return [
        Middleware(TrustedHostMiddleware, settings=settings),
        Middleware(RequestContextMiddleware, settings=settings),
        Middleware(CSRFCookieMiddleware, settings=settings),
        Middleware(DatabaseSessionMiddleware, database=database),
        # The tenant first: a tribunal's page loads its session with the tribunal, in one
        # statement; AuthenticationMiddleware loads it on every other page.
        Middleware(TenantMiddleware, settings=settings),
        Middleware(AuthenticationMiddleware, settings=settings),
        Middleware(LanguageMiddleware, settings=settings),
    ]


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    *,
    inline_worker: bool | None = None,
) -> Starlette:
    settings = settings or load_settings()
    database = database or Database.from_url(settings.database_url, settings.database_pool_size)
    run_worker = settings.inline_worker if inline_worker is None else inline_worker

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # What start-up made (routes, templates, the ORM's mappings) lives as long as the
        # process: out of the collector's way, so that its full passes stay short.
        gc.collect()
        gc.freeze()
        stop = asyncio.Event()
        task = None
        if run_worker:
            worker = jobs.Worker(
                database, settings, storage=app.state.storage, outbox=app.state.outbox
            )
            task = asyncio.create_task(worker.run_forever(stop))
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            app.state.storage.close()
            await database.dispose()

    app = Starlette(
        routes=build_routes(),
        middleware=build_middleware(settings, database),
        exception_handlers={
            HTTPException: http_exception_handler,
            ScannerUnavailable: scanner_unavailable_handler,
            Exception: server_error_handler,
        },
        lifespan=lifespan,
    )
    redirect_slashes_relatively(app.router)
    app.state.settings = settings
    app.state.database = database
    app.state.templates = create_templates()
    app.state.outbox = mail.Outbox.from_settings(
        settings, app.state.templates.env, app.url_path_for
    )
    app.state.scanner = scanner_from_url(settings.scanner_url)
    app.state.storage = storage_from_url(
        settings.storage_url,
        s3_endpoint_url=settings.s3_endpoint_url,
        s3_region=settings.s3_region,
    )
    # The video service's health, asked at most every 30 seconds by this process, for the
    # clerks' day view and /readyz; a video outage leaves the process ready (filings go on).
    app.state.jitsi_health = jitsi.HealthCache()
    app.state.payment_providers = provider_factory(settings, app.state.outbox.url)
    # Who sends text messages: the outbox in development, GC Notify in production.
    app.state.text_provider = texts.provider_for(settings.sms)
    app.state.readiness_checks = [
        project_routes.ReadinessCheck(
            "video",
            lambda: jitsi.readiness(app.state.jitsi_health, app.state.settings.jitsi),
            required=False,
        )
    ]
    return app


# -- command line ---------------------------------------------------------------------------


def migrate(settings: Settings, revision: str = "head") -> None:
    # Alembic announces its plugins when imported: not worth a log line each.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", settings.database_url)
    config.attributes["configure_logging"] = False  # ours is already set up
    command.upgrade(config, revision)


def _runner(settings: Settings) -> Callable[[Callable[[AsyncSession], Awaitable[Any]]], Any]:
    async def run(work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        database = Database.from_url(settings.database_url, settings.database_pool_size)
        try:
            async with database.session() as db:
                result = await work(db)
                await db.commit()
                return result
        finally:
            await database.dispose()

    return run


def exposure_warning(settings: Settings, host: str) -> str | None:
    """Return a warning when a development platform listens beyond this machine, or None."""
    if not settings.is_development:
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        if host == "localhost":
            return None
    return (
        f"WARNING: Tribune runs in development mode on {host}, reachable from other machines: "
        "demo accounts may exist and there is no real secret key. Set TRIBUNE_ENV=production "
        "for a deployment (the outbox stays visible to this machine only)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tribune", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the platform (and, in development, a worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    commands.add_parser("worker", help="run queued jobs until stopped")
    commands.add_parser("migrate", help="apply the database migrations")
    tribunal_commands.add_arguments(commands)
    arguments = parser.parse_args(argv)

    settings = load_settings()
    configure_logging(settings.log_level)
    if arguments.command == "serve":
        import uvicorn

        warning = exposure_warning(settings, arguments.host)
        if warning:
            print(warning, file=sys.stderr)
            logging.getLogger("tribune").warning(warning)

        uvicorn.run(
            "tribune.app:create_app",
            factory=True,
            host=arguments.host,
            port=arguments.port,
            workers=arguments.workers,
            access_log=False,
            proxy_headers=True,
            # Longer than the pages' 5-second polls, so that a poll does not find its
            # connection being closed (uvicorn's default is 5 s), and than a proxy's
            # usual 60 s upstream keep-alive.
            timeout_keep_alive=75,
            log_config=None,
        )
        return 0
    if arguments.command == "worker":
        return asyncio.run(_run_worker(settings))
    if arguments.command == "migrate":
        migrate(settings)
        return 0
    if arguments.command == "demo-data":
        if settings.is_production:
            print("error: demo data is for development only", file=sys.stderr)
            return 2
        return asyncio.run(_load_demo_data(settings))
    result: int = asyncio.run(arguments.handler(arguments, _runner(settings)))
    return result


async def _load_demo_data(settings: Settings) -> int:
    async def load(db: AsyncSession) -> tuple[bool, int, int, int, int, int, int, int]:
        created = await tribunal_commands.load_demo_data(db)
        await db.flush()
        case_types = await filing_demo.load_demo_case_types(db)
        await db.flush()
        cases = await filing_demo.load_demo_cases(db, tribunal_commands.DEMO_PASSWORD)
        await db.flush()
        calendars = await hearing_demo.load_demo_hearings(db)
        await db.flush()
        hearings = await hearing_demo.load_demo_hearing_rows(db)
        await db.flush()
        fees = await payment_demo.load_demo_fees(db)
        await db.flush()
        fee_cases = await payment_demo.load_demo_payment_cases(db)
        await db.flush()
        history = await accountability_demo.load_demo_history(db, tribunal_commands.DEMO_PASSWORD)
        await db.flush()
        await accountability_demo.load_demo_standards(db)
        return created, case_types, cases, calendars, hearings, fees, fee_cases, history

    (
        tribunals_created,
        case_types_created,
        cases_created,
        calendars,
        hearings,
        fees,
        fee_cases,
        history,
    ) = await _runner(settings)(load)
    print("demo data loaded" if tribunals_created else "demo data already present")
    print(f"demo case types created: {case_types_created}; demo cases created: {cases_created}")
    print(f"demo hearing calendars created: {calendars}; demo hearings created: {hearings}")
    print(f"demo fees created: {fees}; demo cases owing a fee created: {fee_cases}")
    print(f"demo past cases created (for the service standards): {history}")
    print(tribunal_commands.describe_demo(Router(routes=build_routes()).url_path_for))
    return 0


async def _run_worker(settings: Settings) -> int:
    import signal

    database = Database.from_url(settings.database_url, settings.database_pool_size)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    worker = jobs.Worker(database, settings, outbox=build_outbox(settings))
    try:
        await worker.run_forever(stop)
    finally:
        worker.storage.close()
        await database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
