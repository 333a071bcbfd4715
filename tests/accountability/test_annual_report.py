"""The annual performance report, as its administrator reads it: a fiscal year chosen among
those the tribunal has cases in (the last complete one by default, the current one "to date"),
its figures on a printable page and in a CSV in English and in French, each with a note of how
it is counted, the same as the cases built by hand; the export audited; a clerk, an
adjudicator and another tribunal's administrator not told the page exists; a wrong year
refused with nothing recorded; and as many statements for a tribunal of many cases as for
one of few."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from datetime import date, datetime
from typing import Any

import httpx
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from accountability.feedback.models import (
    Feedback,
    FeedbackAnswer,
    FeedbackKind,
    SenderRole,
    SurveyAnswer,
    SurveyChoice,
)
from accountability.report.sections import Kind, Value
from accountability.standards.periods import FiscalYear
from filings.models import CaseTypeVersion, FilingStatus
from filings.seeding import LaterEvent, seed_submitted_case
from hearings.models import HearingMode
from payments.models import FeeWaiver, WaiverState
from tests.accountability.factories import local, make_standard, make_standards_tribunal
from tests.factories.accounts import make_user
from tests.factories.filings import make_case_type
from tests.factories.payments import make_card_payment, make_card_refund, make_charged_case
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import as_user, french
from tribunals.models import Role, Tribunal
from tribune.audit import AuditAction, AuditEvent
from tribune.db import local_today, utcnow
from tribune.mail import MessageStatus, OutboxMessage
from tribune.settings import PROJECT_ROOT
from tribune.texts import TextMessage, TextStatus

YEAR = FiscalYear(2025)
CURRENT = FiscalYear.containing(local_today("America/Toronto"))


async def case(
    db: AsyncSession,
    tribunal: Tribunal,
    version: CaseTypeVersion,
    received: datetime,
    *events: tuple[str, datetime],
    accessibility: dict[str, object] | None = None,
) -> uuid.UUID:
    filing = await seed_submitted_case(
        db,
        tribunal,
        version,
        await make_user(db),
        answers={"accessibility": accessibility or {"needs_interpreter": False}},
        received=received,
        language="en",
        status=FilingStatus.SUBMITTED,
        later_events=[LaterEvent(kind, at) for kind, at in events],
    )
    await db.commit()
    return filing.id


async def build_year(db: AsyncSession, tribunal: Tribunal) -> None:
    """Fiscal year 2025 of a tribunal, worked by hand (the figures the tests expect are
    beside each line)."""
    version = await make_case_type(db, tribunal)
    await make_standard(
        db,
        tribunal,
        code="acknowledge",
        name_en="Acknowledge a filing",
        name_fr="Accuser réception d’un dossier",
        limit_days=5,
        target_percent=80,
        effective_from=date(2025, 4, 1),
    )
    # Received on 1 April 2025 (Tuesday), accepted 3 business days later: met, in Q1.
    await case(db, tribunal, version, local(2025, 4, 1, 9), ("accepted", local(2025, 4, 4, 9)))
    # Received 2 June, accepted 20 June: missed (14 business days), in Q1; heard, decided.
    await case(
        db,
        tribunal,
        version,
        local(2025, 6, 2, 9),
        ("accepted", local(2025, 6, 20, 9)),
        ("heard", local(2025, 9, 10, 9)),
        ("decided", local(2025, 10, 1, 9)),
        accessibility={"needs_interpreter": True, "interpreter_language": "es"},
    )
    # Received 15 October, withdrawn in November: pending never; excluded from the standard.
    await case(db, tribunal, version, local(2025, 10, 15, 9), ("withdrawn", local(2025, 11, 3, 9)))
    # Received 2 March 2026, still waiting at the year's end: open past the limit, pending.
    await case(db, tribunal, version, local(2026, 3, 2, 9))
    # Received the year before, accepted long before: pending, over a year old at year end.
    await case(db, tribunal, version, local(2024, 12, 2, 9), ("accepted", local(2024, 12, 4, 9)))

    # Fees: 50.00 paid by card in June, 20.00 of it refunded in July; 75.00 waived in August.
    paid = await make_charged_case(db, tribunal, amount_cents=5000)
    payment, checkout = await make_card_payment(db, tribunal, paid, paid_at=local(2025, 6, 5, 12))
    assert checkout is not None
    await make_card_refund(
        db, tribunal, payment, checkout, amount_cents=2000, refunded_at=local(2025, 7, 1, 12)
    )
    waived = await make_charged_case(db, tribunal, amount_cents=7500)
    db.add(
        FeeWaiver(
            tribunal_id=tribunal.id,
            filing_id=waived.filing.id,
            charge_id=waived.charge.id,
            household_size=2,
            household_income_cents=1_500_000,
            receives_assistance=True,
            declared_at=local(2025, 8, 1, 9),
            state=WaiverState.APPROVED,
            decided_at=local(2025, 8, 1, 9),
            waived_cents=7500,
        )
    )

    # Feedback: two "Yes", one problem with an address, answered and handled.
    def feedback(kind: FeedbackKind, **values: Any) -> Feedback:
        return Feedback(
            tribunal_id=tribunal.id,
            path=f"/{tribunal.slug}/",
            language="en",
            kind=kind,
            role=SenderRole.PUBLIC,
            created_at=local(2025, 9, 1, 9),
            **values,
        )

    problem = feedback(
        FeedbackKind.PROBLEM,
        text="The form broke",
        contact_email="someone@example.org",
        handled_at=local(2025, 9, 2, 9),
    )
    db.add_all([feedback(FeedbackKind.HELPFUL), feedback(FeedbackKind.HELPFUL), problem])
    await db.flush()
    db.add(FeedbackAnswer(tribunal_id=tribunal.id, feedback_id=problem.id, body="Fixed, thanks."))
    # Survey: answers of 5 and 4 (average 4.5), one "Yes" and one "Partly" to taking part.
    for score, took_part in ((5, SurveyChoice.YES), (4, SurveyChoice.PARTLY)):
        db.add(
            SurveyAnswer(
                tribunal_id=tribunal.id,
                hearing_mode=HearingMode.VIDEO,
                language="en",
                month=date(2025, 9, 1),
                satisfaction=score,
                could_take_part=took_part,
                explained_clearly=SurveyChoice.YES,
            )
        )
    # Notices: three emails sent, one kept; two texts delivered, one failed.
    for email_status in (
        MessageStatus.SENT,
        MessageStatus.SENT,
        MessageStatus.SENT,
        MessageStatus.KEPT,
    ):
        db.add(
            OutboxMessage(
                to_address="person@example.org",
                language="en",
                template="case_event",
                subject="Your case",
                body="…",
                status=email_status,
                tribunal_id=tribunal.id,
                created_at=local(2025, 5, 1, 9),
            )
        )
    for text_status in (TextStatus.DELIVERED, TextStatus.DELIVERED, TextStatus.PERMANENT_FAILURE):
        db.add(
            TextMessage(
                to_number="+16135550123",
                language="en",
                kind="hearing_reminder",
                body="…",
                status=text_status,
                tribunal_id=tribunal.id,
                created_at=local(2025, 5, 1, 9),
            )
        )
    await db.commit()


def page_figures(page: httpx.Response) -> dict[str, str]:
    """The page's figures: each row heading with its first cell's text."""
    found = re.findall(
        r'<th scope="row" class="govuk-table__header">(.*?)</th>\s*<td[^>]*>(.*?)</td>',
        page.text,
        re.DOTALL,
    )
    return {html.unescape(figure).strip(): html.unescape(value).strip() for figure, value in found}


def csv_rows(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))


def csv_figures(rows: list[list[str]]) -> dict[str, str]:
    return {row[1]: row[2] for row in rows[1:]}


async def admin_of(
    client: httpx.AsyncClient, db: AsyncSession, tribunal: Tribunal, language: str = "en"
) -> Any:
    admin = await make_staff(db, tribunal, Role.ADMIN, language=language)
    await as_user(client, admin)
    return admin


# -- the figures, on the page and in the CSV ---------------------------------------------------


async def test_the_report_shows_the_hand_built_year_with_its_notes(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_standards_tribunal(db)
    await build_year(db, tribunal)
    await admin_of(client, db, tribunal)

    workspace = await client.get(f"/{tribunal.slug}/staff")
    assert f'href="/{tribunal.slug}/staff/annual-report"' in workspace.text
    assert "Annual performance report" in workspace.text

    page = await client.get(f"/{tribunal.slug}/staff/annual-report?year=2025")
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    assert "Annual performance report 2025–26" in html.unescape(page.text)
    assert "Generated on" in page.text
    figures = page_figures(page)
    assert figures["Cases received"] == "4"  # 1 April, 2 June, 15 October, 2 March
    assert figures["Cases accepted"] == "2"
    assert figures["Cases heard"] == "1"
    assert figures["Cases decided"] == "1"
    assert figures["Cases withdrawn"] == "1"
    assert figures["Cases dismissed"] == "0"
    # 1 April 2025 (accepted, not decided), 2 March 2026, and December 2024's.
    assert figures["Cases pending at the end of the year"] == "3"
    assert figures["Pending: under 90 days old"] == "1"
    assert figures["Pending: 180 to 364 days old"] == "1"
    assert figures["Pending: a year old or more"] == "1"
    assert figures["Cases that asked for an interpreter"] == "1"
    assert figures["Fees collected (CAD)"] == "$50.00"
    assert figures["Fees refunded (CAD)"] == "$20.00"
    assert figures["Fees waived (CAD)"] == "$75.00"
    assert figures["Fee waivers granted (CAD)"] == "1"
    assert figures["Payments (CAD)"] == "1"
    assert figures["Feedback received"] == "3"
    assert figures["Problems reported"] == "1"
    assert figures["Feedback answered"] == "1"
    assert figures["Feedback marked handled"] == "1"
    assert figures["Hearing surveys answered"] == "2"
    satisfaction = "Overall, how satisfied are you with the way your hearing was run?"
    assert figures[f"{satisfaction}: average"] == "4.5"
    took_part = "Could you see, hear and take part in the hearing as you needed to?"
    assert figures[f"{took_part}: share who answered “Yes”"] == "50%"
    assert figures["Emails delivered"] == "3"
    assert figures["Emails kept in the outbox"] == "1"
    assert figures["Text messages delivered"] == "2"
    assert figures["Text messages not delivered"] == "1"
    # The standard: the year, then Q1 (met 1, missed 1: 50 % against 80 %).
    assert "Acknowledge a filing. Target: 80% of cases within 5 business days." in page.text
    assert figures["Whole year"] == "1"
    assert figures["Q1 2025–26"] == "1"
    year_row = re.search(r"Whole year</th>(.*?)</tr>", page.text, re.DOTALL)
    assert year_row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", year_row.group(1))
    assert cells == ["1", "1", "50%", "80%", "3", "14"]
    # Every figure says how it is counted.
    assert page.text.count("How it is counted") >= 6
    assert "Cases submitted during the year, online or on paper" in page.text
    assert "Text messages written during the year that the provider reported" in page.text
    # Printable without JavaScript: the instruction, and the button for when it runs.
    assert "To print this report, use your browser" in page.text
    assert "data-tribune-print hidden" in page.text

    export = await client.get(f"/{tribunal.slug}/staff/annual-report.csv?year=2025")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"] == (
        f'attachment; filename="annual-report-{tribunal.slug}-2025-2026.csv"'
    )
    rows = csv_rows(export)
    assert rows[0] == ["Section", "Figure", "Value", "How it is counted"]
    assert all(len(row) == 4 and row[3] for row in rows[1:])
    values = csv_figures(rows)
    assert values["Cases received"] == "4"
    assert values["Cases pending at the end of the year"] == "3"
    assert values["Fees collected (CAD)"] == "50.00"
    assert values["Fees waived (CAD)"] == "75.00"
    assert values["Acknowledge a filing, Whole year: Share met"] == "50.0"
    assert values["Acknowledge a filing, Q1 2025–26: Met"] == "1"
    assert values["Acknowledge a filing: open past the limit"] == "1"
    assert values["Text messages delivered"] == "2"
    assert values[f"{satisfaction}: average"] == "4.5"
    sections = {row[0] for row in rows[1:]}
    assert sections == {
        "Cases",
        "Service standards",
        "Accommodations",
        "Fees",
        "Feedback",
        "Hearing satisfaction",
        "Notices",
    }
    # Each figure of the page is in the CSV.
    for figure in ("Cases received", "Emails delivered", "Feedback answered"):
        assert figure in values

    exports = (
        await db.scalars(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.ANNUAL_REPORT_EXPORTED,
                AuditEvent.tribunal_id == tribunal.id,
            )
        )
    ).all()
    await db.commit()
    assert len(exports) == 1
    assert exports[0].details["fiscal_year"] == 2025


async def test_the_report_and_its_csv_in_french(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_standards_tribunal(db)
    await build_year(db, tribunal)
    await admin_of(client, db, tribunal, language="fr")

    page = await client.get(f"/{tribunal.slug}/staff/annual-report?year=2025")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert french("Annual performance report %(year)s", year="2025–26") in text
    assert "Accuser réception d’un dossier" in text
    figures = page_figures(page)
    assert figures[french("Cases received")] == "4"
    assert figures[f"{french('Fees collected')} (CAD)"] == "50,00\xa0$"
    assert figures[french("Whole year")] == "1"
    assert french("How it is counted") in text
    assert "Cases received" not in text

    export = await client.get(f"/{tribunal.slug}/staff/annual-report.csv?year=2025")
    rows = csv_rows(export)
    assert rows[0] == [
        french("Section"),
        french("Figure"),
        french("Value"),
        french("How it is counted"),
    ]
    values = csv_figures(rows)
    assert values[french("Cases received")] == "4"
    assert all(row[3] for row in rows[1:])
    assert not any("Cases received" in cell for row in rows for cell in row)


# -- the years ---------------------------------------------------------------------------------


async def test_the_years_run_from_the_first_case_to_now_the_last_complete_one_by_default(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_standards_tribunal(db)
    version = await make_case_type(db, tribunal)
    await case(db, tribunal, version, local(CURRENT.start_year - 2, 6, 1, 9))
    await admin_of(client, db, tribunal)

    page = await client.get(f"/{tribunal.slug}/staff/annual-report")
    assert page.status_code == 200
    options = re.findall(r'<option value="(\d+)"( selected)?>(.*?)</option>', page.text)
    assert [value for value, _selected, _label in options] == [
        str(CURRENT.start_year - offset) for offset in range(3)
    ]
    assert html.unescape(options[0][2]) == f"{CURRENT.label} (to date)"
    # The last complete year is shown unless another is chosen.
    assert [value for value, selected, _label in options if selected] == [
        str(CURRENT.start_year - 1)
    ]
    assert f"Annual performance report {FiscalYear(CURRENT.start_year - 1).label}" in html.unescape(
        page.text
    )
    current = await client.get(f"/{tribunal.slug}/staff/annual-report?year={CURRENT.start_year}")
    assert current.status_code == 200
    assert ">to date</strong>" in current.text or "to date</span>" in current.text


async def test_a_wrong_year_is_refused_and_nothing_is_exported(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_standards_tribunal(db)
    version = await make_case_type(db, tribunal)
    await case(db, tribunal, version, local(CURRENT.start_year - 1, 6, 1, 9))
    await admin_of(client, db, tribunal)
    for year in ("abcd", "1999", str(CURRENT.start_year + 1), "２０２５", "-2025", "20255"):
        for path in ("annual-report", "annual-report.csv"):
            response = await client.get(f"/{tribunal.slug}/staff/{path}", params={"year": year})
            assert response.status_code == 422, (path, year)
            assert "text/html" in response.headers["content-type"]
            text = html.unescape(response.text)
            assert (
                f"Choose a fiscal year from {FiscalYear(CURRENT.start_year - 1).label} "
                f"to {CURRENT.label}"
            ) in text
            assert 'href="#year"' in response.text
    await admin_of(client, db, tribunal, language="fr")
    french_page = await client.get(f"/{tribunal.slug}/staff/annual-report", params={"year": "1999"})
    assert french_page.status_code == 422
    assert french(
        "Choose a fiscal year from %(first)s to %(last)s",
        first=FiscalYear(CURRENT.start_year - 1).label,
        last=CURRENT.label,
    ) in html.unescape(french_page.text)
    exports = (
        await db.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.ANNUAL_REPORT_EXPORTED)
        )
    ).all()
    await db.commit()
    assert exports == []


# -- who may see it ----------------------------------------------------------------------------


async def test_only_the_tribunals_administrators_see_the_report(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    other = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR)
    other_admin = await make_staff(db, other, Role.ADMIN)
    urls = [f"/{tribunal.slug}/staff/annual-report", f"/{tribunal.slug}/staff/annual-report.csv"]

    for url in urls:
        response = await client.get(url)
        assert response.status_code in (302, 303)
    # The platform answers 404, not 403, to staff without the permission: nobody learns
    # what is there that they may not see.
    for person, status in ((clerk, 404), (adjudicator, 404), (other_admin, 404)):
        await as_user(client, person)
        for url in urls:
            assert (await client.get(url)).status_code == status, (url, person.email)
    await as_user(client, clerk)
    workspace = await client.get(f"/{tribunal.slug}/staff")
    assert "annual-report" not in workspace.text


# -- statements --------------------------------------------------------------------------------


async def test_the_report_takes_as_many_statements_for_many_cases_as_for_few(
    client: httpx.AsyncClient, db: AsyncSession, engine: AsyncEngine
) -> None:
    small = await make_standards_tribunal(db)
    large = await make_standards_tribunal(db)
    for tribunal, number in ((small, 2), (large, 30)):
        version = await make_case_type(db, tribunal)
        await make_standard(db, tribunal, effective_from=date(2025, 4, 1))
        await make_standard(
            db,
            tribunal,
            start_event="accepted",
            stop_event="decided",
            effective_from=date(2025, 4, 1),
        )
        for index in range(number):
            received = local(2025, 4 + index % 9, 1 + index % 27, 9)
            await case(
                db,
                tribunal,
                version,
                received,
                ("accepted", local(2025, 4 + index % 9, 2 + index % 27, 9)),
            )
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    measured: dict[str, int] = {}
    for tribunal in (small, large):
        await admin_of(client, db, tribunal)
        url = f"/{tribunal.slug}/staff/annual-report?year=2025"
        assert (await client.get(url)).status_code == 200  # warm up the calendar, caches
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            statements.clear()
            page = await client.get(url)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)
        assert page.status_code == 200
        measured[tribunal.slug] = len(statements)
    assert 0 < measured[small.slug] == measured[large.slug], measured
    assert measured[large.slug] <= 60, measured
    # The report is checked to hold the cases: 30 received in the large tribunal.
    assert page_figures(page)["Cases received"] == "30"
    assert utcnow() > local(2025, 4, 1)


# -- values and printing ------------------------------------------------------------------------


def test_the_csv_values_are_the_same_in_both_languages() -> None:
    assert Value(Kind.MONEY, 123456).plain == "1234.56"
    assert Value(Kind.MONEY, -5).plain == "-0.05"
    assert Value(Kind.PERCENT, 5 / 6).plain == "83.3"
    assert Value(Kind.AVERAGE, 4.25).plain == "4.2"
    assert Value(Kind.COUNT, 12000).plain == "12000"
    assert Value(Kind.DAYS, None).plain == ""


def test_the_printed_report_leaves_out_the_navigation_forms_and_feedback() -> None:
    css = (PROJECT_ROOT / "static" / "css" / "tribune.css").read_text()
    printed = "".join(re.findall(r"@media print \{(.*?)\n\}", css, re.DOTALL))
    for hidden in (
        ".tribune-no-print",
        ".govuk-service-navigation",
        ".govuk-footer",
        ".tribune-feedback",
        ".govuk-button",
    ):
        assert hidden in printed
    assert ".tribune-report__table tr" in printed
    assert "break-inside: avoid" in printed
