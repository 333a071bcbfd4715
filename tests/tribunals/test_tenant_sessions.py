"""A tribunal's page loads the session with the tribunal and the roles: it must end, idle out
and be touched exactly as on every other page."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User, UserSession
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import post_form, sign_in
from tribunals.models import Membership, Role
from tribune.db import utcnow
from tribune.settings import Settings


async def signed_in_clerk(client: httpx.AsyncClient, db: AsyncSession) -> tuple[str, User]:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    await db.commit()
    await sign_in(client, clerk.email)
    docket = f"/{tribunal.slug}/staff/docket"
    assert (await client.get(docket)).status_code == 200
    return docket, clerk


@pytest.mark.parametrize("ending", ["idle", "expired", "signed out"])
async def test_an_ended_session_signs_no_one_in_on_a_tribunals_page(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, ending: str
) -> None:
    docket, clerk = await signed_in_clerk(client, db)
    if ending == "signed out":
        # Signed out elsewhere: the cookie still goes with the next request.
        cookies = dict(client.cookies)
        assert (await post_form(client, "/sign-out", {}, page="/account")).status_code == 303
        client.cookies.update(cookies)
    else:
        idle = timedelta(minutes=settings.session_idle_minutes)
        values = (
            {"last_seen_at": utcnow() - idle - timedelta(seconds=1)}
            if ending == "idle"
            else {"expires_at": utcnow()}
        )
        await db.execute(
            update(UserSession).where(UserSession.user_id == clerk.id).values(**values)
        )
        await db.commit()
    page = await client.get(docket)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/sign-in?next=")


async def test_a_role_removed_takes_effect_on_the_next_request(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    docket, clerk = await signed_in_clerk(client, db)
    await db.execute(delete(Membership).where(Membership.user_id == clerk.id))
    await db.commit()
    assert (await client.get(docket)).status_code == 404


async def test_a_tribunals_page_keeps_the_session_alive(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    docket, clerk = await signed_in_clerk(client, db)
    earlier = utcnow() - timedelta(minutes=5)
    await db.execute(
        update(UserSession).where(UserSession.user_id == clerk.id).values(last_seen_at=earlier)
    )
    await db.commit()
    assert (await client.get(docket)).status_code == 200
    seen = (
        await db.execute(select(UserSession.last_seen_at).where(UserSession.user_id == clerk.id))
    ).scalar_one()
    assert seen > earlier + timedelta(minutes=4)
