"""Every form of every route, sent hostile values, never answers 500.

The test builds a tribunal with something behind every page (a published kind of case and a
draft of one, a claimant's draft filed up to its last step with a document, cases in several
states, a respondent who joined one and began a response, feedback to answer, an invitation,
reset, confirmation and hearing survey links in the outbox), then crawls the site as each kind
of person (a visitor, the claimant, the respondent, an administrator who also holds every other
staff role): every page without a path parameter, every page whose ids it knows, every link,
redirect and emailed link it finds. Each ``<form>`` it meets, and each link carrying a query
string, becomes a target: its route, method and fields, as a browser would send them.

Hypothesis then sends each target the fields with hostile values — strings past any limit
(up to 100 KB), control, format and bidi characters, invalid UTF-8, huge, negative and
non-finite numbers, dates at and past the ends of the calendar, repeated and missing fields,
choices that are not offered, other tribunals' and random ids, and valid values whose dates,
ids or numbers are swapped (inside base64 page cursors too) — in urlencoded, raw and multipart
bodies (uploads with odd file names, types and contents, cut or malformed multipart) and
query strings, with the person's valid CSRF token so the request reaches the page. Every
field carrying a moment or an id is also sent, whatever Hypothesis draws, with its moment
at each end of the calendar and another tribunal's id. No answer may be a 500 (or an
exception out of the app), and a form refused as invalid (422) shows its error summary.
Hypothesis is derandomized and keeps no database, so every run sends the same requests;
``TRIBUNE_FUZZ_EXAMPLES`` (10 per target by default) hunts longer.

Each request runs inside a savepoint rolled back after it, with the person's cookies put
back, so every example starts from the same world. A route with an unsafe method that no
page offers a form for, or a page the crawl never reached, fails the test: give the world
what that page needs rather than leaving it out. (A signed webhook takes no form: its hostile
bodies are sent by ``test_route_table.py`` (h) and ``tests/hearings/test_attendance.py``.)
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import os
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, quote_from_bytes, urljoin, urlsplit

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from starlette.applications import Starlette
from starlette.routing import compile_path

from accountability.feedback.models import Feedback, FeedbackKind, SenderRole
from accountability.feedback.survey import send_invitations
from accountability.standards.measurement import Figures
from accountability.standards.models import ClockUnit, ServiceStandard
from accountability.standards.periods import Quarter
from accountability.standards.services import DefinitionValues, create_standard
from accountability.standards.snapshots import publish_quarter
from accountability.texts.models import MobileNumber
from accounts.models import User
from auditlog.services import PAGE_SIZE as AUDIT_PAGE_SIZE
from filings.casetypes.services import create_case_type
from filings.demo import CERTIFICATION_RESPONSE_SECTION, DEMO_CASE_TYPES
from filings.docket.queries import MIN_PAGE_SIZE
from filings.models import CaseParty, Document, Filing, FilingStatus, PartyRole
from hearings.calendars import services as hearing_services
from hearings.calendars.services import ExceptionValues, InterpreterValues, Resource, RoomValues
from hearings.models import (
    CheckinStatus,
    DecisionKind,
    DecisionStatus,
    ExceptionKind,
    ExceptionReason,
    Hearing,
    HearingCheckin,
    HearingDecision,
    HearingMode,
    HearingStatus,
    PartyUnavailability,
    ResourceKind,
)
from payments.fees import services as fee_services
from payments.models import (
    FeeCharge,
    FeeWaiver,
    Payment,
    PaymentState,
    Receipt,
    Refund,
    RefundState,
    WaiverState,
)
from tests.accountability.factories import make_standard
from tests.accountability.test_public_standards import publish
from tests.factories.accounts import PASSWORD, make_user
from tests.factories.filings import make_case, make_demo_case_type
from tests.factories.payments import ChargedCase, make_charged_case, make_fee, make_fee_case_type
from tests.factories.tribunals import make_staff, make_tribunal
from tests.filings.test_paper_filings import enter_paper_filing
from tests.filings.test_submission import answer_steps
from tests.helpers import (
    add_respondent,
    code_sent_to,
    csrf_token,
    join,
    pdf_bytes,
    post_form,
    sign_in,
    start,
    upload,
)
from tests.security.test_route_table import RouteInfo, all_routes
from tribunals.models import Membership, Role, Tribunal
from tribunals.permissions import Permission
from tribune.audit import AuditEvent
from tribune.db import local_today, utcnow
from tribune.mail import OutboxMessage
from tribune.security import CSRF_FIELD, CSRF_HEADER
from tribune.storage.base import new_object_key

# Examples per target: under a thousand requests in all, under a minute per database. Set
# TRIBUNE_FUZZ_EXAMPLES to hunt longer (a few hundred finds what ten do not).
EXAMPLES_PER_TARGET = int(os.environ.get("TRIBUNE_FUZZ_EXAMPLES", "10"))
# Addresses fetched per person while crawling: of one shape (a route, its path parameters
# but ids, the names in its query string), and in all. The world holds about ten cases, each
# with pages of its own (its hearing, its decisions, its response): every one is visited.
URLS_PER_SHAPE = 10
PAGES_PER_PERSON = 800
ERROR_SUMMARY = "govuk-error-summary"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A day in a path (a day's hearings, a day's reconciliation) is what the page is about, as an id
# is: ninety days of one page are one shape, not ninety.
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# -- the world ----------------------------------------------------------------------------------


@dataclass
class Person:
    name: str
    client: httpx.AsyncClient
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""
    requests_sent: int = 0
    staff: bool = False


@dataclass
class World:
    tribunal: Tribunal
    people: list[Person]
    # Path parameter values that name real objects, by parameter name.
    ids: dict[str, list[str]]
    # Ids of another tribunal's objects: they must be a 404 here, never a 500.
    foreign_ids: list[str]
    # Addresses no page links to: what a person types or bookmarks.
    links: list[str]


def new_client(app: Starlette) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def build_world(app: Starlette, db: AsyncSession) -> World:
    tribunal = await make_tribunal(db, short_name_en="WCAT")
    t = f"/{tribunal.slug}"
    version = await make_demo_case_type(db, tribunal)
    # A draft kind of case to edit, whose response asks for two documents (so they can move).
    spec = DEMO_CASE_TYPES["wcat"][0]
    definition = {**spec["definition"], "response": CERTIFICATION_RESPONSE_SECTION}
    draft_version = await create_case_type(
        db, tribunal, **{**spec, "code": "draft-appeal", "definition": definition}
    )
    await db.commit()

    admin = await make_staff(db, tribunal, Role.ADMIN)
    for role in (Role.CLERK, Role.ADJUDICATOR):
        db.add(Membership(tribunal_id=tribunal.id, user_id=admin.id, role=role))
    await db.commit()
    # An interpreter and a room, whose pages offer their forms.
    interpreter = hearing_services.add_interpreter(
        db,
        tribunal,
        InterpreterValues(name="Ines Interpreter", languages=["es", "ase"]),
        actor=admin,
    )
    room = hearing_services.add_room(
        db, tribunal, RoomValues(name="Room 1", capacity=12), actor=admin
    )
    # A day of leave ahead for the administrator, who also sits: its pages offer to remove it.
    leave_day = utcnow().date() + timedelta(days=30)
    hearing_services.add_exception(
        db,
        tribunal,
        Resource(ResourceKind.ADJUDICATOR, admin.id),
        ExceptionValues(
            ExceptionKind.UNAVAILABLE, ExceptionReason.LEAVE, days=(leave_day, leave_day)
        ),
        actor=admin,
    )
    await db.commit()
    claimant = await make_user(db)
    respondent = await make_user(db, email="boss@acme.example")

    # The claimant's draft, answered up to its last step, with a document.
    people: list[Person] = []
    claimant_client = new_client(app)
    await sign_in(claimant_client, claimant.email)
    base = (await start(claimant_client, tribunal, version)).rsplit("/", 1)[0]
    await answer_steps(claimant_client, base)
    uploaded = await upload(
        claimant_client, base, "decision", [("letter.pdf", pdf_bytes(), "application/pdf")]
    )
    assert uploaded.status_code == 303, uploaded.text
    documents = await post_form(claimant_client, f"{base}/documents", {}, page=f"{base}/documents")
    assert documents.status_code == 303, documents.text

    # Cases in the states where their pages offer different forms.
    cases: list[Filing] = []
    for status in (FilingStatus.SUBMITTED, FilingStatus.RETURNED, FilingStatus.ACCEPTED):
        cases.append(
            await make_case(
                db,
                tribunal,
                filer=claimant,
                version=version,
                status=status,
                representative="Rita Rep",
            )
        )

    # A respondent added by the registry joins the accepted case and starts a response.
    admin_client = new_client(app)
    await sign_in(admin_client, admin.email)
    added = await add_respondent(admin_client, tribunal, cases[2], respondent.email)
    assert added.status_code == 303, added.text
    code = await code_sent_to(db, respondent.email)
    respondent_client = new_client(app)
    await sign_in(respondent_client, respondent.email)
    assert cases[2].reference is not None
    joined = await join(respondent_client, tribunal, cases[2].reference, code)
    assert joined.status_code == 303, joined.text
    response_page = f"{t}/cases/{cases[2].id}/response"
    answered = await post_form(
        respondent_client,
        response_page,
        {"q-agrees": "no", "q-reasons": "It was paid."},
        page=response_page,
    )
    assert answered.status_code == 303, answered.text
    response_upload = await respondent_client.post(
        f"{response_page}/documents/response_evidence/upload",
        data={"csrf_token": await csrf_token(respondent_client, response_page)},
        files=[("file-response_evidence", ("reply.pdf", pdf_bytes(), "application/pdf"))],
    )
    assert response_upload.status_code == 303, response_upload.text
    paper_filing = await enter_paper_filing(admin_client, db, tribunal, "marie@example.org")
    # A hearing of the accepted case: its notices, calendar file and resend form.
    noticed_hearing = Hearing(
        tribunal_id=tribunal.id,
        filing_id=cases[2].id,
        starts_at=utcnow().replace(microsecond=0) + timedelta(days=40),
        ends_at=utcnow().replace(microsecond=0) + timedelta(days=40, hours=1),
        mode=HearingMode.IN_PERSON,
        adjudicator_id=admin.id,
        interpreter_id=interpreter.id,
        language="es",
        room_id=room.id,
    )
    noticed_hearing.calendar_uid = f"hearing-{uuid.uuid4()}@tribune"
    db.add(noticed_hearing)
    await db.commit()

    # A day the claimant cannot attend, given on the accepted case (its page offers to remove
    # it), and a hearing of that case the administrator sits at, later today (the day view, My
    # hearings and the case page show it).
    claimant_party = (
        await db.execute(
            select(CaseParty).where(
                CaseParty.filing_id == cases[2].id, CaseParty.role == PartyRole.CLAIMANT
            )
        )
    ).scalar_one()
    unavailable = PartyUnavailability(
        tribunal_id=tribunal.id,
        filing_id=cases[2].id,
        party_id=claimant_party.id,
        first_day=leave_day,
        last_day=leave_day,
        reason="A medical appointment",
    )
    hearing_start = utcnow() + timedelta(hours=1)
    db.add_all(
        [
            unavailable,
            Hearing(
                tribunal_id=tribunal.id,
                filing_id=cases[2].id,
                starts_at=hearing_start,
                ends_at=hearing_start + timedelta(hours=1),
                mode=HearingMode.IN_PERSON,
                adjudicator_id=admin.id,
                room_id=room.id,
                interpreter_id=interpreter.id,
                language="es",
                calendar_uid=f"hostile-{uuid.uuid4()}",
            ),
        ]
    )
    await db.commit()

    # Links people get by email: an invitation, a password reset, a confirmation.
    invited = await post_form(
        admin_client,
        f"{t}/staff/people",
        {"email": claimant.email, "role": "clerk"},
        page=f"{t}/staff/people",
    )
    assert invited.status_code == 303, invited.text
    visitor_client = new_client(app)
    reset = await post_form(visitor_client, "/password-reset", {"email": claimant.email})
    assert reset.status_code == 303, reset.text
    registered = await post_form(
        visitor_client,
        "/register",
        {"name": "Newcomer", "email": "newcomer@example.org", "language": "en"}
        | {"password": PASSWORD, "password_confirmation": PASSWORD},
    )
    assert registered.status_code == 303, registered.text
    moving = await post_form(
        claimant_client,
        "/account/email",
        {"email": "moved@example.org", "current_password": PASSWORD},
    )
    assert moving.status_code == 200, moving.text

    # Enough cases and audit entries for the docket and the log to link to a next page (the
    # docket's page size is chosen in its address only).
    for _ in range(8):
        await make_case(db, tribunal, version=version)
    for _ in range(AUDIT_PAGE_SIZE + 1):
        db.add(
            AuditEvent(
                tribunal_id=tribunal.id,
                action="case.viewed",
                occurred_at=utcnow(),
                actor_id=admin.id,
                actor_role="clerk",
                subject_type="filing",
                subject_id=cases[0].id,
            )
        )
    await db.commit()
    links = [f"{t}/staff/docket?per_page={MIN_PAGE_SIZE}"]

    # A scheduled hearing of a case, in a month, which the registry may move, adjourn or
    # cancel (the accepted case above may have one scheduled).
    scheduled = await make_case(
        db, tribunal, filer=claimant, version=version, status=FilingStatus.SCHEDULED
    )
    movable_start = utcnow().replace(microsecond=0) + timedelta(days=30)
    movable_hearing = Hearing(
        tribunal_id=tribunal.id,
        filing_id=scheduled.id,
        starts_at=movable_start,
        ends_at=movable_start + timedelta(hours=1),
        mode=HearingMode.VIDEO,
        adjudicator_id=admin.id,
        status=HearingStatus.SCHEDULED,
        calendar_uid=f"hearing-{uuid.uuid4()}@tribune",
    )
    db.add(movable_hearing)
    # A video hearing of the claimant's, starting in 10 minutes: its join window is open, so its
    # hearing page offers the check-in form, and its waiting room's status block is polled.
    live = await make_case(
        db, tribunal, filer=claimant, version=version, status=FilingStatus.SCHEDULED
    )
    live_start = utcnow().replace(microsecond=0) + timedelta(minutes=10)
    live_hearing = Hearing(
        tribunal_id=tribunal.id,
        filing_id=live.id,
        starts_at=live_start,
        ends_at=live_start + timedelta(hours=1),
        mode=HearingMode.VIDEO,
        adjudicator_id=admin.id,
        status=HearingStatus.SCHEDULED,
        calendar_uid=f"hearing-{uuid.uuid4()}@tribune",
    )
    db.add(live_hearing)
    # Two respondents of that case are in: one waits, one was let in, so the administrator's
    # console (who sits) offers to let in, to let everyone in, to send back and to start.
    for name, checkin_status in (
        ("Waiting Respondent", CheckinStatus.WAITING),
        ("Admitted Respondent", CheckinStatus.ADMITTED),
    ):
        party = CaseParty(
            id=uuid.uuid4(),
            tribunal_id=tribunal.id,
            filing_id=live.id,
            role=PartyRole.RESPONDENT,
            name=name,
        )
        db.add(party)
        db.add(
            HearingCheckin(
                tribunal_id=tribunal.id,
                hearing_id=live_hearing.id,
                participant_key=f"party-{party.id}",
                status=checkin_status,
                checked_in_at=utcnow(),
            )
        )
    # And a video hearing already started, whose console offers to end it.
    running = await make_case(
        db, tribunal, filer=claimant, version=version, status=FilingStatus.SCHEDULED
    )
    running_hearing = Hearing(
        tribunal_id=tribunal.id,
        filing_id=running.id,
        starts_at=live_start - timedelta(minutes=20),
        ends_at=live_start + timedelta(hours=1),
        mode=HearingMode.VIDEO,
        adjudicator_id=admin.id,
        status=HearingStatus.SCHEDULED,
        calendar_uid=f"hearing-{uuid.uuid4()}@tribune",
        started_at=utcnow(),
    )
    db.add(running_hearing)
    await db.commit()
    # A hearing whose time has passed awaits its outcome from the administrator (who sits);
    # its case has a draft decision and an issued order, whose pages and forms this reaches.
    # The case comes first among the ids, so that its pages are among the first of their
    # shape the crawl fetches.
    heard, hearing, decisions = await case_awaiting_its_outcome(app, db, tribunal, admin, claimant)

    # Cases owing a fee: one whose payer is on the sandbox's page (open), one at its bank's
    # confirmation step, one paid (its receipt); the sandbox's pages offer their forms.
    paying, checkouts = await cases_paying_their_fee(db, claimant, claimant_client, tribunal)
    # Fees: a case of the claimant's owing its fee (its case page offers to pay or ask for a
    # waiver), and one whose waiver waits for the registry (its decision form).
    owing, waiting_waiver = await fee_cases(db, tribunal, claimant)

    # Feedback sent from the tribunal's home page with an address (its page offers the answer
    # and "handled" forms), and a case whose hearing was held: its parties' survey links are in
    # the outbox.
    feedback = Feedback(
        tribunal_id=tribunal.id,
        path=f"{t}/",
        language="en",
        kind=FeedbackKind.PROBLEM,
        text="The page is blank.",
        contact_email="jane@example.org",
        role=SenderRole.PUBLIC,
    )
    db.add(feedback)
    # A quarter's figures published: the public "Our service standards" page shows them, and
    # links to their downloads.
    published_standard = await make_standard(db, tribunal, effective_from=date(2025, 4, 1))
    await publish(db, tribunal, Quarter(2025, 1), [(published_standard, Figures(met=12, missed=3))])
    surveyed = await make_case(
        db, tribunal, filer=claimant, version=version, status=FilingStatus.HEARD
    )
    held_start = utcnow().replace(microsecond=0) - timedelta(days=1)
    db.add(
        Hearing(
            tribunal_id=tribunal.id,
            filing_id=surveyed.id,
            starts_at=held_start,
            ends_at=held_start + timedelta(hours=1),
            mode=HearingMode.TELEPHONE,
            adjudicator_id=admin.id,
            status=HearingStatus.HELD,
            calendar_uid=f"hearing-{uuid.uuid4()}@tribune",
        )
    )
    await db.flush()
    assert await send_invitations(db, app.state.outbox, tribunal, surveyed)
    await db.commit()

    # A service standard in force since two quarters ago, the earlier of them published: its
    # figures, cases at risk, versions, the quarter to publish and the one to correct.
    standard, quarters_of_standards = await service_standard(db, tribunal, admin)

    # Another tribunal's case: its ids must be a 404 here.
    elsewhere = await make_tribunal(db)
    foreign = await make_case(db, elsewhere)

    # Mobile numbers in each state whose text message page offers different forms: the
    # claimant takes reminders (stop, remove), the respondent waits for a code (enter it, ask
    # for another), the administrator confirmed theirs without consenting (the consent form).
    await mobile_numbers(db, claimant, respondent, admin)

    people = [
        Person("visitor", visitor_client),
        Person("claimant", claimant_client),
        Person("respondent", respondent_client),
        Person("administrator", admin_client, staff=True),
    ]
    # The paid case's refund form, and a refund a fee waiver proposed on it (to confirm or
    # decline): first among the ids of their shapes, so the crawl reaches their forms.
    paid = paying[-1]
    paid_payment = (
        await db.scalars(
            select(Payment).where(
                Payment.filing_id == paid.filing.id,
                Payment.state == PaymentState.SUCCEEDED,
            )
        )
    ).one()
    proposed = Refund(
        tribunal_id=tribunal.id,
        filing_id=paid.filing.id,
        payment_id=paid_payment.id,
        amount_cents=1000,
        currency=paid_payment.currency,
        reason="Fee waiver granted after payment",
        state=RefundState.PROPOSED,
        idempotency_key=f"refund-{uuid.uuid4()}",
    )
    db.add(proposed)
    await db.commit()

    ids = {
        "tribunal": [tribunal.slug],
        "version_id": [str(version.id), str(draft_version.id)],
        "refund_id": [str(proposed.id)],
        # Within the first ten addresses of each shape: hearings' pages need the first two,
        # a payment's refund form the paid case with its payment.
        "filing_id": [
            str(heard.id),
            str(scheduled.id),
            str(paid.filing.id),
            str(paper_filing.id),
            base.rsplit("/", 1)[1],
            *(str(case.id) for case in cases),
            *(str(case.filing.id) for case in paying),
            str(owing.id),
            str(waiting_waiver.filing_id),
        ],
        "payment_id": [
            str(paid_payment.id),
            *(
                str(payment.id)
                for payment in (await db.execute(select(Payment))).scalars()
                if payment.tribunal_id == tribunal.id and payment.id != paid_payment.id
            ),
        ],
        "receipt_id": [
            str(receipt.id) for receipt in (await db.execute(select(Receipt))).scalars()
        ],
        "checkout": checkouts,
        "waiver_id": [str(waiting_waiver.id)],
        "interpreter_id": [str(interpreter.id)],
        "room_id": [str(room.id)],
        "entry_id": [str(unavailable.id)],
        "document_id": [
            str(document.id) for document in (await db.execute(select(Document))).scalars()
        ],
        "hearing_id": [
            str(hearing.id),
            str(movable_hearing.id),
            str(noticed_hearing.id),
            str(live_hearing.id),
            str(running_hearing.id),
        ],
        "decision_id": [str(decision.id) for decision in decisions],
        "feedback_id": [str(feedback.id)],
        "standard_id": [str(standard.id)],
        "quarter": quarters_of_standards,
    }
    return World(tribunal, people, ids, [str(foreign.id), str(foreign.case_type_version_id)], links)


async def service_standard(
    db: AsyncSession, tribunal: Tribunal, admin: User
) -> tuple[ServiceStandard, list[str]]:
    """A standard in force from two quarters before the current one, that earlier quarter
    published; return it and the two quarters as their addresses name them (the one to
    publish, the one to correct)."""
    current = Quarter.containing(local_today(tribunal.time_zone))
    previous, earlier = current.previous(), current.previous().previous()
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
            unit=ClockUnit.BUSINESS_DAYS,
            target_percent=80,
            effective_from=earlier.first_day,
        ),
        user=admin,
    )
    await publish_quarter(db, tribunal, earlier, user=admin)
    await db.commit()
    return made.standard, [
        f"{quarter.fiscal_year}-q{quarter.number}" for quarter in (previous, earlier)
    ]


async def mobile_numbers(db: AsyncSession, taking: User, waiting: User, confirmed: User) -> None:
    now = utcnow()
    db.add_all(
        [
            MobileNumber(
                user_id=taking.id, number="+16135550123", confirmed_at=now, consented_at=now
            ),
            MobileNumber(
                user_id=waiting.id,
                number="+15145550199",
                code_hash="0" * 64,
                code_sent_at=now,
                code_expires_at=now + timedelta(minutes=10),
            ),
            MobileNumber(user_id=confirmed.id, number="+14165550177", confirmed_at=now),
        ]
    )
    await db.commit()


async def cases_paying_their_fee(
    db: AsyncSession, claimant: User, client: httpx.AsyncClient, tribunal: Tribunal
) -> tuple[list[ChargedCase], list[str]]:
    """Three cases of the claimant owing a fee, paid by card on the sandbox's page: one left
    open there, one at the bank's confirmation step, one paid. Return them and the ids of
    their sandbox checkouts."""
    fee_cases = [await make_charged_case(db, tribunal, filer=claimant) for _ in range(3)]
    checkouts = []
    for case, card in zip(fee_cases, (None, "4000002760003184", "4242424242424242"), strict=True):
        page = f"/{tribunal.slug}/cases/{case.filing.id}/fee"
        started = await post_form(client, f"{page}/pay", {}, page=page)
        assert started.status_code == 303, started.text
        hosted = urlsplit(started.headers["location"]).path
        checkouts.append(hosted.rsplit("/", 1)[1])
        if card is not None:
            fields = {"card_number": card, "expiry": "12/39", "security_code": "123"}
            paid = await post_form(client, hosted, {**fields, "name": "Jane Doe"}, page=hosted)
            assert paid.status_code == 303, paid.text
            returned = await client.get(paid.headers["location"])
            assert returned.status_code in (200, 303), returned.text
    return fee_cases, checkouts


async def fee_cases(
    db: AsyncSession, tribunal: Tribunal, claimant: User
) -> tuple[Filing, FeeWaiver]:
    """Two cases of the claimant charged a $50.00 fee (reduced $10.00): one owing it, one
    whose fee waiver waits for the registry's decision."""
    version = await make_fee_case_type(db, tribunal)
    await make_fee(db, tribunal, version, amount_cents=5000, reduced_amount_cents=1000)
    charged = []
    for _ in range(2):
        case = await make_case(db, tribunal, filer=claimant, version=version)
        charge = await fee_services.assess(db, tribunal, case, version)
        assert isinstance(charge, FeeCharge)
        charged.append((case, charge))
    case, charge = charged[1]
    waiver = FeeWaiver(
        tribunal_id=tribunal.id,
        filing_id=case.id,
        charge_id=charge.id,
        requested_by_id=claimant.id,
        household_size=3,
        household_income_cents=9000000,
        receives_assistance=False,
        declared_at=utcnow(),
        state=WaiverState.REQUESTED,
    )
    db.add(waiver)
    await db.commit()
    return charged[0][0], waiver


async def case_awaiting_its_outcome(
    app: Starlette, db: AsyncSession, tribunal: Tribunal, adjudicator: User, claimant: User
) -> tuple[Filing, Hearing, list[HearingDecision]]:
    """A scheduled case of the claimant whose hearing started two hours ago, its outcome not
    yet recorded, with an issued interim order (to correct) and a draft decision (to issue)."""
    case = await make_case(db, tribunal, filer=claimant, status=FilingStatus.SCHEDULED)
    case.assigned_adjudicator_id = adjudicator.id
    start = utcnow().replace(second=0, microsecond=0) - timedelta(hours=2)
    hearing = Hearing(
        tribunal_id=tribunal.id,
        filing_id=case.id,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        mode=HearingMode.VIDEO,
        adjudicator_id=adjudicator.id,
        status=HearingStatus.SCHEDULED,
        sequence=0,
    )
    hearing.calendar_uid = f"hearing-{hearing.id}@tribune"
    db.add(hearing)
    decisions: list[HearingDecision] = []
    for kind, status in (
        (DecisionKind.DECISION, DecisionStatus.DRAFT),
        (DecisionKind.INTERIM_ORDER, DecisionStatus.ISSUED),
    ):
        content = pdf_bytes(pages=len(decisions) + 1)
        key = new_object_key()
        await app.state.storage.put(key, content)
        decision = HearingDecision(
            tribunal_id=tribunal.id,
            filing_id=case.id,
            kind=kind,
            status=status,
            storage_key=key,
            filename=f"{kind.value}.pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            file_kind="pdf",
            summary="What was decided, in short.",
            language="en",
            issued_at=utcnow() if status is DecisionStatus.ISSUED else None,
        )
        db.add(decision)
        decisions.append(decision)
    await db.commit()
    return case, hearing, decisions


# -- reading pages ------------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # the input's type, or select, textarea, button
    values: list[str]  # what the page offers or shows


@dataclass
class FormSeen:
    method: str
    action: str
    multipart: bool
    fields: list[Field]


class PageParser(HTMLParser):
    """The forms (with their fields) and the links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[FormSeen] = []
        self.links: list[str] = []
        self._form: FormSeen | None = None
        self._select: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = FormSeen(
                (a.get("method") or "get").upper(),
                a.get("action", ""),
                a.get("enctype", "") == "multipart/form-data",
                [],
            )
            self.forms.append(self._form)
        elif self._form is not None and a.get("name"):
            if tag in ("input", "button"):
                kind = a.get("type", "text" if tag == "input" else "submit")
                self._add(a["name"], kind, a.get("value", ""))
            elif tag == "textarea":
                self._add(a["name"], "textarea", "")
            elif tag == "select":
                self._select = self._add(a["name"], "select", None)
        if tag == "option" and self._select is not None:
            self._select.values.append(a.get("value", ""))

    def _add(self, name: str, kind: str, value: str | None) -> Field:
        assert self._form is not None
        for known in self._form.fields:
            if known.name == name:
                if value is not None and value not in known.values:
                    known.values.append(value)
                return known
        added = Field(name, kind, [] if value is None else [value])
        self._form.fields.append(added)
        return added

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


# -- crawling -----------------------------------------------------------------------------------


@dataclass
class Target:
    route: RouteInfo
    method: str
    url: str  # path only; a GET target's fields go in the query string
    fields: list[Field]
    multipart: bool
    person: Person
    found_on: str

    @property
    def key(self) -> tuple[str, str, frozenset[str]]:
        return (self.route.path, self.method, frozenset(f.name for f in self.fields))

    def __str__(self) -> str:
        return f"{self.method} {self.url} as {self.person.name} (form on {self.found_on})"


class RouteTable:
    def __init__(self, app: Starlette, tribunal: Tribunal) -> None:
        self.routes = all_routes(app)
        self.tribunal = tribunal
        self._patterns = [(compile_path(info.path)[0], info) for info in self.routes]

    def route_of(self, path: str) -> RouteInfo | None:
        """Return the route that serves a path of this world, or None (another site, static)."""
        for pattern, info in self._patterns:
            matched = pattern.match(path)
            if matched:
                slug = matched.groupdict().get("tribunal")
                return info if slug in (None, self.tribunal.slug) else None
        return None

    def shape_of(self, url: str) -> tuple[str, ...]:
        """Return what sets a page apart from others of its route but the ids and days it is
        about."""
        parts = urlsplit(url)
        for pattern, info in self._patterns:
            matched = pattern.match(parts.path)
            if matched:
                names = sorted(name for name, _ in parse_qsl(parts.query, keep_blank_values=True))
                params = [
                    f"{name}={value}"
                    for name, value in matched.groupdict().items()
                    if not (UUID.fullmatch(value) or DAY.fullmatch(value))
                ]
                return (info.path, *params, "?", *names)
        return (parts.path,)

    def seeds(self, ids: dict[str, list[str]], person: Person) -> list[str]:
        """Return the address of every page for the person whose path parameters the world has
        values for: a visitor's are the public ones, only staff's are the staff ones."""
        urls = []
        for info in self.routes:
            permission = getattr(info.route, "permission", None)
            if "GET" not in info.methods or (
                permission not in (None, Permission.PUBLIC, Permission.SIGNED_IN)
                and not person.staff
            ):
                continue
            if permission is Permission.SIGNED_IN and person.name == "visitor":
                continue
            names = re.findall(r"\{(\w+)(?::\w+)?\}", info.path)
            if any(name not in ids for name in names):
                continue
            for values in itertools.product(*(ids[name] for name in names)):
                url = info.path
                for name, value in zip(names, values, strict=True):
                    url = re.sub(rf"\{{{name}(?::\w+)?\}}", value, url)
                urls.append(url)
        return urls


async def outbox_links(db: AsyncSession) -> list[str]:
    bodies = (await db.execute(OutboxMessage.__table__.select())).mappings()
    links = []
    for row in bodies:
        links += [match.group(1) for match in re.finditer(r"https?://[^/\s]+(/\S*)", row["body"])]
    await db.commit()
    return links


async def crawl(
    table: RouteTable, person: Person, seeds: list[str], reached: set[str]
) -> list[Target]:
    """Visit every page the person can reach from the seeds; return the forms and query
    links found on them."""
    queue = list(dict.fromkeys(seeds))
    seen: set[str] = set(queue)
    per_shape: dict[tuple[str, ...], int] = {}
    targets: list[Target] = []
    visited = 0
    while queue and visited < PAGES_PER_PERSON:
        url = queue.pop(0)
        route = table.route_of(urlsplit(url).path)
        if route is None or "GET" not in route.methods:
            continue
        shape = table.shape_of(url)
        per_shape[shape] = per_shape.get(shape, 0) + 1
        if per_shape[shape] > URLS_PER_SHAPE:
            continue
        visited += 1
        response = await person.client.get(url)
        assert response.status_code < 500, f"GET {url} as {person.name}: {response.status_code}"
        reached.add(route.path)
        # An address typed or emailed is a link to itself, for whoever may see its page.
        found: list[str] = [url] if response.status_code == 200 else []
        if response.is_redirect:
            found.append(response.headers["location"])
        if response.status_code == 200 and response.headers.get("content-type", "").startswith(
            "text/html"
        ):
            parser = PageParser()
            parser.feed(response.text)
            found += parser.links
            for form in parser.forms:
                action = urljoin(url, html.unescape(form.action) or url)
                found.append(action)
                parts = urlsplit(action)
                form_route = table.route_of(parts.path)
                if form_route is None:
                    continue
                fields = form.fields
                if form.method == "GET" and parts.query:
                    fields = [*fields, *query_fields(parts.query)]
                targets.append(
                    Target(form_route, form.method, parts.path, fields, form.multipart, person, url)
                )
        for link in found:
            parts = urlsplit(urljoin(url, link))
            link_route = table.route_of(parts.path)
            if parts.query and link_route is not None and "GET" in link_route.methods:
                targets.append(
                    Target(
                        link_route,
                        "GET",
                        parts.path,
                        query_fields(parts.query),
                        False,
                        person,
                        url,
                    )
                )
        for link in found:
            absolute = urljoin(url, link)
            parts = urlsplit(absolute)
            if parts.netloc not in ("", "testserver") or parts.path.startswith("/static"):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in seen:
                seen.add(local)
                queue.append(local)
    return targets


def query_fields(query: str) -> list[Field]:
    fields: dict[str, Field] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        fields.setdefault(name, Field(name, "query", [])).values.append(value)
    return list(fields.values())


# -- hostile values -----------------------------------------------------------------------------

NUMBERS = ["-1", "0", "-0", "1" + "0" * 30, "-" + "9" * 40, "1e309", "-1e309", "NaN", "inf"]
NUMBERS += ["0x1f", "1_000", "１２", "٣", "2.5", " 7 ", "+3", "99999999999999999999"]
DATES = ["0001-01-01", "9999-12-31", "2026-02-30", "10000-01-01", "-2026-01-01", "2026-13-01"]
DATES += ["0000-00-00", "2026-1-1", "1899-12-31", "2200-01-01", "20260101", "2026-02-29T25:61"]
CONTROLS = ["\x00", "a\x00b", "\r\n", "Jane\r\nBcc: x@example.org", "\x85", "\x9b", "\x1b[31m"]
CONTROLS += ["\u202e", "abc\u202edef", "\u200b", "\ufeff", "\u2028", "\u00ad", "\t", "\x7f"]
ODD = ["", " ", "%", "_", "\\", "%00", "../../etc/passwd", "<script>x</script>", "' OR 1=1 --"]
ODD += ["%(n)s", "{0}", "{{ 7*7 }}", "null", "true", "[]", "none", "ÉCOLE", "ß", "İ", "🙂"]
# Byte sequences that are not UTF-8: a lone surrogate (as CESU-8 writes it), an overlong
# slash, a truncated sequence, bytes that never start one.
INVALID_UTF8 = [b"\xed\xa0\x80", b"\xc0\xaf", b"\xc3", b"\xff\xfe", b"a\x80b", b"\xf8\x88\x80\x80"]
LONG_UNITS = ["x", "9", "é", "\u202e", "a\r\n", "\x00", "1-", "%"]


def as_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def long_values(sizes: list[int]) -> st.SearchStrategy[bytes]:
    def repeat(unit: str, size: int) -> bytes:
        encoded = as_bytes(unit)
        return encoded * max(1, size // len(encoded))

    return st.builds(repeat, st.sampled_from(LONG_UNITS), st.sampled_from(sizes))


# A body's values go up to 100 KB; a query string's stay within the 8 KB of a request line
# that servers and proxies accept (a longer one never reaches the app).
BODY_VALUE_SIZES = [501, 5_001, 100_000]
QUERY_VALUE_SIZES = [501, 2_001]


def hostile_values(world: World, sizes: list[int] = BODY_VALUE_SIZES) -> st.SearchStrategy[bytes]:
    ids = [value for values in world.ids.values() for value in values] + world.foreign_ids
    texts: st.SearchStrategy[str] = st.one_of(
        st.sampled_from(NUMBERS + DATES + CONTROLS + ODD + ids),
        st.uuids().map(str),
        st.text(max_size=30),
    )
    return st.one_of(
        texts.map(as_bytes),
        st.sampled_from(INVALID_UTF8),
        st.binary(max_size=12),
        long_values(sizes),
    )


# Moments at the ends of the calendar, most with an offset: moved to UTC, they fall off it.
EDGE_MOMENTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z"]
EDGE_MOMENTS += ["9999-12-31T23:59:59.999999+00:00", "2026-02-30T00:00:00+00:00", "0001-01-01"]
MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:[+-]\d{2}:\d{2}|Z)?)?")
HEX_ID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
DIGITS = re.compile(r"\d+")


def decoded_token(value: str) -> str | None:
    """Return the text an opaque token is the base64 of, or None if it is not one."""
    try:
        decoded = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except ValueError:
        return None
    return decoded if len(value) >= 8 and decoded.isprintable() else None


def is_structured(found: Field) -> bool:
    """Return whether a field carries a moment, an id or a token: what a forger alters."""
    return any(
        MOMENT.search(value) or HEX_ID.search(value) or decoded_token(value)
        for value in found.values
    )


@st.composite
def altered(draw: st.DrawFn, valid: str, world: World) -> str:
    """Return a valid value with its parts replaced as a forger would: its dates by edge ones,
    its ids by others, its numbers by huge or negative ones; inside an opaque token too, when
    it is base64 of text (a page cursor)."""
    ids = [*world.foreign_ids, str(uuid.UUID(int=0))]
    text = decoded_token(valid) or valid
    # Moments first: an id or a number inside one is what the other patterns would find.
    for pattern, replacements in (
        (MOMENT, EDGE_MOMENTS),
        (HEX_ID, ids + [i.replace("-", "") for i in ids]),
        (DIGITS, NUMBERS),
    ):
        if pattern.search(text) and draw(st.integers(0, 3)) > 0:
            return replace_part(valid, pattern, draw(st.sampled_from(replacements)))
    return valid


def replace_part(valid: str, pattern: re.Pattern[str], replacement: str) -> str:
    """Return the value with the first match of the pattern replaced, inside the text of a
    base64 token if it is one (and encoded again)."""
    inner = decoded_token(valid)
    text = pattern.sub(lambda _: replacement, inner or valid, count=1)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=") if inner else text


def sharpest_values(valid: str, world: World) -> list[str]:
    """Return the valid value with its moment moved to each end of the calendar and its id
    made another tribunal's: tried on every structured field, whatever Hypothesis draws."""
    text = decoded_token(valid) or valid
    values = []
    if MOMENT.search(text):
        values += [replace_part(valid, MOMENT, moment) for moment in EDGE_MOMENTS[:2]]
    if HEX_ID.search(text):
        values.append(replace_part(valid, HEX_ID, world.foreign_ids[0]))
    return values


# What a person types in an empty field, guessed from its name, or else from its type.
TYPED_BY_NAME = [
    ("email", "jane@example.org"),
    ("phone", "416 555 0199"),
    ("postal", "M5V 2T6"),
    ("day", "15"),
    ("month", "1"),
    ("year", "2026"),
    ("date", "2026-01-15"),
]
TYPED_BY_TYPE = {"email": "jane@example.org", "date": "2026-01-15", "number": "3"}


def valid_values(found: Field) -> list[str]:
    """Return what a person would send in the field: what the page offers, or else a guess
    (or nothing, which an optional field takes)."""
    values = [value for value in found.values if value]
    if values:
        return values
    name = found.name.lower()
    typed = next((value for hint, value in TYPED_BY_NAME if hint in name), None)
    return [typed or TYPED_BY_TYPE.get(found.kind, "Jane Doe"), ""]


@st.composite
def form_pairs(draw: st.DrawFn, target: Target, world: World) -> list[tuple[bytes, bytes]]:
    """Return the (name, value) pairs of one submission: each field kept valid, made hostile,
    left out or repeated; sometimes an unknown field too."""
    hostile = hostile_values(
        world, QUERY_VALUE_SIZES if target.method == "GET" else BODY_VALUE_SIZES
    )
    pairs: list[tuple[bytes, bytes]] = []
    fields = [f for f in target.fields if f.name != CSRF_FIELD and f.kind != "file"]
    # Half the time one field alone is hostile, so the others pass and it goes deepest; the
    # fields carrying moments, ids or tokens (cursors) are picked as often as the rest together.
    structured = [f for f in fields if is_structured(f)]
    alone: Field | None = None
    if draw(st.booleans()) and fields:
        among_structured: bool = draw(st.booleans())
        alone = draw(st.sampled_from(structured if structured and among_structured else fields))
    for found in fields:
        name = as_bytes(found.name)
        valid = st.sampled_from(valid_values(found)).map(as_bytes)
        if alone is None:
            how = draw(
                st.sampled_from(["valid", "hostile", "appended", "altered", "gone", "twice"])
            )
        elif found is alone and found in structured:
            how = draw(st.sampled_from(["hostile", "altered", "altered", "altered", "twice"]))
        elif found is alone:
            how = draw(st.sampled_from(["hostile", "appended", "altered", "gone", "twice"]))
        else:
            how = "valid"
        if how == "valid":
            pairs.append((name, draw(valid)))
        elif how == "hostile":
            pairs.append((name, draw(hostile)))
        elif how == "appended":
            pairs.append((name, draw(valid) + draw(hostile)))
        elif how == "altered":
            pairs.append(
                (name, as_bytes(draw(altered(draw(st.sampled_from(valid_values(found))), world))))
            )
        elif how == "twice":
            pairs += [
                (name, draw(st.one_of(valid, hostile))) for _ in range(draw(st.integers(2, 3)))
            ]
    if draw(st.integers(0, 4)) == 0:
        pairs.append((draw(hostile.filter(lambda b: len(b) < 1000)), draw(hostile)))
    return draw(st.permutations(pairs)) if len(pairs) < 8 else pairs


def urlencode(pairs: Iterable[tuple[bytes, bytes]]) -> bytes:
    return b"&".join(
        quote_from_bytes(name, safe="").encode() + b"=" + quote_from_bytes(value, safe="").encode()
        for name, value in pairs
    )


BOUNDARY = "hostile-boundary-7c1e"


def multipart(
    pairs: Iterable[tuple[bytes, bytes]],
    files: Iterable[tuple[bytes, bytes | None, bytes, bytes]] = (),
) -> bytes:
    """Return a multipart body of the fields, then the files (field, filename or None for
    none, content type, content), written byte for byte as given."""
    body = b""
    for name, value in pairs:
        body += b"--" + BOUNDARY.encode() + b"\r\n"
        body += b'Content-Disposition: form-data; name="' + name + b'"\r\n\r\n' + value + b"\r\n"
    for name, filename, content_type, content in files:
        body += b"--" + BOUNDARY.encode() + b"\r\n"
        body += b'Content-Disposition: form-data; name="' + name + b'"'
        if filename is not None:
            body += b'; filename="' + filename + b'"'
        body += b"\r\nContent-Type: " + content_type + b"\r\n\r\n" + content + b"\r\n"
    return body + b"--" + BOUNDARY.encode() + b"--\r\n"


class Sent:
    """One hostile request, as sent; shown shortened (a body can be 100 KB)."""

    def __init__(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def __repr__(self) -> str:
        body = self.body if len(self.body) <= 300 else self.body[:300] + b"..."
        return f"{self.method} {self.url[:300]} {self.headers} {body!r} ({len(self.body)} bytes)"


def explicit_requests(target: Target, world: World) -> list[Sent]:
    """Return the requests sent whatever Hypothesis draws: each structured field (a cursor,
    an id) at its sharpest, the other fields valid."""
    fields = [f for f in target.fields if f.name != CSRF_FIELD and f.kind != "file"]
    valid = {f.name: valid_values(f)[0] for f in fields}
    requests = []
    for found in fields:
        for value in sharpest_values(valid[found.name], world):
            pairs = [
                (as_bytes(name), as_bytes(value if name == found.name else v))
                for name, v in valid.items()
            ]
            headers = {CSRF_HEADER: target.person.token}
            if target.method == "GET":
                requests.append(
                    Sent("GET", f"{target.url}?{urlencode(pairs).decode()}", headers, b"")
                )
            elif not target.multipart:
                headers["content-type"] = "application/x-www-form-urlencoded"
                requests.append(Sent(target.method, target.url, headers, urlencode(pairs)))
    return requests


@st.composite
def requests_for(draw: st.DrawFn, target: Target, world: World) -> Sent:
    pairs = draw(form_pairs(target, world))
    headers = {CSRF_HEADER: target.person.token}
    if target.method == "GET":
        return Sent("GET", f"{target.url}?{urlencode(pairs).decode()}", headers, b"")
    files = [f for f in target.fields if f.kind == "file"]
    encoding = draw(
        st.sampled_from(
            ["multipart"]
            if files or target.multipart
            else ["urlencoded"] * 3 + ["multipart", "raw"]
        )
    )
    if encoding == "urlencoded":
        headers["content-type"] = "application/x-www-form-urlencoded"
        return Sent(target.method, target.url, headers, urlencode(pairs))
    if encoding == "raw":
        # Not percent-encoded at all: the bytes as they came.
        headers["content-type"] = "application/x-www-form-urlencoded"
        return Sent(target.method, target.url, headers, b"&".join(n + b"=" + v for n, v in pairs))
    sent_files = []
    for found in files:
        for _ in range(draw(st.integers(0, 2))):
            filename = draw(
                st.one_of(
                    st.none(),
                    st.sampled_from([b"letter.pdf", b"../../x.pdf", b"a\x00.pdf", b"\xff.pdf"]),
                    hostile_values(world).filter(lambda b: len(b) < 6000),
                )
            )
            content_type = draw(
                st.sampled_from([b"application/pdf", b"text/plain", b"", b"\xff/\x00"])
            )
            content = draw(st.sampled_from([pdf_bytes(), b"%PDF-1.4 broken", b"", b"\x00" * 100]))
            sent_files.append((as_bytes(found.name), filename, content_type, content))
    token_first = [(as_bytes(CSRF_FIELD), as_bytes(target.person.token))]
    body = multipart(token_first + pairs, sent_files)
    boundary = draw(st.sampled_from([BOUNDARY] * 6 + ["", "other", BOUNDARY + '"; x="']))
    if draw(st.integers(0, 5)) == 0:
        body = draw(
            st.sampled_from(
                [
                    body[: len(body) // 2],  # cut off
                    body.replace(b"\r\n\r\n", b"\r\nX-Padding: " + b"h" * 200_000 + b"\r\n\r\n", 1),
                    body.replace(b"Content-Disposition", b"Content-Dispositio", 1),
                    body.replace(b'; name="', b"; name=", 1),
                ]
            )
        )
    headers["content-type"] = (
        f"multipart/form-data; boundary={boundary}" if boundary else "multipart/form-data"
    )
    return Sent(target.method, target.url, headers, body)


# -- the test -----------------------------------------------------------------------------------


def check_answer(sent: Sent, response: httpx.Response) -> None:
    assert response.status_code < 500, f"{response.status_code} for {sent!r}"
    if response.status_code == 422:
        assert ERROR_SUMMARY in response.text, f"422 without an error summary for {sent!r}"


async def send(person: Person, connection: AsyncConnection, sent: Sent) -> None:
    """Send one request from a fresh copy of the person's session; undo whatever it did."""
    savepoint = await connection.begin_nested()
    person.requests_sent += 1
    person.client.cookies.clear()
    person.client.cookies.update(person.cookies)
    try:
        try:
            response = await person.client.request(
                sent.method, sent.url, headers=sent.headers, content=sent.body or None
            )
        except AssertionError:
            raise
        except Exception as error:  # an exception out of the app is the 500 a visitor would see
            raise AssertionError(f"{error!r} for {sent!r}") from error
        check_answer(sent, response)
    finally:
        if savepoint.is_active:
            await savepoint.rollback()


def fuzz(target: Target, world: World, connection: AsyncConnection) -> None:
    """Run Hypothesis on one target, from a worker thread: each request runs on the event loop."""

    @settings(
        max_examples=EXAMPLES_PER_TARGET,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(requests_for(target, world))
    def hostile_request(sent: Sent) -> None:
        anyio.from_thread.run(send, target.person, connection, sent)

    for sent in explicit_requests(target, world):
        hostile_request = example(sent)(hostile_request)
    hostile_request()


async def test_no_form_answers_500_to_hostile_values(
    app: Starlette, db: AsyncSession, connection: AsyncConnection
) -> None:
    started = time.monotonic()
    world = await build_world(app, db)
    table = RouteTable(app, world.tribunal)
    emailed = await outbox_links(db) + world.links

    reached: set[str] = set()
    targets: dict[tuple[str, str, frozenset[str]], Target] = {}
    for person in world.people:
        person.token = await csrf_token(person.client, "/privacy")
        person.cookies = dict(person.client.cookies)
        seeds = table.seeds(world.ids, person) + emailed
        for target in await crawl(table, person, seeds, reached):
            targets.setdefault(target.key, target)
        await db.commit()

    unreached = [
        info.path for info in table.routes if "GET" in info.methods and info.path not in reached
    ]
    covered = {(target.route.path, target.method) for target in targets.values()}
    formless = [
        f"{method} {info.path}"
        for info in table.routes
        for method in info.unsafe_methods
        # A signed webhook takes a machine's JSON, not a form: test_route_table's (h) and its
        # own tests send it the hostile bodies.
        if (info.path, method) not in covered and not info.signed_webhook
    ]
    assert (unreached, formless) == ([], []), (
        "pages the crawl never reached, and routes no page offers a form for:"
        " give the world what they need"
    )

    failures = []
    for target in targets.values():
        try:
            await anyio.to_thread.run_sync(fuzz, target, world, connection)
        except AssertionError as error:
            failures.append(f"{target}:\n  {str(error)[:2000]}")
    for person in world.people:
        await person.client.aclose()
    print(
        f"{len(targets)} targets on {len(covered)} unsafe route methods and the query strings"
        f" of {len({t.route.path for t in targets.values() if t.method == 'GET'})} pages,"
        f" {sum(p.requests_sent for p in world.people)} hostile requests,"
        f" {time.monotonic() - started:.1f} s"
    )
    assert failures == [], "\n\n".join(failures)
