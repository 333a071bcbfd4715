"""Tribunal forms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tribunals.models import ActivePdfPolicy, Role
from tribune.forms import Form
from tribune.i18n import gettext as _


def invitation_form(data: Mapping[str, Any]) -> Form:
    form = Form(data)
    form.email("email", required=_("Enter the email address of the person to invite"))
    form.choice("role", [role.value for role in Role], required=_("Select a role"))
    return form


def document_settings_form(data: Mapping[str, Any]) -> Form:
    form = Form(data)
    form.choice(
        "active_pdfs",
        [policy.value for policy in ActivePdfPolicy],
        required=_("Select what to do with PDFs that contain JavaScript or launch actions"),
    )
    return form
