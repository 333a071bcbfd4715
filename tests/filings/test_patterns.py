"""A tribunal's patterns, through the ASGI client: what one tenant writes cannot hold the process.

Covered: a pattern on which Python's backtracking would run for minutes is answered at
once (RE2, linear time), in a worker thread, while health checks keep answering; the
editor refuses what RE2 cannot run (a back-reference) in English and French; a stored
definition whose pattern RE2 refuses still loads, and its question refuses answers with
a message (the administrator's preview says why); answers that cannot be matched within
the time limit (TRIBUNE_PATTERN_TIME_LIMIT_MS) are refused with a message to try again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from filings.models import CaseTypeVersion
from tests.accounts.test_password_hashing_off_the_loop import probe_health
from tests.factories.accounts import make_user
from tests.factories.filings import make_case_type
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import ABOUT_YOU, csrf_token, french, post_form, sign_in, start, text_of
from tribunals.models import Role, Tribunal
from tribune.app import create_app
from tribune.db import Database
from tribune.settings import Settings

# Python's re tries every way of sharing the letters among the five stars before giving
# up on the missing "!": 130 letters took 3.2 seconds, 500 would take hours.
BACKTRACKING = "[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*!"


def definition_with(pattern: str) -> dict[str, Any]:
    return {
        "questions": [
            {
                "key": "claim_number",
                "type": "text",
                "label": {"en": "Claim number", "fr": "Numéro de dossier"},
                "required": True,
                "validation": {"pattern": pattern},
            }
        ],
        "document_slots": [],
        "deadline": None,
        "fee": None,
    }


async def questions_page(client: httpx.AsyncClient, db: AsyncSession, pattern: str) -> str:
    """Return the questions step of a new claimant's draft of a case type with the pattern."""
    tribunal = await make_tribunal(db)
    version = await make_case_type(db, tribunal, definition=definition_with(pattern))
    return await questions_page_of(client, db, tribunal, version)


async def questions_page_of(
    client: httpx.AsyncClient, db: AsyncSession, tribunal: Tribunal, version: CaseTypeVersion
) -> str:
    user = await make_user(db)
    await sign_in(client, user.email)
    base = (await start(client, tribunal, version)).rsplit("/", 1)[0]
    for step, data in [
        ("eligibility", {"eligible": "yes"}),
        ("about_you", ABOUT_YOU),
        ("representative", {"has_representative": "no"}),
        ("accessibility", {"needs_interpreter": "no", "sign_language": "none"}),
    ]:
        response = await post_form(client, f"{base}/{step}", data, page=f"{base}/{step}")
        assert response.status_code == 303, (step, response.text)
    return f"{base}/questions"


async def test_a_pattern_python_backtracks_on_is_answered_at_once_beside_health_checks(
    app: Starlette, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    page = await questions_page(client, db, BACKTRACKING)
    token = await csrf_token(client, page)
    # The load balancer's probes carry no session, so they touch no database row.
    transport = httpx.ASGITransport(app=app)
    balancer = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async def answer() -> tuple[httpx.Response, float]:
        started = time.perf_counter()
        data = {"q-claim_number": "a" * 500, "csrf_token": token}
        response = await client.post(page, data=data)
        return response, time.perf_counter() - started

    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as prober:
        probing = prober.submit(probe_health, balancer, asyncio.get_running_loop(), stop)
        try:
            answered = [await answer() for _ in range(5)]
        finally:
            stop.set()
        latencies = await asyncio.wrap_future(probing)
    await balancer.aclose()

    for response, elapsed in answered:
        assert response.status_code == 422
        assert "Enter claim number in the correct format" in text_of(response)
        assert elapsed < 0.5, elapsed
    assert max(latencies) < 0.5, sorted(latencies)
    print(
        f"answers {statistics.median(e for _r, e in answered) * 1000:.0f} ms; "
        f"{len(latencies)} health checks, worst {max(latencies) * 1000:.0f} ms"
    )
    accepted = await client.post(page, data={"q-claim_number": "abc!", "csrf_token": token})
    assert accepted.status_code == 303


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_the_editor_refuses_a_back_reference_saying_so(
    client: httpx.AsyncClient, db: AsyncSession, language: str
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN, language=language)
    await sign_in(client, admin.email)
    new = await post_form(
        client,
        f"/{tribunal.slug}/staff/case-types/new",
        {
            "code": "appeal",
            "title_en": "Appeal",
            "title_fr": "Appel",
            "description_en": "For workers.",
            "description_fr": "Pour les travailleurs.",
        },
    )
    assert new.status_code == 303, new.text
    editor = new.headers["location"]
    question = {
        "key": "claim_number",
        "type": "text",
        "label_en": "Claim number",
        "label_fr": "Numéro de dossier",
        "required": "yes",
        "pattern": "([A-Z])\\1[0-9]{6}",
    }
    response = await post_form(client, f"{editor}/add-question", question, page=editor)
    assert response.status_code == 422
    message = (
        "Patterns cannot refer back to a group (like \\1 or (?P=name)): write the pattern "
        "without the reference"
    )
    assert (french(message) if language == "fr" else message) in text_of(response)
    assert 'value="([A-Z])\\1[0-9]{6}"' in response.text  # kept to be corrected
    assert "claim_number" not in text_of(await client.get(editor))


async def test_a_stored_pattern_re2_refuses_fails_closed_with_a_message(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    version = await make_case_type(db, tribunal, definition=definition_with("[0-9]{8}"))
    # Published before RE2 checked patterns: Python's re accepted this look-ahead.
    version.definition = definition_with("(?=.*[1-9])[0-9]{8}")
    await db.commit()

    page = await questions_page_of(client, db, tribunal, version)
    shown = await client.get(page)
    assert shown.status_code == 200
    assert "Claim number" in text_of(shown)
    token = await csrf_token(client, page)
    response = await client.post(page, data={"q-claim_number": "12345678", "csrf_token": token})
    assert response.status_code == 422
    assert (
        "This question cannot be answered online for now. Contact the tribunal to file your case"
        in text_of(response)
    )

    admin = await make_staff(db, tribunal, Role.ADMIN)
    await sign_in(client, admin.email)
    preview = await client.get(f"/{tribunal.slug}/staff/case-types/versions/{version.id}/preview")
    assert preview.status_code == 200
    assert "Patterns cannot look ahead or behind" in text_of(preview)


@pytest.fixture
async def impatient_client(
    settings: Settings, database: Database
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that gives patterns no time at all."""
    app = create_app(
        dataclasses.replace(settings, pattern_time_limit_ms=0), database, inline_worker=False
    )
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_an_answer_not_matched_within_the_time_limit_is_refused_with_a_message(
    impatient_client: httpx.AsyncClient, db: AsyncSession
) -> None:
    page = await questions_page(impatient_client, db, "[0-9]{8}")
    token = await csrf_token(impatient_client, page)
    data = {"q-claim_number": "12345678", "csrf_token": token}
    response = await impatient_client.post(page, data=data)
    assert response.status_code == 422
    assert "We could not check this answer in time. Try again" in text_of(response)
