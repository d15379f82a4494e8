"""Accounts: users, orgs, the roles members hold and what a role may do."""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone


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
