"""Cut receiver answers already stored to status + 200 plain characters (SPEC 12).

New answers are cut when they arrive (exports.destinations.base.receiver_text);
this applies the same rule to the texts stored before it. Audit events are
append-only and stay as recorded.
"""

import re

from django.db import migrations
from django.db.models import Q
from django.db.models.functions import Length

LIMIT = 200
SCRIPTS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
TAGS = re.compile(r"<[^>]*>")


def _plain(text: str) -> str:
    # A frozen copy of receiver_text: migrations do not import app code.
    plain = " ".join(TAGS.sub(" ", SCRIPTS.sub(" ", text)).replace("<", " ").split())
    if len(plain) > LIMIT:
        plain = plain[: LIMIT - 1].rstrip() + "…"
    return plain


def _cut(model, fields):
    for field in fields:
        long_or_tagged = Q(**{f"{field}__contains": "<"}) | Q(
            **{f"{field}_length__gt": LIMIT}
        )
        rows = (
            model.objects.annotate(**{f"{field}_length": Length(field)})
            .filter(long_or_tagged)
            .only("pk", field)
        )
        for row in rows.iterator():
            model.objects.filter(pk=row.pk).update(
                **{field: _plain(getattr(row, field))}
            )


def forwards(apps, schema_editor):
    _cut(
        apps.get_model("exports", "ExportLocation"), ["last_error", "connection_status"]
    )
    _cut(apps.get_model("exports", "ExportRun"), ["error"])


class Migration(migrations.Migration):
    dependencies = [("exports", "0051_schedule_task_paths")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
