"""The org's log streams page (SPEC section 11), for `Manage Log Streams`.

Thin: the org comes from ``selectors.org_for_permission`` (403 without the
permission), a stream is looked up only among the org's own (another org's
id is a 404), and every write is an ``org_streams`` service, whose
validation is the one of every export location (``location_checks``).
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from audit import selectors
from audit.actors import actor_for_request
from audit.models import Category, OrgPermission
from audit.org_views import translate
from audit.views import member_page, nav_context
from exports.destinations import datadog
from exports.models import ExportLocation, ExportRun
from exports.pending import export_location_health
from exports.services import bucket_policy_for, trust_policy_for
from exports.services.org_streams import (
    ORG_STREAM_CATEGORIES,
    org_stream_create,
    org_stream_delete,
    org_stream_set_enabled,
    org_stream_update,
    org_stream_verify,
    org_streams_for,
)

L = ExportLocation
S3_FIELDS = ("bucket", "region", "path_prefix", "auth_type", "access_key_id")
EDIT_FIELDS = (
    "name",
    "interval",
    "categories",
    "event_types",
    *S3_FIELDS,
    "role_arn",
    "file_format",
    "endpoint_url",
)


class LogStreamForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, label="Name")
    destination = forms.ChoiceField(choices=L.Destination.choices, label="Destination")
    interval = forms.ChoiceField(
        choices=[c for c in L.Interval.choices if c[0] != L.Interval.EVERY_DAY],
        initial=L.Interval.EVERY_HOUR,
        label="Delivery",
    )
    categories = forms.MultipleChoiceField(
        choices=[c for c in Category.choices if c[0] in ORG_STREAM_CATEGORIES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Categories",
        help_text="None ticked: user and org events.",
    )
    event_types = forms.MultipleChoiceField(
        required=False, label="Event types", help_text="None selected: every type."
    )
    # S3
    bucket = forms.CharField(max_length=63, required=False, label="Bucket")
    region = forms.CharField(max_length=40, required=False, label="Region")
    path_prefix = forms.CharField(max_length=500, required=False, label="Path prefix")
    file_format = forms.ChoiceField(
        choices=L.FileFormat.choices, initial=L.FileFormat.JSON, label="File format"
    )
    auth_type = forms.ChoiceField(
        choices=L.AuthType.choices, initial=L.AuthType.ACCESS_KEY, label="Sign-in"
    )
    access_key_id = forms.CharField(
        max_length=128, required=False, label="Access key id"
    )
    secret_access_key = forms.CharField(
        required=False,
        label="Secret access key",
        widget=forms.PasswordInput(render_value=False),
    )
    role_arn = forms.CharField(max_length=2048, required=False, label="Role ARN")
    # Datadog, Splunk, webhook
    endpoint_url = forms.CharField(max_length=500, required=False, label="Endpoint URL")
    datadog_site = forms.ChoiceField(
        choices=[("", "US1 (default)"), *((s, s) for s in datadog.SITES)],
        required=False,
        label="Datadog site",
    )
    destination_secret = forms.CharField(
        required=False,
        label="API key, HEC token or signing secret",
        widget=forms.PasswordInput(render_value=False),
    )

    def __init__(self, *args, event_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_types"].choices = list(event_types)

    def save_with(self, service, request: HttpRequest, **target):
        """Call ``service`` with the form's settings and secrets; a refusal
        (``ValidationError``) goes on the form's fields and returns None."""
        try:
            return service(
                actor=actor_for_request(request),
                secret_access_key=self.cleaned_data["secret_access_key"],
                destination_secret=self.cleaned_data["destination_secret"],
                **target,
                **self.service_fields(),
            )
        except ValidationError as exc:
            translate(self, exc)
            return None

    def service_fields(self) -> dict:
        """The cleaned values as the create service takes them (blanks left out)."""
        data = self.cleaned_data
        fields = {
            name: data[name]
            for name in ("name", "destination", "interval", "file_format")
            if data.get(name)
        }
        fields["categories"] = list(data.get("categories") or [])
        fields["event_types"] = list(data.get("event_types") or [])
        for name in (*S3_FIELDS, "role_arn", "endpoint_url"):
            if data.get(name):
                fields[name] = data[name]
        if data.get("destination") != L.Destination.S3:
            fields.pop("auth_type", None)
        if data.get("destination") == L.Destination.DATADOG and data["datadog_site"]:
            fields["destination_options"] = {"site": data["datadog_site"]}
        return fields


class LogStreamEditForm(LogStreamForm):
    """A stream's settings as they are; its destination stays (a new one is a
    new stream) and a blank secret keeps the stored one."""

    SECRET_HINT = "Leave blank to keep the stored one; it is never shown."

    def __init__(self, *args, location: ExportLocation, **kwargs):
        initial = {f: getattr(location, f) for f in EDIT_FIELDS}
        initial["datadog_site"] = (location.destination_options or {}).get("site", "")
        super().__init__(*args, initial=initial, **kwargs)
        self.location = location
        del self.fields["destination"]
        if location.destination != L.Destination.S3:
            # Not on the page: an HTTP destination has neither (SPEC JSON).
            del self.fields["auth_type"], self.fields["file_format"]
        for name in ("secret_access_key", "destination_secret"):
            self.fields[name].help_text = self.SECRET_HINT

    def service_fields(self) -> dict:
        """Every setting of the stream's destination, blanks included (a blank
        path prefix or filter clears it); the secrets are passed apart."""
        data = self.cleaned_data
        kind = self.location.destination
        names = ["name", "interval", "categories", "event_types", "endpoint_url"]
        if kind == L.Destination.S3:
            names += [*S3_FIELDS, "role_arn", "file_format"]
        fields = {name: data.get(name) for name in names}
        fields["categories"] = list(data.get("categories") or [])
        fields["event_types"] = list(data.get("event_types") or [])
        if kind == L.Destination.DATADOG:
            options = dict(self.location.destination_options or {})
            options.pop("site", None)
            if data["datadog_site"]:
                options["site"] = data["datadog_site"]
            fields["destination_options"] = options
        return fields


def _last_delivery(location: ExportLocation):
    run = (
        ExportRun.objects.filter(
            location=location, status=ExportRun.Status.SUCCESS, events__gt=0
        )
        .order_by("-finished_at")
        .first()
    )
    return run.finished_at if run else None


STATUS_WORDS = {
    "ok": "Healthy",
    "lagging": "Lagging",
    "error": "Error",
    "paused": "Paused",
}


def _status(location: ExportLocation, health) -> tuple[str, str]:
    """The stream's status in a word and its colour (a CSS modifier)."""
    failed_test = location.connection_status not in ("", "SUCCESS")
    if health.state == "ok" and failed_test:
        # Runs have not failed yet, but the last connection test did.
        return "Connection failed", "error"
    return STATUS_WORDS[health.state], health.state


def _stream_rows(org) -> list[dict]:
    rows = []
    for location in org_streams_for(org=org):
        health = export_location_health(location=location)
        word, css = _status(location, health)
        row = {
            "location": location,
            "health": health,
            "status_word": word,
            "status_class": css,
            "last_delivery": _last_delivery(location),
        }
        if location.destination == L.Destination.S3:
            row["bucket_policy"] = json.dumps(bucket_policy_for(location), indent=2)
            if location.auth_type == L.AuthType.ASSUMED_ROLE:
                row["trust_policy"] = json.dumps(trust_policy_for(location), indent=2)
        rows.append(row)
    return rows


@member_page("GET", "POST")
def log_streams(request: HttpRequest, slug: str) -> HttpResponse:
    """The org's streams with their health; create one (then it is verified)."""
    org = selectors.org_for_permission(
        user=request.user, slug=slug, codename=OrgPermission.MANAGE_LOG_STREAMS
    )
    form = LogStreamForm(
        request.POST or None, event_types=selectors.event_type_choices()
    )
    if request.method == "POST" and form.is_valid():
        location = form.save_with(org_stream_create, request, org=org)
        if not form.errors:
            messages.success(
                request,
                f"The stream {location.name} is created; its connection test says: "
                f"{location.connection_status}.",
            )
            return redirect("org-log-streams", slug=org.slug)
    context = {
        **nav_context(request, org, "log-streams"),
        "form": form,
        "streams": _stream_rows(org),
        "example_bucket_policy": json.dumps(
            bucket_policy_for(ExportLocation(bucket="<your-bucket>")), indent=2
        ),
    }
    return render(
        request,
        "exports/log_streams.html",
        context,
        status=400 if form.errors else 200,
    )


def _org_stream(request: HttpRequest, slug: str, stream_id):
    """The org (403 without Manage Log Streams) and one of its own streams (404)."""
    org = selectors.org_for_permission(
        user=request.user, slug=slug, codename=OrgPermission.MANAGE_LOG_STREAMS
    )
    location = org_streams_for(org=org).filter(pk=stream_id).first()
    if location is None:
        raise Http404("No such log stream in this organization.")
    return org, location


@member_page("GET", "POST")
def log_stream_edit(request: HttpRequest, slug: str, stream_id) -> HttpResponse:
    """Change one of the org's streams; a blank secret keeps the stored one."""
    org, location = _org_stream(request, slug, stream_id)
    form = LogStreamEditForm(
        request.POST or None,
        location=location,
        event_types=selectors.event_type_choices(),
    )
    if request.method == "POST" and form.is_valid():
        changed = form.save_with(org_stream_update, request, location=location)
        if not form.errors:
            if changed:
                messages.success(request, f"The stream {location.name} is saved.")
            else:
                messages.info(request, f"Nothing changed in {location.name}.")
            return redirect("org-log-streams", slug=org.slug)
    context = {
        **nav_context(request, org, "log-streams"),
        "form": form,
        "stream": location,
    }
    return render(
        request,
        "exports/log_stream_edit.html",
        context,
        status=400 if form.errors else 200,
    )


ACTIONS = ("verify", "pause", "resume", "delete")


@login_required
@require_POST
def log_stream_action(
    request: HttpRequest, slug: str, stream_id, action: str
) -> HttpResponse:
    """Verify, pause, resume or delete one of the org's streams (404 otherwise)."""
    org, location = _org_stream(request, slug, stream_id)
    if action not in ACTIONS:
        raise Http404("Unknown action.")
    actor = actor_for_request(request)
    if action == "verify":
        status = org_stream_verify(actor=actor, location=location)
        level = messages.SUCCESS if status == "SUCCESS" else messages.ERROR
        messages.add_message(
            request, level, f"Connection test of {location.name}: {status}"
        )
    elif action == "delete":
        org_stream_delete(actor=actor, location=location)
        messages.success(request, f"The stream {location.name} is deleted.")
    else:
        enabled = action == "resume"
        org_stream_set_enabled(actor=actor, location=location, enabled=enabled)
        word = "resumed: it catches up from where it stopped" if enabled else "paused"
        messages.success(request, f"The stream {location.name} is {word}.")
    return redirect("org-log-streams", slug=org.slug)
