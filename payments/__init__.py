"""Fee schedules, payments through a hosted payment page, receipts, refunds, fee waivers and
the daily reconciliation.

Sub-packages, one per concern, each with the same file names: ``fees`` (the fee schedule,
the fee each case owes and its balance, shown on the case pages and the start page),
``checkout`` (paying on the provider's hosted page: attempts, the return, notifications,
the payment state machine and the job that settles attempts nobody came back from),
``sandbox`` (the built-in provider's hosted page with test cards, and its notifications),
``receipts``, ``waivers`` (asking for a fee waiver, the tribunal's rules and the
registry's decision), ``refunds`` and ``reconciliation`` (the daily comparison of the
platform's payments and refunds with the provider's). Beside them: ``models``, ``money``
(amounts in the reader's language) and ``providers`` (the interface, the sandbox and
Stripe). The composition root takes the two route lists below and nothing else of the layout.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from payments.checkout import routes as checkout
from payments.fees import routes as fees
from payments.receipts import routes as receipts
from payments.reconciliation import routes as reconciliation
from payments.refunds import routes as refunds
from payments.sandbox import routes as sandbox
from payments.waivers import routes as waivers

_packages = (checkout, fees, receipts, reconciliation, refunds, sandbox, waivers)

# Routes outside any tribunal: the sandbox's hosted page and the providers' notifications.
routes: list[BaseRoute] = [route for package in _packages for route in package.routes]

# Routes under ``/{tribunal}``, in the order they are matched.
tenant_routes: list[BaseRoute] = [route for package in _packages for route in package.tenant_routes]

__all__ = ["routes", "tenant_routes"]
