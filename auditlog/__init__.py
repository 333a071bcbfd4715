"""The audit log: staff search and export it; parties may see which roles opened their case.

It reads every domain and nothing reads it.
"""

from __future__ import annotations

from auditlog.routes import tenant_routes

__all__ = ["tenant_routes"]
