"""Reading a claimant's answers to a definition's questions, and showing them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal

import anyio
import anyio.to_thread
from babel import numbers
from email_validator import EmailNotValidError, validate_email

from filings.casetypes.definitions import (
    ADDRESS_PARTS,
    DEFAULT_MAX_CENTS,
    DEFAULT_TIME_ZONE,
    MAX_ADDRESS_LINE_LENGTH,
    MAX_NUMBER_INPUT_LENGTH,
    POSTAL_CODE,
    PROVINCES,
    CaseTypeDefinition,
    CompiledPattern,
    Question,
    QuestionType,
    is_int,
)
from tribune.db import local_today
from tribune.forms import Form, is_phone_number
from tribune.i18n import format_date, format_money, format_number, get_language, ngettext
from tribune.i18n import gettext as _

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


# Patterns are matched by RE2, in time linear in the answer (at most 1,000 characters),
# but still in worker threads, so that nothing a tribunal writes runs on the event loop,
# and under a time limit, so that a queue of answers to check cannot hold a page.
MATCHING_THREADS = 2
_matching_limiter = anyio.CapacityLimiter(MATCHING_THREADS)
DEFAULT_MATCHING_SECONDS = 1.0


def _matches(checks: list[tuple[CompiledPattern, str]]) -> list[bool]:
    return [pattern.fullmatch(value) is not None for pattern, value in checks]


async def _matched_patterns(
    reader: _AnswerReader, questions: Sequence[Question], time_limit: float
) -> dict[str, bool] | None:
    """Return whether each patterned answer matches its pattern, by question key; None if
    they could not be checked within the time limit. Answers that fail another check first
    (empty, too long) are not matched."""
    keys: list[str] = []
    checks: list[tuple[CompiledPattern, str]] = []
    for question in questions:
        pattern = question.validation.compiled_pattern
        if pattern is None:
            continue
        value = reader.text_value(question)
        if value and len(value) <= (question.max_length() or 0):
            keys.append(question.key)
            checks.append((pattern, value))
    if not checks:
        return {}
    try:
        with anyio.fail_after(time_limit):
            matched = await anyio.to_thread.run_sync(
                _matches, checks, limiter=_matching_limiter, abandon_on_cancel=True
            )
    except TimeoutError:
        return None
    return dict(zip(keys, matched, strict=True))


class _AnswerReader:
    def __init__(self, form: Form, today: date) -> None:
        self.form = form
        self.today = today
        self.language = get_language()
        # Set by read_answers before reading: see _matched_patterns.
        self.pattern_matches: dict[str, bool] | None = {}

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

    def text_value(self, question: Question) -> str:
        """Return a text answer as posted, with plain line ends and no surrounding space."""
        posted = self.form.value(question.field_name)
        return posted.replace("\r\n", "\n").replace("\r", "\n").strip()

    def text(self, question: Question) -> str | None:
        value = self.text_value(question)
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
        elif rules.pattern_unusable:
            # Stored before such patterns were refused: fail closed until the tribunal
            # publishes a version without it (its editor lists the problem).
            self.error(
                question,
                _(
                    "This question cannot be answered online for now. Contact the tribunal "
                    "to file your case"
                ),
            )
        elif rules.pattern is not None and self.pattern_matches is None:
            self.error(question, _("We could not check this answer in time. Try again"))
        elif rules.pattern is not None and not (self.pattern_matches or {}).get(question.key):
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
        if not is_phone_number(value):
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


async def read_answers(
    definition_or_questions: CaseTypeDefinition | Sequence[Question],
    form: Form,
    *,
    today: date | None = None,
    matching_seconds: float = DEFAULT_MATCHING_SECONDS,
) -> dict[str, object]:
    """Return the posted answers by question key, adding an error to the form for each wrong one.

    Values are ready for JSON: a date is an ISO string, money integer cents, a
    number an int (or the string of a decimal), yes/no a bool, multiple choice a
    list, an address a dict. Unanswered optional questions (and wrong answers)
    are left out. ``today`` is the tribunal's date (for "not in the future").
    Answers are matched against their patterns in worker threads within
    ``matching_seconds``; past it, each such answer is refused with a message to try again.
    """
    questions = _questions_of(definition_or_questions)
    reader = _AnswerReader(form, today or local_today(DEFAULT_TIME_ZONE))
    reader.pattern_matches = await _matched_patterns(reader, questions, matching_seconds)
    answers: dict[str, object] = {}
    for question in questions:
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
            case QuestionType.MONEY if is_int(value):
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
        case QuestionType.MONEY if is_int(value):
            assert isinstance(value, int)
            return format_money(value)
        case QuestionType.NUMBER if is_int(value) or isinstance(value, str):
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
