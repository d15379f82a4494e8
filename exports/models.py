"""Export locations (SPEC section 6), their runs and the objects they wrote.

Export order is ``(txid, seq)`` of ``audit.AuditEvent`` (see
``exports/selectors.py``). A position in that order is the string
``f"{txid:020d}-{seq:020d}"``, which sorts like the pair; the location's
``cursor`` and each object's ``position_from``/``position_to`` use it. The
position format is the verifier's (``auditsite_verify.layout``), which
reads it back from object names and digests.
"""

import uuid

from auditsite_verify.layout import ZERO_POSITION, position_decode, position_encode
from django.db import models
from django.urls import reverse
from django.utils import timezone

from audit.formats import CHOICES

POSITION_ZERO = ZERO_POSITION

__all__ = ["POSITION_ZERO", "position_decode", "position_encode"]


class LiveLocations(models.Manager):
    """The locations that are not archived: every list, run and lookup."""

    def get_queryset(self):
        return super().get_queryset().filter(archived_at__isnull=True)


class ExportLocation(models.Model):
    """One destination's configuration (filters, schedule, format) and health.

    The run state (cursor, plan, replay, lease) is ``ExportState``
    (``location.state``), so that configuration edits and runs never write the
    same row.

    A deleted location is archived, never erased (``archived_at``): its
    ledger (runs, objects, digests, which point at it with PROTECT) stays and
    still verifies. ``objects`` leaves archived locations out, so every list,
    schedule, run and lookup by id behaves as if it were gone;
    ``all_objects`` (and a ledger row's ``location``) still reaches it.
    """

    class Destination(models.TextChoices):
        S3 = "s3", "Amazon S3 (or S3-compatible)"
        DATADOG = "datadog", "Datadog Logs"
        SPLUNK = "splunk", "Splunk HTTP Event Collector"
        WEBHOOK = "webhook", "Webhook (signed HTTPS POST)"

    class AuthType(models.TextChoices):
        ACCESS_KEY = "access_key", "Access key"
        ASSUMED_ROLE = "assumed_role", "Assumed IAM role"

    class Interval(models.TextChoices):
        CONTINUOUS = "CONTINUOUS", "Continuous (within seconds)"
        EVERY_5_MINUTES = "EVERY_5_MINUTES", "Every 5 minutes"
        EVERY_HOUR = "EVERY_HOUR", "Every hour"
        EVERY_2_HOURS = "EVERY_2_HOURS", "Every 2 hours"
        EVERY_4_HOURS = "EVERY_4_HOURS", "Every 4 hours"
        EVERY_6_HOURS = "EVERY_6_HOURS", "Every 6 hours"
        EVERY_12_HOURS = "EVERY_12_HOURS", "Every 12 hours"
        EVERY_24_HOURS = "EVERY_24_HOURS", "Every 24 hours"
        # Immuta's name for EVERY_24_HOURS: an exportConfig.json works unchanged.
        EVERY_DAY = "EVERY_DAY", "Every day (= every 24 hours)"

    # The formats of ``audit.formats`` (JSON, NDJSON_GZ, CSV, PARQUET, OCSF).
    FileFormat = models.TextChoices(
        "FileFormat",
        [(name.upper().replace(".", "_"), (name, label)) for name, label in CHOICES],
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    destination = models.CharField(
        max_length=20, choices=Destination.choices, default=Destination.S3
    )
    # S3 only (required there; exports.services.locations checks it).
    bucket = models.CharField(max_length=63, blank=True, default="")
    region = models.CharField(max_length=40, default="us-east-1")
    path_prefix = models.CharField(max_length=500, blank=True, default="")
    endpoint_url = models.CharField(max_length=500, blank=True, default="")
    auth_type = models.CharField(
        max_length=20, choices=AuthType.choices, default=AuthType.ACCESS_KEY
    )
    access_key_id = models.CharField(max_length=128, blank=True, default="")
    # A Fernet token (exports/crypto.py); the plain secret is never stored or shown.
    secret_access_key_encrypted = models.TextField(
        blank=True, default="", editable=False
    )
    role_arn = models.CharField(max_length=2048, blank=True, default="")
    # HTTP destinations: the Datadog API key, Splunk HEC token or webhook HMAC
    # secret, as a Fernet token (exports/crypto.py); write-only like the S3 secret.
    destination_secret_encrypted = models.TextField(
        blank=True, default="", editable=False
    )
    # HTTP destinations' own settings (Datadog service/tags, Splunk
    # index/source/sourcetype), checked per destination by the service.
    destination_options = models.JSONField(default=dict, blank=True)
    interval = models.CharField(
        max_length=20, choices=Interval.choices, default=Interval.EVERY_HOUR
    )
    # Filters; an empty list means "all".
    categories = models.JSONField(default=list, blank=True)
    event_types = models.JSONField(default=list, blank=True)
    orgs = models.JSONField(default=list, blank=True)
    file_format = models.CharField(
        max_length=10, choices=FileFormat.choices, default=FileFormat.JSON
    )
    enabled = models.BooleanField(default=True)
    # Set for an org's own log stream (SPEC section 11): the engine then
    # delivers only what that org's pages show (exports.selectors), whatever
    # the filters say. Not editable after creation. Deleting the org goes
    # through ``org_delete``, whose hook archives its streams and clears this
    # (``org_streams.org_streams_archive``): an archived location never runs.
    # DO_NOTHING, so a delete that skips the service fails on the database's
    # constraint, rather than erasing a ledger (CASCADE) or turning a live
    # stream into an operator one that selects every tenant (SET_NULL).
    org = models.ForeignKey(
        "audit.Organization",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="log_streams",
        editable=False,
    )
    connection_status = models.TextField(blank=True, default="")
    connection_checked_at = models.DateTimeField(null=True, blank=True)
    in_error = models.BooleanField(default=False)
    last_error = models.TextField(blank=True, default="")
    consecutive_failures = models.PositiveIntegerField(default=0)
    # When a run last finished without error, whether or not it found new
    # events (runs that find nothing leave no ExportRun row).
    last_checked_at = models.DateTimeField(
        "last check",
        null=True,
        blank=True,
        editable=False,
        help_text=("When a run last looked for new events and finished without error."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Set when the location is deleted (exports.services.locations).
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = LiveLocations()
    all_objects = models.Manager()  # noqa: DJ012 - the default manager comes first

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name or str(self.id)

    def get_absolute_url(self) -> str:
        return reverse("admin:exports_exportlocation_change", args=[self.pk])

    @property
    def external_id(self) -> str:
        """The ExternalId the IAM role's trust policy must require."""
        return str(self.id)


class ExportState(models.Model):
    """A location's run state: where it is, what it is writing, who holds it.

    Only the run services write it. ``planned_to`` is the range
    ``(cursor, planned_to]`` a run is writing, recorded before the PUT so that
    a run after a crash re-cuts exactly that range (same keys, same bytes),
    with ``planned_selection``. While ``replay_from`` is set, runs re-send the
    recorded objects from that position on, then go on from the cursor. A run
    holds the location while ``lease_until`` is in the future and its owner is
    alive (``lease_pid`` on ``lease_host``, ``lease_backend_pid`` on
    PostgreSQL): a killed worker's hold ends at once.
    """

    location = models.OneToOneField(
        ExportLocation,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="state",
    )
    cursor = models.CharField(max_length=41, default=POSITION_ZERO)
    planned_to = models.CharField(max_length=41, blank=True, default="")
    planned_selection = models.JSONField(default=dict, blank=True)
    replay_from = models.CharField(max_length=41, blank=True, default="")
    lease_owner = models.CharField(max_length=100, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_backend_pid = models.IntegerField(null=True, blank=True)
    # No run before this moment (a receiver's Retry-After, or backoff).
    not_before = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.location_id} at {self.cursor}"


class ExportRun(models.Model):
    """One attempt to deliver a location's new events (or a replay)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCESS = "success", "Success"
        FAILED = "failed", "Failed"
        # Only on the run a service call returns; such runs are not stored
        # (ExportLocation.last_checked_at records them).
        NOTHING_TO_DO = "nothing_to_do", "Nothing to do"

    location = models.ForeignKey(
        ExportLocation, on_delete=models.PROTECT, related_name="runs"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RUNNING
    )
    events = models.PositiveIntegerField(default=0)
    bytes = models.PositiveBigIntegerField(default=0)
    # Not "objects": that name is the default manager.
    object_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    replay = models.BooleanField(default=False)
    worker = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(
                fields=["location", "-started_at"], name="exportrun_location_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.location} {self.started_at:%Y-%m-%d %H:%M:%S} {self.status}"

    @property
    def duration(self):
        """How long the run took (None while running)."""
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class ExportObject(models.Model):
    """One range delivered (an S3 object, or an HTTP destination's requests):
    the export-order interval it covers and what was sent.

    ``position_from`` is exclusive and ``position_to`` inclusive; consecutive
    objects of a location satisfy ``next.position_from == prev.position_to``,
    which is how "no gap" is proven. ``request_count``, ``size_bytes`` and
    ``sha256`` describe the bodies sent: the object's file for S3 (one PUT);
    for an HTTP destination its request bodies as sent (gzip'd for Datadog),
    the sha256 over them one after another (0 requests: recorded before
    these were counted, when the bytes described the S3 file format).
    """

    location = models.ForeignKey(
        ExportLocation, on_delete=models.PROTECT, related_name="export_objects"
    )
    run = models.ForeignKey(
        ExportRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="export_objects",
    )
    key = models.CharField(max_length=1024)
    position_from = models.CharField(max_length=41)
    position_to = models.CharField(max_length=41)
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField()
    event_count = models.PositiveIntegerField()
    request_count = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # What the range was cut with (exports.selectors.export_selection): a
    # replay re-cuts the range with it, so it rewrites the same bytes.
    selection = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["location", "position_to"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "key"], name="exportobject_location_key_unique"
            ),
            models.UniqueConstraint(
                fields=["location", "position_from"],
                name="exportobject_location_from_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["location", "position_to"], name="exportobject_to_idx")
        ]

    def __str__(self) -> str:
        return self.key


class ExportDigest(models.Model):
    """One signed digest object: the objects a location exported in one hour.

    Digests form a chain per location (``previous``); ``last_position`` is the
    ``position_to`` of the last object listed, where the next digest starts.
    """

    location = models.ForeignKey(
        ExportLocation, on_delete=models.PROTECT, related_name="digests"
    )
    hour_start = models.DateTimeField()
    hour_end = models.DateTimeField()
    key = models.CharField(max_length=1024)
    signature = models.CharField(max_length=200, help_text="Ed25519, base64.")
    sha256 = models.CharField("SHA-256 of the digest", max_length=64)
    public_key_fingerprint = models.CharField(max_length=64)
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next"
    )
    previous_key = models.CharField(max_length=1024, blank=True, default="")
    object_count = models.PositiveIntegerField()
    last_position = models.CharField(max_length=41)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["location", "hour_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "hour_start"], name="exportdigest_location_hour"
            )
        ]

    def __str__(self) -> str:
        return self.key
