"""Every reason a booking is refused reads as a sentence in English and in French, with the
other hearing's day and times in the tribunal's zone (its name given: EDT, HAE)."""

from __future__ import annotations

from datetime import date

import pytest

from hearings.calendars.services import Interval
from hearings.scheduling.forms import booking_problem_message
from hearings.scheduling.services import BookingProblem, BookingProblemKind
from tests.hearings.calendars import utc
from tribune.i18n import use_language

TORONTO = "America/Toronto"
THURSDAY_MORNING = Interval(utc(2027, 10, 14, 13, 30), utc(2027, 10, 14, 15))


@pytest.mark.parametrize("kind", list(BookingProblemKind))
def test_every_problem_has_a_message_in_both_languages(kind: BookingProblemKind) -> None:
    problem = BookingProblem(
        kind,
        conflict=THURSDAY_MORNING,
        days=(date(2027, 10, 13), date(2027, 10, 14)),
        language="es",
    )
    with use_language("en"):
        english = booking_problem_message(problem, TORONTO)
    with use_language("fr"):
        french = booking_problem_message(problem, TORONTO)
    assert english
    assert french
    assert english != french
    assert "%(" not in english + french


def test_the_other_hearing_is_told_in_the_tribunal_zone() -> None:
    problem = BookingProblem(BookingProblemKind.ADJUDICATOR_BOOKED, THURSDAY_MORNING)
    with use_language("en"):
        assert booking_problem_message(problem, TORONTO) == (
            "The adjudicator has a hearing on Thursday, October 14, 2027"
            " from 9:30 a.m. EDT to 11:00 a.m. EDT."
        )
    with use_language("fr"):
        assert booking_problem_message(problem, TORONTO) == (
            "Le commissaire a une audience le jeudi 14 octobre 2027 de 9 h 30 HAE à 11 h 00 HAE."
        )


def test_the_language_needed_is_named() -> None:
    problem = BookingProblem(BookingProblemKind.INTERPRETER_NEEDED, language="fcs")
    with use_language("en"):
        assert booking_problem_message(problem, TORONTO) == (
            "This case needs an interpreter for Quebec Sign Language (LSQ): choose one."
        )
    with use_language("fr"):
        assert "Langue des signes québécoise (LSQ)" in booking_problem_message(problem, TORONTO)
