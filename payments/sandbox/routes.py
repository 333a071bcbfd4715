"""The sandbox provider's hosted payment page: what a payer sees of the built-in provider.

It stands for a provider's own site, so it is a platform page outside every tribunal, shown
in the checkout's language (until the payer uses the language switch), taking test cards
only. Paying, confirming or cancelling changes the sandbox's own books; the payer is then
sent back to the platform, which asks the provider what happened.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from payments.models import SandboxCheckout, SandboxCheckoutStatus
from payments.sandbox import services as sandbox
from payments.sandbox.forms import card_form
from payments.sandbox.services import TestCard
from tribune import i18n
from tribune.db import utcnow
from tribune.forms import Form
from tribune.i18n import lazy_gettext
from tribune.web import db_of, page, redirect, render, settings_of, url_path

# The test cards, as the page lists them.
TEST_CARDS = (
    (TestCard.SUCCEEDS, lazy_gettext("Paid at once")),
    (TestCard.DECLINED, lazy_gettext("Declined")),
    (TestCard.INSUFFICIENT_FUNDS, lazy_gettext("Declined: not enough money in the account")),
    (TestCard.CONFIRMATION, lazy_gettext("Asks you to confirm the payment, then paid or refused")),
    (TestCard.LATE, lazy_gettext("Accepted, then confirmed by the bank a little later")),
)


def card_number(card: TestCard) -> str:
    """A test card's number as printed: 4242 4242 4242 4242."""
    digits = card.value
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


async def _checkout(request: Request) -> SandboxCheckout:
    """Return the checkout of the address, shown in its language unless the payer chose one
    with the language switch; 404 if there is none."""
    found = await sandbox.checkout_of(db_of(request), request.path_params["checkout"])
    if found is None:
        raise HTTPException(status_code=404)
    cookie = i18n.language_cookie_name(settings_of(request).cookie_prefix)
    if cookie not in request.cookies:
        i18n.set_language(found.language)
    return found


def _context(checkout: SandboxCheckout, **more: Any) -> dict[str, Any]:
    return {
        "checkout": checkout,
        "cards": [(card_number(card), label) for card, label in TEST_CARDS],
        **more,
    }


def _not_payable(request: Request, checkout: SandboxCheckout) -> Response:
    return render(request, "payments/sandbox/closed.html", _context(checkout), status_code=409)


async def checkout_page(request: Request) -> Response:
    """The hosted payment page: the amount, the test cards, and the card form."""
    db = db_of(request)
    checkout = await _checkout(request)
    now = utcnow()
    if not sandbox.is_payable(checkout, now):
        if checkout.status is SandboxCheckoutStatus.CONFIRMING:
            return redirect(url_path(request, "payments:sandbox:confirm", checkout=checkout.id))
        return _not_payable(request, checkout)
    if request.method == "GET":
        return render(request, "payments/sandbox/checkout.html", _context(checkout, form=Form()))
    form, card = card_form(await request.form(), now)
    if card is None:
        return render(
            request,
            "payments/sandbox/checkout.html",
            _context(checkout, form=form),
            status_code=422,
        )
    late = timedelta(seconds=settings_of(request).payments.sandbox_late_seconds)
    await sandbox.pay(db, checkout, card, now, late)
    if checkout.status is SandboxCheckoutStatus.CONFIRMING:
        return redirect(url_path(request, "payments:sandbox:confirm", checkout=checkout.id))
    return redirect(checkout.success_url)


async def confirm_page(request: Request) -> Response:
    """The confirmation step some cards ask for: approve or refuse the payment."""
    checkout = await _checkout(request)
    if checkout.status is not SandboxCheckoutStatus.CONFIRMING:
        return _not_payable(request, checkout)
    if request.method == "GET":
        return render(request, "payments/sandbox/confirm.html", _context(checkout))
    decision = str((await request.form()).get("decision", ""))
    if decision not in ("approve", "refuse"):
        return render(
            request,
            "payments/sandbox/confirm.html",
            _context(checkout, error=True),
            status_code=422,
        )
    await sandbox.confirm(db_of(request), checkout, decision == "approve", utcnow())
    return redirect(checkout.success_url)


async def cancel(request: Request) -> Response:
    """The payer gives up: back to the platform, which asks what happened."""
    checkout = await _checkout(request)
    if checkout.status not in (SandboxCheckoutStatus.OPEN, SandboxCheckoutStatus.CONFIRMING):
        return _not_payable(request, checkout)
    await sandbox.cancel(db_of(request), checkout, utcnow())
    return redirect(checkout.cancel_url)


routes: list[BaseRoute] = [
    page(
        "/sandbox/checkout/{checkout}",
        checkout_page,
        methods=["GET", "POST"],
        name="payments:sandbox:checkout",
    ),
    page(
        "/sandbox/checkout/{checkout}/confirm",
        confirm_page,
        methods=["GET", "POST"],
        name="payments:sandbox:confirm",
    ),
    page(
        "/sandbox/checkout/{checkout}/cancel",
        cancel,
        methods=["POST"],
        name="payments:sandbox:cancel",
    ),
]

tenant_routes: list[BaseRoute] = []
