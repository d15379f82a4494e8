"""Events: the catalog, the immutable audit events, their daily rollup, the
customer-facing settings and the org page's background exports."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from audit.catalog import OPERATOR, ORG, USER
from audit.expressions import CurrentTxid
from audit.models.accounts import Organization, User
from audit.spec import event_actor_label, event_describe


class Category(models.TextChoices):
    USER = USER, "User"
    ORG = ORG, "Org"
    OPERATOR = OPERATOR, "Operator"


class EventType(models.Model):
    """One entry of the catalog: built-in (SPEC section 4) or custom."""

    event_type = models.CharField(
        max_length=100,
        unique=True,
        help_text="CamelCase name as sent by the API, e.g. UserCreated.",
    )
    name = models.CharField(
        max_length=150, help_text="Readable name, e.g. User Created."
    )
    category = models.CharField(max_length=10, choices=Category.choices)
    template = models.CharField(
        "description template",
        max_length=500,
        help_text="Placeholders: {user} {org} {actor} {impersonator} and detail keys.",
    )
    builtin = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return self.name


class CausedByType(models.TextChoices):
    USER = "User", "User"
    EMPLOYEE = "Employee", "Employee"
    API_KEY = "ApiKey", "API key"
    IMPERSONATION = "Impersonation", "Impersonation"
    SCIM = "Scim", "SCIM"
    SYSTEM = "System", "System"


class AuditEvent(models.Model):
    """One immutable audit event (SPEC section 3).

    ``seq`` is the primary key: a monotonically increasing number that export
    cursors rely on. ``id`` in the SPEC format is the ``uuid`` field. The
    user and org are stored by value, not as foreign keys, so that events
    outlive the rows they describe and reads never join.
    """

    seq = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField(null=True, blank=True)
    user_email = models.CharField(max_length=254, blank=True, default="")
    org_id = models.UUIDField(null=True, blank=True)
    org_name = models.CharField(max_length=200, blank=True, default="")
    event_type = models.CharField(max_length=100)
    category = models.CharField(max_length=10, choices=Category.choices)
    event_data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    caused_by_type = models.CharField(max_length=20, choices=CausedByType.choices)
    caused_by_id = models.CharField(max_length=100, blank=True, default="")
    caused_by_metadata = models.JSONField(null=True, blank=True)
    caused_by_source_ip = models.GenericIPAddressField(null=True, blank=True)
    caused_by_user_agent = models.TextField(blank=True, default="")
    impersonator_id = models.CharField(max_length=100, null=True, blank=True)
    impersonator_metadata = models.JSONField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    # The inserting transaction: export order is (txid, seq), see exports/.
    txid = models.BigIntegerField(editable=False, db_default=CurrentTxid())

    class Meta:
        ordering = ["-created_at", "-seq"]
        # Every filter has an index that ends in the newest-first order, so a
        # filtered page is an index range scan with a LIMIT, never a sort.
        indexes = [
            models.Index(fields=["-created_at", "-seq"], name="event_created_idx"),
            models.Index(
                fields=["org_id", "-created_at", "-seq"], name="event_org_idx"
            ),
            models.Index(
                fields=["user_id", "-created_at", "-seq"], name="event_user_idx"
            ),
            models.Index(
                fields=["event_type", "-created_at", "-seq"], name="event_type_idx"
            ),
            models.Index(
                fields=["category", "-created_at", "-seq"], name="event_category_idx"
            ),
            models.Index(
                fields=["caused_by_type", "-created_at", "-seq"],
                name="event_caused_by_idx",
            ),
            # The API's caused_by_id filter (an API key prefix, a user id):
            # without it a rare or unknown id scans the whole table.
            models.Index(
                fields=["caused_by_id", "-created_at", "-seq"],
                name="event_caused_by_id_idx",
            ),
            models.Index(fields=["txid", "seq"], name="event_export_order_idx"),
            # One index serves both the email filter (=, newest first) and the
            # admin's prefix search (LIKE 'ant@%'): the pattern operator class
            # has equality too (PostgreSQL; other databases ignore opclasses).
            models.Index(
                fields=["user_email", "-created_at", "-seq"],
                name="event_email_idx",
                opclasses=["varchar_pattern_ops", "", ""],
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=[USER, ORG, OPERATOR]),
                name="event_category_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.uuid}"

    @property
    def details(self) -> dict:
        value = (self.event_data or {}).get(self.event_type)
        return value if isinstance(value, dict) else {}

    @property
    def actor_label(self) -> str:
        return event_actor_label(self)

    def description(self, template: str | None) -> str:
        """The human sentence for this event, from its type's ``template``.

        The catalog is read by the caller (``audit.selectors.event_description``
        for one event, ``event_describe_many`` for a page).
        """
        return event_describe(self, template)


class EventDayCount(models.Model):
    """How many events an org has per UTC day and kind: the chart's rollup.

    One row per (org, UTC day, event type, category, caused-by type, whether
    an impersonator is recorded). Database triggers (migration
    ``0007_event_day_count``) keep it exact in the same transaction as every
    INSERT into and DELETE from the event table, whatever the path (services,
    API COPY, seed, retention purge); no Python code writes it. Events with
    no org are not counted: no customer page shows them.
    """

    org_id = models.UUIDField()
    day = models.DateField(help_text="UTC day of created_at.")
    event_type = models.CharField(max_length=100)
    category = models.CharField(max_length=10, choices=Category.choices)
    caused_by_type = models.CharField(max_length=20, choices=CausedByType.choices)
    impersonated = models.BooleanField(help_text="The event has an impersonator.")
    count = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "org_id",
                    "day",
                    "event_type",
                    "category",
                    "caused_by_type",
                    "impersonated",
                ],
                name="event_day_count_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.day} {self.event_type}: {self.count}"


class AuditSettings(models.Model):
    """Global settings for the customer-facing audit log: a single row."""

    all_orgs_can_view_audit_log = models.BooleanField(
        "all organizations can view audit log",
        default=True,
        help_text="If off, each org is enabled one by one (its own switch).",
    )
    includes_impersonation = models.BooleanField(
        "audit log includes impersonation", default=True
    )
    includes_api_keys = models.BooleanField("audit log includes API keys", default=True)
    includes_employees = models.BooleanField(
        "audit log includes employees", default=True
    )

    class Meta:
        verbose_name = "audit log settings"
        verbose_name_plural = "audit log settings"

    def __str__(self) -> str:
        return "Audit log settings"

    def hidden_caused_by(self) -> list[str]:
        """The kinds of cause whose events customers must not see (pages, exports)."""
        shown = {
            CausedByType.IMPERSONATION: self.includes_impersonation,
            CausedByType.API_KEY: self.includes_api_keys,
            CausedByType.EMPLOYEE: self.includes_employees,
        }
        return [kind.value for kind, included in shown.items() if not included]


class CustomerExport(models.Model):
    """One org-page export built in the background (issue 13): the job and its file.

    Above ``AUDITSITE_CUSTOMER_EXPORT_ASYNC_THRESHOLD`` events an export is
    not streamed: a django-q2 task writes the file into the
    ``customer_exports`` storage, and the requester downloads it from the
    export's page through a short-lived link. ``marker_seq`` is the ``seq``
    of the export's own `UserExportInitiated` event: the file holds the
    events recorded before it. Jobs and files are deleted after
    ``AUDITSITE_CUSTOMER_EXPORT_KEEP_HOURS``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Building"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requester = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    filters = models.JSONField(default=dict, blank=True)
    file_format = models.CharField(max_length=10)
    marker_seq = models.BigIntegerField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total = models.BigIntegerField(default=0, help_text="Events to write.")
    written = models.BigIntegerField(default=0, help_text="Events written so far.")
    file_name = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(help_text="When the job and its file go.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"], name="customerexport_expiry")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.file_format} export {self.id}"

    @property
    def progress_percent(self) -> int:
        """How far the build is, 0 to 100."""
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.written / self.total) if self.total else 0
