"""Who reaches which docket and case page: an explicit matrix, checked person by person.

One scene in tribunal A: a submitted case whose claimant, authorised representative and
respondent joined it, a representative whose authorisation was withdrawn, a document, a
hearing of the case whose time has passed, awaiting its outcome from the adjudicator, a
draft decision and an issued one, a paper filing (for the access letter), and another
person's case; tribunal B has its own clerk. Every GET route under the prefixes below is
asked by every person, and every POST route by every person who must not reach it (with a
valid CSRF token, so that the refusal is the authorisation's), with nothing changed. A
route added under these prefixes without a line in the matrix fails the completeness test.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from accounts.models import User
from filings.models import (
    CaseParty,
    CaseResponse,
    CaseTypeVersion,
    Document,
    Filing,
    FilingStatus,
    PartyRole,
)
from hearings.models import (
    DecisionKind,
    DecisionStatus,
    Hearing,
    HearingDecision,
    HearingMode,
    HearingStatus,
    PartyUnavailability,
)
from payments.models import Fee, FeeCharge, Payment, PaymentMethod, PaymentState
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import csrf_token, sign_in
from tests.security.test_route_table import RouteInfo, all_routes
from tribunals.models import Membership, Role, Tribunal
from tribune.app import metadata
from tribune.db import utcnow
from tribune.storage.base import new_object_key

PREFIXES = (
    "/staff/docket",
    "/staff/cases",
    "/staff/audit",
    "/staff/paper-filings",
    "/cases",
    "/documents",
    "/join",
    "/claim",
)

PERSONS = (
    "anonymous",
    "claimant",
    "non-party claimant",
    "representative",
    "withdrawn representative",
    "respondent",
    "clerk",
    "adjudicator",
    "admin",
    "clerk of B",
)
SIGNED_IN = PERSONS[1:]
PARTIES = ("claimant", "representative", "respondent")
STAFF = ("clerk", "adjudicator", "admin")
REGISTRY = ("clerk", "admin")

SIGN_IN = 303  # the visitor is sent to /sign-in?next=...


def rule(allowed: tuple[str, ...] = (), **others: int) -> dict[str, int]:
    """Return a full row: 200 for `allowed`, the given status for `others` (by person, with
    spaces as underscores), sign-in for the visitor, 404 for everyone else signed in."""
    row = {person: 404 for person in SIGNED_IN}
    row["anonymous"] = SIGN_IN
    row.update(dict.fromkeys(allowed, 200))
    row.update({name.replace("_", " "): status for name, status in others.items()})
    assert set(row) == set(PERSONS), others
    return row


# What each person gets from each page (GET).
GET_MATRIX: dict[str, dict[str, int]] = {
    # Staff pages: the tribunal's own staff only.
    "/{tribunal}/staff/docket": rule(STAFF),
    "/{tribunal}/staff/docket.csv": rule(STAFF),
    "/{tribunal}/staff/cases/{filing_id:uuid}": rule(STAFF),
    "/{tribunal}/staff/cases/{filing_id:uuid}/respondents/new": rule(REGISTRY),
    "/{tribunal}/staff/cases/{filing_id:uuid}/letter": rule(REGISTRY),  # of the paper filing
    "/{tribunal}/staff/paper-filings/new": rule(REGISTRY),
    "/{tribunal}/staff/cases/{filing_id:uuid}/payments/new": rule(REGISTRY),
    "/{tribunal}/staff/cases/{filing_id:uuid}/payments/{payment_id:uuid}/refund": rule(REGISTRY),
    "/{tribunal}/staff/audit": rule(("admin",)),
    "/{tribunal}/staff/audit.csv": rule(("admin",)),
    # A hearing's notices (each participant's last one) and a participant's printable notice.
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/notices": rule(STAFF),
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/notice": rule(STAFF),
    # The hearing's outcome: its adjudicator, or the registry on their behalf.
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/outcome": rule(STAFF),
    # Decisions: the case's adjudicator or the registry; a submitted case has none to take.
    "/{tribunal}/staff/cases/{filing_id:uuid}/decisions/new": rule(
        clerk=409, adjudicator=409, admin=409
    ),
    # {decision_id} is the issued decision for a correction, the draft to issue or read.
    "/{tribunal}/staff/cases/{filing_id:uuid}/decisions/{decision_id:uuid}/correct": rule(STAFF),
    "/{tribunal}/staff/cases/{filing_id:uuid}/decisions/{decision_id:uuid}/issue": rule(STAFF),
    "/{tribunal}/staff/cases/{filing_id:uuid}/decisions/{decision_id:uuid}/file": rule(STAFF),
    # The issued decision, for the case's parties (never a draft: see tests/hearings).
    "/{tribunal}/cases/{filing_id:uuid}/decisions/{decision_id:uuid}/file": rule(PARTIES),
    # Booking, moving, adjourning and cancelling a hearing: the registry (of an accepted case,
    # and of a scheduled hearing).
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/new": rule(REGISTRY),
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/reschedule": rule(
        REGISTRY
    ),
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/adjourn": rule(REGISTRY),
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/cancel": rule(REGISTRY),
    # The case as its parties see it: not staff (they have their own page), not a
    # representative once the claimant withdrew the authorisation.
    "/{tribunal}/cases/{filing_id:uuid}": rule(PARTIES),
    # The filer's own confirmation, and the staff access list shown to the filer only.
    "/{tribunal}/cases/{filing_id:uuid}/confirmation": rule(("claimant",)),
    "/{tribunal}/cases/{filing_id:uuid}/access": rule(("claimant",)),
    # Withdrawing the case: the claimant's side; a respondent reaches the page but is refused.
    "/{tribunal}/cases/{filing_id:uuid}/transitions/{name}": rule(
        ("claimant", "representative"), respondent=409
    ),
    # Each party (claimant, respondent) manages their own representatives, not through one:
    # {party_id} is the claimant's representative, out of the respondent's reach.
    "/{tribunal}/cases/{filing_id:uuid}/representatives/new": rule(("claimant", "respondent")),
    "/{tribunal}/cases/{filing_id:uuid}/representatives/{party_id:uuid}/withdraw": rule(
        ("claimant",)
    ),
    # The respondent (or their representative) files the response.
    "/{tribunal}/cases/{filing_id:uuid}/response": rule(("respondent",)),
    "/{tribunal}/cases/{filing_id:uuid}/response/check": rule(("respondent",)),
    # The dates a party cannot attend: each party, a representative for the party they act
    # for (the case is not awaiting a hearing: the page says so, without its form).
    "/{tribunal}/cases/{filing_id:uuid}/unavailable-dates": rule(PARTIES),
    # The notice of hearing and its calendar file: the parties, as the case page.
    "/{tribunal}/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/notice": rule(PARTIES),
    "/{tribunal}/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/invite.ics": rule(PARTIES),
    # Documents: the tribunal's staff and the case's parties.
    "/{tribunal}/documents/{document_id:uuid}": rule(PARTIES + STAFF),
    # Anyone signed in may enter a code.
    "/{tribunal}/join": rule(SIGNED_IN),
    "/{tribunal}/claim": rule(SIGNED_IN),
    # The fee page: whoever pays the claimant's fee (its balance, the choices).
    "/{tribunal}/cases/{filing_id:uuid}/fee": rule(("claimant", "representative")),
    # A fee waiver: the claimant's side (the case's fee is paid: the page says so).
    "/{tribunal}/cases/{filing_id:uuid}/fee/waiver": rule(("claimant", "representative")),
}

# Who must not reach each form (POST), and what they get. A 200 here means "may post": those
# people are not posted as (their own tests cover what a successful post does).
POST_REFUSED: dict[str, dict[str, int]] = {
    "/{tribunal}/staff/cases/{filing_id:uuid}/notes": rule(STAFF),
    # An adjudicator reaches it and is refused with a 409 (the registry assigns).
    "/{tribunal}/staff/cases/{filing_id:uuid}/assign": rule(STAFF, adjudicator=409),
    "/{tribunal}/staff/cases/{filing_id:uuid}/transitions/{name}": rule(STAFF),
    "/{tribunal}/staff/cases/{filing_id:uuid}/respondents/new": rule(REGISTRY),
    "/{tribunal}/staff/cases/{filing_id:uuid}/letter": rule(REGISTRY),
    "/{tribunal}/staff/paper-filings/new": rule(REGISTRY),
    "/{tribunal}/staff/cases/{filing_id:uuid}/payments/new": rule(REGISTRY),
    "/{tribunal}/staff/cases/{filing_id:uuid}/payments/{payment_id:uuid}/refund": rule(REGISTRY),
    # Resending a notice of hearing: the registry (an adjudicator does not reach it).
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/resend": rule(REGISTRY),
    "/{tribunal}/staff/audit/settings": rule(("admin",)),
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/outcome": rule(STAFF),
    "/{tribunal}/staff/cases/{filing_id:uuid}/decisions/new": rule(
        clerk=409, adjudicator=409, admin=409
    ),
    "/{tribunal}/staff/cases/{filing_id:uuid}/decisions/{decision_id:uuid}/correct": rule(STAFF),
    "/{tribunal}/staff/cases/{filing_id:uuid}/decisions/{decision_id:uuid}/issue": rule(STAFF),
    "/{tribunal}/staff/cases/{filing_id:uuid}/decisions/{decision_id:uuid}/remove": rule(STAFF),
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/new": rule(REGISTRY),
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/reschedule": rule(
        REGISTRY
    ),
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/adjourn": rule(REGISTRY),
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/cancel": rule(REGISTRY),
    "/{tribunal}/cases/{filing_id:uuid}/transitions/{name}": rule(
        ("claimant", "representative"), respondent=409
    ),
    "/{tribunal}/cases/{filing_id:uuid}/representatives/new": rule(("claimant", "respondent")),
    "/{tribunal}/cases/{filing_id:uuid}/representatives/{party_id:uuid}/invite": rule(
        ("claimant",)
    ),
    "/{tribunal}/cases/{filing_id:uuid}/representatives/{party_id:uuid}/withdraw": rule(
        ("claimant",)
    ),
    "/{tribunal}/cases/{filing_id:uuid}/response": rule(("respondent",)),
    "/{tribunal}/cases/{filing_id:uuid}/response/check": rule(("respondent",)),
    # Paying the fee by card: whoever pays the claimant's fee.
    "/{tribunal}/cases/{filing_id:uuid}/fee/pay": rule(("claimant", "representative")),
    "/{tribunal}/cases/{filing_id:uuid}/fee/waiver": rule(("claimant", "representative")),
    "/{tribunal}/cases/{filing_id:uuid}/response/documents/{slot}/upload": rule(("respondent",)),
    # {document_id} is the claimant's document: not the respondent's to remove either.
    "/{tribunal}/cases/{filing_id:uuid}/response/documents/{document_id:uuid}/remove": rule(),
    "/{tribunal}/cases/{filing_id:uuid}/unavailable-dates": rule(PARTIES),
    # {entry_id} is the claimant's entry: the claimant's side removes it, not the respondent.
    "/{tribunal}/cases/{filing_id:uuid}/unavailable-dates/{entry_id:uuid}/remove": rule(
        ("claimant", "representative")
    ),
    "/{tribunal}/join": rule(SIGNED_IN),
    "/{tribunal}/claim": rule(SIGNED_IN),
}

# A form that would change something, were the person let through.
POST_FORMS: dict[str, dict[str, str]] = {
    "/{tribunal}/staff/cases/{filing_id:uuid}/notes": {"note": "A forged note"},
    "/{tribunal}/staff/cases/{filing_id:uuid}/transitions/{name}": {"reason-accept": "Forged"},
    "/{tribunal}/staff/cases/{filing_id:uuid}/respondents/new": {
        "kind": "person",
        "name": "Forged Respondent",
        "email": "forged-respondent@example.org",
        "language": "en",
    },
    "/{tribunal}/staff/audit/settings": {"show_access_to_parties": "no"},
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/outcome": {
        "outcome": "held",
        "sequence": "0",
    },
    "/{tribunal}/staff/cases/{filing_id:uuid}/decisions/new": {
        "kind": "interim_order",
        "summary": "A forged order",
    },
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/new": {"slot": "other", "date": "2099-01-05"}
    | {"time": "10:00", "duration": "60", "mode": "video"},
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/reschedule": {
        "reason": "Forged",
        "slot": "other",
        "date": "2099-01-05",
        "time": "10:00",
    },
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/adjourn": {
        "code": "other",
        "reason": "Forged",
    },
    "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/cancel": {
        "reason": "Forged"
    },
    "/{tribunal}/cases/{filing_id:uuid}/representatives/new": {
        "name": "Forged Representative",
        "email": "forged-rep@example.org",
        "consent": "yes",
    },
    "/{tribunal}/cases/{filing_id:uuid}/unavailable-dates": {
        "first_day-day": "1",
        "first_day-month": "6",
        "first_day-year": "2030",
        "last_day-day": "1",
        "last_day-month": "6",
        "last_day-year": "2030",
        "reason": "A forged reason",
    },
    "/{tribunal}/join": {"reference": "X-2026-000001", "code": "WRONGCODE"},
    "/{tribunal}/claim": {"reference": "X-2026-000001", "code": "WRONGCODE"},
}


RESEND = "/{tribunal}/staff/cases/{filing_id:uuid}/hearings/{hearing_id:uuid}/resend"


def covered(info: RouteInfo) -> bool:
    return info.tenant and any(info.path.startswith("/{tribunal}" + p) for p in PREFIXES)


@dataclass
class Scene:
    tribunal: Tribunal
    other_tribunal: Tribunal
    case: Filing
    paper_case: Filing
    representative_party: CaseParty
    document: Document
    people: dict[str, User | None]
    adjudicator_id: uuid.UUID
    entry_id: uuid.UUID
    claimant_party_id: uuid.UUID
    hearing: Hearing  # past, awaiting its outcome, of `case`
    draft: HearingDecision
    issued: HearingDecision
    accepted_case: Filing
    booked_hearing: Hearing  # ahead, of a case of its own: to move, adjourn or cancel
    payment_id: uuid.UUID  # `case` owes a fee, paid at the counter

    def url(self, path: str) -> str:
        staff = path.startswith("/{tribunal}/staff/")
        # A participant's printable notice names the participant in its query.
        query = f"?recipient=party-{self.claimant_party_id}" if path.endswith("/notice") else ""
        for_draft = staff and path.endswith(("/issue", "/remove", "/file"))
        hearing = self.hearing
        filing_id = self.case.id
        if path.endswith("/letter"):
            filing_id = self.paper_case.id
        elif path.endswith("/hearings/new"):
            filing_id = self.accepted_case.id
        elif path.endswith(("/reschedule", "/adjourn", "/cancel")):
            hearing = self.booked_hearing
            filing_id = hearing.filing_id
        values = {
            "tribunal": self.tribunal.slug,
            "filing_id": str(filing_id),
            "party_id": str(self.representative_party.id),
            "document_id": str(self.document.id),
            "entry_id": str(self.entry_id),
            "slot": "response_evidence",
            "hearing_id": str(hearing.id),
            "decision_id": str((self.draft if for_draft else self.issued).id),
            "name": "accept" if staff else "withdraw",
            "payment_id": str(self.payment_id),
        }

        def fill(match: re.Match[str]) -> str:
            return values[match.group(1)]

        return re.sub(r"\{(\w+)(?::\w+)?\}", fill, path) + (query if staff else "")


def party(filing: Filing, role: PartyRole, **values: Any) -> CaseParty:
    return CaseParty(
        id=uuid.uuid4(),
        tribunal_id=filing.tribunal_id,
        filing_id=filing.id,
        role=role,
        name=str(values.pop("name", "A Party")),
        email=f"{uuid.uuid4().hex[:10]}@example.org",
        **values,
    )


async def add_document(
    db: AsyncSession, app: Starlette, filing: Filing, tmp_path: Path, content: bytes
) -> Document:
    source = tmp_path / f"{uuid.uuid4().hex}.txt"
    source.write_bytes(content)
    key = new_object_key()
    await app.state.storage.put_file(key, source)
    document = Document(
        tribunal_id=filing.tribunal_id,
        filing_id=filing.id,
        slot="decision",
        storage_key=key,
        filename="decision.txt",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        kind="text",
    )
    db.add(document)
    await db.commit()
    return document


async def add_hearing_and_decisions(
    db: AsyncSession, app: Starlette, case: Filing, adjudicator: User, tmp_path: Path
) -> tuple[Hearing, HearingDecision, HearingDecision]:
    """A hearing of the case two hours ago, still awaiting its outcome from the adjudicator,
    and two decisions of it: a draft, and one issued."""
    start = utcnow().replace(second=0, microsecond=0) - timedelta(hours=2)
    hearing = Hearing(
        tribunal_id=case.tribunal_id,
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
    decisions = []
    for status, content in ((DecisionStatus.DRAFT, b"draft"), (DecisionStatus.ISSUED, b"issued")):
        source = tmp_path / f"{uuid.uuid4().hex}.pdf"
        source.write_bytes(content)
        key = new_object_key()
        await app.state.storage.put_file(key, source)
        decision = HearingDecision(
            tribunal_id=case.tribunal_id,
            filing_id=case.id,
            kind=DecisionKind.DECISION,
            status=status,
            storage_key=key,
            filename=f"{status.value}.pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            file_kind="pdf",
            summary=f"The {status.value} decision.",
            language="en",
            issued_at=utcnow() if status is DecisionStatus.ISSUED else None,
        )
        db.add(decision)
        decisions.append(decision)
    await db.commit()
    return hearing, decisions[0], decisions[1]


async def paid_fee(db: AsyncSession, case: Filing) -> uuid.UUID:
    """Charge the case a fee and record its payment at the counter; return the payment's id."""
    version = await db.get(CaseTypeVersion, case.case_type_version_id)
    assert version is not None
    fee = Fee(
        tribunal_id=case.tribunal_id,
        case_type_id=version.case_type_id,
        code="APPEAL",
        amount_cents=5000,
        reduced_amount_cents=None,
        effective_from=utcnow().date(),
    )
    charge = FeeCharge(
        tribunal_id=case.tribunal_id,
        filing_id=case.id,
        fee_id=fee.id,
        code="APPEAL",
        amount_cents=5000,
        reduced_amount_cents=None,
        currency="CAD",
        assessed_at=utcnow(),
    )
    payment = Payment(
        tribunal_id=case.tribunal_id,
        filing_id=case.id,
        charge_id=charge.id,
        amount_cents=5000,
        currency="CAD",
        provider="registry",
        method=PaymentMethod.COUNTER,
        state=PaymentState.SUCCEEDED,
        idempotency_key=f"counter-{uuid.uuid4()}",
        settled_at=utcnow(),
    )
    db.add_all([fee, charge, payment])
    await db.flush()
    return payment.id


@pytest.fixture
async def scene(db: AsyncSession, app: Starlette, tmp_path: Path) -> Scene:
    tribunal = await make_tribunal(db, show_access_to_parties=True)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    other_tribunal = await make_tribunal(db)
    clerk_b = await make_staff(db, other_tribunal, Role.CLERK)

    claimant = await make_user(db, name="Clara Claimant")
    case = await make_case(db, tribunal, filer=claimant, representative="Rita Rep")
    payment_id = await paid_fee(db, case)
    non_party = await make_user(db, name="Otto Other")
    await make_case(db, tribunal, filer=non_party, version=None)

    parties = list(
        (await db.execute(select(CaseParty).where(CaseParty.filing_id == case.id))).scalars()
    )
    claimant_party = next(p for p in parties if p.role is PartyRole.CLAIMANT)
    representative_party = next(p for p in parties if p.role is PartyRole.REPRESENTATIVE)
    assert claimant_party.user_id == claimant.id
    assert representative_party.is_authorised
    representative = await make_user(db, name="Rita Rep")
    representative_party.user_id = representative.id
    representative_party.joined_at = utcnow()

    withdrawn = await make_user(db, name="Walter Withdrawn")
    respondent = await make_user(db, name="Rory Respondent")
    db.add_all(
        [
            party(
                case,
                PartyRole.REPRESENTATIVE,
                name="Walter Withdrawn",
                user_id=withdrawn.id,
                joined_at=utcnow() - timedelta(days=3),
                represents_id=claimant_party.id,
                authorised_at=utcnow() - timedelta(days=3),
                authorisation_withdrawn_at=utcnow() - timedelta(days=1),
            ),
            respondent_party := party(
                case,
                PartyRole.RESPONDENT,
                name="Rory Respondent",
                user_id=respondent.id,
                joined_at=utcnow(),
            ),
        ]
    )
    # The respondent saved their answers: their response is a draft.
    db.add(
        CaseResponse(
            tribunal_id=tribunal.id, filing_id=case.id, party_id=respondent_party.id, answers={}
        )
    )

    document = await add_document(db, app, case, tmp_path, b"The decision under appeal.\n")
    # A day the claimant said they cannot attend.
    entry = PartyUnavailability(
        id=uuid.uuid4(),
        tribunal_id=tribunal.id,
        filing_id=case.id,
        party_id=claimant_party.id,
        first_day=utcnow().date() + timedelta(days=20),
        last_day=utcnow().date() + timedelta(days=20),
        reason="A medical appointment",
    )
    db.add(entry)
    hearing, draft, issued = await add_hearing_and_decisions(db, app, case, adjudicator, tmp_path)

    # A paper filing, entered by the clerk and not yet claimed: the access letter's case.
    paper_case = await make_case(db, tribunal, filer=clerk, name="Paul Paper")
    paper_case.entered_by_id = clerk.id
    paper_claimant = (
        await db.execute(select(CaseParty).where(CaseParty.filing_id == paper_case.id))
    ).scalar_one()
    paper_claimant.user_id = None
    paper_claimant.joined_at = None
    await db.commit()

    people: dict[str, User | None] = {
        "anonymous": None,
        "claimant": claimant,
        "non-party claimant": non_party,
        "representative": representative,
        "withdrawn representative": withdrawn,
        "respondent": respondent,
        "clerk": clerk,
        "adjudicator": adjudicator,
        "admin": admin,
        "clerk of B": clerk_b,
    }
    assert tuple(people) == PERSONS

    # An accepted case to schedule, and a scheduled one whose hearing may be moved.
    accepted_case = await make_case(db, tribunal, status=FilingStatus.ACCEPTED)
    hearing_case = await make_case(db, tribunal, status=FilingStatus.SCHEDULED)
    starts_at = utcnow().replace(microsecond=0) + timedelta(days=30)
    booked_hearing = Hearing(
        tribunal_id=tribunal.id,
        filing_id=hearing_case.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        mode=HearingMode.VIDEO,
        adjudicator_id=adjudicator.id,
        status=HearingStatus.SCHEDULED,
        calendar_uid=f"hearing-{uuid.uuid4()}@tribune",
    )
    db.add(booked_hearing)
    await db.commit()
    return Scene(
        tribunal,
        other_tribunal,
        case,
        paper_case,
        representative_party,
        document,
        people,
        adjudicator.id,
        entry.id,
        claimant_party.id,
        hearing,
        draft,
        issued,
        accepted_case,
        booked_hearing,
        payment_id,
    )


async def as_person(client: httpx.AsyncClient, scene: Scene, person: str) -> None:
    user = scene.people[person]
    if user is not None:
        await sign_in(client, user.email)


def check(response: httpx.Response, expected: int, what: str) -> str | None:
    """Return what went wrong, or None."""
    got = response.status_code
    if got != expected:
        return f"{what}: expected {expected}, got {got}"
    if expected == SIGN_IN and not response.headers["location"].startswith("/sign-in?next=%2F"):
        return f"{what}: sent to {response.headers['location']}, not to sign in"
    if expected == 404 and "Page not found" not in response.text:
        return f"{what}: a 404 without the not-found page"
    return None


# -- the matrix stays complete ---------------------------------------------------------------


def test_every_case_route_is_in_the_matrix(app: Starlette) -> None:
    routes = [info for info in all_routes(app) if covered(info)]
    gets = {info.path for info in routes if "GET" in info.methods}
    posts = {info.path for info in routes if "POST" in info.methods}
    others = {
        f"{method} {info.path}"
        for info in routes
        for method in info.methods - {"GET", "HEAD", "POST"}
    }
    assert gets == set(GET_MATRIX), "add the route to GET_MATRIX"
    assert posts == set(POST_REFUSED), "add the route to POST_REFUSED"
    assert others == set(), "add these methods to the matrix"
    assert len(routes) >= 20  # the walk found the routes


def test_every_row_names_every_person() -> None:
    for row in (*GET_MATRIX.values(), *POST_REFUSED.values()):
        assert set(row) == set(PERSONS)


# -- pages (GET) -------------------------------------------------------------------------------


@pytest.mark.parametrize("person", PERSONS)
async def test_each_page_answers_each_person_as_the_matrix_says(
    client: httpx.AsyncClient, scene: Scene, person: str
) -> None:
    await as_person(client, scene, person)
    wrong = []
    for path, row in GET_MATRIX.items():
        response = await client.get(scene.url(path))
        problem = check(response, row[person], f"GET {path} as {person}")
        if problem:
            wrong.append(problem)
    assert wrong == []


# -- forms (POST) ------------------------------------------------------------------------------


async def snapshot(db: AsyncSession, scene: Scene) -> dict[str, Any]:
    """Return what a post let through could change."""
    state: dict[str, Any] = {}
    for table in metadata.sorted_tables:
        state[table.name] = (await db.execute(select(func.count()).select_from(table))).scalar_one()
    filings = await db.execute(
        select(
            Filing.id,
            Filing.status,
            Filing.assigned_adjudicator_id,
            Filing.due_on,
            Filing.updated_at,
        ).where(Filing.tribunal_id == scene.tribunal.id)
    )
    state["filings"] = sorted(tuple(map(str, row)) for row in filings)
    parties = await db.execute(
        select(
            CaseParty.id,
            CaseParty.user_id,
            CaseParty.authorisation_withdrawn_at,
            CaseParty.access_code_hash,
            CaseParty.updated_at,
        ).where(CaseParty.tribunal_id == scene.tribunal.id)
    )
    state["parties"] = sorted(tuple(map(str, row)) for row in parties)
    state["show_access"] = (
        await db.execute(
            select(Tribunal.show_access_to_parties).where(Tribunal.id == scene.tribunal.id)
        )
    ).scalar_one()
    await db.commit()  # release the savepoint before the next request
    return state


@pytest.mark.parametrize("person", PERSONS)
async def test_forms_refuse_whoever_must_not_reach_them_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene, person: str
) -> None:
    await as_person(client, scene, person)
    token = await csrf_token(client, "/")
    forms = {
        **POST_FORMS,
        "/{tribunal}/staff/cases/{filing_id}/assign": {"adjudicator": str(scene.adjudicator_id)},
        RESEND: {"recipient": f"party-{scene.claimant_party_id}"},
    }
    wrong = []
    checked = 0
    for path, row in POST_REFUSED.items():
        expected = row[person]
        if expected == 200:
            continue
        before = await snapshot(db, scene)
        response = await client.post(
            scene.url(path), data={**forms.get(path, {}), "csrf_token": token}
        )
        problem = check(response, expected, f"POST {path} as {person}")
        if problem:
            wrong.append(problem)
        after = await snapshot(db, scene)
        if after != before:
            changed = sorted(k for k in before if before[k] != after[k])
            wrong.append(f"POST {path} as {person}: changed {changed}")
        checked += 1
    assert wrong == []
    assert checked == sum(row[person] != 200 for row in POST_REFUSED.values())


# -- another tribunal's address ---------------------------------------------------------------


async def test_another_tribunals_staff_cannot_reach_a_case_through_their_own_tribunal(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene
) -> None:
    """The ids of tribunal A's case, under tribunal B's address: nothing there for anyone."""
    clerk_b = scene.people["clerk of B"]
    assert clerk_b is not None
    for role in (Role.ADJUDICATOR, Role.ADMIN):
        db.add(Membership(tribunal_id=scene.other_tribunal.id, user_id=clerk_b.id, role=role))
    await db.commit()
    await sign_in(client, clerk_b.email)
    token = await csrf_token(client, "/")
    a_slug = f"/{scene.tribunal.slug}/"
    b_slug = f"/{scene.other_tribunal.slug}/"
    wrong = []
    for path in GET_MATRIX:
        if "{" not in path.removeprefix("/{tribunal}"):
            continue
        url = scene.url(path).replace(a_slug, b_slug, 1)
        problem = check(await client.get(url), 404, f"GET {url}")
        if problem:
            wrong.append(problem)
    forms = {
        **POST_FORMS,
        "/{tribunal}/staff/cases/{filing_id}/assign": {"adjudicator": ""},
        RESEND: {"recipient": f"party-{scene.claimant_party_id}"},
    }
    for path in POST_REFUSED:
        if "{" not in path.removeprefix("/{tribunal}"):
            continue
        before = await snapshot(db, scene)
        url = scene.url(path).replace(a_slug, b_slug, 1)
        response = await client.post(url, data={**forms.get(path, {}), "csrf_token": token})
        problem = check(response, 404, f"POST {url}")
        if problem:
            wrong.append(problem)
        if await snapshot(db, scene) != before:
            wrong.append(f"POST {url}: changed something")
    assert wrong == []


# -- a paper filing held by a clerk who left ---------------------------------------------------


async def test_a_former_clerk_no_longer_reaches_the_paper_filing_they_entered(
    client: httpx.AsyncClient, db: AsyncSession, app: Starlette, scene: Scene, tmp_path: Path
) -> None:
    clerk = scene.people["clerk"]
    assert clerk is not None
    assert scene.paper_case.filer_id == clerk.id
    document = await add_document(db, app, scene.paper_case, tmp_path, b"A paper form.\n")
    await db.execute(
        delete(Membership).where(
            Membership.user_id == clerk.id, Membership.tribunal_id == scene.tribunal.id
        )
    )
    await db.commit()
    await sign_in(client, clerk.email)
    slug = scene.tribunal.slug
    case_url = f"/{slug}/cases/{scene.paper_case.id}"
    assert (await client.get(f"/{slug}/staff/cases/{scene.paper_case.id}")).status_code == 404
    got = {
        url: (await client.get(url)).status_code
        for url in (
            case_url,
            f"{case_url}/confirmation",
            f"{case_url}/access",
            f"/{slug}/documents/{document.id}",
        )
    }
    assert got == dict.fromkeys(got, 404)


# -- bad addresses -------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["admin", "claimant"])
@pytest.mark.parametrize("bad", ["not-an-id", "random id"])
async def test_a_bad_or_unknown_id_is_not_found_never_an_error(
    client: httpx.AsyncClient, db: AsyncSession, scene: Scene, person: str, bad: str
) -> None:
    user = scene.people[person]
    assert user is not None
    if person == "admin":  # every staff permission at once
        db.add(Membership(tribunal_id=scene.tribunal.id, user_id=user.id, role=Role.CLERK))
        await db.commit()
    await sign_in(client, user.email)
    wrong = []
    for path in GET_MATRIX:
        if "{" not in path.removeprefix("/{tribunal}"):
            continue
        for name in re.findall(r"\{(\w+)\}", path.removeprefix("/{tribunal}")):
            value = "not-an-id" if bad == "not-an-id" else str(uuid.uuid4())
            url = scene.url(path.replace("{" + name + "}", value))
            problem = check(await client.get(url), 404, f"GET {url}")
            if problem:
                wrong.append(problem)
    assert wrong == []
