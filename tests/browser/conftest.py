"""Browser test set-up: a live Tribune server, headless Chromium, and the axe-core check.

The live server is the real app served by uvicorn in a thread with its own
event loop, on its own database (a SQLite file, or a ``browser_tests_<pid>`` schema
of the PostgreSQL test database) built by the real migrations and holding the
demo tribunals, staff and case types; its documents go to a temporary folder.
The rolled-back transactions of the other tests cannot be shared with a server
in another thread, so this data is committed.

Chromium is Debian's (/usr/bin/chromium), never a downloaded build. Without it
the browser tests are skipped, unless TRIBUNE_REQUIRE_BROWSER=1 makes that a
failure. Each test gets a new browser context; the browser is shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Frame,
    Page,
    async_playwright,
    expect,
)
from sqlalchemy.ext.asyncio import async_sessionmaker

from filings.demo import load_demo_case_types
from tests.browser.jitsi_stub import JitsiStub
from tests.conftest import (
    TEST_DATABASE_URL,
    drop_schema,
    on_postgresql,
    reset_schema,
    run_migrations,
)
from tribunals.commands import load_demo_data
from tribune import i18n
from tribune.app import create_app
from tribune.db import Database, create_engine
from tribune.settings import PROJECT_ROOT, load_settings

CHROMIUM = Path("/usr/bin/chromium")
# The live server's video hearings use the stub Jitsi with these (self-hosted) credentials.
JITSI_APP_ID = "tribune-browser-tests"
JITSI_APP_SECRET = "a-browser-test-secret-of-more-than-32-characters"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # The self-test page's camera and microphone: a fake device, allowed without asking.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
AXE_VERSION = re.search(r"axe v([0-9.]+)", AXE_SOURCE[:200]).group(1)  # type: ignore[union-attr]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
AXE_FAILING_IMPACTS = ("critical", "serious")
AXE_IMPACTS = ("critical", "serious", "moderate", "minor")
RESULTS_DIR = PROJECT_ROOT / "test-results"
BROWSER_SCHEMA = f"browser_tests_{os.getpid()}"  # one per run, dropped at the end
SERVER_START_SECONDS = 60
AXE_SECONDS = 30

LANGUAGES = ["en", "fr"]


# -- Chromium -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Return Debian's Chromium, or skip (fail with TRIBUNE_REQUIRE_BROWSER=1) without it."""
    if CHROMIUM.exists():
        return CHROMIUM
    reason = f"{CHROMIUM} is not installed (apt-get install -y chromium); browser tests need it"
    if os.environ.get("TRIBUNE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TRIBUNE_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
async def browser(chromium_path: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


# -- the live server ------------------------------------------------------------------------


class LiveServer:
    """The real app on a free loopback port, served from a thread with its own event loop.

    The engine is made inside that loop: asyncpg connections belong to the loop
    that opened them.
    """

    def __init__(
        self,
        database_url: str,
        engine_options: dict[str, Any],
        documents: Path,
        jitsi_domain: str,
    ) -> None:
        self.database_url = database_url
        self.jitsi_domain = jitsi_domain
        self.engine_options = engine_options
        self.documents = documents
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="live-server", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:
            self.error = error

    async def _serve(self) -> None:
        engine = create_engine(self.database_url, **self.engine_options)
        try:
            if engine.dialect.name == "postgresql":
                await reset_schema(engine, BROWSER_SCHEMA)
            async with engine.begin() as connection:
                await connection.run_sync(run_migrations)
            database = Database(engine, async_sessionmaker(engine, expire_on_commit=False))
            async with database.session() as db:
                await load_demo_data(db)
                await load_demo_case_types(db)
                await db.commit()
            # Emailed links point at this server, and the in-process worker runs the jobs;
            # video hearings are held on the stub Jitsi, with tokens.
            defaults = load_settings()
            settings = dataclasses.replace(
                defaults,
                base_url=self.url,
                database_url=self.database_url,
                storage_url=str(self.documents),
                inline_worker=True,
                jitsi=dataclasses.replace(
                    defaults.jitsi,
                    mode="self-hosted",
                    domain=self.jitsi_domain,
                    app_id=JITSI_APP_ID,
                    app_secret=JITSI_APP_SECRET,
                ),
            )
            config = uvicorn.Config(
                create_app(settings, database),
                host="127.0.0.1",
                port=self.port,
                log_config=None,
                lifespan="on",
                access_log=False,
                ws="none",
            )
            self.server = uvicorn.Server(config)
            await self.server.serve(sockets=[self.socket])
        finally:
            if engine.dialect.name == "postgresql":
                await drop_schema(engine, BROWSER_SCHEMA)
            await engine.dispose()

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not (self.server is not None and self.server.started):
            if not self.thread.is_alive():
                raise RuntimeError("the live server stopped while starting") from self.error
            if time.monotonic() > deadline:
                raise RuntimeError(f"the live server did not start in {SERVER_START_SECONDS} s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self.thread.join(timeout=30)
        self.socket.close()
        if self.error is not None:
            raise self.error
        if self.thread.is_alive():
            raise RuntimeError("the live server did not stop in 30 s")


@pytest.fixture(scope="session")
def jitsi_stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JitsiStub]:
    stub = JitsiStub(tmp_path_factory.mktemp("jitsi"))
    stub.start()
    yield stub
    stub.stop()


@pytest.fixture(scope="session")
def live_server(
    chromium_path: Path, tmp_path_factory: pytest.TempPathFactory, jitsi_stub: JitsiStub
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("browser")
    # Uploaded documents go to a folder of the live server's own.
    documents = folder / "documents"
    if on_postgresql():
        # A schema of its own: the other tests reset `public` while these run.
        server = LiveServer(
            TEST_DATABASE_URL,
            {"connect_args": {"server_settings": {"search_path": BROWSER_SCHEMA}}},
            documents,
            jitsi_stub.domain,
        )
    else:
        server = LiveServer(
            f"sqlite+aiosqlite:///{folder / 'tribune.sqlite3'}", {}, documents, jitsi_stub.domain
        )
    server.start()
    yield server
    server.stop()


# -- pages and the accessibility check ------------------------------------------------------


@dataclasses.dataclass
class AxeRecord:
    path: str
    language: str
    state: str
    counts: Counter[str]
    rules: list[str]


@pytest.fixture(scope="session")
def axe_records() -> Iterator[list[AxeRecord]]:
    """Collect every page's axe result, written to test-results/axe-summary.txt at the end."""
    records: list[AxeRecord] = []
    yield records
    RESULTS_DIR.mkdir(exist_ok=True)
    database = "postgresql" if on_postgresql() else "sqlite"
    seen: set[tuple[str, str, str]] = set()
    lines = [
        f"# axe-core {AXE_VERSION} ({', '.join(AXE_TAGS)}); database: {database}; "
        f"{len(records)} checks, one line per page, language and state"
    ]
    for record in records:
        key = (record.path, record.language, record.state)
        if key in seen:
            continue
        seen.add(key)
        counts = " ".join(f"{impact}={record.counts[impact]}" for impact in AXE_IMPACTS)
        state = f" [{record.state}]" if record.state else ""
        rules = f" rules: {', '.join(record.rules)}" if record.rules else ""
        lines.append(f"{record.path}{state} lang={record.language} {counts}{rules}")
    (RESULTS_DIR / "axe-summary.txt").write_text("\n".join(lines) + "\n")


class Checker:
    """Runs axe-core on a page and remembers which addresses of the page were checked."""

    def __init__(self, records: list[AxeRecord]) -> None:
        self.records = records
        self.checked: set[str] = set()
        self.scriptless: set[Page] = set()

    async def __call__(self, page: Page, state: str = "") -> None:
        await page.wait_for_load_state("load")
        # Evaluation has no timeout of its own; a page that never answers must not hang the run.
        run = self._run_in_twin(page) if page in self.scriptless else _run_axe(page)
        violations = await asyncio.wait_for(run, AXE_SECONDS)
        url = urlsplit(page.url)
        language = await page.get_attribute("html", "lang") or "?"
        self.checked.add(_address(page.url))
        self.records.append(
            AxeRecord(
                path=_masked(_address(page.url)),
                language=language,
                state=state,
                counts=Counter(v["impact"] for v in violations),
                rules=sorted(f"{v['id']}({v['impact']})" for v in violations),
            )
        )
        failing = [v for v in violations if v["impact"] in AXE_FAILING_IMPACTS]
        if failing:
            pytest.fail(
                f"axe found {len(failing)} serious or critical problem(s) on {url.path} "
                f"(lang={language}):\n" + "\n".join(_describe(v) for v in failing),
                pytrace=False,
            )

    async def _run_in_twin(self, page: Page) -> list[dict[str, Any]]:
        """axe cannot run where JavaScript is off: check the same address, with the same
        cookies (language, session), in a context that runs scripts."""
        browser = page.context.browser
        assert browser is not None
        twin_context = await browser.new_context(locale="en-CA")
        try:
            await twin_context.add_cookies(await page.context.cookies())  # type: ignore[arg-type]
            twin = await twin_context.new_page()
            await twin.goto(page.url)
            return await _run_axe(twin)
        finally:
            await twin_context.close()


async def _run_axe(page: Page) -> list[dict[str, Any]]:
    """Return axe-core's violations on the page.

    axe is evaluated through the DevTools protocol, which the page's
    Content-Security-Policy (script-src 'self') does not block, unlike the
    <script> element that add_script_tag inserts; so no context needs
    bypass_csp and every page runs under its real policy.
    """
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(AXE_SOURCE)
    # Frames are another site's pages (the video room): axe checks ours, without waiting
    # for theirs to answer.
    results = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, iframes: false})",
        AXE_TAGS,
    )
    violations: list[dict[str, Any]] = results["violations"]
    return violations


def _address(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _masked(address: str) -> str:
    """Return the address with its one-time tokens hidden, for the summary file."""
    return re.sub(r"(token=)[^&]+", r"\1…", address)


def _describe(violation: dict[str, Any]) -> str:
    targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"])
    return f"- {violation['id']} ({violation['impact']}): {violation['help']} — at {targets}"


@pytest.fixture
def check_accessibility(axe_records: list[AxeRecord]) -> Checker:
    return Checker(axe_records)


class PageProblems:
    """What went wrong inside the page: uncaught script errors and CSP refusals."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"CSP refusal: {message.text}")


async def new_context(browser: Browser, live_server: LiveServer, **options: Any) -> BrowserContext:
    # An English-speaking browser: French comes only from the language switch.
    options.setdefault("locale", "en-CA")
    options.setdefault("viewport", {"width": 1024, "height": 768})
    # The stub Jitsi's certificate is self-signed.
    options.setdefault("ignore_https_errors", True)
    return await browser.new_context(base_url=live_server.url, **options)


@pytest.fixture
async def context(browser: Browser, live_server: LiveServer) -> AsyncIterator[BrowserContext]:
    context = await new_context(browser, live_server)
    yield context
    await context.close()


@contextlib.asynccontextmanager
async def open_page(
    context: BrowserContext, check: Checker, *, scripts: bool = True
) -> AsyncIterator[Page]:
    """Open a page; at the end, fail on script errors, CSP refusals and unchecked pages."""
    page = await context.new_page()
    if not scripts:
        check.scriptless.add(page)
    problems = PageProblems()
    problems.watch(page)
    navigated: list[str] = []

    def on_navigation(frame: Frame) -> None:
        if frame == page.main_frame and frame.url.startswith("http"):
            navigated.append(_address(frame.url))

    page.on("framenavigated", on_navigation)
    yield page
    assert not problems.problems, "\n".join(problems.problems)
    unchecked = sorted(set(navigated) - check.checked)
    assert not unchecked, f"pages reached without an accessibility check: {unchecked}"


@pytest.fixture
async def page(context: BrowserContext, check_accessibility: Checker) -> AsyncIterator[Page]:
    async with open_page(context, check_accessibility) as page:
        yield page


# -- steps the journeys share ---------------------------------------------------------------


async def expect_language(page: Page, language: str) -> None:
    """The page is in the language, and the header offers the other one."""
    await expect(page.locator("html")).to_have_attribute("lang", language)
    other = i18n.other_language(language)
    await expect(
        page.locator("header").get_by_role("button", name=i18n.LANGUAGE_NAMES[other])
    ).to_be_visible()


async def switch_language(page: Page, language: str, check: Checker) -> None:
    """Press the header's language button, as a visitor would."""
    await page.locator("header").get_by_role("button", name=i18n.LANGUAGE_NAMES[language]).click()
    await expect_language(page, language)
    await check(page)
