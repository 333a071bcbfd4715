"""The logs hold no personal data, and every request leaves one structured line.

Covered: across a registration and a failed sign-in, no log record (message,
extra fields, or the JSON line production writes) contains the person's email
address, name, password or the token emailed to them; each request is logged
with its id, method, route name and status.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import unique
from tests.factories.accounts import PASSWORD
from tests.helpers import last_message, link_in, post_form
from tribune.logs import JSONFormatter

STANDARD_FIELDS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def written(record: logging.LogRecord) -> list[str]:
    """Return everything a log handler could write for a record."""
    extras = [str(value) for name, value in vars(record).items() if name not in STANDARD_FIELDS]
    return [record.getMessage(), JSONFormatter().format(record), *extras]


async def test_requests_are_logged_without_personal_data(
    client: httpx.AsyncClient, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    email = f"{unique('logged-')}@example.org"
    name = f"Quillon Farthingale {unique('')}"
    wrong_password = "not the password at all 4471"
    caplog.set_level(logging.INFO)

    registered = await post_form(
        client,
        "/register",
        {
            "name": name,
            "email": email,
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
            "language": "en",
        },
        page="/register",
    )
    assert registered.status_code == 303
    refused = await post_form(
        client, "/sign-in", {"email": email, "password": wrong_password}, page="/sign-in"
    )
    assert refused.status_code == 422

    token = parse_qs(urlsplit(link_in(await last_message(db, email))).query)["token"][0]
    secrets = {
        "email": email,
        "email's local part": email.split("@")[0],
        "name": name,
        "password": PASSWORD,
        "wrong password": wrong_password,
        "emailed token": token,
    }
    assert caplog.records, "the requests should have been logged"
    for record in caplog.records:
        for text in written(record):
            for what, secret in secrets.items():
                assert secret not in text, f"the {what} is in a {record.name} log record"

    requests = [record for record in caplog.records if record.name == "tribune.request"]
    logged = [(r.method, r.route, r.status) for r in requests]  # type: ignore[attr-defined]
    assert logged == [
        ("GET", "accounts:register", 200),
        ("POST", "accounts:register", 303),
        ("GET", "accounts:sign_in", 200),
        ("POST", "accounts:sign_in", 422),
    ]
    request_ids = [record.request_id for record in requests]  # type: ignore[attr-defined]
    assert all(re.fullmatch(r"[0-9a-f]{16}", request_id) for request_id in request_ids)
    assert len(set(request_ids)) == len(request_ids)
    # The id a person can quote from a response finds its log line.
    assert refused.headers["X-Request-Id"] == request_ids[-1]


async def test_a_link_with_a_token_is_logged_by_route_name_only(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tribune")
    token = "single-use-token-0123456789abcdef"

    response = await client.get(f"/confirm-email?token={token}")

    assert response.status_code == 400
    [record] = [r for r in caplog.records if r.name == "tribune.request"]
    assert (record.route, record.status) == ("accounts:confirm_email", 400)  # type: ignore[attr-defined]
    app_records = [r for r in caplog.records if r.name.startswith("tribune")]
    assert all(token not in text for r in app_records for text in written(r))
