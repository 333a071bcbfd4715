"""The project's own pages: health checks, the information pages and the development outbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
from sqlalchemy import select, text
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute

from tribune.mail import OutboxMessage
from tribune.settings import PROJECT_ROOT
from tribune.storage.base import Storage
from tribune.texts import TextMessage
from tribune.web import Endpoint, db_of, page, render, shows_outbox

# A load balancer's probe must get an answer before its own timeout.
READINESS_TIMEOUT_SECONDS = 5
# Browsers ask for /favicon.ico on every site, whatever the page links to: the same icon
# as static/images/favicon.svg (which pages link to), drawn at 16, 32 and 48 pixels.
FAVICON = PROJECT_ROOT / "static" / "images" / "favicon.ico"


async def healthz(request: Request) -> Response:
    """The process is alive: no dependency is checked."""
    return PlainTextResponse("ok")


@dataclass(frozen=True)
class ReadinessCheck:
    """A dependency ``/readyz`` reports on beside the database and the document store,
    registered by the composition root (``tribune.app``) in ``app.state.readiness_checks``
    so that this package imports no domain. ``check`` returns the entry's value ("ok" when
    all is well); a check that is not ``required`` is reported without making the process
    unready (the platform serves filings without it)."""

    name: str
    check: Callable[[], Awaitable[str]]
    required: bool = True


async def readyz(request: Request) -> Response:
    """The process can serve: the database answers and the document store takes writes;
    the registered checks are reported too, and only the required ones count."""
    checks: dict[str, str] = {}
    try:
        await db_of(request).execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unavailable"
    storage: Storage = request.app.state.storage
    try:
        with anyio.fail_after(READINESS_TIMEOUT_SECONDS):
            await storage.check_writable()
        checks["storage"] = "ok"
    except Exception:
        checks["storage"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    registered: list[ReadinessCheck] = getattr(request.app.state, "readiness_checks", [])
    for entry in registered:
        try:
            with anyio.fail_after(READINESS_TIMEOUT_SECONDS):
                checks[entry.name] = await entry.check()
        except Exception:
            checks[entry.name] = "unavailable"
        if entry.required and checks[entry.name] != "ok":
            ready = False
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


async def favicon(request: Request) -> Response:
    """The site's icon, for browsers that ask for it where it has always been."""
    return FileResponse(FAVICON, media_type="image/x-icon")


async def outbox(request: Request) -> Response:
    """Development only, from this machine: the emails and texts the platform sent, to follow
    links and read confirmation codes."""
    if not shows_outbox(request):
        raise HTTPException(status_code=404)
    db = db_of(request)
    messages = (
        await db.execute(select(OutboxMessage).order_by(OutboxMessage.created_at.desc()).limit(50))
    ).scalars()
    texts = (
        await db.execute(select(TextMessage).order_by(TextMessage.created_at.desc()).limit(50))
    ).scalars()
    return render(request, "outbox.html", {"messages": list(messages), "texts": list(texts)})


def _info_page(template: str) -> Endpoint:
    async def show(request: Request) -> Response:
        return render(request, template)

    return show


routes: list[BaseRoute] = [
    page("/healthz", healthz, name="tribune:healthz"),
    page("/readyz", readyz, name="tribune:readyz"),
    page("/favicon.ico", favicon, name="tribune:favicon"),
    page("/outbox", outbox, name="tribune:outbox"),
    page("/accessibility", _info_page("pages/accessibility.html"), name="tribune:accessibility"),
    page("/privacy", _info_page("pages/privacy.html"), name="tribune:privacy"),
    page("/contact", _info_page("pages/contact.html"), name="tribune:contact"),
]
