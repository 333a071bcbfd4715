"""A video hearing in the browser, in English and in French, against a stub Jitsi.

The claimant opens the hearing page, tests their camera, microphone and sound (Chromium's
fake devices) and checks in; the adjudicator sees them waiting in the
console, starts the hearing, joins the room as its moderator (whose page turns the lobby on)
and lets the claimant in; the claimant's page, told by its poll, opens the room, and the
claimant presses "Join the hearing": the stub's ``external_api.js`` records what the page
passed (the room, the claimant's own token, the language, the frame's ``allow``). The page's
report of the join shows in the console as "In the hearing". The adjudicator ends the
hearing and records the outcome from the attendance summary, which proposes the respondent,
who never came, as the party who did not attend; the claimant's page says the hearing is
over. axe-core checks every page and state on the way.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from accounts.models import User
from filings.demo import DEMO_CASE_TYPES
from filings.models import (
    CaseParty,
    CaseType,
    CaseTypeVersion,
    Filing,
    FilingStatus,
    PartyRole,
    VersionStatus,
)
from hearings.models import Hearing, HearingMode, HearingStatus
from tests.browser.conftest import (
    JITSI_APP_ID,
    JITSI_APP_SECRET,
    Checker,
    LiveServer,
    new_context,
    open_page,
)
from tests.browser.jitsi_stub import JitsiStub
from tests.browser.test_filing_journey import live_database
from tests.browser.test_hearing_journey import sign_in_at
from tests.factories import unique
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff
from tests.helpers import translate
from tribunals.models import Role
from tribunals.services import tribunal_by_slug
from tribune.db import utcnow

pytestmark = pytest.mark.browser

ALLOW = "camera; microphone; display-capture; autoplay; fullscreen"
RESPONDENT = "Acme Widgets Ltd"


@dataclass
class Scene:
    slug: str
    adjudicator: User
    claimant: User
    claimant_key: str
    filing: Filing
    hearing: Hearing

    @property
    def page(self) -> str:
        return f"/{self.slug}/hearings/{self.hearing.id}"


async def a_scene(live_server: LiveServer, slug: str, language: str) -> Scene:
    """An adjudicator and a claimant speaking the language, and the claimant's case against
    a company with a video hearing starting in 10 minutes: its join window is open."""
    async with live_database(live_server) as db:
        tribunal = await tribunal_by_slug(db, slug)
        assert tribunal is not None
        version = (
            await db.execute(
                select(CaseTypeVersion)
                .join(CaseType, CaseType.id == CaseTypeVersion.case_type_id)
                .where(
                    CaseType.tribunal_id == tribunal.id,
                    CaseType.code == DEMO_CASE_TYPES[slug][0]["code"],
                    CaseTypeVersion.status == VersionStatus.PUBLISHED,
                )
            )
        ).scalar_one()
        adjudicator = await make_staff(
            db,
            tribunal,
            Role.ADJUDICATOR,
            name="Dana Adjudicator",
            email=f"{unique('adjudicator-')}@example.org",
            language=language,
        )
        claimant = await make_user(
            db,
            name=f"Camille {unique('Video')}",
            email=f"{unique('claimant-')}@example.org",
            language=language,
        )
        filing = await make_case(
            db,
            tribunal,
            filer=claimant,
            version=version,
            status=FilingStatus.SCHEDULED,
            name=claimant.name,
        )
        filing.assigned_adjudicator_id = adjudicator.id
        db.add(
            CaseParty(
                tribunal_id=tribunal.id,
                filing_id=filing.id,
                role=PartyRole.RESPONDENT,
                name=RESPONDENT,
                email="legal@acme.example.org",
            )
        )
        starts = utcnow().replace(microsecond=0) + timedelta(minutes=10)
        hearing = Hearing(
            tribunal_id=tribunal.id,
            filing_id=filing.id,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            mode=HearingMode.VIDEO,
            adjudicator_id=adjudicator.id,
            status=HearingStatus.SCHEDULED,
        )
        hearing.calendar_uid = f"hearing-{unique('video')}@tribune"
        db.add(hearing)
        await db.commit()
        claimant_party = await db.scalar(
            select(CaseParty.id).where(
                CaseParty.filing_id == filing.id, CaseParty.role == PartyRole.CLAIMANT
            )
        )
        return Scene(slug, adjudicator, claimant, f"party-{claimant_party}", filing, hearing)


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token, JITSI_APP_SECRET, algorithms=["HS256"], audience=JITSI_APP_ID, issuer=JITSI_APP_ID
    )
    return claims


async def rooms_opened(page: Page, count: int) -> list[dict[str, Any]]:
    """Wait until the stub's script has been asked for ``count`` rooms; return its records."""
    await page.wait_for_function(
        "count => (window.__jitsiStub || []).filter(r => r.allow).length >= count", arg=count
    )
    records: list[dict[str, Any]] = await page.evaluate("window.__jitsiStub")
    return records


async def claimant_checks_in(page: Page, scene: Scene, language: str, check: Checker) -> None:
    t = functools.partial(translate, language)
    await sign_in_at(page, scene.page, language, scene.claimant, check)
    await expect(page.get_by_role("heading", level=1)).to_have_text(t("Video hearing"))
    await expect(page.locator("#right-place")).to_contain_text(RESPONDENT)
    await check(page, "before checking in")

    # The equipment test first (Chromium's fake camera and microphone).
    await page.get_by_role("link", name=t("Test your camera, microphone and sound")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Test your camera, microphone and sound")
    )
    await check(page, "self-test")
    await page.get_by_role("button", name=t("Test my camera and microphone")).click()
    await expect(page.locator("#self-test-status")).to_have_text(
        t(
            "Your camera and microphone are on. Check that you can see yourself, and speak "
            "to see the level move."
        )
    )
    await page.get_by_role("button", name=t("Play a test sound")).click()
    await page.get_by_label(t("Yes, everything works")).check()
    await page.get_by_role("button", name=t("Save my answer")).click()
    await expect(page.locator("#self-test-result")).to_contain_text(t("Passed"))
    await check(page, "self-test recorded")
    await page.get_by_role("link", name=t("Go back to the hearing page")).first.click()
    await expect(page.locator("#self-test-last")).to_contain_text(t("Passed"))

    await page.get_by_role("button", name=t("Check in")).click()
    await expect(page.locator("#checkin-status")).to_have_text(t("Waiting to be let in"))
    await check(page, "waiting room")


async def adjudicator_opens_and_lets_in(
    page: Page, scene: Scene, language: str, check: Checker
) -> None:
    t = functools.partial(translate, language)
    await sign_in_at(page, scene.page, language, scene.adjudicator, check)
    row = page.locator(f"#console-{scene.claimant_key}")
    await expect(row).to_have_attribute("data-status", "waiting")
    await expect(row).to_contain_text(t("Waiting"))
    await expect(row).to_contain_text(t("Passed"))  # their equipment test
    await check(page, "console, someone waiting")
    await page.get_by_role("button", name=t("Start the hearing")).click()
    await expect(page.locator("#console-started")).to_be_visible()
    await check(page, "started")

    # The adjudicator joins as the room's moderator, and their page turns the lobby on.
    await page.get_by_role("button", name=t("Join the hearing")).click()
    [room] = await rooms_opened(page, 1)
    assert room["roomName"] == scene.hearing.video_room
    user = claims_of(room["jwt"])["context"]["user"]
    assert user["moderator"] is True
    assert user["lobby_bypass"] is True
    await page.wait_for_function(
        "() => window.__jitsiStub[0].commands.some(c => c[0] === 'toggleLobby' && c[1] === true)"
    )
    await check(page, "in the room, moderating")

    await page.get_by_role("button", name=f"{t('Let in')} {scene.claimant.name}").click()
    await expect(row).to_have_attribute("data-status", "admitted")
    await check(page, "participant let in")


async def claimant_joins(page: Page, scene: Scene, language: str, check: Checker) -> None:
    """The claimant's waiting room, told by its poll that they were let in, opens the room."""
    t = functools.partial(translate, language)
    join = page.get_by_role("button", name=t("Join the hearing"))
    await expect(join).to_be_visible(timeout=15_000)
    await check(page, "let in")
    await join.click()
    [room] = await rooms_opened(page, 1)
    assert room["roomName"] == scene.hearing.video_room
    assert room["lang"] == language
    assert room["allow"] == ALLOW
    assert room["userInfo"]["displayName"] == scene.claimant.name
    assert room["configOverwrite"]["disableDeepLinking"] is True
    claims = claims_of(room["jwt"])
    assert claims["room"] == scene.hearing.video_room
    assert claims["context"]["user"]["id"] == scene.claimant_key
    assert claims["context"]["user"]["moderator"] is False
    assert claims["context"]["user"]["lobby_bypass"] is False
    assert room["commands"] == []  # only the moderator's page turns the lobby on
    await expect(page.locator("#video-room-frame iframe")).to_be_visible()
    await check(page, "in the room")


async def adjudicator_ends_and_records(
    page: Page, scene: Scene, language: str, check: Checker
) -> None:
    t = functools.partial(translate, language)
    row = page.locator(f"#console-{scene.claimant_key}")
    # The claimant's page reported the join: the console (which polls) shows them in.
    await expect(row).to_have_attribute("data-status", "in_hearing", timeout=15_000)
    await expect(row).to_contain_text(t("In the hearing"))
    await page.get_by_role("button", name=t("End the hearing")).click()
    await expect(page.locator("#console-ended")).to_be_visible()
    await check(page, "ended")
    await page.get_by_role("button", name=t("Record the outcome")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(t("Outcome of the hearing"))
    attendance = page.locator("#attendance-proposal")
    await expect(attendance).to_contain_text(RESPONDENT)
    await expect(page.get_by_role("table").first).to_contain_text(scene.claimant.name)
    await expect(page.get_by_label(t("A party did not attend"), exact=True)).to_be_checked()
    await check(page, "attendance summary")
    await page.get_by_label(t("Yes, it went ahead"), exact=True).check()
    await page.get_by_role("button", name=t("Record the outcome")).click()
    await expect(page.locator("#case-status")).to_have_text(t("Heard"))
    await check(page, "heard")


@pytest.mark.parametrize(
    ("language", "slug"), [pytest.param("en", "wcat", id="en"), pytest.param("fr", "lrb", id="fr")]
)
async def test_a_video_hearing_from_check_in_to_outcome(
    browser: Browser,
    live_server: LiveServer,
    jitsi_stub: JitsiStub,
    check_accessibility: Checker,
    language: str,
    slug: str,
) -> None:
    check = check_accessibility
    scene = await a_scene(live_server, slug, language)
    claimant_context = await new_context(browser, live_server)
    adjudicator_context = await new_context(browser, live_server)
    try:
        async with (
            open_page(claimant_context, check) as claimant,
            open_page(adjudicator_context, check) as adjudicator,
        ):
            await claimant_checks_in(claimant, scene, language, check)
            await adjudicator_opens_and_lets_in(adjudicator, scene, language, check)
            await claimant_joins(claimant, scene, language, check)
            await adjudicator_ends_and_records(adjudicator, scene, language, check)
            # The claimant's page, told by its poll, closes the room and says it is over.
            await expect(claimant.locator("#hearing-over")).to_be_visible(timeout=15_000)
            await check(claimant, "over")
            assert scene.page in claimant.url
        assert "/external_api.js" in jitsi_stub.requests
    finally:
        await claimant_context.close()
        await adjudicator_context.close()
