"""Docket benchmark: the staff docket over a million cases on PostgreSQL, beside a hand-written
page doing the same work and a bare app, and the other hot pages.

Run from the project folder, with PostgreSQL reachable (the admin URL's role creates databases):

    .venv/bin/python infra/bench/docket.py                          # 1,000,000 cases, 15 s each
    .venv/bin/python infra/bench/docket.py --cases 20000 --duration 5 --pages 300
    .venv/bin/python infra/bench/docket.py --keep ...; then --skip-load to measure it again
    .venv/bin/python infra/bench/docket.py --admin-url postgresql+asyncpg://me@db:5432/postgres

What it does:

1. Creates a fresh database (--database, default tribune_bench_docket; dropped first if it
   exists) through the admin URL, applies the Alembic migrations (`python -m tribune migrate`),
   and through the ORM adds the tribunal WCAT, a clerk (CLERK_EMAIL, password CLERK_PASSWORD,
   role clerk), --adjudicators adjudicators and two published case types
   (`filings.services.create_case_type`).
2. Bulk loads --cases cases with asyncpg's binary COPY (`copy_records_to_table`), in batches:
   a claimant account per case (a paper filing, 5 %, is held by the clerk instead), the filing
   (about 2 % drafts, the rest spread over the statuses of a working tribunal; submitted over
   the last three years in reference order, WCAT-YYYY-NNNNNN; 25 % in French; due dates on most
   open cases, some overdue; adjudicators assigned to most scheduled and later cases; answers
   with about_you.full_name), its parties (the claimant; an authorised representative for
   about 30 %) and its events (`submitted`, plus the event of the last status change). Every
   case but a draft is made by the routine that seeds the demo and test cases,
   `filings.seeding.build_submitted_case` (reference, parties, search text and events as
   submission makes them), as unsaved ORM objects whose columns become the COPY records (no
   session, no flush): about 0.12 ms more per case than tuples written by hand, some two
   minutes on a million cases, so that no rule of a case's rows is written twice.
   Names come from small lists of first and last names drawn with a seeded random (--seed),
   so runs load the same cases (the ids of their parties and events aside). During
   the load the secondary indexes of the four tables are dropped and foreign-key triggers are
   off (session_replication_role = replica, so the role must be a superuser); the indexes are
   then rebuilt, the reference counters set, and the database vacuumed and ANALYZEd (VACUUM as
   autovacuum would have by then: index-only scans need it). It prints the load time and the
   rows per second.
3. Adds what the other hot pages need (`hot_pages.py`, beside this file; once: a rerun on the
   same database finds it): the claimant of the newest online filing gets a known address and
   password (hot_pages.CLAIMANT_EMAIL, CLAIMANT_PASSWORD) and the next seven online filings (as
   filer and claimant party), through the ORM; hearing hours, a room and the adjudicators'
   weekly availability (`hearings.calendars.services`), then two hearings of an hour for each
   adjudicator (video, telephone, the first adjudicator's in the room) booked for accepted
   cases on the business day ten business days ahead, as a clerk books them
   (`hearings.scheduling.services.book_hearing`); the standard "acknowledge a filing within 10
   business days, 80 %" in force from the first of the last four quarters that ended, and those
   quarters published (`accountability.standards` services and `snapshots.publish_quarter`).
   --docket-only leaves these pages out.
4. Starts three servers on free ports, each with --workers processes: the app (`python -m
   tribune serve`, development settings, no inline worker), the bare app and the same-work
   app; and signs the clerk in with httpx (the CSRF token from the sign-in form) for the
   session cookie.
   - The bare app is the TechEmpower "Fortunes" shape, defined in this file (`--serve-bare
     PORT DSN`): Starlette, Jinja2 and an asyncpg pool, one query (the tribunal's 50 newest
     cases: reference, claimant name from the answers, status, received) rendered as an HTML
     table: the framework's ceiling on this machine.
   - The same-work app, defined in this file too (`--serve-same-work PORT DSN`, with the app's
     environment, so the same settings), does by hand all that the docket's first pages do
     for a signed-in clerk: with asyncpg and three hand-written statements (the tribunal, the
     session the cookie names, not revoked, with its account, the account's roles there and
     the filter choices, in one; the capped counts per status as `status_counts` makes them;
     the rows as `_rows_statement` selects them, the same columns, order, keyset and limit,
     the limit written in), it checks the session's expiry and idle limit and touches it as
     `accounts.services.load_session` does, refuses a role without the docket's permission,
     builds the project's own values (DocketRow, DocketPage, StatusCounts, Choice, Form, the
     parsed filters) and renders the docket's templates with the context
     `filings.docket.routes.docket_page` and `tribune.web.render` give them, and the app's
     response headers. It serves the unfiltered docket only (per_page and after). The
     difference between it and the docket is the docket's overhead: middleware, ORM, sessions,
     building statements.
5. Fetches the docket's first page from the app and from the same-work app with the same
   cookie and compares them once the per-request tokens are blanked out (the CSRF token, a CSP
   nonce): if they differ, it prints the first lines of a unified diff (or the same-work app's
   error) and exits 1 before measuring anything, so that the reference keeps doing the
   docket's work as the docket changes. Then it gets the cursor of docket page --pages
   (default 1000) by following the "next" links from the first page (rel="next", or a link
   whose href holds `after=`), with --per-page cases a page, and compares that page the same
   way; if the docket has fewer pages it measures the last one and says so. A keyset cursor
   names the last row seen, so the walk takes the most rows a step (up to 200) that divide
   the rows before that page, and sets per_page back on the last link. Every URL measured is
   fetched once first and must answer 200 (one that does not is reported as a missed target
   and not measured; a docket answering 404 leaves only the bare page and the hot pages).
6. Measures each case with wrk (`apt-get install -y wrk`; without /usr/bin/wrk, or with
   --httpx, a small asyncio httpx load generator in a subprocess stands in and the script says
   so: its own ceiling is far lower, about 70 requests per second on two busy cores, where wrk
   drives the bare page past 800), with the visitor's cookie, --connections connections for
   --duration seconds after a --warm-up: the bare page; the same-work page (the docket's first
   page); the docket's first page; page --pages by keyset; a name search (q = a common last
   name); a search for a name no case has (no target; it shows a rare name costs no more); a
   filtered page (status=accepted&language=fr); then the other hot pages, their paths from
   the routes' names: the claimant's case page (their newest case) and "My cases", signed in
   as the claimant; the clerk's case page (the case of the day's first hearing) and the
   hearing day view of the booked day, as the clerk; the public service standards page,
   without a cookie.
7. Prints three tables, each row with requests per second, the p50, p95 and p99 latencies in
   milliseconds, the requests, the failed requests and the requests per second as a share of
   the bare page's: the docket's first page, the same-work page and the bare page side by
   side; the docket's other pages; the other hot pages (figures only, no target). Then the
   ratios: docket first page / same-work page and docket first page / bare page in requests
   per second (the bare page has no target: it runs one query where the docket does the
   same-work page's work), keyset page / first page and search / first page in p95, and the
   first page's p99.

It exits 1 when a target is missed: the docket's first page serves at least 0.8 times the
same-work page's requests per second; page --pages has a p95 at most 1.2 times the first
page's; the search has a p95 at most twice the first page's; the first page's p99 is under
50 ms at --connections connections; every URL answers 200 before it is measured and no
request fails (a status of 400 or more, or a socket error). The database is dropped at the
end unless --keep. A full run (1,000,000 cases) needs about 3 GB of disk; the load takes
several minutes on two cores (generating the rows in Python costs more than COPY), then the
hot pages' data (publishing four quarters reads their cases' events), the walk to page 1000
and the twelve cases.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import enum
import functools
import html
import itertools
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any, TypeVar, cast
from urllib.parse import urlencode

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT))

import asyncpg  # noqa: E402
import hot_pages  # noqa: E402
import httpx  # noqa: E402
from processes import free_port, stop, wait_for  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from accounts.models import User  # noqa: E402
from filings.docket import queries as docket_queries  # noqa: E402
from filings.docket.queries import Choice  # noqa: E402
from filings.journey.services import format_reference  # noqa: E402
from filings.models import DueFrom, FilingStatus  # noqa: E402
from filings.seeding import LaterEvent, build_submitted_case  # noqa: E402
from tribune.app import build_routes  # noqa: E402 - importing it registers every model, too
from tribune.db import Base, Model  # noqa: E402
from tribune.settings import load_settings  # noqa: E402
from tribune.web import RouteIndex  # noqa: E402

TRIBUNAL_SLUG = "wcat"
CLERK_EMAIL = "clerk@wcat.bench.example"
CLERK_NAME = "Casey Clerk"
CLERK_PASSWORD = "bench docket password"  # noqa: S105 - a throwaway benchmark database
SEARCH_NAME = "Tremblay"  # a common last name: about one case in forty
RARE_NAME = "Okafor"  # a name no case has: the search must not read the whole docket for it
WRK = "/usr/bin/wrk"
BATCH = 20_000  # cases per COPY batch
SAME_WORK_TARGET = 0.8  # docket first page req/s / same-work page req/s, at least
KEYSET_TARGET = 1.2  # page --pages p95 / first page p95, at most
SEARCH_TARGET = 2.0  # search p95 / first page p95, at most
P99_TARGET_MS = 50.0  # docket first page p99, under
BARE_DSN_VARIABLE = "TRIBUNE_BENCH_BARE_DSN"
SAME_WORK_DSN_VARIABLE = "TRIBUNE_BENCH_SAME_WORK_DSN"
T = TypeVar("T")

FIRST_NAMES = [
    "Olivia", "Liam", "Emma", "Noah", "Charlotte", "William", "Amelia", "Benjamin", "Ava",
    "Lucas", "Sophia", "Jacob", "Chloé", "Félix", "Léa", "Gabriel", "Alice", "Thomas", "Zoé",
    "Samuel", "Florence", "Mathis", "Rosalie", "Raphaël", "Juliette", "Émile", "Priya", "Arjun",
    "Mei", "Wei", "Fatima", "Omar", "Aisha", "Mohamed", "Sofia", "Mateo", "Isabella", "Diego",
    "Hannah", "Ethan",
]  # fmt: skip
LAST_NAMES = [
    "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie", "Fortin",
    "Gagné", "Smith", "Brown", "Wilson", "MacDonald", "Campbell", "Anderson", "Taylor", "Martin",
    "Thompson", "White", "Li", "Wang", "Chen", "Singh", "Patel", "Kumar", "Nguyen", "Khan",
    "Ahmed", "Ali", "Pelletier", "Bélanger", "Lévesque", "Bergeron", "Leblanc", "Paquette",
    "Girard", "Simard", "Boucher", "Caron",
]  # fmt: skip
FIRMS = [
    "Community Legal Clinic", "Injured Workers' Advocates", "Dupont Avocats",
    "Fortin & Associés", "Office of the Worker Adviser", "Northern Legal Services",
]  # fmt: skip
# Status mix of a working tribunal's cases (drafts have no reference and stay off the docket).
STATUS_WEIGHTS = {
    "draft": 2, "submitted": 8, "returned": 3, "accepted": 20, "scheduled": 10, "heard": 5,
    "decided": 12, "closed": 33, "withdrawn": 5, "dismissed": 2,
}  # fmt: skip
OPEN = {"submitted": "tribunal", "returned": "claimant", "accepted": "respondent"}
ASSIGNED = {"scheduled": 0.95, "heard": 0.95, "decided": 0.95, "closed": 0.9, "accepted": 0.4}
CASE_TYPE_DEFINITION: dict[str, Any] = {
    "questions": [
        {
            "key": "decision_date",
            "type": "date",
            "label": {"en": "Date of the decision", "fr": "Date de la décision"},
            "required": True,
        }
    ],
    "document_slots": [
        {
            "key": "decision",
            "label": {
                "en": "The decision you are appealing",
                "fr": "La décision que vous portez en appel",
            },
            "required": False,
            "max_files": 5,
            "kinds": ["pdf", "jpeg", "png", "docx", "text"],
        }
    ],
    "deadline": None,
    "fee": None,
}
USER_COLUMNS = [
    "id", "created_at", "updated_at", "email", "name", "password_hash", "language",
    "email_confirmed_at", "is_platform_operator",
]  # fmt: skip
FILING_COLUMNS = [
    "id", "created_at", "updated_at", "tribunal_id", "case_type_version_id", "filer_id",
    "entered_by_id", "status", "answers", "last_step", "reference", "submitted_at", "touched_at",
    "language", "assigned_adjudicator_id", "status_changed_at", "due_on", "due_from", "due_for",
    "search_text",
]  # fmt: skip
PARTY_COLUMNS = [
    "id", "created_at", "updated_at", "tribunal_id", "filing_id", "role", "is_organisation",
    "name", "organisation", "licence_number", "email", "phone", "language", "user_id",
    "joined_at", "represents_id", "authorised_at",
]  # fmt: skip
EVENT_COLUMNS = [
    "id", "created_at", "updated_at", "tribunal_id", "filing_id", "kind", "occurred_at",
    "actor_id", "visible_to_parties", "details",
]  # fmt: skip
LOADED_TABLES = ("users", "filings", "case_parties", "case_events")


@dataclass
class Setup:
    tribunal_id: uuid.UUID
    clerk_id: uuid.UUID
    adjudicator_ids: list[uuid.UUID]
    version_ids: list[uuid.UUID]
    reference_prefix: str  # WCAT, as in WCAT-2026-000123


@dataclass
class Measure:
    name: str
    url: str
    requests_per_second: float = 0.0
    p50: float = 0.0  # milliseconds
    p95: float = 0.0
    p99: float = 0.0
    requests: int = 0
    errors: int = 0
    note: str = ""


@dataclass
class Batch:
    users: list[tuple[Any, ...]] = field(default_factory=list)
    filings: list[tuple[Any, ...]] = field(default_factory=list)
    parties: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)


# -- helpers ------------------------------------------------------------------------------------


def asyncpg_dsn(url: str, database: str | None = None) -> str:
    """Return the libpq URL (what asyncpg takes) of a SQLAlchemy URL, maybe another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def sqlalchemy_url(url: str, database: str) -> str:
    parsed = make_url(url).set(drivername="postgresql+asyncpg", database=database)
    return parsed.render_as_string(hide_password=False)


def cookie_header(cookie: str, header: list[T]) -> list[T]:
    """Return the header (in the form the caller gives) if there is a cookie, else nothing:
    a visitor of a public page sends none."""
    return header if cookie else []


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# -- 1. the database ----------------------------------------------------------------------------


async def create_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def migrate(environment: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "tribune", "migrate"],
        cwd=PROJECT_ROOT,
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def set_up(database_url: str, adjudicators: int) -> Setup:
    """Add the tribunal, the clerk, the adjudicators and two published case types."""
    from accounts.passwords import hash_password_async
    from filings.casetypes.services import create_case_type
    from tribunals.models import Membership, Role, Tribunal
    from tribune.db import Database, utcnow

    database = Database.from_url(database_url)
    password_hash = await hash_password_async(CLERK_PASSWORD)
    try:
        async with database.session() as db:
            tribunal = Tribunal(
                slug=TRIBUNAL_SLUG,
                name_en="Workers' Compensation Appeals Tribunal",
                name_fr="Tribunal d'appel des accidents du travail",
                short_name_en="WCAT",
                short_name_fr="TAAT",
                description_en="Hears appeals of workers' compensation decisions.",
                description_fr="Entend les appels des décisions d'indemnisation.",
                contact_email="registry@wcat.bench.example",
            )
            db.add(tribunal)
            await db.flush()
            people = []
            for number in range(adjudicators + 1):
                is_clerk = number == 0
                user = User(
                    email=CLERK_EMAIL if is_clerk else f"adjudicator-{number}@wcat.bench.example",
                    name=CLERK_NAME if is_clerk else f"Adjudicator {number}",
                    password_hash=password_hash,
                    language="en",
                    email_confirmed_at=utcnow(),
                )
                db.add(user)
                await db.flush()
                role = Role.CLERK if is_clerk else Role.ADJUDICATOR
                db.add(Membership(tribunal_id=tribunal.id, user_id=user.id, role=role))
                people.append(user.id)
            versions = []
            for code, title_en, title_fr in (
                ("benefits-appeal", "Benefits appeal", "Appel de prestations"),
                ("return-to-work", "Return to work appeal", "Appel de retour au travail"),
            ):
                version = await create_case_type(
                    db,
                    tribunal,
                    code=code,
                    title_en=title_en,
                    title_fr=title_fr,
                    definition=CASE_TYPE_DEFINITION,
                    publish=True,
                )
                versions.append(version.id)
            await db.commit()
            return Setup(tribunal.id, people[0], people[1:], versions, tribunal.reference_prefix)
    finally:
        await database.dispose()


def random_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@functools.cache
def scalar_defaults(table: str) -> dict[str, Any]:
    """Return the table's columns whose model gives a constant default, with that default
    (what the ORM would insert for an attribute left unset)."""
    columns = Base.metadata.tables[table].columns
    return {
        column.name: column.default.arg  # type: ignore[attr-defined]
        for column in columns
        if column.default is not None and column.default.is_scalar
    }


def record(row: Model, columns: Sequence[str], **values: Any) -> tuple[Any, ...]:
    """Return an unsaved ORM object as a COPY record of the columns: `values` first, then its
    attributes, then the model's constant defaults; enums by value, JSON as text."""
    defaults = scalar_defaults(row.__tablename__)
    # A new object keeps the attributes set on it in its __dict__: reading them there is
    # much cheaper than through the ORM's instrumented attributes.
    attributes = {**vars(row), **values}
    fields = []
    for column in columns:
        value = attributes.get(column)
        if value is None:
            value = defaults.get(column)
        if isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, dict):
            value = json.dumps(value)
        fields.append(value)
    return tuple(fields)


def generate(
    setup: Setup, cases: int, seed: int, now: datetime, counters: dict[int, int]
) -> Iterator[Batch]:
    """Yield batches of rows for ``cases`` cases; keep the last reference number per year."""
    rng = random.Random(seed)  # noqa: S311 - test data, the same on every run
    # Paper filings are held by the clerk who entered them.
    clerk = User(id=setup.clerk_id, name=CLERK_NAME, email=CLERK_EMAIL)
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    start = now - timedelta(days=3 * 365)
    span = (now - start).total_seconds()
    today = now.date()
    tribunal_id = setup.tribunal_id
    batch = Batch()
    for index in range(cases):
        status = rng.choices(statuses, weights)[0]
        # In reference order: case `index` was received in the `index`-th slice of three years.
        received = start + timedelta(seconds=span * (index + rng.random()) / cases)
        filing_id = random_uuid(rng)
        language = "fr" if rng.random() < 0.25 else "en"
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        paper = rng.random() < 0.05
        if paper:
            filer_id = setup.clerk_id
            email = ""
        else:
            filer_id = random_uuid(rng)
            email = f"claimant-{index}@example.org"
            batch.users.append(
                (filer_id, received, received, email, name, "!", language, received, False)
            )
        answers: dict[str, Any] = {
            "eligibility": {"eligible": True},
            "about_you": {
                "full_name": name,
                "email": email,
                "phone": "",
                "case_language": language,
                "hearing_language": language,
                "contact_method": "email" if email else "post",
            },
            "representative": {"has_representative": False},
            "questions": {"decision_date": (received - timedelta(days=30)).date().isoformat()},
        }
        represented = status != "draft" and rng.random() < 0.3
        representative = firm = ""
        if represented:
            representative = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            firm = rng.choice(FIRMS)
            answers["representative"] = {
                "has_representative": True,
                "representative_name": representative,
                "representative_firm": firm,
                "representative_licence": f"P{rng.randrange(10000, 99999)}",
                "representative_email": f"rep-{index}@example.org",
                "representative_phone": "",
                "representative_consent": True,
            }
        version_id = setup.version_ids[0 if rng.random() < 0.8 else 1]
        if status == "draft":
            batch.filings.append(
                (
                    filing_id, received, received, tribunal_id, version_id, filer_id,
                    setup.clerk_id if paper else None, status, json.dumps(answers), "questions",
                    None, None, received, language, None, None, None, None, None, "",
                )
            )  # fmt: skip
        else:
            year = received.year
            counters[year] = counters.get(year, 0) + 1
            changed = received
            if status != "submitted":
                latest = min(now, received + timedelta(days=400))
                changed = received + (latest - received) * rng.random()
            adjudicator = None
            if setup.adjudicator_ids and rng.random() < ASSIGNED.get(status, 0):
                adjudicator = rng.choice(setup.adjudicator_ids)
            due: tuple[date, DueFrom, str] | None = None
            if status in OPEN and rng.random() < 0.8:
                due_from = OPEN[status]
                due_for = {"tribunal": "review", "claimant": "completion"}.get(due_from, "response")
                due = (today + timedelta(days=rng.randint(-30, 90)), DueFrom(due_from), due_for)
            elif status == "scheduled":
                due = (today + timedelta(days=rng.randint(1, 120)), DueFrom.TRIBUNAL, "hearing")
            later_events = []
            if status != "submitted":
                actor = adjudicator if status in {"heard", "decided"} and adjudicator else None
                details = {
                    "from": "submitted",
                    "to": status,
                    "role": "adjudicator" if actor else "clerk",
                    "reason": None,
                }
                later_events.append(LaterEvent(status, changed, actor or setup.clerk_id, details))
            # The rows the app's own seeding makes (filings.seeding), read into COPY records.
            case = build_submitted_case(
                tribunal_id=tribunal_id,
                reference=format_reference(setup.reference_prefix, year, counters[year]),
                version_id=version_id,
                filer=clerk if paper else User(id=filer_id, name=name, email=email),
                answers=answers,
                received=received,
                language=language,
                status=FilingStatus(status),
                status_changed_at=changed,
                touched_at=changed,
                entered_by_id=setup.clerk_id if paper else None,
                assigned_adjudicator_id=adjudicator,
                due=due,
                later_events=later_events,
                filing_id=filing_id,
            )
            batch.filings.append(
                record(case.filing, FILING_COLUMNS, created_at=received, updated_at=changed)
            )
            batch.parties += [
                record(party, PARTY_COLUMNS, created_at=received, updated_at=received)
                for party in case.parties
            ]
            batch.events += [
                record(
                    event, EVENT_COLUMNS, created_at=event.occurred_at, updated_at=event.occurred_at
                )
                for event in case.events
            ]
        if len(batch.filings) >= BATCH:
            yield batch
            batch = Batch()
    if batch.filings:
        yield batch


async def secondary_indexes(connection: asyncpg.Connection) -> list[tuple[str, str]]:
    """Return (name, definition) of the loaded tables' indexes that back no constraint."""
    rows = await connection.fetch(
        """
        SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY($1::text[])
          AND t.relnamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        """,
        list(LOADED_TABLES),
    )
    return [(row["name"], row["definition"]) for row in rows]


async def bulk_load(dsn: str, setup: Setup, cases: int, seed: int) -> dict[str, float]:
    """Load the cases; return timings (seconds) and row counts."""
    now = datetime.now(UTC)
    connection = await asyncpg.connect(dsn)
    try:
        indexes = await secondary_indexes(connection)
        for name, _definition in indexes:
            await connection.execute(f'DROP INDEX "{name}"')
        await connection.execute("SET session_replication_role = replica")
        rows = {table: 0 for table in LOADED_TABLES}
        began = time.perf_counter()
        counters: dict[int, int] = {}
        batches = generate(setup, cases, seed, now, counters)
        # The next batch is made in a thread while this one is copied: PostgreSQL's side of the
        # COPY then overlaps Python's work on the next rows.
        upcoming = asyncio.create_task(asyncio.to_thread(next, batches, None))
        while (batch := await upcoming) is not None:
            upcoming = asyncio.create_task(asyncio.to_thread(next, batches, None))
            async with connection.transaction():
                for table, columns, records in (
                    ("users", USER_COLUMNS, batch.users),
                    ("filings", FILING_COLUMNS, batch.filings),
                    ("case_parties", PARTY_COLUMNS, batch.parties),
                    ("case_events", EVENT_COLUMNS, batch.events),
                ):
                    if records:
                        await connection.copy_records_to_table(
                            table, records=records, columns=columns
                        )
                        rows[table] += len(records)
            done = rows["filings"]
            if done % 100_000 < BATCH or done == cases:
                print(f"  {done:>9,} cases", flush=True)
        copied = time.perf_counter() - began
        await connection.execute("SET session_replication_role = origin")
        await connection.executemany(
            "INSERT INTO reference_counters (tribunal_id, year, last_number) VALUES ($1, $2, $3)",
            [(setup.tribunal_id, year, number) for year, number in sorted(counters.items())],
        )
        began = time.perf_counter()
        await connection.execute("SET maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            await connection.execute(definition)
        indexed = time.perf_counter() - began
        began = time.perf_counter()
        # VACUUM too: a steady-state database has been vacuumed (autovacuum vacuums after bulk
        # inserts), which sets the visibility map that index-only scans read.
        await connection.execute("VACUUM (ANALYZE)")
        analysed = time.perf_counter() - began
    finally:
        await connection.close()
    return {
        "copy": copied,
        "index": indexed,
        "analyze": analysed,
        **{f"rows_{table}": float(count) for table, count in rows.items()},
    }


# -- 2. the app ---------------------------------------------------------------------------------


def app_environment(database_url: str, data_dir: Path) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("TRIBUNE_")
    }
    environment.update(
        {
            "TRIBUNE_ENV": "development",
            "TRIBUNE_DATA_DIR": str(data_dir),
            "TRIBUNE_STORAGE_URL": str(data_dir / "documents"),
            "TRIBUNE_DATABASE_URL": database_url,
            "TRIBUNE_INLINE_WORKER": "false",  # the web processes only
            "TRIBUNE_LOG_LEVEL": "WARNING",
        }
    )
    return environment


def launch(
    command: list[str],
    port: int,
    environment: dict[str, str] | None = None,
    log: IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a server and wait for its /healthz; if it does not come up, stop it and write
    the end of its log (when it has one) before raising. Its log goes to a file, not a pipe:
    a pipe nobody reads during the run fills up and stalls every worker at its next line."""
    server = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=log if log is not None else subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", server)
    except BaseException:
        stop(server)
        if log is not None:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
        raise
    return server


def comparison_command(option: str, dsn: str, port: int, workers: int) -> list[str]:
    """Return the command serving one of this file's comparison apps."""
    script = str(Path(__file__).resolve())
    return [sys.executable, script, option, str(port), dsn, "--workers", str(workers)]


def start_app(environment: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    log = tempfile.TemporaryFile()  # noqa: SIM115 - open as long as the server runs
    command = [sys.executable, "-m", "tribune", "serve", "--port", str(port)]
    return launch([*command, "--workers", str(workers)], port, environment, log)


def start_bare(dsn: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    return launch(comparison_command("--serve-bare", dsn, port, workers), port)


def start_same_work(
    environment: dict[str, str], dsn: str, port: int, workers: int, log_path: Path
) -> subprocess.Popen[bytes]:
    """Start the same-work app with the app's environment (the same settings: secret key,
    cookie names, session limits); its errors go to `log_path`."""
    with log_path.open("w+b") as log:  # the server holds its own descriptor
        command = comparison_command("--serve-same-work", dsn, port, workers)
        return launch(command, port, environment, log)


def sign_in(base: str, email: str, password: str) -> str:
    """Sign someone in; return the Cookie header of their session."""
    with httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/sign-in")
        match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if match is None:
            raise RuntimeError("no CSRF token on the sign-in page")
        signed_in = client.post(
            "/sign-in",
            data={"email": email, "password": password, "csrf_token": match[1]},
        )
        if signed_in.status_code != 303:
            raise RuntimeError(f"sign-in failed: {signed_in.status_code}")
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.cookies.jar)


NEXT_LINKS = (
    re.compile(r'<a\b[^>]*\brel="next"[^>]*\bhref="([^"]+)"'),
    re.compile(r'<a\b[^>]*\bhref="([^"]+)"[^>]*\brel="next"'),
    re.compile(r'<a\b[^>]*\bhref="([^"]*[?&](?:amp;)?after=[^"]*)"'),
)


def next_link(page: str) -> str | None:
    for pattern in NEXT_LINKS:
        match = pattern.search(page)
        if match:
            return html.unescape(match[1])
    return None


def page_url(base: str, first: str, pages: int, per_page: int, cookie: str) -> tuple[str, int]:
    """Follow "next" links from ``first`` towards page ``pages`` of ``per_page`` rows; return the
    URL of that page (or of the last, if fewer) and its number.

    A keyset cursor names the last row seen, not a page number: the walk takes as many rows a
    step as divide the rows before the page, up to 200 (for page 1000 of 50 rows: 150, three
    times fewer requests), and the page's URL is the last "next" link with per_page set back.
    """
    before = (pages - 1) * per_page
    step = max([size for size in range(10, 201) if before % size == 0] or [per_page])
    url, seen = str(httpx.URL(first).copy_set_param("per_page", step)), 0
    began = time.perf_counter()
    with httpx.Client(base_url=base, headers={"Cookie": cookie}, timeout=120) as client:
        while seen < before:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            link = next_link(response.text)
            if link is None:
                break
            url = link if link.startswith("/") else str(httpx.URL(url).join(link))
            seen += step
            if (seen // step) % 50 == 0:
                print(
                    f"  {seen // per_page + 1} pages in, {time.perf_counter() - began:.0f} s",
                    flush=True,
                )
    return str(httpx.URL(url).copy_set_param("per_page", per_page)), seen // per_page + 1


def check_page(base: str, url: str, cookie: str) -> tuple[int, str]:
    headers = dict(cookie_header(cookie, [("Cookie", cookie)]))
    response = httpx.get(base + url, headers=headers, timeout=60)
    return response.status_code, response.text


# -- 3. the bare comparison app -----------------------------------------------------------------

BARE_QUERY = """
    SELECT f.reference, f.answers -> 'about_you' ->> 'full_name' AS name, f.status,
           f.submitted_at
    FROM filings f
    WHERE f.tribunal_id = (SELECT id FROM tribunals WHERE slug = $1)
      AND f.submitted_at IS NOT NULL
    ORDER BY f.submitted_at DESC, f.id DESC
    LIMIT 50
"""
BARE_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Docket – {{ tribunal }}</title></head>
<body>
<main>
<h1>Docket</h1>
<table class="govuk-table">
<thead><tr><th scope="col">Reference</th><th scope="col">Claimant</th>
<th scope="col">Status</th><th scope="col">Received</th></tr></thead>
<tbody>
{% for case in cases %}<tr>
<td><a href="/{{ tribunal }}/staff/cases/{{ case.reference }}">{{ case.reference }}</a></td>
<td>{{ case.name }}</td><td>{{ case.status | capitalize }}</td>
<td>{{ case.submitted_at.strftime("%-d %B %Y") }}</td>
</tr>{% endfor %}
</tbody>
</table>
</main>
</body>
</html>
"""


def bare_app() -> Any:
    """The bare app (a uvicorn factory): one query, one template; the DSN from the environment."""
    import jinja2
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, PlainTextResponse
    from starlette.routing import Route

    template = jinja2.Environment(autoescape=True).from_string(BARE_TEMPLATE)
    pools: list[asyncpg.Pool] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pools.append(await asyncpg.create_pool(os.environ[BARE_DSN_VARIABLE], max_size=10))
        yield
        await pools[0].close()

    async def docket(request: Request) -> HTMLResponse:
        async with pools[0].acquire() as connection:
            cases = await connection.fetch(BARE_QUERY, TRIBUNAL_SLUG)
        return HTMLResponse(template.render(tribunal=TRIBUNAL_SLUG, cases=cases))

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[Route("/", docket), Route("/healthz", healthz)],
        lifespan=lifespan,
    )


def serve_bare(port: int, dsn: str, workers: int) -> int:
    return serve_factory("bare_app", BARE_DSN_VARIABLE, port, dsn, workers)


def serve_factory(factory: str, dsn_variable: str, port: int, dsn: str, workers: int) -> int:
    """Serve one of this file's comparison apps (a uvicorn factory reading its DSN from the
    environment) with `workers` processes."""
    import uvicorn

    os.environ[dsn_variable] = dsn
    uvicorn.run(
        f"infra.bench.docket:{factory}",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        access_log=False,
        log_level="warning",
        app_dir=str(PROJECT_ROOT),
    )
    return 0


# -- 3b. the same-work reference app ------------------------------------------------------------

# Who asks and where, in one statement: the tribunal, the session the cookie names (not
# revoked) with its account, the account's roles in the tribunal, and the docket's filter
# choices (each case type titled by its latest version; the adjudicators by name).
SAME_WORK_CONTEXT = """
    SELECT t.id, t.slug, t.name_en, t.name_fr, t.time_zone, t.province, t.default_language,
           s.id AS session_id, s.last_seen_at, s.expires_at,
           u.id AS user_id, u.name AS user_name, u.email, u.language,
           ARRAY(SELECT m.role FROM memberships m
                 WHERE m.user_id = u.id AND m.tribunal_id = t.id) AS roles,
           ARRAY(SELECT DISTINCT ON (v.case_type_id) ROW(v.case_type_id, v.title_en, v.title_fr)
                 FROM case_type_versions v
                 WHERE v.tribunal_id = t.id
                 ORDER BY v.case_type_id, v.number DESC) AS case_types,
           ARRAY(SELECT ROW(a.id, a.name)
                 FROM memberships am JOIN users a ON a.id = am.user_id
                 WHERE am.tribunal_id = t.id AND am.role = 'adjudicator'
                 ORDER BY a.name, a.id) AS adjudicators
    FROM tribunals t
    LEFT JOIN user_sessions s ON s.token_hash = $2 AND s.revoked_at IS NULL
    LEFT JOIN users u ON u.id = s.user_id
    WHERE t.slug = $1
"""
SAME_WORK_TOUCH = "UPDATE user_sessions SET last_seen_at = $2, updated_at = $2 WHERE id = $1"


def _case_statuses_sql() -> str:
    return ", ".join(f"'{status.value}'" for status in docket_queries.CASE_STATUSES)


def same_work_counts_statement() -> str:
    """The counts per status as `filings.docket.queries.status_counts` makes them with no
    filter: each status counted up to the cap from the index, in one statement."""
    # Only the statuses' own values and an integer are written in: nothing a request sends.
    count = (
        "(SELECT count(*) FROM (SELECT 1 FROM filings WHERE tribunal_id = $1"
        " AND submitted_at IS NOT NULL AND status = '{status}' LIMIT {limit}) AS counted)"
        " AS {status}"
    )
    counts = ", ".join(
        count.format(status=status.value, limit=docket_queries.COUNT_CAP + 1)
        for status in docket_queries.CASE_STATUSES
    )
    return "SELECT " + counts


@functools.cache  # a statement per page size, written once, as constants would be
def same_work_rows_statement(limit: int, *, keyset: bool) -> str:
    """The rows of a docket page as `filings.docket.queries._rows_statement` selects them with
    no filter (the same columns, order and keyset), the page size written in as a literal."""
    after = "AND (f.submitted_at, f.id) < ($2, $3)" if keyset else ""
    # The statuses' values and an integer written in; the values a request sends are bound.
    return f"""
    SELECT f.id, f.reference,
           (SELECT p.name FROM case_parties p
            WHERE p.filing_id = f.id AND p.role = 'claimant'
            ORDER BY p.created_at, p.id LIMIT 1) AS claimant_name,
           v.title_en, v.title_fr, f.status, f.submitted_at, f.due_on, f.due_from,
           a.name AS adjudicator_name, f.language, f.awaiting_payment
    FROM filings f
    JOIN case_type_versions v ON v.id = f.case_type_version_id
    LEFT JOIN users a ON a.id = f.assigned_adjudicator_id
    WHERE f.tribunal_id = $1 AND f.submitted_at IS NOT NULL
      AND f.status IN ({_case_statuses_sql()}) {after}
    ORDER BY f.submitted_at DESC, f.id DESC
    LIMIT {limit}
    """  # noqa: S608 - see above


# The query parameters the same-work page reads: the unfiltered docket, paged.
SAME_WORK_PARAMETERS = frozenset({"per_page", "after"})


@dataclass(frozen=True)
class SameWorkTribunal:
    """The tribunal's columns the docket's templates read."""

    id: uuid.UUID
    slug: str
    name_en: str
    name_fr: str
    time_zone: str
    province: str
    default_language: str


@dataclass(frozen=True)
class SameWorkUser:
    id: uuid.UUID
    name: str
    email: str
    language: str


def same_work_app() -> Any:
    """The same-work app (a uvicorn factory): the docket's first pages for a signed-in clerk,
    by hand (asyncpg, three statements), rendered by the project's templates with the context
    `filings.docket.routes.docket_page` builds; the DSN from the environment, the rest of the
    settings as the app reads them."""
    import gc

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, RedirectResponse, Response
    from starlette.routing import Route

    from accounts.middleware import session_cookie_name
    from accounts.services import SESSION_TOUCH_INTERVAL
    from filings.docket import flags as docket_flags
    from filings.docket import forms as docket_forms
    from filings.docket.routes import render_docket
    from tribunals.models import Role
    from tribunals.permissions import Permission, permissions_of
    from tribune import i18n
    from tribune.forms import Form
    from tribune.middleware import content_security_policy, permissions_policy
    from tribune.security import hash_token, new_token
    from tribune.settings import load_settings
    from tribune.web import create_templates, url_path

    settings = load_settings()
    session_cookie = session_cookie_name(settings)
    csrf_cookie = f"{settings.cookie_prefix}tribune_csrf"
    language_cookie = i18n.language_cookie_name(settings.cookie_prefix)
    idle_limit = timedelta(minutes=settings.session_idle_minutes)
    counts_statement = same_work_counts_statement()
    headers = {
        "Content-Security-Policy": content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": permissions_policy(),
        "Cache-Control": "no-store",
        "Vary": "Accept-Language, Cookie",
    }
    pools: list[asyncpg.Pool] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pools.append(await asyncpg.create_pool(os.environ[SAME_WORK_DSN_VARIABLE], max_size=10))
        gc.collect()
        gc.freeze()  # as the app does after start-up
        yield
        await pools[0].close()

    def finish(response: Response, language: str, csrf: str, new_csrf: bool) -> Response:
        response.headers.update(headers)
        response.headers["X-Request-Id"] = secrets.token_hex(8)
        response.headers["Content-Language"] = language
        if new_csrf:
            response.headers.append(
                "Set-Cookie", f"{csrf_cookie}={csrf}; Path=/; HttpOnly; SameSite=Lax"
            )
        return response

    async def docket(request: Request) -> Response:
        if not set(request.query_params) <= SAME_WORK_PARAMETERS:
            return PlainTextResponse("the same-work page serves the unfiltered docket", 400)
        token = request.cookies.get(session_cookie, "")
        csrf = request.cookies.get(csrf_cookie, "")
        new_csrf = len(csrf) < 32
        if new_csrf:
            csrf = new_token()
        request.state.csrf_cookie = csrf
        size = docket_forms.page_size(request.query_params.get("per_page", ""))
        after = request.query_params.get("after", "")
        cursor = docket_queries.decode_cursor(after, docket_queries.Sort.RECEIVED)
        now = datetime.now(UTC)
        async with pools[0].acquire() as connection:
            found = await connection.fetchrow(
                SAME_WORK_CONTEXT,
                request.path_params["tribunal"],
                hash_token(token) if token and len(token) <= 100 else "",
            )
            if found is None:
                return PlainTextResponse("Not Found", 404)
            live = found["session_id"] is not None and not (
                found["expires_at"] <= now or found["last_seen_at"] + idle_limit <= now
            )
            if not live:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(
                    url_path(request, "accounts:sign_in") + "?" + urlencode({"next": target}),
                    status_code=303,
                )
            roles = {Role(role) for role in found["roles"]}
            if Permission.DOCKET_VIEW not in permissions_of(roles):
                return PlainTextResponse("Not Found", 404)
            if now - found["last_seen_at"] >= SESSION_TOUCH_INTERVAL:
                await connection.execute(SAME_WORK_TOUCH, found["session_id"], now)
            counted = await connection.fetchrow(counts_statement, found["id"])
            if cursor is None:
                rows = await connection.fetch(
                    same_work_rows_statement(size + 1, keyset=False), found["id"]
                )
            else:
                rows = await connection.fetch(
                    same_work_rows_statement(size + 1, keyset=True),
                    found["id"],
                    cursor.key,
                    cursor.id,
                )
        tribunal = SameWorkTribunal(
            found["id"],
            found["slug"],
            found["name_en"],
            found["name_fr"],
            found["time_zone"],
            found["province"],
            found["default_language"],
        )
        user = SameWorkUser(found["user_id"], found["user_name"], found["email"], found["language"])
        request.state.tribunal = tribunal
        request.state.user = user
        language = i18n.negotiate(
            saved=user.language,
            cookie=request.cookies.get(language_cookie),
            accept_language=request.headers.get("accept-language"),
            tribunal_default=tribunal.default_language,
        )
        i18n.set_language(language)
        case_types = sorted(
            (
                Choice(case_type.hex, title_en, title_fr)
                for case_type, title_en, title_fr in found["case_types"]
            ),
            key=lambda choice: choice.title_en.lower(),
        )
        adjudicators = [Choice(user_id.hex, name) for user_id, name in found["adjudicators"]]
        filters, errors = docket_forms.parse_filters(
            request.query_params, case_types=case_types, adjudicators=adjudicators
        )
        form = Form(request.query_params)
        form.errors.update(errors)
        cap = docket_queries.COUNT_CAP
        statuses = docket_queries.CASE_STATUSES
        counts = docket_queries.StatusCounts(
            per_status={
                status: min(count, cap) for status, count in zip(statuses, counted, strict=True)
            },
            more_than=frozenset(
                status for status, count in zip(statuses, counted, strict=True) if count > cap
            ),
        )
        docket_rows = [
            docket_queries.DocketRow(
                id=row["id"],
                reference=row["reference"] or "",
                claimant_name=row["claimant_name"] or "",
                case_type_title_en=row["title_en"],
                case_type_title_fr=row["title_fr"],
                status=FilingStatus(row["status"]),
                submitted_at=row["submitted_at"],
                due_on=row["due_on"],
                due_from=DueFrom(row["due_from"]) if row["due_from"] else None,
                adjudicator_name=row["adjudicator_name"],
                language=row["language"],
                awaiting_payment=row["awaiting_payment"],
            )
            for row in rows[:size]
        ]
        more = len(rows) > size
        page = docket_queries.DocketPage(
            rows=docket_rows,
            next_cursor=(
                docket_queries.encode_cursor(filters.sort, docket_rows[-1])
                if more and docket_rows
                else None
            ),
            counts=counts,
            statuses=filters.statuses,
        )
        # The filter values to carry into links: only per_page is served here.
        query = [("per_page", value) for value in request.query_params.getlist("per_page") if value]
        # The docket's own rendering: the same context, templates and status.
        response = render_docket(
            request,
            cast(Any, tribunal),
            form=form,
            filters=filters,
            page=page,
            choices={
                "case_types": case_types,
                "adjudicators": adjudicators,
                "flags": docket_flags.registered_flags(),
            },
            query=query,
        )
        return finish(response, language, csrf, new_csrf)

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/healthz", healthz), Route("/{tribunal}/staff/docket", docket)],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.templates = create_templates()
    # The project's route names, for the links the templates build (`tribune.web.url_path`).
    app.state.route_index = RouteIndex(build_routes())
    return app


def serve_same_work(port: int, dsn: str, workers: int) -> int:
    return serve_factory("same_work_app", SAME_WORK_DSN_VARIABLE, port, dsn, workers)


# -- 4. the load --------------------------------------------------------------------------------

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("TRIBUNE-BENCH %d %d %d %.1f %.1f %.1f\\n",
    summary.requests, summary.duration, errors,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def run_wrk(url: str, cookie: str, connections: int, duration: float, workdir: Path) -> Measure:
    script = workdir / "report.lua"
    script.write_text(WRK_SCRIPT)
    threads = max(1, min(connections, cores()))
    output = subprocess.run(
        [
            WRK,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "30s",
            *cookie_header(cookie, ["-H", f"Cookie: {cookie}"]),
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"TRIBUNE-BENCH (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)", output)
    if match is None:
        raise RuntimeError(f"no report from wrk:\n{output}")
    requests, microseconds, errors = int(match[1]), int(match[2]), int(match[3])
    p50, p95, p99 = (float(match[i]) / 1000 for i in (4, 5, 6))
    return Measure("", url, requests / (microseconds / 1e6), p50, p95, p99, requests, errors)


async def _load(url: str, cookie: str, connections: int, duration: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = dict(cookie_header(cookie, [("Cookie", cookie)]))
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        began = time.perf_counter()
        deadline = began + duration

        async def user() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    response = await client.get(url)
                    if response.status_code >= 400:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - sent)

        await asyncio.gather(*(user() for _ in range(connections)))
        seconds = time.perf_counter() - began
    ordered = sorted(latencies) or [0.0]

    def percentile(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    return {
        "requests": len(latencies),
        "seconds": seconds,
        "errors": errors,
        "p50": percentile(0.50),
        "p95": percentile(0.95),
        "p99": percentile(0.99),
    }


def run_httpx(url: str, cookie: str, connections: int, duration: float) -> Measure:
    """The stand-in for wrk: an asyncio httpx load generator in its own process."""
    output = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--load-url",
            url,
            "--cookie",
            cookie,
            "--connections",
            str(connections),
            "--duration",
            str(duration),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    report = json.loads(output.strip().splitlines()[-1])
    return Measure(
        "",
        url,
        report["requests"] / report["seconds"],
        report["p50"],
        report["p95"],
        report["p99"],
        report["requests"],
        report["errors"],
    )


def measure(
    name: str, url: str, cookie: str, arguments: argparse.Namespace, workdir: Path
) -> Measure:
    def run(duration: float) -> Measure:
        if use_wrk(arguments):
            return run_wrk(url, cookie, arguments.connections, duration, workdir)
        return run_httpx(url, cookie, arguments.connections, duration)

    print(f"{name} ...", end=" ", flush=True)
    if arguments.warm_up > 0:
        run(arguments.warm_up)
    result = run(arguments.duration)
    result.name = name
    print(f"{result.requests_per_second:.0f} req/s, p95 {result.p95:.1f} ms", flush=True)
    return result


# -- the run ------------------------------------------------------------------------------------


def use_wrk(arguments: argparse.Namespace) -> bool:
    return Path(WRK).exists() and not arguments.httpx


def print_table(title: str, results: Sequence[Measure], bare: Measure | None) -> None:
    """Print the measures under a title, each one's req/s also as a share of the bare page's."""
    print()
    print(title)
    print(
        f"{'case':<27} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'requests':>9} {'errors':>7} {'÷ bare':>7}  note"
    )
    for r in results:
        share = f"{r.requests_per_second / bare.requests_per_second:.3f}" if bare else ""
        print(
            f"{r.name:<27} {r.requests_per_second:>8.1f} {r.p50:>8.1f} {r.p95:>8.1f} "
            f"{r.p99:>8.1f} {r.requests:>9} {r.errors:>7} {share:>7}  {r.note}"
        )


def check_targets(
    results: dict[str, Measure], missing: list[str], arguments: argparse.Namespace
) -> list[str]:
    """Print the ratios and the targets; return the targets missed."""
    misses = list(missing)
    bare, same_work = results.get("bare page"), results.get("same-work page")
    first = results.get("docket first page")
    keyset, search = results.get("docket page by keyset"), results.get("docket name search")
    print()
    for result in results.values():
        if result.errors:
            misses.append(f"{result.name}: {result.errors} failed requests")
    if first and same_work:
        ratio = first.requests_per_second / same_work.requests_per_second
        print(
            f"docket first page / same-work page throughput: {ratio:.2f} "
            f"(target at least {SAME_WORK_TARGET})"
        )
        if ratio < SAME_WORK_TARGET:
            misses.append(
                f"the docket's first page serves {ratio:.2f} of the same-work page's req/s"
            )
    if first and bare:
        ratio = first.requests_per_second / bare.requests_per_second
        print(
            f"docket first page / bare page throughput: {ratio:.3f} "
            "(no target: the bare page runs one query, the framework's ceiling)"
        )
    if first and keyset:
        ratio = keyset.p95 / first.p95
        print(f"keyset page / first page p95: {ratio:.2f} (target at most {KEYSET_TARGET})")
        if ratio > KEYSET_TARGET:
            misses.append(f"{keyset.note or 'the keyset page'}: p95 {ratio:.2f} of page 1's")
    if first and search:
        ratio = search.p95 / first.p95
        print(f"search / first page p95: {ratio:.2f} (target at most {SEARCH_TARGET})")
        if ratio > SEARCH_TARGET:
            misses.append(f"the name search's p95 is {ratio:.2f} times page 1's")
    if first:
        print(
            f"docket first page p99: {first.p99:.1f} ms (target under {P99_TARGET_MS} ms at "
            f"{arguments.connections} connections)"
        )
        if first.p99 >= P99_TARGET_MS:
            misses.append(f"the docket's first page has a p99 of {first.p99:.1f} ms")
    return misses


async def prepare(arguments: argparse.Namespace, database_url: str, dsn: str) -> None:
    print(f"creating the database {arguments.database}", flush=True)
    await create_database(arguments.admin_url, arguments.database)
    migrate(app_environment(database_url, Path(tempfile.gettempdir())))
    setup = await set_up(database_url, arguments.adjudicators)
    print(f"loading {arguments.cases:,} cases", flush=True)
    began = time.perf_counter()
    load = await bulk_load(dsn, setup, arguments.cases, arguments.seed)
    total = time.perf_counter() - began
    rows = sum(value for key, value in load.items() if key.startswith("rows_"))
    counts = ", ".join(
        f"{int(value):,} {key.removeprefix('rows_')}"
        for key, value in load.items()
        if key.startswith("rows_")
    )
    print(
        f"loaded {counts} in {total:.1f} s ({rows / total:,.0f} rows/s, "
        f"{arguments.cases / total:,.0f} cases/s): generating and COPY {load['copy']:.1f} s "
        f"({rows / load['copy']:,.0f} rows/s), indexes {load['index']:.1f} s, "
        f"VACUUM ANALYZE {load['analyze']:.1f} s",
        flush=True,
    )


# Per-request tokens, the only differences allowed between the docket and the same-work page.
PER_REQUEST_TOKENS = re.compile(r'((?:name="csrf_token" value|data-csrf-token|nonce)=)"[^"]*"')
DIFF_LINES = 60  # of the unified diff printed when the pages differ


def page_difference(docket: str, same_work: str) -> list[str]:
    """Return the first lines of a unified diff of two pages once their per-request tokens are
    blanked out; empty if they are the same."""
    import difflib

    first, second = (
        PER_REQUEST_TOKENS.sub(r'\1"-"', page).splitlines() for page in (docket, same_work)
    )
    diff = difflib.unified_diff(first, second, "docket", "same-work page", lineterm="", n=2)
    return list(itertools.islice(diff, DIFF_LINES))


def same_html(
    base: str, same_work_base: str, url: str, cookie: str, docket: str, log_path: Path
) -> bool:
    """Fetch `url` from the same-work app and compare it with the docket's page; print the
    difference (or the same-work app's error) and return False if they differ."""
    status, same_work = check_page(same_work_base, url, cookie)
    if status != 200:
        print(f"the same-work page {url} answered {status}: its log ends with")
        print(log_path.read_text(errors="replace")[-3000:])
        return False
    difference = page_difference(docket, same_work)
    if difference:
        print(f"the docket and the same-work page differ at {url}:")
        print("\n".join(difference))
        print("(update the same-work app, infra/bench/docket.py, to do what the docket does)")
        return False
    return True


def hot_page_cases(
    hot: hot_pages.HotPages, clerk: str, claimant: str
) -> list[tuple[str, str, str]]:
    """Return (name, path, cookie) of each other hot page; the paths from the routes' names."""
    index = RouteIndex(build_routes())
    slug = {"tribunal": TRIBUNAL_SLUG}
    day = urlencode({"date": hot.hearing_day.isoformat()})
    return [
        (
            "claimant's case page",
            index.path("filings:journey:case", {**slug, "filing_id": hot.claimant_case_id}),
            claimant,
        ),
        ("My cases", index.path("filings:journey:my_cases", {}), claimant),
        (
            "clerk's case page",
            index.path("filings:casework:case", {**slug, "filing_id": hot.staff_case_id}),
            clerk,
        ),
        ("hearing day view", index.path("hearings:views:day", slug) + f"?{day}", clerk),
        # Read by the public: no session, no cookie.
        (
            "service standards (public)",
            index.path("accountability:publication:standards", slug),
            "",
        ),
    ]


def benchmark(arguments: argparse.Namespace, database_url: str, dsn: str, workdir: Path) -> int:
    environment = app_environment(database_url, workdir)
    # Made here first, so that every server reads the same development secret key.
    settings = load_settings(environment)
    hot = None
    if not arguments.docket_only:
        print("preparing the other hot pages", flush=True)
        hot = asyncio.run(hot_pages.prepare(database_url, settings, CLERK_EMAIL, TRIBUNAL_SLUG))
    servers: list[subprocess.Popen[bytes]] = []
    try:
        app_port, bare_port, same_work_port = free_port(), free_port(), free_port()
        base = f"http://127.0.0.1:{app_port}"
        same_work_base = f"http://127.0.0.1:{same_work_port}"
        print(
            f"starting the app, the bare app and the same-work app "
            f"({arguments.workers} workers each)",
            flush=True,
        )
        servers.append(start_app(environment, app_port, arguments.workers))
        servers.append(start_bare(dsn, bare_port, arguments.workers))
        log_path = workdir / "same-work.log"
        servers.append(
            start_same_work(environment, dsn, same_work_port, arguments.workers, log_path)
        )
        cookie = sign_in(base, CLERK_EMAIL, CLERK_PASSWORD)
        docket = arguments.docket_path
        per_page = f"per_page={arguments.per_page}"
        first = f"{docket}?{per_page}"
        # (name, URL: a path of the app's or a whole URL, cookie, note)
        cases: list[tuple[str, str, str, str]] = [
            ("bare page", f"http://127.0.0.1:{bare_port}/", cookie, ""),
        ]
        missing: list[str] = []
        status, page = check_page(base, first, cookie)
        if status != 200:
            missing.append(f"{docket} answered {status}: the docket cases were not measured")
        else:
            print("comparing the docket's first page with the same-work page", flush=True)
            if not same_html(base, same_work_base, first, cookie, page, log_path):
                return 1
            print(f"following the docket's next links to page {arguments.pages}", flush=True)
            url, reached = page_url(base, first, arguments.pages, arguments.per_page, cookie)
            note = f"page {reached}"
            if reached < arguments.pages:
                note += f" (the docket has fewer than {arguments.pages})"
                print(f"  the docket is shorter: measuring page {reached}", flush=True)
            status, page = check_page(base, url, cookie)
            if status == 200 and not same_html(base, same_work_base, url, cookie, page, log_path):
                return 1
            cases += [
                ("same-work page", same_work_base + first, cookie, first),
                ("docket first page", first, cookie, ""),
                ("docket page by keyset", url, cookie, note),
                ("docket name search", f"{docket}?q={SEARCH_NAME.lower()}&{per_page}", cookie, ""),
                (
                    "docket rare-name search",
                    f"{docket}?q={RARE_NAME.lower()}&{per_page}",
                    cookie,
                    "",
                ),
                ("docket filtered", f"{docket}?status=accepted&language=fr&{per_page}", cookie, ""),
            ]
        hot_names: list[str] = []
        if hot is not None:
            claimant = sign_in(base, hot_pages.CLAIMANT_EMAIL, hot_pages.CLAIMANT_PASSWORD)
            for name, path, visitor in hot_page_cases(hot, cookie, claimant):
                cases.append((name, path, visitor, ""))
                hot_names.append(name)
        results: dict[str, Measure] = {}
        for name, url, visitor, note in cases:
            full = url if url.startswith("http") else base + url
            if name != "bare page":
                status, _text = check_page("", full, visitor)
                if status != 200:
                    missing.append(f"{name}: {url} answered {status}")
                    continue
            result = measure(name, full, visitor, arguments, workdir)
            result.note = note or url.removeprefix(base)
            results[name] = result
        bare = results.get("bare page")
        docket_names = ["docket first page", "same-work page", "bare page"]
        print_table(
            "The docket's first page beside the same-work page and the bare page",
            [results[name] for name in docket_names if name in results],
            bare,
        )
        others = [
            result
            for name, result in results.items()
            if name not in docket_names and name not in hot_names
        ]
        if others:
            print_table("The docket's other pages", others, bare)
        if hot_names:
            print_table(
                "The other hot pages (no target)",
                [results[name] for name in hot_names if name in results],
                bare,
            )
        tool = "wrk" if use_wrk(arguments) else "the httpx stand-in (apt-get install -y wrk)"
        print(f"(load: {tool}, {arguments.connections} connections; latencies in milliseconds)")
        misses = check_targets(results, missing, arguments)
        for miss in misses:
            print(f"target missed: {miss}")
        if not misses:
            print("targets met")
        return 1 if misses else 0
    finally:
        for process in servers:
            stop(process)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--admin-url",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL URL whose role may create databases (default: %(default)s)",
    )
    parser.add_argument(
        "--database", default="tribune_bench_docket", help="the database (default: %(default)s)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument(
        "--skip-load",
        action="store_true",
        help="measure a database kept by an earlier run (--keep) instead of making one",
    )
    parser.add_argument(
        "--cases", type=int, default=1_000_000, help="cases to load (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--adjudicators", type=int, default=12, help="adjudicators (default: %(default)s)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=cores(),
        help="server processes for each app (default: the cores available, %(default)s)",
    )
    parser.add_argument(
        "--connections", type=int, default=16, help="concurrent connections (default: 16)"
    )
    parser.add_argument(
        "--duration", type=float, default=15, help="seconds per case (default: %(default)s)"
    )
    parser.add_argument(
        "--warm-up", type=float, default=2, help="unmeasured seconds first (default: 2)"
    )
    parser.add_argument(
        "--pages", type=int, default=1000, help="the docket page measured by keyset (default: 1000)"
    )
    parser.add_argument(
        "--per-page", type=int, default=50, help="docket rows per page, 10..200 (default: 50)"
    )
    parser.add_argument(
        "--docket-path",
        default=f"/{TRIBUNAL_SLUG}/staff/docket",
        help="the docket page's path (default: %(default)s)",
    )
    parser.add_argument(
        "--httpx",
        action="store_true",
        help="measure with the built-in httpx load generator even if wrk is installed",
    )
    parser.add_argument(
        "--docket-only",
        action="store_true",
        help="measure the docket's pages only, not the other hot pages",
    )
    parser.add_argument("--serve-bare", nargs=2, metavar=("PORT", "DSN"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--serve-same-work", nargs=2, metavar=("PORT", "DSN"), help=argparse.SUPPRESS
    )
    parser.add_argument("--load-url", help=argparse.SUPPRESS)
    parser.add_argument("--cookie", default="", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)

    if arguments.serve_bare:
        return serve_bare(int(arguments.serve_bare[0]), arguments.serve_bare[1], arguments.workers)
    if arguments.serve_same_work:
        port, dsn = arguments.serve_same_work
        return serve_same_work(int(port), dsn, arguments.workers)
    if arguments.load_url:
        report = asyncio.run(
            _load(arguments.load_url, arguments.cookie, arguments.connections, arguments.duration)
        )
        print(json.dumps(report))
        return 0
    if arguments.cases < 1 or arguments.workers < 1 or arguments.connections < 1:
        parser.error("--cases, --workers and --connections must be at least 1")
    if not 10 <= arguments.per_page <= 200 or arguments.pages < 1:
        parser.error("--per-page is 10..200 and --pages at least 1")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", arguments.database):
        parser.error("--database: lower-case letters, digits and underscores")
    if not Path(WRK).exists() and not arguments.httpx:
        print(f"{WRK} is missing: install it with `apt-get install -y wrk`.")
        print("Measuring with a small httpx load generator instead (its own ceiling is lower).")

    database_url = sqlalchemy_url(arguments.admin_url, arguments.database)
    dsn = asyncpg_dsn(arguments.admin_url, arguments.database)
    workdir = Path(tempfile.mkdtemp(prefix="tribune-bench-docket-"))
    try:
        if not arguments.skip_load:
            asyncio.run(prepare(arguments, database_url, dsn))
        return benchmark(arguments, database_url, dsn, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not arguments.keep and not arguments.skip_load:
            asyncio.run(drop_database(arguments.admin_url, arguments.database))
            print(f"dropped the database {arguments.database}")
        elif arguments.keep:
            print(
                f"kept the database {arguments.database} (clerk: {CLERK_EMAIL}, claimant: "
                f"{hot_pages.CLAIMANT_EMAIL})"
            )


if __name__ == "__main__":
    sys.exit(main())
