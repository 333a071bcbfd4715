"""Values a worker keeps between requests, per tribunal, while its `cache_version` holds.

The database bumps a tribunal's `cache_version` in the same transaction as any change to its
case types, staff or staff's names (migration 0024), and every tribunal page reads the
tribunal's row anyway: a value kept here is used only under the version it was loaded at, so
a change made through any worker is seen on the very next request served by every other.
Sessions and roles are never kept here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from tribunals.models import Tribunal

T = TypeVar("T")

# Entries (a name and a tribunal each): the least recently used go first past this, so a
# worker's memory stays flat however many tribunals it serves.
MAX_ENTRIES = 512

_entries: OrderedDict[tuple[str, Hashable], tuple[int, Any]] = OrderedDict()


async def cached(tribunal: Tribunal, name: str, load: Callable[[], Awaitable[T]]) -> T:
    """Return what `load` gives for this tribunal, loading it again only when the tribunal's
    `cache_version` has changed since. What is returned is shared: never change it."""
    key = (name, tribunal.id)
    version = tribunal.cache_version
    entry = _entries.get(key)
    if entry is not None and entry[0] == version:
        _entries.move_to_end(key)
        value: T = entry[1]
        return value
    value = await load()
    # A slower request that read an older version must not replace a newer entry.
    current = _entries.get(key)
    if current is None or current[0] <= version:
        _entries[key] = (version, value)
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value
