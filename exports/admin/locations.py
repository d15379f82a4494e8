"""Admin for export locations: write-only secrets, one health status,
verify/run/replay actions, and the run history in human units."""

import json
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from audit.actors import actor_for_request
from audit.admin.base import ArchiveDeleteMixin, form_values
from audit.models import Category, EventType, Organization
from exports import services
from exports.admin.digests import verify_integrity
from exports.admin.runs import ExportRunInline, moment_html
from exports.models import ExportLocation
from exports.pending import export_location_health
from exports.selectors import export_location_cursor
from exports.services.location_checks import STATUS_FIELDS

ALL_HINT = "Nothing selected = all."
S3_FIELDSETS = {"S3 bucket", "Authentication"}


def _event_type_choices() -> list[tuple[str, str]]:
    return [
        (t.event_type, t.event_type if t.builtin else f"{t.event_type} (custom)")
        for t in EventType.objects.order_by("category", "name")
    ]


def _org_choices() -> list[tuple[str, str]]:
    return [
        (str(pk), f"{name} ({slug})")
        for pk, name, slug in Organization.objects.order_by("name").values_list(
            "pk", "name", "slug"
        )
    ]


class _FilteredSelect(FilteredSelectMultiple):
    """The two-box selector; wrapped like a relation widget, since its script
    puts the boxes first in the parent element (before the label otherwise)."""

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        return format_html('<div class="related-widget-wrapper">{}</div>', html)


def _write_only(**kwargs) -> forms.CharField:
    """A secret field: typed in, never shown back (empty keeps the stored one)."""
    return forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"class": "vTextField"}),
        **kwargs,
    )


class ExportLocationForm(forms.ModelForm):
    """The location as operators fill it in; filters stay the JSON lists the
    services, the API and the command line use (strings; empty = all)."""

    secret_access_key = _write_only(
        help_text="Write-only: never shown again. On a change, leave empty to "
        "keep the stored secret.",
    )
    destination_secret = _write_only(
        label="API key / token / signing secret",
        help_text="Datadog API key, Splunk HEC token or webhook HMAC secret. "
        "Write-only: never shown again. On a change, leave empty to keep it.",
    )
    categories = forms.MultipleChoiceField(
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Nothing ticked = user and org events; tick Operator to "
        "receive changes to auditsite itself.",
    )
    event_types = forms.MultipleChoiceField(
        choices=(),
        required=False,
        widget=_FilteredSelect("event types", is_stacked=False),
        help_text=f"From the catalog (built-in and custom types). {ALL_HINT}",
    )
    orgs = forms.MultipleChoiceField(
        label="Organizations",
        choices=(),
        required=False,
        widget=_FilteredSelect("organizations", is_stacked=False),
        help_text=f"Only events of these organizations. {ALL_HINT}",
    )

    class Meta:
        model = ExportLocation
        fields = sorted(services.EDITABLE_FIELDS)
        labels = {
            "path_prefix": "Path prefix",
            "endpoint_url": "Endpoint URL",
            "role_arn": "Role ARN",
            "access_key_id": "Access key ID",
            "destination_options": "Destination options",
        }
        help_texts = {
            "name": "Shown in lists; defaults to the bucket name.",
            "path_prefix": "Objects go under <prefix>/year=YYYY/month=MM/day=DD/.",
            "endpoint_url": "S3: only for S3-compatible stores (MinIO, Ceph, R2), "
            "empty = AWS. Datadog: the intake URL, empty = the site option's "
            "(US1 by default). Splunk: the HEC base URL. Webhook: the https URL.",
            "destination_options": 'JSON. Datadog: "service", "tags" (list), '
            '"hostname", "site" (US1, US3, US5, EU, AP1, AP2, US1-FED). Splunk: '
            '"index", "source", "sourcetype". S3 and webhooks: none ({}).',
            "role_arn": "e.g. arn:aws:iam::123456789012:role/auditsite-export",
            "enabled": "Disabled locations are not run; the cursor is kept.",
        }
        widgets = {
            "name": forms.TextInput(attrs={"placeholder": "Acme audit bucket"}),
            "role_arn": forms.TextInput(attrs={"class": "vURLField"}),
            "endpoint_url": forms.TextInput(attrs={"class": "vURLField"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        if "destination" in self.fields:
            self.fields["destination"].required = False
            if not self.instance._state.adding:
                self.fields["destination"].disabled = True
                self.fields[
                    "destination"
                ].help_text = (
                    "Fixed once created: create a new location for another one."
                )
        if "destination_options" in self.fields:
            self.fields["destination_options"].required = False
        # Keep values the catalog no longer has (a deleted custom type or org)
        # selectable, so an unrelated edit does not fail or drop them.
        for name, choices in (
            ("event_types", _event_type_choices()),
            ("orgs", _org_choices()),
        ):
            known = {value for value, _ in choices}
            stored = self.initial.get(name) or []
            extra = [(v, f"{v} (no longer exists)") for v in stored if v not in known]
            self.fields[name].choices = choices + extra

    def clean(self):
        """Translate the location service's validation into form errors."""
        data = super().clean()
        fields = {f: data[f] for f in services.EDITABLE_FIELDS if f in data}
        adding = self.instance._state.adding
        try:
            services.export_location_check(
                location=None if adding else self.instance,
                secret_access_key=data.get("secret_access_key") or None,
                destination_secret=data.get("destination_secret") or None,
                **fields,
            )
        except ValidationError as exc:
            for field, messages_ in exc.message_dict.items():
                target = field if field in self.fields else None
                for message in messages_:
                    if target is None or target not in self._errors:
                        self.add_error(target, message)
        return data


class ReplayFromDateForm(forms.Form):
    since = forms.DateField(
        label="Replay from",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Objects holding events created on or after this day (UTC) "
        "are sent again, to the same keys.",
    )

    def clean_since(self):
        since = self.cleaned_data["since"]
        if since > timezone.now().date():
            raise forms.ValidationError("The date is in the future.")
        return since


def _saved(obj) -> bool:
    return obj is not None and not obj._state.adding


@admin.register(ExportLocation)
class ExportLocationAdmin(ArchiveDeleteMixin, admin.ModelAdmin):
    form = ExportLocationForm
    list_display = [
        "name",
        "org",
        "destination",
        "target",
        "interval",
        "health",
        "last_check",
    ]
    # ``org``: an org's own log stream (SPEC 11); empty for the operator's.
    list_filter = ["destination", "org", "enabled", "in_error", "interval"]
    list_select_related = ["org"]
    radio_fields = {
        "destination": admin.VERTICAL,
        "auth_type": admin.HORIZONTAL,
        "file_format": admin.HORIZONTAL,
    }
    readonly_fields = [
        "org",
        "health",
        "external_id",
        "trust_policy",
        *STATUS_FIELDS,
        "cursor",
        "last_checked_at",
        "lag",
        "bucket_policy",
    ]
    fieldsets = [
        (
            "Destination",
            {
                "fields": [
                    "name",
                    "org",
                    "destination",
                    "endpoint_url",
                    "destination_secret",
                    "destination_options",
                ]
            },
        ),
        (
            "S3 bucket",
            {
                "description": "S3 locations only.",
                "fields": [("bucket", "region"), "path_prefix"],
            },
        ),
        (
            "Authentication",
            {
                "description": "S3 locations only. Access key: its ID and secret. "
                "Assumed IAM role: the role's ARN; its trust policy must require "
                "the External ID.",
                "fields": [
                    "auth_type",
                    ("access_key_id", "secret_access_key"),
                    ("role_arn", "external_id"),
                    "trust_policy",
                ],
            },
        ),
        (
            "What to export",
            {
                "description": "An empty filter takes everything: by default all "
                "user and org events of every organization.",
                "fields": ["categories", "event_types", "orgs"],
            },
        ),
        ("Schedule and format", {"fields": ["interval", "file_format", "enabled"]}),
    ]
    status_fieldset = (
        "Status",
        {
            "fields": [
                "health",
                ("connection_status", "connection_checked_at"),
                ("in_error", "consecutive_failures"),
                "last_error",
                "last_checked_at",
                "cursor",
                "lag",
                "bucket_policy",
            ]
        },
    )
    inlines = [ExportRunInline]
    actions = [
        "verify",
        "run_now",
        "replay_from_date",
        "replay_last_7_days",
        verify_integrity,
    ]

    @admin.display(description="Cursor (last delivered position)")
    def cursor(self, obj):
        return export_location_cursor(location=obj) if _saved(obj) else "-"

    def get_inlines(self, request, obj=None):
        return self.inlines if _saved(obj) else []

    def get_fieldsets(self, request, obj=None):
        if not _saved(obj):
            return self.fieldsets
        if obj.destination == ExportLocation.Destination.S3:
            return [*self.fieldsets, self.status_fieldset]
        # A stream: no S3 sections, no bucket policy.
        name, options = self.status_fieldset
        status = (
            name,
            {
                **options,
                "fields": [f for f in options["fields"] if f != "bucket_policy"],
            },
        )
        return [
            fieldset for fieldset in self.fieldsets if fieldset[0] not in S3_FIELDSETS
        ] + [status]

    @admin.display(description="External ID")
    def external_id(self, obj):
        if not _saved(obj):
            return "Shown once the location is saved."
        return format_html("<code>{}</code>", obj.external_id)

    @admin.display(description="Bucket or endpoint")
    def target(self, obj):
        if obj.destination == ExportLocation.Destination.S3:
            return obj.bucket
        return obj.endpoint_url or (obj.destination_options or {}).get("site", "US1")

    @admin.display(description="Health")
    def health(self, obj):
        if not _saved(obj):
            return "-"
        health = export_location_health(location=obj)
        return format_html(
            '<span class="export-health export-health-{}">{}</span>',
            health.state,
            health.text,
        )

    @admin.display(description="Last check", ordering="last_checked_at")
    def last_check(self, obj):
        return moment_html(obj.last_checked_at)

    @admin.display(description="Not yet exported")
    def lag(self, obj):
        if not _saved(obj):
            return "-"
        return export_location_health(location=obj).lag_text

    @admin.display(description="Minimal bucket policy")
    def bucket_policy(self, obj):
        if obj is not None and obj.destination != ExportLocation.Destination.S3:
            return "S3 locations only."
        return format_html(
            "<pre>{}</pre>", json.dumps(services.bucket_policy_for(obj), indent=2)
        )

    @admin.display(description="Role trust policy")
    def trust_policy(self, obj):
        if not _saved(obj):
            return "Shown once the location is saved (it names the External ID)."
        return format_html(
            "<pre>{}</pre>", json.dumps(services.trust_policy_for(obj), indent=2)
        )

    def save_model(self, request, obj, form, change):
        actor = actor_for_request(request)
        data = form_values(form, services.EDITABLE_FIELDS)
        secret = form.cleaned_data.get("secret_access_key") or ""
        destination_secret = form.cleaned_data.get("destination_secret") or ""
        if change:
            data.pop("destination", None)
            services.export_location_update(
                actor=actor,
                location=ExportLocation.objects.get(pk=obj.pk),
                secret_access_key=secret,
                destination_secret=destination_secret,
                **data,
            )
        else:
            created = services.export_location_create(
                actor=actor,
                secret_access_key=secret,
                destination_secret=destination_secret,
                **data,
            )
            obj.pk = created.pk

    def delete_with_service(self, *, actor, obj):
        services.export_location_delete(actor=actor, location=obj)

    @admin.action(description="Verify (send a test delivery)")
    def verify(self, request, queryset):
        actor = actor_for_request(request)
        for location in queryset:
            status = services.export_location_verify(actor=actor, location=location)
            self.message_user(request, f"{location}: {status}")

    @admin.action(description="Run now")
    def run_now(self, request, queryset):
        actor = actor_for_request(request)
        for location in queryset:
            services.export_location_run_soon(actor=actor, location=location)
        self.message_user(request, "Runs queued.", messages.SUCCESS)

    @admin.action(description="Replay from a date…")
    def replay_from_date(self, request, queryset):
        """Ask for the date on an intermediate page, then replay."""
        form = ReplayFromDateForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            actor = actor_for_request(request)
            since = form.cleaned_data["since"]
            for location in queryset:
                count = services.export_location_replay(
                    actor=actor, location=location, since=since
                )
                self.message_user(
                    request,
                    f"{location}: re-sending {count} objects from {since}",
                    messages.SUCCESS,
                )
            return None
        return TemplateResponse(
            request,
            "admin/exports/exportlocation/replay_from_date.html",
            {
                **self.admin_site.each_context(request),
                "title": "Replay export locations from a date",
                "opts": self.model._meta,
                "form": form,
                "locations": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "action": "replay_from_date",
            },
        )

    @admin.action(description="Replay the last 7 days")
    def replay_last_7_days(self, request, queryset):
        actor = actor_for_request(request)
        since = (timezone.now() - timedelta(days=7)).date()
        for location in queryset:
            count = services.export_location_replay(
                actor=actor, location=location, since=since
            )
            self.message_user(request, f"{location}: re-sending {count} objects")
