"""Calendar invitations of hearings (iCalendar, RFC 5545, with the iTIP methods of RFC 5546).

One event per hearing, named by the hearing's ``calendar_uid`` for its whole life, so that a
calendar program updates the event it already holds when the hearing moves (the same UID, a
higher SEQUENCE) and removes it when the hearing is cancelled or adjourned (METHOD:CANCEL,
STATUS:CANCELLED). Times are written in UTC: every calendar program reads them, and each
shows them in its own zone, with no VTIMEZONE to go stale.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

PRODUCT_ID = "-//Tribune//Notices of hearing//EN"


class Method(enum.StrEnum):
    """The iTIP method of a calendar object (RFC 5546, section 1.4)."""

    REQUEST = "REQUEST"  # a new event, or a change to one the attendee holds
    CANCEL = "CANCEL"  # remove the event


@dataclass(frozen=True)
class Invite:
    """What one attendee's invitation to one hearing says, in their language."""

    method: Method
    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    organizer_email: str
    organizer_name: str
    attendee_email: str
    attendee_name: str
    language: str  # en or fr: the language of the summary and description
    summary: str
    description: str
    url: str = ""
    location: str = ""


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key.upper()] = value
    return address


def calendar_of(invite: Invite, now: datetime) -> str:
    """Return the iCalendar object of an invitation (its text, with CRLF line endings), stamped
    ``now``: METHOD on the calendar; on the event UID, SEQUENCE, DTSTAMP, DTSTART and DTEND
    in UTC, ORGANIZER and ATTENDEE, SUMMARY and DESCRIPTION in the attendee's language, URL
    and LOCATION, and STATUS (CONFIRMED, or CANCELLED with METHOD:CANCEL)."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", invite.method.value)
    event = Event()
    event.add("uid", invite.uid)
    event.add("sequence", invite.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", invite.starts_at.astimezone(UTC))
    event.add("dtend", invite.ends_at.astimezone(UTC))
    event.add("organizer", _address(invite.organizer_email, invite.organizer_name))
    if invite.attendee_email:
        event.add(
            "attendee",
            _address(
                invite.attendee_email,
                invite.attendee_name,
                role="REQ-PARTICIPANT",
                partstat="NEEDS-ACTION",
                rsvp="FALSE",
            ),
        )
    language = "fr-CA" if invite.language == "fr" else "en-CA"
    event.add("summary", invite.summary, parameters={"LANGUAGE": language})
    event.add("description", invite.description, parameters={"LANGUAGE": language})
    if invite.url:
        event.add("url", invite.url)
    if invite.location:
        event.add("location", invite.location, parameters={"LANGUAGE": language})
    cancelled = invite.method is Method.CANCEL
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    calendar.add_component(event)
    text: bytes = calendar.to_ical()
    return text.decode("utf-8")
