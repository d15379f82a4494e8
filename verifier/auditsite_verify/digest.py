"""The digest format: pure functions over plain records, no database, no S3.

Every complete hour of a location gets one digest object that lists the
objects exported in it (key, SHA-256, size, export range, event count), or
none, names the previous digest and its signature, and is signed with
auditsite's Ed25519 key (the signature travels in ``x-amz-meta-signature``).
Version 2 digests form an unbroken hourly chain (an empty hour gets an empty
digest), so a missing hour is detectable; version 1 skipped empty hours, and
a chain begun under it keeps its old gaps. auditsite builds digests with
:func:`digest_build`; :mod:`auditsite_verify.check` reads them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from auditsite_verify.layout import canonical_json, digest_key

DIGEST_VERSION = 2


@dataclass(frozen=True)
class ObjectRecord:
    """What a digest says about one exported object."""

    key: str
    sha256: str
    size: int
    position_from: str
    position_to: str
    first_seq: int | None
    last_seq: int | None
    event_count: int

    def as_dict(self) -> dict[str, Any]:
        """The object's entry in a digest's ``objects`` list."""
        return {
            "key": self.key,
            "sha256": self.sha256,
            "size": self.size,
            "position_from": self.position_from,
            "position_to": self.position_to,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "event_count": self.event_count,
        }


@dataclass(frozen=True)
class BuiltDigest:
    """A digest ready to sign and put: its key, canonical bytes and SHA-256."""

    key: str
    body: bytes
    sha256: str


def hour_floor(moment: datetime) -> datetime:
    """The start of the UTC hour holding ``moment``."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def iso(moment: datetime) -> str:
    """``moment`` as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC), as digests write times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def digest_build(
    *,
    location_id: str,
    bucket: str,
    prefix: str,
    hour_start: datetime,
    objects: Iterable[ObjectRecord],
    previous_key: str | None,
    previous_signature: str | None,
    fingerprint: str,
) -> BuiltDigest:
    """The digest for one hour: its key and canonical bytes (to be signed)."""
    hour_start = hour_floor(hour_start)
    data = {
        "version": DIGEST_VERSION,
        "location_id": location_id,
        "bucket": bucket,
        "prefix": prefix,
        "digest_start": iso(hour_start),
        "digest_end": iso(hour_start + timedelta(hours=1)),
        "previous_digest_key": previous_key,
        "previous_digest_signature": previous_signature,
        "public_key_fingerprint": fingerprint,
        "objects": [record.as_dict() for record in objects],
    }
    body = canonical_json(data)
    return BuiltDigest(
        key=digest_key(prefix=prefix, location_id=location_id, hour_start=hour_start),
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
    )
