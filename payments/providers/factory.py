"""Building the configured provider: once by the composition root (and by a job worker from
its settings), then per database session, since the sandbox works in the caller's session."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from payments.providers import PaymentProvider
from payments.providers.sandbox import SandboxProvider
from tribune.settings import Settings
from tribune.web import db_of

ProviderFactory = Callable[[AsyncSession], PaymentProvider]
# Returns the absolute URL of a route by its name and parameters (`tribune.mail.Outbox.url`).
UrlBuilder = Callable[..., str]

SANDBOX_PAGE = "payments:sandbox:checkout"


def provider_factory(settings: Settings, url: UrlBuilder) -> ProviderFactory:
    """Return what gives the configured provider for a database session."""
    configured = settings.payments
    if configured.provider == "stripe":
        from payments.providers.stripe import StripeProvider

        stripe = StripeProvider(configured)
        return lambda _db: stripe

    def sandbox(db: AsyncSession) -> PaymentProvider:
        page = url(SANDBOX_PAGE, checkout="CHECKOUT").replace("CHECKOUT", "{checkout}")
        return SandboxProvider(db, secret=configured.sandbox_secret, page_url=page)

    return sandbox


def provider_of(request: Request) -> PaymentProvider:
    """Return the configured provider for the request's database session."""
    factory: ProviderFactory = request.app.state.payment_providers
    return factory(db_of(request))
