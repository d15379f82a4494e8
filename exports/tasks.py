"""django-q2 tasks of the exports app: load ids, call one service.

The dotted paths of these functions are stored in django-q2 schedules
(migrations ``0004`` and ``0051``, ``exports.services.locations``) and in
queued tasks: renaming one needs a data migration.
"""

import logging

from audit.services import Actor
from exports import retention, services
from exports.models import ExportLocation
from exports.services import digest_write_due

logger = logging.getLogger(__name__)


def export_location_run_task(location_id: str) -> str:
    """Scheduled run of one export location."""
    run = services.export_location_run(location_id=location_id)
    return run.status if run else "busy"


def export_continuous_task(covers_until: float | None = None) -> int:
    """Queued by ``services.continuous_notify``: run the CONTINUOUS locations."""
    return services.export_continuous_run(covers_until=covers_until)


def export_location_verify_task(location_id: str) -> str:
    """Verify one export location (writes a test object)."""
    location = ExportLocation.objects.get(pk=location_id)
    return services.export_location_verify(actor=Actor.system(), location=location)


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


def events_purge() -> dict:
    """Daily retention purge (schedule `audit-retention-purge-daily`)."""
    report = retention.events_purge()
    for line in report.lines():
        logger.info("retention purge: %s", line)
    return report.as_dict()
