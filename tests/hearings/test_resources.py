"""Interpreters and hearing rooms: an administrator lists, adds, changes, deactivates and
reactivates them; bad input is refused with a message and changes nothing; another
tribunal's ids answer 404; every change is audited."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hearings.models import HearingRoom, Interpreter
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import as_user, count, csrf_token, post_form, text_of
from tribunals.models import Role, Tribunal
from tribune.audit import AuditAction, AuditEvent

INTERPRETER = {
    "name": "Sophie Lavoie",
    "email": "Sophie.Lavoie@Interpretes.example",
    "phone": "514 555 0137 poste 12",
}


async def admin_of(client: httpx.AsyncClient, db: AsyncSession) -> Tribunal:
    tribunal = await make_tribunal(db)
    await as_user(client, await make_staff(db, tribunal, Role.ADMIN))
    return tribunal


async def actions(db: AsyncSession, tribunal: Tribunal) -> list[str]:
    rows = await db.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.tribunal_id == tribunal.id)
        .order_by(AuditEvent.occurred_at)
    )
    return [action for action in rows if action.startswith(("interpreter.", "hearing_room."))]


async def test_an_administrator_adds_changes_and_deactivates_an_interpreter(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await admin_of(client, db)
    new = f"/{tribunal.slug}/staff/hearings/interpreters/new"
    # Several languages ticked: the field comes several times.
    token = await csrf_token(client, new)
    added = await client.post(
        new, data={**INTERPRETER, "languages": ["fcs", "fr", "ase"], "csrf_token": token}
    )
    assert added.status_code == 303, text_of(added)[:2000]
    interpreter = await db.scalar(select(Interpreter).where(Interpreter.tribunal_id == tribunal.id))
    assert interpreter is not None
    assert interpreter.email == "sophie.lavoie@interpretes.example"
    assert interpreter.languages == ["ase", "fcs", "fr"]
    listing = text_of(await client.get(added.headers["location"]))
    assert "Sophie Lavoie" in listing
    assert "American Sign Language (ASL)" in listing
    assert "Quebec Sign Language (LSQ)" in listing

    page = f"/{tribunal.slug}/staff/hearings/interpreters/{interpreter.id}"
    assert 'value="Sophie Lavoie"' in (await client.get(page)).text
    changed = await post_form(
        client, page, {**INTERPRETER, "name": "Sophie Lavoie-Roy", "languages": "es"}, page=page
    )
    assert changed.status_code == 303
    await db.refresh(interpreter)
    assert (interpreter.name, interpreter.languages) == ("Sophie Lavoie-Roy", ["es"])

    active = f"{page}/active"
    assert (await post_form(client, active, {"active": "no"}, page=page)).status_code == 303
    await db.refresh(interpreter)
    assert not interpreter.active
    assert "Reactivate" in text_of(
        await client.get(f"/{tribunal.slug}/staff/hearings/interpreters")
    )
    assert (await post_form(client, active, {"active": "yes"}, page=page)).status_code == 303
    await db.refresh(interpreter)
    assert interpreter.active
    assert await actions(db, tribunal) == [
        AuditAction.INTERPRETER_ADDED,
        AuditAction.INTERPRETER_CHANGED,
        AuditAction.INTERPRETER_DEACTIVATED,
        AuditAction.INTERPRETER_REACTIVATED,
    ]


BAD_INTERPRETERS = [
    ({"name": ""}, "name", "Enter the interpreter's name"),
    ({"name": "Sophie\u202eLavoie"}, "name", "Remove the control characters from this answer"),
    ({"languages": ""}, "languages", "Select the languages the interpreter works in"),
    ({"languages": "klingon"}, "languages", "Select the languages the interpreter works in"),
    ({"email": ""}, "email", "Enter the interpreter's email address"),
    (
        {"email": "sophie@"},
        "email",
        "Enter an email address in the correct format, like name@example.com",
    ),
    ({"phone": "555-0137"}, "phone", "Enter a telephone number, like 416 555 0123"),
]


async def test_bad_interpreter_details_are_refused_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await admin_of(client, db)
    new = f"/{tribunal.slug}/staff/hearings/interpreters/new"
    for changes, field, message in BAD_INTERPRETERS:
        data = {**INTERPRETER, "languages": "fr", **changes}
        response = await post_form(client, new, data, page=new)
        assert response.status_code == 422, changes
        shown = text_of(response)
        assert message in shown, changes
        assert f'href="#{field}"' in shown
        if field != "email":
            assert 'value="sophie.lavoie@interpretes.example"' in shown.lower()
    assert await count(db, Interpreter, Interpreter.tribunal_id == tribunal.id) == 0


async def test_an_administrator_adds_changes_and_deactivates_a_room(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await admin_of(client, db)
    new = f"/{tribunal.slug}/staff/hearings/rooms/new"
    room_data = {
        "name": "Hearing room 3",
        "address": "505 University Avenue\nToronto ON",
        "capacity": "24",
        "accessibility_notes": "Hearing loop",
    }
    for changes, field, message in [
        ({"name": ""}, "name", "Enter the room's name"),
        ({"address": " "}, "address", "Enter the room's address"),
        ({"capacity": ""}, "capacity", "Enter how many people the room holds"),
        ({"capacity": "0"}, "capacity", "Enter a capacity from 1 to 2000 people"),
        ({"capacity": "1e3"}, "capacity", "Enter a capacity from 1 to 2000 people"),
        (
            {"capacity": "99999999999999999999"},
            "capacity",
            "Enter a capacity from 1 to 2000 people",
        ),
    ]:
        refused = await post_form(client, new, {**room_data, **changes}, page=new)
        assert refused.status_code == 422, changes
        assert message in text_of(refused)
        assert f'href="#{field}"' in refused.text
    assert await count(db, HearingRoom, HearingRoom.tribunal_id == tribunal.id) == 0

    assert (await post_form(client, new, room_data, page=new)).status_code == 303
    room = await db.scalar(select(HearingRoom).where(HearingRoom.tribunal_id == tribunal.id))
    assert room is not None
    assert (room.capacity, room.address) == (24, "505 University Avenue\nToronto ON")
    page = f"/{tribunal.slug}/staff/hearings/rooms/{room.id}"
    changed = await post_form(client, page, {**room_data, "capacity": "30"}, page=page)
    assert changed.status_code == 303
    assert (
        await post_form(client, f"{page}/active", {"active": "no"}, page=page)
    ).status_code == 303
    await db.refresh(room)
    assert (room.capacity, room.active) == (30, False)
    assert await actions(db, tribunal) == [
        AuditAction.ROOM_ADDED,
        AuditAction.ROOM_CHANGED,
        AuditAction.ROOM_DEACTIVATED,
    ]


async def test_another_tribunals_interpreters_and_rooms_answer_404(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    elsewhere = await make_tribunal(db)
    theirs = Interpreter(
        tribunal_id=elsewhere.id, name="Theirs", languages=["fr"], email="t@x.example"
    )
    their_room = HearingRoom(tribunal_id=elsewhere.id, name="Theirs", address="x", capacity=3)
    db.add_all([theirs, their_room])
    await db.commit()
    tribunal = await admin_of(client, db)
    base = f"/{tribunal.slug}/staff/hearings"
    for path in [
        f"interpreters/{theirs.id}",
        f"rooms/{their_room.id}",
        f"interpreters/{uuid.uuid4()}",
        f"availability/interpreters/{theirs.id}",
        f"availability/rooms/{their_room.id}",
        f"availability/hats/{their_room.id}",
    ]:
        assert (await client.get(f"{base}/{path}")).status_code == 404, path
    for path, data in [
        (f"interpreters/{theirs.id}", {**INTERPRETER, "languages": "fr"}),
        (f"interpreters/{theirs.id}/active", {"active": "no"}),
        (f"rooms/{their_room.id}/active", {"active": "no"}),
        (f"availability/rooms/{their_room.id}/pattern", {"start-0-1": "09:00", "end-0-1": "10:00"}),
    ]:
        response = await post_form(client, f"{base}/{path}", data, page=f"{base}/interpreters")
        assert response.status_code == 404, path
    await db.refresh(theirs)
    await db.refresh(their_room)
    assert (theirs.name, theirs.active, their_room.active) == ("Theirs", True, True)
