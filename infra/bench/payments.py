"""Payments benchmark: 200 claimants paying their case's fee on the sandbox at the same moment.

Run from the project folder, with PostgreSQL reachable (the admin URL's role creates databases):

    .venv/bin/python infra/bench/payments.py                    # 200 payers
    .venv/bin/python infra/bench/payments.py --payers 20 --workers 1
    .venv/bin/python infra/bench/payments.py --admin-url postgresql+asyncpg://me@db:5432/postgres

What it does:

1. Creates a fresh database (--database, default tribune_bench_payments; dropped first if it
   exists) through the admin URL and applies the Alembic migrations.
2. Through the ORM adds a tribunal (the Labour Relations Board, Toronto), its unfair labour
   practice complaint (`filings.demo`, a fee applies) with a fee of $50.00 from today
   (`payments.fees.services.add_fee`), and --payers claimants, each with a submitted case
   charged its fee (`payments.fees.services.assess`: awaiting payment) and a session
   (`accounts.services.start_session`), as if they had signed in; one in four in French.
3. Starts the app as it is deployed (`python -m tribune serve --workers N`, development
   settings, TRIBUNE_PAYMENT_PROVIDER=sandbox, no inline worker: nothing but this script
   delivers the sandbox's notifications). The server and this script share a secret key
   made for the run, so both know the sandbox's webhook secret derived from it.
4. From --clients load processes (asyncio and httpx), every payer at once: opens the fee page,
   posts "Pay now by card" with the form's CSRF token and follows the redirect to the
   sandbox's hosted page, posts the success card there (4242 4242 4242 4242, an expiry next
   year, 123, a name), and opens the return page it is sent back to, which must show the fee
   paid.
5. Delivers the sandbox's notifications (`sandbox_notifications`: the sandbox queues each
   twice) to `POST /webhooks/payments/sandbox`, all at once, signed as the sandbox's job signs
   them (`payments.sandbox.jobs`); each copy must be answered 200, one "settled" and the other
   "duplicate", and is then marked delivered in the sandbox's books.
6. Prints the time and the throughput (payments per second), the count, p50, p95 and maximum
   in milliseconds of each step (fee page, pay, hosted page, card, return, notification), the
   errors by cause, then checks the ledger in the database: one attempt and exactly one
   succeeded payment per fee, one payment receipt per fee for its amount, receipt numbers
   1..N without gaps, no case still awaiting payment, each notification recorded once (and
   each payment's success acted on once: one `fee_paid` event, one audit entry).

The latencies are measured by the load processes, which share the machine with the server:
on a small machine they include some of the load's own scheduling delay.

It exits 1 when a request failed or the ledger does not match. The database is dropped at the
end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import re
import secrets
import statistics
import sys
import tempfile
import time as clock
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, update

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT))  # before this folder: the app's `payments`, not this file

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
from filings.models import CaseEvent, Filing  # noqa: E402
from filings.seeding import seed_submitted_case  # noqa: E402
from payments.fees import services as fees  # noqa: E402
from payments.models import (  # noqa: E402
    FeeCharge,
    Payment,
    PaymentNotification,
    PaymentState,
    Receipt,
    ReceiptKind,
    SandboxNotification,
)
from payments.providers.sandbox import SIGNATURE_HEADER  # noqa: E402
from payments.providers.signatures import signature_header  # noqa: E402
from tribunals.models import Membership, Role, Tribunal  # noqa: E402
from tribune.audit import AuditAction, AuditEvent  # noqa: E402
from tribune.db import Database, local_today, utcnow  # noqa: E402
from tribune.settings import load_settings  # noqa: E402

TRIBUNAL_SLUG = "lrb"
TIME_ZONE = "America/Toronto"
FEE_CODE = "LRB-ULP"
FEE_CENTS = 5000
SESSION_COOKIE = "tribune_session"  # development settings: no __Host- prefix
# No one signs in with a password: no password matches this hash.
NO_PASSWORD = "!"  # noqa: S105
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
HOSTED_PAGE = "/sandbox/checkout/"
PAID_PANEL = "govuk-panel--confirmation"  # the return page's "Payment received", either language
WEBHOOK = "/webhooks/payments/sandbox"
STEPS = ("fee page", "pay", "hosted page", "card", "return", "notification")


@dataclass(frozen=True)
class Payer:
    """A claimant with a session and the fee page of their case."""

    token: str
    fee_page: str


@dataclass
class Timings:
    """Latencies in milliseconds per step, the errors by cause, and when the load ran."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    causes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    started: float = float("inf")  # wall clock (time.time), comparable across processes
    finished: float = 0.0

    def merge(self, other: Timings) -> None:
        for step, values in other.latencies.items():
            self.latencies[step].extend(values)
        for cause, count in other.causes.items():
            self.causes[cause] += count
        self.started = min(self.started, other.started)
        self.finished = max(self.finished, other.finished)

    def fail(self, step: str, cause: str) -> None:
        self.causes[f"{step}: {cause}"] += 1

    async def timed(
        self,
        client: httpx.AsyncClient,
        step: str,
        expected: int,
        method: str,
        url: str,
        **options: Any,
    ) -> httpx.Response | None:
        """Send a request and record its latency; None (and the cause) if it failed."""
        before = clock.perf_counter()
        try:
            response = await client.request(method, url, **options)
        except httpx.HTTPError as error:
            self.fail(step, type(error).__name__)
            return None
        self.latencies[step].append((clock.perf_counter() - before) * 1000)
        if response.status_code != expected:
            self.fail(step, f"status {response.status_code}")
            return None
        return response


# -- 1 and 2. the database ---------------------------------------------------------------------


def answers_of(claimant: User) -> dict[str, Any]:
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
        "representative": {"has_representative": False},
        "questions": {},
        "declaration": {"declared": True},
    }


async def load(database_url: str, environment: dict[str, str], payers: int) -> list[Payer]:
    """Add the tribunal, its fee, and the claimants' charged cases and sessions."""
    settings = load_settings(environment)
    database = Database.from_url(database_url)
    found: list[Payer] = []
    try:
        async with database.session() as db:
            tribunal = Tribunal(
                slug=TRIBUNAL_SLUG,
                name_en="Labour Relations Board",
                name_fr="Commission des relations de travail",
                short_name_en="LRB",
                short_name_fr="CRT",
                time_zone=TIME_ZONE,
                province="ON",
                contact_email="registry@lrb.bench.example",
                contact_phone="416-555-0100",
            )
            admin = User(email="admin@lrb.bench.example", name="Admin", password_hash=NO_PASSWORD)
            db.add_all([tribunal, admin])
            await db.flush()
            db.add(Membership(tribunal_id=tribunal.id, user_id=admin.id, role=Role.ADMIN))
            spec = DEMO_CASE_TYPES["lrb"][0]  # the unfair labour practice complaint: a fee
            if not (spec["definition"].get("fee") or {}).get("applies"):
                raise RuntimeError(f"the demo's {spec['code']} no longer says a fee applies")
            version = await create_case_type(db, tribunal, **spec, publish=True)
            await fees.add_fee(
                db,
                tribunal,
                version.case_type_id,
                fees.FeeValues(
                    code=FEE_CODE,
                    amount_cents=FEE_CENTS,
                    reduced_amount_cents=1000,
                    effective_from=local_today(TIME_ZONE),
                ),
                actor=admin,
            )
            await db.flush()
            for number in range(payers):
                claimant = User(
                    email=f"claimant-{number}@lrb.bench.example",
                    name=f"Claimant {number:03}",
                    password_hash=NO_PASSWORD,
                    language="fr" if number % 4 == 0 else "en",
                    email_confirmed_at=utcnow(),
                )
                db.add(claimant)
                await db.flush()
                filing = await seed_submitted_case(
                    db,
                    tribunal,
                    version,
                    claimant,
                    answers=answers_of(claimant),
                    received=utcnow(),
                    language=claimant.language,
                )
                await db.flush()
                charge = await fees.assess(db, tribunal, filing, version)
                if charge is None or not filing.awaiting_payment:
                    raise RuntimeError("the bench's case was not charged its fee")
                token = start_session(db, settings, claimant)
                found.append(Payer(token, f"/{TRIBUNAL_SLUG}/cases/{filing.id}/fee"))
            await db.commit()
    finally:
        await database.dispose()
    return found


# -- 4. the payers --------------------------------------------------------------------------------


def card_values(csrf_token: str) -> dict[str, str]:
    """The hosted page's form, filled with the card that succeeds, valid until next year."""
    today = utcnow()
    return {
        "csrf_token": csrf_token,
        "card_number": "4242 4242 4242 4242",
        "expiry": f"{today.month:02}/{(today.year + 1) % 100:02}",
        "security_code": "123",
        "name": "Bench Payer",
    }


async def _pay(client: httpx.AsyncClient, payer: Payer, timings: Timings) -> None:
    """One payer: the fee page, "Pay now by card", the hosted page, the card, the return."""
    page = await timings.timed(client, "fee page", 200, "GET", payer.fee_page)
    if page is None:
        return
    token = CSRF_FIELD.search(page.text)
    if token is None or "/fee/pay" not in page.text:
        timings.fail("fee page", "no pay form")
        return
    pay = await timings.timed(
        client, "pay", 303, "POST", payer.fee_page + "/pay", data={"csrf_token": token[1]}
    )
    if pay is None:
        return
    hosted_url = pay.headers.get("location", "")
    if HOSTED_PAGE not in hosted_url:
        timings.fail("pay", "not sent to the hosted page")
        return
    hosted = await timings.timed(client, "hosted page", 200, "GET", hosted_url)
    if hosted is None:
        return
    token = CSRF_FIELD.search(hosted.text)
    if token is None:
        timings.fail("hosted page", "no card form")
        return
    card = await timings.timed(client, "card", 303, "POST", hosted_url, data=card_values(token[1]))
    if card is None:
        return
    return_url = card.headers.get("location", "")
    if "/return" not in return_url:
        timings.fail("card", "not sent back to the return page")
        return
    back = await timings.timed(client, "return", 200, "GET", return_url)
    if back is not None and PAID_PANEL not in back.text:
        timings.fail("return", "not shown as paid")


async def _run_payers(base: str, payers: list[Payer], start_at: float) -> Timings:
    timings = Timings()
    clients = [
        httpx.AsyncClient(
            base_url=base,
            cookies={SESSION_COOKIE: payer.token},
            timeout=60,
            follow_redirects=False,
        )
        for payer in payers
    ]
    try:
        await asyncio.sleep(max(0.0, start_at - clock.time()))
        timings.started = clock.time()
        await asyncio.gather(
            *(_pay(client, payer, timings) for client, payer in zip(clients, payers, strict=True))
        )
        timings.finished = clock.time()
    finally:
        for client in clients:
            await client.aclose()
    return timings


def run_payers(
    base: str, payers: list[Payer], start_at: float
) -> tuple[dict[str, list[float]], dict[str, int], float, float]:
    """One load process's share of the payers (a multiprocessing target)."""
    timings = asyncio.run(_run_payers(base, payers, start_at))
    return dict(timings.latencies), dict(timings.causes), timings.started, timings.finished


def pay_all(base: str, payers: list[Payer], clients: int) -> Timings:
    """Run every payer at once from `clients` processes; return their timings together."""
    shares = [share for share in (payers[index::clients] for index in range(clients)) if share]
    start_at = clock.time() + 5  # time for the processes to start: then all at once
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(shares)) as pool:
        results = pool.starmap(run_payers, [(base, share, start_at) for share in shares])
    timings = Timings()
    for latencies, causes, started, finished in results:
        part = Timings(started=started, finished=finished)
        part.latencies.update(latencies)
        part.causes.update(causes)
        timings.merge(part)
    return timings


# -- 5. the sandbox's notifications -------------------------------------------------------------


async def queued_notifications(database_url: str) -> list[tuple[uuid.UUID, str, str]]:
    """Return the sandbox's queued notifications: (row id, event id, body)."""
    database = Database.from_url(database_url)
    try:
        async with database.session() as db:
            rows = await db.execute(
                select(
                    SandboxNotification.id, SandboxNotification.event_id, SandboxNotification.body
                )
                .where(SandboxNotification.delivered_at.is_(None))
                .order_by(SandboxNotification.deliver_after)
            )
            return [(row[0], row[1], row[2]) for row in rows]
    finally:
        await database.dispose()


async def deliver_all(
    base: str, secret: str, queued: list[tuple[uuid.UUID, str, str]], timings: Timings
) -> tuple[dict[str, list[str]], dict[uuid.UUID, int]]:
    """POST every queued notification at once, signed with the sandbox's secret at the moment
    it is sent; return the answers' bodies by event id and the status by row."""
    outcomes: dict[str, list[str]] = defaultdict(list)
    statuses: dict[uuid.UUID, int] = {}
    limits = httpx.Limits(max_connections=max(1, len(queued)), max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def deliver(row_id: uuid.UUID, event_id: str, body: str) -> None:
            raw = body.encode()
            headers = {
                "content-type": "application/json",
                SIGNATURE_HEADER: signature_header(secret, int(clock.time()), raw),
            }
            response = await timings.timed(
                client, "notification", 200, "POST", WEBHOOK, content=raw, headers=headers
            )
            if response is not None:
                statuses[row_id] = response.status_code
                outcomes[event_id].append(response.text)

        timings.started = clock.time()
        await asyncio.gather(*(deliver(*row) for row in queued))
        timings.finished = clock.time()
    for answers in outcomes.values():
        if sorted(answers) != ["duplicate", "settled"]:
            timings.fail("notification", f"answered {' and '.join(sorted(answers))}")
    return outcomes, statuses


async def mark_delivered(database_url: str, statuses: dict[uuid.UUID, int]) -> None:
    """Record the deliveries in the sandbox's books, as its job does."""
    database = Database.from_url(database_url)
    try:
        async with database.session() as db:
            now = utcnow()
            for row_id, status in statuses.items():
                await db.execute(
                    update(SandboxNotification)
                    .where(SandboxNotification.id == row_id)
                    .values(delivered_at=now, last_status=status)
                )
            await db.commit()
    finally:
        await database.dispose()


# -- 6. the ledger --------------------------------------------------------------------------------


async def check_ledger(database_url: str, payers: int) -> list[str]:
    """Return every way the ledger differs from one payment and one receipt per fee."""
    problems: list[str] = []
    database = Database.from_url(database_url)
    try:
        async with database.session() as db:
            charges = list(await db.scalars(select(FeeCharge)))
            if len(charges) != payers:
                problems.append(f"{len(charges)} fees charged, not {payers}")
            payments = list(await db.scalars(select(Payment)))
            by_charge: dict[uuid.UUID, list[Payment]] = defaultdict(list)
            for payment in payments:
                by_charge[payment.charge_id].append(payment)
            attempts = Counter(len(by_charge[charge.id]) for charge in charges)
            if set(attempts) != {1}:
                problems.append(f"attempts per fee: {dict(sorted(attempts.items()))}")
            succeeded = Counter(
                sum(p.state is PaymentState.SUCCEEDED for p in by_charge[charge.id])
                for charge in charges
            )
            if set(succeeded) != {1}:
                problems.append(f"succeeded payments per fee: {dict(sorted(succeeded.items()))}")
            states = Counter(payment.state.value for payment in payments)
            receipts = list(await db.scalars(select(Receipt)))
            paid = {p.id: p for p in payments if p.state is PaymentState.SUCCEEDED}
            per_payment = Counter(
                r.payment_id
                for r in receipts
                if r.kind is ReceiptKind.PAYMENT and r.refund_id is None
            )
            if any(per_payment[payment_id] != 1 for payment_id in paid) or len(receipts) != len(
                paid
            ):
                problems.append(
                    f"{len(receipts)} receipts for {len(paid)} succeeded payments"
                    f" (per payment: {dict(Counter(per_payment[key] for key in paid))})"
                )
            wrong_amount = [
                r for r in receipts if r.payment_id in paid and r.amount_cents != FEE_CENTS
            ]
            if wrong_amount:
                problems.append(f"{len(wrong_amount)} receipts not for the fee's amount")
            numbers: dict[tuple[uuid.UUID, int], list[int]] = defaultdict(list)
            for receipt in receipts:
                numbers[(receipt.tribunal_id, receipt.year)].append(receipt.number)
            for (_, year), found in numbers.items():
                if sorted(found) != list(range(1, len(found) + 1)):
                    missing = sorted(set(range(1, max(found) + 1)) - set(found))
                    problems.append(
                        f"receipt numbers of {year} are not 1..{len(found)}"
                        f" (missing {missing[:10]}, repeated"
                        f" {sorted(n for n, c in Counter(found).items() if c > 1)[:10]})"
                    )
            awaiting = (
                await db.execute(
                    select(func.count()).select_from(Filing).where(Filing.awaiting_payment)
                )
            ).scalar_one()
            if awaiting:
                problems.append(f"{awaiting} cases still awaiting payment")
            events = list(
                (await db.execute(select(SandboxNotification.event_id).distinct())).scalars()
            )
            recorded = Counter(
                (
                    await db.execute(
                        select(PaymentNotification.notification_id).where(
                            PaymentNotification.provider == "sandbox"
                        )
                    )
                ).scalars()
            )
            if sorted(recorded) != sorted(events) or any(c != 1 for c in recorded.values()):
                problems.append(
                    f"{sum(recorded.values())} notifications recorded for {len(events)} events"
                )
            if any(
                n.payment_id is None
                for n in await db.scalars(
                    select(PaymentNotification).where(PaymentNotification.provider == "sandbox")
                )
            ):
                problems.append("a notification was recorded without its payment")
            fee_paid = Counter(
                (
                    await db.execute(
                        select(CaseEvent.filing_id).where(CaseEvent.kind == "fee_paid")
                    )
                ).scalars()
            )
            if set(fee_paid.values()) - {1} or len(fee_paid) != len(paid):
                problems.append(f"fee_paid events per case: {dict(Counter(fee_paid.values()))}")
            audited = Counter(
                str(details.get("payment"))
                for details in (
                    await db.execute(
                        select(AuditEvent.details).where(
                            AuditEvent.action == AuditAction.PAYMENT_SUCCEEDED.value
                        )
                    )
                ).scalars()
            )
            if set(audited.values()) - {1} or len(audited) != len(paid):
                per_payment_audit = dict(Counter(audited.values()))
                problems.append(f"payment.succeeded audit entries per payment: {per_payment_audit}")
            print(
                f"ledger: {len(charges)} fees, {len(payments)} payments"
                f" ({', '.join(f'{state} {count}' for state, count in sorted(states.items()))}),"
                f" {len(receipts)} receipts"
                f" (numbers {min((r.number for r in receipts), default=0)}"
                f"..{max((r.number for r in receipts), default=0)}),"
                f" {awaiting} awaiting payment, {len(events)} notification events"
                f" recorded {sum(recorded.values())} times"
            )
    finally:
        await database.dispose()
    return problems


# -- the report ---------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def report(payers: int, paying: Timings, notifying: Timings, deliveries: int) -> int:
    """Print the figures and the errors; return how many errors there were."""
    seconds = max(paying.finished - paying.started, 1e-9)
    ok = payers - sum(paying.causes.values())  # a payer stops at their first failure
    print(
        f"payments: {payers} payers in {seconds:.2f} s, {payers / seconds:.1f} payments/s"
        f" ({max(ok, 0)} without error)"
    )
    delivering = max(notifying.finished - notifying.started, 1e-9)
    print(
        f"notifications: {deliveries} deliveries in {delivering:.2f} s,"
        f" {deliveries / delivering:.1f}/s"
    )
    print(f"{'step':<16}{'count':>8}{'p50':>9}{'p95':>9}{'max':>9}{'errors':>8}")
    timings = Timings()
    timings.merge(paying)
    timings.merge(notifying)
    for step in STEPS:
        values = timings.latencies.get(step, [])
        figures = (
            "".join(
                f"{figure:>9.1f}"
                for figure in (statistics.median(values), percentile(values, 0.95), max(values))
            )
            if values
            else f"{'-':>9}" * 3
        )
        errors = sum(
            count for cause, count in timings.causes.items() if cause.startswith(f"{step}:")
        )
        print(f"{step:<16}{len(values):>8}{figures}{errors:>8}")
    for cause, count in sorted(timings.causes.items()):
        print(f"  failed: {cause} x {count}")
    return sum(timings.causes.values())


async def prepare(
    arguments: argparse.Namespace, database_url: str, environment: dict[str, str]
) -> list[Payer]:
    await create_database(arguments.admin_url, arguments.database)
    migrate(environment)
    started = clock.perf_counter()
    payers = await load(database_url, environment, arguments.payers)
    print(
        f"loaded {arguments.payers} charged cases in {clock.perf_counter() - started:.1f} s",
        flush=True,
    )
    return payers


def benchmark(arguments: argparse.Namespace) -> int:
    database_url = sqlalchemy_url(arguments.admin_url, arguments.database)
    misses: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="tribune-bench-") as workdir:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            environment = {
                **app_environment(database_url, Path(workdir)),
                "TRIBUNE_BASE_URL": base,  # the addresses the sandbox sends payers back to
                "TRIBUNE_SECRET_KEY": secrets.token_urlsafe(48),  # the server's and ours
                "TRIBUNE_PAYMENT_PROVIDER": "sandbox",
            }
            secret = load_settings(environment).payments.sandbox_secret
            payers = asyncio.run(prepare(arguments, database_url, environment))
            print(f"starting the app ({arguments.workers} workers)", flush=True)
            server = start_app(environment, port, arguments.workers)
            try:
                print(
                    f"{len(payers)} payers pay at once, from {arguments.clients} load processes",
                    flush=True,
                )
                paying = pay_all(base, payers, arguments.clients)
                queued = asyncio.run(queued_notifications(database_url))
                print(
                    f"delivering {len(queued)} notifications"
                    f" ({len({row[1] for row in queued})} events, each twice) at once",
                    flush=True,
                )
                notifying = Timings()
                _, statuses = asyncio.run(deliver_all(base, secret, queued, notifying))
            finally:
                stop(server)
            asyncio.run(mark_delivered(database_url, statuses))
        errors = report(arguments.payers, paying, notifying, len(queued))
        if errors:
            misses.append(f"{errors} errors")
        misses += asyncio.run(check_ledger(database_url, arguments.payers))
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
    parser.add_argument("--database", default="tribune_bench_payments")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--payers", type=int, default=200, help="claimants paying at once")
    parser.add_argument(
        "--workers", type=int, default=cores(), help="server processes (%(default)s)"
    )
    parser.add_argument("--clients", type=int, default=2, help="load processes (%(default)s)")
    arguments = parser.parse_args(argv)
    if min(arguments.payers, arguments.workers, arguments.clients) < 1:
        parser.error("--payers, --workers and --clients must be at least 1")
    return benchmark(arguments)


if __name__ == "__main__":
    sys.exit(main())
