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
from typing import Any, Protocol

import re2

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
    # Compiled once by the parser, not on every answer checked; None with a pattern when
    # the definition was stored before its pattern was refused (see parse_definition).
    compiled_pattern: CompiledPattern | None = field(default=None, repr=False, compare=False)

    @property
    def pattern_unusable(self) -> bool:
        """Whether the question has a pattern that cannot be run: no answer then passes."""
        return self.pattern is not None and self.compiled_pattern is None

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


# -- patterns -------------------------------------------------------------------------------
#
# A tribunal's pattern runs on claimants' answers in the server process. Python's ``re``
# backtracks, and some patterns take minutes on a few hundred characters; RE2 matches in
# time linear in the answer whatever the pattern. Patterns are still written in Python's
# syntax (the editor's guidance) and keep Python's meaning: they are read by Python's own
# parser and written out for RE2, with \d, \w and \s meaning what they mean in Python
# (Unicode: "é" is a letter, "٣" a digit). What RE2 cannot run is refused.

# RE2 refuses to compile a pattern whose program would need more memory than this.
PATTERN_MEMORY_BYTES = 256 * 1024
# Compiling costs time and memory in proportion to the program RE2 builds ("\w{1,10}",
# a Unicode class repeated, is 13,000 instructions and 8 ms; "[0-9]{8}" is 12): the
# patterns of a definition's questions share this budget.
MAX_PATTERNS_PROGRAM_SIZE = 50_000


class CompiledPattern(Protocol):
    """A pattern compiled by RE2 (the ``re2`` module has no type hints)."""

    @property
    def programsize(self) -> int: ...

    def fullmatch(self, text: str) -> object | None: ...


class PatternProblem(StrEnum):
    INVALID = "invalid"
    BACKREFERENCE = "backreference"
    LOOKAROUND = "lookaround"
    ATOMIC = "atomic"
    WORD_BOUNDARY = "word_boundary"
    UNSUPPORTED = "unsupported"
    TOO_LARGE = "too_large"


class UnusablePatternError(ValueError):
    """A pattern that cannot be run; ``problem`` says why (``detail``: Python's message)."""

    def __init__(self, problem: PatternProblem, detail: str = "") -> None:
        super().__init__(detail or problem.value)
        self.problem = problem
        self.detail = detail


def compile_pattern(pattern: str) -> CompiledPattern:
    """Return the pattern (Python's syntax) compiled by RE2, or raise UnusablePatternError."""
    try:
        parsed = regex_parser.parse(pattern)
    except (re.error, RecursionError, OverflowError) as error:
        raise UnusablePatternError(PatternProblem.INVALID, str(error)) from None
    flags = parsed.state.flags
    written = _Re2Writer(ascii_classes=bool(flags & re.ASCII)).items(parsed.data)
    switches = _flag_letters(flags)
    options = re2.Options()
    options.max_mem = PATTERN_MEMORY_BYTES
    options.log_errors = False
    try:
        compiled: CompiledPattern = re2.compile(
            f"(?{switches}){written}" if switches else written, options
        )
    except re2.error:
        # Python's parser accepted the pattern, so RE2's own limits refused it: its size,
        # or a count above 1,000 ("a{1001}").
        raise UnusablePatternError(PatternProblem.TOO_LARGE) from None
    return compiled


def _flag_letters(flags: int) -> str:
    """Return RE2's letters for the flags it shares with Python (verbose is the parser's)."""
    return "".join(
        letter
        for flag, letter in ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"))
        if flags & flag
    )


def _pattern_char(code: int) -> str:
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\x{{{code:x}}}"


# What Python's \d, \w and \s match, as the inside of an RE2 character class.
_UNICODE_CLASSES = {
    "digit": "\\p{Nd}",
    "word": "\\p{L}\\p{N}_",
    "space": "\\t-\\r\\x{1c}-\\x{20}\\x{85}\\p{Z}",
}
_ASCII_CLASSES = {"digit": "0-9", "word": "0-9A-Za-z_", "space": "\\t-\\r "}


class _Re2Writer:
    """Writes Python's parse of a pattern in RE2's syntax, with Python's meaning."""

    def __init__(self, *, ascii_classes: bool) -> None:
        self.ascii_classes = ascii_classes

    def category(self, category: object) -> tuple[str, bool]:
        """Return a category's class body and whether it is negated (\\D, \\W, \\S)."""
        names = _ASCII_CLASSES if self.ascii_classes else _UNICODE_CLASSES
        constants = regex_constants
        for name, positive, negative in (
            ("digit", constants.CATEGORY_DIGIT, constants.CATEGORY_NOT_DIGIT),
            ("word", constants.CATEGORY_WORD, constants.CATEGORY_NOT_WORD),
            ("space", constants.CATEGORY_SPACE, constants.CATEGORY_NOT_SPACE),
        ):
            if category is positive:
                return names[name], False
            if category is negative:
                return names[name], True
        raise UnusablePatternError(PatternProblem.UNSUPPORTED)

    def char_class(self, items: list[tuple[Any, Any]]) -> str:
        constants = regex_constants
        negated = bool(items) and items[0][0] is constants.NEGATE
        members = items[1:] if negated else items
        if len(members) == 1 and members[0][0] is constants.CATEGORY:
            # A lone \D, \W or \S (or [^\w]): RE2 writes the complement as [^...].
            body, category_negated = self.category(members[0][1])
            return f"[{'^' if negated != category_negated else ''}{body}]"
        letters = self.letters_idiom(members) if negated else None
        if letters is not None:
            return letters
        parts = []
        for op, argument in members:
            if op is constants.LITERAL:
                parts.append(_pattern_char(argument))
            elif op is constants.RANGE:
                parts.append(f"{_pattern_char(argument[0])}-{_pattern_char(argument[1])}")
            elif op is constants.CATEGORY:
                body, category_negated = self.category(argument)
                if not category_negated:
                    parts.append(body)
                elif argument is constants.CATEGORY_NOT_DIGIT:
                    parts.append("\\D" if self.ascii_classes else "\\P{Nd}")
                else:
                    # RE2 has no member for the complement of Python's \w or \s.
                    raise UnusablePatternError(PatternProblem.UNSUPPORTED)
            else:
                raise UnusablePatternError(PatternProblem.UNSUPPORTED)
        return f"[{'^' if negated else ''}{''.join(parts)}]"

    def letters_idiom(self, members: list[tuple[Any, Any]]) -> str | None:
        """Return Python's way of writing "letters" ([^\\W\\d_] and the like) in RE2's, or None.

        RE2 cannot take \\W away from other members, but these few are plain classes.
        """
        constants = regex_constants
        names = set()
        for op, argument in members:
            if op is constants.CATEGORY and argument is constants.CATEGORY_NOT_WORD:
                names.add("W")
            elif op is constants.CATEGORY and argument is constants.CATEGORY_DIGIT:
                names.add("d")
            elif op is constants.LITERAL and argument == ord("_"):
                names.add("_")
            else:
                return None
        if "W" not in names or self.ascii_classes:
            return None
        digits = "\\p{Nl}\\p{No}" if "d" in names else "\\p{N}"
        return f"[\\p{{L}}{digits}{'' if '_' in names else '_'}]"

    def items(self, items: Any) -> str:
        constants = regex_constants
        written = []
        for op, argument in items:
            if op is constants.LITERAL:
                written.append(_pattern_char(argument))
            elif op is constants.NOT_LITERAL:
                written.append(f"[^{_pattern_char(argument)}]")
            elif op is constants.ANY:
                written.append(".")
            elif op is constants.IN:
                written.append(self.char_class(list(argument)))
            elif op is constants.BRANCH:
                written.append("(?:" + "|".join(self.items(branch) for branch in argument[1]) + ")")
            elif op is constants.SUBPATTERN:
                written.append(self.group(*argument))
            elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT):
                low, high, body = argument
                most = "" if high == constants.MAXREPEAT else str(high)
                count = f"{{{low}}}" if low == high else f"{{{low},{most}}}"
                lazy = "?" if op is constants.MIN_REPEAT else ""
                written.append(f"(?:{self.items(body)}){count}{lazy}")
            elif op is constants.AT:
                written.append(self.anchor(argument))
            elif op in (constants.GROUPREF, constants.GROUPREF_EXISTS):
                raise UnusablePatternError(PatternProblem.BACKREFERENCE)
            elif op in (constants.ASSERT, constants.ASSERT_NOT):
                raise UnusablePatternError(PatternProblem.LOOKAROUND)
            elif op in (constants.ATOMIC_GROUP, constants.POSSESSIVE_REPEAT):
                raise UnusablePatternError(PatternProblem.ATOMIC)
            else:
                raise UnusablePatternError(PatternProblem.UNSUPPORTED)
        return "".join(written)

    def group(self, number: int | None, add_flags: int, del_flags: int, body: Any) -> str:
        switches, off = _flag_letters(add_flags), _flag_letters(del_flags)
        ascii_classes = self.ascii_classes
        if add_flags & re.ASCII:
            self.ascii_classes = True
        elif add_flags & re.UNICODE:
            self.ascii_classes = False
        try:
            inner = self.items(body)
        finally:
            self.ascii_classes = ascii_classes
        if switches or off:
            inner = f"(?{switches}{'-' + off if off else ''}:{inner})"
        return f"({inner})" if number is not None else f"(?:{inner})"

    def anchor(self, at: object) -> str:
        constants = regex_constants
        if at is constants.AT_BEGINNING:
            return "^"
        if at is constants.AT_END:
            return "$"
        if at is constants.AT_BEGINNING_STRING:
            return "\\A"
        if at is constants.AT_END_STRING:
            return "\\z"
        if at in (constants.AT_BOUNDARY, constants.AT_NON_BOUNDARY) and self.ascii_classes:
            return "\\b" if at is constants.AT_BOUNDARY else "\\B"
        if at in (constants.AT_BOUNDARY, constants.AT_NON_BOUNDARY):
            # RE2's word boundaries know only ASCII letters: "\bÉmile" would never match.
            raise UnusablePatternError(PatternProblem.WORD_BOUNDARY)
        raise UnusablePatternError(PatternProblem.UNSUPPORTED)


def pattern_problem_message(problem: PatternProblem, detail: str = "") -> str:
    """Return what is wrong with a pattern and what to do, in the current language."""
    match problem:
        case PatternProblem.INVALID:
            return _("The pattern is not a valid regular expression (%(detail)s)", detail=detail)
        case PatternProblem.BACKREFERENCE:
            return _(
                "Patterns cannot refer back to a group (like \\1 or (?P=name)): write the "
                "pattern without the reference"
            )
        case PatternProblem.LOOKAROUND:
            return _(
                "Patterns cannot look ahead or behind (like (?=…) or (?<!…)): write the "
                "pattern without it"
            )
        case PatternProblem.ATOMIC:
            return _(
                "Patterns cannot use atomic groups or possessive repetitions (like (?>…) or "
                "a*+): write the pattern without them"
            )
        case PatternProblem.WORD_BOUNDARY:
            return _(
                "Patterns cannot use word boundaries (\\b or \\B), which do not see accented "
                "letters: write the pattern without them"
            )
        case PatternProblem.UNSUPPORTED:
            return _(
                "Patterns cannot put \\W or \\S between brackets with other characters, "
                "except in [^\\W\\d_] (letters): write the pattern more simply"
            )
        case PatternProblem.TOO_LARGE:
            return _(
                "The pattern is too large to check quickly (a count above 1,000, or a class "
                "like \\w repeated many times): write it more simply"
            )
