"""Writes for exports, by topic: locations, leases, runs, queueing, replay,
digests.

The names below are the public services; import them from here.
"""

from exports.services.digests import digest_write_all_due, digest_write_due
from exports.services.leases import worker_id
from exports.services.locations import (
    EDITABLE_FIELDS,
    SCHEDULE_MINUTES,
    bucket_policy_for,
    export_location_check,
    export_location_create,
    export_location_delete,
    export_location_update,
    export_location_verify,
    export_schedule_sync,
    trust_policy_for,
    validation_message,
)
from exports.services.queueing import (
    continuous_notify,
    export_continuous_run,
    export_location_run_soon,
)
from exports.services.replay import export_location_replay
from exports.services.runs import export_location_run, object_name

__all__ = [
    "EDITABLE_FIELDS",
    "SCHEDULE_MINUTES",
    "bucket_policy_for",
    "continuous_notify",
    "digest_write_all_due",
    "digest_write_due",
    "export_continuous_run",
    "export_location_check",
    "export_location_create",
    "export_location_delete",
    "export_location_replay",
    "export_location_run",
    "export_location_run_soon",
    "export_location_update",
    "export_location_verify",
    "export_schedule_sync",
    "object_name",
    "trust_policy_for",
    "validation_message",
    "worker_id",
]
