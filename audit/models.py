"""Users, orgs, roles, memberships, the event catalog and audit events."""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from audit.catalog import OPERATOR, ORG, USER
from audit.expressions import CurrentTxid
from audit.scopes import default_scopes
from audit.spec import event_actor_label, event_describe


class UserManager(BaseUserManager):
    """Plain constructors for tests and fixtures; app code goes through services."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **fields
    ) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email", unique=True)
    username = models.CharField(max_length=150, blank=True, null=True, unique=True)
    first_name = models.CharField(max_length=150, blank=True, default="")
    last_name = models.CharField(max_length=150, blank=True, default="")
    picture_url = models.URLField(max_length=500, blank=True, default="")
    properties = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(
        "enabled", default=True, help_text="Disabled users cannot sign in."
    )
    locked = models.BooleanField(
        default=False, help_text="Locked users cannot sign in."
    )
    email_confirmed = models.BooleanField(default=False)
    mfa_enabled = models.BooleanField("MFA enabled", default=False)
    is_staff = models.BooleanField(
        "staff status",
        default=False,
        help_text="Staff are the operator's employees and may use the admin.",
    )
    time_zone = models.CharField(
        max_length=64, blank=True, default="", help_text="IANA name, e.g. Europe/Paris."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class Plan(models.TextChoices):
    FREE = "free", "Free"
    GROWTH = "growth", "Growth"
    GROWTH_PLUS = "growth_plus", "Growth Plus"


RETENTION_DAYS = {Plan.FREE: 30, Plan.GROWTH: 60, Plan.GROWTH_PLUS: 90}


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.FREE)
    can_view_audit_log = models.BooleanField(
        "can view audit log",
        default=False,
        help_text="Used when the global setting does not let every org view its log.",
    )
    domain = models.CharField(max_length=255, blank=True, default="")
    domain_autojoin = models.BooleanField("domain auto-join", default=False)
    domain_restrict = models.BooleanField(default=False)
    can_setup_saml = models.BooleanField("can set up SAML", default=False)
    max_users = models.PositiveIntegerField(null=True, blank=True)
    auto_logout_seconds = models.PositiveIntegerField(null=True, blank=True)
    require_2fa_by = models.DateTimeField("require 2FA by", null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def retention_days(self) -> int:
        return RETENTION_DAYS[Plan(self.plan)]


class OrgPermission(models.Model):
    """A permission a role can grant inside an org, e.g. `View Audit Log`."""

    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_LOG_STREAMS = "manage_log_streams"
    MANAGE_SCIM = "manage_scim"

    codename = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "org permission"

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """An operator-defined role (Owner, Admin, Member) and what it may do."""

    name = models.CharField(max_length=100, unique=True)
    permissions = models.ManyToManyField(
        OrgPermission, blank=True, related_name="roles"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="memberships")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "org"], name="membership_user_org_unique"
            )
        ]
        ordering = ["org__name", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} in {self.org} as {self.role}"


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


class ApiKey(models.Model):
    """An operator API key for services that send and read events.

    The key itself is shown once, when it is created; only its SHA-256 and a
    visible prefix (``as_`` + 8 characters, used to find the row) are stored.
    """

    # ``audit.permissions.IsOperator`` accepts any ``request.auth`` with this.
    is_api_key = True

    name = models.CharField(max_length=100, help_text="Who or what uses this key.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # The ``audit.scopes.Scope`` values this key holds (SPEC section 10).
    scopes = models.JSONField(default=default_scopes, blank=True)
    legacy_all_scopes = models.BooleanField(
        "legacy: all scopes",
        default=False,
        editable=False,
        help_text="Made before keys had scopes, so it was given every scope.",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or ())


class PortalLink(models.Model):
    """A one-use link that signs a member into one org's pages (SPEC 10).

    Minted by the host product's backend (``POST /api/v1/portal-links``);
    only the SHA-256 of its token is stored, so the table cannot be turned
    back into working links.
    """

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    return_url = models.URLField(max_length=2000, blank=True)
    created_by = models.CharField(
        max_length=100, blank=True, help_text="The API key prefix that minted it."
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"], name="portallink_expiry")]

    def __str__(self) -> str:
        return f"portal link for {self.user_id} in {self.org_id}"


class OrgApiKey(models.Model):
    """An org's own API key: reads that org's log over ``/api/v1/org/events/``.

    Shown once, when it is created; only its SHA-256 and a visible prefix
    (``ao_`` + 8 characters) are stored. It is not an operator key: it has no
    ``is_api_key`` flag, so no operator endpoint accepts it.
    """

    is_org_api_key = True

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100, help_text="Who or what uses this key.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "org API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def is_usable(self, now) -> bool:
        """Neither revoked nor past its expiry at ``now``."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


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


# SCIM models live in their own module; importing them here registers them
# with the audit app (and its migrations).
from audit.scim.models import ScimKey, ScimMembership  # noqa: E402, F401
