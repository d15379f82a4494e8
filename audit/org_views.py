"""The org's API keys page (SPEC section 11), for roles with `Manage API Keys`.

Thin like ``audit.views``: the org comes from ``selectors.org_for_permission``
(403 without the permission), keys are looked up only among the org's own
(another org's key id is a 404), and every write is an ``org_apikeys``
service that records its event.
"""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit import selectors
from audit.actors import actor_for_request
from audit.models import OrgPermission
from audit.org_apikeys import org_api_key_create, org_api_key_revoke, org_api_keys_for
from audit.views import member_page, nav_context, viewer_zone


class OrgApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100, label="Name", help_text="Who or what uses this key."
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on (optional)",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The key stops working at the start of this day.",
    )


def translate(form: forms.Form, exc: ValidationError, fields: dict | None = None):
    """Put a service's ``ValidationError`` on the form's fields (or the form)."""
    fields = fields or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        field = fields.get(name, name)
        form.add_error(field if field in form.fields else None, errors)


@member_page("GET", "POST")
def api_keys(request: HttpRequest, slug: str) -> HttpResponse:
    """List the org's keys; create one (its value is shown on this answer only)."""
    org = selectors.org_for_permission(
        user=request.user, slug=slug, codename=OrgPermission.MANAGE_API_KEYS
    )
    form = OrgApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["expires_on"]
        expires_at = (
            datetime.combine(day, time.min, tzinfo=viewer_zone(request.user))
            if day
            else None
        )
        try:
            key, raw_key = org_api_key_create(
                actor=actor_for_request(request),
                org=org,
                name=form.cleaned_data["name"],
                expires_at=expires_at,
            )
        except ValidationError as exc:
            translate(form, exc, {"expires_at": "expires_on"})
        else:
            new_key = {"key": key, "value": raw_key}
            form = OrgApiKeyForm()
    context = {
        **nav_context(request, org, "api-keys"),
        "form": form,
        "keys": org_api_keys_for(org=org),
        "new_key": new_key,
        "now": timezone.now(),
    }
    response = render(
        request, "audit/api_keys.html", context, status=400 if form.errors else 200
    )
    # The one answer that holds a key must not be kept by any cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_key_delete(request: HttpRequest, slug: str, key_id: int) -> HttpResponse:
    """Revoke one of the org's keys; another org's key is a 404."""
    org = selectors.org_for_permission(
        user=request.user, slug=slug, codename=OrgPermission.MANAGE_API_KEYS
    )
    key = org_api_keys_for(org=org).filter(pk=key_id).first()
    if key is None:
        raise Http404("No such API key in this organization.")
    org_api_key_revoke(actor=actor_for_request(request), key=key)
    messages.success(request, f"The key {key.name} ({key.prefix}) is deleted.")
    return redirect("org-api-keys", slug=org.slug)
