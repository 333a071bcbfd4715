"""Notices of hearing on the case pages: the printable notice and the calendar file for the
case's parties; for the registry, each participant's latest notice, their printable notice
(in their language) and resending it."""

from __future__ import annotations

import re
from dataclasses import replace

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from filings import access, cases, lifecycle
from filings.access import Actor
from filings.models import Filing
from filings.sections import CasePage, CaseSection, SectionContext, provides
from hearings.models import Hearing, HearingStatus
from hearings.notices import services
from hearings.notices.services import Participant, ResendRefused
from hearings.times import span
from tribunals.models import Tribunal
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune import i18n
from tribune.forms import Form
from tribune.web import db_of, outbox_of, redirect, render, url_path

REGISTRY_ACTORS = frozenset({Actor.CLERK, Actor.ADMIN})
# At most this many of a case's hearings are listed on its pages, the latest first.
HEARINGS_LISTED = 5

# -- the parties' pages -----------------------------------------------------------------------


async def _party_hearing(request: Request) -> tuple[Tribunal, Filing, Hearing, Participant]:
    """Return the case, the hearing and the participant the signed-in party reads it as; a 404
    for anyone who is not a party (or authorised representative) of the case."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    found = await cases.find_case(db, tribunal.id, request.path_params["filing_id"])
    if found is None:
        raise HTTPException(status_code=404)
    filing = found[0]
    parties = await lifecycle.parties_of(db, filing)
    actors = access.actors_for(filing, user, set(), parties) & access.PARTY_ACTORS
    if not actors:
        raise HTTPException(status_code=404)
    hearing = await services.hearing_of(db, tribunal, filing, request.path_params["hearing_id"])
    if hearing is None:
        raise HTTPException(status_code=404)
    participants = await services.participants_of(db, tribunal, filing, hearing)
    participant = services.party_participant(participants, parties, user)
    # Read online, the notice is in the language the party reads the site in.
    participant = replace(participant, language=i18n.get_language())
    capacity = access.acting_capacity(actors)
    cases.record_view(db, filing, reader=user, role=capacity.value if capacity else None)
    return tribunal, filing, hearing, participant


async def _notice_page(
    request: Request,
    tribunal: Tribunal,
    filing: Filing,
    hearing: Hearing,
    participant: Participant,
    *,
    staff: bool,
) -> Response:
    facts = await services.facts_of(db_of(request), tribunal, filing, hearing)
    with i18n.use_language(participant.language):
        notice = services.notice_for(
            outbox_of(request),
            facts,
            participant,
            services.kind_of(hearing).value,
            reason=hearing.status_reason if hearing.status is not HearingStatus.SCHEDULED else "",
        )
        # TemplateResponse renders at once: the whole page is in the recipient's language.
        return render(
            request,
            "hearings/notices/notice.html",
            {
                "filing": filing,
                "hearing": hearing,
                "notice": notice,
                "participant": participant,
                "staff": staff,
            },
        )


async def notice(request: Request) -> Response:
    tribunal, filing, hearing, participant = await _party_hearing(request)
    return await _notice_page(request, tribunal, filing, hearing, participant, staff=False)


def _filename(filing: Filing) -> str:
    reference = re.sub(r"[^A-Za-z0-9-]", "", filing.reference or "") or "case"
    return f"hearing-{reference}.ics"


async def invite(request: Request) -> Response:
    """The hearing's calendar file as it stands: a request, or a cancellation."""
    tribunal, filing, hearing, participant = await _party_hearing(request)
    facts = await services.facts_of(db_of(request), tribunal, filing, hearing)
    calendar = services.calendar_file(outbox_of(request), facts, participant)
    return Response(
        calendar.encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(filing)}"',
            "Cache-Control": "no-store",
        },
    )


# -- the registry's pages ---------------------------------------------------------------------


async def _staff_hearing(request: Request) -> tuple[Tribunal, Filing, Hearing]:
    tribunal = current_tribunal(request)
    db = db_of(request)
    found = await cases.find_case(db, tribunal.id, request.path_params["filing_id"])
    if found is None:
        raise HTTPException(status_code=404)
    filing = found[0]
    hearing = await services.hearing_of(db, tribunal, filing, request.path_params["hearing_id"])
    if hearing is None:
        raise HTTPException(status_code=404)
    return tribunal, filing, hearing


def _may_resend(request: Request) -> bool:
    return bool(current_roles(request) & access.REGISTRY_ROLES)


async def _notices_page(
    request: Request,
    tribunal: Tribunal,
    filing: Filing,
    hearing: Hearing,
    *,
    form: Form | None = None,
    status_code: int = 200,
) -> Response:
    rows = await services.recipient_rows(db_of(request), tribunal, filing, hearing)
    return render(
        request,
        "hearings/notices/notices.html",
        {
            "filing": filing,
            "hearing": hearing,
            "rows": rows,
            "recipient_items": [
                (row.participant.key, f"{row.participant.name} ({row.participant.role_label})", {})
                for row in rows
                if row.participant.email
            ],
            "form": form or Form(),
            "may_resend": _may_resend(request),
            "row_buttons": False,
            "resent": request.query_params.get("resent") == "1",
            "when": _when(tribunal, hearing),
            "status_labels": _status_labels(),
        },
        status_code=status_code,
    )


def _when(tribunal: Tribunal, hearing: Hearing) -> str:
    return span(hearing.starts_at, hearing.ends_at, tribunal.time_zone)


def _status_labels() -> dict[str, str]:
    return {
        HearingStatus.SCHEDULED.value: i18n.gettext("Scheduled"),
        HearingStatus.HELD.value: i18n.gettext("Held"),
        HearingStatus.ADJOURNED.value: i18n.gettext("Adjourned"),
        HearingStatus.CANCELLED.value: i18n.gettext("Cancelled"),
    }


async def staff_notices(request: Request) -> Response:
    tribunal, filing, hearing = await _staff_hearing(request)
    return await _notices_page(request, tribunal, filing, hearing)


async def staff_notice(request: Request) -> Response:
    """The printable notice of one participant (``?recipient=``), in their language."""
    tribunal, filing, hearing = await _staff_hearing(request)
    key = request.query_params.get("recipient", "")
    participants = await services.participants_of(db_of(request), tribunal, filing, hearing)
    participant = next((p for p in participants if p.key == key), None)
    if participant is None:
        raise HTTPException(status_code=404)
    return await _notice_page(request, tribunal, filing, hearing, participant, staff=True)


async def resend(request: Request) -> Response:
    tribunal, filing, hearing = await _staff_hearing(request)
    form = Form(await request.form())
    key = form.value("recipient").strip()
    roles = current_roles(request)
    try:
        await services.resend_notice(
            db_of(request),
            outbox_of(request),
            tribunal,
            filing,
            hearing,
            key,
            actor=signed_in_user(request),
            actor_role=access.registry_role(roles),
        )
    except ResendRefused as refused:
        form.add_error("recipient", str(refused))
        return await _notices_page(request, tribunal, filing, hearing, form=form, status_code=422)
    return redirect(
        url_path(
            request,
            "hearings:notices:staff_notices",
            tribunal=tribunal.slug,
            filing_id=filing.id,
            hearing_id=hearing.id,
        )
        + "?resent=1"
    )


@provides(CasePage.STAFF, order=30)
async def staff_section(context: SectionContext) -> CaseSection | None:
    """Each hearing's participants with the last notice or reminder sent to them."""
    request = context.request
    tribunal = current_tribunal(request)
    db = db_of(request)
    hearings = (await services.hearings_of(db, tribunal, context.filing))[:HEARINGS_LISTED]
    if not hearings:
        return None
    listed = [
        (
            hearing,
            _when(tribunal, hearing),
            await services.recipient_rows(db, tribunal, context.filing, hearing),
        )
        for hearing in hearings
    ]
    return CaseSection(
        "hearings/notices/section_staff.html",
        {
            "hearings": listed,
            "filing": context.filing,
            "may_resend": bool(context.actors & REGISTRY_ACTORS),
            "status_labels": _status_labels(),
        },
    )


_CASE = "/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}"
_STAFF_CASE = "/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}"

tenant_routes: list[BaseRoute] = [
    TenantRoute(
        _CASE + "/notice",
        notice,
        permission=Permission.SIGNED_IN,
        name="hearings:notices:notice",
    ),
    TenantRoute(
        _CASE + "/invite.ics",
        invite,
        permission=Permission.SIGNED_IN,
        name="hearings:notices:invite",
    ),
    TenantRoute(
        _STAFF_CASE + "/notices",
        staff_notices,
        permission=Permission.DOCKET_VIEW,
        name="hearings:notices:staff_notices",
    ),
    TenantRoute(
        _STAFF_CASE + "/notice",
        staff_notice,
        permission=Permission.DOCKET_VIEW,
        name="hearings:notices:staff_notice",
    ),
    TenantRoute(
        _STAFF_CASE + "/resend",
        resend,
        permission=Permission.REGISTRY_WORK,
        methods=["POST"],
        name="hearings:notices:resend",
    ),
]
