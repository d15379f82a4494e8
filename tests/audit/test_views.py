"""The customer audit log pages: access, scoping, filters, paging, members."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent, AuditSettings, Membership, Role
from tests.factories import AuditEventFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def log_url(org_, **params):
    url = reverse("org-audit-log", args=[org_.slug])
    return url + ("?" + urlencode(params) if params else "")


def event_for(org, **fields):
    return AuditEventFactory(org_id=org.pk, org_name=org.name, **fields)


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def shown_ids(response) -> list[str]:
    return [str(event.uuid) for event, _ in response.context["rows"]]


def test_anonymous_visitor_is_sent_to_sign_in(client, org):
    """An anonymous visitor of an org's log is redirected to the sign-in page."""
    response = client.get(log_url(org))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_member_sees_their_org_events_newest_first(member_client, org, other_org):
    """A member with View Audit Log sees only their org's events, newest first."""
    now = timezone.now()
    old = event_for(org, created_at=now - timedelta(hours=2))
    new = event_for(org, created_at=now - timedelta(hours=1))
    event_for(other_org, created_at=now)
    response = member_client.get(log_url(org))
    assert response.status_code == 200
    assert shown_ids(response) == [str(new.uuid), str(old.uuid)]


def test_member_without_permission_gets_403(client, org, plain_member):
    """A member whose role lacks View Audit Log gets the 403 page."""
    event_for(org)
    client.force_login(plain_member)
    response = client.get(log_url(org))
    assert response.status_code == 403
    assert b"have access" in response.content


def test_another_orgs_slug_gets_403(member_client, other_org):
    """Changing the slug to another org's is refused."""
    event_for(other_org)
    assert member_client.get(log_url(other_org)).status_code == 403


def test_unknown_slug_gets_403_like_a_forbidden_one(member_client):
    """An org that does not exist answers like one the user may not see."""
    assert member_client.get("/orgs/no-such-org/audit-log/").status_code == 403


def test_another_orgs_event_id_is_404(member_client, org, other_org):
    """The detail URL of another org's event, under one's own org, is 404."""
    foreign = event_for(other_org)
    own = event_for(org, event_type="UserCreated")
    url = reverse("org-audit-event", args=[org.slug, foreign.uuid])
    assert member_client.get(url).status_code == 404
    own_url = reverse("org-audit-event", args=[org.slug, own.uuid])
    response = member_client.get(own_url)
    assert response.status_code == 200
    assert str(own.uuid) in response.content.decode()


def test_org_param_is_ignored(member_client, org, other_org):
    """An `org=` query parameter can neither widen nor switch the org shown."""
    mine = event_for(org)
    event_for(other_org)
    for value in (str(other_org.pk), other_org.slug, other_org.name):
        response = member_client.get(log_url(org, org=value))
        assert shown_ids(response) == [str(mine.uuid)]


def test_filters_narrow_the_table(member_client, org):
    """User, event type, caused-by and date filters each narrow the rows."""
    now = timezone.now()
    alice = event_for(
        org, user_email="alice@acme.example", created_at=now - timedelta(days=3)
    )
    deleted = event_for(org, event_type="UserDeleted", caused_by_type="ApiKey")
    old = event_for(org, created_at=now - timedelta(days=20))
    assert shown_ids(member_client.get(log_url(org, user="alice@acme.example"))) == [
        str(alice.uuid)
    ]
    assert shown_ids(member_client.get(log_url(org, event_type="UserDeleted"))) == [
        str(deleted.uuid)
    ]
    assert shown_ids(member_client.get(log_url(org, caused_by_type="ApiKey"))) == [
        str(deleted.uuid)
    ]
    before = (now - timedelta(days=10)).date().isoformat()
    assert shown_ids(member_client.get(log_url(org, created_before=before))) == [
        str(old.uuid)
    ]


def test_times_are_shown_in_the_viewers_time_zone(member_client, member, org):
    """A viewer with a time zone sees event times in it."""
    member.time_zone = "Asia/Tokyo"
    member.save()
    event_for(org, created_at=datetime(2025, 1, 2, 23, 30, tzinfo=UTC))
    response = member_client.get(log_url(org))
    assert "Jan 3, 2025 08:30:00 JST" in response.content.decode()


def test_keyset_paging_stays_correct_as_new_events_arrive(member_client, org):
    """New events arriving between pages never shift or repeat rows."""
    start = timezone.now() - timedelta(days=1)
    events = [
        event_for(org, created_at=start + timedelta(minutes=i)) for i in range(120)
    ]
    newest_first = [str(e.uuid) for e in reversed(events)]
    first = member_client.get(log_url(org))
    assert shown_ids(first) == newest_first[:50]
    for i in range(10):  # arrive after the first page was read
        event_for(org, created_at=timezone.now() + timedelta(seconds=i))
    older = member_client.get(log_url(org) + "?" + first.context["older_query"])
    assert shown_ids(older) == newest_first[50:100]
    last = member_client.get(log_url(org) + "?" + older.context["older_query"])
    assert shown_ids(last) == newest_first[100:]
    assert last.context["page"].older is None
    back = member_client.get(log_url(org) + "?" + last.context["newer_query"])
    assert shown_ids(back) == newest_first[50:100]


def test_events_with_the_same_time_page_without_gaps(member_client, org):
    """Events sharing one timestamp are each shown exactly once across pages."""
    same = timezone.now() - timedelta(minutes=5)
    events = [event_for(org, created_at=same) for _ in range(60)]
    first = member_client.get(log_url(org))
    second = member_client.get(log_url(org) + "?" + first.context["older_query"])
    seen = shown_ids(first) + shown_ids(second)
    assert sorted(seen) == sorted(str(e.uuid) for e in events)


def test_newer_then_older_never_leads_to_an_empty_page(member_client, org):
    """ "Older" from a "newer" page shows events even if the older ones went away."""
    start = timezone.now() - timedelta(days=1)
    events = [
        event_for(
            org,
            created_at=start + timedelta(minutes=i),
            caused_by_type="Employee" if i < 20 else "User",
        )
        for i in range(120)
    ]
    newest_first = [str(e.uuid) for e in reversed(events)]
    page = member_client.get(log_url(org))
    for _ in range(2):
        page = member_client.get(log_url(org) + "?" + page.context["older_query"])
    assert shown_ids(page) == newest_first[100:]
    newer = member_client.get(log_url(org) + "?" + page.context["newer_query"])
    assert shown_ids(newer) == newest_first[50:100]
    # The operator hides employee events: nothing older than that page is left.
    AuditSettings.objects.filter(pk=1).update(includes_employees=False)
    older = member_client.get(log_url(org) + "?" + newer.context["older_query"])
    assert shown_ids(older) == newest_first[50:100]
    assert older.context["page"].older is None
    assert older.context["page"].newer is not None


def test_event_type_filter_takes_several_types(member_client, org):
    """Several event types, repeated (multi-select) or comma-separated, all match."""
    created = event_for(org, event_type="UserCreated")
    deleted = event_for(org, event_type="UserDeleted")
    event_for(org, event_type="UserLoggedOut")
    both = {str(created.uuid), str(deleted.uuid)}
    url = log_url(org) + "?event_type=UserCreated&event_type=UserDeleted"
    response = member_client.get(url)
    assert set(shown_ids(response)) == both
    page = response.content.decode()
    assert '<option value="UserCreated" selected>' in page
    assert '<option value="UserDeleted" selected>' in page
    comma = member_client.get(log_url(org, event_type="UserCreated,UserDeleted"))
    assert set(shown_ids(comma)) == both


def test_filter_errors_name_the_fields_label(member_client, org):
    """A bad date says "From: ...", the field's label, not its parameter name."""
    response = member_client.get(log_url(org, created_after="yesterday"))
    page = response.content.decode()
    assert "From: Enter a valid date/time." in page
    assert "created_after" not in page.split('role="alert"')[1].split("</div>")[0]


def test_crafted_cursor_is_ignored(member_client, org):
    """A cursor that is not one of ours shows the first page."""
    mine = event_for(org)
    response = member_client.get(log_url(org, before="not-a-cursor!!"))
    assert shown_ids(response) == [str(mine.uuid)]


def test_includes_employees_off_hides_employee_events(member_client, org):
    """Turning off "includes employees" hides events caused by staff."""
    user_event = event_for(org, caused_by_type="User")
    staff_event = event_for(org, caused_by_type="Employee")
    assert str(staff_event.uuid) in shown_ids(member_client.get(log_url(org)))
    AuditSettings.objects.filter(pk=1).update(includes_employees=False)
    response = member_client.get(log_url(org))
    assert shown_ids(response) == [str(user_event.uuid)]
    url = reverse("org-audit-event", args=[org.slug, staff_event.uuid])
    assert member_client.get(url).status_code == 404


def test_impersonation_and_api_key_switches_hide_their_events(member_client, org):
    """Impersonation and API-key events disappear when their switch is off."""
    plain = event_for(org, caused_by_type="User")
    event_for(org, caused_by_type="User", impersonator_id="staff-1")
    event_for(org, caused_by_type="Impersonation")
    event_for(org, caused_by_type="ApiKey")
    AuditSettings.objects.filter(pk=1).update(
        includes_impersonation=False, includes_api_keys=False
    )
    assert shown_ids(member_client.get(log_url(org))) == [str(plain.uuid)]


def test_per_org_switch_applies_when_global_setting_is_off(member_client, org):
    """With the global setting off, only orgs with their own switch show a log."""
    AuditSettings.objects.filter(pk=1).update(all_orgs_can_view_audit_log=False)
    assert member_client.get(log_url(org)).status_code == 403
    org.can_view_audit_log = True
    org.save()
    assert member_client.get(log_url(org)).status_code == 200


def test_chart_counts_events_per_day(member_client, org):
    """The chart totals the filtered events of the selected range."""
    now = timezone.now()
    for days in (0, 1, 1, 40):
        event_for(org, created_at=now - timedelta(days=days))
    chart = member_client.get(log_url(org)).context["chart"]
    assert chart.total == 3  # the default range is the last 30 days
    assert len(chart.bars) == 30
    assert chart.peak == 2
    assert b"<svg" in member_client.get(log_url(org)).content


def test_home_sends_a_single_org_member_to_its_log(member_client, org):
    """A member of one org lands on that org's log."""
    response = member_client.get(reverse("home"))
    assert response["Location"] == log_url(org)


def test_home_offers_a_picker_for_several_orgs(member_client, member, other_org):
    """A member of several orgs picks one; both are listed."""
    MembershipFactory(org=other_org, user=member)
    response = member_client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert log_url(other_org) in body and "Acme Inc" in body


def test_sign_in_page_signs_a_member_in(client, member, org):
    """The styled sign-in page signs a member in with email and password."""
    page = client.get(reverse("login"))
    assert page.status_code == 200 and b'for="id_username"' in page.content
    response = client.post(
        reverse("login"),
        {"username": "owner@acme.example", "password": "secret-pass-123"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == log_url(org)


def test_members_page_role_change_records_event(client, member, org, plain_member):
    """An owner changing a member's role records OrgUserRoleChanged."""
    client.force_login(member)
    url = reverse("org-members", args=[org.slug])
    membership = Membership.objects.get(user=plain_member, org=org)
    admin_role = Role.objects.get(name="Admin")
    response = client.post(url, {"membership": membership.pk, "role": admin_role.pk})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == admin_role
    event = AuditEvent.objects.get(event_type="OrgUserRoleChanged")
    assert event.org_id == org.pk and event.user_id == plain_member.pk
    assert event.caused_by_type == "User" and event.caused_by_id == str(member.pk)
    assert event.event_data["OrgUserRoleChanged"] == {"old": "Member", "new": "Admin"}


def test_members_page_refuses_members_without_manage_members(client, org, member):
    """Without Manage Members the members page is 403, and a role POST fails."""
    other = MembershipFactory(
        org=org, role=Role.objects.get(name="Member"), user=UserFactory()
    )
    client.force_login(other.user)
    url = reverse("org-members", args=[org.slug])
    assert client.get(url).status_code == 403
    target = Membership.objects.get(user=member, org=org)
    owner = Role.objects.get(name="Owner")
    response = client.post(url, {"membership": target.pk, "role": owner.pk})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(event_type="OrgUserRoleChanged").exists()


def test_members_page_cannot_change_another_orgs_member(client, member, org, other_org):
    """A membership id of another org is not found on one's own members page."""
    foreign = MembershipFactory(org=other_org, role=Role.objects.get(name="Member"))
    client.force_login(member)
    url = reverse("org-members", args=[org.slug])
    owner = Role.objects.get(name="Owner")
    response = client.post(url, {"membership": foreign.pk, "role": owner.pk})
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.role.name == "Member"


def test_account_page_saves_the_time_zone(member_client, member):
    """A user can choose the time zone the pages show times in."""
    response = member_client.post(reverse("account"), {"time_zone": "Europe/Paris"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.time_zone == "Europe/Paris"


def test_home_sends_staff_to_the_admin_and_visitors_to_sign_in(client, staff):
    """Staff land in the admin; an anonymous visitor on the sign-in page."""
    assert client.get(reverse("home"))["Location"] == reverse("login")
    client.force_login(staff)
    assert client.get(reverse("home"))["Location"] == reverse("admin:index")


def test_password_reset_pages_are_styled_and_send_a_working_link(client, member):
    """The reset pages use the site's look; the emailed link sets a new password."""
    from django.core import mail

    form = client.get(reverse("password_reset"))
    assert "auditsite.css" in form.text and "Reset your password" in form.text
    done = client.post(reverse("password_reset"), {"email": member.email}, follow=True)
    assert "Check your email" in done.text and "auditsite.css" in done.text
    (message,) = mail.outbox
    link = next(line for line in message.body.splitlines() if "/reset/" in line)
    confirm = client.get(link.split("testserver", 1)[1], follow=True)
    assert "Choose a new password" in confirm.text
    complete = client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": "a-new-pass-4567", "new_password2": "a-new-pass-4567"},
        follow=True,
    )
    assert "Password saved" in complete.text and "auditsite.css" in complete.text
    # The new password signs in through the login page (django-axes wants
    # the request, which client.login() does not pass).
    signed_in = Client().post(
        "/accounts/login/",
        {"username": member.email, "password": "a-new-pass-4567"},
    )
    assert signed_in.status_code == 302
