"""Fixed typed rows for format tests (no database needed)."""

import uuid
from datetime import UTC, datetime, timedelta

from audit.spec import SpecRow


def spec_rows(count: int) -> list[SpecRow]:
    """``count`` deterministic user events a microsecond-precise second apart."""
    start = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    return [
        SpecRow(
            uuid=uuid.UUID(int=i),
            user_id=uuid.UUID(int=10**6 + i),
            user_email=f"user{i % 7}@acme.example",
            org_id=uuid.UUID(int=2 * 10**6),
            org_name="Acme",
            event_type="UserMetadataChanged",
            event_data={"UserMetadataChanged": {"new": {"n": i}, "old": {}}},
            created_at=start + timedelta(seconds=i),
            caused_by_type="User",
            caused_by_id=str(uuid.UUID(int=10**6 + i)),
            caused_by_metadata={"email": f"user{i % 7}@acme.example"},
            caused_by_source_ip="203.0.113.7" if i % 2 else None,
            caused_by_user_agent="Mozilla/5.0" if i % 3 else "",
            impersonator_id="",
            impersonator_metadata=None,
            category="user",
        )
        for i in range(count)
    ]
