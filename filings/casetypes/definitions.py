"""The typed classes of a case type's definition, and the limits a definition keeps."""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tribune.i18n import get_language, in_language
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
        return in_language({"en": self.en, "fr": self.fr})

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


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return is_int(value) or (isinstance(value, float) and math.isfinite(value))


def quoted(value: object) -> str:
    """Show a value from the definition in a message, shortened."""
    text = value if isinstance(value, str) else repr(value)
    return f'"{text[:60]}…"' if len(text) > 60 else f'"{text}"'


def names_list(values: Sequence[str] | frozenset[str]) -> str:
    return ", ".join(sorted(values) if isinstance(values, frozenset) else values)


regex_parser: Any = importlib.import_module("re._parser")
regex_constants: Any = importlib.import_module("re._constants")
_REPEATS = {
    regex_constants.MAX_REPEAT,
    regex_constants.MIN_REPEAT,
    regex_constants.POSSESSIVE_REPEAT,
}


def slow_pattern_problem(items: Any, repeated: bool = False) -> str | None:
    """Return why a pattern could take exponential time on a long answer, or None.

    Python's ``re`` backtracks and cannot be interrupted, and a tribunal's pattern
    runs in the server process for every answer: a repetition inside another
    (``(a+)+``), an alternative inside a repetition (``(a|ab)+``) or a
    back-reference could stall it. Fixed counts inside a repetition (``(\\d{3}-)+``)
    are fine.
    """
    constants = regex_constants
    for op, argument in items:
        if op in _REPEATS:
            low, high, body = argument
            if repeated and high > 1 and high != low:
                return "nested"
            problem = slow_pattern_problem(body, repeated or high > 1)
        elif op is constants.SUBPATTERN:
            problem = slow_pattern_problem(argument[-1], repeated)
        elif op is constants.ATOMIC_GROUP:
            problem = slow_pattern_problem(argument, repeated)
        elif op in (constants.ASSERT, constants.ASSERT_NOT):
            problem = slow_pattern_problem(argument[1], repeated)
        elif op is constants.BRANCH:
            if repeated:
                return "alternation"
            problem = next(
                (p for p in (slow_pattern_problem(b, repeated) for b in argument[1]) if p), None
            )
        elif op in (constants.GROUPREF, constants.GROUPREF_EXISTS):
            return "backreference"
        else:
            problem = None
        if problem:
            return problem
    return None
