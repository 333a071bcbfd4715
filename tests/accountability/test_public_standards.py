"""The public "Our service standards" page and its CSV and JSON downloads.

Covered: anyone, signed in or not, sees each standard of the tribunal with its target, the
last four quarters it published (never one it did not publish, nor live figures) as a chart
and a table, the method and the publication dates, in English and in French; a cell of fewer
than 10 cases reads "fewer than 10" and gives no share, in the page, the CSV and the JSON; a
correction replaces the figures and shows its note and date; another tribunal's standards
never appear; nothing personal appears on the demo tribunals' pages; the page is linked from
the tribunal's home page and every page's footer; and it costs the same few statements
whatever the number of standards and quarters.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any

import httpx
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from accountability.demo import HISTORY_CLAIMANTS, load_demo_history, load_demo_standards
from accountability.standards.measurement import Figures, StandardFigures
from accountability.standards.models import ClockUnit, PublishedFigures
from accountability.standards.periods import Quarter
from accountability.standards.services import Definition, StandardDefinition
from accountability.standards.snapshots import figures_json
from filings.demo import load_demo_case_types
from filings.models import Filing
from tests.accountability.factories import (
    local,
    make_standard,
    make_standards_tribunal,
    make_timeline_case,
)
from tests.factories.filings import make_case_type
from tests.factories.tribunals import make_tribunal
from tribunals.commands import DEMO_PASSWORD, load_demo_data
from tribunals.models import Tribunal

FRENCH = {"Accept-Language": "fr"}
Q1, Q2, Q3, Q4 = (Quarter(2025, number) for number in (1, 2, 3, 4))
NEXT_Q1 = Quarter(2026, 1)


async def publish(
    db: AsyncSession,
    tribunal: Tribunal,
    quarter: Quarter,
    measured: list[tuple[StandardDefinition, Figures]],
    *,
    version: int = 1,
    note: str = "",
    published_at: datetime | None = None,
) -> PublishedFigures:
    """Publish figures worked out by hand for a quarter, as `snapshots` stores them."""
    moment = published_at or local(quarter.end_day.year, quarter.end_day.month, 5)
    standards = [
        StandardFigures(
            standard_id=made.standard.id,
            code=made.standard.code,
            definition=Definition.of(made.version),
            first_day=quarter.first_day,
            end_day=quarter.end_day,
            as_of=local(quarter.end_day.year, quarter.end_day.month, 1, 0),
            totals=totals,
        )
        for made, totals in measured
    ]
    published = PublishedFigures(
        tribunal_id=tribunal.id,
        fiscal_year=quarter.fiscal_year,
        quarter=quarter.number,
        version=version,
        figures=figures_json(quarter, standards),
        note=note,
        published_at=moment,
    )
    db.add(published)
    await db.commit()
    return published


async def a_tribunal_with_figures(db: AsyncSession) -> tuple[Tribunal, StandardDefinition]:
    """A tribunal with one standard (5 business days, 80 %) published for the four quarters
    of fiscal 2025: 85 % met, then a quarter of 9 cases, then 70 %, then 90 %."""
    tribunal = await make_standards_tribunal(db)
    made = await make_standard(
        db,
        tribunal,
        code="acknowledge",
        effective_from=date(2025, 4, 1),
        pause_event="returned",
        resume_event="resubmitted",
    )
    for quarter, totals in (
        (Q1, Figures(met=17, missed=3, open_past_limit=12, median_days=4, p90_days=9)),
        (Q2, Figures(met=6, missed=3, open_past_limit=2, median_days=3, p90_days=8)),
        (Q3, Figures(met=14, missed=6, open_past_limit=0, median_days=5, p90_days=11)),
        (Q4, Figures(met=27, missed=3, open_past_limit=15, median_days=2, p90_days=6)),
    ):
        await publish(db, tribunal, quarter, [(made, totals)])
    return tribunal, made


def table_rows(page: str) -> list[tuple[str, list[str]]]:
    """Return the body rows of the page's tables: the quarter in their header cell, and
    their other cells' text."""
    rows: list[tuple[str, list[str]]] = []
    for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", page, re.S):
        header = re.search(r"<th scope=\"row\"[^>]*>(.*?)</th>", row, re.S)
        if header is None:
            continue
        label = re.sub(r"<[^>]+>", "", header.group(1)).strip()
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        rows.append((label, [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]))
    return rows


def rows_of(page: str) -> dict[str, list[str]]:
    """Return the rows of a page showing one standard, by quarter."""
    rows = table_rows(page)
    assert len({label for label, _cells in rows}) == len(rows)
    return dict(rows)


def csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))


async def test_anyone_sees_each_standard_its_target_quarters_and_method(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, _made = await a_tribunal_with_figures(db)
    page = await client.get(f"/{tribunal.slug}/service-standards")
    assert page.status_code == 200
    text = page.text
    assert '<h1 class="govuk-heading-xl">Our service standards</h1>' in text
    assert "Acknowledge a filing" in text
    assert "We accept or return a complete filing." in text
    assert "<strong>Our target:</strong> 80% within 5 business days" in text
    rows = rows_of(text)
    assert list(rows) == ["Q1 2025–26", "Q2 2025–26", "Q3 2025–26", "Q4 2025–26"]
    # Cases measured, met, missed, share met, target, median, 90th percentile, open past.
    assert rows["Q1 2025–26"] == [
        "20",
        "17",
        "fewer than 10",
        "85%",
        "80% within 5 business days",
        "4",
        "9",
        "12",
    ]
    assert rows["Q4 2025–26"][:4] == ["30", "27", "fewer than 10", "90%"]
    # The chart: an image with its title and description, the target drawn across it.
    assert 'role="img"' in text
    assert (
        '<title id="chart-acknowledge-title">Acknowledge a filing: share of cases that met the '
        "standard, by quarter</title>"
    ) in text
    assert "Q3 2025–26: 70%" in text
    assert "Target 80%" in text
    # The method.
    for said in (
        "Every kind of case",
        "Case submitted",
        "Case accepted",
        "From “Returned to the claimant for completion” until “Resubmitted by the claimant”",
        "Business days: Monday to Friday, except the public holidays of Ontario",
        "Case withdrawn",
        "Figures last published on April 5, 2026.",
    ):
        assert said in text, said
    assert "Q1 2025–26: published on July 5, 2025." in text
    # The downloads are linked from the page, by their routes.
    assert f'href="/{tribunal.slug}/service-standards.csv"' in text
    assert f'href="/{tribunal.slug}/service-standards.json"' in text


async def test_the_page_in_french(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal, _made = await a_tribunal_with_figures(db)
    page = await client.get(f"/{tribunal.slug}/service-standards", headers=FRENCH)
    assert page.status_code == 200
    text = page.text
    assert '<html lang="fr"' in text
    assert "Nos normes de service" in text
    assert "Accuser réception d’un dossier" in text
    assert "Nous acceptons ou retournons un dossier complet." in text
    rows = rows_of(text)
    assert list(rows) == ["T1 2025–26", "T2 2025–26", "T3 2025–26", "T4 2025–26"]
    assert rows["T1 2025–26"][:4] == ["20", "17", "moins de 10", "85\u00a0%"]
    assert rows["T2 2025–26"][:4] == ["moins de 10"] * 4
    assert "jours ouvrables" in rows["T1 2025–26"][4]
    assert "Ontario" in text
    assert "Acknowledge a filing" not in text


async def test_the_method_names_the_kind_of_case_a_standard_is_limited_to(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_standards_tribunal(db)
    await make_case_type(db, tribunal, code="benefits-appeal", title_en="Benefits appeal")
    made = await make_standard(db, tribunal, code="acknowledge", effective_from=Q1.first_day)
    decision = await make_standard(
        db,
        tribunal,
        code="decision",
        name_en="Issue the decision",
        start_event="heard",
        stop_event="decided",
        limit_days=30,
        unit=ClockUnit.CALENDAR_DAYS,
        case_type_code="benefits-appeal",
        effective_from=Q1.first_day,
    )
    await publish(db, tribunal, Q3, [(made, Figures(met=27, missed=3))])
    await publish(
        db,
        tribunal,
        Q4,
        [(made, Figures(met=27, missed=3)), (decision, Figures(met=11, missed=1))],
    )
    page = (await client.get(f"/{tribunal.slug}/service-standards")).text
    assert "Only cases of the kind “Benefits appeal”" in page
    assert "Calendar days: every day of the week, holidays included" in page
    assert "80% within 30 calendar days" in page
    assert "Hearing held" in page
    assert "Decision issued" in page
    assert "Never: the clock runs from its start to its stop" in page
    # Its one quarter published, after the other standard's two.
    assert [label for label, _cells in table_rows(page)] == [
        "Q3 2025–26",
        "Q4 2025–26",
        "Q4 2025–26",
    ]


async def test_a_cell_of_9_cases_shows_fewer_than_10_and_no_share_anywhere(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, _made = await a_tribunal_with_figures(db)
    page = await client.get(f"/{tribunal.slug}/service-standards")
    # Q2: 6 met and 3 missed are 9 cases measured: no count, share, median or percentile.
    assert rows_of(page.text)["Q2 2025–26"] == [
        "fewer than 10",
        "fewer than 10",
        "fewer than 10",
        "fewer than 10",
        "80% within 5 business days",
        "fewer than 10",
        "fewer than 10",
        "fewer than 10",
    ]
    assert "67%" not in page.text
    assert "66.7" not in page.text
    assert "Q2 2025–26: fewer than 10" in page.text  # the chart's description

    download = await client.get(f"/{tribunal.slug}/service-standards.csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"] == (
        f'attachment; filename="service-standards-{tribunal.slug}-2025-26-q4.csv"'
    )
    rows = csv_rows(download)
    assert [row["Quarter"] for row in rows] == [
        "Q1 2025–26",
        "Q2 2025–26",
        "Q3 2025–26",
        "Q4 2025–26",
    ]
    q1, q2 = rows[0], rows[1]
    assert q1["Standard"] == "Acknowledge a filing"
    assert (q1["Cases measured"], q1["Met"], q1["Missed"], q1["Share met (%)"]) == (
        "20",
        "17",
        "fewer than 10",
        "85.0",
    )
    assert (q1["First day"], q1["Last day"], q1["Published on"]) == (
        "2025-04-01",
        "2025-06-30",
        "2025-07-05",
    )
    for name in ("Cases measured", "Met", "Missed", "Share met (%)", "Median (days)"):
        assert q2[name] == "fewer than 10", name
    french = csv_rows(await client.get(f"/{tribunal.slug}/service-standards.csv", headers=FRENCH))
    assert french[1]["Trimestre"] == "T2 2025–26"
    assert french[1]["Part respectée (%)"] == "moins de 10"

    data = await client.get(f"/{tribunal.slug}/service-standards.json")
    assert data.status_code == 200
    assert data.headers["content-type"].startswith("application/json")
    assert data.headers["content-disposition"].startswith("attachment; filename=")
    document = data.json()
    standard = document["standards"][0]
    assert standard["code"] == "acknowledge"
    assert standard["name"] == {
        "en": "Acknowledge a filing",
        "fr": "Accuser réception d’un dossier",
    }
    quarters = {(item["fiscal_year"], item["quarter"]): item for item in standard["quarters"]}
    assert quarters[(2025, 1)]["figures"]["share_met_percent"] == {
        "value": 85.0,
        "fewer_than_10": False,
    }
    assert quarters[(2025, 1)]["figures"]["missed"] == {"value": None, "fewer_than_10": True}
    assert quarters[(2025, 1)]["definition"]["target_percent"] == 80
    small = quarters[(2025, 2)]["figures"]
    for name in ("cases_measured", "met", "missed", "share_met_percent", "median_days"):
        assert small[name] == {"value": None, "fewer_than_10": True}, name
    # The keys are the same in French.
    again = (await client.get(f"/{tribunal.slug}/service-standards.json", headers=FRENCH)).json()
    assert again == document


async def test_only_the_last_four_published_quarters_are_shown_never_live_figures(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, made = await a_tribunal_with_figures(db)
    # An older quarter published, and cases in a quarter not published: neither is shown.
    await publish(
        db,
        tribunal,
        Quarter(2024, 4),
        [(made, Figures(met=40, missed=10))],
        published_at=local(2025, 4, 3),
    )
    for day in range(1, 15):
        await make_timeline_case(
            db, tribunal, local(2026, 4, day, 10), [("accepted", local(2026, 4, day + 1, 11))]
        )
    page = await client.get(f"/{tribunal.slug}/service-standards")
    assert list(rows_of(page.text)) == ["Q1 2025–26", "Q2 2025–26", "Q3 2025–26", "Q4 2025–26"]
    assert "Q4 2024–25" not in page.text
    assert "Q1 2026–27" not in page.text
    document = (await client.get(f"/{tribunal.slug}/service-standards.json")).json()
    assert [(q["fiscal_year"], q["quarter"]) for q in document["quarters"]] == [
        (2025, 1),
        (2025, 2),
        (2025, 3),
        (2025, 4),
    ]


async def test_a_correction_replaces_the_figures_and_shows_its_note_and_date(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, made = await a_tribunal_with_figures(db)
    note = "Three acceptances recorded late were added."
    await publish(
        db,
        tribunal,
        Q3,
        [(made, Figures(met=17, missed=6, median_days=5, p90_days=12))],
        version=2,
        note=note,
        published_at=local(2026, 2, 10),
    )
    page = await client.get(f"/{tribunal.slug}/service-standards")
    row = rows_of(page.text)["Q3 2025–26 (corrected)"]
    assert row[:4] == ["23", "17", "fewer than 10", "73.9%"]
    # The published 70% is gone (a 70 inside an encoded address, as in "...3470%2F", is not it).
    assert re.search(r"(?<![0-9A-Za-z])70%(?![0-9A-F]{2})", page.text) is None
    assert f"Corrected on February 10, 2026: {note}" in page.text
    assert "Q3 2025–26: published on January 5, 2026." in page.text

    french = await client.get(f"/{tribunal.slug}/service-standards", headers=FRENCH)
    assert f"Corrigé le 10 février 2026\u00a0: {note}" in french.text

    rows = csv_rows(await client.get(f"/{tribunal.slug}/service-standards.csv"))
    assert rows[2]["Cases measured"] == "23"
    assert rows[2]["Corrections"] == f"Corrected on February 10, 2026: {note}"
    document = (await client.get(f"/{tribunal.slug}/service-standards.json")).json()
    q3 = document["quarters"][2]
    assert (q3["version"], q3["published_on"]) == (2, "2026-01-05")
    assert q3["corrections"] == [{"version": 2, "corrected_on": "2026-02-10", "note": note}]
    assert document["standards"][0]["quarters"][2]["figures"]["cases_measured"]["value"] == 23


async def test_another_tribunals_standards_are_never_shown(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, _made = await a_tribunal_with_figures(db)
    other = await make_standards_tribunal(db)
    theirs = await make_standard(
        db, other, code="their-own", name_en="Their own promise", effective_from=date(2025, 4, 1)
    )
    await publish(db, other, Q4, [(theirs, Figures(met=55, missed=45))])
    page = await client.get(f"/{tribunal.slug}/service-standards")
    assert "Their own promise" not in page.text
    assert "Acknowledge a filing" in page.text
    theirs_page = await client.get(f"/{other.slug}/service-standards")
    assert "Their own promise" in theirs_page.text
    assert "Acknowledge a filing" not in theirs_page.text
    for suffix in (".csv", ".json"):
        download = await client.get(f"/{other.slug}/service-standards{suffix}")
        assert "Acknowledge" not in download.text
        assert "acknowledge" not in download.text
    # A tribunal that published nothing says so plainly, and offers no downloads.
    quiet = await make_tribunal(db)
    empty = await client.get(f"/{quiet.slug}/service-standards")
    assert empty.status_code == 200
    assert "No figures have been published yet." in empty.text
    assert "service-standards.csv" not in empty.text
    assert csv_rows(await client.get(f"/{quiet.slug}/service-standards.csv")) == []
    assert (await client.get(f"/{quiet.slug}/service-standards.json")).json()["standards"] == []


async def test_the_page_is_linked_from_the_home_page_and_every_footer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    link = f'href="/{tribunal.slug}/service-standards"'
    home = await client.get(f"/{tribunal.slug}/")
    assert home.text.count(link) == 2  # the page and its footer
    assert "What we promise, and how often we kept each promise" in home.text
    for path in ("/sign-in", "/privacy"):  # the platform's own pages name no tribunal
        assert "service-standards" not in (await client.get(path)).text
    # Any page of the tribunal, public or not.
    other = await client.get(f"/{tribunal.slug}/hearing-survey/thanks")
    assert other.status_code == 200
    assert link in other.text


async def test_the_demo_tribunals_publish_nothing_personal(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await load_demo_data(db)
    await load_demo_case_types(db)
    await load_demo_history(db, DEMO_PASSWORD)
    await load_demo_standards(db)
    await db.commit()
    references = set((await db.scalars(select(Filing.reference))).all()) - {None}
    names = {name for _email, name, _language in HISTORY_CLAIMANTS}
    emails = {email for email, _name, _language in HISTORY_CLAIMANTS}
    assert len(references) > 100
    for slug in ("wcat", "lrb"):
        for language in ({}, FRENCH):
            answers = [
                await client.get(f"/{slug}/service-standards{suffix}", headers=language)
                for suffix in ("", ".csv", ".json")
            ]
            page = answers[0]
            assert page.status_code == 200
            assert len(table_rows(page.text)) == 12  # three standards, four quarters each
            for answer in answers:
                assert answer.status_code == 200
                shown = answer.text
                leaked = [
                    found
                    for found in (*references, *names, *emails)
                    if found and str(found) in shown
                ]
                assert leaked == [], (slug, leaked[:5])


def counting(engine: AsyncEngine) -> tuple[list[str], Any]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    return statements, record


async def test_the_page_costs_the_same_few_statements_whatever_it_shows(
    client: httpx.AsyncClient, db: AsyncSession, engine: AsyncEngine
) -> None:
    small = await make_standards_tribunal(db)
    one = await make_standard(db, small, code="only", effective_from=date(2025, 4, 1))
    await publish(db, small, Q4, [(one, Figures(met=12, missed=1))])

    large = await make_standards_tribunal(db)
    many = [
        await make_standard(
            db,
            large,
            code=f"standard-{number}",
            effective_from=date(2024, 4, 1),
            unit=ClockUnit.CALENDAR_DAYS if number % 2 else ClockUnit.BUSINESS_DAYS,
        )
        for number in range(6)
    ]
    for position, quarter in enumerate((Quarter(2024, 4), Q1, Q2, Q3, Q4)):
        await publish(
            db,
            large,
            quarter,
            [(made, Figures(met=20 + position, missed=5)) for made in many],
            published_at=local(quarter.end_day.year, quarter.end_day.month, 4),
        )
        # Each quarter corrected once.
        await publish(
            db,
            large,
            quarter,
            [(made, Figures(met=21 + position, missed=5)) for made in many],
            version=2,
            note="Late events added.",
            published_at=local(quarter.end_day.year, quarter.end_day.month, 9),
        )

    statements, record = counting(engine)
    measured: dict[str, int] = {}
    for tribunal in (small, large):
        for suffix in ("", ".csv", ".json"):
            url = f"/{tribunal.slug}/service-standards{suffix}"
            await client.get(url)  # warm whatever a process caches
            event.listen(engine.sync_engine, "before_cursor_execute", record)
            try:
                statements.clear()
                response = await client.get(url)
            finally:
                event.remove(engine.sync_engine, "before_cursor_execute", record)
            assert response.status_code == 200
            measured[f"{tribunal.slug}{suffix}"] = len(statements)
            # The tribunal, the published quarters, and their versions' dates and notes (the
            # test's savepoint around the request aside).
            queries = [text for text in statements if "SAVEPOINT" not in text]
            assert len(queries) == 3, queries
            assert "published_standard_figures" in queries[1]
    assert len(table_rows((await client.get(f"/{large.slug}/service-standards")).text)) == 24
    for suffix in ("", ".csv", ".json"):
        assert measured[f"{small.slug}{suffix}"] == measured[f"{large.slug}{suffix}"], measured
