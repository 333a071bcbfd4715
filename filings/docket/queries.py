"""The docket's statements: rows, counts per status and the filter choices."""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Date,
    Select,
    and_,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from accounts.models import User
from filings.cases import search_words
from filings.deadlines import today_in
from filings.lifecycle import STATUS_LABELS
from filings.models import CaseParty, CaseTypeVersion, DueFrom, Filing, FilingStatus, PartyRole
from tribunals.models import Membership, Role, Tribunal
from tribune import i18n
from tribune.db import KeptRead, escape_like
from tribune.forms import parse_moment
from tribune.i18n import lazy_gettext

PAGE_SIZE = 50
MIN_PAGE_SIZE = 10
MAX_PAGE_SIZE = 200
EXPORT_BATCH = 500
# Counts per status stop here ("more than 1,000"): past it a clerk filters rather than counts.
COUNT_CAP = 1000
CASE_STATUSES = tuple(status for status in FilingStatus if status.is_case)

DUE_FROM_LABELS = {
    DueFrom.CLAIMANT: lazy_gettext("Claimant"),
    DueFrom.RESPONDENT: lazy_gettext("Respondent"),
    DueFrom.TRIBUNAL: lazy_gettext("Tribunal"),
}


class Sort(enum.Enum):
    RECEIVED = "received"  # newest first
    DUE = "due"  # soonest first, cases with nothing due last


@dataclass(frozen=True)
class DocketFilters:
    statuses: tuple[FilingStatus, ...] = ()
    case_type_id: uuid.UUID | None = None
    received_from: date | None = None
    received_to: date | None = None
    adjudicator_id: uuid.UUID | None = None
    overdue: bool = False
    awaiting_payment: bool = False
    language: str | None = None
    q: str = ""
    sort: Sort = Sort.RECEIVED
    # The flags later domains add (`filings.docket.flags`), by key, and their conditions once
    # resolved for the request (`with_flag_conditions`).
    flags: tuple[str, ...] = ()
    flag_conditions: tuple[ColumnElement[bool], ...] = ()


@dataclass(frozen=True)
class DocketRow:
    id: uuid.UUID
    reference: str
    claimant_name: str
    case_type_title_en: str
    case_type_title_fr: str
    status: FilingStatus
    submitted_at: datetime
    due_on: date | None
    due_from: DueFrom | None
    adjudicator_name: str | None
    language: str
    awaiting_payment: bool = False

    @property
    def case_type_title(self) -> str:
        title = self.case_type_title_fr if i18n.get_language() == "fr" else ""
        return title or self.case_type_title_en

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def due_from_label(self) -> str:
        return str(DUE_FROM_LABELS[self.due_from]) if self.due_from else ""


@dataclass(frozen=True)
class StatusCounts:
    """How many cases match the filters, per status (the status filter left out)."""

    per_status: dict[FilingStatus, int]
    # Statuses with more cases than their count says: counting stopped at the cap.
    more_than: frozenset[FilingStatus] = frozenset()
    # Set when the matching cases outnumber the cap and were not counted per status.
    over: int | None = None


@dataclass
class DocketPage:
    rows: list[DocketRow]
    next_cursor: str | None
    # None for a search: its cases are found, not counted.
    counts: StatusCounts | None = None
    # The statuses filtered on (none: every status).
    statuses: tuple[FilingStatus, ...] = ()

    def _shown(self, status: FilingStatus) -> bool:
        return not self.statuses or status in self.statuses

    @property
    def total(self) -> int:
        """The number of cases matching every filter, the status one included (at least)."""
        if self.counts is None:
            return len(self.rows)
        if self.counts.over is not None:
            return self.counts.over
        return sum(count for status, count in self.counts.per_status.items() if self._shown(status))

    @property
    def total_is_more(self) -> bool:
        """Whether there are more cases than `total`."""
        if self.counts is None:
            return self.next_cursor is not None
        if self.counts.over is not None:
            return True
        return any(self._shown(status) for status in self.counts.more_than)


# Cursors ---------------------------------------------------------------------------------


def encode_cursor(sort: Sort, row: DocketRow) -> str:
    if sort is Sort.RECEIVED:
        key: str | None = row.submitted_at.isoformat()
    else:
        key = row.due_on.isoformat() if row.due_on else None
    raw = json.dumps([sort.value, key, row.id.hex], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Cursor:
    sort: Sort
    key: datetime | date | None
    id: uuid.UUID


def decode_cursor(value: str, sort: Sort) -> Cursor | None:
    """Return the cursor, or None when it is malformed or made for another order."""
    if not value or len(value) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        sort_value, key, id_hex = json.loads(raw)
        if sort_value != sort.value:
            return None
        row_id = uuid.UUID(hex=str(id_hex))
        if sort is Sort.RECEIVED:
            stamp = parse_moment(str(key))
            return Cursor(sort, stamp, row_id) if stamp else None
        return Cursor(sort, date.fromisoformat(key) if key is not None else None, row_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


# A search is a few names or a reference; more words only slow the query down.
MAX_SEARCH_WORDS = 8


# Queries ---------------------------------------------------------------------------------


# A whole case reference, like WCAT-2026-000123: found by its unique index, not by words.
_REFERENCE = re.compile(r"[A-Z][A-Z0-9]*-\d{4}-\d{6}")


def _whole_reference(q: str) -> str | None:
    reference = q.strip().upper()
    return reference if _REFERENCE.fullmatch(reference) else None


def _search_clause(dialect: str, q: str) -> ColumnElement[bool] | None:
    reference = _whole_reference(q)
    if reference is not None:
        return Filing.reference == reference
    # Each word must start a word of the case's reference or names, on both databases.
    words = search_words(q)[:MAX_SEARCH_WORDS]
    if not words:
        # Punctuation alone matches nothing, rather than everything.
        return false() if q.strip() else None
    if dialect == "postgresql":
        vector: ColumnElement[Any] = literal_column("filings.search_vector")
        # The words hold letters and digits only, so they cannot inject tsquery operators.
        matches: ColumnElement[bool] = vector.op("@@", return_type=Boolean)(
            func.to_tsquery("simple", " & ".join(f"{word}:*" for word in words))
        )
        return matches
    spaced = " " + Filing.search_text
    return and_(*(spaced.like(f"% {escape_like(word)}%", escape="\\") for word in words))


def _conditions(
    dialect: str,
    tribunal: Tribunal,
    filters: DocketFilters,
    *,
    any_status: bool = False,
    with_status: bool = True,
    with_search: bool = True,
) -> list[ColumnElement[bool]]:
    """Return the WHERE conditions of the filters; `any_status` leaves out the status filter
    (any case status), `with_status=False` any condition on the status (the caller adds its
    own)."""
    conditions: list[ColumnElement[bool]] = [
        Filing.tribunal_id == _tribunal_id(tribunal),
        Filing.submitted_at.is_not(None),
    ]
    if with_status:
        statuses = filters.statuses if filters.statuses and not any_status else CASE_STATUSES
        conditions.append(Filing.status.in_(statuses))
    if filters.case_type_id is not None:
        conditions.append(
            Filing.case_type_version_id.in_(
                select(CaseTypeVersion.id).where(
                    CaseTypeVersion.tribunal_id == _tribunal_id(tribunal),
                    CaseTypeVersion.case_type_id == filters.case_type_id,
                )
            )
        )
    zone = ZoneInfo(tribunal.time_zone)
    if filters.received_from is not None:
        start = datetime.combine(filters.received_from, time.min, zone)
        conditions.append(Filing.submitted_at >= start)
    if filters.received_to is not None:
        end = datetime.combine(filters.received_to + timedelta(days=1), time.min, zone)
        conditions.append(Filing.submitted_at < end)
    if filters.adjudicator_id is not None:
        conditions.append(Filing.assigned_adjudicator_id == filters.adjudicator_id)
    if filters.overdue:
        conditions.append(Filing.due_on < bindparam("today", today_in(tribunal), type_=Date))
    if filters.awaiting_payment:
        conditions.append(Filing.awaiting_payment.is_(True))
    if filters.language:
        conditions.append(Filing.language == filters.language)
    conditions.extend(filters.flag_conditions)
    search = _search_clause(dialect, filters.q) if with_search else None
    if search is not None:
        conditions.append(search)
    return conditions


def _tribunal_id(tribunal: Tribunal) -> BindParameter[uuid.UUID]:
    # Named, so that a statement kept by `_kept` serves every tribunal (see `_parameters`).
    return bindparam("tribunal_id", tribunal.id, type_=Filing.tribunal_id.type)


def _after(cursor: Cursor) -> ColumnElement[bool]:
    # Row-value comparisons, so that PostgreSQL reads an index range from the cursor on;
    # the spelled-out OR form made it scan and skip every earlier row.
    row_id = bindparam("cursor_id", cursor.id, type_=Filing.id.type)
    if cursor.sort is Sort.RECEIVED:
        key = bindparam("cursor_key", cursor.key, type_=Filing.submitted_at.type)
        return tuple_(Filing.submitted_at, Filing.id) < tuple_(key, row_id)
    if cursor.key is None:
        return and_(Filing.due_on.is_(None), Filing.id > row_id)
    key = bindparam("cursor_key", cursor.key, type_=Filing.due_on.type)
    return or_(tuple_(Filing.due_on, Filing.id) > tuple_(key, row_id), Filing.due_on.is_(None))


# Statements kept per worker, by everything that shapes them but the tribunal, the cursor and
# the day, which are parameters: building a statement and its cache key costs more Python than
# running it. A search or a flag is built per request (its words and conditions vary too much).
KEPT_STATEMENTS = 32
_kept_statements: OrderedDict[Hashable, KeptRead] = OrderedDict()


def _kept(key: Hashable | None, build: Callable[[], Select[Any]]) -> KeptRead:
    """Return the statement kept under `key`, building it if there is none (None: build it
    for this request only)."""
    if key is None:
        return KeptRead(build(), kept=False)
    statement = _kept_statements.get(key)
    if statement is None:
        statement = _kept_statements[key] = KeptRead(build())
        while len(_kept_statements) > KEPT_STATEMENTS:
            _kept_statements.popitem(last=False)
    else:
        _kept_statements.move_to_end(key)
    return statement


def _shape(dialect: str, filters: DocketFilters, *rest: Hashable) -> Hashable:
    """Return the key under which a statement for these filters is kept, or None (build it).

    Only the docket's usual views are kept, those whose filters are all choices among a few
    (statuses, overdue, awaiting payment, the order): filters that carry a value (a case type,
    an adjudicator, dates, a language, words, flags) would key a statement per value.
    """
    if (
        filters.q
        or filters.flags
        or filters.case_type_id
        or filters.adjudicator_id
        or filters.received_from
        or filters.received_to
        or filters.language
    ):
        return None
    return (
        dialect,
        filters.statuses,
        filters.sort,
        filters.overdue,
        filters.awaiting_payment,
        *rest,
    )


# The page size whose LIMIT is written into the statement (PostgreSQL plans a bound LIMIT again
# on every execution): the usual one. Any other size is bound, so that sizes asked for in the
# address do not each fill the compiled statements' cache and every connection's prepared ones.
LITERAL_PAGE_SIZES = frozenset({PAGE_SIZE})


def _limit(rows: int, page_size: int) -> ColumnElement[int] | int:
    return literal_column(str(int(rows))) if page_size in LITERAL_PAGE_SIZES else rows


def _parameters(
    tribunal: Tribunal, filters: DocketFilters, cursor: Cursor | None
) -> dict[str, Any]:
    """Return the values of a kept statement's parameters for this request."""
    values: dict[str, Any] = {"tribunal_id": tribunal.id}
    if filters.overdue:
        values["today"] = today_in(tribunal)
    if cursor is not None:
        values["cursor_id"] = cursor.id
        if cursor.key is not None:
            values["cursor_key"] = cursor.key
    return values


class SearchPlan(enum.Enum):
    """How PostgreSQL finds a page of search results (see `_fetch`)."""

    PLAIN = "plain"  # the filters as they are
    RECENT = "recent"  # only among the newest SEARCH_WINDOW cases from the cursor on
    BY_WORDS = "by_words"  # every match from the index of words first, then sorted


# A search first looks among this many of the newest cases for a page of matches.
SEARCH_WINDOW = 5000


def _rows_statement(
    dialect: str,
    tribunal: Tribunal,
    filters: DocketFilters,
    cursor: Cursor | None,
    limit: int,
    plan: SearchPlan = SearchPlan.PLAIN,
) -> Select[Any]:
    adjudicator = aliased(User)
    claimant_name = (
        select(CaseParty.name)
        .where(CaseParty.filing_id == Filing.id, CaseParty.role == PartyRole.CLAIMANT)
        .order_by(CaseParty.created_at, CaseParty.id)
        .limit(1)
        .correlate(Filing)
        .scalar_subquery()
    )
    statement = (
        select(
            Filing.id,
            Filing.reference,
            claimant_name.label("claimant_name"),
            CaseTypeVersion.title_en,
            CaseTypeVersion.title_fr,
            Filing.status,
            Filing.submitted_at,
            Filing.due_on,
            Filing.due_from,
            adjudicator.name.label("adjudicator_name"),
            Filing.language,
            Filing.awaiting_payment,
        )
        .join(CaseTypeVersion, CaseTypeVersion.id == Filing.case_type_version_id)
        .outerjoin(adjudicator, adjudicator.id == Filing.assigned_adjudicator_id)
    )
    after = _after(cursor) if cursor is not None and cursor.sort is filters.sort else None
    if plan is SearchPlan.BY_WORDS:
        # Materialised, so that PostgreSQL reads the matches from the index of words and
        # sorts them, rather than walking the whole docket in order looking for them.
        search = _search_clause(dialect, filters.q)
        assert search is not None
        matches = (
            select(Filing.id)
            .where(Filing.tribunal_id == _tribunal_id(tribunal), search)
            .cte("matches")
            .prefix_with("MATERIALIZED")
        )
        statement = statement.join(matches, matches.c.id == Filing.id).where(
            *_conditions(dialect, tribunal, filters, with_search=False)
        )
    else:
        statement = statement.where(*_conditions(dialect, tribunal, filters))
    if plan is SearchPlan.RECENT:
        # The oldest received date among the next SEARCH_WINDOW cases, read from the index:
        # the search then reads at most that range, however rare its words.
        window = select(Filing.submitted_at).where(
            *_conditions(dialect, tribunal, filters, with_search=False)
        )
        if after is not None:
            window = window.where(after)
        newest = (
            window.order_by(Filing.submitted_at.desc(), Filing.id.desc())
            .limit(SEARCH_WINDOW)
            .subquery()
        )
        oldest_in_window = select(func.min(newest.c.submitted_at)).scalar_subquery()
        statement = statement.where(Filing.submitted_at >= oldest_in_window)
    if after is not None:
        statement = statement.where(after)
    if filters.sort is Sort.RECEIVED:
        statement = statement.order_by(Filing.submitted_at.desc(), Filing.id.desc())
    else:
        statement = statement.order_by(Filing.due_on.asc().nulls_last(), Filing.id.asc())
    # One more row than the page, to tell whether another follows.
    return statement.limit(_limit(limit, limit - 1))


def _row(values: tuple[Any, ...]) -> DocketRow:
    """Return the docket row of a row of `_rows_statement` (its columns in order)."""
    (
        filing_id,
        reference,
        claimant_name,
        title_en,
        title_fr,
        status,
        submitted_at,
        due_on,
        due_from,
        adjudicator_name,
        language,
        awaiting_payment,
    ) = values
    return DocketRow(
        id=filing_id,
        reference=reference or "",
        claimant_name=claimant_name or "",
        case_type_title_en=title_en,
        case_type_title_fr=title_fr,
        status=status,
        submitted_at=submitted_at,
        due_on=due_on,
        due_from=due_from,
        adjudicator_name=adjudicator_name,
        language=language,
        awaiting_payment=awaiting_payment,
    )


async def _fetch(
    db: AsyncSession,
    tribunal: Tribunal,
    filters: DocketFilters,
    cursor: Cursor | None,
    size: int,
) -> tuple[list[DocketRow], bool]:
    """Return a page of rows and whether more follow (one statement, two for some searches).

    On PostgreSQL a search cannot both use the index of words and come out in docket order,
    and the planner, which cannot tell a common name from a rare one by a prefix, walks the
    docket in order testing each case: fast for a common name, the whole docket for a rare
    one. So a search sorted by date received looks among the newest SEARCH_WINDOW cases
    first; if they hold less than a page, its words are rare, and the index of words finds
    every match cheaply.
    """
    dialect = db.get_bind().dialect.name

    connection = await db.connection()
    cursor_kind = None if cursor is None else (cursor.sort, cursor.key is None)

    async def run(plan: SearchPlan) -> list[DocketRow]:
        statement = _kept(
            _shape(dialect, filters, "rows", cursor_kind, size, plan),
            lambda: _rows_statement(dialect, tribunal, filters, cursor, size + 1, plan),
        )
        rows = await statement.tuples(connection, _parameters(tribunal, filters, cursor))
        return [_row(values) for values in rows]

    searching = (
        dialect == "postgresql"
        and bool(search_words(filters.q))
        and _whole_reference(filters.q) is None
    )
    if not searching:
        rows = await run(SearchPlan.PLAIN)
    elif filters.sort is Sort.RECEIVED:
        rows = await run(SearchPlan.RECENT)
        if len(rows) <= size:
            rows = await run(SearchPlan.BY_WORDS)
    else:
        rows = await run(SearchPlan.BY_WORDS)
    return rows[:size], len(rows) > size


def _capped_count(
    conditions: Sequence[ColumnElement[bool]], status: FilingStatus, cap: int
) -> ColumnElement[int]:
    # Counting stops at cap + 1 rows: an index range read of at most that many entries,
    # where an exact count would read every case of the status (a million, in a big tribunal).
    rows = (
        select(literal_column("1"))
        .where(*conditions, Filing.status == status)
        .limit(literal_column(str(int(cap + 1))))
        .subquery()
    )
    return select(func.count()).select_from(rows).scalar_subquery()


def _index_served(filters: DocketFilters) -> bool:
    """Whether the filters other than status are served by the (tribunal, status, received)
    index, so that each status's count is a short index range read."""
    return not (
        filters.case_type_id
        or filters.adjudicator_id
        or filters.overdue
        or filters.awaiting_payment
        or filters.language
        or filters.flags
    )


async def status_counts(
    db: AsyncSession, tribunal: Tribunal, filters: DocketFilters, *, cap: int
) -> StatusCounts | None:
    """Count the cases per status for the filters, leaving out the status filter, in at most
    one statement whose cost does not grow with the tribunal:

    - with no filter but dates, each status is counted up to `cap` from the index;
    - with other filters, up to `cap` matching cases are read once and grouped by status;
      when there are more, only "more than `cap`" is known;
    - a search is not counted (None): the matches of a common name can be a large part of
      the docket, and only reading them all would count them.
    """
    if filters.q:
        return None
    dialect = db.get_bind().dialect.name
    connection = await db.connection()
    parameters = _parameters(tribunal, filters, None)
    if _index_served(filters):

        def build() -> Select[Any]:
            # The same conditions (and parameters) serve every status's count.
            conditions = _conditions(dialect, tribunal, filters, with_status=False)
            counts = [
                _capped_count(conditions, status, cap).label(status.value)
                for status in CASE_STATUSES
            ]
            return cast("Select[Any]", select(*counts))

        key = _shape(dialect, filters, "counts", cap)
        (values,) = await _kept(key, build).tuples(connection, parameters)
        return StatusCounts(
            per_status={
                status: min(int(count), cap)
                for status, count in zip(CASE_STATUSES, values, strict=True)
            },
            more_than=frozenset(
                status for status, count in zip(CASE_STATUSES, values, strict=True) if count > cap
            ),
        )

    def build_grouped() -> Select[Any]:
        matching = (
            select(Filing.status)
            .where(*_conditions(dialect, tribunal, filters, any_status=True))
            .limit(literal_column(str(int(cap + 1))))
            .subquery()
        )
        return select(matching.c.status, func.count()).group_by(matching.c.status)

    key = _shape(dialect, filters, "grouped counts", cap)
    grouped = await _kept(key, build_grouped).tuples(connection, parameters)
    per_status: dict[FilingStatus, int] = dict.fromkeys(CASE_STATUSES, 0)
    for status, count in grouped:
        per_status[status] = count
    if sum(per_status.values()) > cap:
        return StatusCounts(per_status={}, over=cap)
    return StatusCounts(per_status=per_status)


async def docket_page(
    db: AsyncSession,
    tribunal: Tribunal,
    filters: DocketFilters,
    *,
    after: str = "",
    size: int = PAGE_SIZE,
    count_cap: int | None = None,
) -> DocketPage:
    """Return one page of the docket (two statements: the rows, the counts per status)."""
    cursor = decode_cursor(after, filters.sort) if after else None
    rows, more = await _fetch(db, tribunal, filters, cursor, size)
    next_cursor = encode_cursor(filters.sort, rows[-1]) if more and rows else None
    cap = COUNT_CAP if count_cap is None else count_cap
    counts = await status_counts(db, tribunal, filters, cap=cap)
    return DocketPage(rows=rows, next_cursor=next_cursor, counts=counts, statuses=filters.statuses)


async def all_rows(
    db: AsyncSession, tribunal: Tribunal, filters: DocketFilters, *, batch: int = EXPORT_BATCH
) -> AsyncIterator[DocketRow]:
    """Yield every row of the filtered docket, in keyset batches (memory stays flat)."""
    cursor: Cursor | None = None
    while True:
        rows, more = await _fetch(db, tribunal, filters, cursor, batch)
        for row in rows:
            yield row
        if not more or not rows:
            return
        last = rows[-1]
        key: datetime | date | None = (
            last.submitted_at if filters.sort is Sort.RECEIVED else last.due_on
        )
        cursor = Cursor(filters.sort, key, last.id)


# Filter choices --------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    title_en: str
    title_fr: str = ""

    @property
    def text(self) -> str:
        title = self.title_fr if i18n.get_language() == "fr" else ""
        return title or self.title_en


async def case_type_choices(db: AsyncSession, tribunal: Tribunal) -> list[Choice]:
    """Return the tribunal's case types, each titled by its latest version (one statement)."""
    result = await db.execute(
        select(
            CaseTypeVersion.case_type_id,
            CaseTypeVersion.number,
            CaseTypeVersion.title_en,
            CaseTypeVersion.title_fr,
        ).where(CaseTypeVersion.tribunal_id == tribunal.id)
    )
    latest: dict[uuid.UUID, tuple[int, str, str]] = {}
    for case_type_id, number, title_en, title_fr in result:
        if case_type_id not in latest or number > latest[case_type_id][0]:
            latest[case_type_id] = (number, title_en, title_fr)
    choices = [Choice(key.hex, en, fr) for key, (_number, en, fr) in latest.items()]
    return sorted(choices, key=lambda choice: choice.title_en.lower())


async def adjudicator_choices(db: AsyncSession, tribunal: Tribunal) -> list[Choice]:
    """Return the tribunal's adjudicators (one statement)."""
    result = await db.execute(
        select(User.id, User.name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tribunal_id == tribunal.id, Membership.role == Role.ADJUDICATOR)
        .order_by(User.name, User.id)
    )
    return [Choice(user_id.hex, name) for user_id, name in result]
