"""Accountability: service standards measured from case events and published, the annual
performance report, feedback on every page and the hearing satisfaction survey, and text
message reminders.

It reads every domain (case events, hearings, payments) and nothing imports it: the
composition root takes the two route lists below, registers its jobs and hooks by importing
it, and nothing else of the layout.

Sub-packages, one per concern, each with the same file names: ``standards`` (the standards
a tribunal declares, versioned; their measurement in SQL from the case events; the quarterly
figures published as snapshots; the staff figures and the annual report), ``publication``
(the public "Our service standards" page of each tribunal and its CSV and JSON downloads, from
the published figures only),
``feedback`` (the "Was this page helpful?" and "Report a problem" forms on every page, the
staff's list and answers, and the survey each party gets after a hearing) and ``texts`` (a
person's mobile number, its confirmation and consent, reminders by text message, the
provider's inbound messages and delivery receipts).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from accountability.feedback import routes as feedback_routes
from accountability.publication import routes as publication_routes
from accountability.report import routes as report_routes
from accountability.standards import routes as standards_routes
from accountability.texts import routes as texts_routes

# Named apart from the sub-packages, which these names would otherwise hide.
_packages = (feedback_routes, publication_routes, report_routes, standards_routes, texts_routes)

# Routes outside any tribunal: the feedback forms, the account's text messages, the SMS
# provider's callbacks.
routes: list[BaseRoute] = [route for package in _packages for route in package.routes]

# Routes under ``/{tribunal}``, in the order they are matched.
tenant_routes: list[BaseRoute] = [route for package in _packages for route in package.tenant_routes]

__all__ = ["routes", "tenant_routes"]
