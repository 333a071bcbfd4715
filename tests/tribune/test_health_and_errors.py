"""Health checks for the load balancer, and the error pages people see.

Covered: /healthz answers while the process lives; /readyz reports the database
and the document store, and answers 503 when documents cannot be written; an
unknown address is a translated 404 page, a wrong method a translated 405 page;
a malformed form body is a 4xx page, never a 500.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx
import pytest

from tests.helpers import csrf_token, translate
from tribune.app import create_app
from tribune.db import Database
from tribune.settings import Settings
from tribune.storage.local import LocalFolderStorage


def heading(response: httpx.Response) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", response.text, re.S)
    assert match, response.text[:300]
    return match.group(1).strip()


async def test_healthz_says_the_process_is_alive(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"


async def test_readyz_checks_the_database_and_the_document_store(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "video": "not_configured"},
    }


async def test_readyz_is_unavailable_when_documents_cannot_be_written(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    app = create_app(settings, database, inline_worker=False)
    folder = tmp_path / "documents"
    app.state.storage = LocalFolderStorage(folder)
    # The folder is gone and a file stands where it was: nothing can be written there.
    shutil.rmtree(folder)
    folder.write_text("not a folder")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "storage": "unavailable", "video": "not_configured"},
    }


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_an_unknown_address_is_a_translated_not_found_page(
    client: httpx.AsyncClient, language: str
) -> None:
    response = await client.get("/no/such/page", headers={"Accept-Language": language})

    assert response.status_code == 404
    assert response.headers["Content-Language"] == language
    assert heading(response) == translate(language, "Page not found")
    assert translate(language, "If you typed the web address, check it is correct.") in (
        response.text
    )
    if language == "fr":  # really French, not the English text as a fallback
        assert heading(response) != "Page not found"


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_a_wrong_method_is_a_translated_page_naming_the_allowed_ones(
    client: httpx.AsyncClient, language: str
) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/privacy", data={"csrf_token": token}, headers={"Accept-Language": language}
    )

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert heading(response) == translate(language, "This page cannot be used that way")
    if language == "fr":
        assert heading(response) != "This page cannot be used that way"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"no boundary was declared"),
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data\r\n\r\n"),
    ],
)
async def test_a_malformed_multipart_body_is_a_bad_request(
    client: httpx.AsyncClient, content_type: str, body: bytes
) -> None:
    response = await client.post("/sign-in", content=body, headers={"Content-Type": content_type})

    assert response.status_code == 400
    assert heading(response) == "There is a problem with your request"


async def test_undecodable_form_fields_are_a_validation_error(client: httpx.AsyncClient) -> None:
    token = await csrf_token(client)
    body = b"email=%ff%fe\xff&password=%zz&&==&csrf_token=" + token.encode()
    response = await client.post(
        "/sign-in", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )

    assert response.status_code == 422
    assert "govuk-error-summary" in response.text
