"""The demo's logins and orgs: a core made through the services (so it
records real events), topped up in bulk to the orgs and users asked for."""

from __future__ import annotations

from django.db import transaction

from audit import services
from audit.models import Membership, Organization, Plan, Role, User
from audit.services import Actor

STAFF_EMAIL = "admin@example.com"
STAFF_PASSWORD = "auditsite-admin"
MEMBER_EMAIL = "member@acme.example"
MEMBER_PASSWORD = "auditsite-member"
VIEWER_WITHOUT_PERMISSION_EMAIL = "intern@acme.example"

CORE_ORGS = [
    ("Acme Inc", "acme", Plan.GROWTH_PLUS),
    ("Globex", "globex", Plan.GROWTH),
    ("Initech", "initech", Plan.FREE),
    ("Umbrella Labs", "umbrella", Plan.GROWTH),
    ("Hooli", "hooli", Plan.FREE),
]
FIRST_NAMES = [
    "Ant",
    "Buddy",
    "Carla",
    "Dev",
    "Erin",
    "Farah",
    "Gus",
    "Hana",
    "Ivan",
    "Jo",
]
LAST_NAMES = [
    "Ng",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Ueda",
    "Vance",
]


def demo_is_seeded() -> bool:
    """Whether the demo's staff login exists (``seed_demo --if-empty``)."""
    return User.objects.filter(email=STAFF_EMAIL).exists()


def _user_ensure(
    actor: Actor, login: tuple[str, str, str, str], **flags: bool
) -> tuple[User, bool]:
    """The demo user with this ``(email, password, first, last)``, made once."""
    email, password, first, last = login
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user, False
    user = services.user_create(
        actor=actor,
        email=email,
        password=password,
        first_name=first,
        last_name=last,
        email_confirmed=True,
        **flags,
    )
    return user, True


@transaction.atomic
def core_accounts(actor: Actor) -> tuple[list[Organization], list[User]]:
    """The staff login, the core orgs and their members (created once)."""
    staff, _ = _user_ensure(
        actor,
        (STAFF_EMAIL, STAFF_PASSWORD, "Ada", "Admin"),
        is_staff=True,
        is_superuser=True,
    )
    employee = Actor.for_employee(staff)
    roles = {role.name: role for role in Role.objects.all()}
    orgs = []
    for name, slug, plan in CORE_ORGS:
        org = Organization.objects.filter(slug=slug).first() or services.org_create(
            actor=employee, name=name, slug=slug, plan=plan
        )
        orgs.append(org)
    members = [
        (MEMBER_EMAIL, MEMBER_PASSWORD, "Owner", "Ant", "Owner"),
        (VIEWER_WITHOUT_PERMISSION_EMAIL, MEMBER_PASSWORD, "Member", "Ivy", "Intern"),
    ]
    users = []
    for email, password, role, first, last in members:
        user, created = _user_ensure(employee, (email, password, first, last))
        if created:
            services.membership_add(
                actor=employee, org=orgs[0], user=user, role=roles[role]
            )
        users.append(user)
    # The demo member also belongs to a second org, to show the org switcher.
    if not Membership.objects.filter(user=users[0], org=orgs[1]).exists():
        services.membership_add(
            actor=employee, org=orgs[1], user=users[0], role=roles["Admin"]
        )
    return orgs, [staff, *users]


def bulk_orgs_and_users(
    orgs: list[Organization], users: list[User], org_count: int, user_count: int, rng
) -> tuple[list[Organization], list[User]]:
    """Top up to ``org_count`` orgs and ``user_count`` users, in bulk."""
    plans = [Plan.FREE, Plan.GROWTH, Plan.GROWTH_PLUS]
    existing_slugs = set(Organization.objects.values_list("slug", flat=True))
    new_orgs = [
        Organization(
            name=f"Demo Org {i:04d}", slug=f"demo-org-{i:04d}", plan=plans[i % 3]
        )
        for i in range(len(orgs), org_count)
        if f"demo-org-{i:04d}" not in existing_slugs
    ]
    Organization.objects.bulk_create(new_orgs, batch_size=1000)
    all_orgs = list(Organization.objects.all())
    existing_emails = set(User.objects.values_list("email", flat=True))
    new_users = []
    for i in range(len(users), user_count):
        email = f"user{i:05d}@{'acme.example' if i % 5 == 0 else 'demo.example'}"
        if email in existing_emails:
            continue
        new_users.append(
            User(
                email=email,
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                password="!",
                email_confirmed=True,
            )
        )
    User.objects.bulk_create(new_users, batch_size=1000)
    all_users = list(User.objects.filter(is_staff=False))
    member_role = Role.objects.get(name="Member")
    taken = set(Membership.objects.values_list("user_id", "org_id"))
    memberships = []
    for i, user in enumerate(all_users):
        org = all_orgs[i % len(all_orgs)]
        if (user.pk, org.pk) not in taken:
            memberships.append(Membership(user=user, org=org, role=member_role))
    Membership.objects.bulk_create(memberships, batch_size=1000)
    return all_orgs, all_users
