"""Several server processes over one database (issue 15): what one worker changes, the
next request to another shows; a role removed or a session signed out is refused by every
worker at once; and a worker's memory does not grow with the docket requests it serves.

Real servers (`python -m tribune serve`, development settings, no job worker) listen on
free ports over one database: a migrated SQLite file, or on PostgreSQL a database of this
module's own, dropped at the end (the other tests reset the test database's schemas while
these run). The data is seeded through the ORM and the factories and committed. A person
is an httpx client whose cookies go with each request to whichever worker serves it, as
behind a load balancer.

Each invalidation test makes its own tribunal, loads worker B's docket (so anything B keeps
between requests is loaded, and the old state is seen there), changes something through
worker A, then asserts on B's very next answer. The platform has no page that renames a
tribunal or takes a role away: those changes are made in the database, as an operator makes
them today, and B must show them just the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import delete, make_url, text, update
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from accounts.models import User
from filings.models import CaseTypeVersion, Filing, FilingStatus
from tests.conftest import TEST_DATABASE_URL, on_postgresql
from tests.factories.accounts import PASSWORD, make_user
from tests.factories.filings import make_case, make_case_type
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import hidden_fields, last_message, link_in
from tribunals.models import Membership, Role, Tribunal
from tribune.db import Database
from tribune.settings import PROJECT_ROOT

# Generous: two other engineers' work shares this machine's two cores.
START_SECONDS = 180
STOP_SECONDS = 30
REQUEST_SECONDS = 120
# The memory test: requests served before the baseline is read (warm-up), requests in all,
# requests in flight at once, and how far the resident memory may rise over the baseline.
WARM_UP_REQUESTS = 100
MEMORY_REQUESTS = 10_000
CONCURRENT_REQUESTS = 8
MEMORY_GROWTH_ALLOWED = 0.10


# -- the servers ----------------------------------------------------------------------------


def free_port() -> int:
    """Return a loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """One `python -m tribune serve` process (one uvicorn worker, so no supervisor parent)."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: IO[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, characters: int = 3000) -> str:
        """Return the end of what the server logged (nothing once it is stopped)."""
        if self.log.closed:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-characters:]

    def resident_kib(self) -> int:
        """Return the process's resident memory (VmRSS), in KiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"^VmRSS:\s+(\d+) kB$", status, re.MULTILINE)
        assert match, status
        return int(match[1])

    def is_the_serving_process(self) -> bool:
        """Whether this process holds the port's listening socket and has no child process
        (a reloader or a supervisor would hand the requests to a child)."""
        pid = self.process.pid
        children = "".join(
            (task / "children").read_text() for task in Path(f"/proc/{pid}/task").iterdir()
        )
        listening = {
            fields[9]
            for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
            if (fields := line.split())[3] == "0A" and int(fields[1].split(":")[1], 16) == self.port
        }
        held = {os.readlink(descriptor) for descriptor in Path(f"/proc/{pid}/fd").iterdir()}
        return not children.strip() and any(f"socket:[{inode}]" in held for inode in listening)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), killing the process if it takes too long."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def server_environment(database_url: str, data_dir: Path) -> dict[str, str]:
    """Return a development server's environment, none of the test run's TRIBUNE_ settings
    but its secret key (so that each worker accepts the CSRF tokens of the others)."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("TRIBUNE_")
    }
    environment.update(
        {
            "TRIBUNE_ENV": "development",
            "TRIBUNE_DATA_DIR": str(data_dir),
            "TRIBUNE_STORAGE_URL": str(data_dir / "documents"),
            "TRIBUNE_DATABASE_URL": database_url,
            "TRIBUNE_SECRET_KEY": os.environ["TRIBUNE_SECRET_KEY"],
            "TRIBUNE_INLINE_WORKER": "false",
            "TRIBUNE_LOG_LEVEL": "WARNING",
        }
    )
    return environment


def _answers(server: Server) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
    return False


def start_server(name: str, environment: dict[str, str]) -> Server:
    """Start a server on a free port and wait until it answers; a port taken between
    choosing it and binding it is tried again with another."""
    for _attempt in range(3):
        port = free_port()
        # A file, not a pipe: a pipe nobody reads fills up and stalls the server.
        log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by Server.stop
        process = subprocess.Popen(
            [sys.executable, "-m", "tribune", "serve", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        server = Server(name, process, port, log)
        deadline = time.monotonic() + START_SECONDS
        try:
            while process.poll() is None and time.monotonic() < deadline:
                if _answers(server):
                    return server
                time.sleep(0.2)
        except BaseException:
            server.stop()
            raise
        exited, log_text = process.poll() is not None, server.log_tail()
        server.stop()
        if not (exited and "address already in use" in log_text.lower()):
            raise RuntimeError(
                f"worker {name} did not answer within {START_SECONDS} s "
                f"(exit status {process.returncode}):\n{log_text}"
            )
    raise RuntimeError(f"worker {name} found no free port")


@contextlib.asynccontextmanager
async def running(names: Sequence[str], environment: dict[str, str]) -> AsyncIterator[list[Server]]:
    """Run one server per name for the block, started side by side; every one started is
    stopped, whatever happens."""
    started = await asyncio.gather(
        *(asyncio.to_thread(start_server, name, environment) for name in names),
        return_exceptions=True,
    )
    servers = [server for server in started if isinstance(server, Server)]
    try:
        for failure in started:
            if isinstance(failure, BaseException):
                raise failure
        yield servers
    finally:
        for server in servers:
            await asyncio.to_thread(server.stop)


# -- the shared database --------------------------------------------------------------------


def migrate(environment: dict[str, str]) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "tribune", "migrate"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr.decode(errors="replace")[-4000:]


@pytest.fixture(scope="module")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """Return the URL of a migrated database the servers and the test share, dropped after."""
    folder = tmp_path_factory.mktemp("workers")
    if not on_postgresql():
        url = f"sqlite+aiosqlite:///{folder / 'tribune.sqlite3'}"
        await asyncio.to_thread(migrate, server_environment(url, folder))
        yield url
        return
    # A database of its own: the servers are other processes, and the test database's
    # schemas are reset by other tests meanwhile.
    test_url = make_url(TEST_DATABASE_URL)
    name = f"{test_url.database}_workers_{os.getpid()}"
    administration = create_async_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    try:
        async with administration.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = test_url.set(database=name).render_as_string(hide_password=False)
            await asyncio.to_thread(migrate, server_environment(url, folder))
            yield url
        finally:
            async with administration.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await administration.dispose()


@pytest.fixture(scope="module")
async def shared_database(database_url: str) -> AsyncIterator[Database]:
    """The test's own connections to the shared database, for seeding and changing rows."""
    database = Database.from_url(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def db(shared_database: Database) -> AsyncIterator[AsyncSession]:
    """A session on the shared database; every factory commits, so the servers see it."""
    async with shared_database.session() as session:
        yield session


@pytest.fixture(scope="module")
async def workers(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Server, Server]]:
    """Two workers, A and B, over the shared database."""
    environment = server_environment(database_url, tmp_path_factory.mktemp("workers-data"))
    async with running(["A", "B"], environment) as (a, b):
        yield a, b


# -- people and pages -----------------------------------------------------------------------


class Browser:
    """One person's browser: its cookies go with each request to whichever worker serves it."""

    def __init__(self, cookies: httpx.Cookies | None = None) -> None:
        self.client = httpx.AsyncClient(timeout=REQUEST_SECONDS, cookies=cookies)

    async def get(self, server: Server, path: str) -> httpx.Response:
        return await self.client.get(server.url + path)

    async def post(self, server: Server, path: str, data: dict[str, str]) -> httpx.Response:
        return await self.client.post(server.url + path, data=data)

    async def submit(
        self, server: Server, path: str, data: dict[str, str], *, page: str = "/privacy"
    ) -> httpx.Response:
        """Post a form as a browser does, with the CSRF token a page of the worker carries."""
        form = await self.get(server, page)
        assert form.status_code == 200, f"{page}: {form.status_code}"
        return await self.post(
            server, path, {**data, "csrf_token": hidden_fields(form.text)["csrf_token"]}
        )

    async def sign_in(self, server: Server, email: str) -> None:
        response = await self.submit(server, "/sign-in", {"email": email, "password": PASSWORD})
        assert response.status_code == 303, response.text

    def cookies(self) -> httpx.Cookies:
        return httpx.Cookies(self.client.cookies)


@pytest.fixture
async def browsers() -> AsyncIterator[Callable[..., Browser]]:
    """Return a maker of browsers, each closed at the end of the test."""
    made: list[Browser] = []

    def browser(cookies: httpx.Cookies | None = None) -> Browser:
        made.append(Browser(cookies))
        return made[-1]

    yield browser
    for each in made:
        await each.client.aclose()


class _FormControls(HTMLParser):
    """A page's form controls: the options of each <select>, the checked radio of each set."""

    def __init__(self) -> None:
        super().__init__()
        self.options: dict[str, list[tuple[str, str]]] = {}
        self.checked: dict[str, str] = {}
        self._select: str | None = None
        self._option: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "select":
            self._select = values.get("name") or ""
            self.options.setdefault(self._select, [])
        elif tag == "option" and self._select is not None:
            self._option, self._text = values.get("value") or "", []
        elif tag == "input" and values.get("type") == "radio" and "checked" in values:
            self.checked[values.get("name") or ""] = values.get("value") or ""

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("option", "select") and self._option is not None and self._select is not None:
            self.options[self._select].append((self._option, " ".join("".join(self._text).split())))
            self._option = None
        if tag == "select":
            self._select = None


def form_controls(page: httpx.Response) -> _FormControls:
    parser = _FormControls()
    parser.feed(page.text)
    return parser


def choices(page: httpx.Response, select: str) -> list[str]:
    """Return the texts of a select's options on a page (the docket's filter choices)."""
    return [text for _value, text in form_controls(page).options.get(select, [])]


def docket(tribunal: Tribunal) -> str:
    return f"/{tribunal.slug}/staff/docket"


async def docket_choices(
    browser: Browser, server: Server, tribunal: Tribunal, select: str
) -> list[str]:
    """Return a docket filter's choices as a worker shows them now."""
    page = await browser.get(server, docket(tribunal))
    assert page.status_code == 200, f"{server.name}: {page.status_code}\n{server.log_tail()}"
    found = choices(page, select)
    assert found, f"no {select} filter on worker {server.name}'s docket"
    return found


# -- a change made through A is seen on B's next request ------------------------------------


async def test_a_tribunal_setting_changed_through_one_worker_shows_on_the_next_page_of_another(
    workers: tuple[Server, Server], db: AsyncSession, browsers: Callable[..., Browser]
) -> None:
    a, b = workers
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    browser = browsers()
    await browser.sign_in(a, admin.email)
    settings = f"/{tribunal.slug}/staff/settings/documents"
    await docket_choices(browser, b, tribunal, "case_type")
    before = await browser.get(b, settings)
    assert form_controls(before).checked.get("active_pdfs") == "flag"

    saved = await browser.submit(a, settings, {"active_pdfs": "refuse"})
    assert saved.status_code == 303, saved.text

    after = await browser.get(b, settings)
    assert after.status_code == 200
    assert form_controls(after).checked.get("active_pdfs") == "refuse"


async def test_a_tribunal_renamed_in_the_database_shows_on_the_next_docket_of_every_worker(
    workers: tuple[Server, Server], db: AsyncSession, browsers: Callable[..., Browser]
) -> None:
    a, b = workers
    tribunal = await make_tribunal(db, name_en="Assessment Review Board")
    clerk = await make_staff(db, tribunal, Role.CLERK)
    browser = browsers()
    await browser.sign_in(a, clerk.email)
    for server in (a, b):
        assert "Assessment Review Board" in (await browser.get(server, docket(tribunal))).text

    # No page renames a tribunal: an operator does it in the database.
    await db.execute(
        update(Tribunal)
        .where(Tribunal.id == tribunal.id)
        .values(name_en="Land and Assessment Tribunal")
    )
    await db.commit()

    for server in (b, a):
        page = (await browser.get(server, docket(tribunal))).text
        assert "Land and Assessment Tribunal" in page, server.name
        assert "Assessment Review Board" not in page, server.name


async def test_a_case_type_published_through_one_worker_is_a_docket_choice_on_another(
    workers: tuple[Server, Server], db: AsyncSession, browsers: Callable[..., Browser]
) -> None:
    a, b = workers
    tribunal = await make_tribunal(db)
    await make_case_type(db, tribunal, title_en="Benefits appeal")
    admin = await make_staff(db, tribunal, Role.ADMIN)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    administrator, registry = browsers(), browsers()
    await administrator.sign_in(a, admin.email)
    await registry.sign_in(b, clerk.email)
    offered = await docket_choices(registry, b, tribunal, "case_type")
    assert "Benefits appeal" in offered
    assert "Return to work appeal" not in offered

    # The administrator writes a new case type through A, with one question...
    created = await administrator.submit(
        a,
        f"/{tribunal.slug}/staff/case-types/new",
        {
            "code": "return-to-work",
            "title_en": "Return to work appeal",
            "title_fr": "Appel de retour au travail",
        },
    )
    assert created.status_code == 303, created.text
    editor = created.headers["location"]
    question = {
        "key": "decision_date",
        "type": "date",
        "label_en": "Date of the decision",
        "label_fr": "Date de la décision",
        "required": "yes",
    }
    added = await administrator.submit(a, f"{editor}/add-question", question)
    assert added.status_code == 303, added.text
    # ...B's docket is loaded again meanwhile (showing a draft's title or not is B's
    # choice)...
    await docket_choices(registry, b, tribunal, "case_type")

    # ...and once it is published through A, B's next docket offers it.
    published = await administrator.submit(a, f"{editor}/publish", {})
    assert published.status_code == 303, published.text
    offered = await docket_choices(registry, b, tribunal, "case_type")
    assert "Return to work appeal" in offered
    assert "Benefits appeal" in offered


async def test_a_case_type_renamed_through_one_worker_is_renamed_in_the_docket_of_another(
    workers: tuple[Server, Server], db: AsyncSession, browsers: Callable[..., Browser]
) -> None:
    a, b = workers
    tribunal = await make_tribunal(db)
    version = await make_case_type(db, tribunal, title_en="Benefits appeal")
    admin = await make_staff(db, tribunal, Role.ADMIN)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    administrator, registry = browsers(), browsers()
    await administrator.sign_in(a, admin.email)
    await registry.sign_in(b, clerk.email)
    assert "Benefits appeal" in await docket_choices(registry, b, tribunal, "case_type")

    versions = f"/{tribunal.slug}/staff/case-types/versions"
    drafted = await administrator.submit(a, f"{versions}/{version.id}/new-draft", {})
    assert drafted.status_code == 303, drafted.text
    editor = drafted.headers["location"]
    renamed = await administrator.submit(
        a,
        f"{editor}/details",
        {
            "title_en": "Appeal of a benefits decision",
            "title_fr": "Appel d'une décision de prestations",
        },
    )
    assert renamed.status_code == 303, renamed.text
    # B loads its docket again while the new title is only a draft's.
    await docket_choices(registry, b, tribunal, "case_type")

    published = await administrator.submit(a, f"{editor}/publish", {})
    assert published.status_code == 303, published.text
    offered = await docket_choices(registry, b, tribunal, "case_type")
    assert "Appeal of a benefits decision" in offered
    assert "Benefits appeal" not in offered


async def test_an_adjudicator_who_joins_through_one_worker_is_a_docket_choice_on_another(
    workers: tuple[Server, Server], db: AsyncSession, browsers: Callable[..., Browser]
) -> None:
    a, b = workers
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    await make_staff(db, tribunal, Role.ADJUDICATOR, name="Aline Abara")
    newcomer = await make_user(db, name="Noor Newcombe")
    administrator, registry, invitee = browsers(), browsers(), browsers()
    await administrator.sign_in(a, admin.email)
    await registry.sign_in(a, clerk.email)
    await invitee.sign_in(a, newcomer.email)
    assert "Noor Newcombe" not in await docket_choices(registry, b, tribunal, "adjudicator")
    assert (await invitee.get(b, docket(tribunal))).status_code == 404

    invited = await administrator.submit(
        a, f"/{tribunal.slug}/staff/people", {"email": newcomer.email, "role": "adjudicator"}
    )
    assert invited.status_code == 303, invited.text
    link = link_in(await last_message(db, newcomer.email))
    await db.commit()  # ends the read: SQLite would keep the servers from writing
    offer = await invitee.get(a, link)
    assert offer.status_code == 200
    accepted = await invitee.post(
        a, f"/{tribunal.slug}/invitations/accept", hidden_fields(offer.text)
    )
    assert accepted.status_code == 303, accepted.text

    offered = await docket_choices(registry, b, tribunal, "adjudicator")
    assert "Noor Newcombe" in offered
    assert "Aline Abara" in offered
    # The role is the newcomer's on B's next request too.
    assert (await invitee.get(b, docket(tribunal))).status_code == 200


async def test_an_adjudicator_removed_in_the_database_is_no_docket_choice_on_any_worker(
    workers: tuple[Server, Server], db: AsyncSession, browsers: Callable[..., Browser]
) -> None:
    a, b = workers
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    leaving = await make_staff(db, tribunal, Role.ADJUDICATOR, name="Lou Leaving")
    await make_staff(db, tribunal, Role.ADJUDICATOR, name="Sam Staying")
    registry = browsers()
    await registry.sign_in(a, clerk.email)
    for server in (a, b):
        assert "Lou Leaving" in await docket_choices(registry, server, tribunal, "adjudicator")

    # No page takes a role away: an operator does it in the database.
    await remove_role(db, tribunal, leaving, Role.ADJUDICATOR)

    for server in (b, a):
        offered = await docket_choices(registry, server, tribunal, "adjudicator")
        assert "Lou Leaving" not in offered, server.name
        assert "Sam Staying" in offered, server.name


async def test_an_adjudicator_renamed_through_one_worker_is_renamed_in_the_docket_of_another(
    workers: tuple[Server, Server], db: AsyncSession, browsers: Callable[..., Browser]
) -> None:
    a, b = workers
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR, name="Pat Before")
    registry, member = browsers(), browsers()
    await registry.sign_in(a, clerk.email)
    await member.sign_in(a, adjudicator.email)
    assert "Pat Before" in await docket_choices(registry, b, tribunal, "adjudicator")

    changed = await member.submit(a, "/account/name", {"name": "Pat After"})
    assert changed.status_code == 303, changed.text

    offered = await docket_choices(registry, b, tribunal, "adjudicator")
    assert "Pat After" in offered
    assert "Pat Before" not in offered


# -- roles and sessions take effect on every worker's next request --------------------------


async def remove_role(db: AsyncSession, tribunal: Tribunal, user: User, role: Role) -> None:
    await db.execute(
        delete(Membership).where(
            Membership.tribunal_id == tribunal.id,
            Membership.user_id == user.id,
            Membership.role == role,
        )
    )
    await db.commit()


async def test_a_role_removed_is_refused_on_the_next_request_to_another_worker(
    workers: tuple[Server, Server], db: AsyncSession, browsers: Callable[..., Browser]
) -> None:
    a, b = workers
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    registry = browsers()
    await registry.sign_in(a, clerk.email)
    for server in (a, b):
        assert (await registry.get(server, docket(tribunal))).status_code == 200

    await remove_role(db, tribunal, clerk, Role.CLERK)

    assert (await registry.get(b, docket(tribunal))).status_code == 404
    assert (await registry.get(a, docket(tribunal))).status_code == 404


async def test_a_session_signed_out_through_one_worker_is_refused_by_another(
    workers: tuple[Server, Server], db: AsyncSession, browsers: Callable[..., Browser]
) -> None:
    a, b = workers
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    registry = browsers()
    await registry.sign_in(a, clerk.email)
    assert (await registry.get(b, docket(tribunal))).status_code == 200
    # The cookie as it was: a second tab, or a copy someone kept.
    kept = registry.cookies()

    signed_out = await registry.submit(a, "/sign-out", {})
    assert signed_out.status_code == 303

    answer = await browsers(kept).get(b, docket(tribunal))
    assert answer.status_code == 303
    assert urlsplit(answer.headers["location"]).path == "/sign-in"


# -- memory ---------------------------------------------------------------------------------

SURNAMES = (
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Chen",
    "Singh",
    "Nguyen",
    "Diallo",
    "Okafor",
    "MacDonald",
    "Wilson",
    "Martin",
    "Brown",
)
GIVEN_NAMES = ("Marie", "David", "Amina", "Jean", "Priya", "Liam", "Sofia", "Omar", "Claire")
STATUSES = (
    FilingStatus.SUBMITTED,
    FilingStatus.RETURNED,
    FilingStatus.ACCEPTED,
    FilingStatus.SCHEDULED,
    FilingStatus.DECIDED,
    FilingStatus.WITHDRAWN,
)


@dataclass(frozen=True)
class DocketData:
    tribunal: Tribunal
    clerks: tuple[User, User]  # one reads in English, one in French
    case_types: tuple[str, ...]  # the filter's values
    adjudicators: tuple[str, ...]


async def seed_docket(db: AsyncSession, cases: int = 150) -> DocketData:
    """Add a tribunal with two clerks (English, French), three case types, four adjudicators
    and cases in six statuses, half of them assigned, received over the past year, of
    claimants with varied names, in both languages; return what the queries need."""
    rng = random.Random(15)
    tribunal = await make_tribunal(db, short_name_en="MEM")
    clerks = (
        await make_staff(db, tribunal, Role.CLERK, language="en"),
        await make_staff(db, tribunal, Role.CLERK, language="fr"),
    )
    versions: list[CaseTypeVersion] = [
        await make_case_type(db, tribunal, title_en=title, title_fr=f"{title} (fr)")
        for title in ("Benefits appeal", "Return to work appeal", "Assessment appeal")
    ]
    adjudicators = [
        await make_staff(db, tribunal, Role.ADJUDICATOR, name=f"Adjudicator {name}")
        for name in ("Ahmed", "Bergeron", "Campbell", "Dubois")
    ]
    start = time.time() - 365 * 24 * 3600
    for number in range(cases):
        case = await make_case(
            db,
            tribunal,
            version=versions[number % len(versions)],
            status=STATUSES[number % len(STATUSES)],
            name=f"{rng.choice(GIVEN_NAMES)} {rng.choice(SURNAMES)}",
            language="fr" if number % 3 == 0 else "en",
            submitted_at=datetime.fromtimestamp(start + rng.uniform(0, 365 * 24 * 3600), UTC),
        )
        if number % 2:
            await db.execute(
                update(Filing)
                .where(Filing.id == case.id)
                .values(assigned_adjudicator_id=adjudicators[number % len(adjudicators)].id)
            )
    await db.commit()
    return DocketData(
        tribunal,
        clerks,
        tuple(version.case_type_id.hex for version in versions),
        tuple(adjudicator.id.hex for adjudicator in adjudicators),
    )


# The pagination's "Next page" link, its attributes in either order.
NEXT_LINKS = (
    re.compile(r'<a\b[^>]*\bhref="([^"]+)"[^>]*\brel="next"'),
    re.compile(r'<a\b[^>]*\brel="next"[^>]*\bhref="([^"]+)"'),
)


def next_link(page: str) -> str | None:
    for pattern in NEXT_LINKS:
        if match := pattern.search(page):
            return html.unescape(match[1])
    return None


# Which filters a new query sets: each makes the docket run statements of another form, and
# the warm-up sends every one of them. Their values change with every query.
FILTER_SETS: tuple[tuple[str, ...], ...] = (
    (),
    ("q",),
    ("q", "status"),
    ("status",),
    ("status", "case_type"),
    ("case_type", "sort"),
    ("adjudicator",),
    ("language", "sort"),
    ("received_from", "received_to"),
    ("overdue",),
    ("awaiting_payment", "status"),
    ("adjudicator", "language", "received_from"),
)


def docket_query(rng: random.Random, number: int, data: DocketData) -> list[tuple[str, str]]:
    """Return the query string of the `number`th new docket query: the next set of filters,
    with values drawn afresh (a search for a word no query used before, or for a claimant's
    name; statuses, a case type, an adjudicator, a language, dates) and a page size."""
    query: list[tuple[str, str]] = []
    for name in FILTER_SETS[number % len(FILTER_SETS)]:
        if name == "q":
            word = rng.choice(SURNAMES)
            query.append(("q", word if rng.random() < 0.5 else f"{word.lower()}{number}"))
        elif name == "status":
            chosen = rng.sample(STATUSES, rng.randrange(1, len(STATUSES)))
            query += [("status", status.value) for status in chosen]
        elif name == "case_type":
            query.append(("case_type", rng.choice(data.case_types)))
        elif name == "adjudicator":
            query.append(("adjudicator", rng.choice(data.adjudicators)))
        elif name == "language":
            query.append(("language", rng.choice(("en", "fr"))))
        elif name == "sort":
            query.append(("sort", "due"))
        elif name in ("received_from", "received_to"):
            days = rng.randrange(0, 180) if name == "received_to" else rng.randrange(180, 370)
            day = date.today() - timedelta(days=days)
            query.append((name, day.isoformat()))
        else:  # overdue, awaiting_payment
            query.append((name, "yes"))
    query.append(("per_page", str(rng.randrange(10, 31))))
    return query


class DocketLoad:
    """Docket requests from several clients at once, each walking pages by their "Next page"
    link or starting a new query; every answer must be a 200."""

    def __init__(self, server: Server, data: DocketData, clients: Sequence[httpx.AsyncClient]):
        self.server = server
        self.data = data
        self.clients = clients
        self.rng = random.Random(10_000)
        self.sent = 0
        self.queries = 0  # new queries, each with the next set of filters
        self.followed = 0  # requests for a next page, by its cursor
        self.failures: list[str] = []

    def new_query(self) -> str:
        params = docket_query(self.rng, self.queries, self.data)
        self.queries += 1
        return str(httpx.URL(self.server.url + docket(self.data.tribunal), params=params))

    async def run_until(self, total: int) -> None:
        """Send requests until `total` were sent in all, and wait for their answers."""

        async def user(client: httpx.AsyncClient) -> None:
            following: str | None = None
            while self.sent < total:
                self.sent += 1
                if following is not None and self.rng.random() < 0.8:
                    url, self.followed = following, self.followed + 1
                else:
                    url = self.new_query()
                response = await client.get(url)
                following = None
                if response.status_code != 200:
                    self.failures.append(f"{url}: {response.status_code}")
                elif link := next_link(response.text):
                    following = self.server.url + link

        await asyncio.gather(
            *(user(self.clients[n % len(self.clients)]) for n in range(CONCURRENT_REQUESTS))
        )


async def test_a_worker_s_memory_stays_level_over_ten_thousand_docket_requests(
    database_url: str,
    db: AsyncSession,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data = await seed_docket(db)
    environment = server_environment(database_url, tmp_path_factory.mktemp("memory-data"))
    async with running(["memory"], environment) as (server,):
        assert server.is_the_serving_process()
        clients = []
        try:
            for clerk in data.clerks:
                browser = Browser()
                clients.append(browser.client)
                await browser.sign_in(server, clerk.email)
                page = await browser.get(server, docket(data.tribunal))
                assert f'<html lang="{clerk.language}"' in page.text
            load = DocketLoad(server, data, clients)
            began = time.monotonic()
            await load.run_until(WARM_UP_REQUESTS)
            assert load.queries >= len(FILTER_SETS)  # every set of filters is warm
            warmed = server.resident_kib()
            await load.run_until(MEMORY_REQUESTS)
            after = server.resident_kib()
            seconds = time.monotonic() - began
        finally:
            for client in clients:
                await client.aclose()
        assert server.is_the_serving_process()
        report = (
            f"resident memory after {WARM_UP_REQUESTS} docket requests {warmed / 1024:.1f} MiB, "
            f"after {load.sent}: {after / 1024:.1f} MiB ({(after - warmed) / warmed:+.1%}); "
            f"{load.followed} of them next pages; {seconds:.0f} s, {CONCURRENT_REQUESTS} at once"
        )
        print(report)
        assert not load.failures, load.failures[:5]
        assert load.sent == MEMORY_REQUESTS
        assert load.followed > MEMORY_REQUESTS // 4  # pages by cursor, not first pages only
        assert after <= warmed * (1 + MEMORY_GROWTH_ALLOWED), report
