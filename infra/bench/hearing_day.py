"""Hearing day benchmark: a morning of video hearings whose participants all arrive at once.

Run from the project folder, with PostgreSQL reachable (the admin URL's role creates databases):

    .venv/bin/python infra/bench/hearing_day.py                     # 100 hearings, 10 minutes
    .venv/bin/python infra/bench/hearing_day.py --hearings 20 --duration 60 --arrival 20
    .venv/bin/python infra/bench/hearing_day.py --admin-url postgresql+asyncpg://me@db:5432/postgres

What it does:

1. Creates a fresh database (--database, default tribune_bench_hearing_day; dropped first if it
   exists) through the admin URL and applies the Alembic migrations.
2. Through the ORM adds a tribunal (Toronto, a help line), --hearings adjudicators and as many
   scheduled cases (`filings.seeding.seed_submitted_case`), each with three participants who
   have an account: the claimant, their authorised representative and the respondent; and
   a video hearing of each case, all starting at the same minute (the "9:30"), 10 minutes
   from now, for an hour: the join window is open. One more case and hearing, outside the
   load, is kept for counting statements. Every participant and adjudicator gets a session
   (`accounts.services.start_session`), as if they had signed in.
3. Starts the app as it is deployed (`python -m tribune serve --workers N`, no inline worker).
4. Runs the morning from --clients load processes (asyncio and httpx): each of the
   3 x --hearings participants arrives at a random moment of the first --arrival seconds
   (seeded, --seed), opens their hearing page, checks in with the form's CSRF token, then
   polls the waiting room's status block (as htmx does, every --interval seconds) for
   --duration seconds. Each hearing's adjudicator arrives the same way, opens the page and
   polls the console (--without-console leaves them out).
5. Prints, per kind of request, the count, the p50, p95 and p99 and the maximum in milliseconds,
   and the errors (a status other than the expected one, or a socket error); the polls after
   the last arrival on a line of their own; and the SQL statements each kind of request runs,
   counted with a SQLAlchemy event on an in-process app on the same database.

The latencies are measured by the load processes, which share the machine with the server:
on a small machine they include some of the load's own scheduling delay.

It exits 1 when a request failed or the p95 of the waiting room's poll is 100 ms or more.
The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import re
import statistics
import sys
import tempfile
import time as clock
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import time as time_of_day
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT))

from docket import (  # noqa: E402
    app_environment,
    cores,
    create_database,
    drop_database,
    migrate,
    sqlalchemy_url,
    start_app,
)
from processes import free_port, stop  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import start_session  # noqa: E402
from filings.casetypes.services import create_case_type  # noqa: E402
from filings.demo import DEMO_CASE_TYPES  # noqa: E402
from filings.models import CaseParty, FilingStatus, PartyRole  # noqa: E402
from filings.seeding import seed_submitted_case  # noqa: E402
from hearings.calendars import services as calendars  # noqa: E402
from hearings.models import Hearing, HearingMode, HearingStatus  # noqa: E402
from tribunals.models import Membership, Role, Tribunal  # noqa: E402
from tribune.db import Database, utcnow  # noqa: E402
from tribune.settings import load_settings  # noqa: E402

TRIBUNAL_SLUG = "wcat"
SESSION_COOKIE = "tribune_session"  # development settings: no __Host- prefix
# No one signs in with a password: no password matches this hash.
NO_PASSWORD = "!"  # noqa: S105
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
POLL_P95_TARGET_MS = 100.0


@dataclass(frozen=True)
class Visitor:
    """One person of the morning: their session, their hearing's page, and what they poll."""

    token: str
    page: str
    polls: str  # the status block, or the console for an adjudicator
    checks_in: bool
    arrives_after: float = 0.0  # seconds after the start of the run


@dataclass
class Timings:
    """Latencies in milliseconds per kind of request, and the errors seen."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # What the errors were: a status code or an exception's name, per kind of request.
    causes: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def merge(self, other: Timings) -> None:
        for kind, values in other.latencies.items():
            self.latencies[kind].extend(values)
        for kind, count in other.errors.items():
            self.errors[kind] += count
        for cause, count in other.causes.items():
            self.causes[cause] += count


# -- 1 and 2. the database ---------------------------------------------------------------------


async def load(database_url: str, hearings: int) -> tuple[list[Visitor], dict[str, str]]:
    """Add the tribunal, the cases, their hearings and sessions; return the morning's visitors
    and the probe's URLs and sessions (a hearing kept out of the load)."""
    settings = load_settings({"TRIBUNE_ENV": "development", "TRIBUNE_DATABASE_URL": database_url})
    database = Database.from_url(database_url)
    try:
        async with database.session() as db:
            tribunal = Tribunal(
                slug=TRIBUNAL_SLUG,
                name_en="Workers' Compensation Appeals Tribunal",
                name_fr="Tribunal d'appel des accidents du travail",
                short_name_en="WCAT",
                short_name_fr="TAAT",
                time_zone="America/Toronto",
                province="ON",
                contact_email="registry@wcat.bench.example",
                contact_phone="416-555-0100",
            )
            admin = User(email="admin@wcat.bench.example", name="Admin", password_hash=NO_PASSWORD)
            db.add_all([tribunal, admin])
            await db.flush()
            db.add(Membership(tribunal_id=tribunal.id, user_id=admin.id, role=Role.ADMIN))
            await calendars.save_settings(
                db,
                tribunal,
                calendars.SettingsValues(
                    hours={
                        weekday: (time_of_day(9, 30), time_of_day(16, 30)) for weekday in range(7)
                    },
                    modes=list(HearingMode),
                    minimum_notice_business_days=0,
                    unavailability_window_days=90,
                ),
                actor=admin,
            )
            version = await create_case_type(
                db, tribunal, **DEMO_CASE_TYPES["wcat"][0], publish=True
            )
            starts_at = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=10)
            visitors: list[Visitor] = []
            probe: dict[str, str] = {}
            for number in range(hearings + 1):
                people = {
                    role: User(
                        email=f"{role}-{number}@wcat.bench.example",
                        name=f"{role.title()} {number:03}",
                        password_hash=NO_PASSWORD,
                        language="fr" if number % 4 == 0 else "en",
                        email_confirmed_at=utcnow(),
                    )
                    for role in ("adjudicator", "claimant", "representative", "respondent")
                }
                db.add_all(people.values())
                await db.flush()
                adjudicator = people["adjudicator"]
                db.add(
                    Membership(
                        tribunal_id=tribunal.id, user_id=adjudicator.id, role=Role.ADJUDICATOR
                    )
                )
                filing = await seed_submitted_case(
                    db,
                    tribunal,
                    version,
                    people["claimant"],
                    answers=answers_of(people["claimant"], people["representative"]),
                    received=utcnow() - timedelta(days=60),
                    language=people["claimant"].language,
                    status=FilingStatus.SCHEDULED,
                )
                for party in list(db.new):  # the case's parties, not yet flushed
                    if isinstance(party, CaseParty) and party.role is PartyRole.REPRESENTATIVE:
                        party.user_id = people["representative"].id
                db.add(
                    CaseParty(
                        tribunal_id=tribunal.id,
                        filing_id=filing.id,
                        role=PartyRole.RESPONDENT,
                        name=f"Employer {number:03} Ltd",
                        email=people["respondent"].email,
                        user_id=people["respondent"].id,
                    )
                )
                hearing = Hearing(
                    tribunal_id=tribunal.id,
                    filing_id=filing.id,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(hours=1),
                    mode=HearingMode.VIDEO,
                    adjudicator_id=adjudicator.id,
                    status=HearingStatus.SCHEDULED,
                    calendar_uid=f"bench-{uuid.uuid4()}@wcat.bench.example",
                )
                db.add(hearing)
                await db.flush()
                page = f"/{TRIBUNAL_SLUG}/hearings/{hearing.id}"
                tokens = {
                    role: start_session(db, settings, person) for role, person in people.items()
                }
                if number == hearings:  # the probe: not part of the load
                    probe = {"page": page, **tokens}
                    continue
                for role in ("claimant", "representative", "respondent"):
                    visitors.append(Visitor(tokens[role], page, page + "/status", checks_in=True))
                visitors.append(
                    Visitor(tokens["adjudicator"], page, page + "/console", checks_in=False)
                )
            await db.commit()
    finally:
        await database.dispose()
    return visitors, probe


def answers_of(claimant: User, representative: User) -> dict[str, Any]:
    return {
        "eligibility": {"eligible": True},
        "about_you": {
            "full_name": claimant.name,
            "email": claimant.email,
            "phone": "",
            "case_language": claimant.language,
            "hearing_language": claimant.language,
            "contact_method": "email",
        },
        "representative": {
            "has_representative": True,
            "representative_name": representative.name,
            "representative_firm": "Legal Clinic",
            "representative_licence": "P12345",
            "representative_email": representative.email,
            "representative_phone": "",
            "representative_consent": True,
        },
        "questions": {},
    }


# -- 4. the morning ---------------------------------------------------------------------------


async def _visit(
    client: httpx.AsyncClient,
    visitor: Visitor,
    started: float,
    arrival: float,
    duration: float,
    interval: float,
    timings: Timings,
) -> None:
    """Arrive, open the page, check in (a party) and poll until `duration` has passed."""

    async def timed(kind: str, expected: int, method: str, url: str, **options: Any) -> str:
        before = clock.perf_counter()
        try:
            response = await client.request(method, url, **options)
        except httpx.HTTPError as error:
            timings.errors[kind] += 1
            timings.causes[f"{kind}: {type(error).__name__}"] += 1
            return ""
        timings.latencies[kind].append((clock.perf_counter() - before) * 1000)
        if response.status_code != expected:
            timings.errors[kind] += 1
            timings.causes[f"{kind}: {response.status_code}"] += 1
        return response.text

    await asyncio.sleep(max(0.0, started + visitor.arrives_after - clock.monotonic()))
    page = await timed("hearing page", 200, "GET", visitor.page)
    poll_kind = "waiting room poll"
    if visitor.checks_in:
        token = CSRF_FIELD.search(page)
        if token is None:
            timings.errors["check-in"] += 1
            return
        await timed(
            "check-in", 303, "POST", visitor.page + "/check-in", data={"csrf_token": token[1]}
        )
    else:
        poll_kind = "console poll"
    arrivals_over = started + arrival
    stops_at = clock.monotonic() + duration
    next_poll = clock.monotonic() + interval
    while next_poll < stops_at:
        await asyncio.sleep(max(0.0, next_poll - clock.monotonic()))
        kind = poll_kind + (" (after arrivals)" if clock.monotonic() >= arrivals_over else "")
        await timed(kind, 200, "GET", visitor.polls, headers={"HX-Request": "true"})
        next_poll += interval


async def _run_visitors(
    base: str, visitors: list[Visitor], arrival: float, duration: float, interval: float
) -> Timings:
    timings = Timings()
    started = clock.monotonic()
    clients = [
        httpx.AsyncClient(
            base_url=base,
            cookies={SESSION_COOKIE: visitor.token},
            timeout=30,
            follow_redirects=False,
        )
        for visitor in visitors
    ]
    try:
        await asyncio.gather(
            *(
                _visit(client, visitor, started, arrival, duration, interval, timings)
                for client, visitor in zip(clients, visitors, strict=True)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    return timings


def run_visitors(
    base: str, visitors: list[Visitor], arrival: float, duration: float, interval: float
) -> tuple[dict[str, list[float]], dict[str, int], dict[str, int]]:
    """One load process's share of the morning (a multiprocessing target)."""
    timings = asyncio.run(_run_visitors(base, visitors, arrival, duration, interval))
    return dict(timings.latencies), dict(timings.errors), dict(timings.causes)


def spread(
    visitors: list[Visitor], arrival: float, rng: random.Random, *, console: bool
) -> list[Visitor]:
    """Give each visitor a random arrival within the first `arrival` seconds."""
    return [
        Visitor(v.token, v.page, v.polls, v.checks_in, rng.uniform(0, arrival))
        for v in visitors
        if console or v.checks_in
    ]


def morning(base: str, visitors: list[Visitor], arguments: argparse.Namespace) -> Timings:
    """Run the morning from --clients processes; return their timings together."""
    shares = [visitors[index :: arguments.clients] for index in range(arguments.clients)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(arguments.clients) as pool:
        results = pool.starmap(
            run_visitors,
            [
                (base, share, arguments.arrival, arguments.duration, arguments.interval)
                for share in shares
                if share
            ],
        )
    timings = Timings()
    for latencies, errors, causes in results:
        part = Timings()
        part.latencies.update(latencies)
        part.errors.update(errors)
        part.causes.update(causes)
        timings.merge(part)
    return timings


# -- 5. statements per request -------------------------------------------------------------------


async def count_statements(
    database_url: str, data_dir: Path, probe: dict[str, str]
) -> dict[str, int]:
    """Run each kind of request once more on an in-process app, counting its statements: the
    probe hearing's page before check-in, the check-in, the waiting room's poll, the console."""
    from tribune.app import create_app

    settings = load_settings(
        {
            "TRIBUNE_ENV": "development",
            "TRIBUNE_DATABASE_URL": database_url,
            "TRIBUNE_DATA_DIR": str(data_dir),
            "TRIBUNE_STORAGE_URL": str(data_dir / "documents"),
        }
    )
    database = Database.from_url(database_url)
    app = create_app(settings, database, inline_worker=False)
    seen: list[str] = []

    def count(*arguments: Any) -> None:
        seen.append(str(arguments[2]))

    counts: dict[str, int] = {}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:

            async def counted(kind: str, method: str, url: str, **options: Any) -> httpx.Response:
                seen.clear()
                event.listen(database.engine.sync_engine, "before_cursor_execute", count)
                try:
                    response = await client.request(method, url, **options)
                finally:
                    event.remove(database.engine.sync_engine, "before_cursor_execute", count)
                counts[kind] = len(seen)
                return response

            page = probe["page"]
            client.cookies.set(SESSION_COOKIE, probe["claimant"])
            await client.get(page)  # the first request warms the app's caches
            response = await counted("hearing page", "GET", page)
            token = CSRF_FIELD.search(response.text)
            if token is None:
                raise RuntimeError("no check-in form on the probe's hearing page")
            await counted("check-in", "POST", page + "/check-in", data={"csrf_token": token[1]})
            await counted("waiting room poll", "GET", page + "/status")
            client.cookies.set(SESSION_COOKIE, probe["adjudicator"])
            await client.get(page + "/console")
            await counted("console poll", "GET", page + "/console")
    finally:
        await database.dispose()
    return counts


# -- the report ---------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def report(timings: Timings, statements: dict[str, int]) -> list[str]:
    """Print the table; return the targets missed."""
    print(
        f"{'request':<36}{'count':>8}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}{'errors':>8}{'SQL':>6}"
    )
    kinds = sorted(set(timings.latencies) | set(timings.errors))
    for kind in kinds:
        values = timings.latencies.get(kind, [])
        if values:
            figures = "".join(
                f"{figure:>9.1f}"
                for figure in (
                    statistics.median(values),
                    percentile(values, 0.95),
                    percentile(values, 0.99),
                    max(values),
                )
            )
        else:
            figures = f"{'-':>9}" * 4
        sql = statements.get(kind.removesuffix(" (after arrivals)"), "")
        print(f"{kind:<36}{len(values):>8}{figures}{timings.errors.get(kind, 0):>8}{sql:>6}")
    for cause, count in sorted(timings.causes.items()):
        print(f"  failed: {cause} x {count}")
    misses = []
    errors = sum(timings.errors.values())
    if errors:
        misses.append(f"{errors} requests failed")
    polls = timings.latencies.get("waiting room poll", []) + timings.latencies.get(
        "waiting room poll (after arrivals)", []
    )
    if not polls:
        misses.append("no waiting room poll was answered")
    elif (p95 := percentile(polls, 0.95)) >= POLL_P95_TARGET_MS:
        misses.append(
            f"the waiting room poll's p95 is {p95:.1f} ms, not under {POLL_P95_TARGET_MS:.0f}"
        )
    elif polls:
        print(
            f"waiting room poll, all: {len(polls)} requests, p95 {percentile(polls, 0.95):.1f} ms"
        )
    return misses


async def prepare(
    arguments: argparse.Namespace, database_url: str
) -> tuple[list[Visitor], dict[str, str]]:
    await create_database(arguments.admin_url, arguments.database)
    migrate(app_environment(database_url, Path(tempfile.gettempdir())))
    started = clock.perf_counter()
    visitors, probe = await load(database_url, arguments.hearings)
    print(
        f"loaded {arguments.hearings} hearings in {clock.perf_counter() - started:.1f} s",
        flush=True,
    )
    return visitors, probe


def benchmark(arguments: argparse.Namespace) -> int:
    database_url = sqlalchemy_url(arguments.admin_url, arguments.database)
    try:
        visitors, probe = asyncio.run(prepare(arguments, database_url))
        visitors = spread(
            visitors,
            arguments.arrival,
            random.Random(arguments.seed),  # noqa: S311 - arrivals, the same each run
            console=arguments.console,
        )
        with tempfile.TemporaryDirectory(prefix="tribune-bench-") as workdir:
            port = free_port()
            print(f"starting the app ({arguments.workers} workers)", flush=True)
            server = start_app(
                app_environment(database_url, Path(workdir)), port, arguments.workers
            )
            try:
                parties = sum(v.checks_in for v in visitors)
                print(
                    f"{parties} participants and {len(visitors) - parties} adjudicators arrive"
                    f" over {arguments.arrival:.0f} s, then poll every {arguments.interval:.0f} s"
                    f" for {arguments.duration:.0f} s, from {arguments.clients} load processes",
                    flush=True,
                )
                timings = morning(f"http://127.0.0.1:{port}", visitors, arguments)
            finally:
                stop(server)
            statements = asyncio.run(count_statements(database_url, Path(workdir), probe))
        misses = report(timings, statements)
    finally:
        if not arguments.keep:
            asyncio.run(drop_database(arguments.admin_url, arguments.database))
    for miss in misses:
        print(f"MISSED: {miss}")
    return 1 if misses else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--admin-url",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL URL whose role may create databases (default: %(default)s)",
    )
    parser.add_argument("--database", default="tribune_bench_hearing_day")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--hearings", type=int, default=100, help="three participants each")
    parser.add_argument(
        "--arrival", type=float, default=60.0, help="seconds over which people arrive"
    )
    parser.add_argument("--duration", type=float, default=600.0, help="seconds each person polls")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between polls")
    parser.add_argument(
        "--workers", type=int, default=cores(), help="server processes (%(default)s)"
    )
    parser.add_argument("--clients", type=int, default=2, help="load processes (%(default)s)")
    parser.add_argument(
        "--without-console", dest="console", action="store_false", help="adjudicators stay away"
    )
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args(argv)
    if min(arguments.hearings, arguments.workers, arguments.clients) < 1:
        parser.error("--hearings, --workers and --clients must be at least 1")
    if arguments.interval <= 0 or arguments.duration < arguments.interval or arguments.arrival < 0:
        parser.error("--interval must be positive and at most --duration; --arrival not negative")
    return benchmark(arguments)


if __name__ == "__main__":
    sys.exit(main())
