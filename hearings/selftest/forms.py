"""The self-test's answer form (passed, failed with a reason, or skipped), the names of its
results and reasons, and why a recording was refused, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hearings.models import HearingSelfTest, SelfTestReason, SelfTestResult
from tribune.forms import Form
from tribune.i18n import gettext as _


def result_names() -> dict[str, str]:
    """Return what each answer of the form says."""
    return {
        SelfTestResult.PASSED.value: _("Yes, everything works"),
        SelfTestResult.FAILED.value: _("No, something did not work"),
        SelfTestResult.SKIPPED.value: _("I will not do the test now"),
    }


def reason_names() -> dict[str, str]:
    """Return the names of why a test failed."""
    return {
        SelfTestReason.CAMERA_DENIED.value: _("The browser was not allowed to use my camera"),
        SelfTestReason.MICROPHONE_DENIED.value: _(
            "The browser was not allowed to use my microphone"
        ),
        SelfTestReason.NO_CAMERA.value: _("I do not have a camera, or it was not found"),
        SelfTestReason.NO_MICROPHONE.value: _("I do not have a microphone, or it was not found"),
        SelfTestReason.NO_SOUND.value: _("I could not hear the test sound"),
        SelfTestReason.BROWSER_UNSUPPORTED.value: _("My browser cannot do the test"),
        SelfTestReason.OTHER.value: _("Something else"),
    }


def outcome_of(test: HearingSelfTest | None) -> str:
    """Return what a participant's last self-test says, as the pages and the console show it:
    "Passed", "Failed: <reason>", "Skipped" or "Not done"."""
    if test is None:
        return _("Not done")
    if test.result is SelfTestResult.PASSED:
        return _("Passed")
    if test.result is SelfTestResult.SKIPPED:
        return _("Skipped")
    if test.reason is None:
        return _("Failed")
    return _("Failed: %(reason)s", reason=reason_names()[test.reason.value])


def self_test_form(data: Mapping[str, Any] | None = None) -> Form:
    """Return the answer form, checked when ``data`` is given: ``result`` is one of the
    results; a failed test needs one of the reasons, and a reason sent with another answer
    must still be one of them (the select always sends one). Cleaned values are the enums."""
    form = Form(data)
    if data is None:
        return form
    result = form.choice(
        "result",
        [member.value for member in SelfTestResult],
        required=_("Select whether everything worked"),
    )
    reason = form.value("reason").strip()
    if reason and reason not in reason_names():
        form.add_error("reason", _("Select what did not work from the list"))
    elif result == SelfTestResult.FAILED.value and not reason:
        form.add_error("reason", _("Select what did not work"))
    if form.is_valid:
        form.cleaned["result"] = SelfTestResult(result)
        form.cleaned["reason"] = (
            SelfTestReason(reason) if result == SelfTestResult.FAILED.value else None
        )
    return form


def refusal_message(reason: str) -> str:
    """Return why a self-test could not be recorded (``services.SelfTestRefused.reason``)."""
    if reason == "not_held":
        return _(
            "This hearing is not going ahead at this time, so there is no equipment test to record."
        )
    return _("This hearing is over, so the equipment test can no longer be recorded.")
