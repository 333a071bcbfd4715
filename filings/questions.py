"""The questions of a case type: data a tribunal configures, not code.

A case type version carries a JSON *definition*: its questions, its document
slots, the filing deadline rule and whether a fee applies. This module

- parses a definition into typed, frozen values (``parse_definition``), with a
  precise English message for the tribunal administrator per problem found;
- reads the answers a claimant posted for a list of questions
  (``read_answers``) into JSON-serialisable values, adding a message in the
  claimant's language to the form for every answer that cannot be accepted;
- turns saved answers back into form values, so a draft fills its form again
  (``form_values``, ``answers_form``);
- shows an answer on the check-your-answers page (``display_answer``);
- computes the filing deadline and whether a filing is late.

Form field names are ``q-<key>``; a date posts ``q-<key>-day``, ``-month`` and
``-year`` and an address ``q-<key>-line1``, ``-line2``, ``-city``,
``-province`` and ``-postal_code``. Errors are added under the id of the field
the error summary links to: ``q-<key>`` (the day of a date, the first line of
an address), or ``q-<key>-<part>`` for the other parts of an address.
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from babel import numbers
from email_validator import EmailNotValidError, validate_email

from tribune.forms import Form
from tribune.i18n import (
    DEFAULT_LANGUAGE,
    format_date,
    format_money,
    format_number,
    get_language,
    ngettext,
)
from tribune.i18n import gettext as _

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
DOCUMENT_KINDS = ("pdf", "jpeg", "png", "docx", "text")
MAX_QUESTIONS = 100
MAX_CHOICES = 100
MAX_DOCUMENT_SLOTS = 20
MAX_FILES_PER_SLOT = 50
MAX_DEADLINE_DAYS = 3650
MAX_LABEL_LENGTH = 300
MAX_HINT_LENGTH = 1000
MAX_PATTERN_LENGTH = 200
MAX_ADDRESS_LINE_LENGTH = 200
# Money answers are kept in integer cents; without a configured maximum, an amount
# above a thousand billion dollars is surely a typing mistake.
DEFAULT_MAX_CENTS = 10**14
# Longer than any real number or amount, even with separators: refused unread.
MAX_NUMBER_INPUT_LENGTH = 40
# The claimant's "today" when the caller does not give the tribunal's own.
DEFAULT_TIME_ZONE = "America/Toronto"


class QuestionType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    DATE = "date"
    NUMBER = "number"
    MONEY = "money"
    YES_NO = "yes_no"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    ADDRESS = "address"
    PHONE = "phone"
    EMAIL = "email"


CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE})
# Default and largest allowed max_length of the text types.
DEFAULT_MAX_LENGTH = {QuestionType.TEXT: 500, QuestionType.LONG_TEXT: 10_000}
LARGEST_MAX_LENGTH = {QuestionType.TEXT: 1000, QuestionType.LONG_TEXT: 50_000}
# Which validation settings each type accepts.
VALIDATION_SETTINGS: dict[QuestionType, frozenset[str]] = {
    QuestionType.TEXT: frozenset({"min_length", "max_length", "pattern"}),
    QuestionType.LONG_TEXT: frozenset({"min_length", "max_length"}),
    QuestionType.DATE: frozenset({"not_in_future", "not_before"}),
    QuestionType.NUMBER: frozenset({"min", "max"}),
    QuestionType.MONEY: frozenset({"min", "max"}),
    QuestionType.MULTIPLE_CHOICE: frozenset({"min_choices", "max_choices"}),
}
ALL_VALIDATION_SETTINGS = frozenset().union(*VALIDATION_SETTINGS.values())

ADDRESS_PARTS = ("line1", "line2", "city", "province", "postal_code")
PROVINCES = ("AB", "BC", "MB", "NB", "NL", "NT", "NS", "NU", "ON", "PE", "QC", "SK", "YT")
# Canada Post: the first letter is never D, F, I, O, Q, U, W or Z, the others never
# D, F, I, O, Q or U.
POSTAL_CODE = re.compile(
    r"([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])(\d[ABCEGHJ-NPRSTV-Z]\d)", re.ASCII
)
PHONE = re.compile(
    r"(?P<number>\+?[\d\s().-]+?)\s*(?:(?:ext\.?|x|poste|#)\s*(?P<extension>\d{1,6}))?",
    re.IGNORECASE | re.ASCII,
)


def province_names() -> dict[str, str]:
    """Return each province and territory code with its name in the current language."""
    return {
        "AB": _("Alberta"),
        "BC": _("British Columbia"),
        "MB": _("Manitoba"),
        "NB": _("New Brunswick"),
        "NL": _("Newfoundland and Labrador"),
        "NT": _("Northwest Territories"),
        "NS": _("Nova Scotia"),
        "NU": _("Nunavut"),
        "ON": _("Ontario"),
        "PE": _("Prince Edward Island"),
        "QC": _("Quebec"),
        "SK": _("Saskatchewan"),
        "YT": _("Yukon"),
    }


# -- the definition -------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A text a tribunal wrote in English and French."""

    en: str
    fr: str

    def current(self) -> str:
        """Return the text in the current language, or the English when there is no French."""
        if get_language() != DEFAULT_LANGUAGE and self.fr:
            return self.fr
        return self.en

    def to_json(self) -> dict[str, str]:
        return {"en": self.en, "fr": self.fr}


@dataclass(frozen=True)
class Choice:
    value: str
    label: Text

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "label": self.label.to_json()}


@dataclass(frozen=True)
class Validation:
    """The checks of one question; None (or False) where the tribunal set nothing.

    ``min`` and ``max`` are Decimals for number questions and integer cents for
    money questions.
    """

    min_length: int | None = None
    max_length: int | None = None
    min: Decimal | int | None = None
    max: Decimal | int | None = None
    not_in_future: bool = False
    not_before: date | None = None
    pattern: str | None = None
    min_choices: int | None = None
    max_choices: int | None = None
    compiled_pattern: re.Pattern[str] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # Compiled once here, not on every answer checked.
        if self.pattern is not None:
            object.__setattr__(self, "compiled_pattern", re.compile(self.pattern))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in ("min_length", "max_length", "pattern", "min_choices", "max_choices"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        for name in ("min", "max"):
            limit = getattr(self, name)
            if isinstance(limit, Decimal):
                data[name] = int(limit) if limit == limit.to_integral_value() else float(limit)
            elif limit is not None:
                data[name] = limit
        if self.not_in_future:
            data["not_in_future"] = True
        if self.not_before is not None:
            data["not_before"] = self.not_before.isoformat()
        return data


@dataclass(frozen=True)
class Question:
    key: str
    type: QuestionType
    label: Text
    hint: Text | None = None
    required: bool = True
    choices: tuple[Choice, ...] = ()
    validation: Validation = Validation()

    @property
    def field_name(self) -> str:
        """The name of the form field, and the id the error summary links to."""
        return f"q-{self.key}"

    def max_length(self) -> int | None:
        """Return the longest accepted answer of a text question, or None for other types."""
        default = DEFAULT_MAX_LENGTH.get(self.type)
        if default is None:
            return None
        return self.validation.max_length or default

    def choice_label(self, value: object) -> str:
        """Return a choice's label in the current language, or the value if it is unknown."""
        for choice in self.choices:
            if choice.value == value:
                return choice.label.current()
        return str(value)

    # What the template needs to draw the question in the current language.

    def choice_items(self) -> list[tuple[str, str, dict[str, str]]]:
        return [(choice.value, choice.label.current(), {}) for choice in self.choices]

    def province_items(self) -> list[tuple[str, str]]:
        return [("", _("Select a province or territory")), *province_names().items()]

    def money_affixes(self) -> tuple[str, str]:
        """Return the text before and after an amount: "$" leads in English, trails in French."""
        return ("", "$") if get_language() == "fr" else ("$", "")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "type": self.type.value,
            "label": self.label.to_json(),
            "required": self.required,
        }
        if self.hint is not None:
            data["hint"] = self.hint.to_json()
        if self.type in CHOICE_TYPES:
            data["choices"] = [choice.to_json() for choice in self.choices]
        validation = self.validation.to_json()
        if validation:
            data["validation"] = validation
        return data


@dataclass(frozen=True)
class DocumentSlot:
    key: str
    label: Text
    hint: Text | None = None
    required: bool = False
    max_files: int = 1
    kinds: tuple[str, ...] = DOCUMENT_KINDS

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "label": self.label.to_json(),
            "required": self.required,
            "max_files": self.max_files,
            "kinds": list(self.kinds),
        }
        if self.hint is not None:
            data["hint"] = self.hint.to_json()
        return data


@dataclass(frozen=True)
class DeadlineRule:
    """A filing is due ``days`` calendar days after the date answered to ``from_question``."""

    days: int
    from_question: str

    def to_json(self) -> dict[str, Any]:
        return {"days": self.days, "from_question": self.from_question}


@dataclass(frozen=True)
class FeeRule:
    applies: bool

    def to_json(self) -> dict[str, Any]:
        return {"applies": self.applies}


@dataclass(frozen=True)
class CaseTypeDefinition:
    questions: tuple[Question, ...] = ()
    document_slots: tuple[DocumentSlot, ...] = ()
    deadline: DeadlineRule | None = None
    fee: FeeRule | None = None

    def question(self, key: str) -> Question | None:
        """Return the question with this key, or None if there is none."""
        return next((question for question in self.questions if question.key == key), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "questions": [question.to_json() for question in self.questions],
            "document_slots": [slot.to_json() for slot in self.document_slots],
            "deadline": self.deadline.to_json() if self.deadline else None,
            "fee": self.fee.to_json() if self.fee else None,
        }


# -- parsing a definition -------------------------------------------------------------------


class DefinitionError(ValueError):
    """A case type definition that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def _quoted(value: object) -> str:
    """Show a value from the definition in a message, shortened."""
    text = value if isinstance(value, str) else repr(value)
    return f'"{text[:60]}…"' if len(text) > 60 else f'"{text}"'


def _names(values: Sequence[str] | frozenset[str]) -> str:
    return ", ".join(sorted(values) if isinstance(values, frozenset) else values)


_regex_parser: Any = importlib.import_module("re._parser")
_regex_constants: Any = importlib.import_module("re._constants")
_REPEATS = {
    _regex_constants.MAX_REPEAT,
    _regex_constants.MIN_REPEAT,
    _regex_constants.POSSESSIVE_REPEAT,
}


def _slow_pattern_problem(items: Any, repeated: bool = False) -> str | None:
    """Return why a pattern could take exponential time on a long answer, or None.

    Python's ``re`` backtracks and cannot be interrupted, and a tribunal's pattern
    runs in the server process for every answer: a repetition inside another
    (``(a+)+``), an alternative inside a repetition (``(a|ab)+``) or a
    back-reference could stall it. Fixed counts inside a repetition (``(\\d{3}-)+``)
    are fine.
    """
    constants = _regex_constants
    for op, argument in items:
        if op in _REPEATS:
            low, high, body = argument
            if repeated and high > 1 and high != low:
                return "nested"
            problem = _slow_pattern_problem(body, repeated or high > 1)
        elif op is constants.SUBPATTERN:
            problem = _slow_pattern_problem(argument[-1], repeated)
        elif op is constants.ATOMIC_GROUP:
            problem = _slow_pattern_problem(argument, repeated)
        elif op in (constants.ASSERT, constants.ASSERT_NOT):
            problem = _slow_pattern_problem(argument[1], repeated)
        elif op is constants.BRANCH:
            if repeated:
                return "alternation"
            problem = next(
                (p for p in (_slow_pattern_problem(b, repeated) for b in argument[1]) if p), None
            )
        elif op in (constants.GROUPREF, constants.GROUPREF_EXISTS):
            return "backreference"
        else:
            problem = None
        if problem:
            return problem
    return None


class _Parser:
    """Collects every problem of a definition rather than stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def unknown_settings(self, where: str, data: Mapping[str, Any], known: set[str]) -> None:
        for name in data:
            if name not in known:
                self.problem(where, f"unknown setting {_quoted(name)}")

    def text(
        self, where: str, what: str, value: object, *, optional: bool = False, limit: int
    ) -> Text | None:
        if value is None and optional:
            return None
        if not isinstance(value, dict):
            self.problem(
                where,
                f'the {what} must be an object with "en" and "fr" texts, like '
                f'{{"en": "...", "fr": "..."}}',
            )
            return None
        self.unknown_settings(f"{where}, {what}", value, {"en", "fr"})
        texts: dict[str, str] = {}
        for language, name in (("en", "English"), ("fr", "French")):
            text = value.get(language)
            if text is not None and not isinstance(text, str):
                self.problem(where, f"the {name} {what} must be text")
            elif not text or not text.strip():
                self.problem(where, f"the {name} {what} is missing")
            elif len(text.strip()) > limit:
                self.problem(where, f"the {name} {what} must be {limit} characters or fewer")
            elif any(ord(char) < 32 and char != "\n" for char in text):
                self.problem(where, f"the {name} {what} contains control characters")
            else:
                texts[language] = text.strip()
        if len(texts) != 2:
            return None
        return Text(en=texts["en"], fr=texts["fr"])

    def key(self, where: str, value: object, seen: dict[str, str]) -> str | None:
        if not isinstance(value, str):
            self.problem(where, 'the "key" is missing or is not text')
            return None
        if not KEY_PATTERN.fullmatch(value):
            self.problem(
                where,
                f"the key {_quoted(value)} must start with a lowercase letter and hold only "
                "lowercase letters, digits and underscores, 40 characters at most",
            )
            return None
        if value in seen:
            self.problem(where, f"the key {_quoted(value)} is already used by {seen[value]}")
            return None
        seen[value] = where
        return value

    def flag(self, where: str, data: Mapping[str, Any], name: str, default: bool) -> bool:
        value = data.get(name, default)
        if not isinstance(value, bool):
            self.problem(where, f'"{name}" must be true or false')
            return default
        return value

    def items(self, where: str, value: object, what: str, limit: int) -> list[Any]:
        if not isinstance(value, list):
            self.problem(where, f"{what} must be a list")
            return []
        if len(value) > limit:
            self.problem(where, f"{what} can hold at most {limit} items")
            return []
        return value

    def definition(self, data: object) -> CaseTypeDefinition | None:
        where = "The definition"
        if not isinstance(data, dict):
            self.problem(where, 'it must be an object with "questions" and "document_slots"')
            return None
        # "response": the respondents' questions and slots, read by filings.parties.
        self.unknown_settings(
            where, data, {"questions", "document_slots", "deadline", "fee", "response"}
        )
        if "questions" not in data:
            self.problem(where, 'the "questions" list is missing')
        if "document_slots" not in data:
            self.problem(where, 'the "document_slots" list is missing')
        question_data = self.items(where, data.get("questions", []), '"questions"', MAX_QUESTIONS)
        slot_data = self.items(
            where, data.get("document_slots", []), '"document_slots"', MAX_DOCUMENT_SLOTS
        )
        seen: dict[str, str] = {}
        questions = [self.question(n, item, seen) for n, item in enumerate(question_data, 1)]
        seen = {}
        slots = [self.document_slot(n, item, seen) for n, item in enumerate(slot_data, 1)]
        parsed = [question for question in questions if question is not None]
        written = {
            item["key"]
            for item in question_data
            if isinstance(item, dict) and isinstance(item.get("key"), str)
        }
        deadline = self.deadline(data.get("deadline"), parsed, written)
        fee = self.fee(data.get("fee"))
        if self.problems:
            return None
        return CaseTypeDefinition(
            questions=tuple(parsed),
            document_slots=tuple(slot for slot in slots if slot is not None),
            deadline=deadline,
            fee=fee,
        )

    def question(self, number: int, data: object, seen: dict[str, str]) -> Question | None:
        where = f"Question {number}"
        if not isinstance(data, dict):
            self.problem(where, "it must be an object")
            return None
        if isinstance(data.get("key"), str):
            where = f"{where} ({_quoted(data['key'])})"
        self.unknown_settings(
            where, data, {"key", "type", "label", "hint", "required", "validation", "choices"}
        )
        key = self.key(where, data.get("key"), seen)
        raw_type = data.get("type")
        question_type: QuestionType | None = None
        if isinstance(raw_type, str) and raw_type in {member.value for member in QuestionType}:
            question_type = QuestionType(raw_type)
        elif raw_type is None:
            self.problem(where, 'the "type" is missing')
        else:
            types = _names([member.value for member in QuestionType])
            self.problem(where, f"the type {_quoted(raw_type)} is not one of: {types}")
        label = self.text(where, "label", data.get("label"), limit=MAX_LABEL_LENGTH)
        hint = self.text(where, "hint", data.get("hint"), optional=True, limit=MAX_HINT_LENGTH)
        required = self.flag(where, data, "required", True)
        if question_type is None:
            return None
        choices = self.choices(where, question_type, data.get("choices"))
        validation = self.validation(where, question_type, data.get("validation"), choices)
        if key is None or label is None or choices is None or validation is None:
            return None
        return Question(
            key=key,
            type=question_type,
            label=label,
            hint=hint,
            required=required,
            choices=choices,
            validation=validation,
        )

    def choices(
        self, where: str, question_type: QuestionType, data: object
    ) -> tuple[Choice, ...] | None:
        if question_type not in CHOICE_TYPES:
            if data is not None:
                self.problem(where, f"only choice questions have choices, not {question_type}")
                return None
            return ()
        fewest = 2 if question_type is QuestionType.SINGLE_CHOICE else 1
        if data is None or (isinstance(data, list) and len(data) < fewest):
            needed = "2 choices" if fewest == 2 else "one choice"
            self.problem(where, f"a {question_type} question needs at least {needed}")
            return None
        items = self.items(where, data, '"choices"', MAX_CHOICES)
        if not items:
            return None
        seen: dict[str, str] = {}
        choices: list[Choice] = []
        for number, item in enumerate(items, 1):
            place = f"{where}, choice {number}"
            if not isinstance(item, dict):
                self.problem(place, "it must be an object with a value and a label")
                continue
            self.unknown_settings(place, item, {"value", "label"})
            value = item.get("value")
            if not isinstance(value, str) or not KEY_PATTERN.fullmatch(value):
                self.problem(
                    place,
                    f"the value {_quoted(value)} must start with a lowercase letter and hold only "
                    "lowercase letters, digits and underscores, 40 characters at most",
                )
                value = None
            elif value in seen:
                self.problem(place, f"the value {_quoted(value)} is already used by {seen[value]}")
                value = None
            else:
                seen[value] = f"choice {number}"
            label = self.text(place, "label", item.get("label"), limit=MAX_LABEL_LENGTH)
            if value is not None and label is not None:
                choices.append(Choice(value=value, label=label))
        return tuple(choices) if len(choices) == len(items) else None

    def validation(
        self,
        where: str,
        question_type: QuestionType,
        data: object,
        choices: tuple[Choice, ...] | None,
    ) -> Validation | None:
        if data is None:
            return Validation()
        if not isinstance(data, dict):
            self.problem(where, '"validation" must be an object')
            return None
        count = len(self.problems)
        accepted = VALIDATION_SETTINGS.get(question_type, frozenset())
        for name in data:
            if name not in ALL_VALIDATION_SETTINGS:
                known = _names(ALL_VALIDATION_SETTINGS)
                self.problem(where, f"unknown validation setting {_quoted(name)} (known: {known})")
            elif name not in accepted:
                self.problem(where, f'"{name}" does not apply to {question_type} questions')
        if len(self.problems) > count:
            return None
        settings: dict[str, Any] = {}
        if question_type in DEFAULT_MAX_LENGTH:
            ceiling = LARGEST_MAX_LENGTH[question_type]
            for name, floor in (("min_length", 0), ("max_length", 1)):
                settings[name] = self.whole_number(where, data, name, floor, ceiling)
            shortest = settings["min_length"] or 0
            longest = settings["max_length"] or DEFAULT_MAX_LENGTH[question_type]
            if shortest > longest:
                self.problem(
                    where, f'"min_length" ({shortest}) is more than the longest answer ({longest})'
                )
        if question_type is QuestionType.TEXT:
            settings["pattern"] = self.pattern(where, data.get("pattern"))
        if question_type is QuestionType.NUMBER:
            for name in ("min", "max"):
                value = data.get(name)
                if value is not None and not _is_number(value):
                    self.problem(where, f'"{name}" must be a number')
                elif value is not None:
                    settings[name] = Decimal(str(value))
        if question_type is QuestionType.MONEY:
            for name in ("min", "max"):
                value = data.get(name)
                if value is not None and not _is_int(value):
                    self.problem(where, f'"{name}" must be a whole number of cents, like 150000')
                elif value is not None:
                    settings[name] = value
        smallest, largest = settings.get("min"), settings.get("max")
        if smallest is not None and largest is not None and smallest > largest:
            self.problem(where, f'"min" ({data["min"]}) is more than "max" ({data["max"]})')
        if question_type is QuestionType.DATE:
            settings["not_in_future"] = self.flag(where, data, "not_in_future", False)
            not_before = data.get("not_before")
            if not_before is not None:
                try:
                    settings["not_before"] = date.fromisoformat(not_before)
                except (TypeError, ValueError):
                    self.problem(
                        where,
                        f'"not_before" must be a date like "2020-01-31", not {_quoted(not_before)}',
                    )
        if question_type is QuestionType.MULTIPLE_CHOICE and choices is not None:
            for name in ("min_choices", "max_choices"):
                settings[name] = self.whole_number(where, data, name, 1, len(choices))
            fewest, most = settings["min_choices"], settings["max_choices"]
            if fewest is not None and most is not None and fewest > most:
                self.problem(where, f'"min_choices" ({fewest}) is more than "max_choices" ({most})')
        if len(self.problems) > count:
            return None
        return Validation(**{name: value for name, value in settings.items() if value is not None})

    def whole_number(
        self, where: str, data: Mapping[str, Any], name: str, lowest: int, highest: int
    ) -> int | None:
        value = data.get(name)
        if value is None:
            return None
        if not _is_int(value) or not lowest <= value <= highest:
            self.problem(where, f'"{name}" must be a whole number from {lowest} to {highest}')
            return None
        return int(value)

    def pattern(self, where: str, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            self.problem(where, '"pattern" must be a regular expression')
            return None
        if len(value) > MAX_PATTERN_LENGTH:
            self.problem(where, f'"pattern" must be {MAX_PATTERN_LENGTH} characters or fewer')
            return None
        try:
            parsed = _regex_parser.parse(value)
            re.compile(value)
        except (re.error, RecursionError, OverflowError) as error:
            self.problem(where, f'"pattern" is not a valid regular expression: {error}')
            return None
        if _slow_pattern_problem(parsed.data):
            self.problem(
                where,
                '"pattern" repeats a part that can itself vary (like "(a+)+" or "(a|ab)+") or '
                "refers back to a group; checking an answer against it could take too long, "
                "so write it without repetition inside repetition",
            )
            return None
        return value

    def document_slot(self, number: int, data: object, seen: dict[str, str]) -> DocumentSlot | None:
        where = f"Document slot {number}"
        if not isinstance(data, dict):
            self.problem(where, "it must be an object")
            return None
        if isinstance(data.get("key"), str):
            where = f"{where} ({_quoted(data['key'])})"
        self.unknown_settings(
            where, data, {"key", "label", "hint", "required", "max_files", "kinds"}
        )
        key = self.key(where, data.get("key"), seen)
        label = self.text(where, "label", data.get("label"), limit=MAX_LABEL_LENGTH)
        hint = self.text(where, "hint", data.get("hint"), optional=True, limit=MAX_HINT_LENGTH)
        required = self.flag(where, data, "required", False)
        max_files = data.get("max_files", 1)
        if not _is_int(max_files) or not 1 <= max_files <= MAX_FILES_PER_SLOT:
            self.problem(
                where, f'"max_files" must be a whole number from 1 to {MAX_FILES_PER_SLOT}'
            )
            max_files = None
        kinds = data.get("kinds", list(DOCUMENT_KINDS))
        if not isinstance(kinds, list) or not kinds:
            self.problem(
                where, f'"kinds" must be a list of kinds of file: {_names(DOCUMENT_KINDS)}'
            )
            kinds = None
        else:
            unknown = [kind for kind in kinds if kind not in DOCUMENT_KINDS]
            if unknown:
                self.problem(
                    where,
                    f"unknown kinds of file: {', '.join(_quoted(kind) for kind in unknown)} "
                    f"(allowed: {_names(DOCUMENT_KINDS)})",
                )
                kinds = None
            else:
                kinds = list(dict.fromkeys(kinds))
        if key is None or label is None or max_files is None or kinds is None:
            return None
        return DocumentSlot(
            key=key,
            label=label,
            hint=hint,
            required=required,
            max_files=max_files,
            kinds=tuple(kinds),
        )

    def deadline(
        self, data: object, questions: list[Question], written: set[str]
    ) -> DeadlineRule | None:
        where = "The deadline"
        if data is None:
            return None
        if not isinstance(data, dict):
            self.problem(where, 'it must be an object like {"days": 30, "from_question": "..."}')
            return None
        self.unknown_settings(where, data, {"days", "from_question"})
        days = data.get("days")
        if (
            not isinstance(days, int)
            or isinstance(days, bool)
            or not 1 <= days <= MAX_DEADLINE_DAYS
        ):
            self.problem(where, f'"days" must be a whole number from 1 to {MAX_DEADLINE_DAYS}')
            days = None
        key = data.get("from_question")
        question = next((q for q in questions if q.key == key), None)
        if not isinstance(key, str):
            self.problem(where, '"from_question" must be the key of a date question')
            key = None
        elif question is None:
            if key not in written:  # else that question's own problems are reported
                self.problem(where, f"it counts from {_quoted(key)}, which is not a question here")
            key = None
        elif question.type is not QuestionType.DATE:
            self.problem(
                where,
                f"it counts from {_quoted(key)}, which is a {question.type} question, "
                "not a date question",
            )
            key = None
        elif not question.required:
            # Without the date there is no deadline, so a late filing would go unnoticed.
            self.problem(
                where, f"it counts from {_quoted(key)}, which must then be a required question"
            )
            key = None
        if days is None or key is None:
            return None
        return DeadlineRule(days=days, from_question=key)

    def fee(self, data: object) -> FeeRule | None:
        if data is None:
            return None
        if not isinstance(data, dict):
            self.problem("The fee", 'it must be an object like {"applies": true}')
            return None
        self.unknown_settings("The fee", data, {"applies"})
        if not isinstance(data.get("applies"), bool):
            self.problem("The fee", '"applies" must be true or false')
            return None
        return FeeRule(applies=data["applies"])


def parse_definition(data: object) -> CaseTypeDefinition:
    """Return the case type definition in parsed JSON, or raise DefinitionError listing why not."""
    parser = _Parser()
    try:
        definition = parser.definition(data)
    except RecursionError:
        parser.problems.append("The definition: it is nested too deeply")
        definition = None
    if definition is None or parser.problems:
        raise DefinitionError(parser.problems or ["The definition cannot be used"])
    return definition


# -- reading answers ------------------------------------------------------------------------


def _questions_of(
    definition_or_questions: CaseTypeDefinition | Sequence[Question],
) -> Sequence[Question]:
    if isinstance(definition_or_questions, CaseTypeDefinition):
        return definition_or_questions.questions
    return definition_or_questions


def _subject(question: Question) -> str:
    """Return how a message names a question at the start of a sentence.

    A label that is a noun phrase names it ("Date of the decision must include a
    month"); a label that is a question is quoted ("The answer to “When did it
    happen?” must include a month").
    """
    label = question.label.current()
    if label.rstrip().endswith("?"):
        return _("The answer to “%(question)s”", question=label)
    return label


def _mid_sentence(label: str) -> str:
    """Lower the first letter of a label put after a verb ("Enter date of the decision").

    Only when the second letter is lowercase too, so "SIN" or "T4 slip" keep theirs.
    """
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def _has_control_characters(value: str, allowed: str) -> bool:
    return any((ord(char) < 32 or ord(char) == 127) and char not in allowed for char in value)


def parse_decimal(raw: str, language: str) -> tuple[int, str, str] | None:
    """Return (sign, whole digits, fraction digits) of a number typed in English or French.

    Spaces (also no-break) group thousands in French; a single comma is a decimal
    comma in French and in English too unless three digits follow it ("1,234" is
    a thousand and more in English). With both marks, the last one is the decimal.
    """
    text = "".join(raw.split())
    if not text or len(text) > MAX_NUMBER_INPUT_LENGTH:
        return None
    sign = 1
    if text[0] in "-−":
        sign, text = -1, text[1:]
    elif text[0] == "+":
        text = text[1:]
    if not text or text.strip("0123456789.,"):
        return None
    decimal_mark: str | None = None
    group_mark: str | None = None
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        group_mark = "." if decimal_mark == "," else ","
    elif "," in text or "." in text:
        mark = "," if "," in text else "."
        # One comma before three digits groups thousands in English ("1,234").
        thousands = mark == "," and language != "fr" and re.fullmatch(r"\d{1,3},\d{3}", text)
        if text.count(mark) > 1 or thousands:
            group_mark = mark
        else:
            decimal_mark = mark
    whole, _mark, fraction = text.partition(decimal_mark) if decimal_mark else (text, "", "")
    if group_mark and group_mark in whole:
        if not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(group_mark)}\d{{3}})+", whole):
            return None
        whole = whole.replace(group_mark, "")
    if not whole.isdigit() and not (whole == "" and fraction):
        return None
    if fraction and not fraction.isdigit():
        return None
    return sign, whole or "0", fraction


class _AnswerReader:
    def __init__(self, form: Form, today: date) -> None:
        self.form = form
        self.today = today
        self.language = get_language()

    def raw(self, name: str) -> str:
        return self.form.value(name).strip()

    def read(self, question: Question) -> object:
        """Return the answer, or None when it is empty or wrong (with an error on the form)."""
        match question.type:
            case QuestionType.TEXT | QuestionType.LONG_TEXT:
                return self.text(question)
            case QuestionType.DATE:
                return self.date(question)
            case QuestionType.NUMBER:
                return self.number(question)
            case QuestionType.MONEY:
                return self.money(question)
            case QuestionType.YES_NO:
                return self.yes_no(question)
            case QuestionType.SINGLE_CHOICE:
                return self.single_choice(question)
            case QuestionType.MULTIPLE_CHOICE:
                return self.multiple_choice(question)
            case QuestionType.ADDRESS:
                return self.address(question)
            case QuestionType.PHONE:
                return self.phone(question)
            case QuestionType.EMAIL:
                return self.email(question)

    def error(self, question: Question, message: str, name: str | None = None) -> None:
        self.form.add_error(name or question.field_name, message)

    def missing(self, question: Question) -> None:
        if question.required:
            label = _mid_sentence(_subject(question))
            self.error(question, _("Enter %(label)s", label=label))

    def text(self, question: Question) -> str | None:
        value = (
            self.form.value(question.field_name).replace("\r\n", "\n").replace("\r", "\n").strip()
        )
        label = _subject(question)
        allowed = "\n\t" if question.type is QuestionType.LONG_TEXT else "\t"
        rules = question.validation
        longest = question.max_length() or 0
        if not value:
            self.missing(question)
            return None
        if _has_control_characters(value, allowed):
            self.error(question, _("Remove the control characters from this answer"))
        elif len(value) > longest:
            self.error(
                question,
                ngettext(
                    "%(label)s must be %(num)s character or fewer",
                    "%(label)s must be %(num)s characters or fewer",
                    longest,
                    label=label,
                    num=format_number(longest),
                ),
            )
        elif rules.min_length and len(value) < rules.min_length:
            self.error(
                question,
                ngettext(
                    "%(label)s must be %(num)s character or more",
                    "%(label)s must be %(num)s characters or more",
                    rules.min_length,
                    label=label,
                    num=format_number(rules.min_length),
                ),
            )
        elif rules.compiled_pattern is not None and not rules.compiled_pattern.fullmatch(value):
            self.error(
                question, _("Enter %(label)s in the correct format", label=_mid_sentence(label))
            )
        else:
            return value
        return None

    def date(self, question: Question) -> str | None:
        parts = {
            part: self.raw(f"{question.field_name}-{part}") for part in ("day", "month", "year")
        }
        label = _subject(question)
        missing = tuple(part for part, value in parts.items() if not value)
        if len(missing) == 3:
            self.missing(question)
            return None
        messages = {
            ("day",): _("%(label)s must include a day", label=label),
            ("month",): _("%(label)s must include a month", label=label),
            ("year",): _("%(label)s must include a year", label=label),
            ("day", "month"): _("%(label)s must include a day and month", label=label),
            ("day", "year"): _("%(label)s must include a day and year", label=label),
            ("month", "year"): _("%(label)s must include a month and year", label=label),
        }
        if missing:
            self.error(question, messages[missing])
            return None
        day, month, year = parts["day"], parts["month"], parts["year"]
        if year.isdigit() and len(year) != 4 and len(day) <= 2 and len(month) <= 2:
            self.error(question, _("%(label)s must include a year with 4 numbers", label=label))
            return None
        try:
            if not all(value.isdigit() and value.isascii() for value in parts.values()):
                raise ValueError
            if len(day) > 2 or len(month) > 2:
                raise ValueError
            answer = date(int(year), int(month), int(day))
        except ValueError:
            self.error(question, _("%(label)s must be a real date", label=label))
            return None
        rules = question.validation
        if rules.not_in_future and answer > self.today:
            self.error(question, _("%(label)s must be today or in the past", label=label))
            return None
        if rules.not_before is not None and answer < rules.not_before:
            self.error(
                question,
                _(
                    "%(label)s must be the same as or after %(date)s",
                    label=label,
                    date=format_date(rules.not_before),
                ),
            )
            return None
        return answer.isoformat()

    def limits(self, question: Question, value: Decimal | int) -> bool:
        """Add an error if a number or amount is out of range; return whether it is in range."""
        label = _subject(question)
        rules = question.validation
        lowest = rules.min
        highest = rules.max
        if question.type is QuestionType.MONEY:
            lowest = 0 if lowest is None else lowest
            highest = DEFAULT_MAX_CENTS if highest is None else highest
        if lowest is not None and value < lowest:
            limit = _show_limit(question, lowest)
            self.error(question, _("%(label)s must be %(limit)s or more", label=label, limit=limit))
            return False
        if highest is not None and value > highest:
            limit = _show_limit(question, highest)
            self.error(question, _("%(label)s must be %(limit)s or less", label=label, limit=limit))
            return False
        return True

    def number(self, question: Question) -> int | str | None:
        raw = self.raw(question.field_name)
        if not raw:
            self.missing(question)
            return None
        parsed = parse_decimal(raw, self.language)
        if parsed is None:
            label = _subject(question)
            self.error(question, _("%(label)s must be a number", label=label))
            return None
        sign, whole, fraction = parsed
        fraction = fraction.rstrip("0")
        value = Decimal(f"{'-' if sign < 0 else ''}{whole}.{fraction or '0'}")
        if not self.limits(question, value):
            return None
        if not fraction:
            return sign * int(whole)
        return f"{'-' if sign < 0 else ''}{int(whole)}.{fraction}"

    def money(self, question: Question) -> int | None:
        raw = self.raw(question.field_name)
        text = raw.replace("$", "").strip()
        if text.upper().endswith("CAD"):
            text = text[:-3]
        if not raw:
            self.missing(question)
            return None
        parsed = parse_decimal(text, self.language) if text else None
        if parsed is None or len(parsed[2]) > 2:
            label = _subject(question)
            self.error(
                question,
                _("%(label)s must be an amount in dollars and cents, like 1,234.50", label=label),
            )
            return None
        sign, whole, fraction = parsed
        cents = sign * (int(whole) * 100 + int(fraction.ljust(2, "0")))
        if not self.limits(question, cents):
            return None
        return cents

    def yes_no(self, question: Question) -> bool | None:
        value = self.raw(question.field_name)
        if value in ("yes", "no"):
            return value == "yes"
        if value or question.required:
            self.error(question, _("Select yes or no: %(label)s", label=question.label.current()))
        return None

    def single_choice(self, question: Question) -> str | None:
        value = self.raw(question.field_name)
        if value in {choice.value for choice in question.choices}:
            return value
        if value or question.required:
            label = question.label.current()
            self.error(question, _("Select an option: %(label)s", label=label))
        return None

    def multiple_choice(self, question: Question) -> list[str] | None:
        picked = {value.strip() for value in self.form.lists.get(question.field_name, [])}
        picked.discard("")
        label = question.label.current()
        rules = question.validation
        if picked - {choice.value for choice in question.choices}:
            self.error(question, _("Select an option: %(label)s", label=label))
            return None
        if not picked and not question.required:
            return None
        fewest = max(rules.min_choices or 1, 1)
        if not picked:
            self.error(question, _("Select at least one option: %(label)s", label=label))
            return None
        if len(picked) < fewest:
            self.error(
                question,
                ngettext(
                    "Select at least %(num)s option: %(label)s",
                    "Select at least %(num)s options: %(label)s",
                    fewest,
                    label=label,
                ),
            )
            return None
        if rules.max_choices is not None and len(picked) > rules.max_choices:
            self.error(
                question,
                ngettext(
                    "Select no more than %(num)s option: %(label)s",
                    "Select no more than %(num)s options: %(label)s",
                    rules.max_choices,
                    label=label,
                ),
            )
            return None
        return [choice.value for choice in question.choices if choice.value in picked]

    def address(self, question: Question) -> dict[str, str] | None:
        values = {
            part: " ".join(self.form.value(f"{question.field_name}-{part}").split())
            for part in ADDRESS_PARTS
        }
        if not any(values.values()) and not question.required:
            return None
        label = question.label.current()
        ids = {part: address_field_id(question, part) for part in ADDRESS_PARTS}
        errors_before = len(self.form.errors)
        for part, value in values.items():
            if _has_control_characters(value, ""):
                self.error(question, _("Remove the control characters from this answer"), ids[part])
            elif len(value) > MAX_ADDRESS_LINE_LENGTH:
                self.error(
                    question,
                    _(
                        "%(label)s: each line must be %(n)s characters or fewer",
                        label=label,
                        n=MAX_ADDRESS_LINE_LENGTH,
                    ),
                    ids[part],
                )
        if not values["line1"]:
            self.error(
                question,
                _(
                    "%(label)s: enter address line 1, typically the building and street",
                    label=label,
                ),
                ids["line1"],
            )
        if not values["city"]:
            self.error(question, _("%(label)s: enter the town or city", label=label), ids["city"])
        if values["province"] not in PROVINCES:
            self.error(
                question,
                _("%(label)s: select the province or territory", label=label),
                ids["province"],
            )
        postal_code = re.sub(r"[\s-]", "", values["postal_code"]).upper()
        matched = POSTAL_CODE.fullmatch(postal_code)
        if not postal_code:
            self.error(
                question, _("%(label)s: enter the postal code", label=label), ids["postal_code"]
            )
        elif not matched:
            self.error(
                question,
                _("%(label)s: enter a real postal code, like K1A 0B1", label=label),
                ids["postal_code"],
            )
        if len(self.form.errors) > errors_before or matched is None:
            return None
        values["postal_code"] = f"{matched.group(1)} {matched.group(2)}"
        return values

    def phone(self, question: Question) -> str | None:
        value = " ".join(self.raw(question.field_name).split())
        if not value:
            self.missing(question)
            return None
        matched = PHONE.fullmatch(value) if len(value) <= 40 else None
        digits = sum(char.isdigit() for char in matched.group("number")) if matched else 0
        if matched is None or not 10 <= digits <= 15:
            label = _mid_sentence(_subject(question))
            self.error(
                question, _("Enter %(label)s in the correct format, like 416 555 0123", label=label)
            )
            return None
        return value

    def email(self, question: Question) -> str | None:
        value = self.raw(question.field_name)
        if not value:
            self.missing(question)
            return None
        try:
            if len(value) > 320:
                raise EmailNotValidError
            checked = validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            label = _mid_sentence(_subject(question))
            self.error(
                question,
                _("Enter %(label)s in the correct format, like name@example.com", label=label),
            )
            return None
        return checked.normalized.lower()


def _show_limit(question: Question, limit: Decimal | int) -> str:
    if question.type is QuestionType.MONEY:
        return format_money(int(limit))
    return format_decimal(Decimal(limit))


def address_field_id(question: Question, part: str) -> str:
    """Return the id of an address part's input: the first line takes the question's id."""
    return question.field_name if part == "line1" else f"{question.field_name}-{part}"


def _today_in(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


def read_answers(
    definition_or_questions: CaseTypeDefinition | Sequence[Question],
    form: Form,
    *,
    today: date | None = None,
) -> dict[str, object]:
    """Return the posted answers by question key, adding an error to the form for each wrong one.

    Values are ready for JSON: a date is an ISO string, money integer cents, a
    number an int (or the string of a decimal), yes/no a bool, multiple choice a
    list, an address a dict. Unanswered optional questions (and wrong answers)
    are left out. ``today`` is the tribunal's date (for "not in the future").
    """
    reader = _AnswerReader(form, today or _today_in(DEFAULT_TIME_ZONE))
    answers: dict[str, object] = {}
    for question in _questions_of(definition_or_questions):
        value = reader.read(question)
        if value is not None:
            answers[question.key] = value
    return answers


# -- saved answers back into a form ---------------------------------------------------------


def form_values(
    definition_or_questions: CaseTypeDefinition | Sequence[Question], answers: Mapping[str, object]
) -> dict[str, str | list[str]]:
    """Return the form fields that post these answers again (a draft filling its form)."""
    values: dict[str, str | list[str]] = {}
    for question in _questions_of(definition_or_questions):
        value = answers.get(question.key)
        if value is None:
            continue
        name = question.field_name
        match question.type:
            case QuestionType.DATE if isinstance(value, str):
                try:
                    day = date.fromisoformat(value)
                except ValueError:
                    continue
                values[f"{name}-day"] = str(day.day)
                values[f"{name}-month"] = str(day.month)
                values[f"{name}-year"] = str(day.year)
            case QuestionType.MONEY if _is_int(value):
                assert isinstance(value, int)
                sign = "-" if value < 0 else ""
                whole, cents = divmod(abs(value), 100)
                mark = "," if get_language() == "fr" else "."
                values[name] = f"{sign}{whole}{mark}{cents:02d}"
            case QuestionType.YES_NO if isinstance(value, bool):
                values[name] = "yes" if value else "no"
            case QuestionType.MULTIPLE_CHOICE if isinstance(value, list):
                values[name] = [str(item) for item in value]
            case QuestionType.ADDRESS if isinstance(value, dict):
                for part in ADDRESS_PARTS:
                    values[f"{name}-{part}"] = str(value.get(part, ""))
            case QuestionType.NUMBER:
                # A point reads as a decimal mark in both languages; a comma would not.
                values[name] = str(value)
            case _:
                values[name] = str(value)
    return values


def answers_form(
    definition_or_questions: CaseTypeDefinition | Sequence[Question], answers: Mapping[str, object]
) -> Form:
    """Return a form filled with saved answers, ready to render."""
    form = Form()
    for name, value in form_values(definition_or_questions, answers).items():
        form.lists[name] = value if isinstance(value, list) else [value]
        form.values[name] = form.lists[name][-1] if form.lists[name] else ""
    return form


# -- showing answers ------------------------------------------------------------------------


def format_decimal(value: Decimal) -> str:
    """Return a number written the way the current language writes it, every digit kept."""
    locale = "fr_CA" if get_language() == "fr" else "en_CA"
    return numbers.format_decimal(value, locale=locale, decimal_quantization=False)


def display_answer(question: Question, value: object) -> str:
    """Return an answer as text for the check-your-answers page; lines are joined with "\\n"."""
    if value is None or value == "" or value == []:
        return _("Not answered")
    match question.type:
        case QuestionType.DATE if isinstance(value, str):
            try:
                return format_date(date.fromisoformat(value))
            except ValueError:
                return value
        case QuestionType.MONEY if _is_int(value):
            assert isinstance(value, int)
            return format_money(value)
        case QuestionType.NUMBER if _is_int(value) or isinstance(value, str):
            try:
                return format_decimal(Decimal(str(value)))
            except ArithmeticError:
                return str(value)
        case QuestionType.YES_NO if isinstance(value, bool):
            return _("Yes") if value else _("No")
        case QuestionType.SINGLE_CHOICE:
            return question.choice_label(value)
        case QuestionType.MULTIPLE_CHOICE if isinstance(value, list):
            return "\n".join(question.choice_label(item) for item in value)
        case QuestionType.ADDRESS if isinstance(value, dict):
            parts = {part: str(value.get(part) or "") for part in ADDRESS_PARTS}
            town = " ".join(
                part for part in (parts["city"], parts["province"], parts["postal_code"]) if part
            )
            return "\n".join(line for line in (parts["line1"], parts["line2"], town) if line)
    return str(value)


# -- the filing deadline --------------------------------------------------------------------


def filing_deadline(definition: CaseTypeDefinition, answers: Mapping[str, object]) -> date | None:
    """Return the last day to file, or None if the case type has no deadline or no date yet."""
    rule = definition.deadline
    if rule is None:
        return None
    start = answers.get(rule.from_question)
    if not isinstance(start, str):
        return None
    try:
        return date.fromisoformat(start) + timedelta(days=rule.days)
    except (ValueError, OverflowError):
        return None


def is_late(definition: CaseTypeDefinition, answers: Mapping[str, object], today: date) -> bool:
    """Return whether a filing made ``today`` is after its deadline (then it needs reasons)."""
    deadline = filing_deadline(definition, answers)
    return deadline is not None and today > deadline
