"""Scenes for the outcome and decision tests: a tribunal with its adjudicator, a second
adjudicator, a clerk; a case with a claimant, an authorised representative and a respondent
(in their own languages); and a hearing of it inserted directly, at a time already past (or
still to come), holding its adjudicator's quarter hour."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.models import CaseParty, Filing, FilingStatus, PartyRole
from hearings.models import BookedBlock, Hearing, HearingMode, HearingStatus, ResourceKind
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff, make_tribunal
from tribunals.models import Role, Tribunal
from tribune.db import utcnow


@dataclass
class Scene:
    tribunal: Tribunal
    adjudicator: User
    other_adjudicator: User
    clerk: User
    claimant: User
    case: Filing
    respondent: CaseParty
    claimant_party: CaseParty

    @property
    def staff_case(self) -> str:
        return f"/{self.tribunal.slug}/staff/cases/{self.case.id}"

    @property
    def party_case(self) -> str:
        return f"/{self.tribunal.slug}/cases/{self.case.id}"


async def make_scene(
    db: AsyncSession, status: FilingStatus, *, claimant_language: str = "en"
) -> Scene:
    tribunal = await make_tribunal(db, time_zone="America/Toronto", province="ON")
    adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR, name="Ada Adjudicator")
    other = await make_staff(db, tribunal, Role.ADJUDICATOR, name="Otis Other")
    clerk = await make_staff(db, tribunal, Role.CLERK, name="Cleo Clerk")
    claimant = await make_user(db, name="Clara Claimant", language=claimant_language)
    case = await make_case(
        db,
        tribunal,
        filer=claimant,
        status=status,
        language=claimant_language,
        representative="Rita Rep",
    )
    case.assigned_adjudicator_id = adjudicator.id
    parties = list(
        (await db.execute(select(CaseParty).where(CaseParty.filing_id == case.id))).scalars()
    )
    claimant_party = next(p for p in parties if p.role is PartyRole.CLAIMANT)
    respondent = CaseParty(
        tribunal_id=tribunal.id,
        filing_id=case.id,
        role=PartyRole.RESPONDENT,
        is_organisation=True,
        name="Acme Ltd",
        email=f"boss-{uuid.uuid4().hex[:8]}@acme.example",
        language="en",
    )
    db.add(respondent)
    await db.commit()
    return Scene(tribunal, adjudicator, other, clerk, claimant, case, respondent, claimant_party)


async def add_hearing(
    db: AsyncSession, scene: Scene, *, starts_in: timedelta = timedelta(hours=-2)
) -> Hearing:
    """Insert a scheduled video hearing of the scene's case, starting `starts_in` from now
    (in the past by default), holding its adjudicator's first quarter hour."""
    start = (utcnow() + starts_in).replace(second=0, microsecond=0)
    hearing = Hearing(
        tribunal_id=scene.tribunal.id,
        filing_id=scene.case.id,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        mode=HearingMode.VIDEO,
        adjudicator_id=scene.adjudicator.id,
        status=HearingStatus.SCHEDULED,
        sequence=0,
    )
    hearing.calendar_uid = f"hearing-{hearing.id}@tribune"
    db.add(hearing)
    await db.flush()
    db.add(
        BookedBlock(
            tribunal_id=scene.tribunal.id,
            hearing_id=hearing.id,
            resource_kind=ResourceKind.ADJUDICATOR,
            resource_id=scene.adjudicator.id,
            starts_at=start,
        )
    )
    await db.commit()
    return hearing
