"""The case-type editor's forms: details, questions, document slots, the deadline rule."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from filings.casetypes.answers import parse_decimal
from filings.casetypes.definitions import (
    DOCUMENT_KINDS,
    MAX_PATTERN_LENGTH,
    QuestionType,
    UnusablePatternError,
    compile_pattern,
    pattern_problem_message,
)
from filings.models import CaseTypeVersion
from tribune.forms import Form
from tribune.i18n import get_language
from tribune.i18n import gettext as _

CODE_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_CODE_LENGTH = 40
MAX_TITLE_LENGTH = 200
MAX_GUIDANCE_LENGTH = 5000
# Longer than any sensible limit; refused before int() reads it.
MAX_WHOLE_NUMBER_DIGITS = 9


def form_with(values: dict[str, Any]) -> Form:
    """Return a form filled with values (a list for checkboxes), ready to render."""
    form = Form()
    for name, value in values.items():
        if isinstance(value, list):
            form.lists[name] = [str(item) for item in value]
            form.values[name] = form.lists[name][-1] if value else ""
        elif value is not None:
            form.values[name] = str(value)
            form.lists[name] = [str(value)]
    return form


def _multiline(form: Form, name: str) -> str:
    """Return a textarea's text with the browser's CRLF line ends made plain newlines."""
    return form.value(name).replace("\r\n", "\n").replace("\r", "\n")


def _whole_number(form: Form, name: str, message: str) -> int | None:
    raw = form.value(name).strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_WHOLE_NUMBER_DIGITS:
        form.add_error(name, message)
        return None
    return int(raw)


def _number(raw: str, *, money: bool) -> int | float | None:
    """Return a typed number (an amount in dollars as integer cents), or None if not a number."""
    parsed = parse_decimal(raw, get_language())
    if parsed is None:
        return None
    sign, whole, fraction = parsed
    if money:
        if len(fraction) > 2:
            return None
        return sign * (int(whole) * 100 + int(fraction.ljust(2, "0")))
    fraction = fraction.rstrip("0")
    if not fraction:
        return sign * int(whole)
    return float(Decimal(f"{'-' if sign < 0 else ''}{whole}.{fraction}"))


def _show_number(value: object, *, money: bool) -> str:
    """Return a number from a definition as the form shows it (an amount in dollars)."""
    if money and isinstance(value, int):
        whole, cents = divmod(abs(value), 100)
        return f"{'-' if value < 0 else ''}{whole}.{cents:02d}"
    if isinstance(value, int | float):
        return format(Decimal(str(value)), "f")
    return ""


def _bilingual(form: Form, prefix: str, *, optional: bool) -> dict[str, str] | None:
    """Return an English and French text from ``<prefix>_en`` and ``<prefix>_fr``.

    Both are passed on as typed: ``parse_definition`` says what is missing or wrong.
    An optional text left empty in both languages is None.
    """
    texts = {language: _multiline(form, f"{prefix}_{language}") for language in ("en", "fr")}
    if optional and not any(text.strip() for text in texts.values()):
        return None
    return texts


def _text_fields(prefix: str, text: Any) -> dict[str, str]:
    text = text if isinstance(text, dict) else {}
    return {f"{prefix}_en": text.get("en", ""), f"{prefix}_fr": text.get("fr", "")}


# -- the forms --------------------------------------------------------------------------


def read_details(form: Form) -> dict[str, str]:
    """Return a case type's title, description and eligibility guidance in both languages."""
    texts = {
        "title_en": form.text(
            "title_en", required=_("Enter the title in English"), max_length=MAX_TITLE_LENGTH
        ),
        "title_fr": form.text(
            "title_fr", required=_("Enter the title in French"), max_length=MAX_TITLE_LENGTH
        ),
    }
    for name in ("description", "eligibility"):
        for language in ("en", "fr"):
            field = f"{name}_{language}"
            form.values[field] = _multiline(form, field)
            texts[field] = form.text(field, max_length=MAX_GUIDANCE_LENGTH, multiline=True)
    missing = {
        "description_en": _("Enter the description in English too"),
        "description_fr": _("Enter the description in French too"),
        "eligibility_en": _("Enter the eligibility guidance in English too"),
        "eligibility_fr": _("Enter the eligibility guidance in French too"),
    }
    for name in ("description", "eligibility"):
        english, french = f"{name}_en", f"{name}_fr"
        if texts[english] and not texts[french]:
            form.add_error(french, missing[french])
        elif texts[french] and not texts[english]:
            form.add_error(english, missing[english])
    return texts


def details_form(version: CaseTypeVersion) -> Form:
    return form_with(
        {
            name: getattr(version, name)
            for language in ("en", "fr")
            for name in (f"title_{language}", f"description_{language}", f"eligibility_{language}")
        }
    )


def read_question(form: Form) -> dict[str, Any]:
    """Return the question an administrator described, as a definition holds it.

    Only what a form alone can tell is checked here (a number that is not one, a
    badly written choice); the rest is for ``parse_definition``.
    """
    question_type = form.value("type").strip()
    question: dict[str, Any] = {"key": form.value("key").strip()}
    if question_type:
        question["type"] = question_type
    question["label"] = _bilingual(form, "label", optional=False)
    hint = _bilingual(form, "hint", optional=True)
    if hint is not None:
        question["hint"] = hint
    required = form.choice(
        "required", ("yes", "no"), required=_("Select yes if an answer is required")
    )
    question["required"] = required == "yes"

    validation: dict[str, Any] = {}
    for name in ("min_length", "max_length", "min_choices", "max_choices"):
        number = _whole_number(form, name, _("Enter a whole number, like 10"))
        if number is not None:
            validation[name] = number
    money = question_type == QuestionType.MONEY
    for name in ("min", "max"):
        raw = form.value(name).strip()
        if not raw:
            continue
        value = _number(raw, money=money)
        if value is None:
            form.add_error(
                name,
                _("Enter an amount in dollars and cents, like 1,500.00")
                if money
                else _("Enter a number, like 100"),
            )
        else:
            validation[name] = value
    if form.value("pattern").strip():
        validation["pattern"] = form.value("pattern")
        if len(validation["pattern"]) <= MAX_PATTERN_LENGTH:  # else the definition says so
            try:
                compile_pattern(validation["pattern"])
            except UnusablePatternError as error:
                form.add_error("pattern", pattern_problem_message(error.problem, error.detail))
    if form.value("not_in_future") == "yes":
        validation["not_in_future"] = True
    if form.value("not_before").strip():
        validation["not_before"] = form.value("not_before").strip()
    if validation:
        question["validation"] = validation

    lines = [line for line in _multiline(form, "choices").split("\n") if line.strip()]
    if lines:
        choices = []
        for number, line in enumerate(lines, 1):
            parts = [part.strip() for part in line.split("|")]
            if len(parts) != 3:
                form.add_error(
                    "choices",
                    _(
                        "Write each choice on its own line as: value | English | Français "
                        "(line %(number)s is not)",
                        number=number,
                    ),
                )
                break
            choices.append({"value": parts[0], "label": {"en": parts[1], "fr": parts[2]}})
        question["choices"] = choices
    return question


def question_form(question: dict[str, Any]) -> Form:
    """Return the question form filled with a question of the definition."""
    validation = question.get("validation") or {}
    money = question.get("type") == QuestionType.MONEY
    values: dict[str, Any] = {
        "key": question.get("key", ""),
        "type": question.get("type", ""),
        "required": "yes" if question.get("required", True) else "no",
        **_text_fields("label", question.get("label")),
        **_text_fields("hint", question.get("hint")),
        "pattern": validation.get("pattern", ""),
        "not_in_future": "yes" if validation.get("not_in_future") else "",
        "not_before": validation.get("not_before", ""),
        "choices": "\n".join(
            f"{choice.get('value', '')} | {choice.get('label', {}).get('en', '')} | "
            f"{choice.get('label', {}).get('fr', '')}"
            for choice in question.get("choices") or []
        ),
    }
    for name in ("min_length", "max_length", "min_choices", "max_choices"):
        values[name] = validation.get(name, "")
    for name in ("min", "max"):
        values[name] = _show_number(validation.get(name), money=money)
    return form_with(values)


def read_slot(form: Form) -> dict[str, Any]:
    """Return the document slot an administrator described, as a definition holds it."""
    slot: dict[str, Any] = {
        "key": form.value("key").strip(),
        "label": _bilingual(form, "label", optional=False),
    }
    hint = _bilingual(form, "hint", optional=True)
    if hint is not None:
        slot["hint"] = hint
    required = form.choice(
        "required", ("yes", "no"), required=_("Select yes if a file must be uploaded here")
    )
    slot["required"] = required == "yes"
    max_files = _whole_number(form, "max_files", _("Enter a whole number, like 5"))
    if max_files is None and "max_files" not in form.errors:
        form.add_error("max_files", _("Enter how many files can be uploaded here"))
    slot["max_files"] = max_files
    slot["kinds"] = [kind for kind in form.lists.get("kinds", []) if kind]
    if not slot["kinds"]:
        form.add_error("kinds", _("Select the kinds of file accepted"))
    return slot


def slot_form(slot: dict[str, Any]) -> Form:
    return form_with(
        {
            "key": slot.get("key", ""),
            **_text_fields("label", slot.get("label")),
            **_text_fields("hint", slot.get("hint")),
            "required": "yes" if slot.get("required") else "no",
            "max_files": slot.get("max_files", 1),
            "kinds": list(slot.get("kinds", DOCUMENT_KINDS)),
        }
    )


def read_deadline(form: Form) -> tuple[int | None, str | None]:
    """Return the deadline's days and the key of the date it counts from; (None, None): none."""
    has_deadline = form.choice(
        "has_deadline", ("yes", "no"), required=_("Select yes if there is a filing deadline")
    )
    if has_deadline != "yes":
        return None, None
    days = _whole_number(form, "days", _("Enter the number of days as a whole number, like 30"))
    if days is None and "days" not in form.errors:
        form.add_error("days", _("Enter the number of days, like 30"))
    from_question = form.value("from_question").strip()
    if not from_question:
        form.add_error("from_question", _("Select the date the deadline counts from"))
    return days, from_question or None
