"""Factories of fees and of cases that owe one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from filings.models import CaseTypeVersion, Filing
from payments.fees import services as fees
from payments.models import Fee, FeeCharge
from tests.factories import unique
from tests.factories.filings import make_case, make_case_type
from tribunals.models import Tribunal

# Charged to every case started since: earlier than any case a test makes.
LONG_AGO = date(2020, 1, 1)


async def make_fee_case_type(db: AsyncSession, tribunal: Tribunal) -> CaseTypeVersion:
    """Return a published kind of case whose definition says a fee applies."""
    return await make_case_type(
        db,
        tribunal,
        definition={
            "questions": [],
            "document_slots": [],
            "deadline": None,
            "fee": {"applies": True},
        },
    )


async def make_fee(
    db: AsyncSession,
    tribunal: Tribunal,
    version: CaseTypeVersion,
    *,
    amount_cents: int = 5000,
    reduced_amount_cents: int | None = None,
    effective_from: date = LONG_AGO,
    code: str | None = None,
) -> Fee:
    """Add an entry to the schedule, in force from `effective_from` (past dates allowed here)."""
    fee = Fee(
        tribunal_id=tribunal.id,
        case_type_id=version.case_type_id,
        code=code or unique("FEE-").upper(),
        amount_cents=amount_cents,
        reduced_amount_cents=reduced_amount_cents,
        currency="CAD",
        effective_from=effective_from,
    )
    db.add(fee)
    await db.commit()
    return fee


@dataclass
class ChargedCase:
    filing: Filing
    version: CaseTypeVersion
    fee: Fee
    charge: FeeCharge


async def make_charged_case(
    db: AsyncSession,
    tribunal: Tribunal,
    *,
    amount_cents: int = 5000,
    reduced_amount_cents: int | None = None,
    **case_values: Any,
) -> ChargedCase:
    """Return a submitted case charged its fee and awaiting payment (as submission leaves it)."""
    version = await make_fee_case_type(db, tribunal)
    fee = await make_fee(
        db, tribunal, version, amount_cents=amount_cents, reduced_amount_cents=reduced_amount_cents
    )
    filing = await make_case(db, tribunal, version=version, **case_values)
    charge = await fees.assess(db, tribunal, filing, version)
    assert charge is not None
    await db.commit()
    return ChargedCase(filing, version, fee, charge)
