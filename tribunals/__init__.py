"""The tenants: tribunals, their staff and roles, tenant resolution, public tribunal pages."""
