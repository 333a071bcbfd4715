"""The feedback form, the staff's filters and answer, and the survey, read into typed values
with messages in the reader's language; and the names shown for kinds, roles and choices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accountability.feedback.models import FeedbackKind, SenderRole, SurveyChoice
from accountability.feedback.services import (
    ANSWER_MAX_LENGTH,
    FEEDBACK_MAX_LENGTH,
    FeedbackValues,
    ListFilters,
    page_path,
)
from accountability.feedback.survey import COMMENT_MAX_LENGTH, SurveyValues
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.i18n import lazy_gettext

KIND_LABELS = {
    FeedbackKind.HELPFUL: lazy_gettext("Helpful"),
    FeedbackKind.NOT_HELPFUL: lazy_gettext("Not helpful"),
    FeedbackKind.PROBLEM: lazy_gettext("Problem reported"),
}
ROLE_LABELS = {
    SenderRole.PUBLIC: lazy_gettext("Visitor, not signed in"),
    SenderRole.PARTY: lazy_gettext("Signed in, not staff"),
    SenderRole.STAFF: lazy_gettext("Staff of the tribunal"),
}
LANGUAGE_LABELS = {"en": lazy_gettext("English"), "fr": lazy_gettext("French")}
STATUS_CHOICES = (
    ("new", lazy_gettext("New")),
    ("handled", lazy_gettext("Handled")),
    ("all", lazy_gettext("All")),
)
SATISFACTION_CHOICES = (
    ("5", lazy_gettext("Very satisfied")),
    ("4", lazy_gettext("Satisfied")),
    ("3", lazy_gettext("Neither satisfied nor dissatisfied")),
    ("2", lazy_gettext("Dissatisfied")),
    ("1", lazy_gettext("Very dissatisfied")),
)
CHOICE_LABELS = {
    SurveyChoice.YES: lazy_gettext("Yes"),
    SurveyChoice.PARTLY: lazy_gettext("Partly"),
    SurveyChoice.NO: lazy_gettext("No"),
}
# The fields naming the page and the kind of feedback: named apart from the fields of the page
# the widget sits on.
PAGE_FIELD = "from_page"
KIND_FIELD = "feedback"
# The kinds a visitor writes something for (a "Yes" is one click).
WRITTEN_KINDS = (FeedbackKind.NOT_HELPFUL, FeedbackKind.PROBLEM)


def kind_of(value: str) -> FeedbackKind | None:
    """Return the kind a form or address names, or None if it names none."""
    try:
        return FeedbackKind(value)
    except ValueError:
        return None


def feedback_form(data: Mapping[str, Any], home: str) -> tuple[Form, FeedbackValues | None]:
    """Read a "Yes", or a "No" or problem with its text and optional address, about a page of
    this site (`home` if the form names none). The kind must be one the forms send (the
    caller refuses the request otherwise)."""
    form = Form(data)
    kind = kind_of(form.value(KIND_FIELD))
    path = page_path(form.value(PAGE_FIELD), home)
    if kind is None:
        return form, None
    if kind is FeedbackKind.HELPFUL:
        return form, FeedbackValues(path, kind, "", None)
    required = (
        _("Tell us what went wrong")
        if kind is FeedbackKind.PROBLEM
        else _("Tell us what you were trying to do")
    )
    text = form.text("text", required=required, max_length=FEEDBACK_MAX_LENGTH, multiline=True)
    email = None
    if form.value("email").strip():
        email = form.email("email", required="")
    if not form.is_valid:
        return form, None
    return form, FeedbackValues(path, kind, text, email)


def list_filters(data: Mapping[str, Any]) -> tuple[Form, ListFilters]:
    """Read the list's filters; an unknown value is the default (new feedback, every kind)."""
    form = Form(data)
    status = form.value("status")
    if status not in {value for value, _label in STATUS_CHOICES}:
        status = form.values["status"] = "new"
    kind = kind_of(form.value("kind"))
    form.values["kind"] = kind.value if kind else ""
    return form, ListFilters(status, kind)


def answer_form(data: Mapping[str, Any]) -> tuple[Form, str | None]:
    form = Form(data)
    body = form.text(
        "answer",
        required=_("Write your answer"),
        max_length=ANSWER_MAX_LENGTH,
        multiline=True,
    )
    return form, body if form.is_valid else None


def survey_form(data: Mapping[str, Any]) -> tuple[Form, SurveyValues | None]:
    form = Form(data)
    satisfaction = form.choice(
        "satisfaction",
        [value for value, _label in SATISFACTION_CHOICES],
        required=_("Select how satisfied you are with your hearing"),
    )
    choices = [choice.value for choice in SurveyChoice]
    take_part = form.choice(
        "could_take_part",
        choices,
        required=_("Select whether you could see, hear and take part in the hearing"),
    )
    explained = form.choice(
        "explained_clearly",
        choices,
        required=_("Select whether the process and the next steps were explained clearly"),
    )
    comment = form.text("comment", max_length=COMMENT_MAX_LENGTH, multiline=True)
    if not form.is_valid:
        return form, None
    return form, SurveyValues(
        satisfaction=int(satisfaction),
        could_take_part=SurveyChoice(take_part),
        explained_clearly=SurveyChoice(explained),
        comment=comment,
    )
