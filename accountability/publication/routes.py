"""Routes of `accountability.publication`: the public "Our service standards" page and its
downloads, open to anyone, signed in or not. They read published figures only."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accountability.publication import services
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_tribunal
from tribune import i18n
from tribune.web import db_of, render


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


async def standards(request: Request) -> Response:
    """Each standard with its target, its last four published quarters as a chart and a
    table, and its method; the publication dates and corrections; the downloads."""
    publication = await services.publication_of(db_of(request), current_tribunal(request))
    return render(
        request,
        "accountability/publication/standards.html",
        {
            "publication": publication,
            "standards": [
                {
                    "standard": standard,
                    "chart": services.chart_of(standard),
                    "method": services.method_of(publication, standard),
                    "target": services.target_text(standard.definition),
                }
                for standard in publication.standards
            ],
            "general_method": services.general_method(),
            "target_text": services.target_text,
            "published_on": services.published_on,
            "correction_text": services.correction_text,
        },
    )


async def standards_csv(request: Request) -> Response:
    """The published figures as CSV, labelled in the page's language."""
    publication = await services.publication_of(db_of(request), current_tribunal(request))
    return Response(
        services.csv_text(publication, i18n.get_language()),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(services.download_name(publication, "csv")),
    )


async def standards_json(request: Request) -> Response:
    """The published figures as JSON, with keys that do not depend on the language."""
    publication = await services.publication_of(db_of(request), current_tribunal(request))
    return Response(
        json.dumps(services.json_document(publication), ensure_ascii=False, indent=2),
        media_type="application/json",
        headers=_attachment(services.download_name(publication, "json")),
    )


routes: list[BaseRoute] = []

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/service-standards",
        standards,
        permission=Permission.PUBLIC,
        name="accountability:publication:standards",
    ),
    TenantRoute(
        "/service-standards.csv",
        standards_csv,
        permission=Permission.PUBLIC,
        name="accountability:publication:csv",
    ),
    TenantRoute(
        "/service-standards.json",
        standards_json,
        permission=Permission.PUBLIC,
        name="accountability:publication:json",
    ),
]
