"""Every kind of page is valid HTML, as the W3C Nu HTML checker (vnu.jar) reads it.

The pages are rendered through the ASGI client — public pages, sign-in and
registration (with their error summaries), a tribunal's home, every step of the
filing journey, the case and confirmation pages, the error pages, the staff
workspace, the docket, the staff case page, the audit log, the case type
editor, the hearing calendars, a hearing from booking to outcome as staff and
parties see it, a video hearing's page (check-in, waiting room, console, room),
fees and payments (the fee page, the sandbox's hosted page and its confirmation step, the
return page paid and declined, a receipt, the fee waiver form and its decision, the fee
schedule and payment settings, the refund and counter payment forms, the refunds waiting for
approval, the daily reconciliation and one of its days), the public "Our service standards"
page (figures published, corrected and suppressed, and none yet), feedback and the hearing survey
(the question, its thanks and refusals, the registry's list and answers, the survey and its
link's refusals), and the account's text message pages (a mobile number, its code, consent,
each state of a number), a case's delivery log with a text and the outbox with texts — in
English, some in French,
written to a folder and checked by one run of the checker (its JVM is slow to start). The
test fails listing each error with the page it is on.

The checker is npm's ``vnu-jar``, pinned in ``package.json`` and installed by
``make html-checker`` (``.ci/run`` does it); it needs Java. Without either the test
is skipped, unless TRIBUNE_REQUIRE_BROWSER=1 makes that a failure, as for the
browser tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from accountability.feedback.models import Feedback
from accountability.feedback.services import FEEDBACK_PER_HOUR
from accountability.standards.measurement import Figures
from accountability.standards.models import ClockUnit
from accountability.standards.periods import FiscalYear, Quarter
from accountability.standards.services import DefinitionValues, create_standard
from accountability.standards.snapshots import publish_quarter
from accountability.texts.models import MobileNumber, StopReason
from filings.casetypes.services import create_case_type
from filings.demo import DEMO_CASE_TYPES
from filings.models import CaseEvent, CaseParty, FilingStatus, PartyRole
from hearings.models import (
    AvailabilityException,
    ExceptionKind,
    ExceptionReason,
    Hearing,
    HearingMode,
    HearingRoom,
    Interpreter,
)
from payments.models import (
    FeeWaiver,
    Payment,
    PaymentSettings,
    PaymentState,
    Receipt,
    Refund,
    RefundState,
)
from tests.accountability.factories import make_standard, make_standards_tribunal
from tests.accountability.test_public_standards import Q1, Q2, Q3, Q4, publish
from tests.factories.accounts import make_user
from tests.factories.filings import make_case, make_case_type, make_demo_case_type
from tests.factories.payments import ChargedCase, make_card_payment, make_charged_case
from tests.factories.tribunals import make_staff, make_tribunal
from tests.filings.test_submission import answer_steps
from tests.hearings.outcomes import add_hearing, make_scene
from tests.helpers import hidden_fields, link_in, pdf_bytes, post_form, sign_in, start, upload
from tribunals.models import Role, Tribunal
from tribune import texts
from tribune.audit import AuditEvent
from tribune.db import local_today, utcnow
from tribune.mail import OutboxMessage
from tribune.settings import PROJECT_ROOT
from tribune.texts import TextStatus

VNU_JAR = PROJECT_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
VNU_SECONDS = 300


@pytest.fixture(scope="module")
def vnu_command() -> list[str]:
    """Return the command that runs the checker, or skip (fail with
    TRIBUNE_REQUIRE_BROWSER=1) when vnu.jar or Java is missing."""
    java = shutil.which("java")
    missing = []
    if not VNU_JAR.exists():
        missing.append(f"{VNU_JAR.relative_to(PROJECT_ROOT)} (install it with make html-checker)")
    if java is None:
        missing.append("java")
    if missing:
        reason = f"the HTML checker needs {' and '.join(missing)}"
        if os.environ.get("TRIBUNE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TRIBUNE_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    assert java is not None
    return [java, "-Xss8m", "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]


class Pages:
    """The pages to check, by a name that says what they are."""

    def __init__(self) -> None:
        self.html: dict[str, str] = {}

    def add(self, name: str, response: httpx.Response, status: int = 200) -> None:
        assert response.status_code == status, (name, response.status_code, response.text[:500])
        assert response.headers["content-type"].startswith("text/html"), name
        assert name not in self.html, name
        self.html[name] = response.text

    async def get(
        self, client: httpx.AsyncClient, name: str, url: str, status: int = 200, **options: Any
    ) -> None:
        self.add(name, await client.get(url, **options), status)


def new_client(app: Starlette, address: str = "203.0.113.10") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def collect_pages(app: Starlette, db: AsyncSession, pages: Pages) -> None:
    tribunal = await make_tribunal(db, short_name_en="WCAT")
    t = f"/{tribunal.slug}"
    version = await make_demo_case_type(db, tribunal)
    french: dict[str, Any] = {"headers": {"Accept-Language": "fr"}}

    # The outbox, shown in development to the machine itself only.
    async with new_client(app, "127.0.0.1") as client:
        await pages.get(client, "outbox (development)", "/outbox")

    # Public pages, sign-in and registration, the error pages: no one is signed in.
    async with new_client(app) as client:
        for name, url in [
            ("platform home", "/"),
            ("accessibility", "/accessibility"),
            ("privacy", "/privacy"),
            ("contact", "/contact"),
            ("sign in", "/sign-in"),
            ("register", "/register"),
            ("password reset", "/password-reset"),
            ("signed out", "/signed-out"),
            ("tribunal home", f"{t}/"),
            ("case types", f"{t}/file"),
            ("before you start", f"{t}/file/{version.id}"),
        ]:
            await pages.get(client, name, url)
        await pages.get(client, "platform home (search)", "/", params={"q": tribunal.slug})
        await pages.get(client, "platform home (fr)", "/", **french)
        await pages.get(client, "tribunal home (fr)", f"{t}/", **french)
        await pages.get(client, "sign in (fr)", "/sign-in", **french)
        pages.add(
            "sign in (errors)",
            await post_form(client, "/sign-in", {"email": "nobody", "password": ""}),
            422,
        )
        pages.add("register (errors)", await post_form(client, "/register", {}), 422)
        await pages.get(client, "not found (404)", "/no/such/page", 404)
        await pages.get(client, "not found (404, fr)", "/no/such/page", 404, **french)
        pages.add("forbidden (403, no CSRF token)", await client.post("/sign-in", data={}), 403)
        pages.add("method not allowed (405)", await client.delete("/privacy"), 405)

    # A claimant files a case, step by step, and sees it.
    claimant = await make_user(db)
    async with new_client(app) as client:
        await sign_in(client, claimant.email)
        first = await start(client, tribunal, version)
        base = first.rsplit("/", 1)[0]
        pages.add("step eligibility (errors)", await post_form(client, first, {}, page=first), 422)
        await answer_steps(client, base)
        uploaded = await upload(
            client, base, "decision", [("letter.pdf", pdf_bytes(), "application/pdf")]
        )
        assert uploaded.status_code == 303, uploaded.text
        for step in ("eligibility", "about_you", "representative", "accessibility", "questions"):
            await pages.get(client, f"step {step}", f"{base}/{step}")
        await pages.get(client, "step documents", f"{base}/documents")
        done = await post_form(client, f"{base}/documents", {}, page=f"{base}/documents")
        assert done.status_code == 303, done.text
        await pages.get(client, "step check", f"{base}/check")
        await pages.get(client, "step declaration", f"{base}/declaration")
        await pages.get(client, "step about_you (fr)", f"{base}/about_you", **french)
        filed = await post_form(
            client, f"{base}/declaration", {"declared": "yes"}, page=f"{base}/declaration"
        )
        assert filed.status_code == 303, filed.text
        confirmation = filed.headers["location"]
        await pages.get(client, "confirmation", confirmation)
        case_page = confirmation.rsplit("/", 1)[0]
        await pages.get(client, "case (claimant)", case_page)
        await pages.get(client, "new representative", f"{case_page}/representatives/new")
        await pages.get(client, "my cases", "/my-cases")
        await pages.get(client, "account", "/account")
        await pages.get(client, "join with a code", f"{t}/join")

    # The registry: workspace, docket, a case, a paper filing.
    cases = [await make_case(db, tribunal, version=version, name=f"Claimant {n}") for n in range(3)]
    accepted = await make_case(
        db, tribunal, version=version, status=FilingStatus.ACCEPTED, representative="Rita Rep"
    )
    clerk = await make_staff(db, tribunal, Role.CLERK)
    async with new_client(app) as client:
        await sign_in(client, clerk.email)
        await pages.get(client, "staff workspace", f"{t}/staff")
        await pages.get(client, "docket", f"{t}/staff/docket")
        await pages.get(client, "docket (fr)", f"{t}/staff/docket", **french)
        await pages.get(client, "docket (search)", f"{t}/staff/docket", params={"q": "claimant"})
        await pages.get(
            client,
            "docket (errors)",
            f"{t}/staff/docket",
            422,
            params={"received_from": "soon"},
        )
        await pages.get(client, "staff case (submitted)", f"{t}/staff/cases/{cases[0].id}")
        await pages.get(client, "staff case (accepted)", f"{t}/staff/cases/{accepted.id}")
        await pages.get(
            client, "add a respondent", f"{t}/staff/cases/{accepted.id}/respondents/new"
        )
        await pages.get(client, "paper filing", f"{t}/staff/paper-filings/new")

    # An administrator: staff, the audit log, the case type editor.
    admin = await make_staff(db, tribunal, Role.ADMIN)
    for case in cases:
        db.add(
            AuditEvent(
                tribunal_id=tribunal.id,
                action="case.viewed",
                occurred_at=utcnow(),
                actor_id=clerk.id,
                actor_role="clerk",
                subject_type="filing",
                subject_id=case.id,
                case_id=case.id,
                details={},
            )
        )
    draft = await create_case_type(
        db, tribunal, **{**DEMO_CASE_TYPES["wcat"][0], "code": "draft-appeal"}
    )
    await db.commit()
    editor = f"{t}/staff/case-types/versions/{draft.id}"
    question = draft.definition["questions"][0]["key"]
    slot = draft.definition["document_slots"][0]["key"]
    async with new_client(app) as client:
        await sign_in(client, admin.email)
        await pages.get(client, "staff people", f"{t}/staff/people")
        await pages.get(client, "document settings", f"{t}/staff/settings/documents")
        await pages.get(client, "audit log", f"{t}/staff/audit")
        await pages.get(client, "audit log (fr)", f"{t}/staff/audit", **french)
        await pages.get(client, "case types (staff)", f"{t}/staff/case-types")
        await pages.get(client, "new case type", f"{t}/staff/case-types/new")
        await pages.get(client, "case type editor", editor)
        for name, path in [
            ("details", "details"),
            ("add question", "add-question"),
            ("question", f"questions/{question}"),
            ("add slot", "add-slot"),
            ("slot", f"slots/{slot}"),
            ("add response question", "response/add-question"),
            ("add response slot", "response/add-slot"),
            ("deadline", "deadline"),
            ("fee", "fee"),
            ("preview", "preview"),
            ("publish", "publish"),
        ]:
            await pages.get(client, f"case type editor: {name}", f"{editor}/{path}")
        pages.add(
            "case type editor: add question (errors)",
            await post_form(client, f"{editor}/add-question", {}, page=f"{editor}/add-question"),
            422,
        )

    # Hearing calendars: settings, durations, interpreters, rooms, availability.
    adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR, name="Justine Okafor")
    interpreter = Interpreter(
        tribunal_id=tribunal.id, name="Daniel Côté", languages=["ase", "fcs"], email="d@x.example"
    )
    room = HearingRoom(tribunal_id=tribunal.id, name="Room 3", address="1 Main St", capacity=20)
    db.add_all([interpreter, room])
    db.add(
        AvailabilityException(
            tribunal_id=tribunal.id,
            adjudicator_id=adjudicator.id,
            kind=ExceptionKind.UNAVAILABLE,
            reason=ExceptionReason.LEAVE,
            first_day=date.today() + timedelta(days=7),
            last_day=date.today() + timedelta(days=9),
        )
    )
    await db.commit()
    h = f"{t}/staff/hearings"
    async with new_client(app) as client:
        await sign_in(client, admin.email)
        for name, url in [
            ("hearing settings", f"{h}/settings"),
            ("hearing durations", f"{h}/durations"),
            ("adjudicators' availability", f"{h}/adjudicators"),
            ("interpreters", f"{h}/interpreters"),
            ("new interpreter", f"{h}/interpreters/new"),
            ("interpreter", f"{h}/interpreters/{interpreter.id}"),
            ("hearing rooms", f"{h}/rooms"),
            ("new room", f"{h}/rooms/new"),
            ("room", f"{h}/rooms/{room.id}"),
            ("adjudicator availability", f"{h}/availability/adjudicators/{adjudicator.id}"),
            ("interpreter availability", f"{h}/availability/interpreters/{interpreter.id}"),
        ]:
            await pages.get(client, name, url)
        await pages.get(client, "hearing settings (fr)", f"{h}/settings", **french)
        pages.add(
            "hearing settings (errors)",
            await post_form(
                client, f"{h}/settings", {"open-0": "yes", "end-0": "x"}, page=f"{h}/settings"
            ),
            422,
        )
        pages.add(
            "new interpreter (errors)",
            await post_form(client, f"{h}/interpreters/new", {}, page=f"{h}/interpreters/new"),
            422,
        )
        pages.add(
            "new room (errors)",
            await post_form(client, f"{h}/rooms/new", {}, page=f"{h}/rooms/new"),
            422,
        )
    async with new_client(app) as client:
        await sign_in(client, adjudicator.email)
        mine = f"{t}/staff/my-availability"
        await pages.get(client, "my availability", mine)
        await pages.get(client, "my availability (fr)", mine, **french)
        pages.add(
            "my availability (pattern errors)",
            await post_form(client, f"{mine}/pattern", {"start-0-1": "17:00"}, page=mine),
            422,
        )
        pages.add(
            "my availability (exception errors)",
            await post_form(client, f"{mine}/exceptions", {}, page=mine),
            422,
        )

    # Hearings: booking an accepted case, a scheduled hearing (moved, adjourned, cancelled,
    # its notices), one held yesterday awaiting its outcome, the day view, My hearings, and the
    # parties' view of both with the dates they cannot attend.
    hearing_claimant = await make_user(db, language="en")
    to_book = await make_case(
        db, tribunal, version=version, filer=hearing_claimant, status=FilingStatus.ACCEPTED
    )
    upcoming_case, held_case = [
        await make_case(
            db, tribunal, version=version, filer=hearing_claimant, status=FilingStatus.SCHEDULED
        )
        for _ in range(2)
    ]
    soon = utcnow().replace(second=0, microsecond=0) + timedelta(days=30)
    yesterday = utcnow().replace(second=0, microsecond=0) - timedelta(days=1)
    upcoming, held = (
        Hearing(
            tribunal_id=tribunal.id,
            filing_id=case.id,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            mode=mode,
            adjudicator_id=adjudicator.id,
            room_id=room.id if mode is HearingMode.IN_PERSON else None,
            calendar_uid=f"hearing-{case.id}@tribune",
        )
        for case, start, mode in (
            (upcoming_case, soon, HearingMode.IN_PERSON),
            (held_case, yesterday, HearingMode.VIDEO),
        )
    )
    db.add_all([upcoming, held])
    await db.commit()
    staff_case = f"{t}/staff/cases/{upcoming_case.id}"
    async with new_client(app) as client:
        await sign_in(client, admin.email)
        for name, url in [
            ("schedule a hearing", f"{t}/staff/cases/{to_book.id}/hearings/new"),
            ("staff case (scheduled)", staff_case),
            ("reschedule", f"{staff_case}/hearings/{upcoming.id}/reschedule"),
            ("adjourn", f"{staff_case}/hearings/{upcoming.id}/adjourn"),
            ("cancel", f"{staff_case}/hearings/{upcoming.id}/cancel"),
            ("notices", f"{staff_case}/hearings/{upcoming.id}/notices"),
            ("day view", f"{t}/staff/hearings/day?date={soon.date().isoformat()}"),
        ]:
            await pages.get(client, name, url)
        await pages.get(
            client,
            "schedule a hearing (fr)",
            f"{t}/staff/cases/{to_book.id}/hearings/new",
            **french,
        )
    async with new_client(app) as client:
        await sign_in(client, adjudicator.email)
        held_page = f"{t}/staff/cases/{held_case.id}"
        await pages.get(client, "my hearings", f"{t}/staff/my-hearings")
        await pages.get(client, "staff case (awaiting its outcome)", held_page)
        await pages.get(client, "outcome", f"{held_page}/hearings/{held.id}/outcome")
        pages.add(
            "outcome (errors)",
            await post_form(
                client,
                f"{held_page}/hearings/{held.id}/outcome",
                {"sequence": "0"},
                page=f"{held_page}/hearings/{held.id}/outcome",
            ),
            422,
        )
    async with new_client(app) as client:
        await sign_in(client, hearing_claimant.email)
        mine = f"{t}/cases/{upcoming_case.id}"
        await pages.get(client, "case with a hearing (claimant)", mine)
        await pages.get(client, "case with a hearing (claimant, fr)", mine, **french)
        await pages.get(client, "notice of hearing", f"{mine}/hearings/{upcoming.id}/notice")
        await pages.get(client, "dates I cannot attend", f"{mine}/unavailable-dates")
        await pages.get(client, "time zone", "/account/time-zone")

    # A video hearing inside its join window: the claimant's page before and after checking
    # in, the adjudicator's console with the video room, the claimant let in to the room.
    video_case = await make_case(
        db, tribunal, version=version, filer=hearing_claimant, status=FilingStatus.SCHEDULED
    )
    in_ten = utcnow().replace(microsecond=0) + timedelta(minutes=10)
    video = Hearing(
        tribunal_id=tribunal.id,
        filing_id=video_case.id,
        starts_at=in_ten,
        ends_at=in_ten + timedelta(hours=1),
        mode=HearingMode.VIDEO,
        adjudicator_id=adjudicator.id,
        calendar_uid=f"hearing-{video_case.id}@tribune",
    )
    db.add(video)
    await db.commit()
    hearing_page = f"{t}/hearings/{video.id}"
    claimant_party = await db.scalar(
        select(CaseParty.id).where(
            CaseParty.filing_id == video_case.id, CaseParty.role == PartyRole.CLAIMANT
        )
    )
    async with new_client(app) as claimant_client, new_client(app) as adjudicator_client:
        await sign_in(claimant_client, hearing_claimant.email)
        await pages.get(claimant_client, "hearing page (before checking in)", hearing_page)
        await post_form(claimant_client, f"{hearing_page}/check-in", {}, page=hearing_page)
        await pages.get(claimant_client, "waiting room", hearing_page)
        await sign_in(adjudicator_client, adjudicator.email)
        await pages.get(adjudicator_client, "console", hearing_page)
        await post_form(
            adjudicator_client,
            f"{hearing_page}/console/admit",
            {"participant": f"party-{claimant_party}"},
            page=hearing_page,
        )
        await pages.get(adjudicator_client, "console (someone let in)", hearing_page)
        await pages.get(claimant_client, "video room", hearing_page)

    await collect_payment_pages(app, db, pages, tribunal)
    await collect_feedback_pages(app, db, pages, tribunal)
    await collect_public_standards_pages(app, db, pages)
    await collect_report_pages(app, db, pages, tribunal)
    await collect_standards_pages(app, db, pages, tribunal)


async def collect_standards_pages(
    app: Starlette, db: AsyncSession, pages: Pages, tribunal: Tribunal
) -> None:
    """The service standards: the staff's figures with cases at risk and their next page, the
    administrators' list, a standard's versions, the definition form (new, a new version, with
    errors), publishing (the list, the check before publishing, a refusal), a correction (with
    errors) and the recomputation (agreeing and not); some in French."""
    t = f"/{tribunal.slug}/staff/service-standards"
    current = Quarter.containing(local_today(tribunal.time_zone))
    previous, earlier = current.previous(), current.previous().previous()
    admin = await make_staff(db, tribunal, Role.ADMIN)
    made = await create_standard(
        db,
        tribunal,
        "acknowledge",
        DefinitionValues(
            name_en="Acknowledge a filing",
            name_fr="Accuser réception d’un dossier",
            start_event="submitted",
            stop_event="accepted",
            limit_days=10,
            unit=ClockUnit.CALENDAR_DAYS,
            target_percent=80,
            effective_from=earlier.first_day,
            pause_event="returned",
            resume_event="resubmitted",
        ),
        user=admin,
    )
    start = earlier.starts_at(tribunal.time_zone) + timedelta(days=2)
    version = await make_case_type(db, tribunal)
    late = await make_case(db, tribunal, version=version)
    db.add(
        CaseEvent(tribunal_id=tribunal.id, filing_id=late.id, kind="submitted", occurred_at=start)
    )
    # More cases at risk than a page holds: the figures page links to the next.
    for days in range(21):
        case = await make_case(db, tribunal, version=version)
        db.add(
            CaseEvent(
                tribunal_id=tribunal.id,
                filing_id=case.id,
                kind="submitted",
                occurred_at=utcnow() - timedelta(days=20 + days),
            )
        )
    await publish_quarter(db, tribunal, earlier, user=admin)
    await db.commit()
    standard = made.standard
    published = f"{t}/publishing/{earlier.fiscal_year}-q{earlier.number}"
    unpublished = f"{t}/publishing/{previous.fiscal_year}-q{previous.number}"
    running = f"{t}/publishing/{current.fiscal_year}-q{current.number}"
    french_admin = await make_staff(db, tribunal, Role.ADMIN, language="fr")
    async with new_client(app) as client:
        await sign_in(client, admin.email)
        figures = await client.get(t)
        pages.add("service standards (staff)", figures)
        next_page = re.search(r'href="([^"]+/at-risk\?after=[^"]+)"', figures.text)
        assert next_page, "no next page of cases at risk"
        await pages.get(
            client, "cases at risk (next page)", next_page.group(1).replace("&amp;", "&")
        )
        await pages.get(client, "service standards (manage)", f"{t}/manage")
        await pages.get(client, "service standard", f"{t}/{standard.id}")
        await pages.get(client, "new service standard", f"{t}/new")
        pages.add(
            "new service standard (errors)",
            await post_form(
                client,
                f"{t}/new",
                {"code": "X", "limit_days": "0", "target_percent": "101", "unit": "x"},
                page=f"{t}/new",
            ),
            422,
        )
        await pages.get(client, "new version of a standard", f"{t}/{standard.id}/new-version")
        await pages.get(client, "publishing the figures", f"{t}/publishing")
        await pages.get(client, "publish a quarter (check)", f"{unpublished}/publish")
        await pages.get(client, "publish a quarter (refused)", f"{running}/publish", status=409)
        await pages.get(client, "correct a quarter", f"{published}/correct")
        pages.add(
            "correct a quarter (errors)",
            await post_form(
                client, f"{published}/correct", {"note": ""}, page=f"{published}/correct"
            ),
            422,
        )
        await pages.get(client, "recompute a quarter (agreeing)", f"{published}/recompute")
        db.add(
            CaseEvent(
                tribunal_id=tribunal.id,
                filing_id=late.id,
                kind="accepted",
                occurred_at=start + timedelta(days=1),
            )
        )
        await db.commit()
        await pages.get(client, "recompute a quarter (differing)", f"{published}/recompute")
    async with new_client(app) as client:
        await sign_in(client, french_admin.email)
        await pages.get(client, "service standards (staff, fr)", t)
        await pages.get(client, "service standard (fr)", f"{t}/{standard.id}")
        pages.add(
            "new version of a standard (errors, fr)",
            await post_form(
                client,
                f"{t}/{standard.id}/new-version",
                {"start_event": "decided", "stop_event": "accepted"},
                page=f"{t}/{standard.id}/new-version",
            ),
            422,
        )
        await pages.get(client, "publish a quarter (check, fr)", f"{unpublished}/publish")
        await pages.get(client, "recompute a quarter (differing, fr)", f"{published}/recompute")


async def collect_feedback_pages(
    app: Starlette, db: AsyncSession, pages: Pages, tribunal: Tribunal
) -> None:
    """Feedback and the hearing survey: the question a "No" or a problem asks (with its
    errors), the thanks, the refusal of a flood, the registry's list and a feedback's page
    (answered, and with the answer's errors), the survey (with its errors), its thanks and a
    used and an unknown link; some in French."""
    t = f"/{tribunal.slug}"
    french: dict[str, Any] = {"headers": {"Accept-Language": "fr"}}
    question = f"/feedback?from_page={t}/&feedback=not_helpful"
    async with new_client(app, "198.51.100.20") as client:
        await pages.get(client, "feedback question (not helpful)", question)
        await pages.get(
            client, "feedback question (problem, fr)", f"{question}&feedback=problem", **french
        )
        pages.add(
            "feedback question (errors)",
            await post_form(
                client,
                "/feedback",
                {"from_page": f"{t}/", "feedback": "problem", "text": "", "email": "x"},
                page=question,
            ),
            422,
        )
        sent = await post_form(
            client,
            "/feedback",
            {
                "from_page": f"{t}/",
                "feedback": "problem",
                "text": "The form would not send. Call me at 416 555 0199.",
                "email": "jane@example.org",
            },
            page=question,
        )
        assert sent.status_code == 303, sent.text
        await pages.get(client, "feedback thanks", sent.headers["location"])
        for _ in range(FEEDBACK_PER_HOUR - 1):
            await post_form(client, "/feedback", {"from_page": "/", "feedback": "helpful"})
        pages.add(
            "feedback refused (too many)",
            await post_form(client, "/feedback", {"from_page": "/", "feedback": "helpful"}),
            429,
        )
    scene = await make_scene(db, FilingStatus.SCHEDULED, claimant_language="fr")
    await add_hearing(db, scene)
    async with new_client(app) as client:
        await sign_in(client, scene.adjudicator.email)
        outcome = f"{scene.staff_case}/hearings"
        hearing_id = (
            await db.scalars(select(Hearing.id).where(Hearing.filing_id == scene.case.id))
        ).one()
        held = await post_form(
            client,
            f"{outcome}/{hearing_id}/outcome",
            {"sequence": "0", "outcome": "held"},
            page=scene.staff_case,
        )
        assert held.status_code == 303, held.text
    links = [
        link_in(message)
        for message in (
            await db.scalars(
                select(OutboxMessage).where(OutboxMessage.template == "hearing_survey")
            )
        ).all()
    ]
    async with new_client(app) as client:
        await pages.get(client, "hearing survey (fr)", links[0], **french)
        pages.add(
            "hearing survey (errors)",
            await post_form(
                client,
                urlsplit(links[0]).path,
                {"token": links[0].split("token=")[1], "comment": "x" * 501},
                page=links[0],
            ),
            422,
        )
        answered = await post_form(
            client,
            urlsplit(links[0]).path,
            {
                "token": links[0].split("token=")[1],
                "satisfaction": "4",
                "could_take_part": "yes",
                "explained_clearly": "partly",
            },
            page=links[0],
        )
        assert answered.status_code == 303, answered.text
        await pages.get(client, "hearing survey thanks", answered.headers["location"])
        await pages.get(client, "hearing survey (answered)", links[0], status=409)
        await pages.get(
            client,
            "hearing survey (unknown link)",
            f"{urlsplit(links[0]).path}?token=x",
            status=404,
        )
    item = (await db.scalars(select(Feedback).where(Feedback.tribunal_id == tribunal.id))).one()
    clerk = await make_staff(db, tribunal, Role.CLERK)
    async with new_client(app) as client:
        await sign_in(client, clerk.email)
        listing = f"{t}/staff/feedback"
        await pages.get(client, "feedback list", listing)
        await pages.get(client, "feedback list (fr)", f"{listing}?status=all", **french)
        item_page = f"{listing}/{item.id}"
        await pages.get(client, "feedback", item_page)
        pages.add(
            "feedback answer (errors)",
            await post_form(client, f"{item_page}/answer", {"answer": ""}, page=item_page),
            422,
        )
        answer = await post_form(
            client, f"{item_page}/answer", {"answer": "Thank you: it is fixed."}, page=item_page
        )
        assert answer.status_code == 303, answer.text
        await pages.get(client, "feedback (answered)", answer.headers["location"])
        handled = await post_form(client, f"{item_page}/handled", {}, page=item_page)
        assert handled.status_code == 303, handled.text
        pages.add(
            "feedback (already handled)",
            await post_form(client, f"{item_page}/handled", {}, page=item_page),
            409,
        )


async def collect_public_standards_pages(app: Starlette, db: AsyncSession, pages: Pages) -> None:
    """The public "Our service standards" page: a tribunal's four published quarters (one of
    fewer than 10 cases, one corrected; a standard of one kind of case), in English and French,
    and a tribunal that has published nothing yet."""
    tribunal = await make_standards_tribunal(db)
    await make_case_type(db, tribunal, code="benefits-appeal")
    made = await make_standard(db, tribunal, code="acknowledge", effective_from=Q1.first_day)
    limited = await make_standard(
        db,
        tribunal,
        code="decision",
        start_event="heard",
        stop_event="decided",
        case_type_code="benefits-appeal",
        effective_from=Q1.first_day,
    )
    for quarter, met in ((Q1, 17), (Q2, 6), (Q3, 14), (Q4, 27)):
        await publish(
            db, tribunal, quarter, [(made, Figures(met=met, missed=3)), (limited, Figures(met=8))]
        )
    await publish(
        db,
        tribunal,
        Q4,
        [(made, Figures(met=30, missed=2)), (limited, Figures(met=8, missed=4))],
        version=2,
        note="A decision recorded late was added.",
        published_at=datetime(2026, 4, 20, 15, tzinfo=UTC),
    )
    quiet = await make_tribunal(db)
    async with new_client(app) as client:
        page = f"/{tribunal.slug}/service-standards"
        await pages.get(client, "our service standards", page)
        await pages.get(
            client, "our service standards (fr)", page, headers={"Accept-Language": "fr"}
        )
        await pages.get(
            client, "our service standards (none published)", f"/{quiet.slug}/service-standards"
        )


async def collect_payment_pages(
    app: Starlette, db: AsyncSession, pages: Pages, tribunal: Tribunal
) -> None:
    """Fees and payments: the fee page, the sandbox's hosted page and its confirmation step,
    the return page (paid and declined), a receipt, the fee waiver form and its decision, the
    schedule and settings, the refund and counter payment forms, the refunds waiting for
    approval, the daily reconciliation."""
    t = f"/{tribunal.slug}"
    french: dict[str, Any] = {"headers": {"Accept-Language": "fr"}}
    db.add(
        PaymentSettings(
            tribunal_id=tribunal.id,
            income_thresholds={"1": 2500000, "2": 3000000, "8": 6000000},
            waive_for_assistance=True,
            part_waiver_band_percent=25,
            pay_within_days=30,
            refund_approval_above_cents=10000,
        )
    )
    await db.commit()
    payer = await make_user(db, name="Paula Payer")
    owing, confirming, declined, paid = [
        await make_charged_case(db, tribunal, filer=payer, reduced_amount_cents=1000)
        for _ in range(4)
    ]
    async with new_client(app) as client:
        await sign_in(client, payer.email)
        fee_page = f"{t}/cases/{owing.filing.id}/fee"
        await pages.get(client, "fee page", fee_page)
        await pages.get(client, "fee page (fr)", fee_page, **french)
        waiver_form = f"{fee_page}/waiver"
        await pages.get(client, "fee waiver form", waiver_form)
        pages.add(
            "fee waiver form (errors)",
            await post_form(client, waiver_form, {"household_size": "0"}, page=waiver_form),
            422,
        )
        token = hidden_fields((await client.get(waiver_form)).text)["csrf_token"]
        pages.add(
            "fee waiver form (proof refused)",
            await client.post(
                waiver_form,
                data={
                    "csrf_token": token,
                    "household_size": "2",
                    "household_income": "90000",
                    "receives_assistance": "no",
                    "declared": "yes",
                },
                files={"proof": ("proof.pdf", b"MZ not a PDF", "application/pdf")},
            ),
            422,
        )

        async def hosted_page(case: ChargedCase) -> str:
            page = f"{t}/cases/{case.filing.id}/fee"
            started = await post_form(client, f"{page}/pay", {}, page=page)
            assert started.status_code == 303, started.text
            return urlsplit(started.headers["location"]).path

        async def pay(hosted: str, card: str) -> httpx.Response:
            fields = {"card_number": card, "expiry": "12/39", "security_code": "123"}
            sent = await post_form(client, hosted, {**fields, "name": "Paula Payer"}, page=hosted)
            assert sent.status_code == 303, sent.text
            return sent

        hosted = await hosted_page(paid)
        await pages.get(client, "sandbox payment page", hosted)
        await pages.get(client, "sandbox payment page (fr)", hosted, **french)
        pages.add(
            "sandbox payment page (errors)",
            await post_form(client, hosted, {"card_number": "1234"}, page=hosted),
            422,
        )
        back = await pay(hosted, "4242424242424242")
        await pages.get(client, "return page (paid)", back.headers["location"])
        hosted = await hosted_page(declined)
        back = await pay(hosted, "4000000000000002")
        await pages.get(client, "return page (declined)", back.headers["location"])
        hosted = await hosted_page(confirming)
        step = await pay(hosted, "4000002760003184")
        await pages.get(client, "sandbox confirmation step", step.headers["location"])
        await pages.get(client, "fee page (paid)", f"{t}/cases/{paid.filing.id}/fee")
        await pages.get(client, "case with a fee (claimant)", f"{t}/cases/{paid.filing.id}")
        receipt = (
            await db.scalars(select(Receipt).where(Receipt.filing_id == paid.filing.id))
        ).one()
        await pages.get(client, "receipt", f"{t}/receipts/{receipt.id}")
        await pages.get(client, "receipt (fr)", f"{t}/receipts/{receipt.id}", **french)
        asked = await post_form(
            client,
            waiver_form,
            {
                "household_size": "2",
                "household_income": "90000",
                "receives_assistance": "no",
                "declared": "yes",
            },
            page=waiver_form,
        )
        assert asked.status_code == 303, asked.text
    waiver = (
        await db.scalars(select(FeeWaiver).where(FeeWaiver.filing_id == owing.filing.id))
    ).one()
    payment = (
        await db.scalars(
            select(Payment).where(
                Payment.filing_id == paid.filing.id, Payment.state == PaymentState.SUCCEEDED
            )
        )
    ).one()
    counter_case = await make_charged_case(db, tribunal, reduced_amount_cents=1000)
    await make_card_payment(
        db, tribunal, counter_case, paid_at=utcnow(), amount_cents=1000, with_provider=False
    )
    admin = await make_staff(db, tribunal, Role.ADMIN)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    db.add(
        Refund(
            tribunal_id=tribunal.id,
            filing_id=paid.filing.id,
            payment_id=payment.id,
            amount_cents=1000,
            currency=payment.currency,
            reason="Paid by mistake",
            state=RefundState.AWAITING_APPROVAL,
            idempotency_key=f"refund-{uuid.uuid4()}",
            requested_by_id=clerk.id,
        )
    )
    await db.commit()
    today = local_today(tribunal.time_zone).isoformat()
    async with new_client(app) as client:
        await sign_in(client, admin.email)
        staff_case = f"{t}/staff/cases"
        refund_page = f"{staff_case}/{paid.filing.id}/payments/{payment.id}/refund"
        counter_page = f"{staff_case}/{counter_case.filing.id}/payments/new"
        for name, url in [
            ("staff case (paid)", f"{staff_case}/{paid.filing.id}"),
            ("staff case (awaiting payment)", f"{staff_case}/{counter_case.filing.id}"),
            ("fee waivers to decide", f"{t}/staff/fee-waivers"),
            ("fee waiver decision", f"{t}/staff/fee-waivers/{waiver.id}"),
            ("fee schedule", f"{t}/staff/settings/fees"),
            ("add a fee", f"{t}/staff/settings/fees/new"),
            ("payment settings", f"{t}/staff/settings/payments"),
            ("refund", refund_page),
            ("record a payment", counter_page),
            ("refunds to approve", f"{t}/staff/refunds"),
            ("reconciliation", f"{t}/staff/reconciliation"),
            ("reconciliation of a day", f"{t}/staff/reconciliation/{today}"),
        ]:
            await pages.get(client, name, url)
        await pages.get(
            client, "fee waiver decision (fr)", f"{t}/staff/fee-waivers/{waiver.id}", **french
        )
        await pages.get(client, "reconciliation (fr)", f"{t}/staff/reconciliation", **french)
        for name, url in [
            ("fee waiver decision (errors)", f"{t}/staff/fee-waivers/{waiver.id}"),
            ("add a fee (errors)", f"{t}/staff/settings/fees/new"),
            ("payment settings (errors)", f"{t}/staff/settings/payments"),
            ("record a payment (errors)", counter_page),
        ]:
            pages.add(name, await post_form(client, url, {}, page=url), 422)
        pages.add(
            "refund (errors)",
            await post_form(
                client,
                refund_page,
                {"amount": "x", "seen_refundable": str(payment.amount_cents)},
                page=refund_page,
            ),
            422,
        )

    await collect_text_message_pages(app, db, pages, tribunal)


async def collect_text_message_pages(
    app: Starlette, db: AsyncSession, pages: Pages, tribunal: Tribunal
) -> None:
    """The account's text message pages in each state of a number (none, waiting for its code,
    confirmed, taking reminders, stopped by the provider), with their errors, some in
    French; a case's delivery log with a text; the outbox with texts."""
    french: dict[str, Any] = {"headers": {"Accept-Language": "fr"}}
    page = "/account/text-messages"
    person = await make_user(db)
    async with new_client(app) as client:
        await sign_in(client, person.email)
        await pages.get(client, "text messages (no number)", page)
        await pages.get(client, "mobile number", f"{page}/number")
        pages.add(
            "mobile number (errors)",
            await post_form(client, f"{page}/number", {"number": "212 555 0123"}, page=page),
            422,
        )
        added = await post_form(client, f"{page}/number", {"number": "613 555 0123"}, page=page)
        assert added.status_code == 303, added.text
        await pages.get(client, "text messages (waiting for the code)", page)
        await pages.get(client, "enter the code", f"{page}/confirm?sent=new")
        await pages.get(client, "enter the code (fr)", f"{page}/confirm", **french)
        pages.add(
            "enter the code (errors)",
            await post_form(client, f"{page}/confirm", {"code": "12"}, page=page),
            422,
        )
        mobile = (
            await db.scalars(select(MobileNumber).where(MobileNumber.user_id == person.id))
        ).one()
        mobile.confirmed_at = utcnow()
        await db.commit()
        await pages.get(client, "text messages (confirmed)", f"{page}?updated=confirmed")
        pages.add(
            "text messages (consent errors)",
            await post_form(client, f"{page}/reminders", {"action": "start"}, page=page),
            422,
        )
        started = await post_form(
            client, f"{page}/reminders", {"action": "start", "consent": "yes"}, page=page
        )
        assert started.status_code == 303, started.text
        await pages.get(client, "text messages (taking reminders)", started.headers["location"])
        await pages.get(client, "text messages (taking reminders, fr)", page, **french)
        mobile.stopped_at = utcnow()
        mobile.stop_reason = StopReason.FAILED
        await db.commit()
        await pages.get(client, "text messages (failing number)", page)

    case = await make_case(db, tribunal)
    text = texts.queue(
        db,
        to="+16135550123",
        language="fr",
        kind="hearing_reminder",
        body="TAIT : rappel de votre audience le mercredi 10 mars 2027 à 14 h 00 HNE.",
        tribunal_id=tribunal.id,
        case_id=case.id,
    )
    text.status = TextStatus.PERMANENT_FAILURE
    text.status_at = utcnow()
    await db.commit()
    clerk = await make_staff(db, tribunal, Role.CLERK)
    async with new_client(app) as client:
        await sign_in(client, clerk.email)
        await pages.get(
            client, "staff case (a text in its log)", f"/{tribunal.slug}/staff/cases/{case.id}"
        )
    async with new_client(app, "127.0.0.1") as client:
        await pages.get(client, "outbox with texts (development)", "/outbox")


async def collect_report_pages(
    app: Starlette, db: AsyncSession, pages: Pages, tribunal: Tribunal
) -> None:
    """The annual performance report: the year so far with a service standard measured, in
    English and French, and a wrong year refused."""
    admin = await make_staff(db, tribunal, Role.ADMIN)
    current = FiscalYear.containing(local_today(tribunal.time_zone))
    await make_standard(db, tribunal, effective_from=current.first_day)
    report = f"/{tribunal.slug}/staff/annual-report"
    async with new_client(app) as client:
        await sign_in(client, admin.email)
        await pages.get(client, "annual report", f"{report}?year={current.start_year}")
        await pages.get(client, "annual report (a wrong year)", f"{report}?year=1999", 422)
    async with new_client(app) as client:
        await sign_in(client, (await make_staff(db, tribunal, Role.ADMIN, language="fr")).email)
        await pages.get(client, "annual report (fr)", report)


def file_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".html"


async def test_every_kind_of_page_is_valid_html(
    app: Starlette, db: AsyncSession, tmp_path: Path, vnu_command: list[str]
) -> None:
    pages = Pages()
    await collect_pages(app, db, pages)
    by_file: dict[str, str] = {}
    for name, html in pages.html.items():
        path = tmp_path / file_name(name)
        path.write_text(html, encoding="utf-8")
        by_file[path.name] = name

    with anyio.fail_after(VNU_SECONDS):
        result = await anyio.run_process(
            [*vnu_command, *sorted(str(tmp_path / name) for name in by_file)], check=False
        )
    report = result.stderr.decode()
    # The checker writes its JSON report to standard error, and exits 1 when it finds errors.
    try:
        messages = json.loads(report)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the HTML checker did not report (exit {result.returncode}):\n{report}")
    problems = []
    for message in messages:
        page = by_file.get(Path(message.get("url", "")).name, message.get("url", "?"))
        where = f" line {message['lastLine']}" if "lastLine" in message else ""
        extract = f"\n    {message['extract'].strip()}" if message.get("extract") else ""
        problems.append(f"- {page}{where}: {message['message']}{extract}")
    assert not problems, f"{len(problems)} HTML error(s) in {len(pages.html)} pages:\n" + "\n".join(
        problems
    )
    assert result.returncode == 0, report
