"""Factories of kinds of case (case type versions) and of submitted cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.casetypes import services as casetype_services
from filings.demo import DEMO_CASE_TYPES
from filings.models import CaseTypeVersion, Filing, FilingStatus
from filings.seeding import seed_submitted_case
from tests.factories import unique
from tests.factories.accounts import make_user
from tribunals.models import Tribunal
from tribune.db import utcnow


async def make_case_type(db: AsyncSession, tribunal: Tribunal, **values: Any) -> CaseTypeVersion:
    """Return a published case type version with one question and one document slot."""
    definition = values.pop(
        "definition",
        {
            "questions": [
                {
                    "key": "decision_date",
                    "type": "date",
                    "label": {"en": "Date of the decision", "fr": "Date de la décision"},
                    "required": True,
                }
            ],
            "document_slots": [
                {
                    "key": "decision",
                    "label": {
                        "en": "The decision you are appealing",
                        "fr": "La décision que vous portez en appel",
                    },
                    "required": False,
                    "max_files": 5,
                    "kinds": ["pdf", "jpeg", "png", "docx", "text"],
                }
            ],
            "deadline": None,
            "fee": None,
        },
    )
    version = await casetype_services.create_case_type(
        db,
        tribunal,
        code=str(values.pop("code", unique("ct-"))),
        title_en=str(values.pop("title_en", "Benefits appeal")),
        title_fr=str(values.pop("title_fr", "Appel de prestations")),
        definition=definition,
        publish=True,
    )
    await db.commit()
    return version


async def make_demo_case_type(
    db: AsyncSession, tribunal: Tribunal, which: int = 0
) -> CaseTypeVersion:
    """Return a published version of one of the demo tribunal WCAT's case types (the first:
    "Appeal a decision about compensation benefits", with a response section)."""
    spec = DEMO_CASE_TYPES["wcat"][which]
    version = await casetype_services.create_case_type(db, tribunal, **spec, publish=True)
    await db.commit()
    return version


async def make_case(
    db: AsyncSession,
    tribunal: Tribunal,
    *,
    filer: User | None = None,
    version: CaseTypeVersion | None = None,
    status: FilingStatus = FilingStatus.SUBMITTED,
    name: str | None = None,
    language: str = "en",
    representative: str | None = None,
    submitted_at: datetime | None = None,
) -> Filing:
    """Return a submitted case (a reference, the claimant as a party, a `submitted` event),
    moved straight to `status` if another is given; optionally with an authorised representative.
    """
    filer = filer or await make_user(db, name=name or "Jane Doe", language=language)
    version = version or await make_case_type(db, tribunal)
    answers: dict[str, Any] = {
        "eligibility": {"eligible": True},
        "about_you": {
            "full_name": name or filer.name,
            "email": filer.email,
            "phone": "",
            "case_language": language,
            "hearing_language": language,
            "contact_method": "email",
        },
        "representative": {"has_representative": False},
        "questions": {"decision_date": "2026-01-15"},
    }
    if representative:
        answers["representative"] = {
            "has_representative": True,
            "representative_name": representative,
            "representative_firm": "Legal Clinic",
            "representative_licence": "P12345",
            "representative_email": f"{unique('rep-')}@example.org",
            "representative_phone": "",
            "representative_consent": True,
        }
    filing = await seed_submitted_case(
        db,
        tribunal,
        version,
        filer,
        answers=answers,
        received=submitted_at or utcnow(),
        language=language,
        status=status,
    )
    await db.commit()
    return filing
