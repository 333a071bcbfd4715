"""The administrators' forms of the service standards, read into typed values with messages in
the reader's language: a definition (a new standard's, or a new version's), a correction's
note, and a quarter named in an address."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from accountability.standards.models import ClockUnit, StandardVersion
from accountability.standards.periods import Quarter
from accountability.standards.services import (
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    DefinitionValues,
)
from accountability.standards.snapshots import CORRECTION_NOTE_MAX_LENGTH
from tribune.forms import Form, date_from_parts
from tribune.i18n import gettext as _
from tribune.i18n import lazy_gettext

UNIT_LABELS = {
    ClockUnit.BUSINESS_DAYS: lazy_gettext("Business days (weekdays but holidays)"),
    ClockUnit.CALENDAR_DAYS: lazy_gettext("Calendar days"),
}
# The units as a sentence names them: "80 % within 10 days (business days)".
UNIT_NAMES = {
    ClockUnit.BUSINESS_DAYS: lazy_gettext("business days"),
    ClockUnit.CALENDAR_DAYS: lazy_gettext("calendar days"),
}
# The fields of a definition, in the order the form shows them (and its error summary).
FIELDS = (
    "code",
    "name_en",
    "name_fr",
    "description_en",
    "description_fr",
    "start_event",
    "stop_event",
    "pause_event",
    "resume_event",
    "case_type_code",
    "limit_days",
    "unit",
    "target_percent",
    "effective_from",
    "note",
)
# The longest number a numeric field reads: anything longer is not a limit or a percentage.
_NUMBER = re.compile(r"[0-9]{1,6}")
# A quarter in an address: its fiscal year and number, "2026-q1".
_QUARTER = re.compile(r"([0-9]{4})-q([1-4])")
EARLIEST_FISCAL_YEAR = 1990
LATEST_FISCAL_YEAR = 2190
# The day a definition is checked with when the one typed is not a date: a quarter's first,
# after any published, so that the service's other checks say nothing of it.
_STAND_IN_DAY = date(2190, 4, 1)


def quarter_key(quarter: Quarter) -> str:
    """Return how an address names a quarter: "2026-q1"."""
    return f"{quarter.fiscal_year}-q{quarter.number}"


def quarter_from_key(key: str) -> Quarter | None:
    """Return the quarter an address names, or None if it names none the platform measures."""
    matched = _QUARTER.fullmatch(key)
    if matched is None:
        return None
    fiscal_year = int(matched.group(1))
    if not EARLIEST_FISCAL_YEAR <= fiscal_year <= LATEST_FISCAL_YEAR:
        return None
    return Quarter(fiscal_year, int(matched.group(2)))


def version_form(version: StandardVersion, *, code: str = "") -> Form:
    """Return a definition form filled with a version's values (a new version starts from the
    one in force), its note and date left for the administrator."""
    return Form(
        {
            "code": code,
            "name_en": version.name_en,
            "name_fr": version.name_fr,
            "description_en": version.description_en,
            "description_fr": version.description_fr,
            "start_event": version.start_event,
            "stop_event": version.stop_event,
            "pause_event": version.pause_event or "",
            "resume_event": version.resume_event or "",
            "case_type_code": version.case_type_code or "",
            "limit_days": str(version.limit_days),
            "unit": version.unit.value,
            "target_percent": str(version.target_percent),
        }
    )


def _whole_number(form: Form, name: str, message: str) -> int | None:
    value = form.value(name).strip()
    if not _NUMBER.fullmatch(value):
        form.add_error(name, message)
        return None
    return int(value)


def definition_form(data: Mapping[str, Any]) -> tuple[Form, DefinitionValues, bool]:
    """Read a definition as typed. Return the form (with the errors of what could not be read:
    numbers, the date, overlong or unprintable texts), the values (where a field could not be
    read, a stand-in the service accepts, so that it can still check the others), and whether
    the values are the ones typed (no field needed a stand-in)."""
    form = Form(data)
    name_en = form.text("name_en", max_length=NAME_MAX_LENGTH)
    name_fr = form.text("name_fr", max_length=NAME_MAX_LENGTH)
    description_en = form.text("description_en", max_length=DESCRIPTION_MAX_LENGTH, multiline=True)
    description_fr = form.text("description_fr", max_length=DESCRIPTION_MAX_LENGTH, multiline=True)
    note = form.text("note", max_length=NOTE_MAX_LENGTH, multiline=True)
    limit = _whole_number(
        form, "limit_days", _("Enter the limit as a whole number of days, like 10")
    )
    target = _whole_number(
        form, "target_percent", _("Enter the target as a whole number of percent, like 80")
    )
    unit_value = form.value("unit").strip()
    unit = ClockUnit(unit_value) if unit_value in {u.value for u in ClockUnit} else None
    if unit is None:
        form.add_error("unit", _("Select business days or calendar days"))
    effective_from = date_from_parts(
        form.value("effective_from-day").strip(),
        form.value("effective_from-month").strip(),
        form.value("effective_from-year").strip(),
    )
    if effective_from is None:
        form.add_error(
            "effective_from",
            _("Enter the day the definition applies from as a real date, like 1 4 2027"),
        )

    # A text the form refused is checked no further by the service (it would say the same
    # thing twice, or something else of a text that is not the one typed).
    def checked(name: str, value: str, stand_in: str = "") -> str:
        return stand_in if name in form.errors else value

    values = DefinitionValues(
        name_en=checked("name_en", name_en, "x"),
        name_fr=checked("name_fr", name_fr, "x"),
        description_en=checked("description_en", description_en),
        description_fr=checked("description_fr", description_fr),
        start_event=form.value("start_event").strip(),
        stop_event=form.value("stop_event").strip(),
        pause_event=form.value("pause_event").strip() or None,
        resume_event=form.value("resume_event").strip() or None,
        case_type_code=form.value("case_type_code").strip() or None,
        limit_days=1 if limit is None else limit,
        unit=unit or ClockUnit.CALENDAR_DAYS,
        target_percent=1 if target is None else target,
        effective_from=effective_from or _STAND_IN_DAY,
        note=checked("note", note),
    )
    return form, values, not form.errors


def merge_errors(form: Form, errors: Mapping[str, str]) -> None:
    """Add the service's messages to the form's (the form's first, field by field), in the
    order the form shows its fields."""
    merged = {**errors, **form.errors}
    form.errors = {name: merged[name] for name in FIELDS if name in merged}
    form.errors |= {name: message for name, message in merged.items() if name not in FIELDS}


def correction_form(data: Mapping[str, Any]) -> tuple[Form, str | None]:
    """Read a correction's note: required, at most `CORRECTION_NOTE_MAX_LENGTH` characters."""
    form = Form(data)
    note = form.text(
        "note",
        required=_("Say what the correction changes, and why."),
        max_length=CORRECTION_NOTE_MAX_LENGTH,
        multiline=True,
    )
    return form, None if form.errors else note


__all__ = [
    "FIELDS",
    "UNIT_LABELS",
    "UNIT_NAMES",
    "correction_form",
    "definition_form",
    "merge_errors",
    "quarter_from_key",
    "quarter_key",
    "version_form",
]
