"""The annual report as its reader sees it: sections of figures, each figure with its value and a
note of how it is counted, in the current language. The page and the CSV are both made from
these lines, so they always say the same thing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from accountability.feedback.forms import CHOICE_LABELS
from accountability.feedback.models import FeedbackKind, SurveyChoice
from accountability.feedback.services import ChoiceFigures
from accountability.report.services import AGE_BANDS, AnnualReport, MoneyLine
from accountability.standards.measurement import Figures, YearFigures
from accountability.standards.models import ClockUnit
from tribune.i18n import format_money, format_number, localised
from tribune.i18n import gettext as _

DEFAULT_CURRENCY = "CAD"


class Kind(enum.Enum):
    COUNT = "count"
    MONEY = "money"  # integer cents
    PERCENT = "percent"  # a share from 0 to 1
    DAYS = "days"
    AVERAGE = "average"  # a mean score, to one decimal


@dataclass(frozen=True)
class Value:
    """A figure's value: a count, an amount in cents, a share, days or an average; None
    when there is nothing to count it from."""

    kind: Kind
    number: int | float | None
    currency: str = DEFAULT_CURRENCY

    @property
    def shown(self) -> str:
        """The value as the page shows it, in the current language's conventions."""
        if self.number is None:
            return _("Not applicable")
        if self.kind is Kind.MONEY:
            return format_money(int(self.number), self.currency)
        if self.kind is Kind.PERCENT:
            return _("%(percent)s%%", percent=format_number(round(self.number * 100, 1)))
        if self.kind is Kind.AVERAGE:
            return format_number(round(self.number, 1))
        return format_number(self.number)

    @property
    def plain(self) -> str:
        """The value as the CSV holds it, the same in both languages: digits with a point
        (amounts in the currency's units, shares in percent), empty when not applicable."""
        if self.number is None:
            return ""
        if self.kind is Kind.MONEY:
            cents = int(self.number)
            sign = "-" if cents < 0 else ""
            return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
        if self.kind is Kind.PERCENT:
            return f"{round(self.number * 100, 1):.1f}"
        if self.kind is Kind.AVERAGE:
            return f"{round(self.number, 1):.1f}"
        return str(int(self.number))


def count(number: int) -> Value:
    return Value(Kind.COUNT, number)


@dataclass(frozen=True)
class Line:
    """One figure: what it is, its value, how it is counted."""

    figure: str
    value: Value
    note: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    lines: list[Line]


def _volumes(report: AnnualReport) -> Section:
    volumes = report.volumes
    pending_note = _(
        "Cases received by the last day of the year and not decided, closed, withdrawn or "
        "dismissed by then, by their age on that day counted from the day they were received."
    )
    band_labels = {
        "under_90": _("Pending: under 90 days old"),
        "90_to_179": _("Pending: 90 to 179 days old"),
        "180_to_364": _("Pending: 180 to 364 days old"),
        "365_and_over": _("Pending: a year old or more"),
    }
    return Section(
        "volumes",
        _("Cases"),
        [
            Line(
                _("Cases received"),
                count(volumes.received),
                _(
                    "Cases submitted during the year, online or on paper, each counted once "
                    "however many times it was submitted."
                ),
            ),
            Line(
                _("Cases accepted"),
                count(volumes.accepted),
                _("Cases the registry accepted during the year, whenever they were received."),
            ),
            Line(
                _("Cases heard"),
                count(volumes.heard),
                _(
                    "Cases with a hearing held during the year, each counted once however "
                    "many hearings it had."
                ),
            ),
            Line(
                _("Cases decided"),
                count(volumes.decided),
                _("Cases whose decision was issued during the year."),
            ),
            Line(
                _("Cases withdrawn"),
                count(volumes.withdrawn),
                _("Cases withdrawn during the year."),
            ),
            Line(
                _("Cases dismissed"),
                count(volumes.dismissed),
                _("Cases dismissed during the year."),
            ),
            Line(_("Cases pending at the end of the year"), count(volumes.pending), pending_note),
            *(
                Line(band_labels[key], count(volumes.pending_by_age[key]), pending_note)
                for key, _at_least, _under in AGE_BANDS
            ),
        ],
    )


def standard_name(figures: YearFigures) -> str:
    """The standard's name in the current language, as its latest definition of the year
    says it."""
    return localised(figures.quarters[-1][1].definition, "name")


def standard_rule(figures: YearFigures) -> str:
    """The standard's limit and target, as its latest definition of the year says them."""
    definition = figures.quarters[-1][1].definition
    if definition.unit is ClockUnit.BUSINESS_DAYS:
        limit = _("%(days)s business days", days=definition.limit_days)
    else:
        limit = _("%(days)s calendar days", days=definition.limit_days)
    return _(
        "Target: %(target)s%% of cases within %(limit)s.",
        target=definition.target_percent,
        limit=limit,
    )


@dataclass(frozen=True)
class StandardRow:
    """A period of a standard's table: the year or one of its quarters."""

    period: str
    figures: Figures
    target_percent: int

    @property
    def cells(self) -> list[Value]:
        return [
            count(self.figures.met),
            count(self.figures.missed),
            Value(Kind.PERCENT, self.figures.share_met),
            Value(Kind.PERCENT, self.target_percent / 100),
            Value(Kind.DAYS, self.figures.median_days),
            Value(Kind.DAYS, self.figures.p90_days),
        ]


def standard_rows(figures: YearFigures) -> list[StandardRow]:
    """The year, then each quarter measured, with the target in force then."""
    latest = figures.quarters[-1][1].definition
    rows = [StandardRow(_("Whole year"), figures.totals, latest.target_percent)]
    for quarter, measured in figures.quarters:
        rows.append(StandardRow(quarter.label, measured.totals, measured.definition.target_percent))
    return rows


def standard_columns() -> list[tuple[str, str]]:
    """Each column of a standard's table: its heading and how it is counted."""
    return [
        (
            _("Met"),
            _("Cases whose clock stopped in the period within the limit."),
        ),
        (
            _("Missed"),
            _("Cases whose clock stopped in the period past the limit."),
        ),
        (
            _("Share met"),
            _(
                "Met out of met and missed. Cases still open past the limit at the end of the "
                "period are not in it."
            ),
        ),
        (
            _("Target"),
            _("The share the standard's definition in force in the period aims for."),
        ),
        (
            _("Median (days)"),
            _(
                "Half of the cases whose clock stopped in the period took this many days or "
                "fewer (the unit of the standard's limit, paused time left out)."
            ),
        ),
        (
            _("90th percentile (days)"),
            _("Nine cases in ten whose clock stopped in the period took this many days or fewer."),
        ),
    ]


def _standard_lines(figures: YearFigures) -> Iterator[Line]:
    name = standard_name(figures)
    for row in standard_rows(figures):
        for (heading, note), value in zip(standard_columns(), row.cells, strict=True):
            yield Line(
                _(
                    "%(standard)s, %(period)s: %(figure)s",
                    standard=name,
                    period=row.period,
                    figure=heading,
                ),
                value,
                note,
            )
    open_note = _(
        "Cases whose clock was still running at the end of the year (or now, for the current "
        "year): already past the limit, or still within it."
    )
    yield Line(
        _("%(standard)s: open past the limit", standard=name),
        count(figures.totals.open_past_limit),
        open_note,
    )
    yield Line(
        _("%(standard)s: open within the limit", standard=name),
        count(figures.totals.open_within_limit),
        open_note,
    )


def _accommodations(report: AnnualReport) -> Section:
    figures = report.accommodations
    return Section(
        "accommodations",
        _("Accommodations"),
        [
            Line(
                _("Cases that asked for an interpreter"),
                count(figures.interpreter_asked),
                _("Cases received during the year whose filing asked for an interpreter."),
            ),
            Line(
                _("Cases that asked for sign language interpretation"),
                count(figures.sign_language_asked),
                _("Cases received during the year whose filing named a sign language."),
            ),
            Line(
                _("Cases that asked for another accommodation"),
                count(figures.other_asked),
                _(
                    "Cases received during the year whose filing described another need "
                    "(extra time, an alternative format, physical access)."
                ),
            ),
            Line(
                _("Interpretation granted"),
                count(figures.interpreter_booked),
                _(
                    "Of the cases received during the year that asked for an interpreter or "
                    "sign language, those with an interpreter booked for a hearing."
                ),
            ),
        ],
    )


def _money_lines(lines: list[MoneyLine], amount: str, number: str, note: str) -> Iterator[Line]:
    for line in lines or [MoneyLine(DEFAULT_CURRENCY, 0, 0)]:
        yield Line(
            _("%(figure)s (%(currency)s)", figure=amount, currency=line.currency),
            Value(Kind.MONEY, line.cents, line.currency),
            note,
        )
        yield Line(
            _("%(figure)s (%(currency)s)", figure=number, currency=line.currency),
            count(line.count),
            note,
        )


def _fees(report: AnnualReport) -> Section:
    fees = report.fees
    return Section(
        "fees",
        _("Fees"),
        [
            *_money_lines(
                fees.collected,
                _("Fees collected"),
                _("Payments"),
                _(
                    "Card, counter and cheque payments settled during the year, whatever was "
                    "refunded of them later."
                ),
            ),
            *_money_lines(
                fees.refunded,
                _("Fees refunded"),
                _("Refunds"),
                _("Refunds paid back during the year."),
            ),
            *_money_lines(
                fees.waived,
                _("Fees waived"),
                _("Fee waivers granted"),
                _(
                    "Fee waivers granted in full or in part during the year, and the amount "
                    "they took off the fees."
                ),
            ),
        ],
    )


def _choice_lines(question: str, figures: ChoiceFigures, note: str) -> Iterator[Line]:
    yield Line(
        _("%(question)s: share who answered “Yes”", question=question),
        Value(Kind.PERCENT, figures.share_yes),
        note,
    )
    for choice in SurveyChoice:
        yield Line(
            _("%(question)s: %(answer)s", question=question, answer=CHOICE_LABELS[choice]),
            count(figures.distribution[choice]),
            note,
        )


def _feedback(report: AnnualReport) -> Section:
    feedback = report.feedback
    sent_note = _(
        "Answers to “Was this page helpful?” and problem reports sent from the tribunal's "
        "pages during the year."
    )
    return Section(
        "feedback",
        _("Feedback"),
        [
            Line(_("Feedback received"), count(feedback.received_total), sent_note),
            Line(
                _("Pages found helpful"), count(feedback.received[FeedbackKind.HELPFUL]), sent_note
            ),
            Line(
                _("Pages found not helpful"),
                count(feedback.received[FeedbackKind.NOT_HELPFUL]),
                sent_note,
            ),
            Line(_("Problems reported"), count(feedback.received[FeedbackKind.PROBLEM]), sent_note),
            Line(
                _("Feedback with an address to answer"),
                count(feedback.with_contact),
                _("Of the feedback received during the year, what left an email address."),
            ),
            Line(
                _("Feedback answered"),
                count(feedback.answered),
                _(
                    "Of the feedback received during the year, what the registry answered by "
                    "email at least once, then or since."
                ),
            ),
            Line(
                _("Feedback marked handled"),
                count(feedback.handled),
                _("Of the feedback received during the year, what the registry marked handled."),
            ),
        ],
    )


def _satisfaction(report: AnnualReport) -> Section:
    feedback = report.feedback
    month_note = _(
        "Answers to the survey each party is sent after a hearing is held, counted in the "
        "months of the year they were given (answers keep their month only)."
    )
    satisfaction = _("Overall, how satisfied are you with the way your hearing was run?")
    score_labels = {
        5: _("Very satisfied"),
        4: _("Satisfied"),
        3: _("Neither satisfied nor dissatisfied"),
        2: _("Dissatisfied"),
        1: _("Very dissatisfied"),
    }
    return Section(
        "satisfaction",
        _("Hearing satisfaction"),
        [
            Line(_("Hearing surveys answered"), count(feedback.surveys), month_note),
            Line(
                _("%(question)s: average", question=satisfaction),
                Value(Kind.AVERAGE, feedback.satisfaction.average),
                _("The mean of the answers, from 1 (very dissatisfied) to 5 (very satisfied)."),
            ),
            *(
                Line(
                    _("%(question)s: %(answer)s", question=satisfaction, answer=label),
                    count(feedback.satisfaction.distribution[score]),
                    month_note,
                )
                for score, label in score_labels.items()
            ),
            *_choice_lines(
                _("Could you see, hear and take part in the hearing as you needed to?"),
                feedback.could_take_part,
                month_note,
            ),
            *_choice_lines(
                _("Were the way the hearing works and the next steps explained clearly?"),
                feedback.explained_clearly,
                month_note,
            ),
        ],
    )


def _notices(report: AnnualReport) -> Section:
    notices, texts = report.notices, report.texts
    return Section(
        "notices",
        _("Notices"),
        [
            Line(
                _("Emails delivered"),
                count(notices.sent),
                _("Emails written for the tribunal during the year and handed to the mail relay."),
            ),
            Line(
                _("Emails kept in the outbox"),
                count(notices.kept),
                _(
                    "Emails written during the year on a platform without a mail relay: kept "
                    "in its outbox, not sent."
                ),
            ),
            Line(
                _("Emails waiting to be sent"),
                count(notices.queued),
                _("Emails written during the year and not sent yet."),
            ),
            Line(
                _("Text messages delivered"),
                count(texts.delivered),
                _(
                    "Text messages written during the year that the provider reported "
                    "delivered to the phone."
                ),
            ),
            Line(
                _("Text messages sent, not confirmed"),
                count(texts.sent),
                _(
                    "Text messages handed to the provider during the year without a delivery "
                    "receipt yet."
                ),
            ),
            Line(
                _("Text messages not delivered"),
                count(texts.failed),
                _(
                    "Text messages the provider refused or could not deliver (their reminders "
                    "then went by email)."
                ),
            ),
            Line(
                _("Text messages kept in the outbox"),
                count(texts.kept),
                _(
                    "Text messages written during the year on a platform without a text "
                    "message provider: kept in its outbox, not sent."
                ),
            ),
            Line(
                _("Text messages waiting or cancelled"),
                count(texts.queued + texts.cancelled),
                _(
                    "Text messages still waiting (quiet hours, the provider's rate), or not "
                    "sent because texts to the number stopped."
                ),
            ),
        ],
    )


def sections(report: AnnualReport) -> list[Section]:
    """The report's sections in the current language, in the order the page shows them;
    the standards' section holds one set of lines per standard (the page shows them as
    tables, `standard_rows`)."""
    standards = Section(
        "standards",
        _("Service standards"),
        [line for figures in report.standards for line in _standard_lines(figures)],
    )
    return [
        _volumes(report),
        standards,
        _accommodations(report),
        _fees(report),
        _feedback(report),
        _satisfaction(report),
        _notices(report),
    ]
