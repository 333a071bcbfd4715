"""A case type's questions: the definition a tribunal writes, the answers a claimant gives.

Covered: definitions that parse (and survive a JSON round trip) and the precise
message a tribunal administrator gets for each kind of mistake, including
malformed JSON and patterns RE2 cannot run (patterns that backtrack in Python
answer long answers at once, and keep Python's meaning); answers whose pattern
cannot run or cannot be checked in time; reading every type
of answer from a posted form, in English and French number formats, with a
GOV.UK-style message naming the question for each wrong answer; saved answers
filling the form again; answers shown on the check-your-answers page in both
languages; the filing deadline and lateness; and the template macro drawing
every type of question, with and without errors, with labels, hints, errors
and ids that tie together.
"""

from __future__ import annotations

import copy
import json
import random
import re
import time
from collections import Counter
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
from jinja2 import Environment
from starlette.datastructures import ImmutableMultiDict

from filings.casetypes.answers import (
    answers_form,
    display_answer,
    filing_deadline,
    form_values,
    is_late,
    read_answers,
)
from filings.casetypes.definitions import (
    CaseTypeDefinition,
    DefinitionError,
    Question,
    QuestionType,
    Text,
)
from filings.casetypes.parsing import parse_definition
from tests.helpers import french
from tribune.forms import Form
from tribune.i18n import use_language
from tribune.web import create_templates

TODAY = date(2026, 3, 27)


def bilingual(en: str, fr: str | None = None) -> dict[str, str]:
    return {"en": en, "fr": fr or f"{en} (fr)"}


def choices(*values: str) -> list[dict[str, Any]]:
    return [
        {"value": value, "label": bilingual(value.title(), f"{value} (fr)")} for value in values
    ]


# One question of every type, as a tribunal would write them.
EXAMPLE: dict[str, Any] = {
    "questions": [
        {
            "key": "decision_date",
            "type": "date",
            "label": bilingual("Date of the decision", "Date de la décision"),
            "hint": bilingual("For example, 27 3 2026", "Par exemple, 27 3 2026"),
            "required": True,
            "validation": {"not_in_future": True},
        },
        {
            "key": "claim_number",
            "type": "text",
            "label": bilingual("Claim number", "Numéro de dossier"),
            "required": False,
            "validation": {"pattern": "[0-9]{8}", "max_length": 8},
        },
        {
            "key": "reasons",
            "type": "long_text",
            "label": bilingual("Why do you disagree?", "Pourquoi êtes-vous en désaccord?"),
            "required": True,
            "validation": {"min_length": 10, "max_length": 5000},
        },
        {
            "key": "employees",
            "type": "number",
            "label": bilingual("Number of employees", "Nombre de salariés"),
            "required": False,
            "validation": {"min": 1, "max": 100000},
        },
        {
            "key": "amount",
            "type": "money",
            "label": bilingual("Amount claimed", "Montant réclamé"),
            "required": False,
            "validation": {"min": 0, "max": 10000000},
        },
        {
            "key": "unionised",
            "type": "yes_no",
            "label": bilingual(
                "Is the workplace unionised?", "Le lieu de travail est-il syndiqué?"
            ),
            "required": True,
        },
        {
            "key": "issue",
            "type": "single_choice",
            "label": bilingual("Issue under appeal", "Question en appel"),
            "required": True,
            "choices": [
                {"value": "benefits", "label": bilingual("Benefits", "Prestations")},
                {"value": "health_care", "label": bilingual("Health care", "Soins de santé")},
            ],
        },
        {
            "key": "remedies",
            "type": "multiple_choice",
            "label": bilingual("Remedies sought", "Réparations demandées"),
            "required": False,
            "choices": [
                {"value": "reinstatement", "label": bilingual("Reinstatement", "Réintégration")},
                {"value": "back_pay", "label": bilingual("Back pay", "Salaire rétroactif")},
                {"value": "damages", "label": bilingual("Damages", "Dommages-intérêts")},
            ],
            "validation": {"max_choices": 2},
        },
        {
            "key": "workplace",
            "type": "address",
            "label": bilingual("Workplace address", "Adresse du lieu de travail"),
            "required": True,
        },
        {
            "key": "employer_phone",
            "type": "phone",
            "label": bilingual("Employer telephone number", "Numéro de téléphone de l'employeur"),
            "required": False,
        },
        {
            "key": "employer_email",
            "type": "email",
            "label": bilingual("Employer email address", "Adresse courriel de l'employeur"),
            "required": False,
        },
    ],
    "document_slots": [
        {
            "key": "decision",
            "label": bilingual("The decision you are appealing"),
            "hint": bilingual("A copy of the letter"),
            "required": True,
            "max_files": 5,
            "kinds": ["pdf", "jpeg", "png", "docx"],
        },
        {
            "key": "evidence",
            "label": bilingual("Other evidence"),
            "required": False,
            "max_files": 20,
            "kinds": ["pdf", "jpeg", "png", "docx", "text"],
        },
    ],
    "deadline": {"days": 30, "from_question": "decision_date"},
    "fee": {"applies": True},
}
DEFINITION = parse_definition(EXAMPLE)

# Every question answered, as a browser posts it.
FULL_POST: list[tuple[str, str]] = [
    ("q-decision_date-day", "27"),
    ("q-decision_date-month", "3"),
    ("q-decision_date-year", "2026"),
    ("q-claim_number", " 12345678 "),
    ("q-reasons", "The board ignored\r\nmy doctor's report."),
    ("q-employees", "1,250"),
    ("q-amount", "$1,234.50"),
    ("q-unionised", "no"),
    ("q-issue", "health_care"),
    ("q-remedies", "back_pay"),
    ("q-remedies", "reinstatement"),
    ("q-workplace-line1", "100  Queen Street West"),
    ("q-workplace-line2", ""),
    ("q-workplace-city", "Toronto"),
    ("q-workplace-province", "ON"),
    ("q-workplace-postal_code", "m5h2n2"),
    ("q-employer_phone", "(416) 555-0123 ext. 45"),
    ("q-employer_email", "HR@Example.ORG"),
]
FULL_ANSWERS = {
    "decision_date": "2026-03-27",
    "claim_number": "12345678",
    "reasons": "The board ignored\nmy doctor's report.",
    "employees": 1250,
    "amount": 123450,
    "unionised": False,
    "issue": "health_care",
    "remedies": ["reinstatement", "back_pay"],
    "workplace": {
        "line1": "100 Queen Street West",
        "line2": "",
        "city": "Toronto",
        "province": "ON",
        "postal_code": "M5H 2N2",
    },
    "employer_phone": "(416) 555-0123 ext. 45",
    "employer_email": "hr@example.org",
}


def posted(pairs: list[tuple[str, str]] | dict[str, str]) -> Form:
    return Form(ImmutableMultiDict(pairs))


def question(key: str) -> Question:
    found = DEFINITION.question(key)
    assert found is not None
    return found


async def read_one(key: str, pairs: list[tuple[str, str]] | dict[str, str]) -> tuple[object, Form]:
    """Read one question's answer; return it (or None) and the form with its errors."""
    form = posted(pairs)
    answers = await read_answers([question(key)], form, today=TODAY)
    return answers.get(key), form


def with_question(**changes: Any) -> dict[str, Any]:
    """Return the example definition with its first question changed."""
    data = copy.deepcopy(EXAMPLE)
    data["questions"][0].update(changes)
    return data


def only(**fields: Any) -> Question:
    """Return the one question of a definition that has only it."""
    return parse_definition({"questions": [fields], "document_slots": []}).questions[0]


def problems_of(data: object) -> list[str]:
    with pytest.raises(DefinitionError) as raised:
        parse_definition(data)
    return raised.value.problems


# -- definitions ----------------------------------------------------------------------------


def test_a_definition_parses_into_typed_values_and_survives_a_json_round_trip() -> None:
    assert {q.type for q in DEFINITION.questions} == set(QuestionType)
    date_question = question("decision_date")
    assert date_question.label == Text(en="Date of the decision", fr="Date de la décision")
    assert date_question.validation.not_in_future
    assert question("issue").choices[1].label.en == "Health care"
    assert DEFINITION.document_slots[0].kinds == ("pdf", "jpeg", "png", "docx")
    assert DEFINITION.deadline is not None
    assert DEFINITION.deadline.days == 30
    assert DEFINITION.fee is not None
    assert DEFINITION.fee.applies

    stored = json.loads(json.dumps(DEFINITION.to_json()))
    assert parse_definition(stored) == DEFINITION


def test_optional_parts_take_their_defaults() -> None:
    definition = parse_definition(
        {
            "questions": [{"key": "name", "type": "text", "label": bilingual("Name")}],
            "document_slots": [],
        }
    )
    name = definition.questions[0]
    assert name.required
    assert name.max_length() == 500
    assert definition.deadline is None
    assert definition.fee is None
    assert parse_definition(definition.to_json()) == definition


async def test_number_limits_with_decimals_survive_the_round_trip() -> None:
    hours = only(
        key="hours", type="number", label=bilingual("Hours"), validation={"min": 0.5, "max": 80}
    )
    assert hours.to_json()["validation"] == {"min": 0.5, "max": 80}
    assert only(**hours.to_json()) == hours
    form = posted({"q-hours": "0.25"})
    assert await read_answers([hours], form) == {}
    assert form.errors == {"q-hours": "Hours must be 0.5 or more"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"type": "monee"}, 'the type "monee" is not one of: text, long_text, date'),
        ({"key": "Decision-Date"}, 'the key "Decision-Date" must start with a lowercase letter'),
        ({"key": "a" * 41}, "40 characters at most"),
        ({"key": "claim_number"}, 'Question 2 ("claim_number"): the key "claim_number" is'),
        ({"label": {"en": "Date of the decision"}}, "the French label is missing"),
        ({"label": {"en": " ", "fr": "Date"}}, "the English label is missing"),
        ({"label": "Date of the decision"}, 'the label must be an object with "en" and "fr"'),
        ({"hint": {"en": "For example", "fr": ""}}, "the French hint is missing"),
        ({"required": "yes"}, '"required" must be true or false'),
        ({"colour": "red"}, 'unknown setting "colour"'),
        ({"validation": {"max_length": 10}}, '"max_length" does not apply to date questions'),
        ({"validation": {"not_before": "yesterday"}}, '"not_before" must be a date like'),
        ({"validation": {"maximum": 3}}, 'unknown validation setting "maximum"'),
        ({"type": "single_choice"}, "a single_choice question needs at least 2 choices"),
        ({"type": "multiple_choice", "choices": []}, "needs at least one choice"),
        (
            {"type": "text", "choices": choices("a", "b"), "validation": {}},
            "only choice questions have choices",
        ),
        (
            {"type": "single_choice", "choices": choices("same", "same"), "validation": {}},
            'the value "same" is already used by choice 1',
        ),
        (
            {"type": "text", "validation": {"pattern": "[0-9"}},
            '"pattern" is not a valid regular expression',
        ),
        ({"type": "text", "validation": {"pattern": "a" * 201}}, "200 characters or fewer"),
        (
            {"type": "text", "validation": {"min_length": 20, "max_length": 10}},
            '"min_length" (20) is more than the longest answer (10)',
        ),
        ({"type": "text", "validation": {"max_length": 0}}, "whole number from 1 to 1000"),
        ({"type": "number", "validation": {"min": 10, "max": 1}}, '"min" (10) is more than "max"'),
        ({"type": "number", "validation": {"min": "ten"}}, '"min" must be a number'),
        ({"type": "money", "validation": {"max": 99.5}}, '"max" must be a whole number of cents'),
        (
            {
                "type": "multiple_choice",
                "choices": choices("a", "b"),
                "validation": {"max_choices": 3},
            },
            '"max_choices" must be a whole number from 1 to 2',
        ),
        (
            {
                "type": "multiple_choice",
                "choices": choices("a", "b"),
                "validation": {"min_choices": 2, "max_choices": 1},
            },
            '"min_choices" (2) is more than "max_choices" (1)',
        ),
    ],
)
def test_a_mistake_in_a_question_is_refused_with_a_precise_message(
    changes: dict[str, Any], message: str
) -> None:
    problems = problems_of(with_question(**changes))
    assert any(message in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kinds": ["pdf", "exe"]}, 'unknown kinds of file: "exe" (allowed: pdf, jpeg, png'),
        ({"kinds": []}, '"kinds" must be a list of kinds of file'),
        ({"max_files": 0}, '"max_files" must be a whole number from 1 to 50'),
        ({"max_files": 51}, '"max_files" must be a whole number from 1 to 50'),
        ({"max_files": True}, '"max_files" must be a whole number from 1 to 50'),
        ({"key": "evidence"}, 'Document slot 2 ("evidence"): the key "evidence" is already used'),
        ({"label": {"fr": "Décision"}}, "the English label is missing"),
    ],
)
def test_a_mistake_in_a_document_slot_is_refused_with_a_precise_message(
    changes: dict[str, Any], message: str
) -> None:
    data = copy.deepcopy(EXAMPLE)
    data["document_slots"][0].update(changes)
    problems = problems_of(data)
    assert any(message in problem for problem in problems), problems
    assert all(problem.startswith("Document slot") for problem in problems)


@pytest.mark.parametrize(
    ("deadline", "message"),
    [
        ({"days": 30, "from_question": "reasons"}, "which is a long_text question, not a date"),
        ({"days": 30, "from_question": "hearing_date"}, "which is not a question here"),
        ({"days": 0, "from_question": "decision_date"}, '"days" must be a whole number from 1'),
        ({"days": "30", "from_question": "decision_date"}, '"days" must be a whole number'),
        ({"days": 30}, '"from_question" must be the key of a date question'),
        (30, 'it must be an object like {"days": 30'),
    ],
)
def test_a_deadline_must_count_from_a_date_question(deadline: object, message: str) -> None:
    problems = problems_of({**EXAMPLE, "deadline": deadline})
    assert any(message in problem for problem in problems), problems


def test_a_deadline_cannot_count_from_an_optional_date() -> None:
    problems = problems_of({**with_question(required=False)})
    assert problems == [
        'The deadline: it counts from "decision_date", which must then be a required question'
    ]


def test_every_problem_is_listed_not_only_the_first() -> None:
    data = copy.deepcopy(EXAMPLE)
    data["questions"][1]["type"] = "essay"
    data["questions"][3]["label"] = {"en": "Employees"}
    data["document_slots"][1]["kinds"] = ["zip"]
    data["fee"] = {"applies": "sometimes"}
    data["colour"] = "blue"
    problems = problems_of(data)
    assert problems == [
        'The definition: unknown setting "colour"',
        'Question 2 ("claim_number"): the type "essay" is not one of: text, long_text, date, '
        "number, money, yes_no, single_choice, multiple_choice, address, phone, email",
        'Question 4 ("employees"): the French label is missing',
        'Document slot 2 ("evidence"): unknown kinds of file: "zip" (allowed: pdf, jpeg, png, '
        "docx, text)",
        'The fee: "applies" must be true or false',
    ]
    assert str(DefinitionError(problems)) == "\n".join(problems)


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "questions",
        42,
        {},
        {"questions": None, "document_slots": None},
        {"questions": {"key": "a"}, "document_slots": "pdf"},
        {"questions": [None, 1, "text", [], {}], "document_slots": [None, {}]},
        {"questions": [{"key": 1, "type": 2, "label": 3, "hint": 4, "validation": 5}]},
        {"questions": [{"key": "a", "type": ["text"], "label": {"en": 1, "fr": None}}]},
        {"questions": [{"key": "a", "type": "text", "label": {}, "validation": {"pattern": 7}}]},
        {
            "questions": [{"key": "a", "type": "date", "label": bilingual("A")}],
            "document_slots": [{"key": "d", "label": bilingual("D"), "kinds": "pdf"}],
            "deadline": {"days": float("nan"), "from_question": ["a"]},
            "fee": [],
        },
        {
            "questions": [{"key": "n", "type": "number", "label": bilingual("N")}],
            "document_slots": [],
            "deadline": None,
            "fee": None,
            "extra": {"nested": [[[{}]]]},
        },
        {"questions": [{"key": "n", "type": "number", "validation": {"min": float("inf")}}]},
        {"questions": [{"key": "c", "type": "multiple_choice", "choices": [{"value": {}}]}]},
        {"questions": [{"key": "t", "type": "text", "validation": {"pattern": "(" * 150}}]},
        {"questions": [{"key": "t", "type": "text", "validation": {"pattern": "a{99999999999}"}}]},
        {"questions": [{"key": "x"}] * 101, "document_slots": []},
    ],
)
def test_malformed_json_is_refused_never_crashes(data: object) -> None:
    assert problems_of(data)


def _damaged(value: Any, rng: random.Random) -> Any:
    """Return a copy of a JSON value with one part somewhere replaced by something odd."""
    odd = [None, True, 0, -1, 10**30, 1.5, float("nan"), "", "x" * 300, [], {}, [None], {"en": 1}]
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        return {**value, key: _damaged(value[key], rng)}
    if isinstance(value, list) and value and rng.random() < 0.8:
        index = rng.randrange(len(value))
        return [*value[:index], _damaged(value[index], rng), *value[index + 1 :]]
    return rng.choice(odd)


def test_randomly_damaged_definitions_are_parsed_or_refused_never_crash() -> None:
    rng = random.Random(20260327)
    outcomes: Counter[str] = Counter()
    for _attempt in range(600):
        data = _damaged(EXAMPLE, rng)
        try:
            definition = parse_definition(data)
        except DefinitionError as error:
            refused = error
        else:
            assert parse_definition(definition.to_json()) == definition
            outcomes["parsed"] += 1
            continue
        assert refused.problems
        assert all(isinstance(problem, str) for problem in refused.problems)
        outcomes["refused"] += 1
    # Both outcomes happen, so the damage reaches the checks rather than always failing early.
    assert outcomes["refused"] > 100, outcomes
    assert outcomes["parsed"] > 10, outcomes


# Patterns on which Python's backtracking takes exponential time: RE2 takes linear time.
BACKTRACKING_PATTERNS = [
    "(a+)+$",
    "(a*)*b",
    "(\\w+\\s?)*!",
    "(a|ab)+c",
    "([0-9]{2,3}-?)+x",
    "[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*!",
]


def patterned(pattern: str, max_length: int = 1000) -> Question:
    validation = {"pattern": pattern, "max_length": max_length}
    return only(key="code", type="text", label=bilingual("Code"), validation=validation)


@pytest.mark.parametrize("pattern", BACKTRACKING_PATTERNS)
async def test_a_pattern_python_would_backtrack_on_answers_a_long_answer_at_once(
    pattern: str,
) -> None:
    code = patterned(pattern)
    # As long as a text answer can be, and none of these patterns matches it.
    hostile = "a" * 999 + "-"
    form = posted({"q-code": hostile})
    started = time.perf_counter()
    assert await read_answers([code], form) == {}
    elapsed = time.perf_counter() - started
    assert form.errors == {"q-code": "Enter code in the correct format"}
    # Python's re took seconds on 30 of these letters, and minutes on 500.
    assert elapsed < 0.1, elapsed


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(a)\\1", "Patterns cannot refer back to a group (like \\1 or (?P=name))"),
        ("(?P<a>x)(?P=a)", "Patterns cannot refer back to a group"),
        ("(?=.*[0-9]).{8}", "Patterns cannot look ahead or behind"),
        ("(?<!-)[0-9]+", "Patterns cannot look ahead or behind"),
        ("(?>a+)b", "Patterns cannot use atomic groups or possessive repetitions"),
        ("a*+b", "Patterns cannot use atomic groups or possessive repetitions"),
        ("\\bWSAT\\b", "Patterns cannot use word boundaries (\\b or \\B)"),
        ("[\\W0-9]", "Patterns cannot put \\W or \\S between brackets with other characters"),
        ("a{1001}", "The pattern is too large to check quickly"),
        ("\\w{1,200}", "The pattern is too large to check quickly"),
    ],
)
def test_a_pattern_re2_cannot_run_is_refused_saying_what_is_not_supported(
    pattern: str, message: str
) -> None:
    code = {"key": "code", "type": "text", "label": bilingual("Code")}
    problems = problems_of(
        {"questions": [{**code, "validation": {"pattern": pattern}}], "document_slots": []}
    )
    assert len(problems) == 1
    assert problems[0].startswith(f'Question 1 ("code"): {message}')


def test_the_patterns_of_a_definition_share_a_budget() -> None:
    # A Unicode class repeated 10 times compiles to some 13,000 RE2 instructions.
    heavy = [
        {
            "key": f"q{n}",
            "type": "text",
            "label": bilingual(f"Q{n}"),
            "validation": {"pattern": "\\w{1,10}"},
        }
        for n in range(1, 5)
    ]
    assert parse_definition({"questions": heavy[:3], "document_slots": []})
    assert problems_of({"questions": heavy, "document_slots": []}) == [
        'Question 4 ("q4"): the patterns of these questions are too large together to '
        "check quickly: write them more simply (a class like \\w repeated many times costs "
        "the most)"
    ]


@pytest.mark.parametrize(
    "pattern",
    ["[0-9]{8}", "[A-Z]{2}-?[0-9]{6}", "([0-9]{3}-)+[0-9]{4}", "(?i)wsat-[0-9]+", "(Mr|Ms)? .+"],
)
def test_ordinary_patterns_are_accepted(pattern: str) -> None:
    assert patterned(pattern).validation.compiled_pattern is not None


# What claimants type, and what Python's re says of it: RE2 must say the same.
SAME_AS_PYTHON = [
    ("[\\w' -]+", ["Hélène D’Arcy", "Hélène D'Arcy", "Émile-Zola", "O'Brien!", "李小龍"]),
    ("[^\\W\\d_]+", ["Émile", "émile2", "a_b", "Ωμέγα"]),
    ("[^\\W_]+", ["Émile2", "a_b"]),
    ("\\d{3}", ["123", "١٢٣", "12a", "１２３"]),
    ("\\D+", ["abc", "a1"]),
    ("\\S+\\s\\S+", ["a b", "a\u202fb", "a\u00a0b", "a\tb", "ab"]),
    ("(?i)[a-zé]+", ["ÉCOLE", "École", "x"]),
    ("(?x) [A-Z]{3} - [0-9]{4}  # a file number", ["ABC-1234", "ABC - 1234"]),
    ("a{,3}", ["aaa", "aaaa", "a{,3}"]),
    ("(?:ab)+?c|d", ["ababc", "d", "abab"]),
    ("\\Aab\\Z", ["ab"]),
    ("[.*+?$^]+", [".*", "a"]),
    ("(?s).+", ["a\nb"]),
    (".+", ["a\nb"]),
    ("(?a)\\w+", ["e", "é"]),
    ("(?P<prefix>[A-Z]+)-(?P<number>[0-9]+)", ["AB-12", "AB12"]),
]


@pytest.mark.parametrize(("pattern", "answers"), SAME_AS_PYTHON)
def test_patterns_keep_what_they_mean_in_python(pattern: str, answers: list[str]) -> None:
    compiled = patterned(pattern).validation.compiled_pattern
    assert compiled is not None
    for answer in answers:
        assert (compiled.fullmatch(answer) is not None) == bool(re.fullmatch(pattern, answer)), (
            pattern,
            answer,
        )


@pytest.mark.parametrize("category", ["\\w", "\\d", "\\s", "\\W", "\\D", "\\S", "[^\\W\\d_]"])
def test_letter_digit_and_space_classes_match_what_python_matches(category: str) -> None:
    """Over every character of the Basic Multilingual Plane; Python 3.11 knows Unicode 14,
    RE2 a later version: only the characters added since differ, and none is in the BMP."""
    compiled = patterned(category).validation.compiled_pattern
    assert compiled is not None
    python = re.compile(category)
    every = [chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF]
    differ = [c for c in every if bool(python.fullmatch(c)) != bool(compiled.fullmatch(c))]
    assert differ == []


def test_a_stored_pattern_re2_cannot_run_fails_closed_instead_of_breaking_the_case_type() -> None:
    data = {
        "questions": [
            {
                "key": "code",
                "type": "text",
                "label": bilingual("Code"),
                "validation": {"pattern": "(?=.*[0-9])[A-Z0-9]{8}"},
            }
        ],
        "document_slots": [],
    }
    # The editor refuses it; a definition stored before that is still read, to be used.
    assert problems_of(data)
    definition = parse_definition(data, stored=True)
    code = definition.questions[0]
    assert code.validation.pattern_unusable
    assert definition.to_json()["questions"][0]["validation"] == {
        "pattern": "(?=.*[0-9])[A-Z0-9]{8}"
    }


async def test_an_answer_to_a_question_whose_pattern_cannot_run_is_refused() -> None:
    data = {
        "questions": [
            {
                "key": "code",
                "type": "text",
                "label": bilingual("Code"),
                "validation": {"pattern": "(a)\\1"},
            }
        ],
        "document_slots": [],
    }
    definition = parse_definition(data, stored=True)
    for language in ("en", "fr"):
        form = posted({"q-code": "aa"})
        with use_language(language):
            assert await read_answers(definition, form) == {}
        assert form.errors == {
            "q-code": french(
                "This question cannot be answered online for now. Contact the tribunal to "
                "file your case"
            )
            if language == "fr"
            else "This question cannot be answered online for now. Contact the tribunal to "
            "file your case"
        }


async def test_answers_not_matched_within_the_time_limit_are_refused_with_a_message() -> None:
    code = patterned("[0-9]{8}")
    birth = Question(key="name", type=QuestionType.TEXT, label=Text("Name", "Nom"))
    form = posted({"q-code": "12345678", "q-name": "Ada"})
    # No time at all: the answer waits for no worker thread.
    assert await read_answers([code, birth], form, matching_seconds=0) == {"name": "Ada"}
    assert form.errors == {"q-code": "We could not check this answer in time. Try again"}
    form = posted({"q-code": "12345678", "q-name": "Ada"})
    assert await read_answers([code, birth], form) == {"code": "12345678", "name": "Ada"}


# -- texts in two languages ----------------------------------------------------------------


def test_a_text_follows_the_current_language_and_falls_back_to_english() -> None:
    text = Text(en="Date of the decision", fr="Date de la décision")
    untranslated = Text(en="Date of the decision", fr="")
    assert text.current() == "Date of the decision"
    with use_language("fr"):
        assert text.current() == "Date de la décision"
        assert untranslated.current() == "Date of the decision"


# -- reading answers -------------------------------------------------------------------------


async def test_every_kind_of_answer_is_read_into_a_value_ready_for_json() -> None:
    form = posted(FULL_POST)
    answers = await read_answers(DEFINITION, form, today=TODAY)
    assert form.errors == {}
    assert answers == FULL_ANSWERS
    assert json.loads(json.dumps(answers)) == answers


async def test_unanswered_optional_questions_are_left_out() -> None:
    required = ("q-decision_date", "q-reasons", "q-unionised", "q-issue", "q-workplace")
    required_only = [(name, value) for name, value in FULL_POST if name.startswith(required)]
    blanks = [("q-claim_number", "  "), ("q-employees", ""), ("q-amount", ""), ("q-remedies", "")]
    form = posted(required_only + blanks)
    answers = await read_answers(DEFINITION, form, today=TODAY)
    assert form.errors == {}
    assert set(answers) == {"decision_date", "reasons", "unionised", "issue", "workplace"}


async def test_each_unanswered_required_question_gets_a_message_in_page_order() -> None:
    form = posted({})
    assert await read_answers(DEFINITION, form, today=TODAY) == {}
    # A question put as a question is quoted rather than squeezed into the sentence.
    assert list(form.errors.items()) == [
        ("q-decision_date", "Enter date of the decision"),
        ("q-reasons", "Enter the answer to “Why do you disagree?”"),
        ("q-unionised", "Select yes or no: Is the workplace unionised?"),
        ("q-issue", "Select an option: Issue under appeal"),
        (
            "q-workplace",
            "Workplace address: enter address line 1, typically the building and street",
        ),
        ("q-workplace-city", "Workplace address: enter the town or city"),
        ("q-workplace-province", "Workplace address: select the province or territory"),
        ("q-workplace-postal_code", "Workplace address: enter the postal code"),
    ]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("1234567", "Enter claim number in the correct format"),
        ("123456789", "Claim number must be 8 characters or fewer"),
        ("1234-567", "Enter claim number in the correct format"),
        ("1234\x005678", "Remove the control characters from this answer"),
    ],
)
async def test_a_text_answer_must_fit_the_length_and_the_pattern(value: str, error: str) -> None:
    answer, form = await read_one("claim_number", {"q-claim_number": value})
    assert answer is None
    assert form.errors == {"q-claim_number": error}


async def test_a_long_text_keeps_its_lines_and_counts_its_characters() -> None:
    answer, form = await read_one("reasons", {"q-reasons": "  First line.\r\n\r\n\tSecond line.  "})
    assert answer == "First line.\n\n\tSecond line."

    _answer, form = await read_one("reasons", {"q-reasons": "Too short"})
    assert form.errors == {
        "q-reasons": "The answer to “Why do you disagree?” must be 10 characters or more"
    }
    _answer, form = await read_one("reasons", {"q-reasons": "x" * 5001})
    assert form.errors == {
        "q-reasons": "The answer to “Why do you disagree?” must be 5,000 characters or fewer"
    }
    # Without a set limit, a long text takes up to 10,000 characters.
    essay = Question(key="essay", type=QuestionType.LONG_TEXT, label=Text("Essay", "Essai"))
    form = posted({"q-essay": "x" * 10_000})
    assert await read_answers([essay], form) == {"essay": "x" * 10_000}
    form = posted({"q-essay": "x" * 10_001})
    assert await read_answers([essay], form) == {}
    assert form.errors == {"q-essay": "Essay must be 10,000 characters or fewer"}


def date_post(day: str, month: str, year: str) -> dict[str, str]:
    return {
        "q-decision_date-day": day,
        "q-decision_date-month": month,
        "q-decision_date-year": year,
    }


@pytest.mark.parametrize(
    ("day", "month", "year", "error"),
    [
        ("27", "", "2026", "Date of the decision must include a month"),
        ("", "3", "2026", "Date of the decision must include a day"),
        ("27", "3", "", "Date of the decision must include a year"),
        ("", "", "2026", "Date of the decision must include a day and month"),
        ("", "3", "", "Date of the decision must include a day and year"),
        ("27", "", "", "Date of the decision must include a month and year"),
        ("31", "2", "2026", "Date of the decision must be a real date"),
        ("29", "2", "2025", "Date of the decision must be a real date"),
        ("1", "13", "2026", "Date of the decision must be a real date"),
        ("one", "3", "2026", "Date of the decision must be a real date"),
        ("27", "3", "26", "Date of the decision must include a year with 4 numbers"),
        ("28", "3", "2026", "Date of the decision must be today or in the past"),
    ],
)
async def test_a_date_must_be_whole_real_and_not_in_the_future(
    day: str, month: str, year: str, error: str
) -> None:
    answer, form = await read_one("decision_date", date_post(day, month, year))
    assert answer is None
    assert form.errors == {"q-decision_date": error}


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [
        ("27", "3", "2026", "2026-03-27"),
        (" 09 ", "03", "2026", "2026-03-09"),
        ("29", "2", "2024", "2024-02-29"),
    ],
)
async def test_a_real_date_up_to_today_is_read_as_an_iso_date(
    day: str, month: str, year: str, expected: str
) -> None:
    answer, form = await read_one("decision_date", date_post(day, month, year))
    assert form.errors == {}
    assert answer == expected


async def test_a_date_can_be_required_to_be_after_a_given_day() -> None:
    hired = only(
        key="hired",
        type="date",
        label=bilingual("Hiring date"),
        validation={"not_before": "2020-01-31"},
    )
    form = posted({"q-hired-day": "30", "q-hired-month": "1", "q-hired-year": "2020"})
    assert await read_answers([hired], form) == {}
    assert form.errors == {"q-hired": "Hiring date must be the same as or after January 31, 2020"}
    # Without "not_in_future", a date to come is fine.
    form = posted({"q-hired-day": "31", "q-hired-month": "1", "q-hired-year": "2099"})
    assert await read_answers([hired], form) == {"hired": "2099-01-31"}


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("en", "1250", 1250),
        ("en", "1,250", 1250),
        ("en", "12,500.75", "12500.75"),
        ("en", "2.50", "2.5"),
        ("en", "2,5", "2.5"),
        ("en", "3.0", 3),
        ("fr", "1 250", 1250),
        ("fr", "1\u202f250", 1250),
        ("fr", "12 500,75", "12500.75"),
        ("fr", "1,250", "1.25"),
        ("fr", "2.5", "2.5"),
    ],
)
async def test_a_number_is_read_as_each_language_writes_it(
    language: str, typed: str, expected: object
) -> None:
    with use_language(language):
        answer, form = await read_one("employees", {"q-employees": typed})
    assert form.errors == {}
    assert answer == expected


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("twelve", "Number of employees must be a number"),
        ("1.2.3,4", "Number of employees must be a number"),
        ("12,34,5", "Number of employees must be a number"),
        ("1e5", "Number of employees must be a number"),
        ("9" * 41, "Number of employees must be a number"),
        ("0.5", "Number of employees must be 1 or more"),
        ("100,001", "Number of employees must be 100,000 or less"),
    ],
)
async def test_a_number_must_be_a_number_within_the_limits(typed: str, error: str) -> None:
    answer, form = await read_one("employees", {"q-employees": typed})
    assert answer is None
    assert form.errors == {"q-employees": error}


@pytest.mark.parametrize(
    ("language", "typed", "cents"),
    [
        ("en", "1234.50", 123450),
        ("en", "$1,234.50", 123450),
        ("en", "1,234", 123400),
        ("en", "$ 75", 7500),
        ("en", "0.5", 50),
        ("en", "1234,50", 123450),
        ("fr", "1 234,50 $", 123450),
        ("fr", "1\xa0234,50\xa0$", 123450),
        ("fr", "1234.50", 123450),
        ("fr", "75 $ CAD", 7500),
        ("fr", "0", 0),
    ],
)
async def test_money_is_read_in_dollars_and_cents_and_kept_in_cents(
    language: str, typed: str, cents: int
) -> None:
    with use_language(language):
        answer, form = await read_one("amount", {"q-amount": typed})
    assert form.errors == {}
    assert answer == cents


@pytest.mark.parametrize(
    ("language", "typed", "error"),
    [
        ("en", "12.345", "Amount claimed must be an amount in dollars and cents, like 1,234.50"),
        ("en", "lots", "Amount claimed must be an amount in dollars and cents, like 1,234.50"),
        ("en", "$", "Amount claimed must be an amount in dollars and cents, like 1,234.50"),
        ("en", "-5", "Amount claimed must be $0.00 or more"),
        ("en", "100,000.01", "Amount claimed must be $100,000.00 or less"),
        ("fr", "1,234", "Montant réclamé doit être un montant en dollars et en cents"),
        ("fr", "100 000,01", "Montant réclamé doit être de 100 000,00 $ ou moins"),
    ],
)
async def test_money_must_be_dollars_and_cents_within_the_limits(
    language: str, typed: str, error: str
) -> None:
    with use_language(language):
        answer, form = await read_one("amount", {"q-amount": typed})
    assert answer is None
    message = form.errors["q-amount"].replace("\u202f", " ").replace("\xa0", " ")
    assert message.startswith(error)


async def test_money_without_limits_refuses_negative_and_absurd_amounts() -> None:
    fee = Question(key="fee", type=QuestionType.MONEY, label=Text("Fee", "Frais"))
    assert await read_answers([fee], posted({"q-fee": "12"})) == {"fee": 1200}
    for typed in ("-1", "10,000,000,000,000"):
        form = posted({"q-fee": typed})
        assert await read_answers([fee], form) == {}
        assert "q-fee" in form.errors


async def test_a_yes_or_no_answer_is_a_boolean() -> None:
    assert (await read_one("unionised", {"q-unionised": "yes"}))[0] is True
    assert (await read_one("unionised", {"q-unionised": "no"}))[0] is False
    for value in ("", "maybe"):
        answer, form = await read_one("unionised", {"q-unionised": value})
        assert answer is None
        assert form.errors == {"q-unionised": "Select yes or no: Is the workplace unionised?"}


async def test_a_single_choice_must_be_one_of_the_choices() -> None:
    assert (await read_one("issue", {"q-issue": "benefits"}))[0] == "benefits"
    answer, form = await read_one("issue", {"q-issue": "lottery"})
    assert answer is None
    assert form.errors == {"q-issue": "Select an option: Issue under appeal"}


async def test_multiple_choices_come_back_in_the_order_offered_within_the_limits() -> None:
    answer, form = await read_one(
        "remedies",
        [("q-remedies", "damages"), ("q-remedies", "back_pay"), ("q-remedies", "damages")],
    )
    assert form.errors == {}
    assert answer == ["back_pay", "damages"]

    three = [("q-remedies", value) for value in ("reinstatement", "back_pay", "damages")]
    answer, form = await read_one("remedies", three)
    assert answer is None
    assert form.errors == {"q-remedies": "Select no more than 2 options: Remedies sought"}

    answer, form = await read_one("remedies", [("q-remedies", "back_pay"), ("q-remedies", "bonus")])
    assert form.errors == {"q-remedies": "Select an option: Remedies sought"}


async def test_a_multiple_choice_can_ask_for_a_smallest_number_of_choices() -> None:
    grounds = only(
        key="grounds",
        type="multiple_choice",
        label=bilingual("Grounds"),
        choices=choices("a", "b", "c"),
        validation={"min_choices": 2},
    )
    form = posted([("q-grounds", "a")])
    assert await read_answers([grounds], form) == {}
    assert form.errors == {"q-grounds": "Select at least 2 options: Grounds"}
    form = posted({})
    await read_answers([grounds], form)
    assert form.errors == {"q-grounds": "Select at least one option: Grounds"}
    form = posted([("q-grounds", "c"), ("q-grounds", "a")])
    assert await read_answers([grounds], form) == {"grounds": ["a", "c"]}


def address_post(**parts: str) -> dict[str, str]:
    address = {"line1": "1 Main St", "city": "Ottawa", "province": "ON", "postal_code": "K1A 0B1"}
    return {f"q-workplace-{part}": value for part, value in {**address, **parts}.items()}


@pytest.mark.parametrize("postal_code", ["k1a0b1", "K1A 0B1", " k1a-0b1 ", "K1A  0B1"])
async def test_an_address_keeps_a_canadian_postal_code_in_its_usual_form(postal_code: str) -> None:
    answer, form = await read_one(
        "workplace", address_post(postal_code=postal_code, line2=" Suite 5 ")
    )
    assert form.errors == {}
    assert answer == {
        "line1": "1 Main St",
        "line2": "Suite 5",
        "city": "Ottawa",
        "province": "ON",
        "postal_code": "K1A 0B1",
    }


@pytest.mark.parametrize(
    ("parts", "field", "error"),
    [
        ({"postal_code": "D1A 0B1"}, "q-workplace-postal_code", "enter a real postal code"),
        ({"postal_code": "K1A 0B"}, "q-workplace-postal_code", "enter a real postal code"),
        ({"postal_code": "90210"}, "q-workplace-postal_code", "enter a real postal code"),
        ({"postal_code": "K1A 0B\u0661"}, "q-workplace-postal_code", "enter a real postal code"),
        ({"province": "ZZ"}, "q-workplace-province", "select the province or territory"),
        ({"line1": " "}, "q-workplace", "enter address line 1"),
        ({"city": ""}, "q-workplace-city", "enter the town or city"),
        ({"line2": "x" * 201}, "q-workplace-line2", "each line must be 200 characters or fewer"),
    ],
)
async def test_each_wrong_part_of_an_address_gets_its_own_message(
    parts: dict[str, str], field: str, error: str
) -> None:
    answer, form = await read_one("workplace", address_post(**parts))
    assert answer is None
    assert list(form.errors) == [field]
    assert form.errors[field].startswith("Workplace address: ")
    assert error in form.errors[field]


async def test_an_optional_address_may_be_left_empty_but_not_half_done() -> None:
    home = only(key="home", type="address", label=bilingual("Home address"), required=False)
    assert await read_answers([home], posted({})) == {}
    form = posted({"q-home-city": "Ottawa"})
    assert await read_answers([home], form) == {}
    assert list(form.errors) == ["q-home", "q-home-province", "q-home-postal_code"]


@pytest.mark.parametrize(
    "phone",
    [
        "416 555 0123",
        "(416) 555-0123",
        "+1 416-555-0123",
        "416.555.0123 x12",
        "416 555 0123 poste 4",
    ],
)
async def test_a_telephone_number_has_ten_digits_or_more(phone: str) -> None:
    answer, form = await read_one("employer_phone", {"q-employer_phone": f" {phone} "})
    assert form.errors == {}
    assert answer == phone


@pytest.mark.parametrize(
    "phone",
    ["555 0123", "416 555 CALL", "416-555-0123 ext.", "1" * 16, "\u0664\u0661\u0666 555 0123"],
)
async def test_a_telephone_number_in_another_format_is_refused(phone: str) -> None:
    answer, form = await read_one("employer_phone", {"q-employer_phone": phone})
    assert answer is None
    assert form.errors == {
        "q-employer_phone": "Enter employer telephone number in the correct format, "
        "like 416 555 0123"
    }


async def test_an_email_address_is_checked_and_lowercased() -> None:
    assert (await read_one("employer_email", {"q-employer_email": " HR@Example.org "}))[0] == (
        "hr@example.org"
    )
    for typed in ("hr@", "hr example.org", "a@b@example.org"):
        answer, form = await read_one("employer_email", {"q-employer_email": typed})
        assert answer is None
        assert form.errors == {
            "q-employer_email": "Enter employer email address in the correct format, "
            "like name@example.com"
        }


async def test_a_label_keeps_its_capitals_inside_a_message_when_they_are_an_acronym() -> None:
    sin = only(key="sin", type="text", label=bilingual("SIN"))
    form = posted({})
    await read_answers([sin], form)
    assert form.errors == {"q-sin": "Enter SIN"}


async def test_messages_name_the_question_in_french_for_a_french_claimant() -> None:
    form = posted(date_post("27", "", "2026") | {"q-amount": "beaucoup"})
    with use_language("fr"):
        await read_answers(DEFINITION, form, today=TODAY)
    assert form.errors["q-decision_date"] == "Date de la décision doit comprendre un mois"
    assert form.errors["q-reasons"] == (
        "Entrez la réponse à «\xa0Pourquoi êtes-vous en désaccord?\xa0»"
    )
    assert form.errors["q-amount"].startswith("Montant réclamé doit être un montant en dollars")
    assert form.errors["q-unionised"] == (
        "Sélectionnez oui ou non\xa0: Le lieu de travail est-il syndiqué?"
    )
    assert form.errors["q-workplace-city"] == (
        "Adresse du lieu de travail\xa0: entrez la ville ou la municipalité"
    )


# -- saved answers fill the form again ------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_saved_answers_fill_the_form_again_and_read_back_the_same(language: str) -> None:
    with use_language(language):
        values = form_values(DEFINITION, FULL_ANSWERS)
        form = answers_form(DEFINITION, FULL_ANSWERS)
        assert await read_answers(DEFINITION, form, today=TODAY) == FULL_ANSWERS
    assert form.errors == {}
    assert values["q-decision_date-day"] == "27"
    assert values["q-decision_date-month"] == "3"
    assert values["q-amount"] == ("1234,50" if language == "fr" else "1234.50")
    assert values["q-unionised"] == "no"
    assert values["q-remedies"] == ["reinstatement", "back_pay"]
    assert values["q-workplace-postal_code"] == "M5H 2N2"


async def test_a_decimal_saved_in_french_reads_back_the_same_in_english() -> None:
    # "1,234" would be a thousand and more in English: the saved form uses a point.
    answers = {"employees": "1.234"}
    with use_language("fr"):
        form = answers_form(DEFINITION, answers)
    with use_language("en"):
        assert await read_answers([question("employees")], form) == answers


def test_unanswered_questions_leave_their_fields_empty() -> None:
    assert form_values(DEFINITION, {}) == {}
    form = answers_form(DEFINITION, {"issue": "benefits"})
    assert form.value("q-issue") == "benefits"
    assert form.value("q-reasons") == ""


# -- showing answers ------------------------------------------------------------------------


def shown(answers: dict[str, object]) -> dict[str, str]:
    return {key: display_answer(question(key), value) for key, value in answers.items()}


def test_answers_are_shown_in_english() -> None:
    assert shown(FULL_ANSWERS) == {
        "decision_date": "March 27, 2026",
        "claim_number": "12345678",
        "reasons": "The board ignored\nmy doctor's report.",
        "employees": "1,250",
        "amount": "$1,234.50",
        "unionised": "No",
        "issue": "Health care",
        "remedies": "Reinstatement\nBack pay",
        "workplace": "100 Queen Street West\nToronto ON M5H 2N2",
        "employer_phone": "(416) 555-0123 ext. 45",
        "employer_email": "hr@example.org",
    }
    assert display_answer(question("employees"), "12500.75") == "12,500.75"
    assert display_answer(question("unionised"), True) == "Yes"
    assert display_answer(question("claim_number"), None) == "Not answered"


def test_answers_are_shown_in_french() -> None:
    with use_language("fr"):
        french = shown(FULL_ANSWERS)
        decimal = display_answer(question("employees"), "12500.75")
        unanswered = display_answer(question("amount"), None)
    plain = {
        key: value.replace("\u202f", " ").replace("\xa0", " ") for key, value in french.items()
    }
    assert plain["decision_date"] == "27 mars 2026"
    assert plain["employees"] == "1 250"
    assert plain["amount"] == "1 234,50 $"
    assert plain["unionised"] == "Non"
    assert plain["issue"] == "Soins de santé"
    assert plain["remedies"] == "Réintégration\nSalaire rétroactif"
    assert decimal.replace("\u202f", " ").replace("\xa0", " ") == "12 500,75"
    assert unanswered == "Sans réponse"


# -- the deadline -----------------------------------------------------------------------------


def test_the_deadline_counts_days_from_the_date_the_claimant_gave() -> None:
    answers = {"decision_date": "2026-01-15"}
    assert filing_deadline(DEFINITION, answers) == date(2026, 2, 14)
    assert not is_late(DEFINITION, answers, today=date(2026, 2, 14))
    assert is_late(DEFINITION, answers, today=date(2026, 2, 15))


def test_without_a_deadline_rule_or_its_date_nothing_is_late() -> None:
    no_rule = CaseTypeDefinition(questions=DEFINITION.questions)
    answers = {"decision_date": "2000-01-01"}
    assert filing_deadline(no_rule, answers) is None
    assert not is_late(no_rule, answers, today=TODAY)
    assert filing_deadline(DEFINITION, {}) is None
    assert not is_late(DEFINITION, {"decision_date": "not a date"}, today=TODAY)


# -- the template -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def templates() -> Environment:
    return create_templates().env


class Page(HTMLParser):
    """The elements of a rendered fragment, with their attributes and the text of each id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def ids(self) -> list[str]:
        return [attrs["id"] for _tag, attrs in self.elements if "id" in attrs]

    def controls(self) -> list[dict[str, str]]:
        return [attrs for tag, attrs in self.elements if tag in ("input", "select", "textarea")]

    def label_targets(self) -> list[str]:
        return [attrs["for"] for tag, attrs in self.elements if tag == "label"]

    def element(self, element_id: str) -> tuple[str, dict[str, str]]:
        return next((t, a) for t, a in self.elements if a.get("id") == element_id)


def render(templates: Environment, questions: list[Question], form: Form) -> str:
    template = templates.from_string(
        '{% import "components/forms.html" as forms with context %}'
        '{% import "filings/components/questions.html" as questions with context %}'
        "{{ forms.error_summary(form) }}"
        "{% for q in qs %}{{ questions.question(form, q) }}{% endfor %}"
    )
    return template.render(form=form, qs=questions)


def check_accessible(html: str, form: Form) -> Page:
    """Assert the ties a screen reader relies on: labels, unique ids, hints and errors."""
    page = Page(html)
    ids = page.ids()
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    # Every field has exactly one label pointing at it, and every label points at a field.
    control_ids = [attrs["id"] for attrs in page.controls()]
    assert sorted(page.label_targets()) == sorted(control_ids)
    # Whatever aria-describedby names exists.
    for _tag, attrs in page.elements:
        for described_by in attrs.get("aria-describedby", "").split():
            assert described_by in ids, described_by
    # Each error is shown beside its field, described by it, and the summary links to the field.
    for field in form.errors:
        assert field in ids, field
        assert f"{field}-error" in ids
        described = [
            a for _t, a in page.elements if f"{field}-error" in a.get("aria-describedby", "")
        ]
        assert len(described) == 1
        assert f'href="#{field}"' in html
    return page


@pytest.mark.parametrize("with_errors", [False, True], ids=["blank", "errors"])
@pytest.mark.parametrize("q", DEFINITION.questions, ids=lambda q: str(q.type))
async def test_every_type_of_question_is_drawn_with_labels_hints_and_errors_tied_together(
    templates: Environment, q: Question, with_errors: bool
) -> None:
    form = posted({})
    if with_errors:
        # Required or not, a wrong answer gets an error; a blank required one too.
        wrong = {"q-claim_number": "x", "q-employees": "x", "q-amount": "x", "q-remedies": "x"}
        wrong |= {"q-employer_phone": "x", "q-employer_email": "x", "q-workplace-line2": "x" * 300}
        form = posted(wrong)
        await read_answers([q], form, today=TODAY)
        assert form.errors
    html = render(templates, [q], form)
    page = check_accessible(html, form)

    # The error summary's link for the question lands on its first field.
    first_tag, _attributes = page.element(q.field_name)
    assert first_tag in ("input", "textarea")
    label = q.label.current() if q.required else f"{q.label.current()} (optional)"
    assert label in html
    if q.hint:
        assert f'id="{q.field_name}-hint"' in html
    css = {
        "long_text": "govuk-textarea",
        "date": "govuk-date-input",
        "yes_no": "govuk-radios",
        "single_choice": "govuk-radios",
        "multiple_choice": "govuk-checkboxes",
        "address": "govuk-select",
    }.get(q.type, "govuk-input")
    assert f'class="{css}' in html
    assert ("govuk-form-group--error" in html) == with_errors


async def test_what_the_claimant_typed_is_shown_again_escaped(templates: Environment) -> None:
    form = posted(
        [
            *FULL_POST,
            ("q-claim_number", '<script>alert("x")</script>'),
            ("q-reasons", "\nStarts with a blank line & <b>bold</b>"),
        ]
    )
    await read_answers(DEFINITION, form, today=TODAY)
    html = render(templates, list(DEFINITION.questions), form)
    check_accessible(html, form)
    assert "<script>" not in html
    assert "<b>" not in html
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"' in html
    # The browser drops the newline right after <textarea>, so the typed one is kept.
    assert 'rows="8">\n\nStarts with a blank line &amp; &lt;b&gt;bold&lt;/b&gt;</textarea>' in html
    page = Page(html)
    assert page.element("q-decision_date")[1]["value"] == "27"
    assert page.element("q-decision_date-year")[1]["value"] == "2026"
    assert page.element("q-workplace")[1]["name"] == "q-workplace-line1"
    assert page.element("q-workplace")[1]["value"] == "100  Queen Street West"
    assert "checked" in page.element("q-unionised-2")[1]  # "No"
    assert "checked" in page.element("q-remedies")[1]  # Reinstatement
    assert "checked" in page.element("q-remedies-2")[1]  # Back pay
    assert "checked" not in page.element("q-remedies-3")[1]
    assert re.search(r'<option value="ON" selected>Ontario</option>', html)


async def test_only_the_missing_parts_of_a_date_are_highlighted(templates: Environment) -> None:
    form = posted(date_post("27", "", "2026"))
    await read_answers([question("decision_date")], form, today=TODAY)
    page = Page(render(templates, [question("decision_date")], form))
    highlighted = {
        attrs["id"]
        for tag, attrs in page.elements
        if tag == "input" and "govuk-input--error" in attrs["class"]
    }
    assert highlighted == {"q-decision_date-month"}

    form = posted(date_post("31", "2", "2026"))
    await read_answers([question("decision_date")], form, today=TODAY)
    page = Page(render(templates, [question("decision_date")], form))
    highlighted = {
        attrs["id"]
        for tag, attrs in page.elements
        if tag == "input" and "govuk-input--error" in attrs["class"]
    }
    assert highlighted == {"q-decision_date", "q-decision_date-month", "q-decision_date-year"}


async def test_questions_are_drawn_in_french_for_a_french_claimant(templates: Environment) -> None:
    form = posted({})
    with use_language("fr"):
        await read_answers(DEFINITION, form, today=TODAY)
        html = render(templates, list(DEFINITION.questions), form)
    check_accessible(html, form)
    assert "Date de la décision" in html
    assert "Jour" in html
    assert "Année" in html
    assert "Montant réclamé (facultatif)" in html
    # The dollar sign follows the amount in French.
    assert '<div class="govuk-input__suffix" aria-hidden="true">$</div>' in html
    assert "govuk-input__prefix" not in html
    assert ">Oui</label>" in html
    assert ">Soins de santé</label>" in html
    assert "Colombie-Britannique" in html
    assert "Code postal" in html
    assert "Il y a un problème" in html
