"""django-q2's admin pages, read-only.

Schedules are made by migrations (retention, digests) and task results are
django-q2's own bookkeeping: none of them may change through the admin
without an ``operator`` event, and no service records one for them, so the
pages only show. Change a schedule with a migration.
"""

from __future__ import annotations

from django.contrib import admin
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success

from audit.admin.base import ReadOnlyAdminMixin

for model, base in (
    (Schedule, q_admin.ScheduleAdmin),
    (Success, q_admin.TaskAdmin),
    (Failure, q_admin.FailAdmin),
    (OrmQ, q_admin.QueueAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(
        model, type(f"ReadOnly{base.__name__}", (ReadOnlyAdminMixin, base), {})
    )
