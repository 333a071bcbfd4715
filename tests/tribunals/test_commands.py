"""The operator's commands for tribunals, and the rules of creating one.

Covered: ``create_tribunal`` refuses reserved, malformed and duplicate slugs,
unknown time zones and provinces, and accent colours that white text cannot be
read on; ``load_demo_data`` creates the two demo tribunals with their staff
once. Then the real command line, in a subprocess against its own SQLite
database: migrate, create-tribunal, create-staff with a password on standard
input, demo-data twice, and the errors an operator sees.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from accounts.passwords import verify_password
from tests.factories import unique
from tribunals.commands import DEMO_PASSWORD, load_demo_data
from tribunals.models import Membership, Tribunal
from tribunals.services import (
    RESERVED_SLUGS,
    TribunalDetails,
    TribunalError,
    create_tribunal,
    staff_of,
    tribunal_by_slug,
)
from tribune.settings import PROJECT_ROOT


def details(**changes: str) -> TribunalDetails:
    values = {
        "slug": unique("board-"),
        "name_en": "Assessment Review Board",
        "name_fr": "Commission de révision de l'évaluation foncière",
        **changes,
    }
    return TribunalDetails(**values)


async def tribunal_count(db: AsyncSession) -> int:
    return int((await db.execute(select(func.count()).select_from(Tribunal))).scalar_one())


async def test_a_valid_tribunal_is_created(db: AsyncSession) -> None:
    created = await create_tribunal(db, details(slug="arb-test", accent_colour="#1D70B8"))
    await db.flush()
    found = await tribunal_by_slug(db, "arb-test")
    assert found is created
    assert found.accent_colour == "#1d70b8"
    assert found.time_zone == "America/Toronto"


@pytest.mark.parametrize("slug", sorted(RESERVED_SLUGS))
async def test_reserved_slugs_are_refused(db: AsyncSession, slug: str) -> None:
    before = await tribunal_count(db)
    with pytest.raises(TribunalError):
        await create_tribunal(db, details(slug=slug))
    assert await tribunal_count(db) == before


async def test_a_reserved_slug_is_refused_with_the_reason(db: AsyncSession) -> None:
    with pytest.raises(TribunalError, match="used by the platform itself"):
        await create_tribunal(db, details(slug="register"))


@pytest.mark.parametrize(
    "slug",
    ["", "a", "Board", "1board", "-board", "board-", "board_one", "board one", "b" * 41, "café"],
)
async def test_malformed_slugs_are_refused(db: AsyncSession, slug: str) -> None:
    with pytest.raises(TribunalError, match="lowercase letters, digits and hyphens"):
        await create_tribunal(db, details(slug=slug))


async def test_a_slug_cannot_be_used_twice(db: AsyncSession) -> None:
    slug = unique("twice-")
    await create_tribunal(db, details(slug=slug))
    with pytest.raises(TribunalError, match="already uses the slug"):
        await create_tribunal(db, details(slug=slug, name_en="Another Board"))
    rows = await db.execute(select(Tribunal.name_en).where(Tribunal.slug == slug))
    assert list(rows.scalars()) == ["Assessment Review Board"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"time_zone": "America/Atlantis"}, "unknown time zone"),
        ({"time_zone": "../etc/passwd"}, "unknown time zone"),
        ({"province": "XX"}, "unknown province or territory"),
        ({"province": "ny"}, "unknown province or territory"),
        ({"name_fr": "  "}, "a name in English and in French"),
        ({"accent_colour": "blue"}, "must look like #1d70b8"),
        ({"accent_colour": "#ffdd00"}, "contrast at least 4.5:1"),  # yellow
        ({"accent_colour": "#777777"}, "contrast at least 4.5:1"),  # 4.48:1
    ],
)
async def test_details_that_would_not_work_are_refused(
    db: AsyncSession, changes: dict[str, str], reason: str
) -> None:
    before = await tribunal_count(db)
    with pytest.raises(TribunalError, match=reason):
        await create_tribunal(db, details(**changes))
    assert await tribunal_count(db) == before


async def test_an_accent_colour_just_dark_enough_is_accepted(db: AsyncSession) -> None:
    tribunal = await create_tribunal(db, details(accent_colour="#767676"))  # 4.54:1
    assert tribunal.accent_colour == "#767676"


async def test_demo_data_is_loaded_once(db: AsyncSession) -> None:
    assert await load_demo_data(db) is True
    await db.flush()

    for slug in ("wcat", "lrb"):
        tribunal = await tribunal_by_slug(db, slug)
        assert tribunal is not None
        staff = await staff_of(db, tribunal.id)
        roles = sorted(role.value for member in staff for role in member.roles)
        assert roles == ["adjudicator", "admin", "clerk"]
        assert len(staff) == 3
        assert all(verify_password(member.user.password_hash, DEMO_PASSWORD) for member in staff)
    lrb = await tribunal_by_slug(db, "lrb")
    assert lrb is not None
    assert lrb.default_language == "fr"

    counts = [
        int((await db.execute(select(func.count()).select_from(model))).scalar_one())
        for model in (Tribunal, User, Membership)
    ]
    assert await load_demo_data(db) is False
    await db.flush()
    assert [
        int((await db.execute(select(func.count()).select_from(model))).scalar_one())
        for model in (Tribunal, User, Membership)
    ] == counts


# -- the real command line ------------------------------------------------------------------


def run_cli(
    environment: dict[str, str], *arguments: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tribune", *arguments],
        cwd=PROJECT_ROOT,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def cli_environment(tmp_path: Path) -> dict[str, str]:
    """The environment of an operator's shell, with a database of its own."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("TRIBUNE_")
    }
    environment.update(
        {
            "TRIBUNE_ENV": "development",
            "TRIBUNE_DATA_DIR": str(tmp_path),
            "TRIBUNE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
            "TRIBUNE_STORAGE_URL": str(tmp_path / "documents"),
            "TRIBUNE_LOG_LEVEL": "WARNING",
        }
    )
    return environment


def test_operator_sets_up_a_tribunal_from_the_command_line(
    cli_environment: dict[str, str], tmp_path: Path
) -> None:
    migrated = run_cli(cli_environment, "migrate")
    assert migrated.returncode == 0, migrated.stderr

    created = run_cli(
        cli_environment,
        "create-tribunal",
        "ombuds",
        "--name-en",
        "Ombuds Review Tribunal",
        "--name-fr",
        "Tribunal de révision de l'ombudsman",
        "--province",
        "QC",
        "--accent-colour",
        "#5B2C86",
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "created tribunal /ombuds/"

    staff = run_cli(
        cli_environment,
        "create-staff",
        "ombuds",
        "Registrar@Ombuds.Example",
        "--name",
        "Rita Registrar",
        "--role",
        "admin",
        "--language",
        "fr",
        "--password-stdin",
        stdin="a long and private passphrase\n",
    )
    assert staff.returncode == 0, staff.stderr
    assert staff.stdout.strip() == "admin added to /ombuds/"

    reserved = run_cli(
        cli_environment, "create-tribunal", "sign-in", "--name-en", "X", "--name-fr", "X"
    )
    assert reserved.returncode == 2
    assert "error: 'sign-in' is used by the platform itself" in reserved.stderr
    assert reserved.stdout == ""

    nowhere = run_cli(
        cli_environment, "create-staff", "nowhere", "a@b.example", "--name", "A", "--role", "clerk"
    )
    assert nowhere.returncode == 2
    assert "no tribunal has the slug 'nowhere'" in nowhere.stderr

    first = run_cli(cli_environment, "demo-data")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("demo data loaded\n")
    assert "admin@wcat.example" in first.stdout
    again = run_cli(cli_environment, "demo-data")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("demo data already present\n")

    with sqlite3.connect(tmp_path / "cli.sqlite3") as connection:
        rows = connection.execute(
            "SELECT t.slug, t.province, t.accent_colour, u.email, u.language, u.password_hash,"
            " m.role FROM memberships m JOIN tribunals t ON t.id = m.tribunal_id"
            " JOIN users u ON u.id = m.user_id ORDER BY t.slug, m.role"
        ).fetchall()
    ombuds = [row for row in rows if row[0] == "ombuds"]
    assert len(ombuds) == 1
    _slug, province, accent, email, language, password_hash, role = ombuds[0]
    assert (province, accent, email, language, role) == (
        "QC",
        "#5b2c86",
        "registrar@ombuds.example",
        "fr",
        "admin",
    )
    assert verify_password(password_hash, "a long and private passphrase")
    assert sorted((row[0], row[6]) for row in rows if row[0] != "ombuds") == [
        ("lrb", "adjudicator"),
        ("lrb", "admin"),
        ("lrb", "clerk"),
        ("wcat", "adjudicator"),
        ("wcat", "admin"),
        ("wcat", "clerk"),
    ]
