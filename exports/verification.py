"""Check a location's bucket against its signed digests (``auditsite_verify``).

The checking itself lives in the standalone ``auditsite-verify`` package
(``verifier/``), so that customers run the very same code without auditsite.
This module feeds it the location's S3 client, auditsite's published public
keys and the digest keys the database recorded (which catches a deleted
newest digest, something the bucket alone cannot show).
"""

from __future__ import annotations

from datetime import datetime

import auditsite_verify

from exports import signing
from exports.destinations.s3 import client_for


def export_location_verify_integrity(
    *,
    location,
    start: datetime | None = None,
    end: datetime | None = None,
    until: datetime | None = None,
    client=None,
) -> auditsite_verify.Report:
    """Verify ``location``'s digests and objects; reads need s3:GetObject/List.

    ``until`` demands a digest for every hour that ends by then (see
    ``auditsite_verify.verify``). An archived location writes no more
    digests: its chain ends with its last recorded digest, and no hour after
    that is demanded (every recorded digest still is).
    """
    keys = auditsite_verify.load_public_keys(
        [key.raw_base64 for key in signing.published_keys()]
    )
    recorded = location.digests.all()
    if location.archived_at is not None and until is not None:
        last = recorded.order_by("-hour_start").values_list("hour_end", flat=True)
        until = min(until, last.first() or location.archived_at)
    if start is not None:
        recorded = recorded.filter(hour_start__gte=start)
    if end is not None:
        recorded = recorded.filter(hour_start__lt=end)
    return auditsite_verify.verify(
        client or client_for(location),
        bucket=location.bucket,
        prefix=location.path_prefix,
        public_keys=keys,
        location_id=str(location.pk),
        start=start,
        end=end,
        until=until,
        expected_digest_keys=list(recorded.values_list("key", flat=True)),
    )
