"""The hearing section of the staff case page: the scheduled hearing (when, how, who, where)
with the registry's links to move, adjourn or cancel it, or a button to schedule one for an
accepted case; and the earlier hearings, adjourned or cancelled, with their reasons."""

from __future__ import annotations

from accounts.middleware import signed_in_user
from filings.access import Actor
from filings.models import FilingStatus
from filings.sections import CasePage, CaseSection, SectionContext, provides
from hearings import times
from hearings.models import AdjournmentReason, HearingMode, HearingStatus
from hearings.scheduling import services
from hearings.scheduling.forms import MODE_LABELS, adjournment_reasons
from tribunals.tenancy import current_tribunal
from tribune.i18n import lazy_gettext
from tribune.languages import language_name
from tribune.web import db_of

REGISTRY = frozenset({Actor.CLERK, Actor.ADMIN})

# The confirmation shown after a change, named in the address the change redirects to.
DONE = {
    "booked": lazy_gettext("The hearing is booked."),
    "rescheduled": lazy_gettext("The hearing is moved."),
    "adjourned": lazy_gettext("The hearing is adjourned. The case can be scheduled again."),
    "cancelled": lazy_gettext("The hearing is cancelled. The case can be scheduled again."),
}


@provides(CasePage.STAFF, order=10)
async def hearing_section(context: SectionContext) -> CaseSection | None:
    """Return the case's hearings as the registry and its adjudicators see them (one query)."""
    request = context.request
    filing = context.filing
    if not filing.status.is_case:
        return None
    tribunal = current_tribunal(request)
    views = await services.hearings_of_case(db_of(request), tribunal, filing)
    registry = bool(context.actors & REGISTRY)
    if not views and not (registry and filing.status is FilingStatus.ACCEPTED):
        return None
    reader_zone = signed_in_user(request).time_zone
    scheduled = next(
        (view for view in views if view.hearing.status is HearingStatus.SCHEDULED), None
    )
    earlier = [view for view in views if view is not scheduled]
    return CaseSection(
        "hearings/scheduling/section.html",
        {
            "scheduled": scheduled,
            "earlier": earlier,
            "times": {
                view.hearing.id: times.for_reader(
                    view.hearing.starts_at, view.hearing.ends_at, tribunal.time_zone, reader_zone
                )
                for view in views
            },
            "may_schedule": registry and filing.status is FilingStatus.ACCEPTED,
            "may_change": registry and filing.status is FilingStatus.SCHEDULED,
            # The video hearing's page is for the registry and the hearing's adjudicator.
            "hearing_page": scheduled is not None
            and scheduled.hearing.mode is HearingMode.VIDEO
            and (registry or scheduled.hearing.adjudicator_id == signed_in_user(request).id),
            "done": DONE.get(request.query_params.get("hearing", "")),
            "mode_names": MODE_LABELS,
            "adjournment_labels": dict[AdjournmentReason, str](adjournment_reasons()),
            "language_name": language_name,
        },
    )
