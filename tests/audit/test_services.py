import pytest
from django.core.exceptions import ValidationError

from audit import services
from audit.models import AuditEvent, Membership, Organization, Role, User
from audit.selectors import event_description
from audit.services import Actor
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def only_event(**filters) -> AuditEvent:
    events = list(AuditEvent.objects.filter(**filters))
    assert len(events) == 1, events
    return events[0]


def test_user_create_records_user_created_with_profile(employee, staff):
    """Creating a user records UserCreated with the SPEC's profile fields."""
    user = services.user_create(
        actor=employee, email="New@Example.com", first_name="Ann"
    )
    event = only_event(event_type="UserCreated", user_id=user.pk)
    assert user.email == "new@example.com"
    assert event.user_email == "new@example.com"
    assert event.category == "user"
    assert event.caused_by_type == "Employee"
    assert event.caused_by_id == str(staff.pk)
    assert event.caused_by_metadata == {"email": staff.email}
    assert event.event_data == {
        "UserCreated": {
            "email": "new@example.com",
            "email_confirmed": False,
            "first_name": "Ann",
            "last_name": None,
            "picture_url": None,
            "properties": {},
            "username": None,
        }
    }


@pytest.mark.parametrize(
    ("service", "initial", "event_type"),
    [
        (services.user_disable, {"is_active": True}, "UserDisabled"),
        (services.user_enable, {"is_active": False}, "UserEnabled"),
        (services.user_lock, {"locked": False}, "UserLocked"),
        (services.user_unlock, {"locked": True}, "UserUnlocked"),
    ],
)
def test_user_flag_services_record_their_event(employee, service, initial, event_type):
    """Disable, enable, lock and unlock each change the flag and record their event."""
    user = UserFactory(**initial)
    service(actor=employee, user=user)
    user.refresh_from_db()
    field, value = next(iter(initial.items()))
    assert getattr(user, field) is not value
    event = only_event(event_type=event_type, user_id=user.pk)
    assert event.caused_by_type == "Employee"


def test_repeating_a_flag_change_records_nothing(employee):
    """Locking a locked user is not an event."""
    user = UserFactory(locked=True)
    services.user_lock(actor=employee, user=user)
    assert not AuditEvent.objects.exists()


def test_user_metadata_change_records_old_and_new(employee):
    """A name change records UserMetadataChanged with old and new values."""
    user = UserFactory(email="user@acmeinc.com", first_name="Ant")
    services.user_change_metadata(actor=employee, user=user, first_name="Buddy")
    event = only_event(event_type="UserMetadataChanged")
    assert event.event_data == {
        "UserMetadataChanged": {
            "old": {"firstName": "Ant"},
            "new": {"firstName": "Buddy"},
        }
    }
    assert event_description(event) == (
        "user@acmeinc.com had their account properties changed to "
        '{ firstName: "Buddy" } '
        'from { firstName: "Ant" } by staff@operator.example'
    )


def test_user_change_email_records_email_changed(employee):
    """An email change records both addresses; the event names the new one."""
    user = UserFactory(email="old@example.com")
    services.user_change_email(actor=employee, user=user, email="New@Example.com")
    event = only_event(event_type="EmailChanged")
    assert event.event_data["EmailChanged"] == {
        "old": "old@example.com",
        "new": "new@example.com",
    }
    assert event.user_email == "new@example.com"


def test_user_change_username_records_username_changed(employee):
    """A username change records UsernameChanged with both values."""
    user = UserFactory(username="ant")
    services.user_change_username(actor=employee, user=user, username="buddy")
    event = only_event(event_type="UsernameChanged")
    assert event.event_data["UsernameChanged"] == {"old": "ant", "new": "buddy"}


def test_user_delete_keeps_identity_in_the_event(employee):
    """Deleting a user records UserDeleted that still names them."""
    user = UserFactory(email="gone@example.com")
    user_id = user.pk
    services.user_delete(actor=employee, user=user)
    assert not User.objects.filter(pk=user_id).exists()
    event = only_event(event_type="UserDeleted")
    assert (event.user_id, event.user_email) == (user_id, "gone@example.com")


def test_invalid_change_saves_nothing_and_records_nothing(employee):
    """A change that fails validation leaves the user and the log untouched."""
    UserFactory(email="taken@example.com")
    user = UserFactory(email="mine@example.com")
    with pytest.raises(ValidationError):
        services.user_change_email(actor=employee, user=user, email="taken@example.com")
    user.refresh_from_db()
    assert user.email == "mine@example.com"
    assert not AuditEvent.objects.exists()


def test_org_create_rename_delete_record_org_events(employee):
    """Create, rename, delete record OrgCreated, OrgNameUpdated, OrgDeleted."""
    org = services.org_create(actor=employee, name="Acme", slug="acme", plan="growth")
    services.org_rename(actor=employee, org=org, name="Acme Inc")
    services.org_delete(actor=employee, org=org)
    assert not Organization.objects.exists()
    types = list(
        AuditEvent.objects.order_by("seq").values_list("event_type", flat=True)
    )
    assert types == ["OrgCreated", "OrgNameUpdated", "OrgDeleted"]
    renamed = only_event(event_type="OrgNameUpdated")
    assert renamed.event_data["OrgNameUpdated"] == {"old": "Acme", "new": "Acme Inc"}
    assert renamed.org_name == "Acme Inc"
    assert renamed.category == "org"


@pytest.mark.parametrize(
    ("changes", "event_type"),
    [
        ({"domain": "acme.com"}, "OrgDomainUpdated"),
        ({"domain_autojoin": True}, "OrgDomainAutoJoinEnabled"),
        ({"domain_restrict": True}, "OrgDomainRestrictEnabled"),
        ({"can_setup_saml": True}, "OrgCanSetupSAMLEnabled"),
        ({"max_users": 50}, "OrgMaxUsersUpdated"),
        ({"auto_logout_seconds": 3600}, "OrgAutoLogoutSecondsUpdated"),
        ({"metadata": {"tier": "gold"}}, "OrgMetadataUpdated"),
        ({"plan": "growth_plus"}, "OrgUpdated"),
    ],
)
def test_org_settings_record_their_event(employee, org, changes, event_type):
    """Each org setting change records its catalog event."""
    services.org_update(actor=employee, org=org, changes=changes)
    event = only_event(event_type=event_type)
    assert event.org_id == org.pk
    org.refresh_from_db()
    name, value = next(iter(changes.items()))
    assert getattr(org, name) == value


def test_turning_a_setting_off_records_the_disabled_event(employee):
    """Turning auto-join off records OrgDomainAutoJoinDisabled."""
    org = OrganizationFactory(domain_autojoin=True)
    services.org_update(actor=employee, org=org, changes={"domain_autojoin": False})
    only_event(event_type="OrgDomainAutoJoinDisabled")


def test_membership_add_change_remove_record_org_user_events(employee, org):
    """Adding, re-roling and removing a member record the OrgUser* events."""
    user = UserFactory()
    member_role, admin_role = (
        Role.objects.get(name="Member"),
        Role.objects.get(name="Admin"),
    )
    membership = services.membership_add(
        actor=employee, org=org, user=user, role=member_role
    )
    services.membership_change_role(
        actor=employee, membership=membership, role=admin_role
    )
    services.membership_remove(actor=employee, membership=membership)
    assert not Membership.objects.exists()
    changed = only_event(event_type="OrgUserRoleChanged")
    assert changed.event_data["OrgUserRoleChanged"] == {"old": "Member", "new": "Admin"}
    assert (changed.user_id, changed.org_id) == (user.pk, org.pk)
    only_event(event_type="OrgUserAdded")
    only_event(event_type="OrgUserRemoved")


def test_duplicate_membership_is_rejected_without_event(employee, org):
    """Adding an existing member fails validation and records nothing new."""
    membership = MembershipFactory(org=org)
    with pytest.raises(ValidationError):
        services.membership_add(
            actor=employee, org=org, user=membership.user, role=membership.role
        )
    assert not AuditEvent.objects.exists()


def test_user_acting_on_own_account_is_caused_by_user():
    """A user changing their own profile is recorded as caused by User."""
    user = UserFactory(first_name="Ant")
    services.user_change_metadata(
        actor=Actor.for_user(user), user=user, first_name="Buddy"
    )
    event = only_event(event_type="UserMetadataChanged")
    assert (event.caused_by_type, event.caused_by_id) == ("User", str(user.pk))


def test_event_and_change_roll_back_together(employee):
    """If the transaction fails, neither the change nor its event stays."""
    from django.db import transaction

    user = UserFactory(locked=False)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            services.user_lock(actor=employee, user=user)
            raise RuntimeError("boom")
    user.refresh_from_db()
    assert user.locked is False
    assert not AuditEvent.objects.exists()
