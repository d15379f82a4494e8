"""django-q2 tasks of the exports app: load ids, call one service."""

import logging

from exports.models import ExportLocation
from exports.services import digest_write_due

logger = logging.getLogger(__name__)


def digest_write_for_location(location_id: str) -> int:
    """Write the due digests of one location; returns how many were written."""
    location = ExportLocation.objects.get(pk=location_id)
    return len(digest_write_due(location=location))


def digests_write_all() -> int:
    """Hourly (schedule `exports-digests-hourly`): due digests of every S3 location.

    Each location gets at most ``AUDITSITE_EXPORT_DIGEST_HOURS_PER_CALL``
    digests per call (a long history catches up over several hours); runs
    write the digest of an hour they complete themselves.

    One location's S3 failure does not stop the others; it is retried next hour.
    """
    written = 0
    s3 = ExportLocation.objects.filter(destination=ExportLocation.Destination.S3)
    for location_id in s3.values_list("id", flat=True):
        try:
            written += digest_write_for_location(str(location_id))
        except Exception:
            logger.exception("digest writing failed for location %s", location_id)
    return written
