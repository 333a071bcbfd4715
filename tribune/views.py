"""Page views: what a service builds for a page, and the route renders."""

from __future__ import annotations

import dataclasses
from typing import Any


class PageView:
    """A dataclass of everything a page shows, built by a service; ``context()`` hands its
    fields to the template by name."""

    def context(self) -> dict[str, Any]:
        """Return the view's fields as the page template reads them."""
        assert dataclasses.is_dataclass(self)
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
