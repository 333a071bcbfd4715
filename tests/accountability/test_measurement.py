"""Measuring service standards from case events, against cases worked out by hand.

The tribunal sits in Toronto (Ontario's holidays). Fiscal year 2026 runs from 1 April 2026 to
31 March 2027; its first quarter ends at midnight, Toronto time, between 30 June and 1 July
2026 (04:00 UTC). Holidays used: Good Friday (3 April 2026), Victoria Day (18 May 2026),
Canada Day (1 July 2026), Thanksgiving (12 October 2026), Family Day (16 February 2026).
Business days are counted after the start day, up to and including the stop day.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.standards import measurement, services
from accountability.standards.measurement import Figures, StandardFigures
from accountability.standards.models import ClockUnit, ServiceStandard
from accountability.standards.periods import Quarter
from filings.models import Filing
from hearings.models import HearingMode, HearingStatus
from tests.accountability.factories import (
    local,
    make_hearing,
    make_standard,
    make_standards_tribunal,
    make_timeline_case,
    values,
)
from tests.factories.filings import make_case_type
from tests.factories.tribunals import make_staff
from tribunals.models import Role, Tribunal

Q1 = Quarter(2026, 1)  # April to June 2026
AFTER_Q1 = local(2026, 8, 3)


async def q1(db: AsyncSession, tribunal: Tribunal, standard: ServiceStandard) -> StandardFigures:
    figures = await measurement.measure_quarter(db, tribunal, standard, Q1, now=AFTER_Q1)
    assert figures is not None
    return figures


def counts(figures: Figures) -> tuple[int, int, int, int, int]:
    """met, missed, open past the limit, open within it, excluded."""
    return (
        figures.met,
        figures.missed,
        figures.open_past_limit,
        figures.open_within_limit,
        figures.excluded,
    )


async def test_a_case_stopped_within_the_limit_meets_it_and_past_it_misses_it(
    db: AsyncSession,
) -> None:
    tribunal = await make_standards_tribunal(db)
    made = await make_standard(db, tribunal)  # submitted → accepted, 5 business days, 80 %
    # Monday 6 April to Friday 10 April: 4 business days.
    await make_timeline_case(
        db, tribunal, local(2026, 4, 6, 10), [("accepted", local(2026, 4, 10))]
    )
    # Monday 13 to Monday 20: 5, exactly the limit.
    await make_timeline_case(
        db, tribunal, local(2026, 4, 13, 9), [("accepted", local(2026, 4, 20))]
    )
    # Monday 13 to Tuesday 21: 6.
    await make_timeline_case(
        db, tribunal, local(2026, 4, 13, 9), [("accepted", local(2026, 4, 21))]
    )

    figures = await q1(db, tribunal, made.standard)

    assert counts(figures.totals) == (2, 1, 0, 0, 0)
    assert figures.totals.stopped == 3
    assert figures.totals.share_met == pytest.approx(2 / 3)
    assert figures.target_met is False  # 66.7 % < 80 %
    # Nearest rank of 4, 5, 6: the median is the 2nd, the 90th percentile the 3rd.
    assert (figures.totals.median_days, figures.totals.p90_days) == (5, 6)
    assert figures.definition.version_id == made.version.id
    assert (figures.first_day, figures.end_day) == (date(2026, 4, 1), date(2026, 7, 1))
    assert figures.as_of == local(2026, 7, 1, 0)


async def test_business_days_leave_out_weekends_and_the_provinces_holidays(
    db: AsyncSession,
) -> None:
    tribunal = await make_standards_tribunal(db)
    business = await make_standard(db, tribunal, effective_from=date(2026, 1, 1))
    calendar = await make_standard(
        db, tribunal, effective_from=date(2026, 1, 1), unit=ClockUnit.CALENDAR_DAYS
    )
    # Thursday 2 April to Friday 10 April 2026: Good Friday and a weekend fall between, so
    # 5 business days (6 without the holiday) but 8 calendar days.
    await make_timeline_case(
        db, tribunal, local(2026, 4, 2, 10), [("accepted", local(2026, 4, 10))]
    )
    # Thursday 12 to Friday 20 February 2026, across Family Day (Monday 16): 5 business days.
    await make_timeline_case(
        db, tribunal, local(2026, 2, 12, 10), [("accepted", local(2026, 2, 20))]
    )

    assert counts((await q1(db, tribunal, business.standard)).totals) == (1, 0, 0, 0, 0)
    assert (await q1(db, tribunal, business.standard)).totals.median_days == 5
    in_calendar_days = await q1(db, tribunal, calendar.standard)
    assert counts(in_calendar_days.totals) == (0, 1, 0, 0, 0)
    assert in_calendar_days.totals.median_days == 8

    winter = Quarter(2025, 4)  # January to March 2026
    february = await measurement.measure_quarter(
        db, tribunal, business.standard, winter, now=AFTER_Q1
    )
    assert february is not None
    assert (counts(february.totals), february.totals.median_days) == ((1, 0, 0, 0, 0), 5)
    february_days = await measurement.measure_quarter(
        db, tribunal, calendar.standard, winter, now=AFTER_Q1
    )
    assert february_days is not None
    assert february_days.totals.median_days == 8


async def test_time_returned_to_the_claimant_is_not_counted(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    paused = await make_standard(db, tribunal, pause_event="returned", resume_event="resubmitted")
    plain = await make_standard(db, tribunal)
    # Submitted Monday 4 May, returned Tuesday 5, resubmitted Monday 11, accepted Wednesday
    # 13: 7 business days, of which 4 (6, 7, 8, 11 May) with the claimant: 3 counted.
    await make_timeline_case(
        db,
        tribunal,
        local(2026, 5, 4, 10),
        [
            ("returned", local(2026, 5, 5)),
            ("resubmitted", local(2026, 5, 11)),
            ("accepted", local(2026, 5, 13)),
        ],
    )
    # Returned twice: 4 → 14 May is 8 business days, less 2 (4 → 6 May) and 3 (7 → 12 May).
    await make_timeline_case(
        db,
        tribunal,
        local(2026, 5, 4, 9),
        [
            ("returned", local(2026, 5, 4, 15)),
            ("resubmitted", local(2026, 5, 6)),
            ("returned", local(2026, 5, 7)),
            ("resubmitted", local(2026, 5, 12)),
            ("accepted", local(2026, 5, 14)),
        ],
    )
    # Returned on Wednesday 24 June and still with the claimant at the quarter's end: the
    # clock ran 2 business days (23, 24 June), then stopped.
    await make_timeline_case(
        db, tribunal, local(2026, 6, 22, 10), [("returned", local(2026, 6, 24))]
    )

    with_pauses = await q1(db, tribunal, paused.standard)
    assert counts(with_pauses.totals) == (2, 0, 0, 1, 0)
    assert (with_pauses.totals.median_days, with_pauses.totals.p90_days) == (3, 3)
    without = await q1(db, tribunal, plain.standard)
    assert counts(without.totals) == (0, 2, 1, 0, 0)
    assert (without.totals.median_days, without.totals.p90_days) == (7, 8)


async def test_time_adjourned_at_a_partys_request_is_not_counted(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    made = await make_standard(
        db,
        tribunal,
        start_event="accepted",
        stop_event="heard",
        pause_event="party_adjournment",
        resume_event="scheduled",
        unit=ClockUnit.CALENDAR_DAYS,
        limit_days=30,
    )

    async def adjourned_case(reason: str) -> None:
        # Accepted 1 April, heard 20 May: 49 days, of which 20 (20 April → 10 May) adjourned.
        await make_timeline_case(
            db,
            tribunal,
            local(2026, 3, 20),
            [
                ("accepted", local(2026, 4, 1)),
                ("scheduled", local(2026, 4, 10)),
                ("adjourned", local(2026, 4, 20), {"adjournment_reason": reason}),
                ("scheduled", local(2026, 5, 10)),
                ("heard", local(2026, 5, 20)),
            ],
        )

    await adjourned_case("party_unavailable")  # 29 days: met
    await adjourned_case("adjudicator_unavailable")  # the tribunal's doing: 49 days, missed

    figures = await q1(db, tribunal, made.standard)
    assert counts(figures.totals) == (1, 1, 0, 0, 0)
    assert (figures.totals.median_days, figures.totals.p90_days) == (29, 49)


async def test_open_cases_are_counted_past_the_limit_or_within_it(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    made = await make_standard(db, tribunal)
    # Submitted Monday 1 June, never accepted: 21 business days by the quarter's end.
    await make_timeline_case(db, tribunal, local(2026, 6, 1, 10))
    # Submitted Thursday 25 June (26, 29, 30 June: 3), accepted on Friday 3 July, in the
    # next quarter: open within the limit at the end of this one.
    late = await make_timeline_case(
        db, tribunal, local(2026, 6, 25, 10), [("accepted", local(2026, 7, 3))]
    )
    # Submitted Tuesday 30 June: nothing elapsed by the end of the quarter (1 July is Canada
    # Day).
    await make_timeline_case(db, tribunal, local(2026, 6, 30, 10))

    figures = await q1(db, tribunal, made.standard)
    assert counts(figures.totals) == (0, 0, 1, 2, 0)
    assert figures.totals.share_met is None  # no clock stopped
    assert figures.totals.median_days is None
    assert figures.target_met is None

    # In the second quarter the late case stopped: 26, 29, 30 June, 2, 3 July is 5: met.
    q2 = await measurement.measure_quarter(
        db, tribunal, made.standard, Quarter(2026, 2), now=local(2026, 10, 5)
    )
    assert q2 is not None
    assert counts(q2.totals) == (1, 0, 2, 0, 0)
    assert q2.totals.median_days == 5
    assert late.reference

    # Measured during the quarter, the cases are open as of now: Wednesday 10 June, 9:00.
    running = await measurement.measure_quarter(
        db, tribunal, made.standard, Q1, now=local(2026, 6, 10, 9)
    )
    assert running is not None
    assert running.as_of == local(2026, 6, 10, 9)
    assert counts(running.totals) == (0, 0, 1, 0, 0)  # 2 → 10 June: 7 business days


async def test_a_withdrawn_or_dismissed_case_is_excluded_not_open(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    made = await make_standard(db, tribunal)
    await make_timeline_case(
        db, tribunal, local(2026, 6, 2, 10), [("withdrawn", local(2026, 6, 5))]
    )
    await make_timeline_case(
        db, tribunal, local(2026, 5, 1, 10), [("dismissed", local(2026, 6, 20))]
    )
    # Accepted first (met), then dismissed: counted as met, not excluded.
    await make_timeline_case(
        db,
        tribunal,
        local(2026, 6, 2, 10),
        [("accepted", local(2026, 6, 4)), ("dismissed", local(2026, 6, 10))],
    )
    # Withdrawn before the quarter: not counted in it at all.
    await make_timeline_case(
        db, tribunal, local(2026, 3, 2, 10), [("withdrawn", local(2026, 3, 20))]
    )

    figures = await q1(db, tribunal, made.standard)
    assert counts(figures.totals) == (1, 0, 0, 0, 2)
    assert figures.totals.share_met == 1.0


async def test_a_standard_for_one_kind_of_case_counts_only_those(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    appeals = await make_case_type(db, tribunal, code="appeal")
    licences = await make_case_type(db, tribunal, code="licence")
    made = await make_standard(db, tribunal, case_type_code="appeal")
    everything = await make_standard(db, tribunal)
    await make_timeline_case(
        db, tribunal, local(2026, 4, 6, 10), [("accepted", local(2026, 4, 8))], version=appeals
    )
    await make_timeline_case(
        db, tribunal, local(2026, 4, 6, 10), [("accepted", local(2026, 4, 30))], version=licences
    )
    await make_timeline_case(db, tribunal, local(2026, 6, 1, 10), version=licences)

    assert counts((await q1(db, tribunal, made.standard)).totals) == (1, 0, 0, 0, 0)
    assert counts((await q1(db, tribunal, everything.standard)).totals) == (1, 1, 1, 0, 0)


async def test_a_quarter_ends_at_the_tribunals_midnight_not_utcs(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    made = await make_standard(db, tribunal, effective_from=date(2026, 1, 1))
    # Accepted at 22:30 on 30 June in Toronto: 02:30 on 1 July in UTC. It counts in the first
    # quarter (23 → 30 June: 5 business days), not the second.
    evening = local(2026, 6, 30, 22, 30)
    assert evening.utcoffset() is not None
    await make_timeline_case(db, tribunal, local(2026, 6, 23, 10), [("accepted", evening)])
    # Accepted at 23:30 on 31 March (03:30 UTC on 1 April): the previous quarter's.
    await make_timeline_case(
        db, tribunal, local(2026, 3, 30, 10), [("accepted", local(2026, 3, 31, 23, 30))]
    )
    # Accepted at 00:30 on 1 April (04:30 UTC): this quarter's.
    await make_timeline_case(
        db, tribunal, local(2026, 3, 30, 10), [("accepted", local(2026, 4, 1, 0, 30))]
    )

    first = await q1(db, tribunal, made.standard)
    assert counts(first.totals) == (2, 0, 0, 0, 0)
    assert (first.totals.median_days, first.totals.p90_days) == (2, 5)
    second = await measurement.measure_quarter(
        db, tribunal, made.standard, Quarter(2026, 2), now=local(2026, 10, 5)
    )
    assert second is not None
    assert counts(second.totals) == (0, 0, 0, 0, 0)
    previous = await measurement.measure_quarter(
        db, tribunal, made.standard, Quarter(2025, 4), now=AFTER_Q1
    )
    assert previous is not None
    # ... where the case accepted after midnight was still open, within the limit.
    assert counts(previous.totals) == (1, 0, 0, 1, 0)


async def test_each_quarter_is_measured_with_the_definition_in_force_on_its_first_day(
    db: AsyncSession,
) -> None:
    tribunal = await make_standards_tribunal(db)
    made = await make_standard(db, tribunal)  # 5 business days from 1 April 2026
    await services.add_version(
        db,
        tribunal,
        made.standard,
        values(limit_days=10, effective_from=date(2026, 10, 1), note="Hearings take longer."),
        user=None,
    )
    # First quarter: Monday 13 → Wednesday 22 April is 7 business days: missed (limit 5).
    await make_timeline_case(
        db, tribunal, local(2026, 4, 13, 9), [("accepted", local(2026, 4, 22))]
    )
    # Third quarter: Monday 5 → Friday 16 October, Thanksgiving aside, is 8: met (limit 10).
    await make_timeline_case(
        db, tribunal, local(2026, 10, 5, 9), [("accepted", local(2026, 10, 16))]
    )
    # Submitted 1 December and still open: open at the end of the third quarter and now.
    await make_timeline_case(db, tribunal, local(2026, 12, 1, 9))
    now = local(2027, 1, 15)

    year = await measurement.measure_year(db, tribunal, made.standard, 2026, now=now)

    assert year is not None
    limits = {quarter.number: figures.definition.limit_days for quarter, figures in year.quarters}
    assert limits == {1: 5, 2: 5, 3: 10, 4: 10}
    by_quarter = {quarter.number: counts(figures.totals) for quarter, figures in year.quarters}
    # The December case: 20 business days by 1 January (Christmas and Boxing Day observed
    # aside), past the limit of 10 at the end of the third quarter and now.
    assert by_quarter == {
        1: (0, 1, 0, 0, 0),
        2: (0, 0, 0, 0, 0),
        3: (1, 0, 1, 0, 0),
        4: (0, 0, 1, 0, 0),
    }
    # The year: stopped cases summed, the open case counted once (as of now), the median and
    # 90th percentile over the year's stopped cases (7 and 8).
    assert counts(year.totals) == (1, 1, 1, 0, 0)
    assert (year.totals.median_days, year.totals.p90_days) == (7, 8)
    assert year.as_of == now


async def test_the_median_and_90th_percentile_are_by_the_nearest_rank(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    made = await make_standard(
        db, tribunal, unit=ClockUnit.CALENDAR_DAYS, limit_days=10, target_percent=60
    )
    elapsed = [55, 1, 2, 34, 2, 3, 21, 5, 8, 13]
    for days in elapsed:
        start = local(2026, 4, 1, 9)
        await make_timeline_case(db, tribunal, start, [("accepted", start + timedelta(days=days))])

    figures = await q1(db, tribunal, made.standard)
    # Sorted: 1 2 2 3 5 8 13 21 34 55. Median: rank ⌈0.5 × 10⌉ = 5 → 5; 90th: rank 9 → 34.
    assert (figures.totals.median_days, figures.totals.p90_days) == (5, 34)
    assert counts(figures.totals) == (6, 4, 0, 0, 0)
    assert figures.totals.share_met == pytest.approx(0.6)
    assert figures.target_met is True


async def test_the_figures_are_broken_down_by_language_hearing_mode_and_accommodation(
    db: AsyncSession,
) -> None:
    tribunal = await make_standards_tribunal(db)
    adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR)
    made = await make_standard(
        db,
        tribunal,
        start_event="accepted",
        stop_event="decided",
        unit=ClockUnit.CALENDAR_DAYS,
        limit_days=30,
    )
    accepted = local(2026, 4, 1, 9)
    no_needs = {"needs_interpreter": False, "sign_language": "none", "other_needs": ""}

    # English, by video, nothing asked for: decided in 20 days (met).
    english = await make_timeline_case(
        db,
        tribunal,
        local(2026, 3, 25),
        [("accepted", accepted), ("decided", local(2026, 4, 21, 9))],
        accessibility=no_needs,
    )
    await make_hearing(db, english, adjudicator, local(2026, 4, 15, 10), HearingMode.VIDEO)
    # French, with an interpreter: first by video (adjourned), then by telephone; a later
    # hearing was cancelled. Decided in 40 days (missed).
    french = await make_timeline_case(
        db,
        tribunal,
        local(2026, 3, 25),
        [("accepted", accepted), ("decided", local(2026, 5, 11, 9))],
        language="fr",
        accessibility=no_needs | {"needs_interpreter": True, "interpreter_language": "es"},
    )
    await make_hearing(
        db, french, adjudicator, local(2026, 4, 10, 10), HearingMode.VIDEO, HearingStatus.ADJOURNED
    )
    await make_hearing(db, french, adjudicator, local(2026, 5, 1, 10), HearingMode.TELEPHONE)
    await make_hearing(
        db, french, adjudicator, local(2026, 6, 1, 10), HearingMode.VIDEO, HearingStatus.CANCELLED
    )
    # English, asking for ASL, no hearing yet: open past the limit at the quarter's end.
    await make_timeline_case(
        db,
        tribunal,
        local(2026, 3, 25),
        [("accepted", accepted)],
        accessibility=no_needs | {"sign_language": "asl"},
    )
    # English, asking only for another accommodation: decided in 10 days (met), no hearing.
    await make_timeline_case(
        db,
        tribunal,
        local(2026, 3, 25),
        [("accepted", accepted), ("decided", local(2026, 4, 11, 9))],
        accessibility=no_needs | {"other_needs": "  Wheelchair access  "},
    )

    figures = await q1(db, tribunal, made.standard)
    assert counts(figures.totals) == (2, 1, 1, 0, 0)

    def group(dimension: str) -> dict[str, tuple[int, int, int, int, int]]:
        return {item.value: counts(item.figures) for item in figures.breakdown(dimension)}

    assert group("language") == {"en": (2, 0, 1, 0, 0), "fr": (0, 1, 0, 0, 0)}
    assert group("hearing_mode") == {
        "video": (1, 0, 0, 0, 0),
        "telephone": (0, 1, 0, 0, 0),
        "in_person": (0, 0, 0, 0, 0),
        "none": (1, 0, 1, 0, 0),
    }
    assert group("accommodation") == {"yes": (1, 1, 1, 0, 0), "no": (1, 0, 0, 0, 0)}
    shares = {item.value: item.figures.share_met for item in figures.breakdown("language")}
    assert shares == {"en": 1.0, "fr": 0.0}
    # The median and 90th percentile are the totals' (10, 20, 40 days), not the groups'.
    assert (figures.totals.median_days, figures.totals.p90_days) == (20, 40)
    assert {item.figures.median_days for item in figures.breakdowns} == {None}


async def test_the_cases_at_risk_are_listed_most_overdue_first_by_pages(
    db: AsyncSession,
) -> None:
    tribunal = await make_standards_tribunal(db)
    made = await make_standard(db, tribunal, pause_event="returned", resume_event="resubmitted")
    now = local(2026, 6, 10, 12)  # Wednesday
    # Returned on 1 June after 8 business days (21 May → 1 June) and still with the claimant:
    # 3 past the limit, its clock paused.
    paused_late = await make_timeline_case(
        db, tribunal, local(2026, 5, 20, 10), [("returned", local(2026, 6, 1))]
    )
    # Submitted Monday 1 June: 7 business days, 2 past.
    late = await make_timeline_case(db, tribunal, local(2026, 6, 1, 10))
    # Submitted Wednesday 3 June: 5, at the limit; past it tomorrow.
    due = await make_timeline_case(db, tribunal, local(2026, 6, 3, 10))
    # Submitted Tuesday 9 June: 1.
    fresh = await make_timeline_case(db, tribunal, local(2026, 6, 9, 10))
    # Returned after 1 day and waiting on the claimant: never at risk while paused.
    await make_timeline_case(
        db, tribunal, local(2026, 5, 25, 10), [("returned", local(2026, 5, 26))]
    )
    # Accepted late, withdrawn: not open.
    await make_timeline_case(db, tribunal, local(2026, 5, 1, 10), [("accepted", local(2026, 6, 1))])
    await make_timeline_case(
        db, tribunal, local(2026, 5, 1, 10), [("withdrawn", local(2026, 5, 4))]
    )

    page = await measurement.cases_at_risk(db, tribunal, made.standard, now=now)
    listed = [
        (case.filing_id, case.elapsed_days, case.days_left, case.paused) for case in page.cases
    ]
    assert listed == [(paused_late.id, 8, -3, True), (late.id, 7, -2, False)]
    assert page.cases[0].reference == paused_late.reference
    assert page.cases[0].missed
    assert page.cases[0].limit_days == 5
    assert page.next_after is None

    # One a page: the keyset of the first gives the second, then the end.
    first = await measurement.cases_at_risk(db, tribunal, made.standard, now=now, page_size=1)
    assert [case.filing_id for case in first.cases] == [paused_late.id]
    assert first.next_after is not None
    second = await measurement.cases_at_risk(
        db, tribunal, made.standard, now=now, page_size=1, after=first.next_after
    )
    assert [case.filing_id for case in second.cases] == [late.id]
    assert second.next_after is None

    # Within a day: the case at its limit too; within 5, the fresh one (1 + 5 > 5).
    soon = await measurement.cases_at_risk(db, tribunal, made.standard, within_days=1, now=now)
    assert [case.filing_id for case in soon.cases] == [paused_late.id, late.id, due.id]
    week = await measurement.cases_at_risk(db, tribunal, made.standard, within_days=5, now=now)
    assert [case.filing_id for case in week.cases] == [paused_late.id, late.id, due.id, fresh.id]

    # The docket's filter: the same cases, as a condition of the docket's own query.
    condition = await measurement.at_risk_filter(db, tribunal, now=now)
    found = set(
        await db.scalars(select(Filing.id).where(Filing.tribunal_id == tribunal.id, condition))
    )
    assert found == {paused_late.id, late.id}


async def test_a_period_not_yet_started_is_not_measured(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    made = await make_standard(db, tribunal)
    assert (
        await measurement.measure_quarter(
            db, tribunal, made.standard, Quarter(2026, 3), now=AFTER_Q1
        )
        is None
    )
    # Nor a quarter before the standard's first definition.
    assert (
        await measurement.measure_quarter(
            db, tribunal, made.standard, Quarter(2025, 4), now=AFTER_Q1
        )
        is None
    )
    with pytest.raises(ValueError, match="started"):
        await measurement.measure(
            db,
            tribunal,
            made.standard,
            services.Definition.of(made.version),
            date(2026, 9, 1),
            date(2026, 10, 1),
            now=AFTER_Q1,
        )
