"""Tables of `accountability.texts`."""

from __future__ import annotations
