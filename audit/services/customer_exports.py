"""Org-page exports: streamed when small, built in the background when large.

Up to ``AUDITSITE_CUSTOMER_EXPORT_ASYNC_THRESHOLD`` events the page streams
the file at once (``audit.views.audit_log_export``). Above it,
:func:`customer_export_start` records `UserExportInitiated` and a
:class:`~audit.models.CustomerExport` job in one transaction and enqueues
``audit.tasks.customer_export_build`` on commit; the task calls
:func:`customer_export_build`, which writes the file into the
``customer_exports`` storage (django-storages: S3 in production, local files
by default) with progress on the job. The export's page shows the progress
and, once built, a link that lasts ``AUDITSITE_CUSTOMER_EXPORT_LINK_SECONDS``:
S3's presigned URL, or on local files a Django-signed URL to
``audit.views.customer_export_download``, which checks the member may still
see the org. :func:`customer_exports_purge` (hourly schedule) deletes jobs
and files older than ``AUDITSITE_CUSTOMER_EXPORT_KEEP_HOURS``.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from audit import formats, selectors
from audit.actors import Actor
from audit.catalog import T
from audit.filters import OrgAuditEventFilter
from audit.models import AuditEvent, CustomerExport, Organization, User
from audit.selectors import audit_settings_load
from audit.services.events import event_record
from audit.spec import ROW_COLUMNS, SpecRow

logger = logging.getLogger(__name__)

STORAGE = "customer_exports"
CHUNK_SIZE = 2000
PROGRESS_EVERY = 10_000
_SALT = "audit.customer-export-link"
# The formats a member can export from the org page (``audit.formats``).
FORMATS = dict(formats.ORG_PAGE_FORMATS)


class ExportLinkInvalid(Exception):
    """A download link that is forged, expired, or not the viewer's."""


def export_storage():
    """The storage that holds built exports (``STORAGES["customer_exports"]``)."""
    return storages[STORAGE]


def export_is_large(events: QuerySet[AuditEvent]) -> bool:
    """Whether an export of ``events`` is built in the background.

    Counts at most one event past the threshold, so a huge org costs no
    more to ask than a threshold-sized one.
    """
    threshold = settings.AUDITSITE_CUSTOMER_EXPORT_ASYNC_THRESHOLD
    return events.order_by()[: threshold + 1].count() > threshold


def export_rows(events: QuerySet[AuditEvent]) -> Iterator[SpecRow]:
    """The events as typed rows, newest first, in constant memory."""
    return map(
        SpecRow._make,
        events.order_by("-created_at", "-seq")
        .values_list(*ROW_COLUMNS)
        .iterator(chunk_size=CHUNK_SIZE),
    )


def export_chunks(file_format: str, rows: Iterable[Any]) -> Iterator[str | bytes]:
    """The file of ``rows`` in an org-page format, chunk by chunk (str or bytes).

    The catalog's description templates are read once, here, before the
    first row is written.
    """
    if file_format not in FORMATS:
        raise ValueError(f"unknown customer export format {file_format!r}")
    templates = None
    if formats.format_for(file_format).needs_templates(formats.FORMAT_VERSION):
        templates = selectors.event_type_templates()
    return formats.chunks(file_format, rows, templates=templates)


def customer_export_start(
    *,
    actor: Actor,
    user: User,
    org: Organization,
    file_format: str,
    filters: dict[str, Any],
) -> CustomerExport:
    """Start a background export of ``org``'s filtered log.

    Records `UserExportInitiated` with the job, in one transaction.

    The event names the export and its page (where the member finds the
    link once the file is built). The build is enqueued when the
    transaction commits.
    """
    if file_format not in FORMATS:
        raise ValueError(f"unknown customer export format {file_format!r}")
    now = timezone.now()
    with transaction.atomic():
        job = CustomerExport(
            requester=user,
            org=org,
            filters=filters,
            file_format=file_format,
            created_at=now,
            expires_at=now
            + timedelta(hours=settings.AUDITSITE_CUSTOMER_EXPORT_KEEP_HOURS),
        )
        page = reverse("org-customer-export", args=[org.slug, job.id])
        marker = event_record(
            event_type=T.UserExportInitiated,
            actor=actor,
            user=user,
            org=org,
            details={
                "format": file_format,
                "filters": filters,
                "export_id": str(job.id),
                "export_page": page,
                "background": True,
            },
        )
        job.marker_seq = marker.seq
        job.save()
        transaction.on_commit(lambda: _enqueue(job.id))
    return job


def _enqueue(export_id) -> None:
    from django_q.tasks import async_task

    async_task("audit.tasks.customer_export_build", str(export_id))


def _events_for(job: CustomerExport) -> QuerySet[AuditEvent]:
    """What the member saw when they asked: their filters, the hidden kinds."""
    audit_settings = audit_settings_load()
    # Still a viewer of the org (the role may have changed since): else raises.
    selectors.org_for_viewer(
        user=job.requester, slug=job.org.slug, settings=audit_settings
    )
    data = QueryDict(mutable=True)
    for name, value in (job.filters or {}).items():
        data.setlist(name, value if isinstance(value, list) else [value])
    filterset = OrgAuditEventFilter(
        data or None,
        queryset=selectors.events_for_viewer(org=job.org, settings=audit_settings),
        caused_by_choices=selectors.visible_caused_by_choices(settings=audit_settings),
    )
    if filterset.is_bound and not filterset.is_valid():
        raise ValueError(f"invalid filters: {filterset.errors.as_text()}")
    return filterset.qs.filter(seq__lt=job.marker_seq)


def customer_export_build(*, export_id: str) -> CustomerExport:
    """Write a pending export's file into the export storage, with progress.

    Runs once per job: a job that is not pending is left as it is. A failure
    marks the job failed with the error and writes no file.
    """
    claimed = CustomerExport.objects.filter(
        pk=export_id, status=CustomerExport.Status.PENDING
    ).update(status=CustomerExport.Status.RUNNING)
    job = CustomerExport.objects.select_related("org", "requester").get(pk=export_id)
    if not claimed:
        return job
    try:
        events = _events_for(job)
        total = events.order_by().count()
        CustomerExport.objects.filter(pk=job.pk).update(total=total)
        with tempfile.TemporaryFile() as out:
            written = 0

            def counted(rows: Iterable[SpecRow]) -> Iterator[SpecRow]:
                nonlocal written
                for row in rows:
                    yield row
                    written += 1
                    if written % PROGRESS_EVERY == 0:
                        CustomerExport.objects.filter(pk=job.pk).update(written=written)

            for chunk in export_chunks(job.file_format, counted(export_rows(events))):
                out.write(chunk.encode() if isinstance(chunk, str) else chunk)
            out.seek(0)
            stamp = job.created_at.strftime("%Y%m%d-%H%M%S")
            name = (
                f"{job.org.slug}/{job.org.slug}-audit-log-{stamp}-{job.id.hex[:8]}"
                f".{formats.EXTENSIONS[job.file_format]}"
            )
            saved = export_storage().save(name, File(out))
    except Exception as error:  # the job records every failure, then re-raises
        logger.exception("customer export %s failed", job.pk)
        CustomerExport.objects.filter(pk=job.pk).update(
            status=CustomerExport.Status.FAILED,
            error=str(error) or type(error).__name__,
            finished_at=timezone.now(),
        )
        raise
    CustomerExport.objects.filter(pk=job.pk).update(
        status=CustomerExport.Status.DONE,
        written=written,
        total=written,
        file_name=saved,
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


def _local_storage() -> bool:
    return isinstance(export_storage(), FileSystemStorage)


def customer_export_link(*, job: CustomerExport) -> str:
    """A download link for a built export, good for the link lifetime.

    On S3 a presigned URL (``querystring_expire``); on local files a signed
    URL to our download view, which checks the signature's age and that the
    member may still see the org.
    """
    if job.status != CustomerExport.Status.DONE:
        raise ValueError("the export is not built yet")
    if not _local_storage():
        return export_storage().url(job.file_name)
    token = signing.TimestampSigner(salt=_SALT).sign(str(job.id))
    return reverse("org-customer-export-download", args=[job.org.slug, token])


def customer_export_for_link(*, token: str, user: User, org: Organization):
    """The built export a local download link names, if it is still valid for ``user``.

    Raises :class:`ExportLinkInvalid` when the signature is bad or older than
    the link lifetime, or the export is not this member's in this org.
    """
    try:
        export_id = signing.TimestampSigner(salt=_SALT).unsign(
            token, max_age=settings.AUDITSITE_CUSTOMER_EXPORT_LINK_SECONDS
        )
    except signing.BadSignature as error:  # SignatureExpired is one
        raise ExportLinkInvalid(str(error)) from None
    job = CustomerExport.objects.filter(
        pk=export_id,
        org=org,
        requester=user,
        status=CustomerExport.Status.DONE,
        expires_at__gt=timezone.now(),
    ).first()
    if job is None:
        raise ExportLinkInvalid("no such export")
    return job


def customer_exports_purge() -> int:
    """Delete the jobs past their expiry and their files; how many went.

    Housekeeping of temporary files (no audit event: the export itself was
    recorded as `UserExportInitiated` when it started).
    """
    storage = export_storage()
    expired = CustomerExport.objects.filter(expires_at__lte=timezone.now())
    count = 0
    for job in expired.iterator():
        if job.file_name:
            storage.delete(job.file_name)
        job.delete()
        count += 1
    return count
