"""Measuring a service standard from the case events, in SQL.

For a definition and a period [first day, end day) of the tribunal's local days, measured
as of ``as_of = min(end, now)``, every case of the tribunal (of the kind of case, when the
definition names one) is read from its events up to `as_of`:

- its clock starts at its first start event;
- it stops at the first stop event at or after the start;
- a terminal event (withdrawn, dismissed) at or after the start and before any stop ends the
  case without a stop: it is *excluded*, counted in the period the case ended in;
- each pause event after the start and before the stop (or `as_of`) pauses the clock until
  the next resume event (or the stop, or `as_of`); pauses ended by the same resume count
  once, from the first;
- elapsed = index(stop day, or as_of's day) − index(start day) − Σ (index(resume day) −
  index(pause day)), where a day's index is its business-day or calendar-day number in the
  tribunal's calendar (`models.StandardDay`): the days after the start up to and including
  the stop, as deadlines count them; a case meets the standard when elapsed ≤ limit.

A case whose clock stopped in the period is *met* or *missed*; a case open at `as_of`
(started, neither stopped nor ended) is *open past the limit* ("already missed") or *open
within it*. The share met is `SHARE_COUNTS`. Medians and 90th percentiles of the stopped
cases' elapsed days are by the nearest rank (the value at rank ⌈p × n⌉), with ROW_NUMBER
and COUNT windows, so that both databases give the same integer.

A period, or a fiscal year with its four quarters, is one SQL statement, whatever the number
of cases, with the counts broken down by the case's language, its latest hearing's mode, and
whether it asked for an interpreter or an accommodation (the breakdowns carry counts, hence
shares; the median and 90th percentile are the totals'). The per-case work is in the
database, none in Python. On a million case events (`infra/bench/standards.py`) a quarter
takes about 0.6 s and a fiscal year about 2 s on PostgreSQL.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Select,
    String,
    and_,
    case,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CTE, CompoundSelect, FromClause

from accountability.standards import events
from accountability.standards.calendar import ensure_instants
from accountability.standards.events import TERMINAL_KINDS
from accountability.standards.models import ClockUnit, ServiceStandard, StandardDay
from accountability.standards.periods import Quarter, local_midnight, quarters_of
from accountability.standards.services import Definition, standards_of, version_in_force
from filings.models import CaseEvent, CaseType, CaseTypeVersion, Filing, FilingStatus
from hearings.models import Hearing, HearingStatus
from tribunals.models import Tribunal
from tribune.db import UTCDateTime, local_today, utcnow
from tribune.i18n import lazy_gettext


class Outcome(enum.Enum):
    """What became of a case's clock in a period."""

    MET = "met"  # stopped in the period, within the limit
    MISSED = "missed"  # stopped in the period, past the limit
    OPEN_PAST_LIMIT = "open_past_limit"  # open at as_of, already past the limit
    OPEN_WITHIN_LIMIT = "open_within_limit"  # open at as_of, still within the limit
    EXCLUDED = "excluded"  # ended in the period by a terminal event, without a stop


# What the share met counts: the cases whose clock stopped in the period, met out of met and
# missed. The cases still open past the limit ("already missed") are reported beside it.
SHARE_COUNTS = (Outcome.MET, Outcome.MISSED)
SHARE_METHOD = lazy_gettext(
    "The share met is the number of cases whose clock stopped in the period within the limit, "
    "out of all the cases whose clock stopped in the period. Cases still open past the limit "
    "at the end of the period are reported beside it as already missed."
)

# The breakdowns, each with every value it can take (a value without cases counts zero).
NO_HEARING = "none"
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "language": ("en", "fr"),
    "hearing_mode": ("video", "telephone", "in_person", NO_HEARING),
    "accommodation": ("yes", "no"),
}
BREAKDOWN_LABELS = {
    "language": lazy_gettext("Language of the case"),
    "hearing_mode": lazy_gettext("Hearing mode"),
    "accommodation": lazy_gettext("Interpreter or accommodation asked for"),
}
VALUE_LABELS = {
    ("language", "en"): lazy_gettext("English"),
    ("language", "fr"): lazy_gettext("French"),
    ("hearing_mode", "video"): lazy_gettext("Video"),
    ("hearing_mode", "telephone"): lazy_gettext("Telephone"),
    ("hearing_mode", "in_person"): lazy_gettext("In person"),
    ("hearing_mode", NO_HEARING): lazy_gettext("No hearing"),
    ("accommodation", "yes"): lazy_gettext("Yes"),
    ("accommodation", "no"): lazy_gettext("No"),
}
_TOTAL = "all"


@dataclass(frozen=True)
class Figures:
    """The counts of one group of cases, and the median and 90th percentile of the elapsed
    days of those whose clock stopped in the period (None when none did)."""

    met: int = 0
    missed: int = 0
    open_past_limit: int = 0
    open_within_limit: int = 0
    excluded: int = 0
    median_days: int | None = None
    p90_days: int | None = None

    @property
    def stopped(self) -> int:
        """The cases the share counts (`SHARE_COUNTS`)."""
        return self.met + self.missed

    @property
    def open(self) -> int:
        return self.open_past_limit + self.open_within_limit

    @property
    def share_met(self) -> float | None:
        """Return met / (met + missed), from 0 to 1, or None if no clock stopped."""
        return self.met / self.stopped if self.stopped else None

    def to_json(self) -> dict[str, int | float | None]:
        return {
            "met": self.met,
            "missed": self.missed,
            "open_past_limit": self.open_past_limit,
            "open_within_limit": self.open_within_limit,
            "excluded": self.excluded,
            "stopped": self.stopped,
            "share_met": self.share_met,
            "median_days": self.median_days,
            "p90_days": self.p90_days,
        }

    @classmethod
    def from_json(cls, data: dict[str, int | float | None]) -> Figures:
        def count(name: str) -> int:
            return int(data.get(name) or 0)

        def days(name: str) -> int | None:
            value = data.get(name)
            return None if value is None else int(value)

        return cls(
            met=count("met"),
            missed=count("missed"),
            open_past_limit=count("open_past_limit"),
            open_within_limit=count("open_within_limit"),
            excluded=count("excluded"),
            median_days=days("median_days"),
            p90_days=days("p90_days"),
        )


@dataclass(frozen=True)
class Breakdown:
    """The counts of the cases of one value of a breakdown (``language`` ``fr``...); its
    median and 90th percentile are None (they are the totals' only)."""

    dimension: str
    value: str
    figures: Figures

    @property
    def label(self) -> str:
        return str(VALUE_LABELS.get((self.dimension, self.value), self.value))


@dataclass(frozen=True)
class StandardFigures:
    """A standard measured over a period with one definition."""

    standard_id: uuid.UUID
    code: str
    definition: Definition
    first_day: date
    end_day: date  # the day after the period's last
    as_of: datetime
    totals: Figures
    breakdowns: tuple[Breakdown, ...] = field(default=())

    def breakdown(self, dimension: str) -> list[Breakdown]:
        """Return the breakdown's groups, in the order of `BREAKDOWNS`."""
        return [item for item in self.breakdowns if item.dimension == dimension]

    @property
    def target_met(self) -> bool | None:
        """Return whether the share met reached the target, or None if no clock stopped."""
        share = self.totals.share_met
        return None if share is None else share * 100 >= self.definition.target_percent


@dataclass(frozen=True)
class YearFigures:
    """A standard measured over a fiscal year: each quarter with the definition in force on
    its first day, and the year's figures: the counts of stopped and excluded cases are the
    quarters' sums, the open ones those of the last quarter measured (a case open at the end
    of several quarters is one case), and the median and 90th percentile are over every
    stopped case of the year."""

    standard_id: uuid.UUID
    code: str
    fiscal_year: int
    quarters: tuple[tuple[Quarter, StandardFigures], ...]
    totals: Figures
    breakdowns: tuple[Breakdown, ...]
    as_of: datetime

    def breakdown(self, dimension: str) -> list[Breakdown]:
        return [item for item in self.breakdowns if item.dimension == dimension]


# -- the SQL ----------------------------------------------------------------------------------
#
# A definition's clocks are read once for all the periods measured with it (`_marks`,
# `_pauses`): what the events say up to the last period's as_of. Each period then cuts them at
# its own as_of (`_period_clocks`): a stop or an end after it has not happened yet, a pause
# still runs. One statement gives every period's figures, and the year's over them.

_events = CaseEvent.__table__
_days = StandardDay.__table__
_filings = Filing.__table__
_hearings = Hearing.__table__


def _at(instant: datetime) -> ColumnElement[datetime]:
    """An instant as a bound value typed as the tables' timestamps (SQLite compares text)."""
    return literal(instant, UTCDateTime())


def _is(events_alias: FromClause, code: str) -> ColumnElement[bool]:
    """Whether an event row (of an alias of case_events) is the catalogue's event `code`."""
    columns = events_alias.c
    clock_event = events.CATALOGUE[code]
    condition: ColumnElement[bool] = columns.kind == clock_event.kind
    if clock_event.reasons:
        reason = columns.details["adjournment_reason"].as_string()
        condition = and_(condition, reason.in_(clock_event.reasons))
    return condition


def _day_index(
    tribunal_id: uuid.UUID, unit: ClockUnit, instant: ColumnElement[datetime]
) -> ColumnElement[int]:
    """The index of the local day an instant falls in (the calendar row with starts_at <=
    instant < ends_at). A correlated subquery rather than a join on the range: it reads one
    entry of the (tribunal_id, starts_at) index per instant, where a range join would scan."""
    day = _days.alias()
    column = day.c.business_index if unit is ClockUnit.BUSINESS_DAYS else day.c.day_number
    return (
        select(column)
        .where(
            day.c.tribunal_id == tribunal_id, day.c.starts_at <= instant, day.c.ends_at > instant
        )
        .order_by(day.c.starts_at.desc())
        .limit(1)
        .correlate_except(day)
        .scalar_subquery()
    )


def _marks(
    tribunal_id: uuid.UUID,
    definition: Definition,
    earliest: datetime,
    latest: datetime,
    tag: str,
    *,
    open_statuses_only: bool = False,
) -> CTE:
    """Return a CTE of the clocks that can matter to periods from `earliest` to `latest`
    (the last as_of): the cases whose clock started before `latest` and neither stopped nor
    ended before `earliest`. Columns: filing_id, start_at, stop_at and terminal_at (None
    unless before `latest`), start_index (the start day's index)."""
    tid = tribunal_id
    start_events = _events.alias(f"start_events{tag}")
    starts = select(
        start_events.c.filing_id, func.min(start_events.c.occurred_at).label("start_at")
    ).where(
        start_events.c.tribunal_id == tid,
        _is(start_events, definition.start_event),
        start_events.c.occurred_at < _at(latest),
    )
    if definition.case_type_code or open_statuses_only:
        kind = _filings.alias(f"kind_filings{tag}")
        starts = starts.join(kind, kind.c.id == start_events.c.filing_id).where(
            kind.c.tribunal_id == tid
        )
        if open_statuses_only:
            # A case cannot be open for any standard once it is closed, withdrawn or
            # dismissed (filings.lifecycle): the staff lists read only the others.
            starts = starts.where(
                kind.c.status.not_in(
                    (
                        FilingStatus.DRAFT,
                        FilingStatus.CLOSED,
                        FilingStatus.WITHDRAWN,
                        FilingStatus.DISMISSED,
                    )
                )
            )
        if definition.case_type_code:
            version = CaseTypeVersion.__table__.alias(f"kind_versions{tag}")
            case_type = CaseType.__table__.alias(f"kind_types{tag}")
            starts = (
                starts.join(version, version.c.id == kind.c.case_type_version_id)
                .join(case_type, case_type.c.id == version.c.case_type_id)
                .where(case_type.c.code == definition.case_type_code)
            )
    started = starts.group_by(start_events.c.filing_id).cte(f"starts{tag}")

    # Each case's first stop and first terminal event, aggregated apart from its start and
    # then joined: cheaper than pairing every start with its later events. A case's first
    # stop comes after its start in a case's life; should the events say otherwise, the
    # first stop at or after the start is looked up for that case alone.
    later = _events.alias(f"stop_events{tag}")
    is_stop = _is(later, definition.stop_event)
    is_terminal = later.c.kind.in_(TERMINAL_KINDS)
    firsts = (
        select(
            later.c.filing_id,
            func.min(case((is_stop, later.c.occurred_at))).label("stop_at"),
            func.min(case((is_terminal, later.c.occurred_at))).label("terminal_at"),
        )
        .where(
            later.c.tribunal_id == tid,
            or_(is_stop, is_terminal),
            later.c.occurred_at < _at(latest),
        )
        .group_by(later.c.filing_id)
        .cte(f"firsts{tag}")
    )

    def first_after_start(
        code_condition: Callable[[FromClause], ColumnElement[bool]],
        first: ColumnElement[datetime],
    ) -> ColumnElement[datetime]:
        again = _events.alias()
        looked_up = (
            select(func.min(again.c.occurred_at))
            .where(
                again.c.filing_id == started.c.filing_id,
                again.c.tribunal_id == tid,
                code_condition(again),
                again.c.occurred_at >= started.c.start_at,
                again.c.occurred_at < _at(latest),
            )
            .correlate_except(again)
            .scalar_subquery()
        )
        return case(
            (first.is_(None), null()),
            (first >= started.c.start_at, first),
            else_=looked_up,
        )

    reached = (
        select(
            started.c.filing_id,
            started.c.start_at,
            first_after_start(
                lambda alias: _is(alias, definition.stop_event), firsts.c.stop_at
            ).label("stop_at"),
            first_after_start(
                lambda alias: alias.c.kind.in_(TERMINAL_KINDS), firsts.c.terminal_at
            ).label("terminal_at"),
        )
        .select_from(started.outerjoin(firsts, firsts.c.filing_id == started.c.filing_id))
        .cte(f"reached{tag}")
    )
    return (
        select(
            reached.c.filing_id,
            reached.c.start_at,
            reached.c.stop_at,
            reached.c.terminal_at,
            _day_index(tid, definition.unit, reached.c.start_at).label("start_index"),
        )
        .where(
            or_(reached.c.stop_at.is_(None), reached.c.stop_at >= _at(earliest)),
            or_(reached.c.terminal_at.is_(None), reached.c.terminal_at >= _at(earliest)),
        )
        .cte(f"marks{tag}")
    )


def _period_clocks(
    tribunal_id: uuid.UUID,
    definition: Definition,
    marks: CTE,
    latest: datetime,
    period_start: datetime,
    as_of: datetime,
    tag: str,
    *,
    with_running: bool = False,
) -> CTE:
    """Return a CTE of the clocks of one period, cut at its as_of: filing_id, stop_at and
    terminal_at (None unless before as_of), elapsed (days) and, if `with_running`,
    paused_now (1 if a pause still runs at as_of, else 0), for the cases started before
    as_of that neither stopped nor ended before the period.

    The pauses are read per case by correlated subqueries on the (filing_id, occurred_at)
    index, never by joining two derived sets: PostgreSQL cannot estimate how many clocks
    the filters leave, and a join planned for a few rows re-runs its inner side for each."""
    tid = tribunal_id
    stopped = marks.c.stop_at < _at(as_of)
    clock_end = case((stopped, marks.c.stop_at), else_=_at(as_of))
    cut = (
        select(
            marks.c.filing_id,
            marks.c.start_at,
            case((stopped, marks.c.stop_at)).label("stop_at"),
            case((marks.c.terminal_at < _at(as_of), marks.c.terminal_at)).label("terminal_at"),
            clock_end.label("clock_end"),
            marks.c.start_index,
            _day_index(tid, definition.unit, clock_end).label("end_index"),
        )
        .where(
            marks.c.start_at < _at(as_of),
            or_(marks.c.stop_at.is_(None), marks.c.stop_at >= _at(period_start)),
            or_(marks.c.terminal_at.is_(None), marks.c.terminal_at >= _at(period_start)),
        )
        .cte(f"cut{tag}")
    )
    elapsed = cut.c.end_index - cut.c.start_index
    columns = [cut.c.filing_id, cut.c.stop_at, cut.c.terminal_at]
    if not (definition.pause_event and definition.resume_event):
        if with_running:
            columns.append(literal(0).label("paused_now"))
        return select(*columns, elapsed.label("elapsed")).cte(f"clocks{tag}")

    # Each pause event at or after the start and before the clock's end, with the first
    # resume event after it; pauses ended by the same resume are one, from the first.
    pause = _events.alias(f"pause_events{tag}")
    resume = _events.alias(f"resume_events{tag}")
    resumed_at = (
        select(func.min(resume.c.occurred_at))
        .where(
            resume.c.filing_id == pause.c.filing_id,
            resume.c.tribunal_id == tid,
            _is(resume, definition.resume_event),
            resume.c.occurred_at > pause.c.occurred_at,
            resume.c.occurred_at < _at(latest),
        )
        .correlate_except(resume)
        .scalar_subquery()
    )
    merged = (
        select(func.min(pause.c.occurred_at).label("paused_at"), resumed_at.label("resumed_at"))
        .where(
            pause.c.filing_id == cut.c.filing_id,
            pause.c.tribunal_id == tid,
            _is(pause, definition.pause_event),
            pause.c.occurred_at >= cut.c.start_at,
            pause.c.occurred_at < cut.c.clock_end,
        )
        .group_by(resumed_at)
        .correlate_except(pause)
        .subquery(f"merged_pauses{tag}")
    )
    # A pause counts up to its resume, or to the clock's end if it runs on past it.
    resumed = and_(merged.c.resumed_at.is_not(None), merged.c.resumed_at < cut.c.clock_end)
    ended_at = case((resumed, merged.c.resumed_at), else_=cut.c.clock_end)
    paused_days = (
        select(
            func.coalesce(
                func.sum(
                    _day_index(tid, definition.unit, ended_at)
                    - _day_index(tid, definition.unit, merged.c.paused_at)
                ),
                0,
            )
        )
        .select_from(merged)
        .correlate_except(merged)
        .scalar_subquery()
    )
    if with_running:
        running = (
            select(func.count())
            .select_from(merged)
            .where(~resumed)
            .correlate_except(merged)
            .scalar_subquery()
        )
        columns.append(case((running > 0, 1), else_=0).label("paused_now"))
    return (
        select(*columns, (elapsed - paused_days).label("elapsed"))
        .cte(f"clocks{tag}")
        # Computed once: its readers use `elapsed` several times, each a copy of the
        # subqueries if the CTE were inlined.
        .prefix_with("MATERIALIZED")
    )


def _code(outcome: Outcome | str) -> ColumnElement[str]:
    """A fixed code as an SQL literal (not a parameter, which PostgreSQL cannot type in a
    UNION's columns)."""
    value = outcome.value if isinstance(outcome, Outcome) else outcome
    return literal_column(f"'{value}'", String)


def _outcome(clocks: CTE, limit: int) -> ColumnElement[str]:
    """A case's outcome code (`Outcome`)."""
    ended = and_(
        clocks.c.terminal_at.is_not(None),
        or_(clocks.c.stop_at.is_(None), clocks.c.terminal_at < clocks.c.stop_at),
    )
    stopped = case((clocks.c.elapsed <= limit, _code(Outcome.MET)), else_=_code(Outcome.MISSED))
    still_open = case(
        (clocks.c.elapsed > limit, _code(Outcome.OPEN_PAST_LIMIT)),
        else_=_code(Outcome.OPEN_WITHIN_LIMIT),
    )
    return case(
        (ended, _code(Outcome.EXCLUDED)),
        (clocks.c.stop_at.is_not(None), stopped),
        else_=still_open,
    )


def _accommodation(filing: FromClause) -> ColumnElement[str]:
    """'yes' if the filing asked for an interpreter, sign language or another accommodation
    (its accessibility answers, as `filings.journey.forms.read_accessibility` keeps them)."""
    answers = filing.c.answers
    # JSON true reads 'true' on PostgreSQL and '1' on SQLite.
    interpreter = func.coalesce(
        answers[("accessibility", "needs_interpreter")].as_string(), ""
    ).in_(("true", "1"))
    sign = func.coalesce(answers[("accessibility", "sign_language")].as_string(), "")
    other = func.coalesce(func.trim(answers[("accessibility", "other_needs")].as_string()), "")
    return case(
        (or_(interpreter, sign.not_in(("", "none")), other != ""), _code("yes")),
        else_=_code("no"),
    )


def _hearing_mode(tribunal_id: uuid.UUID, filing: FromClause) -> ColumnElement[str]:
    """The mode of the case's latest hearing (by start) that was not cancelled, or 'none'."""
    hearing = _hearings.alias()
    latest = (
        select(type_coerce(hearing.c.mode, String(32)))
        .where(
            hearing.c.filing_id == filing.c.id,
            hearing.c.tribunal_id == tribunal_id,
            hearing.c.status != HearingStatus.CANCELLED,
        )
        .order_by(hearing.c.starts_at.desc(), hearing.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(latest, _code(NO_HEARING))


@dataclass(frozen=True)
class _Period:
    """A period measured: with a definition, from period_start, as of as_of."""

    definition: Definition
    period_start: datetime
    as_of: datetime


# The scope of the year's median and 90th percentile, beside each period's number.
_YEAR = "year"


def _figures_statement(
    tribunal_id: uuid.UUID, periods: Sequence[_Period], *, year: bool = False
) -> CompoundSelect[tuple[object, ...]]:
    """Return the one statement giving each period's figures (its number as the scope):
    rows of counts by outcome per (scope, dimension, value), and rows of the nearest-rank
    median and 90th percentile of the stopped cases per scope (dimension and value "all");
    if `year`, also those of the periods' stopped cases together (scope "year")."""
    by_definition: dict[Definition, list[int]] = {}
    for number, period in enumerate(periods):
        by_definition.setdefault(period.definition, []).append(number)
    parts = []
    for group, (definition, numbers) in enumerate(by_definition.items()):
        earliest = min(periods[number].period_start for number in numbers)
        latest = max(periods[number].as_of for number in numbers)
        marks = _marks(tribunal_id, definition, earliest, latest, f"_{group}")
        for number in numbers:
            period = periods[number]
            clocks = _period_clocks(
                tribunal_id,
                definition,
                marks,
                latest,
                period.period_start,
                period.as_of,
                f"_{group}_{number}",
            )
            parts.append(
                select(
                    _code(str(number)).label("scope"),
                    _outcome(clocks, definition.limit_days).label("outcome"),
                    clocks.c.elapsed,
                    clocks.c.filing_id,
                )
            )
    clocks_all = (parts[0] if len(parts) == 1 else union_all(*parts)).cte("period_cases")
    filing = _filings.alias("case_filings")
    cases = (
        select(
            clocks_all.c.scope,
            clocks_all.c.outcome,
            clocks_all.c.elapsed,
            type_coerce(filing.c.language, String(2)).label("language"),
            _hearing_mode(tribunal_id, filing).label("hearing_mode"),
            _accommodation(filing).label("accommodation"),
        )
        .select_from(clocks_all.join(filing, filing.c.id == clocks_all.c.filing_id))
        .where(filing.c.tribunal_id == tribunal_id, clocks_all.c.outcome.is_not(None))
        .cte("counted")
    )

    # Counts: each case once under the totals and once under each breakdown.
    unpivoted = union_all(
        *(
            select(
                cases.c.scope,
                _code(dimension).label("dimension"),
                value.label("value"),
                cases.c.outcome,
            )
            for dimension, value in [
                (_TOTAL, _code(_TOTAL)),
                *((d, cases.c[d]) for d in BREAKDOWNS),
            ]
        )
    ).subquery("grouped")
    counts = select(
        unpivoted.c.scope,
        unpivoted.c.dimension,
        unpivoted.c.value,
        *(
            func.sum(case((unpivoted.c.outcome == outcome.value, 1), else_=0)).label(outcome.value)
            for outcome in Outcome
        ),
        null().label("median_days"),
        null().label("p90_days"),
    ).group_by(unpivoted.c.scope, unpivoted.c.dimension, unpivoted.c.value)

    # Percentiles: the stopped cases by elapsed days, per period (and the year's together).
    is_stopped = cases.c.outcome.in_([outcome.value for outcome in SHARE_COUNTS])
    stopped_parts = [select(cases.c.scope, cases.c.elapsed).where(is_stopped)]
    if year:
        stopped_parts.append(select(_code(_YEAR).label("scope"), cases.c.elapsed).where(is_stopped))
    stopped = union_all(*stopped_parts).subquery("stopped")
    ranked = select(
        stopped.c.scope,
        stopped.c.elapsed,
        func.row_number()
        .over(partition_by=stopped.c.scope, order_by=stopped.c.elapsed)
        .label("rank"),
        func.count().over(partition_by=stopped.c.scope).label("n"),
    ).subquery("ranked")

    def nearest_rank(percent: int, name: str) -> ColumnElement[int]:
        # The value at rank ceil(percent × n / 100), in integers: (percent × n + 99) // 100.
        rank = (ranked.c.n * percent + 99) // 100
        return func.max(case((ranked.c.rank == rank, ranked.c.elapsed))).label(name)

    percentiles = select(
        ranked.c.scope,
        _code(_TOTAL).label("dimension"),
        _code(_TOTAL).label("value"),
        *(null().label(outcome.value) for outcome in Outcome),
        nearest_rank(50, "median_days"),
        nearest_rank(90, "p90_days"),
    ).group_by(ranked.c.scope)
    return union_all(counts, percentiles)


_Measured = dict[str, tuple[Figures, tuple[Breakdown, ...]]]


async def _figures(
    db: AsyncSession, tribunal: Tribunal, periods: Sequence[_Period], *, year: bool = False
) -> _Measured:
    """Run the statement; return by scope (each period's number, and "year") the totals
    and every breakdown group (zero when empty). Breakdowns carry counts (and so shares);
    the median and 90th percentile are the totals'."""
    for definition in {period.definition for period in periods}:
        await _ensure_calendar(db, tribunal, definition, max(p.as_of for p in periods))
    counted: dict[tuple[str, str, str], Figures] = {}
    days: dict[str, tuple[int | None, int | None]] = {}
    await _without_jit(db)
    for row in await db.execute(_figures_statement(tribunal.id, periods, year=year)):
        values = row._mapping
        scope = str(values["scope"])
        if values["met"] is None:
            days[scope] = (_int(values["median_days"]), _int(values["p90_days"]))
            continue
        counted[(scope, str(values["dimension"]), str(values["value"]))] = Figures(
            met=int(values["met"]),
            missed=int(values["missed"]),
            open_past_limit=int(values["open_past_limit"]),
            open_within_limit=int(values["open_within_limit"]),
            excluded=int(values["excluded"]),
        )

    def figures(scope: str, dimension: str, value: str) -> Figures:
        if scope == _YEAR:
            # The year's counts: stopped and excluded cases summed over its periods, the
            # open ones those of the last (a case open at the end of several periods is one).
            each = [figures(str(n), dimension, value) for n in range(len(periods))]
            found = Figures(
                met=sum(f.met for f in each),
                missed=sum(f.missed for f in each),
                open_past_limit=each[-1].open_past_limit,
                open_within_limit=each[-1].open_within_limit,
                excluded=sum(f.excluded for f in each),
            )
        else:
            found = counted.get((scope, dimension, value), Figures())
        if dimension == _TOTAL:
            median, p90 = days.get(scope, (None, None))
            found = replace(found, median_days=median, p90_days=p90)
        return found

    scopes = [str(number) for number in range(len(periods))] + ([_YEAR] if year else [])
    return {
        scope: (
            figures(scope, _TOTAL, _TOTAL),
            tuple(
                Breakdown(dimension, value, figures(scope, dimension, value))
                for dimension, values in BREAKDOWNS.items()
                for value in values
            ),
        )
        for scope in scopes
    }


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


async def _without_jit(db: AsyncSession) -> None:
    """Turn PostgreSQL's JIT compilation off for the rest of the transaction: the
    statements here are estimated costly (their correlated subqueries), and compiling them
    took longer than running them (2.3 s of 3.5 s on a million events)."""
    if db.get_bind().dialect.name == "postgresql":
        await db.execute(text("SET LOCAL jit = off"))


async def _ensure_calendar(
    db: AsyncSession, tribunal: Tribunal, definition: Definition, as_of: datetime
) -> None:
    """Make the calendar cover every day a clock of this definition can start on, to as_of."""
    first = await db.scalar(
        select(func.min(CaseEvent.occurred_at)).where(
            CaseEvent.tribunal_id == tribunal.id,
            CaseEvent.kind == events.CATALOGUE[definition.start_event].kind,
        )
    )
    await ensure_instants(db, tribunal, min(first, as_of) if first else as_of, as_of)


# -- measuring --------------------------------------------------------------------------------


async def measure(
    db: AsyncSession,
    tribunal: Tribunal,
    standard: ServiceStandard,
    definition: Definition,
    first_day: date,
    end_day: date,
    *,
    now: datetime | None = None,
) -> StandardFigures:
    """Measure a standard with a definition over the tribunal's local days [first_day,
    end_day), as of min(end, now). Raises ValueError if the period has not started."""
    if standard.tribunal_id != tribunal.id:
        raise ValueError("the standard is not this tribunal's")
    now = now or utcnow()
    period_start = local_midnight(first_day, tribunal.time_zone)
    period_end = local_midnight(end_day, tribunal.time_zone)
    if not period_start < period_end or period_start >= now:
        raise ValueError("measure a period that has started")
    as_of = min(period_end, now)
    totals, breakdowns = (await _figures(db, tribunal, [_Period(definition, period_start, as_of)]))[
        "0"
    ]
    return StandardFigures(
        standard_id=standard.id,
        code=standard.code,
        definition=definition,
        first_day=first_day,
        end_day=end_day,
        as_of=as_of,
        totals=totals,
        breakdowns=breakdowns,
    )


async def measure_quarter(
    db: AsyncSession,
    tribunal: Tribunal,
    standard: ServiceStandard,
    quarter: Quarter,
    *,
    now: datetime | None = None,
) -> StandardFigures | None:
    """Measure a standard over a fiscal quarter with the definition in force on its first
    day (as of its end, or now while it runs); None if the quarter has not started or the
    standard had no definition then."""
    now = now or utcnow()
    if quarter.starts_at(tribunal.time_zone) >= now:
        return None
    version = await version_in_force(db, standard, quarter.first_day)
    if version is None:
        return None
    return await measure(
        db,
        tribunal,
        standard,
        Definition.of(version),
        quarter.first_day,
        quarter.end_day,
        now=now,
    )


async def measure_year(
    db: AsyncSession,
    tribunal: Tribunal,
    standard: ServiceStandard,
    fiscal_year: int,
    *,
    now: datetime | None = None,
) -> YearFigures | None:
    """Measure a standard over a fiscal year, in one statement: each quarter that has
    started with its own definition, and the year's figures over them (see `YearFigures`);
    None if no quarter of the year has started with a definition in force."""
    now = now or utcnow()
    zone = tribunal.time_zone
    measured: list[tuple[Quarter, Definition]] = []
    for quarter in quarters_of(fiscal_year):
        if quarter.starts_at(zone) >= now:
            break
        version = await version_in_force(db, standard, quarter.first_day)
        if version is not None:
            measured.append((quarter, Definition.of(version)))
    if not measured:
        return None
    periods = [
        _Period(definition, quarter.starts_at(zone), min(quarter.ends_at(zone), now))
        for quarter, definition in measured
    ]
    found = await _figures(db, tribunal, periods, year=True)
    quarters = tuple(
        (
            quarter,
            StandardFigures(
                standard_id=standard.id,
                code=standard.code,
                definition=definition,
                first_day=quarter.first_day,
                end_day=quarter.end_day,
                as_of=periods[number].as_of,
                totals=found[str(number)][0],
                breakdowns=found[str(number)][1],
            ),
        )
        for number, (quarter, definition) in enumerate(measured)
    )
    totals, breakdowns = found[_YEAR]
    return YearFigures(
        standard_id=standard.id,
        code=standard.code,
        fiscal_year=fiscal_year,
        quarters=quarters,
        totals=totals,
        breakdowns=breakdowns,
        as_of=periods[-1].as_of,
    )


# -- the cases at risk --------------------------------------------------------------------------


@dataclass(frozen=True)
class AtRiskCase:
    """An open case that missed a standard's limit, or will within the days asked about."""

    filing_id: uuid.UUID
    reference: str
    elapsed_days: int
    limit_days: int
    # Its clock is paused now (waiting on a party): it only appears once past the limit.
    paused: bool

    @property
    def days_left(self) -> int:
        """Days left before the limit (in the standard's unit); negative once past it."""
        return self.limit_days - self.elapsed_days

    @property
    def missed(self) -> bool:
        return self.elapsed_days > self.limit_days


@dataclass(frozen=True)
class AtRiskPage:
    """A page of the cases at risk, most overdue first; `next_after` is the key of the next
    page (pass it back as `after`), or None on the last."""

    cases: tuple[AtRiskCase, ...]
    next_after: tuple[int, uuid.UUID] | None


def _at_risk_select(
    tribunal_id: uuid.UUID, definition: Definition, as_of: datetime, within_days: int, tag: str
) -> Select[tuple[object, ...]]:
    """Return a select of the open cases at risk: filing_id, reference, elapsed, overdue
    (elapsed − limit) and paused_now."""
    marks = _marks(tribunal_id, definition, as_of, as_of, tag, open_statuses_only=True)
    clocks = _period_clocks(
        tribunal_id, definition, marks, as_of, as_of, as_of, tag, with_running=True
    )
    limit = definition.limit_days
    filing = _filings.alias(f"risk_filings{tag}")
    running_out = and_(clocks.c.paused_now == 0, clocks.c.elapsed + within_days > limit)
    return (
        select(
            clocks.c.filing_id,
            filing.c.reference,
            clocks.c.elapsed,
            (clocks.c.elapsed - limit).label("overdue"),
            clocks.c.paused_now,
        )
        .select_from(clocks.join(filing, filing.c.id == clocks.c.filing_id))
        .where(
            filing.c.tribunal_id == tribunal_id,
            clocks.c.stop_at.is_(None),
            clocks.c.terminal_at.is_(None),
            or_(clocks.c.elapsed > limit, running_out),
        )
    )


async def _current_definition(
    db: AsyncSession, tribunal: Tribunal, standard: ServiceStandard, now: datetime
) -> Definition | None:
    version = await version_in_force(db, standard, local_today(tribunal.time_zone, now))
    return Definition.of(version) if version else None


async def cases_at_risk(
    db: AsyncSession,
    tribunal: Tribunal,
    standard: ServiceStandard,
    *,
    within_days: int = 0,
    after: tuple[int, uuid.UUID] | None = None,
    page_size: int = 25,
    now: datetime | None = None,
) -> AtRiskPage:
    """Return a page of the tribunal's open cases that are past the standard's limit (in the
    definition in force today), or will be within `within_days` days of its unit unless their
    clock stops, most overdue first (keyset pagination: `after` is the previous page's
    `next_after`). A case whose clock is paused is listed only once past the limit."""
    if within_days < 0 or page_size < 1:
        raise ValueError("within_days must not be negative, page_size must be positive")
    now = now or utcnow()
    definition = await _current_definition(db, tribunal, standard, now)
    if definition is None:
        return AtRiskPage((), None)
    await _ensure_calendar(db, tribunal, definition, now)
    rows = _at_risk_select(tribunal.id, definition, now, within_days, "_risk").subquery("risk")
    query = select(rows).order_by(rows.c.overdue.desc(), rows.c.filing_id).limit(page_size + 1)
    if after is not None:
        overdue, filing_id = after
        query = query.where(
            or_(
                rows.c.overdue < overdue,
                and_(rows.c.overdue == overdue, rows.c.filing_id > filing_id),
            )
        )
    await _without_jit(db)
    found = (await db.execute(query)).all()
    cases = tuple(
        AtRiskCase(
            filing_id=row.filing_id,
            reference=row.reference or "",
            elapsed_days=int(row.elapsed),
            limit_days=definition.limit_days,
            paused=bool(row.paused_now),
        )
        for row in found[:page_size]
    )
    next_after = None
    if len(found) > page_size:
        last = cases[-1]
        next_after = (last.elapsed_days - last.limit_days, last.filing_id)
    return AtRiskPage(cases, next_after)


async def at_risk_filter(
    db: AsyncSession,
    tribunal: Tribunal,
    standards: Sequence[ServiceStandard] | None = None,
    *,
    within_days: int = 0,
    now: datetime | None = None,
) -> ColumnElement[bool]:
    """Return a condition on `Filing.id` for a docket query: the case is at risk of one of
    the standards (all of the tribunal's when None), as `cases_at_risk` lists them. It fills
    the calendar it reads first, hence async; the condition itself runs in the caller's
    statement (`select(Filing).where(await at_risk_filter(...))`)."""
    now = now or utcnow()
    chosen = list(standards) if standards is not None else await standards_of(db, tribunal)
    parts = []
    for number, standard in enumerate(chosen):
        definition = await _current_definition(db, tribunal, standard, now)
        if definition is None:
            continue
        await _ensure_calendar(db, tribunal, definition, now)
        risk = _at_risk_select(tribunal.id, definition, now, within_days, f"_risk{number}")
        parts.append(select(risk.subquery().c.filing_id))
    if not parts:
        return Filing.id.in_(select(Filing.id).where(literal(False)))
    await _without_jit(db)
    ids = parts[0] if len(parts) == 1 else union_all(*parts)
    return Filing.id.in_(ids)


__all__ = [
    "SHARE_COUNTS",
    "AtRiskCase",
    "AtRiskPage",
    "Breakdown",
    "Figures",
    "Outcome",
    "StandardFigures",
    "YearFigures",
    "at_risk_filter",
    "cases_at_risk",
    "measure",
    "measure_quarter",
    "measure_year",
]
