"""The SPEC section 3 event fields, written out from the SPEC itself.

Tests compare the code's output against this list rather than against the
code's own field list, so a field dropped or renamed in the code is caught.
"""

SPEC_EVENT_FIELDS = (
    "id",
    "user_id",
    "user_email",
    "org_id",
    "org_name",
    "event_type",
    "event_data",
    "created_at",
    "caused_by_type",
    "caused_by_id",
    "caused_by_metadata",
    "caused_by_source_ip",
    "caused_by_user_agent",
    "impersonator_id",
    "impersonator_metadata",
)
