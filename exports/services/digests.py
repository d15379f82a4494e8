"""Digests: write the signed hourly digests that are due (format: exports.digests)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from exports import signing
from exports.destinations import destination_for
from exports.destinations.s3 import DestinationError, S3Destination
from exports.digests import ObjectRecord, digest_build, hour_floor
from exports.models import ExportDigest, ExportLocation, ExportObject


def digest_write_due(
    *, location, now: datetime | None = None, destination=None, client=None
) -> list:
    """Write a signed digest for every complete hour with undigested objects.

    Digests are written in order, each linked to the one before it. An object
    whose row committed after its hour was digested goes into the next
    digest, so every object is listed exactly once. The location row stays
    locked while a digest is put and recorded (a small PUT), so two writers
    never extend one chain at once; a digest key never changes once recorded.
    ``client`` is an S3 client to use (tests). Returns the new
    ``ExportDigest`` rows; raises ``DestinationError`` when
    the PUT fails (the next call retries).
    """
    now = now or timezone.now()
    written = []
    while True:
        with transaction.atomic():
            locked = ExportLocation.objects.select_for_update().get(pk=location.pk)
            last = locked.digests.order_by("-hour_start").first()
            pending = ExportObject.objects.filter(location=locked).order_by(
                "position_to"
            )
            if last is not None:
                pending = pending.filter(position_to__gt=last.last_position)
            first = pending.first()
            if first is None:
                break
            hour = hour_floor(first.created_at)
            if last is not None and hour <= last.hour_start:
                hour = last.hour_start + timedelta(hours=1)
            hour_end = hour + timedelta(hours=1)
            if hour_end > now:
                break
            batch = []
            for obj in pending.iterator():
                if obj.created_at >= hour_end:
                    break
                batch.append(obj)
            fingerprint = signing.current_public_key().fingerprint
            built = digest_build(
                location_id=str(locked.pk),
                bucket=locked.bucket,
                prefix=locked.path_prefix,
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
            # The signature travels in x-amz-meta-signature, as CloudTrail
            # does; the next digest repeats it, so a stripped header is caught.
            if destination is None:
                destination = (
                    S3Destination(locked, client=client)
                    if client is not None
                    else destination_for(locked)
                )
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
            written.append(
                ExportDigest.objects.create(
                    location=locked,
                    hour_start=hour,
                    hour_end=hour_end,
                    key=built.key,
                    signature=signature,
                    sha256=built.sha256,
                    public_key_fingerprint=fingerprint,
                    previous=last,
                    previous_key=last.key if last else "",
                    object_count=len(batch),
                    last_position=batch[-1].position_to,
                )
            )
    return written
