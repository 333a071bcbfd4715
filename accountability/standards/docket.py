"""The docket's "at risk" filter: open cases that missed one of the tribunal's service
standards, or will within the next few days (their clocks running)."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.standards.measurement import at_risk_filter
from filings.docket.flags import DocketFlag, provides_flag
from tribunals.models import Tribunal
from tribune.i18n import lazy_gettext

# A case this close to a standard's limit is listed before it misses it.
AT_RISK_WITHIN_DAYS = 5


async def _at_risk(db: AsyncSession, tribunal: Tribunal) -> ColumnElement[bool]:
    return await at_risk_filter(db, tribunal, within_days=AT_RISK_WITHIN_DAYS)


AT_RISK = provides_flag(
    DocketFlag(
        key="at_risk",
        label=lazy_gettext("Only cases at risk of missing a service standard"),
        error=lazy_gettext("Select whether to show only cases at risk"),
        condition=_at_risk,
    )
)
