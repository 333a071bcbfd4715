"""The self-test page of a video hearing, for each of its participants (and for the registry,
who may look at it to help someone but records nothing): test the camera, microphone and sound
in the browser, then say how it went. The page allows the camera and microphone in its own
Permissions-Policy; every other page keeps them off."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from accounts.middleware import signed_in_user
from hearings.calendars import services as calendars
from hearings.models import HearingSelfTest
from hearings.room import services as room
from hearings.selftest import services
from hearings.selftest.forms import (
    outcome_of,
    reason_names,
    refusal_message,
    result_names,
    self_test_form,
)
from hearings.views.services import dial_in_for
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune import i18n
from tribune.db import utcnow
from tribune.forms import Form
from tribune.web import db_of, redirect, render, url_path

# The page uses the camera and microphone; nothing else may ask for them, nor for a location.
PERMISSIONS_POLICY = "camera=(self), microphone=(self), geolocation=()"


async def _attendee(request: Request) -> room.Attendee:
    """Return the signed-in person as they stand on the hearing; 404 if it is not theirs."""
    attendee = await room.attendee_of(
        db_of(request),
        current_tribunal(request),
        request.path_params["hearing_id"],
        signed_in_user(request),
        current_roles(request),
    )
    if attendee is None:
        raise HTTPException(status_code=404)
    return attendee


async def _page(
    request: Request,
    attendee: room.Attendee,
    *,
    form: Form | None = None,
    refused: str = "",
    status_code: int = 200,
) -> Response:
    db = db_of(request)
    tribunal = current_tribunal(request)
    hearing = attendee.hearing
    slug = tribunal.slug
    last: HearingSelfTest | None = None
    if attendee.key is not None:
        last = await services.self_test_of(db, hearing, attendee.key)
    settings = await calendars.settings_of(db, tribunal)
    refusal = services.refusal_of(hearing, utcnow())
    values = {"tribunal": slug, "hearing_id": hearing.id}
    response = render(
        request,
        "hearings/selftest/page.html",
        {
            "attendee": attendee,
            "hearing": hearing,
            "filing": attendee.filing,
            "form": form or self_test_form(),
            "results": [(value, text, {}) for value, text in result_names().items()],
            "reasons": list(reason_names().items()),
            "last": last,
            "last_outcome": outcome_of(last) if last else "",
            "closed": refusal_message(refusal) if refusal else "",
            "refused": refused,
            "dial_in": dial_in_for(settings, i18n.get_language()),
            "help_phone": tribunal.contact_phone.strip(),
            "urls": {
                "page": url_path(request, "hearings:selftest:page", **values),
                "record": url_path(request, "hearings:selftest:record", **values),
                "hearing": url_path(request, "hearings:room:hearing", **values),
            },
        },
        status_code=status_code,
    )
    response.headers["Permissions-Policy"] = PERMISSIONS_POLICY
    return response


async def page(request: Request) -> Response:
    return await _page(request, await _attendee(request))


async def record(request: Request) -> Response:
    """Record the participant's answer; a bad answer is a 400 page with its errors, a hearing
    that is over a 409 page (nothing recorded either way)."""
    attendee = await _attendee(request)
    if attendee.key is None:  # the registry supports the hearing, it has nothing to test
        raise HTTPException(status_code=404)
    form = self_test_form(await request.form())
    if not form.is_valid:
        return await _page(request, attendee, form=form, status_code=400)
    try:
        await services.record_self_test(
            db_of(request),
            attendee.hearing,
            key=attendee.key,
            role=attendee.role,
            user=signed_in_user(request),
            result=form.cleaned["result"],
            reason=form.cleaned["reason"],
            now=utcnow(),
        )
    except services.SelfTestRefused as refusal:
        return await _page(
            request, attendee, refused=refusal_message(refusal.reason), status_code=409
        )
    return redirect(
        url_path(
            request,
            "hearings:selftest:page",
            tribunal=current_tribunal(request).slug,
            hearing_id=attendee.hearing.id,
        )
        + "#self-test-result"
    )


tenant_routes: list[BaseRoute] = [
    TenantRoute(
        "/hearings/{hearing_id:uuid}/self-test",
        page,
        permission=Permission.SIGNED_IN,
        name="hearings:selftest:page",
    ),
    TenantRoute(
        "/hearings/{hearing_id:uuid}/self-test",
        record,
        permission=Permission.SIGNED_IN,
        methods=["POST"],
        name="hearings:selftest:record",
    ),
]
