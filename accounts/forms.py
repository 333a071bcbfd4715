"""Account forms: what the user typed, turned into checked values."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any
from zoneinfo import available_timezones

from babel.support import LazyProxy

from accounts.passwords import password_problem
from tribune.forms import Form
from tribune.i18n import LANGUAGES, lazy_gettext
from tribune.i18n import gettext as _


def name_field(form: Form) -> str:
    return form.text("name", required=_("Enter your full name"), max_length=200)


def new_password_field(form: Form, email: str, field: str = "password") -> str:
    password = form.password(field, required=_("Enter a password"))
    if password:
        problem = password_problem(password, email)
        if problem:
            form.add_error(field, problem)
        elif form.value(f"{field}_confirmation") != password:
            form.add_error(f"{field}_confirmation", _("The passwords do not match"))
    return password


def language_field(form: Form) -> str:
    return form.choice("language", LANGUAGES, required=_("Select the language you want us to use"))


def registration_form(data: Mapping[str, Any]) -> Form:
    form = Form(data)
    name_field(form)
    email = form.email("email", required=_("Enter your email address"))
    new_password_field(form, email)
    language_field(form)
    return form


def sign_in_form(data: Mapping[str, Any]) -> Form:
    form = Form(data)
    form.email("email", required=_("Enter your email address"))
    form.password("password", required=_("Enter your password"))
    return form


def email_form(data: Mapping[str, Any]) -> Form:
    form = Form(data)
    form.email("email", required=_("Enter your email address"))
    return form


# Canada's zones by the names people know them by, east to west, each with the IANA zone
# that keeps its rules (Saskatchewan keeps Central Standard Time all year; Yukon, Mountain
# Standard Time all year).
CANADIAN_ZONES: tuple[tuple[str, LazyProxy], ...] = (
    ("America/St_Johns", lazy_gettext("Newfoundland")),
    ("America/Halifax", lazy_gettext("Atlantic")),
    ("America/Toronto", lazy_gettext("Eastern")),
    ("America/Winnipeg", lazy_gettext("Central")),
    ("America/Regina", lazy_gettext("Saskatchewan")),
    ("America/Edmonton", lazy_gettext("Mountain")),
    ("America/Vancouver", lazy_gettext("Pacific")),
    ("America/Whitehorse", lazy_gettext("Yukon")),
)
OTHER_ZONE = "other"
NO_ZONE = "none"
MAX_ZONE_LENGTH = 60  # users.time_zone


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_known_zone(name: str) -> bool:
    """Return whether a name is an IANA time zone this machine keeps the rules of (a region
    such as "America" alone, or a path, is not)."""
    return name in _known_zones()


def zone_label(name: str | None) -> str:
    """Return how the account page names a zone: "Eastern (America/Toronto)", the IANA name
    of another zone, or "Not set"."""
    if not name:
        return _("Not set")
    for zone, label in CANADIAN_ZONES:
        if zone == name:
            return f"{label} ({zone})"
    return name


def time_zone_form(data: Mapping[str, Any]) -> tuple[Form, str | None]:
    """Return the form and the zone chosen (None for "not set"), or the form with its errors
    and None."""
    form = Form(data)
    choices = [zone for zone, _label in CANADIAN_ZONES] + [OTHER_ZONE, NO_ZONE]
    choice = form.choice("zone", choices, required=_("Select your time zone, or “Not set”"))
    other = form.text("other_zone", max_length=MAX_ZONE_LENGTH)
    if choice == OTHER_ZONE and "other_zone" not in form.errors:
        if not other:
            form.add_error("other_zone", _("Enter the name of your time zone"))
        elif not is_known_zone(other):
            form.add_error(
                "other_zone",
                _("Enter a time zone name from the IANA list, like Europe/Paris"),
            )
    if not form.is_valid or choice == NO_ZONE:
        return form, None
    return form, other if choice == OTHER_ZONE else choice


def time_zone_data(name: str | None) -> dict[str, str]:
    """Return the form's fields for the zone an account holds."""
    if not name:
        return {"zone": NO_ZONE}
    if any(zone == name for zone, _label in CANADIAN_ZONES):
        return {"zone": name}
    return {"zone": OTHER_ZONE, "other_zone": name}
