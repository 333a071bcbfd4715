"""Validation of the hearing calendar forms into typed values, with translated messages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, time
from typing import Any

from babel.dates import get_day_names

from hearings.calendars.services import (
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    ExceptionValues,
    InterpreterValues,
    RoomValues,
    SettingsValues,
)
from hearings.models import ExceptionKind, ExceptionReason, HearingMode
from tribune import i18n
from tribune.forms import MAX_PHONE_LENGTH, Form, is_phone_number, is_usable_date
from tribune.i18n import gettext as _
from tribune.languages import LANGUAGES

WEEKDAYS = range(7)  # Monday is 0, as date.weekday()
# Intervals a weekly pattern's form offers per weekday (the tables allow any number).
INTERVALS_PER_DAY = 2
MAX_NOTICE_BUSINESS_DAYS = 120
MAX_WINDOW_DAYS = 730
# Reminders of a hearing: at most this many, each from 1 to MAX_REMINDER_DAYS days before it.
MAX_REMINDERS = 3
MAX_REMINDER_DAYS = 30
MAX_CAPACITY = 2000

_TIME = re.compile(r"(?P<hour>[0-9]{1,2})[:h](?P<minute>[0-9]{2})(?::00)?", re.ASCII)
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}", re.ASCII)


def weekday_names() -> list[str]:
    """Return the names of the weekdays, Monday first, in the current language, as written
    within a sentence ("Monday", "lundi")."""
    names = get_day_names("wide", locale=i18n.get_language())
    return [str(names[weekday]) for weekday in WEEKDAYS]


def format_time(value: time | None) -> str:
    """Return a time as a time field shows it (09:30), or nothing."""
    return value.strftime("%H:%M") if value is not None else ""


def read_time(form: Form, name: str, *, required: str | None = None) -> time | None:
    """Return the time typed in a field (09:30, 9:30 or 9h30, on the quarter hour), or None
    if it is empty or wrong (with a message for the field)."""
    text = form.values.get(name, "").strip()
    if not text:
        if required:
            form.add_error(name, required)
        return None
    matched = _TIME.fullmatch(text)
    if matched is None or int(matched["hour"]) > 23 or int(matched["minute"]) > 59:
        form.add_error(name, _("Enter a time in hours and minutes, like 09:30 or 14:00"))
        return None
    if int(matched["minute"]) % 15:
        form.add_error(name, _("Enter a time on the quarter hour, like 09:00, 09:15 or 09:30"))
        return None
    return time(int(matched["hour"]), int(matched["minute"]))


def read_whole_number(
    form: Form, name: str, low: int, high: int, *, required: str, out_of_bounds: str
) -> int | None:
    text = form.values.get(name, "").strip()
    if not text:
        form.add_error(name, required)
        return None
    if not _WHOLE_NUMBER.fullmatch(text) or not low <= int(text) <= high:
        form.add_error(name, out_of_bounds)
        return None
    return int(text)


def read_date(form: Form, name: str, *, required: str | None) -> date | None:
    """Return the date in a date field (YYYY-MM-DD, as browsers send it), or None."""
    text = form.values.get(name, "").strip()
    if not text:
        if required:
            form.add_error(name, required)
        return None
    try:
        day = (
            date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
        )
    except ValueError:
        day = None
    if day is None or not is_usable_date(day):
        form.add_error(name, _("Enter a real date, like 2027-03-15"))
        return None
    return day


def _interval(
    form: Form, start_name: str, end_name: str, *, required: bool
) -> tuple[time, time] | None:
    """Return a start and end time from two fields, or None if both are empty or wrong."""
    both_empty = not form.value(start_name).strip() and not form.value(end_name).strip()
    if both_empty and not required:
        return None
    start = read_time(form, start_name, required=_("Enter the start time"))
    end = read_time(form, end_name, required=_("Enter the end time"))
    if start is None or end is None:
        return None
    if end <= start:
        form.add_error(end_name, _("The end time must be after the start time"))
        return None
    return start, end


# -- settings -------------------------------------------------------------------------------


def settings_form(data: Mapping[str, Any]) -> tuple[Form, SettingsValues | None]:
    form = Form(data)
    hours: dict[int, tuple[time, time]] = {}
    for weekday in WEEKDAYS:
        if form.value(f"open-{weekday}") == "yes":
            interval = _interval(form, f"start-{weekday}", f"end-{weekday}", required=True)
            if interval is not None:
                hours[weekday] = interval
    modes = [value for value in form.lists.get("modes", []) if value]
    if not modes or any(value not in {mode.value for mode in HearingMode} for value in modes):
        form.add_error("modes", _("Select at least one way hearings are held"))
    notice = read_whole_number(
        form,
        "minimum_notice_business_days",
        0,
        MAX_NOTICE_BUSINESS_DAYS,
        required=_("Enter the minimum notice in business days"),
        out_of_bounds=_(
            "Enter a minimum notice of 0 to %(n)s business days", n=MAX_NOTICE_BUSINESS_DAYS
        ),
    )
    window = read_whole_number(
        form,
        "unavailability_window_days",
        1,
        MAX_WINDOW_DAYS,
        required=_("Enter how many days ahead parties may give dates they cannot attend"),
        out_of_bounds=_("Enter a number of days from 1 to %(n)s", n=MAX_WINDOW_DAYS),
    )
    dial_in_en = form.text("dial_in_en", max_length=1000, multiline=True)
    dial_in_fr = form.text("dial_in_fr", max_length=1000, multiline=True)
    if HearingMode.TELEPHONE.value in modes and not (dial_in_en and dial_in_fr):
        form.add_error(
            "dial_in_en" if not dial_in_en else "dial_in_fr",
            _("Enter the telephone dial-in details in English and in French"),
        )
    if not any(form.value(f"open-{weekday}") == "yes" for weekday in WEEKDAYS):
        form.add_error("open-0", _("Select at least one day on which hearings are held"))
    reminder_days = read_reminder_days(form)
    if not form.is_valid or notice is None or window is None or reminder_days is None:
        return form, None
    return form, SettingsValues(
        hours=hours,
        modes=[HearingMode(value) for value in modes],
        minimum_notice_business_days=notice,
        unavailability_window_days=window,
        dial_in_en=dial_in_en,
        dial_in_fr=dial_in_fr,
        reminder_days=reminder_days,
    )


def read_reminder_days(form: Form) -> list[int] | None:
    """Read the days before a hearing its reminders go out ("7, 1"; empty for none): up to
    MAX_REMINDERS different whole numbers from 1 to MAX_REMINDER_DAYS. Return them, the
    largest first, or None with the field's error."""
    text = form.text("reminder_days", max_length=40)
    words = [word for word in re.split(r"[\s,;]+", text) if word]
    message = _(
        "Enter up to %(count)s different numbers of days from 1 to %(max)s, separated by commas,"
        " such as 7, 1",
        count=MAX_REMINDERS,
        max=MAX_REMINDER_DAYS,
    )
    if "reminder_days" in form.errors:
        return None
    if not all(word.isascii() and word.isdigit() and len(word) <= 3 for word in words):
        form.add_error("reminder_days", message)
        return None
    days = [int(word) for word in words]
    if (
        len(days) > MAX_REMINDERS
        or len(set(days)) != len(days)
        or any(not 1 <= day <= MAX_REMINDER_DAYS for day in days)
    ):
        form.add_error("reminder_days", message)
        return None
    return sorted(days, reverse=True)


def duration_field(case_type_id: uuid.UUID, mode: HearingMode) -> str:
    return f"duration-{case_type_id}-{mode.value}"


def durations_form(
    data: Mapping[str, Any], case_type_ids: Sequence[uuid.UUID], modes: Sequence[HearingMode]
) -> tuple[Form, dict[tuple[uuid.UUID, HearingMode], int] | None]:
    """Read the default duration of each case type in each mode; an empty field sets none."""
    form = Form(data)
    durations: dict[tuple[uuid.UUID, HearingMode], int] = {}
    for case_type_id in case_type_ids:
        for mode in modes:
            name = duration_field(case_type_id, mode)
            text = form.value(name).strip()
            if not text:
                continue
            if not _WHOLE_NUMBER.fullmatch(text) or not (
                MIN_DURATION_MINUTES <= int(text) <= MAX_DURATION_MINUTES
            ):
                form.add_error(
                    name,
                    _(
                        "Enter a duration from %(low)s to %(high)s minutes",
                        low=MIN_DURATION_MINUTES,
                        high=MAX_DURATION_MINUTES,
                    ),
                )
                continue
            durations[(case_type_id, mode)] = int(text)
    return form, durations if form.is_valid else None


# -- availability ---------------------------------------------------------------------------


def pattern_field(part: str, weekday: int, number: int) -> str:
    return f"{part}-{weekday}-{number}"


def pattern_form(data: Mapping[str, Any]) -> tuple[Form, list[tuple[int, time, time]] | None]:
    """Read a weekly pattern: up to INTERVALS_PER_DAY intervals a weekday, none overlapping."""
    form = Form(data)
    intervals: list[tuple[int, time, time]] = []
    for weekday in WEEKDAYS:
        day: list[tuple[time, time]] = []
        for number in range(1, INTERVALS_PER_DAY + 1):
            start_name = pattern_field("start", weekday, number)
            end_name = pattern_field("end", weekday, number)
            interval = _interval(form, start_name, end_name, required=False)
            if interval is None:
                continue
            if any(interval[0] < end and start < interval[1] for start, end in day):
                form.add_error(start_name, _("The times of one day must not overlap"))
                continue
            day.append(interval)
            intervals.append((weekday, *interval))
    return form, intervals if form.is_valid else None


def exception_form(data: Mapping[str, Any]) -> tuple[Form, ExceptionValues | None]:
    form = Form(data)
    kind = form.choice(
        "kind",
        [kind.value for kind in ExceptionKind],
        required=_("Select whether this is time off or extra availability"),
    )
    span = form.choice("span", ["days", "hours"], required=_("Select whole days or part of a day"))
    reason = form.choice(
        "reason",
        [reason.value for reason in ExceptionReason],
        required=_("Select a reason"),
    )
    note = form.text("note", max_length=200)
    if kind == ExceptionKind.AVAILABLE.value and span == "days":
        form.add_error("span", _("Give extra availability as a day with start and end times"))
    values = None
    if span == "days":
        first = read_date(form, "first_day", required=_("Enter the first day"))
        last = read_date(form, "last_day", required=None) or first
        if first is not None and last is not None:
            if last < first:
                form.add_error("last_day", _("The last day must be on or after the first day"))
            else:
                values = ExceptionValues(
                    ExceptionKind.UNAVAILABLE, ExceptionReason.OTHER, days=(first, last)
                )
    elif span == "hours":
        day = read_date(form, "day", required=_("Enter the day"))
        interval = _interval(form, "start", "end", required=True)
        if day is not None and interval is not None:
            values = ExceptionValues(
                ExceptionKind.UNAVAILABLE, ExceptionReason.OTHER, part_of_day=(day, *interval)
            )
    if not form.is_valid or values is None:
        return form, None
    values.kind = ExceptionKind(kind)
    values.reason = ExceptionReason(reason)
    values.note = note
    return form, values


# -- interpreters and rooms -----------------------------------------------------------------


def interpreter_form(data: Mapping[str, Any]) -> tuple[Form, InterpreterValues | None]:
    form = Form(data)
    name = form.text("name", required=_("Enter the interpreter's name"), max_length=200)
    languages = [value for value in form.lists.get("languages", []) if value]
    if not languages or any(code not in LANGUAGES for code in languages):
        form.add_error("languages", _("Select the languages the interpreter works in"))
    email = form.email("email", required=_("Enter the interpreter's email address"))
    phone = form.text("phone", max_length=MAX_PHONE_LENGTH)
    if phone and "phone" not in form.errors and not is_phone_number(phone):
        form.add_error("phone", _("Enter a telephone number, like 416 555 0123"))
    if not form.is_valid:
        return form, None
    ordered = [code for code in LANGUAGES if code in set(languages)]
    return form, InterpreterValues(name=name, languages=ordered, email=email, phone=phone)


def room_form(data: Mapping[str, Any]) -> tuple[Form, RoomValues | None]:
    form = Form(data)
    name = form.text("name", required=_("Enter the room's name"), max_length=200)
    address = form.text(
        "address", required=_("Enter the room's address"), max_length=1000, multiline=True
    )
    capacity = read_whole_number(
        form,
        "capacity",
        1,
        MAX_CAPACITY,
        required=_("Enter how many people the room holds"),
        out_of_bounds=_("Enter a capacity from 1 to %(n)s people", n=MAX_CAPACITY),
    )
    notes = form.text("accessibility_notes", max_length=2000, multiline=True)
    if not form.is_valid or capacity is None:
        return form, None
    return form, RoomValues(
        name=name, capacity=capacity, address=address, accessibility_notes=notes
    )
