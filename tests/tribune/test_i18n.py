"""English and French: the catalogue is complete, the language is picked and kept, and shown.

Covered: every message in the code and templates has a French translation whose
placeholders match the English (the catalogue test); the precedence of the
language sources and Accept-Language parsing; through the client, the page
language and Content-Language, the header's language switch (cookie, local
redirect only, saved on a signed-in person's account), a tribunal's default
language; dates and money formatted per language.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from tests.factories.accounts import make_user
from tests.factories.tribunals import make_tribunal
from tests.helpers import post_form, sign_in
from tribune import i18n
from tribune.settings import PROJECT_ROOT

FRENCH_CATALOGUE = PROJECT_ROOT / "tribune" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
# The folders `make messages` leaves out: no user-visible text is written there.
NOT_EXTRACTED = {"var", "static", "tests", "infra", "node_modules", "test-results"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[a-z]")

# -- the catalogue --------------------------------------------------------------------------


def extracted_messages() -> dict[str, tuple[str, ...]]:
    """Return every message of the code and templates: msgid -> its English forms."""
    with open(PROJECT_ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]

    def wanted(path: str) -> bool:
        relative = Path(os.path.relpath(path, PROJECT_ROOT))
        return relative.parts[0] not in NOT_EXTRACTED and not relative.name.startswith((".", "_"))

    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
    messages: dict[str, tuple[str, ...]] = {}
    for _filename, _line, message, _comments, _context in extract_from_dir(
        PROJECT_ROOT, method_map, options_map, keywords=keywords, directory_filter=wanted
    ):
        forms = (message,) if isinstance(message, str) else tuple(message)
        if forms[0]:
            messages[forms[0]] = forms
    return messages


def placeholders(forms: tuple[str, ...] | list[str]) -> set[str]:
    return {name for form in forms for name in PLACEHOLDER.findall(form)}


def test_extraction_finds_the_messages_of_code_and_templates() -> None:
    messages = extracted_messages()
    # One from Python code, one from an HTML template, one from a mail template.
    assert "Enter the email address and password of your account" in messages
    assert "Page not found" in messages
    assert "Confirm your email address" in messages


def test_every_message_has_a_french_translation_with_the_same_placeholders() -> None:
    with open(FRENCH_CATALOGUE, "rb") as file:
        catalogue = read_po(file, locale="fr")
    problems: list[str] = []
    for msgid, english in sorted(extracted_messages().items()):
        entry = catalogue.get(msgid)
        if entry is None:
            problems.append(f"missing from messages.po: {msgid!r}")
            continue
        french = [entry.string] if isinstance(entry.string, str) else list(entry.string or ())
        if entry.fuzzy or not french or not all(french):
            problems.append(f"{'fuzzy' if entry.fuzzy else 'untranslated'}: {msgid!r}")
            continue
        if placeholders(french) != placeholders(english):
            problems.append(
                f"placeholders differ: {msgid!r} has {sorted(placeholders(english))}, "
                f"French has {sorted(placeholders(french))}"
            )
    assert not problems, f"{len(problems)} French translation problem(s):\n" + "\n".join(problems)


# -- negotiation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("fr-CA;q=0.9, en;q=0.8", "fr"),
        ("de, en;q=0.5", "en"),
        ("en;q=0.4, fr-FR;q=0.7", "fr"),
        ("FR", "fr"),
        ("fr;q=0", None),
        ("de-DE, es", None),
        ("fr;q=oops, en", "en"),
        ("", None),
        (None, None),
    ],
)
def test_accept_language_gives_the_preferred_supported_language(
    header: str | None, language: str | None
) -> None:
    assert i18n.parse_accept_language(header) == language


def test_a_saved_preference_wins_then_the_switch_then_the_browser_then_the_tribunal() -> None:
    sources = {"saved": "fr", "cookie": "en", "accept_language": "fr", "tribunal_default": "en"}
    assert i18n.negotiate(**sources) == "fr"
    assert i18n.negotiate(**{**sources, "saved": None}) == "en"
    assert i18n.negotiate(**{**sources, "saved": None, "cookie": None}) == "fr"
    nothing_from_the_person = {"saved": None, "cookie": None, "accept_language": "de"}
    assert i18n.negotiate(**nothing_from_the_person, tribunal_default="fr") == "fr"
    assert i18n.negotiate(**nothing_from_the_person, tribunal_default=None) == "en"
    # Unknown values are skipped, never used.
    assert i18n.negotiate(saved="xx", cookie="zz", accept_language=None, tribunal_default="fr") == (
        "fr"
    )


# -- through the client ---------------------------------------------------------------------


def page_language(response: httpx.Response) -> str:
    match = re.search(r'<html lang="(\w+)"', response.text)
    assert match, response.text[:200]
    return match.group(1)


async def test_the_browser_language_picks_the_page_language(client: httpx.AsyncClient) -> None:
    french = await client.get("/sign-in", headers={"Accept-Language": "fr-CA"})
    assert page_language(french) == "fr"
    assert french.headers["Content-Language"] == "fr"
    assert "Accept-Language" in french.headers["Vary"]

    english = await client.get("/sign-in", headers={"Accept-Language": "en-CA,en;q=0.9"})
    assert page_language(english) == "en"
    assert english.headers["Content-Language"] == "en"


async def test_the_language_switch_sets_a_cookie_and_goes_back(client: httpx.AsyncClient) -> None:
    response = await post_form(
        client, "/language", {"language": "fr", "next": "/some/path?page=2"}, page="/"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/some/path?page=2"
    assert client.cookies[i18n.LANGUAGE_COOKIE] == "fr"

    # Later visits are in French even though the browser asks for English.
    later = await client.get("/sign-in", headers={"Accept-Language": "en"})
    assert page_language(later) == "fr"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\\evil.example", "evil.example"]
)
async def test_the_language_switch_never_sends_people_to_another_site(
    client: httpx.AsyncClient, target: str
) -> None:
    response = await post_form(client, "/language", {"language": "fr", "next": target}, page="/")
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_an_unknown_language_changes_nothing(client: httpx.AsyncClient) -> None:
    response = await post_form(client, "/language", {"language": "xx", "next": "/"}, page="/")
    assert response.status_code == 303
    assert i18n.LANGUAGE_COOKIE not in client.cookies


async def test_a_signed_in_persons_switch_is_saved_on_their_account(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await make_user(db, language="en")
    await sign_in(client, user.email)

    response = await post_form(client, "/language", {"language": "fr", "next": "/account"})
    assert response.status_code == 303
    saved = await db.get_one(User, user.id, populate_existing=True)
    assert saved.language == "fr"

    # Their saved choice beats an English cookie and an English browser.
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    account = await client.get("/account", headers={"Accept-Language": "en"})
    assert account.status_code == 200
    assert page_language(account) == "fr"
    assert account.headers["Content-Language"] == "fr"


async def test_a_tribunals_default_language_applies_when_nothing_else_says(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db, default_language="fr")

    unspecified = await client.get(f"/{tribunal.slug}/")
    assert unspecified.status_code == 200
    assert page_language(unspecified) == "fr"
    assert tribunal.name_fr in unspecified.text

    asked_for_english = await client.get(f"/{tribunal.slug}/", headers={"Accept-Language": "en"})
    assert page_language(asked_for_english) == "en"
    # Elsewhere on the platform the default is English.
    assert page_language(await client.get("/")) == "en"


# -- formatting -----------------------------------------------------------------------------


def plain_spaces(text: str) -> str:
    """CLDR separates thousands and currency with (narrow) no-break spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_dates_and_money_are_written_the_way_each_language_writes_them() -> None:
    day = date(2026, 3, 5)
    with i18n.use_language("en"):
        assert i18n.format_date(day) == "March 5, 2026"
        assert i18n.format_money(123456) == "$1,234.56"
        assert i18n.format_number(1234567) == "1,234,567"
    with i18n.use_language("fr"):
        assert i18n.format_date(day) == "5 mars 2026"
        assert plain_spaces(i18n.format_money(123456)) == "1 234,56 $"
        assert plain_spaces(i18n.format_number(1234567)) == "1 234 567"
