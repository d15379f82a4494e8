"""Shared factories. They build rows directly (no events), for setting up state."""

import uuid

import factory
from django.utils import timezone

from audit.models import AuditEvent, Membership, Organization, Role, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.django.Password("secret-pass-123")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    org = factory.SubFactory(OrganizationFactory)
    role = factory.LazyFunction(lambda: Role.objects.get(name="Owner"))


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    uuid = factory.LazyFunction(uuid.uuid4)
    event_type = "UserCreated"
    category = "user"
    event_data = factory.LazyAttribute(lambda o: {o.event_type: {}})
    created_at = factory.LazyFunction(timezone.now)
    caused_by_type = "User"
