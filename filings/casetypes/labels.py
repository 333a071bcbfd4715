"""Names of question types and kinds of file, in the current language."""

from __future__ import annotations

from filings.casetypes.definitions import QuestionType
from tribune.i18n import gettext as _
from tribune.i18n import lazy_gettext


def question_type_names() -> dict[str, str]:
    """Return each question type's name in the current language."""
    return {
        QuestionType.TEXT: _("Short text"),
        QuestionType.LONG_TEXT: _("Long text"),
        QuestionType.DATE: _("Date"),
        QuestionType.NUMBER: _("Number"),
        QuestionType.MONEY: _("Amount of money"),
        QuestionType.YES_NO: _("Yes or no"),
        QuestionType.SINGLE_CHOICE: _("One choice from a list"),
        QuestionType.MULTIPLE_CHOICE: _("Several choices from a list"),
        QuestionType.ADDRESS: _("Address"),
        QuestionType.PHONE: _("Telephone number"),
        QuestionType.EMAIL: _("Email address"),
    }


def kinds_text(kinds: list[str] | tuple[str, ...]) -> str:
    """Return kinds of file as a claimant reads them: "PDF, JPEG image or PNG image"."""
    labels = [str(KIND_LABELS[kind]) for kind in kinds if kind in KIND_LABELS]
    if len(labels) <= 1:
        return "".join(labels)
    return _("%(list)s or %(last)s", list=", ".join(labels[:-1]), last=labels[-1])


KIND_LABELS = {
    "pdf": lazy_gettext("PDF"),
    "jpeg": lazy_gettext("JPEG image"),
    "png": lazy_gettext("PNG image"),
    "docx": lazy_gettext("Word document (.docx)"),
    "text": lazy_gettext("plain text (.txt)"),
}
