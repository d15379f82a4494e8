"""Server-rendered pages for org members: the audit log, its exports, members.

Views stay thin: every read of events starts from
``selectors.events_for_viewer`` for an org that ``selectors.org_for_viewer``
has already checked, and every write goes through ``audit.services``.
"""

from __future__ import annotations

import functools
import json
import zoneinfo
from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit import formats, selectors, services
from audit.actors import actor_for_request
from audit.charts import chart_range, events_per_day_chart
from audit.filters import OrgAuditEventFilter
from audit.log_html import chart_bars_html, event_rows_html
from audit.models import AuditSettings, Category, CustomerExport, Role
from audit.nav import org_nav
from audit.pagination import keyset_page
from audit.selectors import audit_settings_load
from audit.services import customer_exports


def viewer_zone(user) -> zoneinfo.ZoneInfo:
    """The viewer's time zone: their profile's, else UTC."""
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def in_viewer_zone(view):
    """Render (and read date filters) in the signed-in user's time zone."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        with timezone.override(viewer_zone(request.user)):
            return view(request, *args, **kwargs)

    return wrapper


def member_page(*methods: str):
    """A member's page: signed in (else the login page), ``methods`` only (else
    405), rendered in the member's time zone (``in_viewer_zone``)."""

    def decorate(view):
        return login_required(require_http_methods(methods)(in_viewer_zone(view)))

    return decorate


def nav_context(
    request: HttpRequest, org=None, active: str = "", settings=None, viewable=None
) -> dict:
    """What ``base.html`` needs: the org switcher, the org's tabs, the zone.

    ``viewable`` is ``orgs_for_viewer``'s list when the view has read it.
    """
    if viewable is None:
        viewable = list(selectors.orgs_for_viewer(user=request.user, settings=settings))
    return {
        "org": org,
        "active": active,
        "viewable_orgs": viewable,
        "nav": org_nav(
            user=request.user,
            org=org,
            can_view_log=any(o.pk == org.pk for o in viewable),
        )
        if org is not None
        else [],
        "viewer_zone": viewer_zone(request.user),
    }


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Staff go to the admin; a member to their org's log, or picks among several."""
    if not request.user.is_authenticated:
        return redirect("login")
    if request.user.is_staff:
        return redirect("admin:index")
    orgs = list(selectors.orgs_for_viewer(user=request.user))
    if len(orgs) == 1:
        return redirect("org-audit-log", slug=orgs[0].slug)
    return render(request, "audit/org_picker.html", nav_context(request))


def _non_empty(params: QueryDict) -> QueryDict | None:
    """The parameters that carry a value (a submitted form sends empty ones too)."""
    data = QueryDict(mutable=True)
    for name in params:
        values = [v for v in params.getlist(name) if v.strip()]
        if values:
            data.setlist(name, values)
    return data or None


def _filtered(request: HttpRequest, org, settings: AuditSettings):
    events = selectors.events_for_viewer(org=org, settings=settings)
    filterset = OrgAuditEventFilter(
        _non_empty(request.GET),
        queryset=events,
        caused_by_choices=selectors.visible_caused_by_choices(settings=settings),
    )
    if filterset.is_bound and not filterset.is_valid():
        return filterset, events.none()
    return filterset, filterset.qs


@member_page("GET")
def audit_log(request: HttpRequest, slug: str) -> HttpResponse:
    """An org's audit log: filters, a chart per day and a keyset-paged table."""
    settings = audit_settings_load()
    # The org switcher lists the viewer's orgs: one query finds the org too.
    viewable = list(selectors.orgs_for_viewer(user=request.user, settings=settings))
    org = selectors.org_for_viewer_among(viewable, slug=slug)
    filterset, events = _filtered(request, org, settings)
    page = keyset_page(
        events, before=request.GET.get("before"), after=request.GET.get("after")
    )
    catalog = selectors.event_catalog()
    descriptions = selectors.event_describe_many(
        page.events, templates=catalog.templates
    )
    rows = [(event, descriptions[event.seq]) for event in page.events]
    zone = viewer_zone(request.user)
    data = filterset.form.cleaned_data if filterset.is_bound else {}
    after, before = data.get("created_after"), _before_bound(filterset)
    first, last = chart_range(after=after, before=before, zone=zone)
    chart = events_per_day_chart(
        org=org,
        settings=settings,
        filters=data,
        events=events,
        first=first,
        last=last,
        zone=zone,
        after=after,
        before=before,
    )
    params = filterset.active_params() if filterset.is_bound else {}
    query = urlencode(params, doseq=True)
    current = {name: request.GET.get(name, "") for name in filterset.CUSTOMER_FILTERS}
    event_types = catalog.choices()
    # Several types come as a repeated parameter (the multi-select) or
    # comma-separated (a hand-written URL); both select the same options.
    selected_types = [
        value.strip()
        for raw in request.GET.getlist("event_type")
        for value in raw.split(",")
        if value.strip()
    ]
    context = {
        **nav_context(request, org, "log", settings, viewable),
        "filterset": filterset,
        "form": filterset.form,
        "rows": rows,
        "rows_html": event_rows_html(rows, org_slug=org.slug, query=query),
        "page": page,
        "chart": chart,
        "chart_bars_html": chart_bars_html(chart.bars),
        "params": params,
        "query": query,
        "older_query": urlencode({**params, "before": page.older}, doseq=True)
        if page.older
        else "",
        "newer_query": urlencode({**params, "after": page.newer}, doseq=True)
        if page.newer
        else "",
        "event_types": event_types,
        "selected_event_types": selected_types,
        "unknown_event_types": [
            value for value in selected_types if value not in dict(event_types)
        ],
        "categories": Category.choices,
        "caused_by_choices": selectors.visible_caused_by_choices(settings=settings),
        "current": current,
        "export_formats": [
            (name, f"Export {label}") for name, label in formats.ORG_PAGE_FORMATS
        ],
        "export_fields": [
            (name, value)
            for name, values in params.items()
            for value in (values if isinstance(values, list) else [values])
        ],
        "member_emails": list(
            selectors.memberships_for_org(org=org).values_list("user__email", flat=True)
        ),
    }
    return render(request, "audit/audit_log.html", context)


def _before_bound(filterset):
    """The exclusive upper bound the ``created_before`` filter applies, if any."""
    if not filterset.is_bound:
        return None
    value = filterset.form.cleaned_data.get("created_before")
    if value is None:
        return None
    raw = filterset.data.get("created_before", "")
    if isinstance(raw, str) and len(raw.strip()) == 10:
        return value + timedelta(days=1)
    return value


@member_page("GET")
def event_detail(request: HttpRequest, slug: str, event_id: str) -> HttpResponse:
    """One event of the org's log, looked up only inside what the viewer may see."""
    settings = audit_settings_load()
    org = selectors.org_for_viewer(user=request.user, slug=slug, settings=settings)
    events = selectors.events_for_viewer(org=org, settings=settings)
    event = events.filter(uuid=event_id).first()
    if event is None:
        raise Http404("No such event in this organization's audit log.")
    context = {
        **nav_context(request, org, "log", settings),
        "event": event,
        "description": selectors.event_describe_many([event])[event.seq],
        "event_data_json": json.dumps(event.event_data, indent=2, sort_keys=True),
        "back_query": request.GET.urlencode(),
    }
    return render(request, "audit/event_detail.html", context)


@login_required
@require_POST
def audit_log_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    """Stream the current filtered view as CSV, JSON or Parquet; records
    `UserExportInitiated`.

    The filters come in the POST body (the page's hidden fields), so that an
    export is never triggered by merely following a link. The export holds
    the events recorded before its own `UserExportInitiated` event. Above
    ``AUDITSITE_CUSTOMER_EXPORT_ASYNC_THRESHOLD`` events it is built in the
    background instead, and the member is sent to the export's page.
    """
    if fmt not in customer_exports.FORMATS:
        raise Http404("Unknown export format.")
    settings = audit_settings_load()
    org = selectors.org_for_viewer(user=request.user, slug=slug, settings=settings)
    request.GET = request.POST  # the filterset reads the same parameters
    filterset, events = _filtered(request, org, settings)
    # Who asks for which events: either kind of export records them alike.
    asked = {
        "actor": actor_for_request(request),
        "user": request.user,
        "org": org,
        "filters": filterset.active_params() if filterset.is_bound else {},
    }
    if customer_exports.export_is_large(events):
        job = customer_exports.customer_export_start(**asked, file_format=fmt)
        return redirect("org-customer-export", slug=org.slug, export_id=job.id)
    marker = services.audit_log_export_start(**asked, format=fmt)
    rows = customer_exports.export_rows(events.filter(seq__lt=marker.seq))
    chunks = customer_exports.export_chunks(fmt, rows)
    file_format = formats.format_for(fmt)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(chunks, content_type=file_format.content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{org.slug}-audit-log-{stamp}.{file_format.extension}"'
    )
    response["Cache-Control"] = "no-store"
    return response


class RoleChangeForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ModelChoiceField(queryset=Role.objects.all(), label="Role")


@member_page("GET", "POST")
def members(request: HttpRequest, slug: str) -> HttpResponse:
    """An org's members; a role with `Manage Members` can change others' roles."""
    org = selectors.org_for_member_manager(user=request.user, slug=slug)
    memberships = selectors.memberships_for_org(org=org)
    if request.method == "POST":
        form = RoleChangeForm(request.POST)
        if form.is_valid():
            membership = memberships.filter(pk=form.cleaned_data["membership"]).first()
            if membership is None:
                raise Http404("No such member in this organization.")
            if membership.user_id == request.user.pk:
                messages.error(request, "You cannot change your own role.")
            else:
                services.membership_change_role(
                    actor=actor_for_request(request),
                    membership=membership,
                    role=form.cleaned_data["role"],
                )
                messages.success(
                    request,
                    f"{membership.user.email} is now {form.cleaned_data['role'].name}.",
                )
            return redirect("org-members", slug=org.slug)
        messages.error(request, "Choose a role.")
    context = {
        **nav_context(request, org, "members"),
        "memberships": memberships,
        "roles": Role.objects.all(),
    }
    return render(request, "audit/members.html", context)


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label="Time zone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zones = sorted(zoneinfo.available_timezones() - {"localtime"})
        self.fields["time_zone"].choices = [("", "UTC (default)")] + [
            (zone, zone.replace("_", " ")) for zone in zones
        ]
        self.fields["time_zone"].required = False


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in user's preferences: the time zone pages show times in."""
    form = TimeZoneForm(
        request.POST or None, initial={"time_zone": request.user.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        services.user_update(
            actor=actor_for_request(request),
            user=request.user,
            changes={"time_zone": form.cleaned_data["time_zone"]},
        )
        messages.success(request, "Your time zone is saved.")
        return redirect("account")
    return render(request, "audit/account.html", {**nav_context(request), "form": form})


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@member_page("GET")
def customer_export_detail(request: HttpRequest, slug: str, export_id) -> HttpResponse:
    """A background export's page: its progress, then its short-lived link.

    Only the member who asked sees it, and only while they may see the org.
    """
    settings = audit_settings_load()
    org = selectors.org_for_viewer(user=request.user, slug=slug, settings=settings)
    job = CustomerExport.objects.filter(
        pk=export_id, org=org, requester=request.user
    ).first()
    if job is None:
        raise Http404("No such export.")
    building = job.status in (
        CustomerExport.Status.PENDING,
        CustomerExport.Status.RUNNING,
    )
    context = {
        **nav_context(request, org, "log", settings),
        "job": job,
        "building": building,
        "link": customer_exports.customer_export_link(job=job)
        if job.status == CustomerExport.Status.DONE
        else "",
        "link_minutes": django_settings.AUDITSITE_CUSTOMER_EXPORT_LINK_SECONDS // 60,
    }
    return render(request, "audit/customer_export.html", context)


@login_required
@require_GET
def customer_export_download(request: HttpRequest, slug: str, token: str):
    """Serve a built export from local storage through its signed link.

    The link is the requester's, for this org, within its lifetime, and the
    member must still be allowed to see the org; anything else is a 404.
    """
    org = selectors.org_for_viewer(user=request.user, slug=slug)
    try:
        job = customer_exports.customer_export_for_link(
            token=token, user=request.user, org=org
        )
    except customer_exports.ExportLinkInvalid:
        raise Http404("This link is not valid (any more).") from None
    return FileResponse(
        customer_exports.export_storage().open(job.file_name, "rb"),
        as_attachment=True,
        filename=job.file_name.rsplit("/", 1)[-1],
        content_type=formats.CONTENT_TYPES[job.file_format],
    )
