"""Filters of the docket that later domains add, without ``filings`` importing them.

``accountability`` knows which cases are at risk of missing a service standard; the
docket only knows how to show a checkbox and narrow its cases. So a later domain registers
a flag here at import time (the composition root imports every domain), as case page
sections register in `filings.sections`: its query-string key, its checkbox label, and an
async function that returns a condition on `Filing` for a tribunal (it may read what it
needs first, in its own statements). A flag asked for in the query is resolved into its
condition once per request, before the docket's statements are built.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from tribunals.models import Tribunal

FlagCondition = Callable[[AsyncSession, Tribunal], Awaitable[ColumnElement[bool]]]


@dataclass(frozen=True)
class DocketFlag:
    """A yes/no filter of the docket: ``key=yes`` in the query string."""

    key: str
    label: Any  # a lazy translated checkbox label
    error: Any  # a lazy translated message for a value other than "yes"
    condition: FlagCondition


_flags: dict[str, DocketFlag] = {}


def provides_flag(flag: DocketFlag) -> DocketFlag:
    """Register a flag of the docket (once; registering it again changes nothing)."""
    _flags.setdefault(flag.key, flag)
    return flag


def registered_flags() -> list[DocketFlag]:
    """Return the flags later domains registered, in the order they did."""
    return list(_flags.values())


async def conditions_of(
    db: AsyncSession, tribunal: Tribunal, keys: tuple[str, ...]
) -> tuple[ColumnElement[bool], ...]:
    """Return the conditions of the flags asked for."""
    return tuple([await _flags[key].condition(db, tribunal) for key in keys if key in _flags])
