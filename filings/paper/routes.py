"""Entering a paper filing and printing the claimant's access letter."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import cases
from filings.access import registry_role
from filings.casetypes import services as casetype_services
from filings.journey import services as journey_services
from filings.paper import services as paper
from tribunals.permissions import Permission
from tribunals.tenancy import current_roles, current_tribunal, tenant_page
from tribune import audit
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.i18n import use_language
from tribune.web import db_of, redirect, render, settings_of

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
            clerk = signed_in_user(request)
            filing = journey_services.start_filing(db, tribunal, version, clerk)
            filing.entered_by_id = clerk.id
            audit.record(
                db,
                "filing.paper_started",
                actor_id=clerk.id,
                actor_role=registry_role(current_roles(request)),
                tribunal_id=tribunal.id,
                subject_type="filing",
                subject_id=filing.id,
            )
            return redirect(f"/{tribunal.slug}/filings/{filing.id}")
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
    if found is None or not paper.is_paper_filing(found[0]):
        raise HTTPException(status_code=404)
    filing = found[0]
    claimant = await paper.claimant_of(db, filing)
    if claimant is None:
        raise HTTPException(status_code=404)
    about_you = (filing.answers or {}).get("about_you") or {}
    context: dict[str, Any] = {
        "filing": filing,
        "claimant": claimant,
        # Canada Post's order: street lines, then "CITY PROVINCE  POSTAL CODE".
        "address": [
            about_you.get("address_line1") or "",
            about_you.get("address_line2") or "",
            "  ".join(
                part
                for part in (
                    " ".join(
                        part for part in (about_you.get("city"), about_you.get("province")) if part
                    ),
                    about_you.get("postal_code") or "",
                )
                if part
            ),
        ],
        "code": None,
        "claimed": claimant.user_id is not None,
        "claim_url": f"{settings_of(request).base_url}/{tribunal.slug}/claim",
    }
    if request.method == "POST":
        if claimant.user_id is not None:
            return render(request, "filings/paper/letter.html", context, status_code=409)
        context["code"] = paper.issue_code(claimant)
        context["expires_at"] = claimant.access_code_expires_at
        audit.record(
            db,
            "filing.access_letter_printed",
            actor_id=signed_in_user(request).id,
            actor_role=registry_role(current_roles(request)),
            tribunal_id=tribunal.id,
            subject_type="filing",
            subject_id=filing.id,
        )
        # The letter is in the case's language, whatever the clerk reads the site in.
        with use_language(filing.language):
            return render(request, "filings/paper/letter.html", context)
    return render(request, "filings/paper/letter.html", context)


tenant_routes: list[BaseRoute] = [
    tenant_page(
        "/staff/paper-filings/new",
        new_paper_filing,
        permission=Permission.REGISTRY_WORK,
        methods=["GET", "POST"],
        name="filings:paper:new",
    ),
    tenant_page(
        "/staff/cases/{filing_id:uuid}/letter",
        access_letter,
        permission=Permission.REGISTRY_WORK,
        methods=["GET", "POST"],
        name="filings:paper:letter",
    ),
]
