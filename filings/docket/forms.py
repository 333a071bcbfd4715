"""Reading the docket's filters from the query string."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from filings.docket.flags import registered_flags
from filings.docket.queries import (
    MAX_PAGE_SIZE,
    MIN_PAGE_SIZE,
    PAGE_SIZE,
    Choice,
    DocketFilters,
    Sort,
)
from filings.models import FilingStatus
from tribune.forms import is_usable_date
from tribune.i18n import LANGUAGES
from tribune.i18n import gettext as _

# Parsing the filters ---------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_date(value: str) -> date:
    if not _DATE.match(value):
        raise ValueError(value)
    day = date.fromisoformat(value)
    if not is_usable_date(day):
        raise ValueError(value)
    return day


def parse_filters(
    params: Any,
    *,
    case_types: Sequence[Choice],
    adjudicators: Sequence[Choice],
) -> tuple[DocketFilters, dict[str, str]]:
    """Return the filters in a query string and the messages for the values that are wrong
    (wrong values are left out of the filters)."""
    errors: dict[str, str] = {}
    filters = DocketFilters()
    statuses: list[FilingStatus] = []
    for value in params.getlist("status"):
        if not value:
            continue
        try:
            status = FilingStatus(value)
        except ValueError:
            status = FilingStatus.DRAFT
        if not status.is_case:
            errors.setdefault("status", _("Select a status from the list"))
        elif status not in statuses:
            statuses.append(status)
    filters = replace(filters, statuses=tuple(statuses))
    case_type = params.get("case_type", "").strip()
    if case_type:
        if case_type in {choice.value for choice in case_types}:
            filters = replace(filters, case_type_id=uuid.UUID(hex=case_type))
        else:
            errors["case_type"] = _("Select a case type from the list")
    adjudicator = params.get("adjudicator", "").strip()
    if adjudicator:
        if adjudicator in {choice.value for choice in adjudicators}:
            filters = replace(filters, adjudicator_id=uuid.UUID(hex=adjudicator))
        else:
            errors["adjudicator"] = _("Select an adjudicator from the list")
    dates: dict[str, date | None] = {}
    for name in ("received_from", "received_to"):
        value = params.get(name, "").strip()
        if value:
            try:
                dates[name] = _parse_date(value)
            except ValueError:
                errors[name] = _("Enter a real date, like 2026-03-31")
    filters = replace(
        filters, received_from=dates.get("received_from"), received_to=dates.get("received_to")
    )
    if (
        filters.received_from
        and filters.received_to
        and filters.received_from > filters.received_to
    ):
        errors["received_to"] = _("The end date must be the same as or after the start date")
        filters = replace(filters, received_to=None)
    overdue = params.get("overdue", "")
    if overdue == "yes":
        filters = replace(filters, overdue=True)
    elif overdue:
        errors["overdue"] = _("Select whether to show only overdue cases")
    awaiting_payment = params.get("awaiting_payment", "")
    if awaiting_payment == "yes":
        filters = replace(filters, awaiting_payment=True)
    elif awaiting_payment:
        errors["awaiting_payment"] = _("Select whether to show only cases awaiting payment")
    flags: list[str] = []
    for flag in registered_flags():
        value = params.get(flag.key, "")
        if value == "yes":
            flags.append(flag.key)
        elif value:
            errors[flag.key] = str(flag.error)
    filters = replace(filters, flags=tuple(flags))
    language = params.get("language", "").strip()
    if language in LANGUAGES:
        filters = replace(filters, language=language)
    elif language:
        errors["language"] = _("Select English or French")
    q = params.get("q", "")
    if any(ord(char) < 32 for char in q):
        errors["q"] = _("Remove the control characters from the search")
    elif len(q) > 200:
        errors["q"] = _("Search for 200 characters or fewer")
    else:
        filters = replace(filters, q=q.strip())
    sort = params.get("sort", "").strip()
    if sort == Sort.DUE.value:
        filters = replace(filters, sort=Sort.DUE)
    elif sort and sort != Sort.RECEIVED.value:
        errors["sort"] = _("Select how to sort the cases")
    return filters, errors


def page_size(value: str) -> int:
    try:
        size = int(value)
    except ValueError:
        return PAGE_SIZE
    return min(max(size, MIN_PAGE_SIZE), MAX_PAGE_SIZE)
