"""Digests: write the signed hourly digests that are due.

The digest format (``auditsite_verify.digest``) is the verifier's, so what
auditsite writes and what ``auditsite-verify`` reads are stated once.

Every hour of an S3 location gets one digest, from the hour it was created
(or of its first recorded object, if older) on, an empty one when nothing was
exported in it (as CloudTrail does), each linked to the one before. So a
cut-off tail cannot pass for a quiet end: the verifier demands a digest for
every hour up to ``--to``. A location whose chain has a gap from before this
rule (digest format 1 skipped empty hours) goes on after its newest digest.
HTTP destinations have no objects and so no digests.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from auditsite_verify.digest import ObjectRecord, digest_build, hour_floor
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from exports import signing
from exports.destinations import destination_for
from exports.destinations.s3 import DestinationError, S3Destination
from exports.models import POSITION_ZERO, ExportDigest, ExportLocation, ExportObject

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)


def digest_write_due(
    *,
    location,
    now: datetime | None = None,
    destination=None,
    client=None,
    max_hours: int | None = None,
) -> list[ExportDigest]:
    """Write the signed digests of the complete hours not digested yet, in order.

    At most ``max_hours`` (default ``AUDITSITE_EXPORT_DIGEST_HOURS_PER_CALL``)
    per call, so a location with a long history never writes thousands in
    one go; the next call goes on. An object whose row committed after its
    hour was digested goes into the next digest, so every object is listed
    exactly once. The location row stays locked while a digest is put and
    recorded (a small PUT), so two writers never extend one chain at once; a
    digest key never changes once recorded. ``client`` is an S3 client to
    use (tests). Returns the new ``ExportDigest`` rows (none for a location
    that is not S3); raises ``DestinationError`` when the PUT fails (the
    next call retries).
    """
    if location.destination != ExportLocation.Destination.S3:
        return []
    now = now or timezone.now()
    limit = settings.AUDITSITE_EXPORT_DIGEST_HOURS_PER_CALL
    limit = limit if max_hours is None else max_hours
    written: list[ExportDigest] = []
    while len(written) < limit:
        with transaction.atomic():
            locked = ExportLocation.objects.select_for_update().get(pk=location.pk)
            last = locked.digests.order_by("-hour_start").first()
            pending = ExportObject.objects.filter(location=locked).order_by(
                "position_to"
            )
            if last is not None:
                pending = pending.filter(position_to__gt=last.last_position)
                hour = last.hour_start + HOUR
            else:
                first = pending.values_list("created_at", flat=True).first()
                start = min(locked.created_at, first) if first else locked.created_at
                hour = hour_floor(start)
            hour_end = hour + HOUR
            if hour_end > now:
                break
            batch = []
            for obj in pending.iterator():
                if obj.created_at >= hour_end:
                    break
                batch.append(obj)
            destination = destination or (
                S3Destination(locked, client=client)
                if client is not None
                else destination_for(locked)
            )
            written.append(_digest_put(locked, last, hour, batch, destination))
    return written


def _digest_put(location, last, hour, batch, destination) -> ExportDigest:
    """Sign, put and record the digest of ``hour`` listing ``batch``."""
    fingerprint = signing.current_public_key().fingerprint
    built = digest_build(
        location_id=str(location.pk),
        bucket=location.bucket,
        prefix=location.path_prefix,
        hour_start=hour,
        objects=[
            ObjectRecord(
                key=obj.key,
                sha256=obj.sha256,
                size=obj.size_bytes,
                position_from=obj.position_from,
                position_to=obj.position_to,
                first_seq=obj.first_seq,
                last_seq=obj.last_seq,
                event_count=obj.event_count,
            )
            for obj in batch
        ],
        previous_key=last.key if last else None,
        previous_signature=last.signature if last else None,
        fingerprint=fingerprint,
    )
    signature = signing.sign(built.body)
    # The signature travels in x-amz-meta-signature, as CloudTrail does; the
    # next digest repeats it, so a stripped header is caught.
    result = destination.digest_put(
        key=built.key,
        body=built.body,
        metadata={
            "signature": signature,
            "signature-algorithm": "Ed25519",
            "public-key-fingerprint": fingerprint,
        },
    )
    if not result.ok:
        raise DestinationError(result.error, retryable=result.retryable)
    if batch:
        last_position = batch[-1].position_to
    else:
        last_position = last.last_position if last else POSITION_ZERO
    return ExportDigest.objects.create(
        location=location,
        hour_start=hour,
        hour_end=hour + HOUR,
        key=built.key,
        signature=signature,
        sha256=built.sha256,
        public_key_fingerprint=fingerprint,
        previous=last,
        previous_key=last.key if last else "",
        object_count=len(batch),
        last_position=last_position,
    )


def digest_write_all_due(*, location, now: datetime | None = None) -> int:
    """Write every due digest of ``location`` now (all hours, call after call)."""
    total = 0
    while True:
        written = digest_write_due(location=location, now=now)
        total += len(written)
        if len(written) < settings.AUDITSITE_EXPORT_DIGEST_HOURS_PER_CALL:
            return total


def digests_after_run(*, location, now: datetime | None = None) -> int:
    """After a run: write the digest of an hour that has just completed, at once.

    One query when nothing is due (a CONTINUOUS location runs often). A
    failure is logged, not raised: the run itself succeeded, and the next run
    or the hourly task writes the digest.
    """
    if location.destination != ExportLocation.Destination.S3:
        return 0
    now = now or timezone.now()
    last = (
        ExportDigest.objects.filter(location=location)
        .order_by("-hour_start")
        .values_list("hour_end", flat=True)
        .first()
    )
    if last is not None and last + HOUR > now:
        return 0
    if last is None and hour_floor(location.created_at) + HOUR > now:
        return 0
    try:
        return len(digest_write_due(location=location, now=now))
    except Exception:  # the run succeeded; the next one retries the digest
        logger.exception("digest writing failed for location %s", location.pk)
        return 0
