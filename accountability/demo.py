"""Demo data for accountability: a year and more of finished and open cases per demo tribunal,
so that its service standards have something to measure, quarter by quarter.

The cases are made as the registry's work would have left them: each submitted on a business
day, some returned for completion and resubmitted, accepted, heard (by video or telephone,
some adjourned at a party's request and heard later) and decided, a few withdrawn; the most
recent still open. Their timings are drawn from a generator seeded by the tribunal's slug, so
every `make run` makes the same history. They are filed by fictional claimants who have no
other case, so the demo accounts' own pages stay as they were.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.standards.models import ClockUnit
from accountability.standards.periods import Quarter, last_quarters
from accountability.standards.services import DefinitionValues, create_standard, standards_of
from accountability.standards.snapshots import publish_quarter
from accounts.services import ensure_user
from filings.casetypes.services import published_versions
from filings.deadlines import add_business_days, is_business_day, today_in
from filings.demo import demo_answers
from filings.journey.services import next_case_number
from filings.models import Filing, FilingStatus
from filings.seeding import LaterEvent, seed_submitted_case
from hearings.calendars.services import adjudicators_of
from hearings.models import (
    AdjournmentReason,
    Hearing,
    HearingMode,
    HearingOutcome,
    HearingStatus,
    OutcomeResult,
)
from tribunals.models import Tribunal
from tribunals.services import tribunal_by_slug

S = FilingStatus
DEMO_SLUGS = ("wcat", "lrb")
# Cases per tribunal, received over the last 15 months: enough for every quarter's cells to
# hold ten cases or more.
CASES_PER_TRIBUNAL = 130
HISTORY_DAYS = 460
HISTORY_CLAIMANTS = [
    ("olivia.martin@example.net", "Olivia Martin", "en"),
    ("liam.wilson@example.net", "Liam Wilson", "en"),
    ("chloe.bouchard@example.net", "Chloé Bouchard", "fr"),
    ("noah.singh@example.net", "Noah Singh", "en"),
    ("emma.cote@example.net", "Emma Côté", "fr"),
    ("lucas.nguyen@example.net", "Lucas Nguyen", "en"),
    ("alice.lavoie@example.net", "Alice Lavoie", "fr"),
    ("ethan.brown@example.net", "Ethan Brown", "en"),
    ("sofia.rossi@example.net", "Sofia Rossi", "en"),
    ("gabriel.roy@example.net", "Gabriel Roy", "fr"),
    ("maya.ahmed@example.net", "Maya Ahmed", "en"),
    ("felix.gauthier@example.net", "Félix Gauthier", "fr"),
]


def _at(tribunal: Tribunal, day: date, hour: int, minute: int = 0) -> datetime:
    """Return the UTC instant of a local time of day where the tribunal sits."""
    zone = ZoneInfo(tribunal.time_zone)
    return datetime.combine(day, time(hour, minute), zone).astimezone(ZoneInfo("UTC"))


def _business_day_on_or_after(day: date, province: str) -> date:
    while not is_business_day(day, province):
        day += timedelta(days=1)
    return day


class _Timeline:
    """The events of one case as they are drawn, with the status they leave it in."""

    def __init__(self, tribunal: Tribunal, today: date) -> None:
        self.tribunal = tribunal
        self.today = today
        self.events: list[LaterEvent] = []
        self.status = FilingStatus.SUBMITTED
        self.last = today

    def happens(self, day: date) -> bool:
        """Whether a day has come yet (the history stops at yesterday)."""
        return day < self.today

    def add(
        self, kind: str, day: date, status: FilingStatus, rng: random.Random, **details: object
    ) -> None:
        moment = _at(self.tribunal, day, rng.randint(9, 16), rng.choice((0, 15, 30, 45)))
        previous = self.status
        self.events.append(
            LaterEvent(
                kind, moment, details={"from": previous.value, "to": status.value, **details}
            )
        )
        self.status = status
        self.last = day


async def load_demo_history(db: AsyncSession, password: str) -> int:
    """Give each demo tribunal its history of cases, once; return how many cases were made."""
    made = 0
    claimants = [
        await ensure_user(db, email=email, name=name, password=password, language=language)
        for email, name, language in HISTORY_CLAIMANTS
    ]
    for slug in DEMO_SLUGS:
        tribunal = await tribunal_by_slug(db, slug)
        if tribunal is None:
            continue
        versions = await published_versions(db, tribunal.id)
        adjudicators = await adjudicators_of(db, tribunal)
        if not versions or not adjudicators:
            continue
        history_filer_ids = [claimant.id for claimant in claimants]
        already = await db.scalar(
            select(Filing.id).where(
                Filing.tribunal_id == tribunal.id, Filing.filer_id.in_(history_filer_ids)
            )
        )
        if already is not None:
            continue
        rng = random.Random(f"tribune-history-{slug}")  # noqa: S311 - a repeatable demo, not a secret
        today = today_in(tribunal)
        for index in range(CASES_PER_TRIBUNAL):
            # Spread evenly over the history, newest last, each on a business day.
            received_day = _business_day_on_or_after(
                today - timedelta(days=HISTORY_DAYS - index * HISTORY_DAYS // CASES_PER_TRIBUNAL),
                tribunal.province,
            )
            if received_day >= today:
                continue
            claimant = claimants[rng.randrange(len(claimants))]
            version = versions[rng.randrange(len(versions))]
            timeline = _draw(tribunal, received_day, today, rng)
            answers = demo_answers(claimant, sign_language=rng.choice(("none",) * 9 + ("asl",)))
            if rng.random() < 0.08:
                answers["accessibility"]["other_needs"] = "Extra time to read documents."
            received = _at(tribunal, received_day, rng.randint(8, 20), rng.choice((5, 20, 40)))
            filing = await seed_submitted_case(
                db,
                tribunal,
                version,
                claimant,
                answers=answers,
                received=received,
                language=claimant.language,
                number=await next_case_number(db, tribunal.id, received.year),
                status=timeline.status,
                later_events=timeline.events,
            )
            filing.status_changed_at = (
                timeline.events[-1].occurred_at if timeline.events else received
            )
            filing.touched_at = filing.status_changed_at
            _add_hearings(db, tribunal, filing, timeline, adjudicators[0].id, rng)
            made += 1
    return made


def _draw(tribunal: Tribunal, received: date, today: date, rng: random.Random) -> _Timeline:
    """Draw a case's life from its receipt up to yesterday. A case the draw leaves scheduled
    stays accepted instead, waiting for its hearing to be booked: the history books none."""
    timeline = _draw_events(tribunal, received, today, rng)
    if timeline.status is FilingStatus.SCHEDULED:
        timeline.events.pop()
        timeline.status = FilingStatus.ACCEPTED
    return timeline


def _draw_events(tribunal: Tribunal, received: date, today: date, rng: random.Random) -> _Timeline:
    province = tribunal.province
    timeline = _Timeline(tribunal, today)
    day = received
    if rng.random() < 0.2:
        day = add_business_days(day, rng.randint(1, 4), province)
        if not timeline.happens(day):
            return timeline
        timeline.add("returned", day, S.RETURNED, rng, role="clerk", reason="Missing pages.")
        day = add_business_days(day, rng.randint(2, 12), province)
        if not timeline.happens(day):
            return timeline
        timeline.add("resubmitted", day, S.SUBMITTED, rng, role="claimant")
    # The registry checks most filings within ten business days, some take longer.
    day = add_business_days(day, rng.choice((2, 3, 4, 5, 6, 7, 8, 9, 12, 15)), province)
    if rng.random() < 0.05 and timeline.happens(day):
        timeline.add("withdrawn", day, S.WITHDRAWN, rng, role="claimant")
        return timeline
    if not timeline.happens(day):
        return timeline
    timeline.add("accepted", day, S.ACCEPTED, rng, role="clerk")
    day = add_business_days(day, rng.randint(5, 15), province)
    if not timeline.happens(day):
        return timeline
    timeline.add("scheduled", day, S.SCHEDULED, rng, role="clerk")
    hearing_day = add_business_days(day, rng.randint(20, 70), province)
    if rng.random() < 0.15:
        if not timeline.happens(hearing_day):
            return timeline
        timeline.add(
            "adjourned",
            hearing_day,
            S.ACCEPTED,
            rng,
            role="adjudicator",
            reason="A party asked for another date.",
            outcome="adjourned",
            adjournment_reason=AdjournmentReason.PARTY_UNAVAILABLE.value,
        )
        day = add_business_days(hearing_day, rng.randint(3, 10), province)
        if not timeline.happens(day):
            return timeline
        timeline.add("scheduled", day, S.SCHEDULED, rng, role="clerk")
        hearing_day = add_business_days(day, rng.randint(15, 30), province)
    if not timeline.happens(hearing_day):
        return timeline
    timeline.add("heard", hearing_day, S.HEARD, rng, role="adjudicator", outcome="held")
    day = hearing_day + timedelta(days=rng.choice((7, 10, 14, 20, 21, 25, 28, 35, 45, 60)))
    day = _business_day_on_or_after(day, province)
    if rng.random() < 0.04 and timeline.happens(day):
        timeline.add("dismissed", day, S.DISMISSED, rng, role="adjudicator", reason="Abandoned.")
        return timeline
    if not timeline.happens(day):
        return timeline
    timeline.add("decided", day, S.DECIDED, rng, role="adjudicator", reason="Decision issued.")
    day = add_business_days(day, rng.randint(10, 20), province)
    if timeline.happens(day):
        timeline.add("closed", day, S.CLOSED, rng, role="clerk")
    return timeline


def _add_hearings(
    db: AsyncSession,
    tribunal: Tribunal,
    filing: Filing,
    timeline: _Timeline,
    adjudicator_id: uuid.UUID,
    rng: random.Random,
) -> None:
    """Add the hearings the case's adjourned and heard events speak of, with their outcomes."""
    mode = rng.choice((HearingMode.VIDEO, HearingMode.VIDEO, HearingMode.TELEPHONE))
    for event in timeline.events:
        if event.kind not in ("adjourned", "heard"):
            continue
        adjourned = event.kind == "adjourned"
        starts_at = event.occurred_at.replace(minute=0) - timedelta(hours=1)
        hearing = Hearing(
            id=uuid.uuid4(),
            tribunal_id=tribunal.id,
            filing_id=filing.id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            mode=mode,
            adjudicator_id=adjudicator_id,
            status=HearingStatus.ADJOURNED if adjourned else HearingStatus.HELD,
            adjournment_reason=AdjournmentReason.PARTY_UNAVAILABLE if adjourned else None,
            sequence=1 if adjourned else 0,
        )
        hearing.calendar_uid = f"hearing-{hearing.id}@tribune"
        db.add(hearing)
        db.add(
            HearingOutcome(
                tribunal_id=tribunal.id,
                hearing_id=hearing.id,
                filing_id=filing.id,
                result=OutcomeResult.ADJOURNED if adjourned else OutcomeResult.HELD,
                adjournment_reason=AdjournmentReason.PARTY_UNAVAILABLE if adjourned else None,
                next_steps="A new date will be set." if adjourned else "",
                recorded_by_id=adjudicator_id,
            )
        )


# -- the demo tribunals' service standards --------------------------------------------------


def _demo_standards(effective_from: date) -> list[tuple[str, DefinitionValues]]:
    """The standards each demo tribunal declares, in force since `effective_from`."""
    return [
        (
            "check-filings",
            DefinitionValues(
                name_en="Check a new filing",
                name_fr="Vérifier un nouveau dossier",
                description_en="We accept a complete filing, or return it to say what is "
                "missing, within 10 business days.",
                description_fr="Nous acceptons un dossier complet, ou le renvoyons en disant ce "
                "qui manque, en 10 jours ouvrables.",
                start_event="submitted",
                stop_event="accepted",
                pause_event="returned",
                resume_event="resubmitted",
                limit_days=10,
                unit=ClockUnit.BUSINESS_DAYS,
                target_percent=80,
                effective_from=effective_from,
            ),
        ),
        (
            "hold-hearings",
            DefinitionValues(
                name_en="Hold the hearing",
                name_fr="Tenir l’audience",
                description_en="We hold the hearing within 90 days of accepting the case.",
                description_fr="Nous tenons l’audience dans les 90 jours suivant l’acceptation "
                "du dossier.",
                start_event="accepted",
                stop_event="heard",
                pause_event="party_adjournment",
                resume_event="scheduled",
                limit_days=90,
                unit=ClockUnit.CALENDAR_DAYS,
                target_percent=80,
                effective_from=effective_from,
            ),
        ),
        (
            "issue-decisions",
            DefinitionValues(
                name_en="Issue the decision",
                name_fr="Rendre la décision",
                description_en="We issue a written decision within 30 days of the hearing.",
                description_fr="Nous rendons une décision écrite dans les 30 jours suivant "
                "l’audience.",
                start_event="heard",
                stop_event="decided",
                limit_days=30,
                unit=ClockUnit.CALENDAR_DAYS,
                target_percent=80,
                effective_from=effective_from,
            ),
        ),
    ]


async def load_demo_standards(db: AsyncSession) -> int:
    """Give each demo tribunal its service standards, in force since the quarter its history
    starts in, and publish the figures of the last four quarters that have ended; once.
    Return how many standards were made."""
    made = 0
    for slug in DEMO_SLUGS:
        tribunal = await tribunal_by_slug(db, slug)
        if tribunal is None or await standards_of(db, tribunal):
            continue
        today = today_in(tribunal)
        since = Quarter.containing(today - timedelta(days=HISTORY_DAYS)).first_day
        for code, values in _demo_standards(since):
            await create_standard(db, tribunal, code, values, user=None)
            made += 1
        await db.flush()
        for quarter in last_quarters(today):
            await publish_quarter(db, tribunal, quarter, user=None)
    return made
