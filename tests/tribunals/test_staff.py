"""The staff workspace, the staff admin page and invitations to join the staff.

Covered: who may open ``/{slug}/staff`` and ``/{slug}/staff/people`` (visitors
are sent to sign in, claimants and other tribunals' staff get 404, clerks and
adjudicators see only the workspace), the staff list, inviting by email with
its validation and the email in the invitee's language, and the invitation
link: accepted by the person it was sent to, refused to anyone else, and
dead once expired, used or opened at another tribunal.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from tests.factories import unique
from tests.factories.accounts import PASSWORD, make_user
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import count as count_rows
from tests.helpers import (
    csrf_token,
    french,
    hidden_fields,
    last_message,
    link_in,
    post_form,
    sign_in,
)
from tribunals.models import Membership, Role, StaffInvitation, Tribunal
from tribune.db import utcnow
from tribune.mail import OutboxMessage

NOT_VALID = "This invitation is not valid"
WRONG_PERSON = "This invitation was sent to another email address."


@pytest.fixture
async def second_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser, for a second person at the same time."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.11", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def roles_held(db: AsyncSession, tribunal: Tribunal, user_id: uuid.UUID) -> set[Role]:
    rows = await db.execute(
        select(Membership.role).where(
            Membership.tribunal_id == tribunal.id, Membership.user_id == user_id
        )
    )
    roles = set(rows.scalars())
    await db.commit()
    return roles


async def count(db: AsyncSession, model: type, *where: object) -> int:
    """Count the rows (`tests.helpers.count`), then end the test's read transaction."""
    total = await count_rows(db, model, *where)
    await db.commit()
    return total


async def invite(
    client: httpx.AsyncClient, tribunal: Tribunal, email: str, role: str
) -> httpx.Response:
    path = f"/{tribunal.slug}/staff/people"
    return await post_form(client, path, {"email": email, "role": role}, page=path)


async def open_invitation(db: AsyncSession, email: str) -> str:
    """Return the path of the invitation link in the last email sent to an address."""
    return link_in(await last_message(db, email))


# -- who may open the workspace -------------------------------------------------------------


@pytest.mark.parametrize("page", ["staff", "staff/people"])
async def test_visitors_are_asked_to_sign_in_and_come_back(
    client: httpx.AsyncClient, db: AsyncSession, page: str
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)

    response = await client.get(f"/{tribunal.slug}/{page}")
    assert response.status_code == 303
    target = f"/{tribunal.slug}/{page}"
    assert response.headers["location"] == "/sign-in?" + urlencode({"next": target})

    signed_in = await post_form(
        client,
        "/sign-in",
        {"email": admin.email, "password": PASSWORD, "next": target},
    )
    assert signed_in.headers["location"] == target
    assert (await client.get(target)).status_code == 200


@pytest.mark.parametrize("page", ["staff", "staff/people"])
async def test_claimants_are_told_the_workspace_does_not_exist(
    client: httpx.AsyncClient, db: AsyncSession, page: str
) -> None:
    tribunal = await make_tribunal(db)
    claimant = await make_user(db)
    await sign_in(client, claimant.email)
    response = await client.get(f"/{tribunal.slug}/{page}")
    assert response.status_code == 404
    assert "Page not found" in response.text


@pytest.mark.parametrize("page", ["staff", "staff/people"])
async def test_even_the_admin_of_another_tribunal_gets_not_found(
    client: httpx.AsyncClient, db: AsyncSession, page: str
) -> None:
    tribunal = await make_tribunal(db)
    elsewhere = await make_tribunal(db)
    outsider = await make_staff(db, elsewhere, Role.ADMIN)
    await sign_in(client, outsider.email)
    response = await client.get(f"/{tribunal.slug}/{page}")
    assert response.status_code == 404
    assert (await client.get(f"/{elsewhere.slug}/{page}")).status_code == 200


@pytest.mark.parametrize("role", [Role.CLERK, Role.ADJUDICATOR])
async def test_clerks_and_adjudicators_use_the_workspace_but_not_the_staff_admin(
    client: httpx.AsyncClient, db: AsyncSession, role: Role
) -> None:
    tribunal = await make_tribunal(db)
    person = await make_staff(db, tribunal, role, name="Sam Staff")
    await sign_in(client, person.email)

    workspace = await client.get(f"/{tribunal.slug}/staff")
    assert workspace.status_code == 200
    assert "Staff workspace" in workspace.text
    assert "You are signed in as Sam Staff." in workspace.text
    assert f">{role.value}</strong>" in workspace.text
    assert f'href="/{tribunal.slug}/staff/people"' not in workspace.text

    assert (await client.get(f"/{tribunal.slug}/staff/people")).status_code == 404
    refused = await post_form(
        client,
        f"/{tribunal.slug}/staff/people",
        {"email": "friend@example.org", "role": "admin"},
        page=f"/{tribunal.slug}/staff",
    )
    assert refused.status_code == 404
    assert await count(db, StaffInvitation, StaffInvitation.tribunal_id == tribunal.id) == 0


async def test_admin_sees_the_staff_and_their_roles(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    elsewhere = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN, name="Ada Admin")
    both = await make_staff(db, tribunal, Role.CLERK, name="Bea Both")
    db.add(Membership(tribunal_id=tribunal.id, user_id=both.id, role=Role.ADJUDICATOR))
    await db.commit()
    await make_staff(db, elsewhere, Role.CLERK, name="Olga Outsider")
    await sign_in(client, admin.email)

    workspace = await client.get(f"/{tribunal.slug}/staff")
    assert f'href="/{tribunal.slug}/staff/people"' in workspace.text

    response = await client.get(f"/{tribunal.slug}/staff/people")
    assert response.status_code == 200
    page = response.text
    assert "Ada Admin" in page
    assert admin.email in page
    assert "Bea Both" in page
    assert "Clerk, Adjudicator" in page
    assert "Olga Outsider" not in page


# -- inviting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message", "kept"),
    [
        ({"email": "", "role": "clerk"}, "Enter the email address of the person to invite", None),
        (
            {"email": "not-an-address", "role": "clerk"},
            "Enter an email address in the correct format, like name@example.com",
            'value="not-an-address"',
        ),
        ({"email": "kim@example.org"}, "Select a role", 'value="kim@example.org"'),
    ],
)
async def test_invitation_with_a_mistake_is_shown_again_with_the_error(
    client: httpx.AsyncClient,
    db: AsyncSession,
    fields: dict[str, str],
    message: str,
    kept: str | None,
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    await sign_in(client, admin.email)

    path = f"/{tribunal.slug}/staff/people"
    response = await post_form(client, path, fields, page=path)
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert "There is a problem" in page
    assert "<title>Error:" in page
    assert message in page
    if kept:
        assert kept in page
    if fields.get("role"):
        assert f'value="{fields["role"]}" checked' in page
    assert await count(db, StaffInvitation, StaffInvitation.tribunal_id == tribunal.id) == 0
    assert await count(db, OutboxMessage, OutboxMessage.tribunal_id == tribunal.id) == 0


async def test_inviting_someone_who_already_holds_the_role_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    await sign_in(client, admin.email)

    response = await invite(client, tribunal, clerk.email.upper(), "clerk")
    assert response.status_code == 422
    assert "This person already holds that role" in response.text
    assert await count(db, StaffInvitation, StaffInvitation.tribunal_id == tribunal.id) == 0
    assert await count(db, OutboxMessage, OutboxMessage.to_address == clerk.email) == 0

    # Another role for the same person is fine.
    assert (await invite(client, tribunal, clerk.email, "adjudicator")).status_code == 303


async def test_invitation_to_a_new_address_is_written_in_the_tribunals_language(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db, default_language="fr", name_fr="Commission des permis")
    admin = await make_staff(db, tribunal, Role.ADMIN, name="Ada Admin", language="en")
    await sign_in(client, admin.email)
    email = f"{unique('new-')}@example.org"

    response = await invite(client, tribunal, email, "clerk")
    assert response.status_code == 303
    assert response.headers["location"] == f"/{tribunal.slug}/staff/people?invited=1"

    message = await last_message(db, email)
    assert message.language == "fr"
    assert message.subject == french(
        "Invitation to join %(tribunal)s", tribunal="Commission des permis"
    )
    assert f"/{tribunal.slug}/invitations/accept?token=" in message.body

    listed = await client.get(response.headers["location"])
    assert "Invitation sent. It expires in 7 days." in listed.text
    assert email in listed.text


async def test_invited_person_accepts_and_can_open_the_workspace(
    client: httpx.AsyncClient, second_client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db, default_language="fr")
    admin = await make_staff(db, tribunal, Role.ADMIN)
    invitee = await make_user(db, name="Ian Invitee", language="en")
    await sign_in(client, admin.email)

    assert (
        await invite(client, tribunal, f"  {invitee.email.upper()} ", "adjudicator")
    ).status_code == 303
    message = await last_message(db, invitee.email)
    assert message.language == "en"  # the person's own language, not the tribunal's
    assert message.subject == f"Invitation to join {tribunal.name_en}"
    assert "has invited you to work as adjudicator" in message.body

    # The invitee opens the link from the email, is asked to sign in, then accepts.
    link = link_in(message)
    assert (await second_client.get(link)).status_code == 303
    await sign_in(second_client, invitee.email)
    assert (await second_client.get(f"/{tribunal.slug}/staff")).status_code == 404
    offer = await second_client.get(link)
    assert offer.status_code == 200
    assert "You have been invited to work as adjudicator." in offer.text

    accepted = await second_client.post(
        f"/{tribunal.slug}/invitations/accept", data=hidden_fields(offer.text)
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/{tribunal.slug}/staff"
    assert await roles_held(db, tribunal, invitee.id) == {Role.ADJUDICATOR}
    workspace = await second_client.get(f"/{tribunal.slug}/staff")
    assert workspace.status_code == 200
    assert "You are signed in as Ian Invitee." in workspace.text

    people = await client.get(f"/{tribunal.slug}/staff/people")
    assert "Ian Invitee" in people.text
    assert "Invitations waiting for an answer" not in people.text


async def test_someone_else_cannot_accept_an_invitation(
    client: httpx.AsyncClient, second_client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    email = f"{unique('invited-')}@example.org"
    await sign_in(client, admin.email)
    assert (await invite(client, tribunal, email, "admin")).status_code == 303
    link = await open_invitation(db, email)
    token = link.split("token=", 1)[1]

    intruder = await make_user(db)
    await sign_in(second_client, intruder.email)
    response = await second_client.get(link)
    assert response.status_code == 403
    assert WRONG_PERSON in html.unescape(response.text)
    assert 'name="token"' not in response.text

    forced = await second_client.post(
        f"/{tribunal.slug}/invitations/accept",
        data={"token": token, "csrf_token": await csrf_token(second_client, "/")},
    )
    assert forced.status_code == 403
    assert await roles_held(db, tribunal, intruder.id) == set()
    assert (
        await count(
            db,
            StaffInvitation,
            StaffInvitation.accepted_at.is_not(None),
            StaffInvitation.tribunal_id == tribunal.id,
        )
        == 0
    )


async def expire(db: AsyncSession, tribunal: Tribunal, email: str) -> None:
    await db.execute(
        update(StaffInvitation)
        .where(StaffInvitation.tribunal_id == tribunal.id, StaffInvitation.email == email)
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    await db.commit()


@pytest.mark.parametrize("problem", ["expired", "used", "other tribunal", "made up"])
async def test_a_dead_invitation_link_changes_nothing(
    client: httpx.AsyncClient,
    second_client: httpx.AsyncClient,
    db: AsyncSession,
    problem: str,
) -> None:
    tribunal = await make_tribunal(db)
    elsewhere = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    invitee = await make_user(db)
    await sign_in(client, admin.email)
    assert (await invite(client, tribunal, invitee.email, "clerk")).status_code == 303
    link = await open_invitation(db, invitee.email)
    token = link.split("token=", 1)[1]
    await sign_in(second_client, invitee.email)
    target = tribunal

    if problem == "expired":
        await expire(db, tribunal, invitee.email)
    elif problem == "used":
        offer = await second_client.get(link)
        fields = hidden_fields(offer.text)
        assert (
            await second_client.post(f"/{tribunal.slug}/invitations/accept", data=fields)
        ).status_code == 303
        # Swap the granted role, so that a second acceptance would show as a clerk role again.
        await db.execute(
            update(Membership).where(Membership.user_id == invitee.id).values(role=Role.ADJUDICATOR)
        )
        await db.commit()
    elif problem == "other tribunal":
        target = elsewhere
    else:
        token = unique("forged-token-")

    before = {
        "tribunal": await roles_held(db, tribunal, invitee.id),
        "elsewhere": await roles_held(db, elsewhere, invitee.id),
        "accepted": await count(db, StaffInvitation, StaffInvitation.accepted_at.is_not(None)),
    }
    accept_path = f"/{target.slug}/invitations/accept"
    response = await second_client.get(accept_path, params={"token": token})
    assert response.status_code == 400
    assert NOT_VALID in response.text
    assert 'name="token"' not in response.text

    posted = await second_client.post(
        accept_path, data={"token": token, "csrf_token": await csrf_token(second_client, "/")}
    )
    assert posted.status_code == 400
    assert NOT_VALID in posted.text

    after: dict[str, Any] = {
        "tribunal": await roles_held(db, tribunal, invitee.id),
        "elsewhere": await roles_held(db, elsewhere, invitee.id),
        "accepted": await count(db, StaffInvitation, StaffInvitation.accepted_at.is_not(None)),
    }
    assert after == before
    assert Role.CLERK not in after["tribunal"]
    assert after["elsewhere"] == set()


async def test_an_admin_inviting_many_people_is_held_back_after_twenty_in_an_hour(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    await sign_in(client, admin.email)
    for number in range(20):
        sent = await invite(client, tribunal, f"{unique(f'staff-{number}-')}@example.org", "clerk")
        assert sent.status_code == 303
    email = f"{unique('one-more-')}@example.org"
    refused = await invite(client, tribunal, email, "clerk")
    assert refused.status_code == 429
    assert "You have asked us to send many emails recently" in html.unescape(refused.text)
    assert await count_rows(db, OutboxMessage, OutboxMessage.to_address == email) == 0
    assert await count_rows(db, StaffInvitation, StaffInvitation.email == email) == 0
