"""The filing journey's own steps: eligibility, about you, representative, accessibility,
declaration. The case type's questions are read by ``filings.questions``."""

from __future__ import annotations

from typing import Any

from filings.casetypes.definitions import POSTAL_CODE, PROVINCES, province_names
from tribune.forms import Form, is_phone_number
from tribune.i18n import LANGUAGE_NAMES, LANGUAGES
from tribune.i18n import gettext as _
from tribune.languages import LANGUAGES as INTERPRETED
from tribune.languages import SIGN_LANGUAGES as SIGNED
from tribune.languages import code_for_name, language_choices, language_name

CONTACT_METHODS = ("email", "phone", "post")
SIGN_LANGUAGES = ("none", "asl", "lsq", "other")
# The spoken languages offered for an interpreter (sign language is asked apart), and "other".
SPOKEN = tuple(code for code in INTERPRETED if code not in SIGNED)
OTHER_LANGUAGE = "other"


def _yes_no(form: Form, name: str, message: str) -> bool:
    return form.choice(name, ("yes", "no"), required=message) == "yes"


def _phone(form: Form, name: str, *, required: str | None) -> str:
    value = form.text(name, required=required, max_length=30)
    if value and name not in form.errors and not is_phone_number(value):
        form.add_error(name, _("Enter a telephone number, like 416 555 0199"))
    return value


def read_eligibility(form: Form) -> dict[str, Any]:
    eligible = _yes_no(form, "eligible", _("Select yes if you can file this case"))
    return {"eligible": eligible}


def read_about_you(form: Form) -> dict[str, Any]:
    values: dict[str, Any] = {
        "full_name": form.text("full_name", required=_("Enter your full name"), max_length=200),
        "email": form.email("email", required=_("Enter your email address")),
        "phone": _phone(form, "phone", required=None),
        "address_line1": form.text(
            "address_line1", required=_("Enter the first line of your address"), max_length=200
        ),
        "address_line2": form.text("address_line2", max_length=200),
        "city": form.text("city", required=_("Enter your town or city"), max_length=100),
        "province": form.choice(
            "province", PROVINCES, required=_("Select your province or territory")
        ),
        "postal_code": form.text("postal_code", required=_("Enter your postal code"), max_length=10)
        .upper()
        .replace(" ", ""),
        "case_language": form.choice(
            "case_language", LANGUAGES, required=_("Select the language for your case")
        ),
        "hearing_language": form.choice(
            "hearing_language", LANGUAGES, required=_("Select the language for your hearing")
        ),
        "contact_method": form.choice(
            "contact_method", CONTACT_METHODS, required=_("Select how we should contact you")
        ),
    }
    code = values["postal_code"]
    if code and "postal_code" not in form.errors:
        if not POSTAL_CODE.fullmatch(code):
            form.add_error(
                "postal_code", _("Enter a postal code in the correct format, like K1A 0B1")
            )
        else:
            values["postal_code"] = f"{code[:3]} {code[3:]}"
    if values["contact_method"] == "phone" and not values["phone"]:
        form.add_error("phone", _("Enter a telephone number if we should contact you by phone"))
    return values


def read_representative(form: Form) -> dict[str, Any]:
    has_one = _yes_no(form, "has_representative", _("Select yes if someone represents you"))
    if not has_one:
        return {"has_representative": False}
    values: dict[str, Any] = {
        "has_representative": True,
        "representative_name": form.text(
            "representative_name", required=_("Enter your representative's name"), max_length=200
        ),
        "representative_firm": form.text("representative_firm", max_length=200),
        "representative_licence": form.text("representative_licence", max_length=50),
        "representative_email": form.email(
            "representative_email", required=_("Enter your representative's email address")
        ),
        "representative_phone": _phone(form, "representative_phone", required=None),
        "representative_consent": form.value("representative_consent") == "yes",
    }
    if not values["representative_consent"]:
        form.add_error(
            "representative_consent",
            _("Confirm that you authorise your representative to act for you"),
        )
    return values


def read_accessibility(form: Form) -> dict[str, Any]:
    needs_interpreter = _yes_no(
        form, "needs_interpreter", _("Select yes if you need an interpreter")
    )
    # A language chosen from the list (its code), or "other" and the language typed.
    interpreter_language = ""
    other_language = form.text("interpreter_language_other", max_length=100)
    if needs_interpreter:
        interpreter_language = form.choice(
            "interpreter_language",
            (*SPOKEN, OTHER_LANGUAGE),
            required=_("Select the language you need an interpreter for"),
        )
        if interpreter_language == OTHER_LANGUAGE and not other_language:
            form.add_error(
                "interpreter_language_other", _("Enter the language you need an interpreter for")
            )
    return {
        "needs_interpreter": needs_interpreter,
        "interpreter_language": interpreter_language,
        "interpreter_language_other": (
            other_language if interpreter_language == OTHER_LANGUAGE else ""
        ),
        "sign_language": form.choice(
            "sign_language", SIGN_LANGUAGES, required=_("Select whether you need sign language")
        ),
        "other_needs": form.text("other_needs", max_length=2000, multiline=True),
    }


def read_declaration(form: Form, *, late: bool) -> dict[str, Any]:
    values: dict[str, Any] = {"declared": form.value("declared") == "yes"}
    if not values["declared"]:
        form.add_error("declared", _("Confirm that the information you gave is true"))
    if late:
        values["late_explanation"] = form.text(
            "late_explanation",
            required=_("Explain why you are filing after the deadline"),
            max_length=5000,
            multiline=True,
        )
    return values


def _chosen_language(values: dict[str, Any]) -> tuple[str, str]:
    """Return the interpreter language as the step asks it (a code, or "other" and the
    language typed), from saved answers, also those kept as the language's name typed."""
    given = str(values.get("interpreter_language") or "")
    if given in SPOKEN:
        return given, ""
    if given == OTHER_LANGUAGE:
        return OTHER_LANGUAGE, str(values.get("interpreter_language_other") or "")
    if not given:
        return "", ""
    code = code_for_name(given)
    return (code, "") if code in SPOKEN else (OTHER_LANGUAGE, given)


def form_for(saved: dict[str, Any] | None) -> Form:
    """Return a form filled with a step's saved answers, to show them again."""
    data: dict[str, str] = {}
    saved = dict(saved or {})
    if "interpreter_language" in saved:
        chosen, typed = _chosen_language(saved)
        saved.update(interpreter_language=chosen, interpreter_language_other=typed)
    for key, value in saved.items():
        if isinstance(value, bool):
            data[key] = "yes" if value else "no"
        elif value is not None:
            data[key] = str(value)
    return Form(data)


def interpreter_language_choices() -> list[tuple[str, str]]:
    """Return the spoken languages for a select, named in the current language, then
    "another language"."""
    spoken = [(code, name) for code, name in language_choices() if code not in SIGNED]
    return [("", _("Select")), *spoken, (OTHER_LANGUAGE, _("Another language"))]


def province_choices() -> list[tuple[str, str]]:
    """Return the provinces and territories for a select, named in the current language."""
    return [("", _("Select")), *province_names().items()]


def summary_rows(step: str, values: dict[str, Any]) -> list[tuple[str, str]]:
    """Return a saved step's answers as (question, answer) rows for "Check your answers"."""
    if step == "about_you":
        address = [
            values.get("address_line1", ""),
            values.get("address_line2", ""),
            values.get("city", ""),
            province_names().get(values.get("province", ""), ""),
            values.get("postal_code", ""),
        ]
        methods = {"email": _("By email"), "phone": _("By telephone"), "post": _("By post")}
        return [
            (_("Full name"), values.get("full_name", "")),
            (_("Email address"), values.get("email", "")),
            (_("Telephone number"), values.get("phone") or _("None")),
            (_("Address"), "\n".join(part for part in address if part)),
            (_("Language for your case"), LANGUAGE_NAMES.get(values.get("case_language", ""), "")),
            (
                _("Language for your hearing"),
                LANGUAGE_NAMES.get(values.get("hearing_language", ""), ""),
            ),
            (_("How we contact you"), methods.get(values.get("contact_method", ""), "")),
        ]
    if step == "representative":
        if not values.get("has_representative"):
            return [(_("Does someone represent you?"), _("No"))]
        return [
            (_("Representative's name"), values.get("representative_name", "")),
            (_("Firm or organisation"), values.get("representative_firm") or _("None")),
            (
                _("Law Society licence number"),
                values.get("representative_licence") or _("None"),
            ),
            (_("Representative's email address"), values.get("representative_email", "")),
            (
                _("Representative's telephone number"),
                values.get("representative_phone") or _("None"),
            ),
        ]
    if step == "accessibility":
        sign = {
            "none": _("No"),
            "asl": _("American Sign Language (ASL)"),
            "lsq": _("Langue des signes québécoise (LSQ)"),
            "other": _("Another sign language"),
        }
        chosen, typed = _chosen_language(values)
        interpreter = typed if chosen == OTHER_LANGUAGE else language_name(chosen)
        return [
            (
                _("Interpreter"),
                (interpreter or _("Yes")) if values.get("needs_interpreter") else _("No"),
            ),
            (_("Sign language"), sign.get(values.get("sign_language", ""), "")),
            (_("Other needs"), values.get("other_needs", "") or _("None")),
        ]
    return []
