"""Small factories and helpers shared by the tests (loaded as a pytest plugin)."""

from __future__ import annotations

import functools
import re
import uuid
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from accounts.passwords import hash_password
from filings import cases
from filings.casetypes import services as casetype_services
from filings.journey import services as journey_services
from filings.models import CaseTypeVersion, Filing, FilingStatus
from tribunals.models import Membership, Role, Tribunal
from tribune.db import utcnow
from tribune.mail import OutboxMessage

PASSWORD = "correct horse battery staple"


@functools.cache
def _hash(password: str) -> str:
    # A real Argon2id hash, made once per password: hashing costs about 0.1 s.
    return hash_password(password)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


async def make_user(
    db: AsyncSession,
    *,
    email: str | None = None,
    name: str = "Jane Doe",
    password: str = PASSWORD,
    language: str = "en",
    confirmed: bool = True,
) -> User:
    user = User(
        email=email or f"{unique('person-')}@example.org",
        name=name,
        password_hash=_hash(password),
        language=language,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    db.add(user)
    await db.commit()
    return user


async def make_tribunal(db: AsyncSession, **values: object) -> Tribunal:
    slug = str(values.pop("slug", unique("t")))
    defaults: dict[str, object] = {
        "name_en": f"Tribunal {slug}",
        "name_fr": f"Tribunal {slug} (fr)",
        "description_en": "Hears appeals.",
        "description_fr": "Entend les appels.",
        "contact_email": f"registry@{slug}.example",
    }
    defaults.update(values)
    tribunal = Tribunal(slug=slug, **defaults)
    db.add(tribunal)
    await db.commit()
    return tribunal


async def make_staff(
    db: AsyncSession, tribunal: Tribunal, role: Role, **user_values: object
) -> User:
    user = await make_user(db, **user_values)  # type: ignore[arg-type]
    db.add(Membership(tribunal_id=tribunal.id, user_id=user.id, role=role))
    await db.commit()
    return user


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.hidden[values["name"] or ""] = values.get("value") or ""


def hidden_fields(html: str) -> dict[str, str]:
    parser = _FormParser()
    parser.feed(html)
    return parser.hidden


async def csrf_token(client: httpx.AsyncClient, page: str = "/privacy") -> str:
    """Return the CSRF token a form on the page carries, as a browser would send it."""
    response = await client.get(page)
    return hidden_fields(response.text)["csrf_token"]


async def post_form(
    client: httpx.AsyncClient, url: str, data: dict[str, str], *, page: str | None = None
) -> httpx.Response:
    """Submit a form the way a browser does: load the page for its token, then post."""
    token = await csrf_token(client, page or "/privacy")
    return await client.post(url, data={**data, "csrf_token": token})


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    response = await post_form(client, "/sign-in", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    return response


async def last_message(db: AsyncSession, to: str) -> OutboxMessage:
    message = (
        await db.execute(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == to)
            .order_by(OutboxMessage.created_at.desc())
            .limit(1)
        )
    ).scalar_one()
    return message


def link_in(message: OutboxMessage) -> str:
    """Return the path and query of the first link in a message."""
    match = re.search(r"https?://[^/\s]+(/\S*)", message.body)
    assert match, message.body
    return match.group(1)


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
    now = submitted_at or utcnow()
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
    filing = Filing(
        tribunal_id=tribunal.id,
        case_type_version_id=version.id,
        filer_id=filer.id,
        touched_at=now,
        answers=answers,
        last_step="declaration",
        status=status,
        submitted_at=now,
        status_changed_at=now,
        language=language,
    )
    db.add(filing)
    await db.flush()  # the case's rows below refer to it
    year = now.year
    number = await journey_services.next_case_number(db, tribunal.id, year)
    filing.reference = journey_services.format_reference(tribunal.reference_prefix, year, number)
    parties = journey_services.add_filing_parties(db, filing, filer, now)
    filing.search_text = cases.search_text_of(filing, parties)
    cases.add_event(db, filing, "submitted", actor_id=filer.id, occurred_at=now)
    await db.commit()
    return filing
