"""Operator commands for tribunals: create one, add staff, load the demo data."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.services import ensure_user
from tribunals.models import Role
from tribunals.services import (
    TribunalDetails,
    TribunalError,
    create_tribunal,
    grant_role,
    tribunal_by_slug,
)

# Development only: demo data is refused in production.
DEMO_PASSWORD = "tribune-demo-2026"  # noqa: S105

DEMO_TRIBUNALS = [
    TribunalDetails(
        slug="wcat",
        name_en="Workplace Compensation Appeals Tribunal",
        name_fr="Tribunal d'appel de l'indemnisation des accidents du travail",
        short_name_en="WCAT",
        short_name_fr="TAIAT",
        description_en=(
            "Hears appeals of decisions about compensation for workplace injuries and "
            "illnesses. A fictional tribunal for demonstration."
        ),
        description_fr=(
            "Entend les appels des décisions sur l'indemnisation des lésions et maladies "
            "professionnelles. Un tribunal fictif, pour la démonstration."
        ),
        contact_email="registrar@wcat.example",
        contact_phone="+1 416 555 0100",
        contact_address="505 University Avenue, 7th floor\nToronto ON  M5G 2P2",
        time_zone="America/Toronto",
        province="ON",
        default_language="en",
        accent_colour="#00703c",
    ),
    TribunalDetails(
        slug="lrb",
        name_en="Labour Relations Board",
        name_fr="Commission des relations de travail",
        short_name_en="LRB",
        short_name_fr="CRT",
        description_en=(
            "Decides applications about union certification, unfair labour practices and "
            "collective bargaining. A fictional board for demonstration."
        ),
        description_fr=(
            "Tranche les requêtes en accréditation syndicale, en pratiques déloyales de travail "
            "et en négociation collective. Une commission fictive, pour la démonstration."
        ),
        contact_email="registrar@lrb.example",
        contact_phone="+1 613 555 0199",
        contact_address="100 Queen Street, suite 400\nOttawa ON  K1P 1J9",
        time_zone="America/Toronto",
        province="ON",
        default_language="fr",
        accent_colour="#5b2c86",
    ),
]

DEMO_STAFF = [
    ("wcat", Role.ADMIN, "admin@wcat.example", "Amira Haddad", "en"),
    ("wcat", Role.CLERK, "clerk@wcat.example", "Colin Tremblay", "en"),
    ("wcat", Role.ADJUDICATOR, "adjudicator@wcat.example", "Justine Okafor", "en"),
    ("lrb", Role.ADMIN, "admin@lrb.example", "Louis Gagnon", "fr"),
    ("lrb", Role.CLERK, "clerk@lrb.example", "Chloé Bergeron", "fr"),
    ("lrb", Role.ADJUDICATOR, "adjudicator@lrb.example", "Marc-André Roy", "fr"),
]

Runner = Callable[[Callable[[AsyncSession], Awaitable[Any]]], Awaitable[Any]]


async def load_demo_data(db: AsyncSession) -> bool:
    """Create the demo tribunals and their staff once; return False if they were there."""
    if await tribunal_by_slug(db, DEMO_TRIBUNALS[0].slug) is not None:
        return False
    tribunals = {}
    for details in DEMO_TRIBUNALS:
        tribunals[details.slug] = await create_tribunal(db, details)
    await ensure_user(
        db,
        email="operator@tribune.example",
        name="Olivia Operator",
        password=DEMO_PASSWORD,
        platform_operator=True,
    )
    for slug, role, email, name, language in DEMO_STAFF:
        user = await ensure_user(
            db, email=email, name=name, password=DEMO_PASSWORD, language=language
        )
        await db.flush()
        await grant_role(db, tribunals[slug], user, role)
    return True


def describe_demo(url_path_for: Callable[..., str]) -> str:
    """Return the demo accounts and where each starts, from the router's path builder."""
    lines = [f"Demo accounts (password: {DEMO_PASSWORD}):", "  operator@tribune.example"]
    lines += [
        f"  {email:<28} {role.value:<12} {url_path_for('tribunals:workspace', tribunal=slug)}"
        for slug, role, email, _n, _l in DEMO_STAFF
    ]
    my_cases = url_path_for("filings:journey:my_cases")
    lines += [f"  {'claimant@example.org':<28} {'claimant':<12} {my_cases}"]
    return "\n".join(lines)


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    create = commands.add_parser("create-tribunal", help="create a tribunal")
    create.add_argument("slug")
    create.add_argument("--name-en", required=True)
    create.add_argument("--name-fr", required=True)
    create.add_argument("--short-name-en", default="")
    create.add_argument("--short-name-fr", default="")
    create.add_argument("--description-en", default="")
    create.add_argument("--description-fr", default="")
    create.add_argument("--contact-email", default="")
    create.add_argument("--contact-phone", default="")
    create.add_argument("--contact-address", default="")
    create.add_argument("--time-zone", default="America/Toronto")
    create.add_argument("--province", default="ON")
    create.add_argument("--default-language", default="en", choices=["en", "fr"])
    create.add_argument("--accent-colour", default="#1d70b8")
    create.set_defaults(handler=_create_tribunal)

    staff = commands.add_parser("create-staff", help="give a person a role in a tribunal")
    staff.add_argument("tribunal", help="the tribunal's slug")
    staff.add_argument("email")
    staff.add_argument("--name", required=True)
    staff.add_argument("--role", required=True, choices=[role.value for role in Role])
    staff.add_argument("--language", default="en", choices=["en", "fr"])
    staff.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (otherwise the person resets it)",
    )
    staff.set_defaults(handler=_create_staff)

    operator = commands.add_parser("create-operator", help="make a person a platform operator")
    operator.add_argument("email")
    operator.add_argument("--name", required=True)
    operator.add_argument("--password-stdin", action="store_true")
    operator.set_defaults(handler=_create_operator)

    # Run by the composition root, which also loads the other domains' demo data.
    commands.add_parser("demo-data", help="load the demo tribunals, staff and case types once")


def _read_password(arguments: argparse.Namespace) -> str | None:
    if not arguments.password_stdin:
        return None
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\n")


async def _create_tribunal(arguments: argparse.Namespace, run: Runner) -> int:
    details = TribunalDetails(
        slug=arguments.slug,
        name_en=arguments.name_en,
        name_fr=arguments.name_fr,
        short_name_en=arguments.short_name_en,
        short_name_fr=arguments.short_name_fr,
        description_en=arguments.description_en,
        description_fr=arguments.description_fr,
        contact_email=arguments.contact_email,
        contact_phone=arguments.contact_phone,
        contact_address=arguments.contact_address,
        time_zone=arguments.time_zone,
        province=arguments.province,
        default_language=arguments.default_language,
        accent_colour=arguments.accent_colour,
    )
    try:
        await run(lambda db: create_tribunal(db, details))
    except TribunalError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"created tribunal /{details.slug}/")
    return 0


async def _create_staff(arguments: argparse.Namespace, run: Runner) -> int:
    password = _read_password(arguments)

    async def create(db: AsyncSession) -> bool:
        tribunal = await tribunal_by_slug(db, arguments.tribunal)
        if tribunal is None:
            return False
        user = await ensure_user(
            db,
            email=arguments.email,
            name=arguments.name,
            password=password,
            language=arguments.language,
        )
        await db.flush()
        await grant_role(db, tribunal, user, Role(arguments.role))
        return True

    if not await run(create):
        print(f"error: no tribunal has the slug {arguments.tribunal!r}", file=sys.stderr)
        return 2
    print(f"{arguments.role} added to /{arguments.tribunal}/")
    return 0


async def _create_operator(arguments: argparse.Namespace, run: Runner) -> int:
    password = _read_password(arguments)
    await run(
        lambda db: ensure_user(
            db,
            email=arguments.email,
            name=arguments.name,
            password=password,
            platform_operator=True,
        )
    )
    print("platform operator ready")
    return 0
