"""Error pages: translated, with the fitting status, and no stack trace outside development."""

from __future__ import annotations

import logging
import traceback

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from tribune.web import render, settings_of

log = logging.getLogger("tribune.errors")

KNOWN_STATUSES = {400, 403, 404, 405, 409, 413, 422, 429, 500, 503}


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code if exc.status_code in KNOWN_STATUSES else 400
    if exc.status_code < 400:
        status = exc.status_code
    reason = "csrf" if exc.detail == "csrf" else str(status)
    try:
        response = render(
            request, "errors/error.html", {"status": status, "reason": reason}, status_code=status
        )
    except Exception:
        log.exception("the error page itself failed")
        return PlainTextResponse(str(status), status_code=status)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def server_error_handler(request: Request, exc: Exception) -> Response:
    request_id = request.scope.get("state", {}).get("request_id")
    log.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
    detail = None
    if settings_of(request).is_development:
        detail = "".join(traceback.format_exception(exc))
    try:
        return render(
            request,
            "errors/error.html",
            {"status": 500, "reason": "500", "detail": detail, "request_id": request_id},
            status_code=500,
        )
    except Exception:
        return PlainTextResponse("Internal server error / Erreur interne du serveur", 500)
