"""Factories of tribunals (the tenants) and their staff."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from tests.factories import unique
from tests.factories.accounts import make_user
from tribunals.models import Membership, Role, Tribunal


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
