"""What later domains add to the filing pages, without ``filings`` importing them: sections of
a case's pages and of a kind of case's start page, and the page a filer goes to after
submitting (work done in the submission itself registers with `filings.lifecycle.on_submission`).

``hearings`` and ``payments`` depend on ``filings``, never the other way round; yet the case
pages show a case's hearings and fees. So a later domain registers a provider here, once, at
import time (the composition root imports every domain), and the case pages ask every
provider for its section, in the order the providers give. A provider reads what it shows
and returns a template of its own domain with the values it needs, or None to show nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from filings.access import Actor
from filings.models import CaseParty, CaseTypeVersion, Filing


class CasePage(enum.Enum):
    """The case page a section is shown on: the registry's, or the parties'."""

    STAFF = "staff"
    PARTIES = "parties"


@dataclass(frozen=True)
class SectionContext:
    """What a provider knows of the page it adds to: the request (its tribunal, its signed-in
    person, its database session), the case, its parties, and the capacities the person
    reads the page in (staff actors on the staff page, party actors on the parties')."""

    request: Request
    filing: Filing
    parties: list[CaseParty]
    actors: frozenset[Actor]


@dataclass(frozen=True)
class CaseSection:
    """A section to render: a template (included with ``section`` set to this) and its
    values, read by the template as ``section.values``."""

    template: str
    values: dict[str, Any] = field(default_factory=dict)


SectionProvider = Callable[[SectionContext], Awaitable[CaseSection | None]]
_providers: dict[CasePage, list[tuple[int, SectionProvider]]] = {page: [] for page in CasePage}


def provides(page: CasePage, *, order: int = 100) -> Callable[[SectionProvider], SectionProvider]:
    """Register a function that returns a section of the given case page; sections with a
    lower ``order`` come first (import order would otherwise decide)."""

    def register(provider: SectionProvider) -> SectionProvider:
        if all(registered is not provider for _order, registered in _providers[page]):
            _providers[page].append((order, provider))
            _providers[page].sort(key=lambda entry: entry[0])
        return provider

    return register


async def sections_for(page: CasePage, context: SectionContext) -> list[CaseSection]:
    """Return the sections every provider adds to the page, in their order."""
    sections = []
    for _order, provider in _providers[page]:
        section = await provider(context)
        if section is not None:
            sections.append(section)
    return sections


# -- the kind of case's start page ----------------------------------------------------------------


StartSectionProvider = Callable[[Request, CaseTypeVersion], Awaitable[CaseSection | None]]
_start_providers: list[StartSectionProvider] = []


def provides_start(provider: StartSectionProvider) -> StartSectionProvider:
    """Register a function that returns a section of a kind of case's start page (the fee,
    before anyone fills anything in)."""
    if provider not in _start_providers:
        _start_providers.append(provider)
    return provider


async def start_sections_for(request: Request, version: CaseTypeVersion) -> list[CaseSection]:
    sections = []
    for provider in _start_providers:
        section = await provider(request, version)
        if section is not None:
            sections.append(section)
    return sections


# -- after a filing is submitted ------------------------------------------------------------------

# The page the filer goes to once the case is submitted, if not the confirmation: the first
# provider that gives one wins (payments: pay the fee or ask for a waiver).
NextStepProvider = Callable[[Request, Filing], Awaitable[str | None]]
_next_step_providers: list[NextStepProvider] = []


def provides_next_step(provider: NextStepProvider) -> NextStepProvider:
    if provider not in _next_step_providers:
        _next_step_providers.append(provider)
    return provider


async def next_step_after_submission(request: Request, filing: Filing) -> str | None:
    for provider in _next_step_providers:
        url = await provider(request, filing)
        if url is not None:
            return url
    return None
