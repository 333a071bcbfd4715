"""A tribunal's cache_version, bumped by the database, and the values workers keep under it."""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories.accounts import make_user
from tests.factories.filings import make_case_type
from tests.factories.tribunals import make_staff, make_tribunal
from tribunals import cache
from tribunals.models import Membership, Role, Tribunal


async def version_of(db: AsyncSession, tribunal_id: uuid.UUID) -> int:
    await db.flush()
    return (
        await db.execute(select(Tribunal.cache_version).where(Tribunal.id == tribunal_id))
    ).scalar_one()


async def test_the_database_bumps_the_version_when_case_types_or_staff_change(
    db: AsyncSession,
) -> None:
    tribunal = await make_tribunal(db)
    other = await make_tribunal(db)
    versions = [await version_of(db, tribunal.id)]

    case_type = await make_case_type(db, tribunal)
    versions.append(await version_of(db, tribunal.id))
    case_type.title_en = "Renamed appeal"
    versions.append(await version_of(db, tribunal.id))
    judge = await make_staff(db, tribunal, Role.ADJUDICATOR)
    versions.append(await version_of(db, tribunal.id))
    judge.name = "Justice Renamed"
    versions.append(await version_of(db, tribunal.id))
    await db.execute(delete(Membership).where(Membership.user_id == judge.id))
    versions.append(await version_of(db, tribunal.id))

    assert all(later > earlier for earlier, later in itertools.pairwise(versions))
    # Another tribunal's version does not move, nor does a rename of someone without a role.
    before = await version_of(db, other.id)
    outsider = await make_user(db)
    outsider.name = "Someone Else"
    judge.name = "Justice Renamed Again"  # no longer staff anywhere
    assert await version_of(db, other.id) == before
    assert await version_of(db, tribunal.id) == versions[-1]


async def test_a_kept_value_is_loaded_again_only_when_the_version_changes(
    db: AsyncSession,
) -> None:
    tribunal = await make_tribunal(db)
    loads: list[int] = []

    async def load() -> tuple[int, ...]:
        loads.append(tribunal.cache_version)
        return (len(loads),)

    first = await cache.cached(tribunal, "test.values", load)
    again = await cache.cached(tribunal, "test.values", load)
    tribunal.cache_version += 1
    changed = await cache.cached(tribunal, "test.values", load)
    # An older version read by a slow request does not replace the newer value.
    tribunal.cache_version -= 1
    stale = await cache.cached(tribunal, "test.values", load)
    tribunal.cache_version += 1
    kept = await cache.cached(tribunal, "test.values", load)
    assert (first, again, changed, stale, kept) == ((1,), (1,), (2,), (3,), (2,))


async def test_the_kept_values_stay_within_their_ceiling(db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)

    async def load() -> int:
        return 1

    for number in range(cache.MAX_ENTRIES + 50):
        await cache.cached(tribunal, f"test.name-{number}", load)
    assert len(cache._entries) <= cache.MAX_ENTRIES
