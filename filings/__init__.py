"""Cases from draft to decision.

Sub-packages, one per concern, each with the same file names: ``casetypes`` (what a
tribunal lets people file, and its editor), ``journey`` (the claimant's steps, drafts,
submission, the case page), ``documents``, ``parties`` (respondents, representatives,
access codes, responses), ``casework`` (the staff case page), ``docket`` and ``paper``.
Beside them, shared by all: ``models`` (the case tables), ``cases`` (finding a case),
``access`` (who may act on a case), ``lifecycle`` (how a case moves), ``deadlines``.

The composition root takes the two route lists below and nothing else of the layout.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from filings.casetypes import routes as casetypes
from filings.casework import routes as casework
from filings.docket import routes as docket
from filings.documents import routes as documents
from filings.journey import routes as journey
from filings.paper import routes as paper
from filings.parties import routes as parties

# Routes outside any tribunal (``/my-cases`` lists a person's cases in every tribunal).
routes: list[BaseRoute] = [*journey.routes]

# Routes under ``/{tribunal}``, in the order they are matched.
tenant_routes: list[BaseRoute] = [
    *journey.tenant_routes,
    *documents.tenant_routes,
    *casetypes.tenant_routes,
    *docket.tenant_routes,
    *casework.tenant_routes,
    *parties.tenant_routes,
    *paper.tenant_routes,
]
