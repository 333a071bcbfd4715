"""Reading a definition's JSON into its typed classes, with every problem found in it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from filings.casetypes.definitions import (
    ALL_VALIDATION_SETTINGS,
    CHOICE_TYPES,
    DEFAULT_MAX_LENGTH,
    DOCUMENT_KINDS,
    KEY_PATTERN,
    LARGEST_MAX_LENGTH,
    MAX_CHOICES,
    MAX_DEADLINE_DAYS,
    MAX_DOCUMENT_SLOTS,
    MAX_FILES_PER_SLOT,
    MAX_HINT_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_PATTERN_LENGTH,
    MAX_PATTERNS_PROGRAM_SIZE,
    MAX_QUESTIONS,
    VALIDATION_SETTINGS,
    CaseTypeDefinition,
    Choice,
    CompiledPattern,
    DeadlineRule,
    DefinitionError,
    DocumentSlot,
    FeeRule,
    PatternProblem,
    Question,
    QuestionType,
    Text,
    UnusablePatternError,
    Validation,
    compile_pattern,
    is_int,
    is_number,
    names_list,
    pattern_problem_message,
    quoted,
)
from tribune.i18n import use_language


class _Parser:
    """Collects every problem of a definition rather than stopping at the first."""

    def __init__(self, *, stored: bool = False) -> None:
        self.problems: list[str] = []
        self.stored = stored
        # The RE2 program sizes of the patterns read so far (MAX_PATTERNS_PROGRAM_SIZE).
        self.patterns_size = 0

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def unknown_settings(self, where: str, data: Mapping[str, Any], known: set[str]) -> None:
        for name in data:
            if name not in known:
                self.problem(where, f"unknown setting {quoted(name)}")

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
                f"the key {quoted(value)} must start with a lowercase letter and hold only "
                "lowercase letters, digits and underscores, 40 characters at most",
            )
            return None
        if value in seen:
            self.problem(where, f"the key {quoted(value)} is already used by {seen[value]}")
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
            where = f"{where} ({quoted(data['key'])})"
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
            types = names_list([member.value for member in QuestionType])
            self.problem(where, f"the type {quoted(raw_type)} is not one of: {types}")
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
                    f"the value {quoted(value)} must start with a lowercase letter and hold only "
                    "lowercase letters, digits and underscores, 40 characters at most",
                )
                value = None
            elif value in seen:
                self.problem(place, f"the value {quoted(value)} is already used by {seen[value]}")
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
                known = names_list(ALL_VALIDATION_SETTINGS)
                self.problem(where, f"unknown validation setting {quoted(name)} (known: {known})")
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
            pattern = self.pattern(where, data.get("pattern"))
            if pattern is not None:
                settings["pattern"], settings["compiled_pattern"] = pattern
        if question_type is QuestionType.NUMBER:
            for name in ("min", "max"):
                value = data.get(name)
                if value is not None and not is_number(value):
                    self.problem(where, f'"{name}" must be a number')
                elif value is not None:
                    settings[name] = Decimal(str(value))
        if question_type is QuestionType.MONEY:
            for name in ("min", "max"):
                value = data.get(name)
                if value is not None and not is_int(value):
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
                        f'"not_before" must be a date like "2020-01-31", not {quoted(not_before)}',
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
        if not is_int(value) or not lowest <= value <= highest:
            self.problem(where, f'"{name}" must be a whole number from {lowest} to {highest}')
            return None
        return int(value)

    def pattern(self, where: str, value: object) -> tuple[str, CompiledPattern | None] | None:
        """Return the pattern and its compiled form, or None if there is no pattern or a problem.

        A pattern RE2 cannot run, in a definition read back from the database (stored
        before such patterns were refused), is kept uncompiled: its question then refuses
        every answer rather than the whole case type failing to load.
        """
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            self.problem(where, '"pattern" must be a regular expression')
            return None
        if len(value) > MAX_PATTERN_LENGTH:
            self.problem(where, f'"pattern" must be {MAX_PATTERN_LENGTH} characters or fewer')
            return None
        try:
            compiled = compile_pattern(value)
        except UnusablePatternError as error:
            if error.problem is PatternProblem.INVALID:
                self.problem(where, f'"pattern" is not a valid regular expression: {error.detail}')
            elif self.stored:
                return value, None
            else:
                # In English, as every problem the parser finds.
                with use_language("en"):
                    self.problem(where, pattern_problem_message(error.problem, error.detail))
            return None
        self.patterns_size += compiled.programsize
        if self.patterns_size > MAX_PATTERNS_PROGRAM_SIZE:
            if self.stored:
                return value, None
            self.problem(
                where,
                "the patterns of these questions are too large together to check quickly: "
                "write them more simply (a class like \\w repeated many times costs the most)",
            )
            return None
        return value, compiled

    def document_slot(self, number: int, data: object, seen: dict[str, str]) -> DocumentSlot | None:
        where = f"Document slot {number}"
        if not isinstance(data, dict):
            self.problem(where, "it must be an object")
            return None
        if isinstance(data.get("key"), str):
            where = f"{where} ({quoted(data['key'])})"
        self.unknown_settings(
            where, data, {"key", "label", "hint", "required", "max_files", "kinds"}
        )
        key = self.key(where, data.get("key"), seen)
        label = self.text(where, "label", data.get("label"), limit=MAX_LABEL_LENGTH)
        hint = self.text(where, "hint", data.get("hint"), optional=True, limit=MAX_HINT_LENGTH)
        required = self.flag(where, data, "required", False)
        max_files = data.get("max_files", 1)
        if not is_int(max_files) or not 1 <= max_files <= MAX_FILES_PER_SLOT:
            self.problem(
                where, f'"max_files" must be a whole number from 1 to {MAX_FILES_PER_SLOT}'
            )
            max_files = None
        kinds = data.get("kinds", list(DOCUMENT_KINDS))
        if not isinstance(kinds, list) or not kinds:
            self.problem(
                where, f'"kinds" must be a list of kinds of file: {names_list(DOCUMENT_KINDS)}'
            )
            kinds = None
        else:
            unknown = [kind for kind in kinds if kind not in DOCUMENT_KINDS]
            if unknown:
                self.problem(
                    where,
                    f"unknown kinds of file: {', '.join(quoted(kind) for kind in unknown)} "
                    f"(allowed: {names_list(DOCUMENT_KINDS)})",
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
                self.problem(where, f"it counts from {quoted(key)}, which is not a question here")
            key = None
        elif question.type is not QuestionType.DATE:
            self.problem(
                where,
                f"it counts from {quoted(key)}, which is a {question.type} question, "
                "not a date question",
            )
            key = None
        elif not question.required:
            # Without the date there is no deadline, so a late filing would go unnoticed.
            self.problem(
                where, f"it counts from {quoted(key)}, which must then be a required question"
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


def parse_definition(data: object, *, stored: bool = False) -> CaseTypeDefinition:
    """Return the case type definition in parsed JSON, or raise DefinitionError listing why not.

    ``stored``: the definition is read back from the database to be used, and a pattern
    RE2 cannot run is no reason to refuse it (its question fails closed instead).
    """
    parser = _Parser(stored=stored)
    try:
        definition = parser.definition(data)
    except RecursionError:
        parser.problems.append("The definition: it is nested too deeply")
        definition = None
    if definition is None or parser.problems:
        raise DefinitionError(parser.problems or ["The definition cannot be used"])
    return definition
