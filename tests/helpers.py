"""Helpers the tests share that are not factories (those are in `tests.factories`): forms
and sign-in as a browser does them, emailed messages and their links, the text and French
of pages, counting rows, sample PDFs, and the steps of filing, adding a respondent and
joining a case that several test modules take. Loaded as a pytest plugin, so its asserts
explain themselves."""

from __future__ import annotations

import html
import io
import re
from html.parser import HTMLParser
from typing import Any

import httpx
from pypdf import PdfWriter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.models import CaseParty, CaseTypeVersion, Filing, FilingStatus, PartyRole
from filings.parties.access_codes import ALPHABET as CODE_ALPHABET
from tests.factories.accounts import PASSWORD, make_user
from tests.factories.filings import make_case, make_demo_case_type
from tests.factories.tribunals import make_staff, make_tribunal
from tribunals.models import Role, Tribunal
from tribune import i18n
from tribune.mail import OutboxMessage

# -- forms and signing in -------------------------------------------------------------------


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


async def as_user(client: httpx.AsyncClient, user: User) -> None:
    """Sign the client in as another person: the previous one's cookies are dropped."""
    client.cookies.clear()
    await sign_in(client, user.email)


# -- messages -------------------------------------------------------------------------------


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


# -- pages and languages --------------------------------------------------------------------


def text_of(response: httpx.Response) -> str:
    """Return a page's HTML with its character references decoded (&#39; is ')."""
    return html.unescape(response.text)


def translate(language: str, message: str, **variables: Any) -> str:
    """Return a message as the server shows it in a language (English until translated).

    The server reads the same compiled catalogue, so a page in French must show exactly
    this text.
    """
    with i18n.use_language(language):
        return i18n.gettext(message, **variables)


def french(message: str, **variables: str) -> str:
    """Return the French of a message, failing if the catalogue lacks it."""
    translated = translate("fr", message, **variables)
    english = message % variables if variables else message
    assert translated != english, f"no French for {message!r}"
    return translated


# -- rows and files -------------------------------------------------------------------------


async def count(db: AsyncSession, model: type, *where: Any) -> int:
    """Return how many rows of a model's table match the conditions."""
    return int(
        (await db.execute(select(func.count()).select_from(model).where(*where))).scalar_one()
    )


def pdf_bytes(
    *, password: str | None = None, owner_password: str | None = None, pages: int = 1
) -> bytes:
    """Return a real PDF of blank pages, encrypted with the password(s) if given."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    if password is not None:
        writer.encrypt(user_password=password, owner_password=owner_password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# -- filing ---------------------------------------------------------------------------------

ABOUT_YOU = {
    "full_name": "Jane Doe",
    "email": "jane@example.org",
    "phone": "416 555 0199",
    "address_line1": "1 Main Street",
    "address_line2": "",
    "city": "Toronto",
    "province": "ON",
    "postal_code": "m5v2t6",
    "case_language": "en",
    "hearing_language": "fr",
    "contact_method": "email",
}


async def start(client: httpx.AsyncClient, tribunal: Tribunal, version: CaseTypeVersion) -> str:
    """Start a draft of the case type as the signed-in person; return its first step's path."""
    page = f"/{tribunal.slug}/file/{version.id}"
    response = await post_form(client, page, {}, page=page)
    assert response.status_code == 303
    return response.headers["location"]


async def new_draft(client: httpx.AsyncClient, db: AsyncSession) -> tuple[Tribunal, str]:
    """Return a new tribunal and the base path of a draft a newly signed-in person started."""
    tribunal = await make_tribunal(db, short_name_en="WCAT")
    version = await make_demo_case_type(db, tribunal)
    user = await make_user(db, email=f"filer-{tribunal.slug}@example.org")
    await sign_in(client, user.email)
    base = (await start(client, tribunal, version)).rsplit("/", 1)[0]
    return tribunal, base


async def upload(
    client: httpx.AsyncClient, base: str, slot: str, files: list[tuple[str, bytes, str]]
) -> httpx.Response:
    """Upload files to a document slot of a draft, as the documents page's form does."""
    token = await csrf_token(client, f"{base}/documents")
    return await client.post(
        f"{base}/documents/{slot}/upload",
        data={"csrf_token": token},
        files=[(f"file-{slot}", file) for file in files],
    )


async def claimant_party(db: AsyncSession, filing: Filing) -> CaseParty:
    party = (
        await db.execute(
            select(CaseParty).where(
                CaseParty.filing_id == filing.id, CaseParty.role == PartyRole.CLAIMANT
            )
        )
    ).scalar_one()
    await db.refresh(party)
    return party


# -- respondents and access codes -----------------------------------------------------------

CODE = re.compile(rf"[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}")
WRONG = "The case reference or access code is not right"


async def add_respondent(
    client: httpx.AsyncClient,
    tribunal: Tribunal,
    filing: Filing,
    email: str,
    language: str = "en",
    **values: str,
) -> httpx.Response:
    page = f"/{tribunal.slug}/staff/cases/{filing.id}/respondents/new"
    data = {"kind": "organisation", "name": "Acme Ltd", "contact_name": "Sam Boss"}
    data.update(values)
    return await post_form(client, page, {**data, "email": email, "language": language}, page=page)


async def respondent_of(db: AsyncSession, filing: Filing) -> CaseParty:
    return (
        await db.execute(
            select(CaseParty).where(
                CaseParty.filing_id == filing.id, CaseParty.role == PartyRole.RESPONDENT
            )
        )
    ).scalar_one()


async def code_sent_to(db: AsyncSession, email: str) -> str:
    match = CODE.search((await last_message(db, email)).body)
    assert match
    return match.group(0)


async def case_with_respondent(
    client: httpx.AsyncClient, db: AsyncSession, status: FilingStatus = FilingStatus.ACCEPTED
) -> tuple[Tribunal, Filing, str]:
    """Return a case with a respondent added by a clerk, and the code the respondent got."""
    tribunal = await make_tribunal(db)
    filing = await make_case(
        db, tribunal, status=status, version=await make_demo_case_type(db, tribunal)
    )
    clerk = await make_staff(db, tribunal, Role.CLERK)
    await as_user(client, clerk)
    response = await add_respondent(client, tribunal, filing, "boss@acme.example")
    assert response.status_code == 303, response.text
    return tribunal, filing, await code_sent_to(db, "boss@acme.example")


async def join(
    client: httpx.AsyncClient, tribunal: Tribunal, reference: str, code: str
) -> httpx.Response:
    page = f"/{tribunal.slug}/join"
    return await post_form(client, page, {"reference": reference, "code": code}, page=page)
