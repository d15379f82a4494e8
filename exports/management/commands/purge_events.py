"""`python manage.py purge_events [--dry-run] [--json]`: the retention purge."""

import json

from django.core.management.base import BaseCommand

from exports.retention import events_purge


class Command(BaseCommand):
    help = (
        "Remove events older than their org plan's retention window, keeping "
        "every event an export location has not yet delivered."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report only; delete nothing."
        )
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args, dry_run, json: bool, **options):
        report = events_purge(dry_run=dry_run)
        if json:
            self.stdout.write(_dumps(report.as_dict()))
        else:
            self.stdout.write("\n".join(report.lines()))


def _dumps(data: dict) -> str:
    return json.dumps(data, indent=2)
