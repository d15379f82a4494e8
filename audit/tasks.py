"""django-q2 tasks of the audit app: load ids, call one service."""


def customer_export_build(export_id: str) -> str:
    """Build one background customer export (enqueued by the org page)."""
    from audit.services.customer_exports import customer_export_build as build

    return build(export_id=export_id).status


def customer_exports_purge() -> int:
    """Delete expired customer exports (schedule `audit-customer-exports-purge`)."""
    from audit.services.customer_exports import customer_exports_purge as purge

    return purge()
