"""How a case type's parts read in the current language: question types, kinds of file,
a question's checks and the document slots, for the editor and its preview."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from filings.casetypes.answers import format_decimal
from filings.casetypes.definitions import CaseTypeDefinition, DocumentSlot, Question, QuestionType
from tribune.i18n import format_money, format_number, lazy_gettext, ngettext
from tribune.i18n import gettext as _

# -- rendering ------------------------------------------------------------------------


def validation_summary(question: Question) -> list[str]:
    """Return the checks of a question as short sentences for the administrator."""
    rules = question.validation
    lines = []
    money = question.type is QuestionType.MONEY
    if rules.min_length is not None:
        lines.append(
            ngettext(
                "At least %(num)s character",
                "At least %(num)s characters",
                rules.min_length,
                num=format_number(rules.min_length),
            )
        )
    if rules.max_length is not None:
        lines.append(
            ngettext(
                "At most %(num)s character",
                "At most %(num)s characters",
                rules.max_length,
                num=format_number(rules.max_length),
            )
        )
    if rules.pattern is not None:
        lines.append(_("Matches the pattern %(pattern)s", pattern=rules.pattern))
    for limit, message in ((rules.min, _("Smallest: %(n)s")), (rules.max, _("Largest: %(n)s"))):
        if limit is not None:
            shown = format_money(int(limit)) if money else format_decimal(Decimal(limit))
            lines.append(message % {"n": shown})
    if rules.not_in_future:
        lines.append(_("Not in the future"))
    if rules.not_before is not None:
        lines.append(_("Not before %(date)s", date=rules.not_before.isoformat()))
    if rules.min_choices is not None:
        lines.append(
            ngettext("At least %(num)s choice", "At least %(num)s choices", rules.min_choices)
        )
    if rules.max_choices is not None:
        lines.append(
            ngettext("At most %(num)s choice", "At most %(num)s choices", rules.max_choices)
        )
    if question.choices:
        lines.append(
            _(
                "Choices: %(choices)s",
                choices=", ".join(c.label.current() for c in question.choices),
            )
        )
    return lines


def slot_shown(slot: DocumentSlot) -> dict[str, Any]:
    """Return a document slot as the pages show it, in the current language."""
    return {
        "key": slot.key,
        "label": slot.label.current(),
        "hint": slot.hint.current() if slot.hint else "",
        "required": slot.required,
        "max_files": slot.max_files,
        "kinds": kinds_text(slot.kinds),
    }


def slots_shown(definition: CaseTypeDefinition) -> list[dict[str, Any]]:
    """Return a part's document slots as the preview shows them, in the current language."""
    return [slot_shown(slot) for slot in definition.document_slots]


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
