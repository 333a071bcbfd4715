"""A party tests their camera, microphone and sound before their video hearing.

Covered: from the hearing page (before its join window) the claimant opens the self-test
page, which asks them to sign in first; the script replaces the note for browsers without
JavaScript with the test's buttons; "Test my camera and microphone" shows the camera's
picture and a microphone level that moves (Chromium's fake camera and microphone, allowed
without asking); "Play a test sound" plays a tone; the claimant answers that everything
works, and the page and the hearing page show "Passed". axe-core checks every page on the way.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.browser.conftest import Checker, LiveServer, new_context, open_page
from tests.browser.test_filing_journey import live_database, sign_in_here
from tests.hearings.test_hearing_page import make_scene
from tribune.db import utcnow

pytestmark = pytest.mark.browser


async def poll(element: Locator, read: str, seconds: float = 10) -> float:
    """Return what ``read`` gives of the element once it is above zero (or at the end)."""
    value = 0.0
    for _ in range(int(seconds * 10)):
        value = float(await element.evaluate(read))
        if value > 0:
            break
        await asyncio.sleep(0.1)
    return value


async def test_a_party_tests_their_equipment_and_records_that_it_works(
    page: Page, check_accessibility: Checker, live_server: LiveServer
) -> None:
    check = check_accessibility
    async with live_database(live_server) as db:
        scene = await make_scene(db)
        hearing = await scene.hearing(db, utcnow().replace(microsecond=0) + timedelta(days=2))
    hearing_page = scene.page(hearing)

    await page.goto(hearing_page)
    await sign_in_here(page, "en", scene.claimant, check)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Video hearing")
    await check(page)
    await page.get_by_role("link", name="Test your camera, microphone and sound").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Test your camera, microphone and sound"
    )
    await expect(page.locator("#self-test-no-js")).to_be_hidden()
    await check(page, "before the test")

    await page.get_by_role("button", name="Test my camera and microphone").click()
    await expect(page.locator("#self-test-status")).to_contain_text(
        "Your camera and microphone are on."
    )
    video = page.locator("#self-test-video")
    await expect(video).to_be_visible()
    assert await poll(video, "video => video.videoWidth") > 0
    # The fake microphone beeps: the level moves.
    assert await poll(page.locator("#self-test-level"), "meter => meter.value") > 0
    await page.get_by_role("button", name="Play a test sound").click()
    await expect(page.locator("#self-test-status")).to_contain_text("A test sound is playing")
    await check(page, "camera and microphone on")

    await page.get_by_label("Yes, everything works").check()
    await page.get_by_role("button", name="Save my answer").click()
    await expect(page.locator("#self-test-result")).to_contain_text("Your result: Passed")
    await check(page, "recorded")

    await page.get_by_role("link", name="Go back to the hearing page").first.click()
    await expect(page.locator("#self-test-last")).to_contain_text(
        "Your last equipment test: Passed"
    )
    await check(page, "after the test")


async def test_without_javascript_the_page_explains_and_records_a_skipped_test(
    browser: Browser, check_accessibility: Checker, live_server: LiveServer
) -> None:
    check = check_accessibility
    async with live_database(live_server) as db:
        scene = await make_scene(db)
        hearing = await scene.hearing(db, utcnow().replace(microsecond=0) + timedelta(days=2))
    # A browser whose scripts are off: the page must not depend on one having run yet.
    context = await new_context(browser, live_server, java_script_enabled=False)
    try:
        async with open_page(context, check, scripts=False) as page:
            await page.goto(scene.page(hearing) + "/self-test")
            await sign_in_here(page, "en", scene.claimant, check)
            await expect(page.locator("#self-test-no-js")).to_contain_text(
                "This test needs JavaScript"
            )
            await expect(
                page.get_by_role("button", name="Test my camera and microphone")
            ).to_be_hidden()
            await check(page, "without JavaScript")
            await page.get_by_label("I will not do the test now").check()
            await page.get_by_role("button", name="Save my answer").click()
            await expect(page.locator("#self-test-result")).to_contain_text("Your result: Skipped")
            await check(page, "recorded without JavaScript")
    finally:
        await context.close()
