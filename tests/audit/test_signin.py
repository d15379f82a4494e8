"""Sign-in on auditsite's own pages records its events (SPEC 7)."""

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"


@pytest.fixture
def ann(db):
    return UserFactory(email="ann@acme.example")


def _login(client, email, password, url="/accounts/login/"):
    return client.post(
        url,
        {"username": email, "password": password},
        REMOTE_ADDR="203.0.113.5",
        HTTP_USER_AGENT="Firefox/140",
    )


def _events(event_type):
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("seq"))


def test_wrong_password_records_a_failed_attempt_with_ip_and_agent(client, ann):
    """A wrong password records UserLoginAttempt: failure, wrong_password, IP, UA."""
    response = _login(client, "Ann@acme.example", "nope")
    assert response.status_code == 200
    (event,) = _events("UserLoginAttempt")
    assert event.user_id == ann.pk
    assert event.details["outcome"] == "failure"
    assert event.details["reason"] == "wrong_password"
    assert (event.caused_by_source_ip, event.caused_by_user_agent) == (
        "203.0.113.5",
        "Firefox/140",
    )
    assert "nope" not in str(event.event_data)


def test_unknown_email_is_recorded_without_a_user(client, db):
    """A failed login for an unknown email records no user and the email tried."""
    _login(client, "nobody@acme.example", "nope")
    (event,) = _events("UserLoginAttempt")
    assert event.user_id is None
    assert event.details["reason"] == "unknown_email"
    assert event.details["email"] == "nobody@acme.example"


def test_correct_login_and_logout_record_theirs(client, ann):
    """A correct login records success; logging out records UserLoggedOut."""
    response = _login(client, ann.email, PASSWORD)
    assert response.status_code == 302
    (event,) = _events("UserLoginAttempt")
    assert (event.details["outcome"], event.user_id) == ("success", ann.pk)
    assert (event.caused_by_type, event.caused_by_id) == ("User", str(ann.pk))
    client.post(reverse("logout"))
    (out,) = _events("UserLoggedOut")
    assert out.user_id == ann.pk


def test_five_failures_lock_the_account_and_record_user_locked(client, ann):
    """Five wrong passwords lock the account (UserLocked once); then even the
    right password is refused and recorded as a failure."""
    for _ in range(5):
        _login(client, ann.email, "nope")
    (locked,) = _events("UserLocked")
    assert locked.user_id == ann.pk
    assert locked.caused_by_type == "System"
    assert locked.details["failures"] == 5
    assert locked.caused_by_source_ip == "203.0.113.5"
    response = _login(client, ann.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    attempts = _events("UserLoginAttempt")
    assert len(attempts) == 6
    assert attempts[-1].details["reason"] == "too_many_failures"
    assert len(_events("UserLocked")) == 1


def test_a_success_before_the_limit_resets_the_count(client, ann):
    """Four failures, a success, four failures: no lock."""
    for _ in range(4):
        _login(client, ann.email, "nope")
    assert _login(client, ann.email, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        _login(client, ann.email, "nope")
    assert not _events("UserLocked")


def test_admin_login_records_the_same(client, db):
    """/admin/login/ records UserLoginAttempt like /accounts/login/."""
    staff = UserFactory(email="op@operator.example", is_staff=True)
    _login(client, staff.email, "nope", url="/admin/login/")
    response = _login(client, staff.email, PASSWORD, url="/admin/login/")
    assert response.status_code == 302
    outcomes = [e.details["outcome"] for e in _events("UserLoginAttempt")]
    assert outcomes == ["failure", "success"]


def test_password_change_records_password_changed(client, ann):
    """Changing one's password on /accounts/ records PasswordChanged by the user."""
    client.force_login(ann)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-pass-9",
            "new_password2": "another-long-pass-9",
        },
    )
    assert response.status_code == 302
    (event,) = _events("PasswordChanged")
    assert (event.user_id, event.caused_by_type) == (ann.pk, "User")
    assert "another-long-pass-9" not in str(event.event_data)


def test_password_reset_request_records_forgot_password(client, ann):
    """Asking for a reset link records ForgotPassword; an unknown email records none."""
    client.post(reverse("password_reset"), {"email": "nobody@acme.example"})
    assert not _events("ForgotPassword")
    response = client.post(reverse("password_reset"), {"email": ann.email})
    assert response.status_code == 302
    (event,) = _events("ForgotPassword")
    assert event.user_id == ann.pk
    assert len(mail.outbox) == 1


def test_reset_link_sets_password_and_records_password_changed(client, ann):
    """Following the reset link and setting a password records PasswordChanged."""
    client.post(reverse("password_reset"), {"email": ann.email})
    link = next(
        line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line
    ).strip()
    path = link[link.index("/accounts/reset/") :]
    form_page = client.get(path, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_url,
        {"new_password1": "brand-new-pass-77", "new_password2": "brand-new-pass-77"},
    )
    assert response.status_code == 302
    (event,) = _events("PasswordChanged")
    assert event.user_id == ann.pk


def _login_from(client, email, password, ip, **extra):
    return client.post(
        "/accounts/login/",
        {"username": email, "password": password},
        REMOTE_ADDR=ip,
        **extra,
    )


def test_lockout_is_per_account_and_address(client, ann):
    """Five failures from one address lock that pair only: the right password
    from another address still signs in."""
    for _ in range(5):
        _login_from(client, ann.email, "nope", "203.0.113.5")
    assert len(_events("UserLocked")) == 1
    assert _login_from(client, ann.email, PASSWORD, "203.0.113.5").status_code == 429
    response = _login_from(client, ann.email, PASSWORD, "198.51.100.9")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(ann.pk)


def test_lockout_uses_the_forwarded_address_only_when_trusted(client, ann, settings):
    """Behind a trusted proxy the pair is (account, X-Forwarded-For address);
    untrusted, every client is the proxy's address."""
    settings.AUDITSITE_TRUST_X_FORWARDED_FOR = True
    for _ in range(5):
        _login_from(
            client, ann.email, "nope", "10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1"
        )
    other = _login_from(
        client, ann.email, PASSWORD, "10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.2"
    )
    assert other.status_code == 302
    client.post(reverse("logout"))
    settings.AUDITSITE_TRUST_X_FORWARDED_FOR = False
    for _ in range(5):
        _login_from(client, ann.email, "nope", "10.0.0.1")
    forged = _login_from(
        client, ann.email, PASSWORD, "10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.3"
    )
    assert forged.status_code == 429


def _wait(ip, *, seconds):
    """Let ``seconds`` pass for an address's recorded failures."""
    from datetime import timedelta

    from axes.models import AccessFailureLog
    from django.db.models import F

    AccessFailureLog.objects.filter(ip_address=ip).update(
        attempt_time=F("attempt_time") - timedelta(seconds=seconds)
    )


def test_one_address_across_30_accounts_is_slowed_then_refused(client, db, settings):
    """Ten failures from one address (each on another account): it may try
    once per 10 s (429, Retry-After); twenty: refused for 15 minutes, the
    right password included, while other addresses sign in."""
    ip = "203.0.113.77"
    users = [UserFactory(email=f"user{i:02d}@acme.example") for i in range(30)]
    for user in users[:10]:
        assert _login_from(client, user.email, "nope", ip).status_code == 200
    slowed = _login_from(client, users[10].email, "nope", ip)
    assert slowed.status_code == 429
    assert 1 <= int(slowed["Retry-After"]) <= settings.AUDITSITE_LOGIN_IP_SLOW_SECONDS
    for user in users[10:20]:
        _wait(ip, seconds=settings.AUDITSITE_LOGIN_IP_SLOW_SECONDS + 1)
        assert _login_from(client, user.email, "nope", ip).status_code == 200
        assert _login_from(client, users[29].email, "nope", ip).status_code == 429
    _wait(ip, seconds=settings.AUDITSITE_LOGIN_IP_SLOW_SECONDS + 1)
    for user in users[20:]:
        refused = _login_from(client, user.email, "nope", ip)
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) > 14 * 60
    assert _login_from(client, users[0].email, PASSWORD, ip).status_code == 429
    assert not _events("UserLocked")  # no pair reached its limit
    reasons = [e.details["reason"] for e in _events("UserLoginAttempt")]
    assert reasons.count("wrong_password") == 20
    assert reasons.count("throttled") == 1 + 10 + 10 + 1
    other = _login_from(client, users[0].email, PASSWORD, "198.51.100.9")
    assert other.status_code == 302
    client.post(reverse("logout"))
    _wait(ip, seconds=settings.AUDITSITE_LOGIN_IP_REFUSE_MINUTES * 60)
    assert _login_from(client, users[0].email, PASSWORD, ip).status_code == 302
