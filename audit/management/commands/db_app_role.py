"""`python manage.py db_app_role ROLE`: create/grant the PostgreSQL app role.

Run as the tables' owner (the migration role), after `migrate`. See
docs/production.md.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from audit.dbroles import app_role_grant


class Command(BaseCommand):
    help = "Create ROLE if missing and grant it only what the app needs."

    def add_arguments(self, parser):
        parser.add_argument("role", help="The app's database role, e.g. auditsite_app.")

    def handle(self, *args, role, **options):
        if connection.vendor != "postgresql":
            raise CommandError("db_app_role is for PostgreSQL.")
        app_role_grant(role=role)
        self.stdout.write(f"Granted {role}: events SELECT/INSERT + purge function.")
