"""Entering a paper filing and printing the claimant's access letter."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import cases
from filings.access import registry_role
from filings.casetypes import services as casetype_services
from filings.paper import services as paper
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.i18n import use_language
from tribune.web import db_of, outbox_of, redirect, render, url_path

# -- paper filings ---------------------------------------------------------------------------


async def new_paper_filing(request: Request) -> Response:
    """The clerk picks the case type of a paper filing, then enters it through the journey."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    versions = await casetype_services.published_versions(db, tribunal.id)
    form = Form(await request.form()) if request.method == "POST" else Form()
    if request.method == "POST":
        chosen = form.choice(
            "version",
            [str(version.id) for version in versions],
            required=_("Select the type of case on the paper form"),
        )
        if form.is_valid:
            version = next(v for v in versions if str(v.id) == chosen)
            filing = paper.start_paper_filing(
                db,
                tribunal,
                version,
                clerk=signed_in_user(request),
                clerk_role=registry_role(current_roles(request)),
            )
            return redirect(
                url_path(
                    request, "filings:journey:resume", tribunal=tribunal.slug, filing_id=filing.id
                )
            )
    context = {
        "form": form,
        "versions": versions,
        "held": await paper.unclaimed_paper_filings(db, tribunal.id),
    }
    return render(
        request,
        "filings/paper/new.html",
        context,
        status_code=422 if form.errors else 200,
    )


async def access_letter(request: Request) -> Response:
    """A letter to post to a claimant without email, with a fresh code to claim the case.

    GET shows what will be printed; POST makes a new code (the earlier one stops working)
    and shows the letter with it, once.
    """
    tribunal = current_tribunal(request)
    db = db_of(request)
    found = await cases.find_case(db, tribunal.id, request.path_params["filing_id"])
    if found is None or not cases.is_paper_filing(found[0]):
        raise HTTPException(status_code=404)
    filing = found[0]
    letter = await paper.access_letter(db, outbox_of(request), tribunal, filing)
    if letter is None:
        raise HTTPException(status_code=404)
    if request.method == "POST":
        if letter.claimed:
            return render(request, "filings/paper/letter.html", letter.context(), status_code=409)
        letter = paper.with_fresh_code(
            db,
            letter,
            clerk=signed_in_user(request),
            clerk_role=registry_role(current_roles(request)),
        )
        # The letter is in the case's language, whatever the clerk reads the site in.
        with use_language(filing.language):
            return render(request, "filings/paper/letter.html", letter.context())
    return render(request, "filings/paper/letter.html", letter.context())


tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/staff/paper-filings/new",
        new_paper_filing,
        permission=Permission.REGISTRY_WORK,
        methods=["GET", "POST"],
        name="filings:paper:new",
    ),
    TenantRoute(
        "/staff/cases/{filing_id:uuid}/letter",
        access_letter,
        permission=Permission.REGISTRY_WORK,
        methods=["GET", "POST"],
        name="filings:paper:letter",
    ),
]
