"""Tables of `accountability.standards`."""

from __future__ import annotations
