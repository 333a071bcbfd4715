"""Account forms: what the user typed, turned into checked values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accounts.passwords import password_problem
from tribune.forms import Form
from tribune.i18n import LANGUAGES
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
